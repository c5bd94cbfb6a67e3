"""Validating a token and describing it (`debug_token`).

The hot path: checksum, keyed hash, one indexed read joined with the installation, compare times.
Page tokens add one read for the role (or the Page's grant) behind them.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, bindparam, select

from pagetoken.core import errors
from pagetoken.core.kinds import Origin, RevocationReason, Source, TokenKind
from pagetoken.core.permissions import CATALOG, PAGE_PERMISSIONS, task_allows
from pagetoken.core.proof import same_secret
from pagetoken.core.tokens import APP_SECRET_PAIR_RE, app_token, is_well_formed
from pagetoken.core.values import evolve
from pagetoken.store.db import loads
from pagetoken.store.tables import authorizations, tokens

from . import apps, grants, objects, roles
from .context import Authority
from .records import ValidToken

PACIFIC = ZoneInfo("America/Los_Angeles")


def _fmt(ts: float) -> str:
    """A time as 463's message writes it, in Pacific time: ``Wednesday, 16-Nov-22 07:45:51 PST``."""
    return datetime.fromtimestamp(ts, PACIFIC).strftime("%A, %d-%b-%y %H:%M:%S %Z")


_RESOLVE = (
    select(tokens, authorizations.c.data_access_expires_at, authorizations.c.removed_at)
    .select_from(tokens.outerjoin(authorizations, and_(authorizations.c.user_id == tokens.c.user_id,
                                                       authorizations.c.app_id == tokens.c.app_id)))
    .where(tokens.c.hash == bindparam("hash"))
)


def resolve(auth: Authority, token: str, conn: Connection | None = None) -> ValidToken:
    """The token's record when it may be used now; otherwise the SPEC §3 error that says why not."""
    token = token.strip()
    app_id, bar, rest = token.partition("|")
    if bar and app_id.isdigit():
        return _resolve_app_token(auth, conn, app_id, rest, token)
    if not is_well_formed(token):
        raise errors.InvalidToken()
    digest = auth.hash(token)
    info: ValidToken | None
    if conn is not None and auth.store.unsettled(conn):
        info = _load(auth, conn, digest)  # what this transaction wrote is not yet everyone's
    else:
        info = auth.token_cache.get(digest)
        if info is None:
            generation = auth.token_cache.generation()
            with auth.store.reading(conn) as c:
                info = _load(auth, c, digest)
            auth.token_cache.put(digest, info, generation)
    now = auth.now()
    if info.expires_at is not None and now >= info.expires_at:
        raise errors.TokenExpired(_fmt(info.expires_at), _fmt(now))
    if info.origin == Origin.USER and info.data_access_expires_at is not None and now >= info.data_access_expires_at:
        raise errors.DataAccessExpired()
    return evolve(info, raw=token)


_REVOKED = select(tokens.c.revoked_reason).where(tokens.c.id == bindparam("token_id"))


def confirm_live(conn: Connection, info: ValidToken) -> None:
    """Inside the writing transaction that derives a token from `info`: its row is not revoked. What
    `resolve` answered from memory may be a moment older than a revocation another process just made;
    this read, in the transaction that holds the write lock, is not."""
    if info.token_id is None:
        return
    row = conn.execute(_REVOKED, {"token_id": info.token_id}).first()
    if row is None:
        raise errors.InvalidToken()
    if row.revoked_reason:
        raise RevocationReason(row.revoked_reason).error(info.user_id, info.app_id)


# The cache holds tens of thousands of validated tokens, most of them of a few apps, users, Pages and
# scope sets: those are kept once each, not once per token (half the memory of a cached token).
_SCOPE_SETS: dict[str, tuple[str, ...]] = {}


def _scopes(raw: str | None) -> tuple[str, ...]:
    key = raw or "[]"
    found = _SCOPE_SETS.get(key)
    if found is None:
        if len(_SCOPE_SETS) >= 4096:
            _SCOPE_SETS.clear()
        found = _SCOPE_SETS[key] = tuple(sys.intern(s) for s in loads(key, []))
    return found


def _shared(ident: str | None) -> str | None:
    return sys.intern(ident) if ident is not None else None


