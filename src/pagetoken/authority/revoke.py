"""Revocation: marking token rows dead with the reason that decides their SPEC §3 error."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from pagetoken.core import errors
from pagetoken.core.tokens import is_well_formed
from pagetoken.store.tables import tokens

from .context import Authority

REVOKED = "revoked"            # tokens revoke, DELETE /oauth/access_token: 467
PASSWORD = "password"          # the user changed their password: 460
APP_REMOVED = "app_removed"    # the user removed the app: 458
TASK_LOST = "task_lost"        # the user lost their Page task: 190
SECRET_RESET = "secret_reset"  # the app secret was reset: 467
USER_DELETED = "user_deleted"  # the (test) user was deleted: 467


def error_for(reason: str, user_id: str | None, app_id: str) -> errors.GraphError:
    if reason == PASSWORD:
        return errors.PasswordChanged()
    if reason == APP_REMOVED:
        return errors.AppNotAuthorized(user_id or "", app_id)
    if reason == TASK_LOST:
        return errors.NotPageAdmin()
    if reason == SECRET_RESET:
        return errors.SessionInvalidated("the app secret was reset")
    if reason == USER_DELETED:
        return errors.SessionInvalidated("the user was deleted")
    return errors.SessionInvalidated()


def revoke_where(conn: Connection, now: float, reason: str, condition: Any) -> list[int]:
    """Revoke every live token matching `condition`; returns their row IDs."""
    live = condition & tokens.c.revoked_at.is_(None)
    ids = [r[0] for r in conn.execute(select(tokens.c.id).where(live))]
    if ids:
        conn.execute(update(tokens).where(live).values(revoked_at=now, revoked_reason=reason))
    return ids


def revoke_token(auth: Authority, token: str) -> bool:
    """Revoke one token by its value (467 from then on). False when it is unknown or already dead."""
    if not is_well_formed(token):
        return False
    now = auth.now()
    with auth.store.write() as conn:
        ids = revoke_where(conn, now, REVOKED, tokens.c.hash == auth.hash(token))
    if ids:
        auth.emit("tokens_revoked", token_ids=ids)
    return bool(ids)
