"""Scenarios across the authority's modules: what the whole system keeps (and never keeps) at rest."""

from __future__ import annotations

from pagetoken.authority.context import Authority

from .scene import scene


def test_database_holds_no_token_and_no_secret(auth: Authority) -> None:
    s = scene(auth)
    from sqlalchemy import text

    with auth.store.read() as conn:
        dump = []
        for table in ("tokens", "apps", "codes", "meta", "grants"):
            dump += [repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table}"))]
    blob = "\n".join(dump)
    assert s.user_token not in blob and s.secret not in blob