def _load(auth: Authority, conn: Connection, digest: str) -> ValidToken:
    """The token's row, checked; `resolve` checks its times again on every use, cached or not."""
    row = conn.execute(_RESOLVE, {"hash": digest}).first()
    if row is None:
        raise errors.InvalidToken()
    if row.revoked_reason:
        raise RevocationReason(row.revoked_reason).error(row.user_id, row.app_id)
    now = auth.now()
    if row.expires_at is not None and now >= row.expires_at:
        raise errors.TokenExpired(_fmt(row.expires_at), _fmt(now))
    info = ValidToken(kind=TokenKind(row.kind), app_id=sys.intern(row.app_id), origin=Origin(row.origin),
                     long_lived=bool(row.long_lived), scopes=_scopes(row.scopes), issued_at=row.issued_at,
                     expires_at=row.expires_at, source=Source(row.how), token_id=row.id,
                     user_id=_shared(row.user_id), page_id=_shared(row.page_id),
                     data_access_expires_at=row.data_access_expires_at)
    if info.origin == Origin.USER:
        assert info.user_id is not None
        if row.removed_at is not None or row.data_access_expires_at is None:
            raise errors.AppNotAuthorized(info.user_id, info.app_id)
        if now >= row.data_access_expires_at:
            raise errors.DataAccessExpired()
        if info.kind == TokenKind.PAGE and info.page_id and not roles.tasks_of(auth, info.page_id, info.user_id, conn):
            raise errors.NotPageAdmin()
    elif info.kind == TokenKind.PAGE and info.page_id:
        _, grantor = grants.app_page_permissions(auth, info.app_id, info.page_id, conn=conn)
        if grantor is None:
            raise errors.AppNotAuthorized(info.page_id, info.app_id)
    return info


def app_token_of(auth: Authority, app_id: str, secret: str) -> str:
    """The app's token for its current secret: derived, never stored (core.tokens.app_token), and kept
    in memory beside the secret it comes from (a reset changes the key it is kept under)."""
    return cast(str, objects.remembered(auth, ("app_token", app_id, secret),
                                        lambda: app_token(app_id, secret, auth.subkey("app-token"))))


def _resolve_app_token(auth: Authority, conn: Connection | None, app_id: str, given: str, raw: str) -> ValidToken:
    """``APPID|opaque`` (what client_credentials gives) or ``APPID|APPSECRET``."""
    app = apps.get(auth, app_id, conn)
    real = apps.secret(auth, app_id, conn) if app else None
    if app is None or real is None:
        raise errors.InvalidToken()
    if APP_SECRET_PAIR_RE.fullmatch(raw) and same_secret(real, given):
        source = Source.APP_SECRET_PAIR
    elif is_well_formed(raw) and same_secret(app_token_of(auth, app_id, real), raw):
        source = Source.CLIENT_CREDENTIALS
    else:
        raise errors.BadAppTokenSignature()
    return ValidToken(kind=TokenKind.APP, app_id=app_id, origin=Origin.APP, long_lived=True, scopes=(),
                     issued_at=app.secret_reset_at or app.created_at, expires_at=None, source=source, raw=raw)


def effective_scopes(auth: Authority, info: ValidToken, by_tasks: bool = True, page_id: str | None = None,
                     conn: Connection | None = None) -> list[str]:
    """What the token carries now: its scopes ∩ what is still granted (declines take effect at once),
    and for a user's Page token ∩ what the user's tasks on the Page allow (SPEC §4). With
    `by_tasks=False`, the permissions before the task rule: a call the token has the permission for
    but the tasks forbid answers 10, not 200. A user token with `page_id`: what it may use on that Page."""
    if info.kind == TokenKind.APP:
        return []
    if info.origin == Origin.APP:
        assert info.page_id is not None
        perms, _ = grants.app_page_permissions(auth, info.app_id, info.page_id, conn=conn)
        return [s for s in info.scopes if s in perms]
    assert info.user_id is not None
    on_page = info.page_id if info.kind == TokenKind.PAGE else page_id
    now_granted = set(grants.granted(auth, info.user_id, info.app_id, on_page, conn=conn))
    scopes = [s for s in info.scopes if s in now_granted]
    if by_tasks and info.kind == TokenKind.PAGE and info.page_id:
        tasks = roles.tasks_of(auth, info.page_id, info.user_id, conn)
        scopes = [s for s in scopes if task_allows(tasks, CATALOG[s].task)]
    return scopes


# What debug_token's granular_scopes never lists (the Graph API leaves the default permissions out).
NOT_GRANULAR = frozenset({"public_profile", "email"})


