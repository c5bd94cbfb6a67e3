"""OAuth: the dialog's codes, and the grants of `/oauth/access_token` (code, client credentials,
fb_exchange_token), plus test users, who come with a token of their own."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import RevocationReason, Source, TokenKind
from pagetoken.core.permissions import UnknownPermission, parse_scope
from pagetoken.core.proof import proof_matches
from pagetoken.store.db import dumps
from pagetoken.store.tables import codes, tokens

from . import apps, grants, issue, revoke, users, validation
from .context import Authority
from .records import App, User, ValidToken


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_at: float | None

    def answer(self, now: float) -> dict[str, object]:
        out: dict[str, object] = {"access_token": self.access_token, "token_type": "bearer"}
        if self.expires_at is not None:
            out["expires_in"] = max(0, int(self.expires_at - now))
        return out


def scopes_or_error(raw: str | None) -> list[str]:
    try:
        return parse_scope(raw)
    except UnknownPermission as exc:
        raise errors.BadParameter(f"Invalid Scopes: {exc.name}. This message is only shown to developers.") from exc


def grant_and_code(auth: Authority, app: App, user_id: str, redirect_uri: str, granted: list[str],
                   declined: list[str], target_ids: list[str] | None) -> str:
    """The user approved the dialog: record the consent and hand back a single-use code."""
    code = secrets.token_urlsafe(32)
    now = auth.now()
    with auth.store.write() as conn:
        grants.consent(auth, conn, user_id, app.id, granted, declined, target_ids)
        conn.execute(insert(codes).values(
            hash=auth.hash(code), app_id=app.id, user_id=user_id, redirect_uri=redirect_uri,
            scopes=dumps(granted), issued_at=now, expires_at=now + auth.lifetimes.code))
    return code


def grant_and_token(auth: Authority, app: App, user_id: str, granted: list[str], declined: list[str],
                    target_ids: list[str] | None, source: Source = Source.DIALOG) -> Issued:
    """The user approved (dialog with response_type=token, or the Explorer): a short-lived token."""
    with auth.store.write() as conn:
        grants.consent(auth, conn, user_id, app.id, granted, declined, target_ids)
        token, expires = issue.user_token(auth, conn, user_id, app.id, source)
    return Issued(token, expires)


def redeem_code(auth: Authority, app: App, redirect_uri: str | None, code: str | None) -> Issued:
    """Code → short-lived user token. A code works once, before it lapses, with its own redirect_uri."""
    if not code:
        raise errors.BadParameter("Missing code parameter.")
    now = auth.now()
    with auth.store.write() as conn:
        row = conn.execute(select(codes).where(codes.c.hash == auth.hash(code))).first()
        if row is None or row.app_id != app.id or (redirect_uri or "") != row.redirect_uri:
            raise errors.BadVerificationCode()
        used = row.used_at is not None
        if not used and now >= row.expires_at:
            raise errors.CodeExpired()
        if not used:
            taken = conn.execute(update(codes).where((codes.c.hash == row.hash) & codes.c.used_at.is_(None))
                                 .values(used_at=now))
            used = taken.rowcount != 1
        if not used:
            token, expires = issue.user_token(auth, conn, row.user_id, app.id, Source.CODE)
            return Issued(token, expires)
        # A code seen twice may have leaked: what it gave dies with it (OAuth 2.0, RFC 6749 §4.1.2).
        _revoke_given_by(auth, conn, row)
    raise errors.CodeUsed()


def _revoke_given_by(auth: Authority, conn: Connection, code_row: Any) -> list[int]:
    """Revoke the token a code gave (issued from it when it was redeemed) and every token made from it."""
    given = (tokens.c.how == Source.CODE.value) & (tokens.c.app_id == code_row.app_id) \
        & (tokens.c.user_id == code_row.user_id) & (tokens.c.issued_at == code_row.used_at)
    frontier = [r[0] for r in conn.execute(select(tokens.c.id).where(given))]
    family = list(frontier)
    while frontier:
        frontier = [r[0] for r in conn.execute(select(tokens.c.id).where(tokens.c.parent_id.in_(frontier)))]
        family.extend(frontier)
    if not family:
        return []
    return revoke.revoke(auth, conn, RevocationReason.API_CALL, tokens.c.id.in_(family))


def client_credentials(auth: Authority, app: App, page_id: str | None) -> Issued:
    """An app token, or with `page_id` a short-lived app-derived Page token."""
    if not page_id:
        return Issued(issue.app_token(auth, app.id), None)
    token, expires = auth.store.write_grouped(
        lambda conn: issue.page_token_for_app(auth, conn, app.id, page_id, long_lived=False))
    return Issued(token, expires)


def app_page_token(auth: Authority, info: ValidToken, proof: str | None, page_id: str,
                   long_lived: bool) -> Issued:
    """A Page token from an app token; the app proves itself with appsecret_proof."""
    if info.kind != TokenKind.APP:
        raise errors.BadParameter("an app access token is required")
    secret = apps.secret(auth, info.app_id)
    if not proof:
        raise errors.ProofRequired()
    if secret is None or not proof_matches(info.raw, secret, proof):
        raise errors.ProofInvalid()
    token, expires = auth.store.write_grouped(lambda conn: issue.page_token_for_app(
        auth, conn, info.app_id, page_id, long_lived, parent_id=info.token_id))
    return Issued(token, expires)


def exchange(auth: Authority, app: App, fb_exchange_token: str | None) -> Issued:
    """fb_exchange_token: extend a valid user token or long-lived Page token of this app."""
    if not fb_exchange_token:
        raise errors.BadParameter("Missing fb_exchange_token parameter.")
    info = validation.resolve(auth, fb_exchange_token)  # from memory while nothing changed
    if info.app_id != app.id:
        raise errors.BadParameter("The token was issued to a different application than client_id.")
    token, expires = auth.store.write_grouped(lambda conn: issue.extend(auth, conn, info))
    return Issued(token, expires)


def create_test_user(auth: Authority, app_id: str, name: str | None, installed: bool,
                     permissions: str | None) -> tuple[User, str, Issued | None]:
    """A test user of the app; when installed, with the permissions granted and a short-lived token."""
    perms = scopes_or_error(permissions)
    with auth.store.write() as conn:
        user, password = users.create(auth, name or "Test User", test_app_id=app_id, conn=conn)
        issued = None
        if installed:
            grants.consent(auth, conn, user.id, app_id, perms or ["public_profile"])
            token, expires = issue.user_token(auth, conn, user.id, app_id, Source.TEST_USER)
            issued = Issued(token, expires)
    return user, password, issued


def test_user_listing(auth: Authority, app_id: str) -> list[tuple[User, str | None]]:
    """The app's test users, each with a fresh short-lived token when the app is installed for them
    (tokens are never stored, so a listing hands out new ones, as the Graph API's does)."""
    out: list[tuple[User, str | None]] = []
    with auth.store.write() as conn:
        for user in users.test_users(auth, app_id):
            token = None
            if grants.installed(auth, user.id, app_id, conn):
                token, _ = issue.user_token(auth, conn, user.id, app_id, Source.TEST_USER)
            out.append((user, token))
    return out
