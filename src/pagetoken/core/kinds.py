"""The words of the token domain, as types every layer (and the client) shares.

A token has a **kind** (what it acts as: an app, a user, a Page), an **origin** (whose credentials
made it: a user's consent or the app's own secret) and a **source** (the grant or call that issued
it); a dead one has a **revocation reason**. The store keeps the values; `debug_token` shows
`TokenKind.debug_type`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from . import errors


class TokenKind(StrEnum):
    """What a token acts as."""

    APP = "app"
    USER = "user"
    PAGE = "page"

    @property
    def debug_type(self) -> str:
        """`debug_token`'s `type`: APP, USER or PAGE."""
        return self.value.upper()

    @classmethod
    def from_debug_type(cls, value: str) -> TokenKind:
        return cls(value.lower())

    @property
    def me_node(self) -> str:
        """The node type `/me` reads with a token of this kind."""
        return _ME_NODE[self]

    @property
    def described(self) -> str:
        """For messages: "an app", "a user", "a Page"."""
        return _DESCRIBED[self]


_ME_NODE = {TokenKind.APP: "application", TokenKind.USER: "user", TokenKind.PAGE: "page"}
_DESCRIBED = {TokenKind.APP: "an app", TokenKind.USER: "a user", TokenKind.PAGE: "a Page"}


class Origin(StrEnum):
    """Whose credentials a token was made from: a user's consent, or the app's own secret."""

    USER = "user"
    APP = "app"


class Source(StrEnum):
    """The grant or call that issued a token."""

    CLIENT_CREDENTIALS = "client_credentials"  # GET /oauth/access_token?grant_type=client_credentials
    APP_SECRET_PAIR = "app_secret_pair"        # APPID|APPSECRET, never stored
    CODE = "code"                              # the OAuth dialog's code, exchanged
    DIALOG = "dialog"                          # the OAuth dialog, response_type=token
    EXPLORER = "explorer"                      # the Graph API Explorer
    TEST_USER = "test_user"                    # a test user's own token
    USER_DERIVED = "user_derived"              # a Page token from a user token
    APP_DERIVED = "app_derived"                # a Page token from the app's credentials
    EXCHANGE = "exchange"                      # fb_exchange_token
    MINTED = "minted"                          # `serve --dev`: POST /_pagetoken/tokens


class RevocationReason(StrEnum):
    """Why a token row was revoked; the store keeps the value, `error` is what a call then answers."""

    API_CALL = "revoked"           # tokens revoke, DELETE /oauth/access_token, the vault
    PASSWORD = "password"          # the user changed their password
    APP_REMOVED = "app_removed"    # the user removed the app
    TASK_LOST = "task_lost"        # the user lost every task on the Page behind a Page token
    SECRET_RESET = "secret_reset"  # the app secret was reset (app tokens, app-derived Page tokens)
    USER_DELETED = "user_deleted"  # the (test) user was deleted

    def error(self, user_id: str | None, app_id: str) -> errors.ApiError:
        """The SPEC §3 error a call with a token revoked for this reason answers."""
        if self is RevocationReason.APP_REMOVED:
            return errors.AppNotAuthorized(user_id or "", app_id)
        return _REVOCATION_ERRORS[self]()


_REVOCATION_ERRORS: dict[RevocationReason, Callable[[], errors.ApiError]] = {
    RevocationReason.API_CALL: errors.RevokedByApi,
    RevocationReason.PASSWORD: errors.PasswordChanged,
    RevocationReason.TASK_LOST: errors.NotPageAdmin,
    RevocationReason.SECRET_RESET: lambda: errors.SessionInvalidated("the app secret was reset"),
    RevocationReason.USER_DELETED: lambda: errors.SessionInvalidated("the user was deleted"),
}


class ObjectType(StrEnum):
    """What an object ID names; every object is registered under its type when it is made."""

    USER = "user"
    PAGE = "page"
    APPLICATION = "application"
    POST = "post"
    COMMENT = "comment"
    CONVERSATION = "conversation"
    MESSAGE = "message"
    AD = "ad"
