"""Revocation: marking token rows dead with the reason that decides their SPEC §3 error.

Every trigger (password change, app removal, lost Page task, secret reset, user deletion, an
explicit API call) goes through `revoke`, inside the trigger's own write transaction; once that
transaction commits, the store moves the change counter (every process's caches drop what they knew)
and listeners (metrics) hear ``tokens_revoked``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from pagetoken.core.kinds import RevocationReason
from pagetoken.core.tokens import is_well_formed
from pagetoken.store.tables import tokens

from .context import Authority


def revoke(auth: Authority, conn: Connection, reason: RevocationReason, condition: Any) -> list[int]:
    """Revoke every live token matching `condition` for `reason`; returns their row IDs."""
    live = condition & tokens.c.revoked_at.is_(None)
    ids = [r[0] for r in conn.execute(select(tokens.c.id).where(live))]
    if ids:
        conn.execute(update(tokens).where(live).values(revoked_at=auth.now(), revoked_reason=reason.value))
        auth.store.after_commit(conn, lambda: auth.emit("tokens_revoked", token_ids=ids, reason=reason))
    return ids


def revoke_token(auth: Authority, token: str) -> bool:
    """Revoke one token by its value (466 from then on). False when it is unknown or already dead, and for
    an app token, which is derived rather than stored: resetting the secret replaces it."""
    if not is_well_formed(token):
        return False
    with auth.store.write() as conn:
        ids = revoke(auth, conn, RevocationReason.API_CALL, tokens.c.hash == auth.hash(token))
    return bool(ids)
