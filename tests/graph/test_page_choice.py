"""The Pages chosen in the dialog limit what the app gets: no Page token for a Page not chosen."""

from __future__ import annotations

from pagetoken.authority import apps, oauth, pages, users

from ..support.servers import ThreadServer


def test_a_page_not_chosen_in_the_dialog_yields_no_page_token(server: ThreadServer) -> None:
    user, _password = users.create(server.auth, "Pat", "pat@example.com", "pat's password")
    app, _secret = apps.create(server.auth, "Chooser", owner_id=user.id)
    chosen = pages.create(server.auth, "Chosen Page", "Software", user.id)
    other = pages.create(server.auth, "Other Page", "Software", user.id)
    granted = oauth.scopes_or_error("pages_show_list,pages_read_engagement,pages_manage_posts")
    token = oauth.grant_and_token(server.auth, app, user.id, granted, [], [chosen.id]).access_token
    assert server.get(f"/{chosen.id}", fields="access_token", access_token=token).json()["access_token"]
    refused = server.get(f"/{other.id}", fields="access_token", access_token=token).json()
    assert refused["error"]["code"] == 200 and other.id in refused["error"]["message"]
    listed = server.get("/me/accounts", access_token=token).json()["data"]
    assert [p["id"] for p in listed] == [chosen.id]
