"""The Graph API's errors, one class per row of SPEC §3 (the wire protocol, readable in one place).

Each class carries its row as class attributes (code, subcode, type, message template and the
``WWW-Authenticate`` challenge) and is raised by name, never built ad hoc or matched by message
text. The HTTP layer renders any of them as ``{"error": {...}}``; the client maps the same
``(code, subcode)`` pairs back into its typed exceptions through `FAMILIES`. The numbers themselves
and `FAMILIES` live in `core.codes`, re-exported here.

The tree::

    ApiError
    ├── TokenError (190)            InvalidToken, BadAppTokenSignature, TokenExpired (463),
    │                               AppNotAuthorized (458), PasswordChanged (460),
    │                               SessionInvalidated (467), RevokedByApi (466), NotPageAdmin (492),
    │                               DataAccessExpired (493)
    ├── NoActiveToken (2500)        UnknownPath (2500), TokenRequired (104)
    ├── BadParameter (100)          BadVerificationCode, CodeUsed (100/36009), CodeExpired (100/36007),
    │                               AppTokenRequired, ProofRequired, ProofInvalid, NonexistingField,
    │                               ObjectMissing (100/33), NoMatchingUser (100/2018001), UnknownAliases (803)
    ├── BadClientSecret (1)         MissingPermission (200), MissingTask (10), PageNotGranted (10),
    │                               NotTestUser (100)
    ├── AppRateLimited (4), UserRateLimited (17), PageRateLimited (32)
    └── UnknownError (1), ServiceUnavailable (2)
"""

from __future__ import annotations

import base64
import random
from typing import Any, ClassVar

from .codes import (
    CODE_APP_RATE,
    CODE_NO_TOKEN,
    CODE_PAGE_RATE,
    CODE_PARAM,
    CODE_PERMISSION,
    CODE_PERMISSION_TASK,
    CODE_SERVICE,
    CODE_TOKEN,
    CODE_TOKEN_REQUIRED,
    CODE_UNKNOWN,
    CODE_UNKNOWN_ALIASES,
    CODE_USER_RATE,
    FAMILIES,
    REAUTH_SUBCODES,
    SUB_APP_NOT_AUTHORIZED,
    SUB_CODE_EXPIRED,
    SUB_CODE_USED,
    SUB_DATA_ACCESS_EXPIRED,
    SUB_EXPIRED,
    SUB_NO_MATCHING_USER,
    SUB_NOT_PAGE_ADMIN,
    SUB_OBJECT_MISSING,
    SUB_PASSWORD_CHANGED,
    SUB_REVOKED_BY_API,
    SUB_SESSION_INVALID,
    family_of,
)

OAUTH = "OAuthException"
GRAPH_METHOD = "GraphMethodException"


__all__ = [
    "ApiError", "TokenError", "InvalidToken", "BadAppTokenSignature", "TokenExpired", "AppNotAuthorized",
    "PasswordChanged", "SessionInvalidated", "NotPageAdmin", "DataAccessExpired", "NoActiveToken", "UnknownPath",
    "BadParameter", "BadVerificationCode", "AppTokenRequired", "ProofRequired", "ProofInvalid", "ObjectMissing",
    "NoMatchingUser", "BadClientSecret", "MissingPermission", "MissingTask", "PageNotGranted", "NotTestUser",
    "AppRateLimited", "UserRateLimited", "PageRateLimited", "UnknownError", "ServiceUnavailable",
    "RevokedByApi", "NotViewingApp", "TokenRequired", "CodeUsed", "CodeExpired", "NonexistingField", "UnknownAliases",
    "FAMILIES", "family_of", "REAUTH_SUBCODES",
    # the wire numbers, from .codes
    "CODE_APP_RATE", "CODE_NO_TOKEN", "CODE_PAGE_RATE", "CODE_PARAM", "CODE_PERMISSION", "CODE_PERMISSION_TASK",
    "CODE_SERVICE", "CODE_TOKEN", "CODE_TOKEN_REQUIRED", "CODE_UNKNOWN", "CODE_UNKNOWN_ALIASES", "CODE_USER_RATE",
    "SUB_APP_NOT_AUTHORIZED", "SUB_CODE_EXPIRED", "SUB_CODE_USED", "SUB_DATA_ACCESS_EXPIRED", "SUB_EXPIRED",
    "SUB_NOT_PAGE_ADMIN", "SUB_NO_MATCHING_USER", "SUB_OBJECT_MISSING", "SUB_PASSWORD_CHANGED",
    "SUB_REVOKED_BY_API", "SUB_SESSION_INVALID",
]


