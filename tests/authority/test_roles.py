"""One roles module for the Graph API, the web tools and the CLI: the MANAGE rule holds for all."""

from __future__ import annotations

import threading

import pytest

from pagetoken.authority import apps, oauth, pages, roles, users, validation
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.errors import ApiError

from .scene import ALL, page_token, scene


def _people(auth: Authority, n: int) -> list[str]:
    return [users.create(auth, f"P{i}", None, "password123")[0].id for i in range(n)]


def test_set_tasks_keeps_a_manager(auth: Authority) -> None:
    owner, helper = _people(auth, 2)
    page = pages.create(auth, "Shop", "Cafe", owner)
    with pytest.raises(errors.BadParameter, match="MANAGE"):
        roles.set_tasks(auth, page.id, owner, ["ANALYZE"])  # the CLI's `pages set-tasks` path
    with pytest.raises(errors.BadParameter, match="MANAGE"):
        roles.set_tasks(auth, page.id, owner, [])           # removal through the same door
    assert roles.set_tasks(auth, page.id, helper, ["manage"]) == ["MANAGE"]
    assert roles.set_tasks(auth, page.id, owner, []) == []
    assert roles.tasks_of(auth, page.id, owner) == []
    assert [p.id for p, _ in roles.pages_of(auth, helper)] == [page.id]


def test_assign_and_remove_check_their_inputs(auth: Authority) -> None:
    (owner,) = _people(auth, 1)
    page = pages.create(auth, "Shop", "Cafe", owner)
    with pytest.raises(errors.BadParameter, match="does not exist"):
        roles.assign(auth, page.id, "999", ["ANALYZE"])
    with pytest.raises(errors.BadParameter, match="at least one"):
        roles.assign(auth, page.id, owner, [])
    with pytest.raises(errors.BadParameter, match="no role"):
        roles.remove(auth, page.id, "999")
    with pytest.raises(errors.BadParameter):
        roles.assign(auth, page.id, owner, ["OWNER"])
    assert roles.listing(auth, page.id) == [{"id": owner, "name": "P0", "tasks": roles.tasks_of(auth, page.id, owner)}]


def test_losing_the_role_kills_the_page_tokens(auth: Authority) -> None:
    owner, helper = _people(auth, 2)
    app, _ = apps.create(auth, "App")
    page = pages.create(auth, "Shop", "Cafe", owner)
    roles.assign(auth, page.id, helper, ["CREATE_CONTENT"])
    issued = oauth.grant_and_token(auth, app, helper, ["pages_show_list", "pages_manage_posts"], [], None)
    from pagetoken.authority import issue
    with auth.store.write() as conn:
        token = issue.page_token_for_user(auth, conn, validation.resolve(auth, issued.access_token), page.id)
    assert token is not None
    roles.remove(auth, page.id, helper)
    with pytest.raises(errors.NotPageAdmin):
        validation.resolve(auth, token)


def test_two_concurrent_removals_leave_a_manager(auth: Authority) -> None:
    """Checked and written in one transaction: of two managers removed at once, one stays."""
    a, b = _people(auth, 2)
    page = pages.create(auth, "Shop", "Cafe", a)
    roles.assign(auth, page.id, b, ["MANAGE"])
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def remove(who: str) -> None:
        start.wait()
        try:
            roles.remove(auth, page.id, who)
        except errors.BadParameter as exc:
            failures.append(exc)

    threads = [threading.Thread(target=remove, args=(who,)) for who in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(failures) == 1
    assert len(roles.listing(auth, page.id)) == 1


def test_losing_the_page_task_kills_page_tokens_only(auth: Authority) -> None:
    s = scene(auth)
    helper, _ = users.create(auth, "Helper", None, "password123")
    roles.set_tasks(auth, s.page_id, helper.id, ["ANALYZE"])
    helper_token = oauth.grant_and_token(auth, s.app, helper.id, ALL, [], None).access_token
    page_tok = page_token(auth, helper_token, s.page_id)
    roles.remove(auth, s.page_id, helper.id)
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, page_tok)
    assert e.value.code == 190 and e.value.message.startswith("The user must be an administrator of the page")
    assert validation.resolve(auth, helper_token).user_id == helper.id


def test_set_tasks_to_nothing_removes_the_role_and_its_page_tokens(auth: Authority) -> None:
    s = scene(auth)
    helper, _ = users.create(auth, "Helper", None, "password123")
    assert roles.set_tasks(auth, s.page_id, helper.id, ["ANALYZE"]) == ["ANALYZE"]
    helper_token = oauth.grant_and_token(auth, s.app, helper.id, ALL, [], None).access_token
    page_tok = page_token(auth, helper_token, s.page_id)
    assert roles.set_tasks(auth, s.page_id, helper.id, []) == []
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, page_tok)
    assert e.value.code == 190 and e.value.message.startswith("The user must be an administrator of the page")
    assert validation.resolve(auth, helper_token).user_id == helper.id  # the user token lives on
    with pytest.raises(ApiError) as e:
        roles.remove(auth, s.page_id, helper.id)  # nothing left to remove
    assert e.value.code == 100 and "has no role" in e.value.message


def test_set_tasks_refuses_unknown_tasks_and_unknown_people(auth: Authority) -> None:
    s = scene(auth)
    helper, _ = users.create(auth, "Helper", None, "password123")
    with pytest.raises(ApiError) as e:
        roles.set_tasks(auth, s.page_id, helper.id, ["JUGGLE"])
    assert e.value.code == 100 and "JUGGLE" in e.value.message
    with pytest.raises(ApiError) as e:
        roles.set_tasks(auth, s.page_id, "999999999", ["ANALYZE"])
    assert e.value.code == 100 and "999999999" in e.value.message
    assert set(roles.set_tasks(auth, s.page_id, helper.id, ["ANALYZE", "MODERATE"])) == {"MODERATE", "ANALYZE"}
