"""Caches are emptied by changes, not by time: a revocation through one authority (another process,
another node) is refused by another whose cache held the token as valid, long before any TTL."""

from __future__ import annotations

import pytest

from pagetoken.authority import apps, grants, issue, oauth, pages, revoke, roles, users, validation
from pagetoken.authority.cache import TTLCache
from pagetoken.authority.context import Authority
from pagetoken.authority.records import App, Page, User
from pagetoken.core import errors
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import KeyRing
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.store.store import Store
from tests.support.changes import Heard


def _refused(auth: Authority, token: str) -> bool:
    try:
        validation.resolve(auth, token)
    except errors.TokenError:
        return True
    return False


@pytest.fixture
def two(db_url: str, clock: ManualClock, keyring: KeyRing, monkeypatch: pytest.MonkeyPatch
        ) -> tuple[Authority, Authority]:
    monkeypatch.setenv("PAGETOKEN_CACHE_SECONDS", "300")  # the backstop must play no part
    a = Authority(Store.open(db_url), keyring, clock, Lifetimes())
    b = Authority(Store.open(db_url), keyring, clock, Lifetimes())
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def keyring() -> KeyRing:
    from pagetoken.core.keyring import new_key

    return KeyRing([new_key()])


def _owner_app_page_and_manager(a: Authority) -> tuple[User, App, Page, User]:
    """Ana owns a Page of which Bo is a manager too, and an app neither has installed yet."""
    owner, _ = users.create(a, "Ana", None, "password123")
    app, _ = apps.create(a, "App")
    page = pages.create(a, "Shop", "Cafe", owner.id)
    helper, _ = users.create(a, "Bo", None, "password123")
    roles.assign(a, page.id, helper.id, ["MANAGE"])
    return owner, app, page, helper


@pytest.mark.parametrize("how", ["revoke", "password", "remove_app", "lose_role"])
def test_a_change_through_one_is_refused_by_the_other(two: tuple[Authority, Authority], how: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two
    heard = Heard(b.store, monkeypatch)
    user, app, page, helper = _owner_app_page_and_manager(a)
    target = helper.id if how == "lose_role" else user.id
    token = oauth.grant_and_token(a, app, target, ["pages_show_list"], [], None).access_token
    if how == "lose_role":
        token = issue.page_tokens_for_user(a, validation.resolve(a, token), [page.id])[page.id] or ""
    # b holds it as valid (once b has heard the announcements of a's set-up; one arriving between
    # b's read and its put rightly keeps the read out of the cache)
    heard.until(lambda: validation.resolve(b, token) and b.token_cache.get(b.hash(token)) is not None)
    {"revoke": lambda: revoke.revoke_token(a, token),
     "password": lambda: users.set_password(a, target, "another password"),
     "remove_app": lambda: grants.remove_app(a, target, app.id),
     "lose_role": lambda: roles.remove(a, page.id, helper.id)}[how]()
    heard.until(lambda: _refused(b, token))  # on SQLite at once; on PostgreSQL once b hears it


def test_the_counter_empties_a_cache_filled_before_it_moved() -> None:
    counter = [0]
    cache: TTLCache[str, int] = TTLCache(300, changes=lambda: counter[0])
    cache.put("k", 1, cache.generation())
    assert cache.get("k") == 1
    loading = cache.generation()
    counter[0] += 1
    cache.put("late", 2, loading)  # read before the change: not kept
    assert cache.get("k") is None and cache.get("late") is None


def test_what_debug_token_reads_follows_grants_and_tasks_changed_through_another(
        two: tuple[Authority, Authority], monkeypatch: pytest.MonkeyPatch) -> None:
    """Grants and Page tasks are kept in memory too (debug_token and every permission check read them):
    a permission declined, granted again, or a task taken away through one authority shows in the
    other's answers as soon as it hears of the change."""
    a, b = two
    heard = Heard(b.store, monkeypatch)
    _, app, page, helper = _owner_app_page_and_manager(a)
    wanted = ["pages_manage_posts", "pages_show_list"]
    short = oauth.grant_and_token(a, app, helper.id, wanted, [], None).access_token
    user_token = oauth.exchange(a, app, short).access_token  # long-lived: its Page token gets extended scopes
    page_token = issue.page_tokens_for_user(a, validation.resolve(a, user_token), [page.id])[page.id] or ""

    def scopes_b(token: str) -> list[str]:
        return list(validation.describe_for(b, app.id, token)["scopes"])

    assert scopes_b(page_token) == wanted and scopes_b(user_token) == wanted
    with b.memory_only():  # now answered from memory alone
        assert scopes_b(page_token) == wanted and scopes_b(user_token) == wanted
    grants.remove_permission(a, helper.id, app.id, "pages_manage_posts")
    heard.until(lambda: scopes_b(user_token) == ["pages_show_list"] and scopes_b(page_token) == ["pages_show_list"])
    oauth.grant_and_token(a, app, helper.id, wanted, [], None)
    heard.until(lambda: scopes_b(page_token) == wanted)
    roles.assign(a, page.id, helper.id, ["ANALYZE"])  # CREATE_CONTENT gone: no more posting
    heard.until(lambda: scopes_b(page_token) == ["pages_show_list"])


def test_display_names_come_from_memory_and_follow_a_rename_through_another(
        two: tuple[Authority, Authority], monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed names each post's author: the names are kept in memory, and a Page renamed through one
    authority (any UPDATE of the table moves the change counter) shows under its new name in the
    other's answers as soon as it hears of the change."""
    from sqlalchemy import update

    from pagetoken.authority import objects
    from pagetoken.store.tables import pages as pages_table

    a, b = two
    heard = Heard(b.store, monkeypatch)
    owner, _, page, _ = _owner_app_page_and_manager(a)
    wanted = {page.id, owner.id}

    def from_memory() -> dict[str, str] | None:
        """Read the names, then b's answer from memory alone: None if a change emptied the cache in
        between (the counter moved, so `until` tries again)."""
        objects.names(b, wanted)
        try:
            with b.memory_only():
                return objects.names(b, wanted)
        except b.NeedsIO:
            return None

    # (a late announcement of a's set-up empties b's cache again: tried until one answer came from memory)
    heard.until(lambda: from_memory() == {page.id: "Shop", owner.id: "Ana"})
    with a.store.write() as conn:
        conn.execute(update(pages_table).where(pages_table.c.id == page.id).values(name="Shop & Cafe"))
    heard.until(lambda: objects.names(b, wanted) == {page.id: "Shop & Cafe", owner.id: "Ana"})
