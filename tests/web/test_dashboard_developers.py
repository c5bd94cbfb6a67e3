"""The App Dashboard shows an app to each of its developers, and who they are."""

from __future__ import annotations

import re

from pagetoken.authority import apps, users
from tests.support.servers import ThreadServer

from .conftest import email_of, http_login


def test_developers_see_the_app_and_each_other(server: ThreadServer) -> None:
    world = server.world()
    dev, password = users.create(server.auth, "Dana Developer", "dana@example.com", "dana's password")
    before = http_login(server, "dana@example.com", password).get("/apps").text
    assert f'id="app-{world.app_id}"' not in before
    assert apps.add_developer(server.auth, world.app_id, dev.id)
    page = http_login(server, "dana@example.com", password).get("/apps").text
    assert f'id="app-{world.app_id}"' in page
    people = re.search(rf'id="developers-{world.app_id}">(.*?)</p>', page, flags=re.S)
    assert people, page
    text = " ".join(re.sub(r"<[^>]+>", "", people.group(1)).split())
    assert text == "Developers: Tess Tester (administrator), Dana Developer"
    owner_view = http_login(server, email_of(server, world), world.password).get("/apps").text
    assert "Dana Developer" in owner_view
