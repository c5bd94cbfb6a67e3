"""Several nodes on one PostgreSQL: a node killed with SIGKILL in the middle of a stream of exchanges
loses no token a client received, and the other node keeps answering."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import httpx

from pagetoken.authority import apps, oauth, users
from pagetoken.authority.context import Authority, Settings
from tests.support.servers import ProcessServer


def test_kill_9_during_exchanges_loses_no_token_a_client_received(
        process_server_factory: type[ProcessServer], pg_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    auth = Authority.open(Settings(data_dir=data, db_url=pg_url))
    user, _ = users.create(auth, "Ana", None, "correct horse battery")
    app, secret = apps.create(auth, "App")
    short = oauth.grant_and_token(auth, app, user.id, ["pages_show_list"], [], None).access_token
    auth.close()
    doomed, survivor = process_server_factory(data, db=pg_url).start(), process_server_factory(data, db=pg_url).start()
    received: list[str] = []
    enough = threading.Event()

    def exchange_until_the_node_dies() -> None:
        with httpx.Client(base_url=doomed.url, timeout=5) as client:
            for _ in range(2000):  # bounded: the node is killed long before
                try:
                    answer = client.get("/oauth/access_token", params={
                        "grant_type": "fb_exchange_token", "client_id": app.id, "client_secret": secret,
                        "fb_exchange_token": short})
                except httpx.HTTPError:
                    return  # the node is gone: whatever was answered before counts
                assert answer.status_code == 200, answer.text
                received.append(answer.json()["access_token"])
                if len(received) == 20:
                    enough.set()

    stream = threading.Thread(target=exchange_until_the_node_dies)
    stream.start()
    assert enough.wait(timeout=60)
    assert doomed.proc is not None
    os.kill(doomed.proc.pid, signal.SIGKILL)
    stream.join(timeout=60)
    assert not stream.is_alive() and len(received) >= 20
    with httpx.Client(base_url=survivor.url, timeout=10) as client:
        refused = [t for t in received if client.get("/me", params={"access_token": t}).status_code != 200]
    assert refused == []
