"""Fields come from the registry: an unknown one is a (#100), a private one needs its permission and
the Page task that permission needs (SPEC §5), on the node as on a list's items."""

from __future__ import annotations

from tests.pageapi.helpers import err, person, scene
from tests.support.servers import ThreadServer


def test_unknown_fields_are_errors_naming_the_type(server: ThreadServer) -> None:
    s = scene(server.auth)
    token = s.user_token(s.owner_id, ["pages_show_list", "pages_read_engagement"])
    e = err(server.get(f"/{s.page_id}", fields="name,foobar", access_token=token))
    assert e["code"] == 100 and e["message"] == "(#100) Tried accessing nonexisting field (foobar) on node type (Page)"
    e = err(server.get("/me", fields="nope", access_token=token))
    assert e["message"] == "(#100) Tried accessing nonexisting field (nope) on node type (User)"
    s.post()
    e = err(server.get(f"/{s.page_id}/feed", fields="message,bogus", access_token=token))
    # A Page's posts are "PagePost" in the Graph API's messages (as captured in client test fixtures).
    assert e["message"] == "(#100) Tried accessing nonexisting field (bogus) on node type (PagePost)"
    ok = server.get(f"/{s.page_id}", fields="name,about,fan_count", access_token=token)
    assert ok.status_code == 200 and set(ok.json()) == {"id", "name", "fan_count"}


def test_private_page_fields_need_a_task_like_the_feed(server: ThreadServer) -> None:
    """A token with pages_read_engagement but no task on the Page reads neither its feed nor its
    private fields; the public ones stay readable."""
    s = scene(server.auth)
    outsider = person(server.auth, "Otto Outsider")
    token = s.user_token(outsider, ["pages_show_list", "pages_read_engagement"])
    feed = err(server.get(f"/{s.page_id}/feed", access_token=token))
    for fields in ("about", "phone", "website", "fan_count", "name,description"):
        e = err(server.get(f"/{s.page_id}", fields=fields, access_token=token))
        assert (e["code"], e.get("error_subcode")) == (feed["code"], feed.get("error_subcode")), fields
    public = server.get(f"/{s.page_id}", fields="id,name,category", access_token=token)
    assert public.status_code == 200 and public.json()["id"] == s.page_id


def test_a_field_needing_a_permission_the_token_lacks_is_200(server: ThreadServer) -> None:
    s = scene(server.auth)
    token = s.user_token(s.owner_id, ["pages_show_list"])
    e = err(server.get(f"/{s.page_id}", fields="about", access_token=token))
    assert e["code"] == 200 and "pages_read_engagement" in e["message"]
    e = err(server.get("/me", fields="email", access_token=token))
    assert e["code"] == 200 and "email" in e["message"]
