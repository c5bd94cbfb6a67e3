"""The scene the benchmarks measure: an app, its owner, a Page and their tokens, written the way the
server writes them; and stored tokens bulk-loaded in the exact form the server stores them."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import insert

from pagetoken.authority import apps, issue, oauth, pages, posts, users, validation
from pagetoken.authority.context import Authority, Settings
from pagetoken.core import tokens as token_format
from pagetoken.core.kinds import Origin, Source, TokenKind
from pagetoken.core.permissions import PAGE_PERMISSIONS
from pagetoken.store.db import dumps
from pagetoken.store.tables import tokens as tokens_table

DAY = 86400.0


def open_authority(data_dir: Path, db_url: str | None = None) -> Authority:
    return Authority.open(Settings(data_dir=data_dir, db_url=db_url))


def seed(auth: Authority, n_posts: int = 25) -> dict[str, str]:
    """An app, its owner (who granted every Page permission, for every Page), a Page with `n_posts` posts,
    a long-lived user token, a long-lived Page token and the app token."""
    user, _ = users.create(auth, "Bench Owner", "bench@example.com", "correct horse battery")
    app, secret = apps.create(auth, "Bench App", owner_id=user.id)
    page = pages.create(auth, "Bench Page", "Bakery", user.id)
    for i in range(n_posts):
        posts.create(auth, page.id, f"post {i}")
    short = oauth.grant_and_token(auth, app, user.id, sorted(PAGE_PERMISSIONS), [], None).access_token
    with auth.store.write() as conn:
        long_token, _ = issue.extend(auth, conn, validation.resolve(auth, short, conn))
        page_token = issue.page_token_for_user(auth, conn, validation.resolve(auth, long_token, conn), page.id)
    assert page_token is not None
    return {"app_id": app.id, "secret": secret, "user_id": user.id, "page_id": page.id, "user_token": long_token,
            "page_token": page_token, "app_token": issue.app_token(auth, app.id)}


_BODY = "".join(token_format.ALPHABET[b % len(token_format.ALPHABET)] for b in range(256)).encode()


def fast_token() -> str:
    """A token of the server's format (prefix, 44 base62 characters, checksum) made quickly: the body maps
    random bytes onto the alphabet (slightly uneven; it only has to be a real, unique, stored token)."""
    head = token_format.PREFIX + os.urandom(token_format.BODY_LEN).translate(_BODY).decode()
    return head + token_format._checksum(head)


def bulk_tokens(auth: Authority, app_id: str, user_id: str, count: int, keep_every: int = 1,
                batch: int = 20_000) -> Iterator[str]:
    """Store `count` long-lived user tokens of `user_id` for `app_id` with executemany, exactly as
    `issue._insert` writes a row (keyed hash, fingerprint, kind, scopes as JSON…); yields every
    `keep_every`-th token so the caller can validate a sample of what is stored."""
    now = auth.now()
    scopes = dumps(["pages_show_list"])
    done = 0
    while done < count:
        n = min(batch, count - done)
        fresh = [fast_token() for _ in range(n)]
        rows = [{"hash": auth.hash(t), "fingerprint": token_format.fingerprint(t), "kind": TokenKind.USER,
                 "long_lived": True, "origin": Origin.USER, "app_id": app_id, "user_id": user_id, "page_id": None,
                 "scopes": scopes, "issued_at": now, "expires_at": now + 60 * DAY, "parent_id": None,
                 "how": Source.EXCHANGE} for t in fresh]
        with auth.store.write() as conn:
            conn.execute(insert(tokens_table), rows)
        for i, t in enumerate(fresh):
            if (done + i) % keep_every == 0:
                yield t
        done += n


def sample(population: list[str], k: int, seed: int) -> list[str]:
    return random.Random(seed).sample(population, min(k, len(population)))
