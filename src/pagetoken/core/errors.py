"""GraphError and one constructor per row of SPEC §3.

The HTTP layer renders a GraphError as ``{"error": {...}}``; the client parses the same codes back
into typed exceptions. The codes below are the wire protocol, readable in one place.
"""

from __future__ import annotations

import secrets
from typing import Any

OAUTH = "OAuthException"
GRAPH_METHOD = "GraphMethodException"

# Codes
CODE_UNKNOWN = 1
CODE_SERVICE = 2
CODE_APP_RATE = 4
CODE_PERMISSION_TASK = 10
CODE_USER_RATE = 17
CODE_PAGE_RATE = 32
CODE_PARAM = 100
CODE_TOKEN = 190
CODE_PERMISSION = 200
CODE_NO_TOKEN = 2500

# Subcodes of 190
SUB_APP_NOT_AUTHORIZED = 458
SUB_PASSWORD_CHANGED = 460
SUB_EXPIRED = 463
SUB_SESSION_INVALID = 467
SUB_DATA_ACCESS_EXPIRED = 493
# Subcode of 100
SUB_OBJECT_MISSING = 33

REAUTH_SUBCODES = frozenset({SUB_APP_NOT_AUTHORIZED, SUB_PASSWORD_CHANGED, SUB_DATA_ACCESS_EXPIRED})


def new_trace_id() -> str:
    return secrets.token_urlsafe(9)


class GraphError(Exception):
    """An error the Graph API would answer, with its wire code, subcode and type."""

    def __init__(
        self,
        message: str,
        code: int,
        type: str = OAUTH,
        subcode: int | None = None,
        is_transient: bool | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type
        self.subcode = subcode
        self.is_transient = is_transient
        self.status = status if status is not None else (500 if code in (CODE_UNKNOWN, CODE_SERVICE) else 400)
        self.headers = dict(headers or {})
        if code == CODE_TOKEN:
            quoted = message.replace('"', "'")
            self.headers.setdefault("WWW-Authenticate", f'OAuth "Facebook Platform" "invalid_token" "{quoted}"')

    def body(self, trace_id: str | None = None) -> dict[str, Any]:
        err: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.is_transient is not None:
            err["is_transient"] = self.is_transient
        err["fbtrace_id"] = trace_id or new_trace_id()
        return {"error": err}

    def short(self) -> dict[str, Any]:
        """The ``{code, subcode, message}`` triple that debug_token shows for an invalid token."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.subcode is not None:
            out["subcode"] = self.subcode
        return out

    def __repr__(self) -> str:
        return f"GraphError(code={self.code}, subcode={self.subcode}, message={self.message!r})"


# ---- one constructor per SPEC §3 row -------------------------------------------------------------


def no_token() -> GraphError:
    return GraphError("An active access token must be used to query information about the current user.",
                      CODE_NO_TOKEN)


def invalid_token() -> GraphError:
    return GraphError("Invalid OAuth access token - Cannot parse access token", CODE_TOKEN)


def token_expired(expired_at: str, now: str) -> GraphError:
    return GraphError(
        f"Error validating access token: Session has expired on {expired_at}. The current time is {now}.",
        CODE_TOKEN, subcode=SUB_EXPIRED)


def app_not_authorized(user_id: str, app_id: str) -> GraphError:
    return GraphError(
        f"Error validating access token: User {user_id} has not authorized application {app_id}.",
        CODE_TOKEN, subcode=SUB_APP_NOT_AUTHORIZED)


def password_changed() -> GraphError:
    return GraphError(
        "Error validating access token: The session has been invalidated because the user changed their "
        "password or Facebook has changed the session for security reasons.",
        CODE_TOKEN, subcode=SUB_PASSWORD_CHANGED)


def session_invalid(detail: str = "") -> GraphError:
    msg = "Error validating access token: The session is invalid"
    msg += f" because {detail}." if detail else "."
    return GraphError(msg, CODE_TOKEN, subcode=SUB_SESSION_INVALID)


def data_access_expired() -> GraphError:
    return GraphError(
        "The access token is invalid since the user hasn't engaged the app in longer than 90 days.",
        CODE_TOKEN, subcode=SUB_DATA_ACCESS_EXPIRED)


def not_page_admin() -> GraphError:
    return GraphError("The user must be an administrator of the page in order to impersonate it.", CODE_TOKEN)


def bad_code() -> GraphError:
    return GraphError(
        "Error validating verification code. Please make sure your redirect_uri is identical to the one "
        "you used in the OAuth dialog request", CODE_PARAM)


def app_token_required() -> GraphError:
    return GraphError("(#100) You must provide an app access token, or a user access token that is an owner "
                      "or developer of the app", CODE_PARAM)


def missing_permission(*permissions: str) -> GraphError:
    needed = ",".join(permissions)
    return GraphError(f"(#200) The permission(s) {needed} are not available. It requires {needed}.",
                      CODE_PERMISSION)


def missing_task(*tasks: str) -> GraphError:
    needed = " or ".join(tasks)
    return GraphError(f"(#10) This endpoint requires the '{needed}' task on the Page.", CODE_PERMISSION_TASK)


def proof_required() -> GraphError:
    return GraphError("API calls from the server require an appsecret_proof argument", CODE_PARAM,
                      type=GRAPH_METHOD)


def proof_invalid() -> GraphError:
    return GraphError("Invalid appsecret_proof provided in the API argument", CODE_PARAM, type=GRAPH_METHOD)


def object_missing(object_id: str, method: str = "get") -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        CODE_PARAM, type=GRAPH_METHOD, subcode=SUB_OBJECT_MISSING)


def unknown_path(components: str) -> GraphError:
    return GraphError(f"Unknown path components: /{components.lstrip('/')}", CODE_NO_TOKEN)


def bad_param(detail: str) -> GraphError:
    return GraphError(f"(#100) {detail}", CODE_PARAM)


def app_rate_limited() -> GraphError:
    return GraphError("(#4) Application request limit reached", CODE_APP_RATE, is_transient=True)


def user_rate_limited() -> GraphError:
    return GraphError("(#17) User request limit reached", CODE_USER_RATE, is_transient=True)


def page_rate_limited() -> GraphError:
    return GraphError("(#32) Page request limit reached", CODE_PAGE_RATE, is_transient=True)


def unknown_error() -> GraphError:
    return GraphError("An unknown error has occurred.", CODE_UNKNOWN, is_transient=True)


def service_unavailable() -> GraphError:
    return GraphError("Service temporarily unavailable", CODE_SERVICE, is_transient=True)
