"""Consent: which permissions a user granted (or declined) an app, for which Pages, until when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import RevocationReason
from pagetoken.core.permissions import CATALOG, LEGACY, MANAGE, PAGE_PERMISSIONS
from pagetoken.store.db import dumps, loads
from pagetoken.store.tables import authorizations, grants, page_roles, tokens

from . import callbacks, objects, revoke
from .context import Authority

GRANTED = "granted"
DECLINED = "declined"


@dataclass(frozen=True)
class Grant:
    permission: str
    status: str
    target_ids: tuple[str, ...] | None  # None: every Page where the user holds a task

    def covers(self, page_id: str) -> bool:
        return self.target_ids is None or page_id in self.target_ids


def consent(auth: Authority, conn: Connection, user_id: str, app_id: str, granted: Iterable[str],
            declined: Iterable[str] = (), target_ids: Iterable[str] | None = None) -> None:
    """Record a consent: the app is (re)installed and data access runs 90 days from now."""
    now = auth.now()
    targets = None if target_ids is None else dumps(sorted(set(target_ids)))
    row = conn.execute(select(authorizations).where(
        (authorizations.c.user_id == user_id) & (authorizations.c.app_id == app_id))).first()
    values = {"consented_at": now, "data_access_expires_at": now + auth.lifetimes.data_access, "removed_at": None}
    if row is None:
        conn.execute(insert(authorizations).values(user_id=user_id, app_id=app_id, **values))
    else:
        conn.execute(update(authorizations).where(
            (authorizations.c.user_id == user_id) & (authorizations.c.app_id == app_id)).values(**values))
    for perm, status in [(p, GRANTED) for p in granted] + [(p, DECLINED) for p in declined]:
        if perm not in CATALOG:
            raise errors.BadParameter(f"Invalid Scopes: {perm}")
        key = (grants.c.user_id == user_id) & (grants.c.app_id == app_id) & (grants.c.permission == perm)
        tgt = targets if perm in PAGE_PERMISSIONS else None
        if conn.execute(select(grants.c.permission).where(key)).first() is None:
            conn.execute(insert(grants).values(user_id=user_id, app_id=app_id, permission=perm, status=status,
                                               target_ids=tgt, updated_at=now))
        else:
            conn.execute(update(grants).where(key).values(status=status, target_ids=tgt, updated_at=now))
    auth.emit("permissions_changed", user_id=user_id, app_id=app_id)


def _grant(row: Any) -> Grant:
    targets = loads(row.target_ids)
    return Grant(row.permission, row.status, None if targets is None else tuple(targets))


_LIST = (select(grants).where((grants.c.user_id == bindparam("user_id")) & (grants.c.app_id == bindparam("app_id")))
         .order_by(grants.c.permission))


def list_grants(auth: Authority, user_id: str, app_id: str, conn: Connection | None = None) -> list[Grant]:
    def load() -> tuple[Grant, ...]:
        with auth.store.reading(conn) as c:
            return tuple(_grant(r) for r in c.execute(_LIST, {"user_id": user_id, "app_id": app_id}))

    return list(objects.remembered(auth, ("grants", user_id, app_id), load, conn))


def granted(auth: Authority, user_id: str, app_id: str, page_id: str | None = None,
            conn: Connection | None = None) -> list[str]:
    """Permissions the user grants the app now; with `page_id`, only those that cover that Page."""
    out = []
    for g in list_grants(auth, user_id, app_id, conn=conn):
        if g.status != GRANTED:
            continue
        if page_id is not None and (g.permission not in PAGE_PERMISSIONS or not g.covers(page_id)):
            continue
        out.append(g.permission)
    return out


_AUTHORIZATION = select(authorizations).where(
    (authorizations.c.user_id == bindparam("user_id")) & (authorizations.c.app_id == bindparam("app_id")))


def authorization(auth: Authority, user_id: str, app_id: str, conn: Connection | None = None) -> Any:
    with auth.store.reading(conn) as conn:
        return conn.execute(_AUTHORIZATION, {"user_id": user_id, "app_id": app_id}).first()


def installed(auth: Authority, user_id: str, app_id: str, conn: Connection | None = None) -> bool:
    """Whether the user has the app installed now (from memory while nothing changed)."""
    def load() -> bool:
        row = authorization(auth, user_id, app_id, conn=conn)
        return row is not None and row.removed_at is None

    return bool(objects.remembered(auth, ("installed", user_id, app_id), load, conn))


def app_page_permissions(auth: Authority, app_id: str, page_id: str,
                         conn: Connection | None = None) -> tuple[set[str], str | None]:
    """What a Page granted an app: Page permissions granted by its MANAGE holders, and one such grantor."""
    perms, grantor = objects.remembered(auth, ("app_page", app_id, page_id),
                                        lambda: _app_page_permissions(auth, app_id, page_id, conn), conn)
    return set(perms), grantor


def _app_page_permissions(auth: Authority, app_id: str, page_id: str,
                          conn: Connection | None) -> tuple[frozenset[str], str | None]:
    with auth.store.reading(conn) as conn:
        rows = conn.execute(
            select(grants.c.permission, grants.c.target_ids, grants.c.user_id, page_roles.c.tasks)
            .select_from(grants.join(page_roles, and_(page_roles.c.user_id == grants.c.user_id,
                                                      page_roles.c.page_id == page_id))
                         .join(authorizations, and_(authorizations.c.user_id == grants.c.user_id,
                                                    authorizations.c.app_id == grants.c.app_id)))
            .where((grants.c.app_id == app_id) & (grants.c.status == GRANTED)
                   & authorizations.c.removed_at.is_(None)))
        perms: set[str] = set()
        grantor = None
        for r in rows:
            targets = loads(r.target_ids)
            if MANAGE not in loads(r.tasks, []) or r.permission not in PAGE_PERMISSIONS:
                continue
            if targets is None or page_id in targets:
                perms.add(r.permission)
                grantor = grantor or r.user_id
        return frozenset(perms), grantor


def remove_app(auth: Authority, user_id: str, app_id: str) -> bool:
    """The user removes the app: grants go, every token of the user for the app dies with 458."""
    now = auth.now()
    with auth.store.write() as conn:
        auth_row = authorization(auth, user_id, app_id, conn=conn)
        conn.execute(delete(grants).where((grants.c.user_id == user_id) & (grants.c.app_id == app_id)))
        if auth_row is not None:
            conn.execute(update(authorizations).where(
                (authorizations.c.user_id == user_id) & (authorizations.c.app_id == app_id)
            ).values(removed_at=now))
        revoke.revoke(auth, conn, RevocationReason.APP_REMOVED,
                      (tokens.c.user_id == user_id) & (tokens.c.app_id == app_id))
        if auth_row is not None and auth_row.removed_at is None:
            callbacks.enqueue(conn, user_id, app_id, now)
    if auth_row is not None and auth_row.removed_at is None:
        auth.emit("app_removed", user_id=user_id, app_id=app_id, at=now)
    return True


def remove_permission(auth: Authority, user_id: str, app_id: str, permission: str) -> bool:
    """Decline one permission: tokens keep working, without that permission."""
    names = list(LEGACY.get(permission, (permission,)))  # a legacy name removes what it expands to
    for name in names:
        if name not in CATALOG:
            raise errors.BadParameter(f"Invalid permission: {permission}")
    now = auth.now()
    with auth.store.write() as conn:
        for name in names:
            conn.execute(update(grants).where(
                (grants.c.user_id == user_id) & (grants.c.app_id == app_id) & (grants.c.permission == name)
            ).values(status=DECLINED, updated_at=now))
    auth.emit("permissions_changed", user_id=user_id, app_id=app_id)
    return True


def authorized_apps(auth: Authority, user_id: str, conn: Connection | None = None) -> list[Any]:
    """The user's live installations (rows of `authorizations`)."""
    with auth.store.reading(conn) as conn:
        return list(conn.execute(select(authorizations).where(
            (authorizations.c.user_id == user_id) & authorizations.c.removed_at.is_(None))
            .order_by(authorizations.c.consented_at)))
