"""Requests per second of a Page feed read on a local server (127.0.0.1, bounded loops).

After a warm-up, only successful answers (200) count towards the rate; any other answer is reported by
status and the script exits non-zero.

    .venv/bin/python bench/page_api.py [--requests 1000] [--posts 25] [--clients 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.servers import ProcessServer  # noqa: E402

from pagetoken.authority import apps, issue, oauth, pages, posts, users, validation  # noqa: E402
from pagetoken.authority.context import Authority, Settings  # noqa: E402
from pagetoken.core.permissions import PAGE_PERMISSIONS  # noqa: E402


def page_token(auth: Authority, n_posts: int) -> tuple[str, str]:
    """A Page with `n_posts` posts, and a long-lived Page token with every Page permission."""
    user, _ = users.create(auth, "Bench Owner", "bench@example.com", "correct horse battery")
    app, _ = apps.create(auth, "Bench App", owner_id=user.id)
    page = pages.create(auth, "Bench Page", "Bakery", user.id)
    for i in range(n_posts):
        posts.create(auth, page.id, f"post {i}")
    short = oauth.grant_and_token(auth, app, user.id, sorted(PAGE_PERMISSIONS), [], None).access_token
    with auth.store.write() as conn:
        long_token, _ = issue.extend(auth, conn, validation.resolve(auth, short, conn))
        token = issue.page_token_for_user(auth, conn, validation.resolve(auth, long_token, conn), page.id)
    assert token is not None
    return page.id, token


def run(requests: int, n_posts: int, clients: int, workers: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        auth = Authority.open(Settings(data))  # the scene, written where the server will find it
        page_id, token = page_token(auth, n_posts)
        auth.close()
        # The server in its own processes, so the clients here do not share its interpreter.
        server = ProcessServer(data, env={"PAGETOKEN_LOG_LEVEL": "WARNING"}, workers=workers).start()
        feed = f"{server.url}/v25.0/{page_id}/feed"

        def worker(count: int) -> Counter[int]:
            statuses: Counter[int] = Counter()
            with httpx.Client(timeout=10) as client:
                for _ in range(count):
                    try:
                        statuses[client.get(feed, params={"access_token": token, "limit": "25"}).status_code] += 1
                    except httpx.HTTPError:
                        statuses[0] += 1  # no answer at all
            return statuses

        warm_up = worker(20)
        per_client = max(1, requests // clients)
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            statuses = sum(pool.map(worker, [per_client] * clients), Counter())
        elapsed = time.perf_counter() - started
        server.stop()
        ok, total = statuses[200], per_client * clients
        print(f"GET /{{page-id}}/feed ({n_posts} posts, {clients} clients, {workers} server processes): "
              f"{ok} ok of {total} in {elapsed:.2f} s, {ok / elapsed:.0f} successful requests/second")
        failures = {code: n for code, n in (warm_up + statuses).items() if code != 200}
        if failures:
            print(f"FAILED: answers other than 200 (0 = no answer): {failures}", file=sys.stderr)
        return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=25)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()
    return run(min(args.requests, 100_000), min(args.posts, 1000), max(1, min(args.clients, 32)),
               max(1, min(args.workers, 8)))


if __name__ == "__main__":
    sys.exit(main())