def new_trace_id() -> str:
    """An answer's `x-fb-trace-id` (`fbtrace_id`): it names an answer and guards nothing, so it comes
    from the ordinary random generator (no system call per answer), not from `secrets`."""
    return base64.urlsafe_b64encode(random.randbytes(9)).decode()


class ApiError(Exception):
    """An error the Graph API would answer. Subclasses set the class attributes of their SPEC §3 row."""

    code: ClassVar[int] = CODE_UNKNOWN
    subcode: ClassVar[int | None] = None
    type: ClassVar[str] = OAUTH
    template: ClassVar[str] = "An unknown error has occurred."
    is_transient: ClassVar[bool | None] = None
    challenge: ClassVar[str | None] = None  # the WWW-Authenticate error: invalid_token, invalid_request, …

    def __init__(self, message: str | None = None, **values: Any) -> None:
        self.message = message if message is not None else self.template.format(**values)
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return 500 if self.code in (CODE_UNKNOWN, CODE_SERVICE) else 400

    @property
    def headers(self) -> dict[str, str]:
        """``WWW-Authenticate`` with the row's challenge: invalid_token (190), invalid_request (100),
        invalid_code (a bad, used or expired code)."""
        if self.challenge is None:
            return {}
        # A header carries printable ASCII only: the message may echo what the caller sent (an object ID
        # from the path, a parameter), so anything else, quotes and line breaks included, is replaced.
        quoted = "".join(c if " " <= c <= "~" and c != '"' else ("'" if c == '"' else "?") for c in self.message)
        return {"WWW-Authenticate": f'OAuth "Facebook Platform" "{self.challenge}" "{quoted}"'}

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
        return f"{type(self).__name__}(code={self.code}, subcode={self.subcode}, message={self.message!r})"


# ---- 190: the token ------------------------------------------------------------------------------


class TokenError(ApiError):
    """Any 190: the token cannot be used."""

    code = CODE_TOKEN
    challenge = "invalid_token"
    template = "Invalid OAuth access token."


class InvalidToken(TokenError):
    template = "Invalid OAuth access token - Cannot parse access token"


class BadAppTokenSignature(TokenError):
    template = "Invalid OAuth access token signature."


class TokenExpired(TokenError):
    subcode = SUB_EXPIRED
    template = "Error validating access token: Session has expired on {expired_at}. The current time is {now}."

    def __init__(self, expired_at: str, now: str) -> None:
        super().__init__(expired_at=expired_at, now=now)


class AppNotAuthorized(TokenError):
    subcode = SUB_APP_NOT_AUTHORIZED
    template = "Error validating access token: The user has not authorized application {app_id}."

    def __init__(self, user_id: str, app_id: str) -> None:
        self.user_id = user_id  # today's wording names the app only
        super().__init__(app_id=app_id)


class PasswordChanged(TokenError):
    subcode = SUB_PASSWORD_CHANGED
    template = ("Error validating access token: The session has been invalidated because the user changed their "
                "password or Facebook has changed the session for security reasons.")


class SessionInvalidated(TokenError):
    subcode = SUB_SESSION_INVALID
    template = "Error validating access token: The session is invalid{because}."

    def __init__(self, detail: str = "") -> None:
        super().__init__(because=f" because {detail}" if detail else "")


class RevokedByApi(TokenError):
    """Revoked by an API call: DELETE /oauth/access_token, `tokens revoke`, the vault."""

    subcode = SUB_REVOKED_BY_API
    template = "Error validating access token: The session was invalidated explicitly using an API call."


class NotViewingApp(TokenError):
    """debug_token of another app's token (shown inside `data`, never raised to the caller)."""

    template = "The App_id in the input_token did not match the Viewing App"


class NotPageAdmin(TokenError):
    subcode = SUB_NOT_PAGE_ADMIN
    template = "The user must be an administrator of the page in order to impersonate it."


class DataAccessExpired(TokenError):
    subcode = SUB_DATA_ACCESS_EXPIRED
    template = "The access token is invalid since the user hasn't engaged the app in longer than 90 days."


# ---- 2500 ----------------------------------------------------------------------------------------


class NoActiveToken(ApiError):
    code = CODE_NO_TOKEN
    template = "An active access token must be used to query information about the current user."


class TokenRequired(ApiError):
    """No token on a node other than /me."""

    code = CODE_TOKEN_REQUIRED
    template = "An access token is required to request this resource."


class UnknownPath(ApiError):
    code = CODE_NO_TOKEN
    template = "Unknown path components: /{components}"

    def __init__(self, components: str) -> None:
        super().__init__(components=components.lstrip("/"))


# ---- 100: the request ----------------------------------------------------------------------------


