from __future__ import annotations

import pytest

from pagetoken.core import permissions as p


def test_legacy_names_expand_in_order_without_repeats() -> None:
    assert p.parse_scope("manage_pages,publish_pages,pages_show_list") == [
        "pages_show_list", "pages_read_engagement", "pages_manage_metadata", "pages_manage_posts",
        "pages_manage_engagement"]
    assert p.parse_scope(["read_insights", " read_insights "]) == ["read_insights"]
    assert p.parse_scope("read_insights pages_messaging") == ["read_insights", "pages_messaging"]


def test_unknown_permission_is_refused() -> None:
    with pytest.raises(p.UnknownPermission):
        p.parse_scope("pages_show_list,publish_everything")


def test_tiers_match_the_spec() -> None:
    basic = {"pages_show_list", "pages_read_engagement", "pages_read_user_content", "read_page_mailboxes",
             "read_insights"}
    extended = {"pages_manage_posts", "pages_manage_engagement", "pages_messaging", "pages_manage_metadata",
                "pages_manage_ads", "pages_manage_roles"}
    assert basic <= p.BASIC_PERMISSIONS
    assert extended == p.EXTENDED_PERMISSIONS
    assert p.basic_only(["pages_manage_posts", "read_insights", "pages_messaging"]) == ["read_insights"]


def test_tasks_and_manage_implies_all() -> None:
    assert p.task_allows(["MANAGE"], "ADVERTISE")
    assert p.task_allows(["ANALYZE"], "ANALYZE")
    assert not p.task_allows(["ANALYZE"], "CREATE_CONTENT")
    assert p.task_allows(["MODERATE"], p.ANY_TASK)
    assert not p.task_allows([], p.ANY_TASK)
    with pytest.raises(ValueError):
        p.normalise_tasks(["OWN_EVERYTHING"])
    assert p.normalise_tasks(["manage", "MANAGE", "analyze"]) == ["MANAGE", "ANALYZE"]
