"""The demo seed of `make serve`: an app, a user with a password, and a Page, ready for the walkthrough.

The password is kept only to be printed again; it is checked against the user each time, so after
`pagetoken users set-password` the banner says it changed instead of printing a stale one."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from pagetoken.authority import apps, pages, users
from pagetoken.authority.context import Authority
from pagetoken.authority.grants import consent
from pagetoken.core.permissions import CATALOG

FILENAME = "demo.json"
EMAIL = "demo@pagetoken.test"


@dataclass
class Demo:
    app_id: str
    user_id: str
    page_id: str
    email: str
    password: str | None  # None once it no longer logs in (someone set another one)


def seed(auth: Authority, data_dir: Path, base_url: str) -> tuple[Demo, str]:
    """The demo app, user and Page (made once, then read back) and the app secret."""
    path = data_dir / FILENAME
    if path.exists():
        demo = Demo(**json.loads(path.read_text()))
        if apps.get(auth, demo.app_id) and users.get(auth, demo.user_id) and pages.get(auth, demo.page_id):
            secret = apps.secret(auth, demo.app_id)
            assert secret is not None
            if demo.password and users.authenticate(auth, demo.email, demo.password) is None:
                demo.password = None
                _write(path, demo)
            return demo, secret
    existing = users.by_email(auth, EMAIL)
    if existing is not None:
        users.delete_user(auth, existing.id)
    user, password = users.create(auth, "Demo User", EMAIL)
    callback = f"{base_url.rstrip('/')}/explorer/callback"
    app, secret = apps.create(auth, "Demo App", owner_id=user.id,
                              redirect_uris=[callback, "http://localhost:8787/explorer/callback"])
    page = pages.create(auth, "Demo Page", "Software", user.id)
    with auth.store.write() as conn:
        consent(auth, conn, user.id, app.id, list(CATALOG))
    demo = Demo(app.id, user.id, page.id, EMAIL, password)
    data_dir.mkdir(parents=True, exist_ok=True)
    _write(path, demo)
    return demo, secret


def _write(path: Path, demo: Demo) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(asdict(demo), fh, indent=2)
