"""Apps: creation, their secrets (sealed under the master key), settings and secret reset."""

from __future__ import annotations

import re
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import ObjectType, Origin, RevocationReason, TokenKind
from pagetoken.core.proof import same_secret
from pagetoken.core.tokens import new_app_secret
from pagetoken.store.db import dumps
from pagetoken.store.store import add_node
from pagetoken.store.tables import app_developers, apps, tokens, users

from . import objects, revoke
from .context import Authority
from .records import App


def _aad(app_id: str) -> str:
    return f"apps.secret:{app_id}"


def validate_url(url: str, what: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.BadParameter(f"{what} must be an absolute http(s) URL, not {url!r}")
    if parts.fragment:
        raise errors.BadParameter(f"{what} must not contain a fragment")
    return url


def create(auth: Authority, name: str, owner_id: str | None = None,
           redirect_uris: list[str] | None = None, node_id: str | None = None,
           secret: str | None = None) -> tuple[App, str]:
    """A new app and its secret (shown once to its creator); a fixture may choose the ID and secret."""
    name = name.strip()
    if not name or len(name) > 200:
        raise errors.BadParameter("name must be 1 to 200 characters")
    uris = [validate_url(u, "redirect_uri") for u in (redirect_uris or [])]
    if secret is not None and not re.fullmatch(r"[0-9a-f]{32}", secret):
        raise errors.BadParameter("an app secret is 32 lowercase hex digits, as the Graph API's are")
    secret = secret or new_app_secret()
    now = auth.now()
    with auth.store.write() as conn:
        app_id = add_node(conn, ObjectType.APPLICATION, now, node_id)
        conn.execute(insert(apps).values(
            id=app_id, name=name, secret_sealed=auth.keyring.seal_text(secret, _aad(app_id)),
            require_proof=False, redirect_uris=dumps(uris), deauthorize_url=None, owner_id=owner_id,
            created_at=now, secret_reset_at=None))
    app = get(auth, app_id)
    assert app is not None
    return app, secret


def get(auth: Authority, app_id: str, conn: Connection | None = None) -> App | None:
    return objects.cached_by_id(auth, "app", apps, app_id, App.from_row, conn)


def require(auth: Authority, app_id: str) -> App:
    return objects.existing(get(auth, app_id), app_id)


def list_all(auth: Authority, owner_id: str | None = None) -> list[App]:
    """Every app; with `owner_id`, the apps that user owns or develops."""
    query = select(apps).order_by(apps.c.created_at)
    if owner_id is not None:
        developed = select(app_developers.c.app_id).where(app_developers.c.user_id == owner_id)
        query = query.where(or_(apps.c.owner_id == owner_id, apps.c.id.in_(developed)))
    with auth.store.read() as conn:
        return [App.from_row(r) for r in conn.execute(query)]


_SECRET = select(apps.c.secret_sealed).where(apps.c.id == bindparam("app_id"))


def secret(auth: Authority, app_id: str, conn: Connection | None = None) -> str | None:
    def load() -> str | None:
        with auth.store.reading(conn) as c:
            sealed = c.execute(_SECRET, {"app_id": app_id}).scalar()
        return auth.keyring.open_text(sealed, _aad(app_id)) if sealed is not None else None

    return cast("str | None", objects.remembered(auth, ("secret", app_id), load, conn))


def check_secret(auth: Authority, app_id: str | None, given: str | None) -> App:
    """The app when `given` is its secret; otherwise the Graph's error for bad client credentials."""
    if not app_id:
        raise errors.BadParameter("Missing client_id parameter.")
    if not given:
        raise errors.BadParameter("Missing client_secret parameter.")
    app = get(auth, app_id)
    real = secret(auth, app_id) if app else None
    if app is None or real is None or not same_secret(real, given):
        raise errors.BadClientSecret()
    return app


def reset_secret(auth: Authority, app_id: str) -> str:
    """A new secret; every app token and app-derived Page token of the app stops working."""
    require(auth, app_id)
    new = new_app_secret()
    now = auth.now()
    with auth.store.write() as conn:
        conn.execute(update(apps).where(apps.c.id == app_id).values(
            secret_sealed=auth.keyring.seal_text(new, _aad(app_id)), secret_reset_at=now))
        revoke.revoke(auth, conn, RevocationReason.SECRET_RESET,
                      (tokens.c.app_id == app_id) & (tokens.c.origin == Origin.APP))
    auth.emit("app_changed", app_id=app_id)
    return new


def configure(auth: Authority, app_id: str, *, require_proof: bool | None = None,
              redirect_uris: list[str] | None = None, deauthorize_url: str | None = None,
              name: str | None = None) -> App:
    require(auth, app_id)
    values: dict[str, object] = {}
    if require_proof is not None:
        values["require_proof"] = require_proof
    if redirect_uris is not None:
        values["redirect_uris"] = dumps([validate_url(u, "redirect_uri") for u in redirect_uris if u.strip()])
    if deauthorize_url is not None:
        values["deauthorize_url"] = validate_url(deauthorize_url, "deauthorize_url") if deauthorize_url else None
    if name is not None:
        if not name.strip() or len(name) > 200:
            raise errors.BadParameter("name must be 1 to 200 characters")
        values["name"] = name.strip()
    if values:
        with auth.store.write() as conn:
            conn.execute(update(apps).where(apps.c.id == app_id).values(**values))
        auth.emit("app_changed", app_id=app_id)
    return require(auth, app_id)


def live_token_counts(auth: Authority, app_id: str) -> dict[str, int]:
    """How many live tokens the app holds, by kind (`app`, `user`, `page`); its app token is derived, not
    stored, and always counts as one."""
    now = auth.now()
    query = (select(tokens.c.kind, func.count()).where(
        (tokens.c.app_id == app_id) & tokens.c.revoked_at.is_(None)
        & (tokens.c.expires_at.is_(None) | (tokens.c.expires_at > now))).group_by(tokens.c.kind))
    counts = {kind.value: 0 for kind in TokenKind}
    with auth.store.read() as conn:
        for kind, n in conn.execute(query).tuples():
            counts[str(kind)] = int(n)
    counts[TokenKind.APP.value] += 1
    return counts


def add_developer(auth: Authority, app_id: str, user_id: str) -> bool:
    """Make `user_id` a developer of the app (False when they own or develop it already)."""
    app = require(auth, app_id)
    if app.owner_id == user_id:
        return False
    with auth.store.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise errors.ObjectMissing(user_id)
        if conn.execute(select(app_developers.c.user_id).where(
                (app_developers.c.app_id == app_id) & (app_developers.c.user_id == user_id))).first():
            return False
        if app.owner_id is None:  # an app nobody owned gets its first developer as owner
            conn.execute(update(apps).where(apps.c.id == app_id).values(owner_id=user_id))
        else:
            conn.execute(insert(app_developers).values(app_id=app_id, user_id=user_id, added_at=auth.now()))
    auth.emit("app_changed", app_id=app_id)
    return True


def developers(auth: Authority, app_id: str) -> list[dict[str, str]]:
    """Who develops the app: its owner (role `administrator`) first, then its developers."""
    app = require(auth, app_id)
    with auth.store.read() as conn:
        rows = conn.execute(select(users.c.id, users.c.name, app_developers.c.user_id.label("dev")).select_from(
            users.outerjoin(app_developers, (app_developers.c.user_id == users.c.id)
                            & (app_developers.c.app_id == app_id)))
            .where(or_(users.c.id == app.owner_id, app_developers.c.app_id == app_id))
            .order_by(app_developers.c.added_at)).all()
    people = [{"id": r.id, "name": r.name, "role": "administrator" if r.id == app.owner_id else "developer"}
              for r in rows]
    return sorted(people, key=lambda p: p["role"] != "administrator")


def is_developer(auth: Authority, app: App, user_id: str) -> bool:
    if app.owner_id == user_id:
        return True
    with auth.store.read() as conn:
        return conn.execute(select(app_developers.c.user_id).where(
            (app_developers.c.app_id == app.id) & (app_developers.c.user_id == user_id))).first() is not None
