"""The scene most authority tests start from: a user, an app they installed, a Page they own."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pagetoken.authority import apps, issue, oauth, pages, users, validation
from pagetoken.authority.context import Authority
from pagetoken.core.errors import ApiError

ALL = ["pages_show_list", "pages_read_engagement", "pages_manage_posts", "read_insights", "pages_manage_metadata"]


@dataclass
class Scene:
    app: apps.App
    secret: str
    user_id: str
    page_id: str
    user_token: str


def scene(auth: Authority, perms: list[str] = ALL, targets: list[str] | None = None) -> Scene:
    user, _ = users.create(auth, "Ana", None, "password123")
    app, secret = apps.create(auth, "App", redirect_uris=["https://app.example/cb"])
    page = pages.create(auth, "Page", "Shop", user.id)
    issued = oauth.grant_and_token(auth, app, user.id, perms, [], targets)
    return Scene(app, secret, user.id, page.id, issued.access_token)


def code_of(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, int | None]:
    return exc.value.code, exc.value.subcode


def page_token(auth: Authority, user_token: str, page_id: str) -> str:
    """The user's Page token for `page_id`, made from `user_token` as `/me/accounts` makes it."""
    with auth.store.write() as conn:
        tok = issue.page_token_for_user(auth, conn, validation.resolve(auth, user_token, conn), page_id)
    assert tok is not None
    return tok
