"""The demo seed `make serve` runs: made once, read back after, made again when it no longer holds."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from pagetoken.authority import apps, pages, users
from pagetoken.authority.context import Authority
from pagetoken.authority.grants import granted
from pagetoken.core.permissions import CATALOG
from pagetoken.demo import EMAIL, FILENAME, seed


def test_seed_makes_a_ready_demo_and_reads_it_back(auth: Authority, tmp_path: Path) -> None:
    demo, secret = seed(auth, tmp_path / "data", "http://127.0.0.1:9999/")
    app = apps.require(auth, demo.app_id)
    assert app.name == "Demo App" and app.owner_id == demo.user_id
    assert app.redirect_uris[0] == "http://127.0.0.1:9999/explorer/callback"
    assert apps.secret(auth, demo.app_id) == secret
    assert users.authenticate(auth, EMAIL, demo.password) is not None and demo.email == EMAIL
    page = pages.get(auth, demo.page_id)
    assert page is not None and page.name == "Demo Page"
    assert set(granted(auth, demo.user_id, demo.app_id)) == set(CATALOG)  # the user installed the app
    saved = tmp_path / "data" / FILENAME
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # it holds the password
    assert json.loads(saved.read_text())["password"] == demo.password

    again, same_secret = seed(auth, tmp_path / "data", "http://127.0.0.1:9999")
    assert again == demo and same_secret == secret  # read back, nothing new made
    assert len(users.list_all(auth)) == 1 and len(apps.list_all(auth)) == 1


def test_seed_starts_over_when_the_saved_demo_is_gone(auth: Authority, tmp_path: Path) -> None:
    first, _ = seed(auth, tmp_path / "data", "http://127.0.0.1:9999")
    users.delete_user(auth, first.user_id)  # the demo user was deleted by hand
    second, secret = seed(auth, tmp_path / "data", "http://127.0.0.1:9999")
    assert second.user_id != first.user_id and second.app_id != first.app_id
    assert apps.secret(auth, second.app_id) == secret
    assert users.authenticate(auth, EMAIL, second.password) is not None


def test_seed_replaces_a_leftover_demo_user(auth: Authority, tmp_path: Path) -> None:
    leftover, _password = users.create(auth, "Someone", EMAIL, "an old password")  # demo.json was lost
    demo, _ = seed(auth, tmp_path / "data", "http://127.0.0.1:9999")
    assert users.get(auth, leftover.id) is None and demo.user_id != leftover.id
    assert users.by_email(auth, EMAIL) is not None
