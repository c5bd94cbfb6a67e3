"""The Graph API's real answers, written down as data: keys and their types, header names, error rows.

Each entry names its public source. Only the wire itself is recorded (key names, types, codes and the
documented message strings), never the sources' prose. Where the real shape is not known from a public
source, the entry says so (``UNKNOWN``) and the parity test holds pagetoken only to the general rules
(JSON, the headers every answer carries).

Shape language: a Python type (``str``, ``int``, ``bool``, ``list``, ``dict``); ``Obj(required, optional)``
for an object (no other keys allowed); ``[shape]`` for a list whose items all match; ``Paged(item)`` for
``{"data": [item], "paging": {...}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DOCS = "https://developers.facebook.com/docs"


@dataclass(frozen=True)
class Obj:
    required: dict[str, Any]
    optional: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Paged:
    item: Any
    summary: bool = False


@dataclass(frozen=True)
class Unknown:
    why: str


@dataclass(frozen=True)
class Err:
    code: int
    type: str
    message: str                     # the answer's message starts with this
    subcode: int | None = None
    challenge: str | None = None     # the WWW-Authenticate error, when the Graph API sends one


# ---- headers -------------------------------------------------------------------------------------

# Every answer. facebook-sdk 3.1 `GraphAPI.get_version()` reads facebook-api-version
# (github.com/mobolic/facebook-sdk, facebook/__init__.py); the others are in every captured answer
# (Graph API overview, "Response headers"; curl -i of any call).
EVERY_ANSWER_HEADERS = ("facebook-api-version", "x-fb-trace-id", "x-fb-rev", "cache-control", "pragma",
                        "x-content-type-options", "x-app-usage", "content-type")
NO_STORE = {"cache-control": "private, no-cache, no-store, must-revalidate", "pragma": "no-cache",
            "x-content-type-options": "nosniff"}
# Page-token calls: {DOCS}/graph-api/overview/rate-limiting ("Pages" and "Business Use Case" headers).
PAGE_TOKEN_HEADERS = ("x-page-usage", "x-business-use-case-usage")
USAGE_KEYS = {"call_count", "total_time", "total_cputime"}                    # X-App-Usage, X-Page-Usage
BUC_KEYS = {"type", "call_count", "total_cputime", "total_time", "estimated_time_to_regain_access"}

# ---- answers -------------------------------------------------------------------------------------

TOKEN = Obj({"access_token": str, "token_type": str}, {"expires_in": int})
GRANULAR = [Obj({"scope": str}, {"target_ids": [str]})]

SHAPES: dict[str, Any] = {
    # {DOCS}/facebook-login/guides/access-tokens#apptokens: {"access_token": "APPID|…", "token_type": "bearer"}
    "client_credentials": Obj({"access_token": str, "token_type": str}),
    # {DOCS}/facebook-login/guides/access-tokens/get-long-lived: access_token, token_type, expires_in
    "fb_exchange_token": Obj({"access_token": str, "token_type": str, "expires_in": int}),
    # {DOCS}/facebook-login/guides/advanced/manual-flow#exchangecode
    "code": TOKEN,
    # pagetoken's own extension (RFC 7009 in spirit): the Graph API has no such call.
    "revoke": Unknown("DELETE /oauth/access_token is a pagetoken extension; Graph has no such answer"),
    # {DOCS}/graph-api/reference/debug_token (user token fields)
    "debug_user": Obj({"data": Obj({"app_id": str, "type": str, "application": str, "data_access_expires_at": int,
                                    "expires_at": int, "is_valid": bool, "scopes": [str],
                                    "granular_scopes": GRANULAR, "user_id": str},
                                   {"issued_at": int})}),
    # Same page; a Page token adds profile_id.
    "debug_page": Obj({"data": Obj({"app_id": str, "type": str, "application": str, "data_access_expires_at": int,
                                    "expires_at": int, "is_valid": bool, "scopes": [str],
                                    "granular_scopes": GRANULAR, "profile_id": str},
                                   {"issued_at": int, "user_id": str})}),
    # An app token's debug_token, as captured in SDK fixtures and issue threads: five keys only.
    "debug_app": Obj({"data": Obj({"app_id": str, "type": str, "application": str, "is_valid": bool,
                                   "scopes": [str]})}),
    # An unparseable token: HTTP 200, {"data": {"error": {code, message}, "is_valid": false, "scopes": []}}
    "debug_garbage": Obj({"data": Obj({"error": Obj({"code": int, "message": str}, {"subcode": int}),
                                       "is_valid": bool, "scopes": [str]})}),
    # An expired token keeps what it carried beside its error (debug_token reference, "error" field).
    "debug_expired": Obj({"data": Obj({"app_id": str, "type": str, "application": str,
                                       "data_access_expires_at": int, "expires_at": int, "is_valid": bool,
                                       "issued_at": int, "scopes": [str], "granular_scopes": GRANULAR,
                                       "user_id": str, "error": Obj({"code": int, "message": str, "subcode": int})})}),
    # {DOCS}/graph-api/reference/user: default fields name, id
    "me": Obj({"id": str, "name": str}),
    # {DOCS}/graph-api/reference/user/permissions
    "permissions": Obj({"data": [Obj({"permission": str, "status": str})]}),
    # {DOCS}/graph-api/reference/user/permissions: DELETE answers success
    "success": Obj({"success": bool}),
    # {DOCS}/graph-api/reference/user/accounts (and facebook-business AdAccount/Page fixtures)
    "accounts": Paged(Obj({"access_token": str, "category": str, "category_list": [Obj({"id": str, "name": str})],
                           "name": str, "id": str, "tasks": [str]})),
    # {DOCS}/graph-api/reference/application: link, name, id by default
    "app": Obj({"id": str, "name": str, "link": str}),
    # {DOCS}/graph-api/reference/application/accounts/test-users (create)
    "test_user": Obj({"id": str, "access_token": str, "login_url": str, "email": str, "password": str}),
    # Same page (read): installed ones carry access_token
    "test_users": Paged(Obj({"id": str, "login_url": str}, {"access_token": str})),
    "create_page": Unknown("POST /{user-id}/accounts is not open to apps on the Graph API; pagetoken answers {id}"),
    # {DOCS}/graph-api/reference/page: name, id by default
    "page": Obj({"id": str, "name": str}),
    # {DOCS}/graph-api/reference/page/feed (publish answers the post ID)
    "id": Obj({"id": str}),
    # {DOCS}/graph-api/reference/page/feed (read: created_time, message, id per post)
    "feed": Paged(Obj({"id": str, "created_time": str}, {"message": str})),
    # {DOCS}/graph-api/reference/post: created_time, message, id by default
    "post": Obj({"id": str, "created_time": str}, {"message": str}),
    # {DOCS}/graph-api/reference/object/comments
    "comments": Paged(Obj({"id": str, "created_time": str, "message": str}, {"from": Obj({"name": str, "id": str})})),
    # {DOCS}/graph-api/reference/page/conversations: id, link, updated_time by default
    "conversations": Paged(Obj({"id": str, "updated_time": str}, {"link": str})),
    # {DOCS}/graph-api/reference/conversation/messages: id, created_time by default
    "messages": Paged(Obj({"id": str, "created_time": str})),
    # {DOCS}/messenger-platform/reference/send-api: recipient_id, message_id
    "send": Obj({"recipient_id": str, "message_id": str}),
    # {DOCS}/graph-api/reference/insights: data[name, period, values[value, end_time], title, description, id]
    "insights": Obj({"data": [Obj({"name": str, "period": str, "values": [Obj({"value": int, "end_time": str})],
                                   "title": str, "description": str, "id": str})]},
                    {"paging": dict}),
    # {DOCS}/graph-api/reference/page/roles (deprecated on the Graph API; tasks since v2.x)
    "roles": Paged(Obj({"id": str, "name": str, "tasks": [str]}), summary=True),
    # {DOCS}/graph-api/reference/page/subscribed_apps
    "subscribed_apps": Unknown("the real items carry category, link, name, id, subscribed_fields; pagetoken "
                               "keeps its own subscription records"),
    "ads": Unknown("/{page-id}/ads and /billing stand in for the Marketing API, whose objects differ"),
    # {DOCS}/graph-api/batch-requests: [{code, headers: [{name, value}], body: "<json>"}]
    "batch": [Obj({"code": int, "body": str}, {"headers": [Obj({"name": str, "value": str})]})],
}

# ---- errors (SPEC §3, each from {DOCS}/graph-api/guides/error-handling and the access-token guides) --

ERRORS: dict[str, Err] = {
    "no_token_me": Err(2500, "OAuthException",
                       "An active access token must be used to query information about the current user."),
    "no_token_node": Err(104, "OAuthException", "An access token is required to request this resource."),
    "garbage_token": Err(190, "OAuthException", "Invalid OAuth access token", challenge="invalid_token"),
    "expired": Err(190, "OAuthException", "Error validating access token: Session has expired on", 463,
                   "invalid_token"),
    "app_removed": Err(190, "OAuthException", "Error validating access token: The user has not authorized "
                       "application", 458, "invalid_token"),
    "password": Err(190, "OAuthException", "Error validating access token: The session has been invalidated "
                    "because the user changed their password", 460, "invalid_token"),
    "revoked": Err(190, "OAuthException", "Error validating access token: The session was invalidated "
                   "explicitly using an API call.", 466, "invalid_token"),
    "bad_signature": Err(190, "OAuthException", "Invalid OAuth access token signature.", challenge="invalid_token"),
    "bad_code": Err(100, "OAuthException", "Error validating verification code. Please make sure your "
                    "redirect_uri is identical to the one you used in the OAuth dialog request",
                    challenge="invalid_code"),
    "code_used": Err(100, "OAuthException", "This authorization code has been used.", 36009, "invalid_code"),
    "code_expired": Err(100, "OAuthException", "This authorization code has expired.", 36007, "invalid_code"),
    "client_secret": Err(1, "OAuthException", "Error validating client secret."),
    "debug_needs_app": Err(100, "OAuthException", "(#100) You must provide an app access token"),
    "permission": Err(200, "OAuthException", "(#200) "),
    "proof_required": Err(100, "GraphMethodException", "API calls from the server require an appsecret_proof "
                          "argument"),
    "proof_invalid": Err(100, "GraphMethodException", "Invalid appsecret_proof provided in the API argument"),
    "missing": Err(100, "GraphMethodException", "Unsupported get request. Object with ID '999999999' does not "
                   "exist, cannot be loaded due to missing permissions, or does not support this operation. "
                   "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", 33),
    "unknown_path": Err(2500, "OAuthException", "Unknown path components: /nothing_here"),
    "unknown_field": Err(100, "OAuthException", "(#100) Tried accessing nonexisting field (foobar) on node type "
                         "(User)"),
    "bad_param": Err(100, "OAuthException", "(#100) ", challenge="invalid_request"),
}
