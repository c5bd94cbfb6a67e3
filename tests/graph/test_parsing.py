"""The Graph layer's pure parts: version prefixes, fields, list/object/bool parameters, paging."""

from __future__ import annotations

import pytest

from pagetoken.core.errors import ApiError
from pagetoken.graph import fields, paging
from pagetoken.graph.params import as_bool, as_list, as_object, strip_version


@pytest.mark.parametrize(("raw", "path", "version"), [
    ("/v3.1/me", "me", "v3.1"), ("/v25.0/me/accounts", "me/accounts", "v25.0"), ("/me", "me", None),
    ("/v2.8/", "", "v2.8"), ("/", "", None), ("/v1/me", "v1/me", None),
])
def test_strip_version(raw: str, path: str, version: str | None) -> None:
    assert strip_version(raw) == (path, version)


def test_fields_nested_and_modifiers() -> None:
    assert fields.parse("id,name,feed{message,comments{id}},insights.limit(5)") == {
        "id": None, "name": None, "feed": {"message": None, "comments": {"id": None}}, "insights": None}
    assert fields.parse(None) is None and fields.parse(" ") is None
    for bad in ("a{b", "a}", ",", "a,,b"):
        with pytest.raises(ApiError):
            fields.parse(bad)


def test_select_keeps_id_and_requested() -> None:
    obj = {"id": "1", "name": "n", "about": "a", "nested": {"x": 1, "y": 2}}
    assert fields.narrow(obj, {"about": None}, ["name"]) == {"id": "1", "about": "a"}
    assert fields.narrow(obj, None, ["name"]) == {"id": "1", "name": "n"}
    assert fields.narrow(obj, {"nested": {"x": None}}, []) == {"id": "1", "nested": {"x": 1}}


def test_list_object_bool_params_json_or_plain() -> None:
    assert as_list('["page_impressions","page_fans"]') == ["page_impressions", "page_fans"]
    assert as_list("a, b,,c") == ["a", "b", "c"]
    assert as_object('{"id":"1"}', "recipient") == {"id": "1"}
    assert as_object("1", "recipient") == {"id": "1"}
    assert as_bool("true", "x") is True and as_bool("0", "x") is False and as_bool(None, "x", True) is True
    with pytest.raises(ApiError):
        as_bool("maybe", "x")
    with pytest.raises(ApiError):
        as_list("[1,")


def test_paging_walks_forward_and_back() -> None:
    items = [{"id": str(i)} for i in range(7)]

    def url(q: dict[str, str]) -> str:
        return "http://x/?" + paging.query_string(q)

    first = paging.page(items, {"limit": "3"}, url)
    assert [i["id"] for i in first["data"]] == ["0", "1", "2"]
    assert "next" in first["paging"] and "previous" not in first["paging"]
    second = paging.page(items, {"limit": "3", "after": first["paging"]["cursors"]["after"]}, url)
    assert [i["id"] for i in second["data"]] == ["3", "4", "5"]
    last = paging.page(items, {"limit": "3", "after": second["paging"]["cursors"]["after"]}, url)
    assert [i["id"] for i in last["data"]] == ["6"] and "next" not in last["paging"]
    back = paging.page(items, {"limit": "3", "before": second["paging"]["cursors"]["before"]}, url)
    assert [i["id"] for i in back["data"]] == ["0", "1", "2"]
    assert paging.page([], {}, url) == {"data": []}
