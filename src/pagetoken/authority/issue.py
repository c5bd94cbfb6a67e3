"""Issuing tokens: every row of SPEC §4's table, and the tier rule for Page tokens.

Only the keyed hash of a token is written; the token itself goes back to the caller once.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert

from pagetoken.core import errors
from pagetoken.core.kinds import Origin, Source, TokenKind
from pagetoken.core.permissions import PAGE_PERMISSIONS, basic_only
from pagetoken.core.tokens import fingerprint, new_token
from pagetoken.store.db import dumps
from pagetoken.store.tables import tokens

from . import apps, grants, pages, roles, validation
from .context import Authority
from .records import ValidToken

_INSERT = insert(tokens)


def _insert(auth: Authority, conn: Connection, *, kind: TokenKind, origin: Origin, app_id: str, source: Source,
            scopes: list[str], expires_at: float | None, long_lived: bool, user_id: str | None = None,
            page_id: str | None = None, parent_id: int | None = None,
            issued_at: float | None = None) -> tuple[str, int]:
    """Store a new token. `issued_at` is the moment its expiry was counted from (one clock read for both)."""
    token = new_token()
    result = conn.execute(_INSERT, dict(
        hash=auth.hash(token), fingerprint=fingerprint(token), kind=kind, long_lived=long_lived, origin=origin,
        app_id=app_id, user_id=user_id, page_id=page_id, scopes=dumps(scopes),
        issued_at=auth.now() if issued_at is None else issued_at,
        expires_at=expires_at, parent_id=parent_id, how=source, revoked_at=None, revoked_reason=None))
    pk = result.inserted_primary_key
    assert pk is not None
    return token, int(pk[0])


def app_token(auth: Authority, app_id: str) -> str:
    """The app token: the same until the app secret is reset, derived rather than stored (no row)."""
    secret = apps.secret(auth, app_id)
    if secret is None:
        raise errors.ObjectMissing(app_id)
    return validation.app_token_of(auth, app_id, secret)


def user_token(auth: Authority, conn: Connection, user_id: str, app_id: str, source: Source,
               long_lived: bool = False, parent_id: int | None = None) -> tuple[str, float]:
    """A user token carrying what the user grants the app now; returns (token, expires_at)."""
    if not grants.installed(auth, user_id, app_id, conn=conn):
        raise errors.AppNotAuthorized(user_id, app_id)
    now = auth.now()
    life = auth.lifetimes.long_lived if long_lived else auth.lifetimes.short_lived
    expires = now + life
    token, _ = _insert(auth, conn, kind=TokenKind.USER, origin=Origin.USER, app_id=app_id, user_id=user_id,
                       source=source, scopes=grants.granted(auth, user_id, app_id, conn=conn), expires_at=expires,
                       long_lived=long_lived, parent_id=parent_id, issued_at=now)
    return token, expires


def page_token_for_user(auth: Authority, conn: Connection, user: ValidToken, page_id: str) -> str | None:
    """The Page token a user token yields for a Page (None when the user holds no task there).

    Short-lived parent: basic permissions only, expires with the parent. Long-lived parent: the
    granted Page permissions, 60 days (or never, with PAGETOKEN_PAGE_TOKENS_EXPIRE=never); what the
    user's tasks allow is checked at every call.
    """
    assert user.kind == TokenKind.USER and user.user_id is not None
    if not roles.tasks_of(auth, page_id, user.user_id, conn):
        return None
    covering = grants.granted(auth, user.user_id, user.app_id, page_id, conn=conn)
    if not covering:  # the user chose other Pages for this app in the dialog
        raise errors.MissingPermission(message=f"(#200) The user has not granted the app any permission on Page "
                                               f"{page_id}: it was not among the Pages chosen for the app")
    scopes = [s for s in covering if s in user.scopes]
    now = auth.now()
    if user.long_lived:
        # 60 days (the seed); with PAGETOKEN_PAGE_TOKENS_EXPIRE=never none, as on the Graph API.
        expires: float | None = now + auth.lifetimes.long_lived if auth.lifetimes.page_tokens_expire \
            else None
    else:
        scopes, expires = basic_only(scopes), user.expires_at
    token, _ = _insert(auth, conn, kind=TokenKind.PAGE, origin=Origin.USER, app_id=user.app_id, user_id=user.user_id,
                       page_id=page_id, source=Source.USER_DERIVED, scopes=scopes, expires_at=expires,
                       long_lived=user.long_lived, parent_id=user.token_id, issued_at=now)
    return token


def page_tokens_for_user(auth: Authority, user: ValidToken, page_ids: list[str]) -> dict[str, str | None]:
    """`page_token_for_user` for several Pages, in one writing transaction."""
    with auth.store.write() as conn:
        return {page_id: page_token_for_user(auth, conn, user, page_id) for page_id in page_ids}


def page_token_for_app(auth: Authority, conn: Connection, app_id: str, page_id: str, long_lived: bool,
                       parent_id: int | None = None) -> tuple[str, float]:
    """A Page token made from the app's own credentials, for a Page that granted the app access."""
    if pages.get(auth, page_id, conn) is None:
        raise errors.ObjectMissing(page_id)
    perms, grantor = grants.app_page_permissions(auth, app_id, page_id, conn=conn)
    if grantor is None:
        raise errors.PageNotGranted(page_id=page_id, app_id=app_id)
    life = auth.lifetimes.long_lived if long_lived else auth.lifetimes.short_lived
    now = auth.now()
    expires = now + life
    ordered = sorted(p for p in perms if p in PAGE_PERMISSIONS)
    token, _ = _insert(auth, conn, kind=TokenKind.PAGE, origin=Origin.APP, app_id=app_id, page_id=page_id,
                       scopes=ordered, source=Source.APP_DERIVED, expires_at=expires, long_lived=long_lived,
                       parent_id=parent_id, issued_at=now)
    return token, expires


def extend(auth: Authority, conn: Connection, info: ValidToken) -> tuple[str, float]:
    """fb_exchange_token: a fresh long-lived token from a valid user token or long-lived Page token."""
    now = auth.now()
    expires = now + auth.lifetimes.long_lived
    if info.kind == TokenKind.USER:
        assert info.user_id is not None
        if not grants.installed(auth, info.user_id, info.app_id, conn=conn):
            raise errors.AppNotAuthorized(info.user_id, info.app_id)
        scopes = [s for s in grants.granted(auth, info.user_id, info.app_id, conn=conn) if s in info.scopes]
    elif info.kind == TokenKind.PAGE and info.long_lived:
        scopes = list(info.scopes)
    elif info.kind == TokenKind.PAGE:
        raise errors.BadParameter("fb_exchange_token takes a user token or a long-lived Page token; get a "
                               "long-lived Page token from a long-lived user token instead")
    else:
        raise errors.BadParameter("fb_exchange_token cannot extend an app token")
    validation.confirm_live(conn, info)
    token, _ = _insert(auth, conn, kind=info.kind, origin=info.origin, app_id=info.app_id,
                       user_id=info.user_id, page_id=info.page_id, source=Source.EXCHANGE, scopes=scopes,
                       expires_at=expires, long_lived=True, parent_id=info.token_id, issued_at=now)
    return token, expires