def granular_scopes(auth: Authority, info: ValidToken, scopes: list[str],
                    conn: Connection | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    scopes = [s for s in scopes if s not in NOT_GRANULAR]
    if info.kind == TokenKind.USER and info.user_id:
        by_perm = {g.permission: g for g in grants.list_grants(auth, info.user_id, info.app_id, conn=conn)}
        for scope in scopes:
            g = by_perm.get(scope)
            entry: dict[str, Any] = {"scope": scope}
            if g is not None and scope in PAGE_PERMISSIONS:
                targets = g.target_ids if g.target_ids is not None else [
                    p.id for p, _ in roles.pages_of(auth, info.user_id, conn)]
                entry["target_ids"] = list(targets)
            out.append(entry)
    elif info.kind == TokenKind.PAGE and info.page_id:
        out = [{"scope": s, "target_ids": [info.page_id]} if s in PAGE_PERMISSIONS else {"scope": s}
               for s in scopes]
    return out


def describe(auth: Authority, info: ValidToken, conn: Connection | None = None) -> dict[str, Any]:
    """The `data` of debug_token for a valid token (from memory while nothing changed)."""
    app = apps.get(auth, info.app_id, conn)
    if info.kind == TokenKind.APP:  # an app token: these five keys only, as the Graph API answers
        return {"app_id": info.app_id, "type": info.kind.debug_type, "application": app.name if app else "",
                "is_valid": True, "scopes": []}
    scopes = effective_scopes(auth, info, conn=conn)
    data: dict[str, Any] = {
        "app_id": info.app_id,
        "type": info.kind.debug_type,
        "application": app.name if app else "",
        "data_access_expires_at": int(info.data_access_expires_at or 0),
        "expires_at": int(info.expires_at or 0),
        "is_valid": True,
        "issued_at": int(info.issued_at),
        "scopes": scopes,
        "granular_scopes": granular_scopes(auth, info, scopes, conn),
    }
    if info.kind == TokenKind.USER:
        data["user_id"] = info.user_id
    elif info.kind == TokenKind.PAGE:
        if info.user_id:
            data["user_id"] = info.user_id
        data["profile_id"] = info.page_id
    return data


def describe_invalid(auth: Authority, token: str, error: errors.ApiError,
                     viewer_app_id: str | None = None) -> dict[str, Any]:
    """The `data` of debug_token for a token that does not pass: its error beside what it was issued with
    (scopes, granular_scopes, times), as the Graph API keeps them for an expired or invalidated token.
    With `viewer_app_id`, another app's token says nothing about itself, only the mismatch."""
    data: dict[str, Any] = {"is_valid": False, "scopes": [], "error": error.short()}
    if not is_well_formed(token) or "|" in token:
        return data
    with auth.store.read() as conn:
        row = conn.execute(_RESOLVE, {"hash": auth.hash(token)}).first()
        if row is None:
            return data
        if viewer_app_id is not None and row.app_id != viewer_app_id:
            return {"is_valid": False, "scopes": [], "error": errors.NotViewingApp().short()}
        app = apps.get(auth, row.app_id, conn)
        info = ValidToken(kind=TokenKind(row.kind), app_id=row.app_id, origin=Origin(row.origin),
                         long_lived=bool(row.long_lived), scopes=tuple(loads(row.scopes, [])),
                         issued_at=row.issued_at, expires_at=row.expires_at, source=Source(row.how),
                         token_id=row.id, user_id=row.user_id, page_id=row.page_id)
        scopes = list(info.scopes)
        data.update({
            "app_id": row.app_id, "type": info.kind.debug_type, "application": app.name if app else "",
            "data_access_expires_at": int(row.data_access_expires_at or 0),
            "expires_at": int(row.expires_at or 0), "issued_at": int(row.issued_at),
            "scopes": scopes, "granular_scopes": granular_scopes(auth, info, scopes, conn),
        })
    if row.user_id:
        data["user_id"] = row.user_id
    if row.page_id:
        data["profile_id"] = row.page_id
    return data


def describe_for(auth: Authority, viewer_app_id: str, token: str) -> dict[str, Any]:
    """debug_token's `data` for `token` as the app `viewer_app_id` may see it: its own tokens in full,
    another app's as a mismatch and nothing more."""
    return inspect_for(auth, viewer_app_id, token)[0]


def inspect_for(auth: Authority, viewer_app_id: str, token: str) -> tuple[dict[str, Any], ValidToken | None]:
    """`describe_for`, with the token's record when it is valid and the viewer's own (else None)."""
    try:
        info = resolve(auth, token)
    except errors.TokenError as exc:
        return describe_invalid(auth, token, exc, viewer_app_id), None
    if info.app_id != viewer_app_id:
        return {"is_valid": False, "scopes": [], "error": errors.NotViewingApp().short()}, None
    return describe(auth, info), info
