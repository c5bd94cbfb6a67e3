"""Scene-setting for the Page API tests: people with tasks, tokens with exact permissions, content."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from pagetoken.authority import apps, comments, issue, messages, oauth, pages, posts, roles, users, validation
from pagetoken.authority.context import Authority
from pagetoken.core.kinds import Source
from pagetoken.core.permissions import CATALOG, PAGE_PERMISSIONS

ALL_PAGE_PERMISSIONS = sorted(PAGE_PERMISSIONS)
BASIC = "pages_show_list,pages_read_engagement,pages_read_user_content,read_page_mailboxes,read_insights"
EVERYTHING = ",".join(ALL_PAGE_PERMISSIONS)
_seq = itertools.count()


def err(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert "error" in body, body
    return body["error"]


def person(auth: Authority, name: str = "Pat Person") -> str:
    user, _ = users.create(auth, name, f"p{next(_seq)}.{id(auth)}@example.com", "correct horse battery")
    return user.id


@dataclass
class Scene:
    """An app, a Page and its owner (every task), ready to hand out tokens."""

    auth: Authority
    app_id: str
    secret: str
    owner_id: str
    page_id: str

    def user_token(self, user_id: str, permissions: Iterable[str]) -> str:
        """A short-lived user token: the user granted the app exactly these permissions (for every Page)."""
        app = apps.require(self.auth, self.app_id)
        perms = list(permissions)
        declined = [p for p in CATALOG if p not in perms and p != "public_profile"]
        return oauth.grant_and_token(self.auth, app, user_id, ["public_profile", *perms], declined, None,
                                     source=Source.DIALOG).access_token

    def long_user_token(self, user_id: str, permissions: Iterable[str]) -> str:
        short = self.user_token(user_id, permissions)
        with self.auth.store.write() as conn:
            token, _ = issue.extend(self.auth, conn, validation.resolve(self.auth, short, conn))
        return token

    def page_token(self, user_id: str, permissions: Iterable[str], long_lived: bool = True) -> str:
        """A Page token for this Page, from a long-lived (extended tier) or short-lived (basic) user token."""
        user_token = self.long_user_token(user_id, permissions) if long_lived else self.user_token(
            user_id, permissions)
        with self.auth.store.write() as conn:
            token = issue.page_token_for_user(self.auth, conn, validation.resolve(self.auth, user_token, conn),
                                              self.page_id)
        assert token is not None
        return token

    def member(self, tasks: list[str], name: str = "Mo Member") -> str:
        uid = person(self.auth, name)
        roles.set_tasks(self.auth, self.page_id, uid, tasks)
        return uid

    # ---- content ----

    def post(self, message: str = "Hello from the Page") -> str:
        return posts.create(self.auth, self.page_id, message).id

    def visitor_post(self, message: str = "Hello Page!") -> str:
        return posts.create(self.auth, self.page_id, message, author_id=person(self.auth, "Vi Visitor")).id

    def visitor_comment(self, post_id: str, message: str = "Nice post") -> str:
        return comments.create(self.auth, post_id, message, author_id=person(self.auth, "Cy Commenter")).id

    def conversation(self, text: str = "Hi, are you open?") -> tuple[str, str]:
        """(conversation ID, the visitor's user ID)."""
        uid = person(self.auth, "Mia Messenger")
        msg = messages.receive(self.auth, self.page_id, uid, text)
        return msg.conversation_id, uid


def scene(auth: Authority) -> Scene:
    owner = person(auth, "Olive Owner")
    app, secret = apps.create(auth, "Page App", owner_id=owner, redirect_uris=["http://127.0.0.1:9/cb"])
    page = pages.create(auth, f"Page {next(_seq)}", "Bakery", owner)
    return Scene(auth, app.id, secret, owner, page.id)