class BadParameter(ApiError):
    """A missing or wrong parameter; the detail says which and why."""

    code = CODE_PARAM
    challenge = "invalid_request"
    template = "(#100) {detail}"

    def __init__(self, detail: str) -> None:
        super().__init__(detail=detail)


class BadVerificationCode(ApiError):
    code = CODE_PARAM
    challenge = "invalid_code"
    template = ("Error validating verification code. Please make sure your redirect_uri is identical to the one "
                "you used in the OAuth dialog request")


class CodeUsed(ApiError):
    """A code redeemed a second time (what it gave is revoked)."""

    code = CODE_PARAM
    subcode = SUB_CODE_USED
    challenge = "invalid_code"
    template = "This authorization code has been used."


class CodeExpired(ApiError):
    code = CODE_PARAM
    subcode = SUB_CODE_EXPIRED
    challenge = "invalid_code"
    template = "This authorization code has expired."


class AppTokenRequired(ApiError):
    code = CODE_PARAM
    challenge = "invalid_request"
    template = ("(#100) You must provide an app access token, or a user access token that is an owner or developer "
                "of the app")


class ProofRequired(ApiError):
    code = CODE_PARAM
    challenge = "invalid_request"
    type = GRAPH_METHOD
    template = "API calls from the server require an appsecret_proof argument"


class ProofInvalid(ApiError):
    code = CODE_PARAM
    challenge = "invalid_request"
    type = GRAPH_METHOD
    template = "Invalid appsecret_proof provided in the API argument"


class ObjectMissing(ApiError):
    code = CODE_PARAM
    subcode = SUB_OBJECT_MISSING
    type = GRAPH_METHOD
    challenge = "invalid_request"
    template = ("Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation. Please read the Graph API "
                "documentation at https://developers.facebook.com/docs/graph-api")

    def __init__(self, object_id: str, method: str = "get") -> None:
        super().__init__(object_id=object_id, method=method.lower())


class NoMatchingUser(ApiError):
    code = CODE_PARAM
    challenge = "invalid_request"
    subcode = SUB_NO_MATCHING_USER
    template = "(#100) No matching user found"


class BadClientSecret(ApiError):
    """A wrong client_secret: code 1 on the Graph API, answered with HTTP 400 (it is not a server failure)."""

    code = CODE_UNKNOWN
    template = "Error validating client secret."

    @property
    def status(self) -> int:
        return 400


# ---- 200, 10: permissions and tasks --------------------------------------------------------------


class MissingPermission(ApiError):
    code = CODE_PERMISSION
    template = "(#200) The permission(s) {needed} are not available. It requires {needed}."

    def __init__(self, *permissions: str, message: str | None = None) -> None:
        super().__init__(message, needed=",".join(permissions))


class MissingTask(ApiError):
    code = CODE_PERMISSION_TASK
    template = "(#10) This endpoint requires the '{needed}' task on the Page."

    def __init__(self, *tasks: str, message: str | None = None) -> None:
        super().__init__(message, needed=" or ".join(tasks))


class PageNotGranted(ApiError):
    code = CODE_PERMISSION_TASK
    template = ("(#10) Page {page_id} has not granted application {app_id} access. A person with the MANAGE task "
                "on the Page must grant the app Page permissions for it first.")


class NonexistingField(ApiError):
    code = CODE_PARAM
    challenge = "invalid_request"
    template = "(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})"

    def __init__(self, field: str, node_type: str) -> None:
        super().__init__(field=field, node_type=node_type)


class UnknownAliases(ApiError):
    """`?ids=` naming objects that do not exist."""

    code = CODE_UNKNOWN_ALIASES
    template = "(#803) Some of the aliases you requested do not exist: {ids}"

    def __init__(self, ids: list[str]) -> None:
        super().__init__(ids=",".join(ids))


class NotTestUser(ApiError):
    code = CODE_PARAM
    challenge = "invalid_request"
    template = "(#2903) Cannot delete this user: only the app's test users may be deleted, with the app's access token"


# ---- rate limits and failures --------------------------------------------------------------------


class AppRateLimited(ApiError):
    code = CODE_APP_RATE
    is_transient = True
    template = "(#4) Application request limit reached"


class UserRateLimited(ApiError):
    code = CODE_USER_RATE
    is_transient = True
    template = "(#17) User request limit reached"


class PageRateLimited(ApiError):
    code = CODE_PAGE_RATE
    is_transient = True
    template = "(#32) Page request limit reached"


class UnknownError(ApiError):
    is_transient = True


class ServiceUnavailable(ApiError):
    code = CODE_SERVICE
    is_transient = True
    template = "Service temporarily unavailable"
