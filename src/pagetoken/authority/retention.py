"""Retention: forgetting dead token rows and spent codes once nobody needs to ask about them.

A revoked or expired token's row is what lets `debug_token` say *why* it stopped working; after the
retention period it goes, and the token then reads as unknown (190). Codes go once used or lapsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from pagetoken.store.tables import codes, tokens

from .context import Authority

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Purged:
    tokens: int
    codes: int


def purge(auth: Authority, older_than_days: float = DEFAULT_DAYS, dry_run: bool = False) -> Purged:
    """Delete token rows dead (revoked or expired) for longer than the period, and spent codes."""
    if older_than_days < 0:
        raise ValueError("the retention period cannot be negative")
    cutoff = auth.now() - older_than_days * 86400
    dead = (tokens.c.revoked_at < cutoff) | (tokens.c.expires_at < cutoff)
    spent = (codes.c.used_at < cutoff) | (codes.c.expires_at < cutoff)
    with auth.store.write() as conn:
        counts = Purged(
            conn.execute(select(func.count()).select_from(tokens).where(dead)).scalar_one(),
            conn.execute(select(func.count()).select_from(codes).where(spent)).scalar_one())
        if not dry_run:
            conn.execute(delete(tokens).where(dead))
            conn.execute(delete(codes).where(spent))
    return counts
