"""The Graph API's wire, down to the header (SPEC §2–§4): what real clients read besides the body."""

from __future__ import annotations

import httpx

from tests.support.servers import ThreadServer

NO_STORE = {"cache-control": "private, no-cache, no-store, must-revalidate", "pragma": "no-cache",
            "x-content-type-options": "nosniff"}


def test_every_answer_carries_version_trace_revision_and_no_store(server: ThreadServer) -> None:
    w = server.world()
    ok = server.get("/v3.1/me", access_token=w.user_token)
    assert ok.status_code == 200 and ok.headers["facebook-api-version"] == "v3.1"
    assert ok.headers["x-fb-trace-id"] and ok.headers["x-fb-rev"]
    assert {k: ok.headers[k] for k in NO_STORE} == NO_STORE
    unversioned = server.get("/me", access_token=w.user_token)
    assert unversioned.headers["facebook-api-version"] == "v25.0"
    bad = server.get("/v25.0/me", access_token="EAAnotatoken")
    assert bad.status_code == 400 and bad.headers["facebook-api-version"] == "v25.0"
    assert bad.headers["x-fb-trace-id"] == bad.json()["error"]["fbtrace_id"]
    token = server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                       client_secret=w.secret)
    assert {k: token.headers[k] for k in NO_STORE} == NO_STORE and token.headers["facebook-api-version"]
    unrouted = httpx.request("PATCH", server.url + "/me")
    assert unrouted.headers["x-fb-trace-id"] == unrouted.json()["error"]["fbtrace_id"]


def test_multi_id_read_answers_a_map_keyed_by_id(server: ThreadServer) -> None:
    w = server.world()
    for prefix in ("", "/v25.0"):
        r = server.get(f"{prefix}/", ids=f"{w.user_id},{w.page_id}", fields="id,name", access_token=w.user_token)
        assert r.status_code == 200, r.text
        assert r.json() == {w.user_id: {"id": w.user_id, "name": "Tess Tester"},
                            w.page_id: {"id": w.page_id, "name": "Test Page"}}
    missing = server.get("/", ids=f"{w.page_id},999999999", access_token=w.user_token)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == 803
    assert "999999999" in missing.json()["error"]["message"]
    assert server.get("/", ids=w.page_id).json()["error"]["code"] == 104


def test_me_needs_a_user_or_page_and_other_nodes_a_token(server: ThreadServer) -> None:
    w = server.world()
    e = server.get("/me", access_token=w.app_token).json()["error"]
    assert e["code"] == 2500
    assert e["message"] == "An active access token must be used to query information about the current user."
    e = server.get(f"/{w.page_id}").json()["error"]
    assert (e["code"], e["type"]) == (104, "OAuthException")
    assert e["message"] == "An access token is required to request this resource."


def test_an_unknown_field_is_an_error_naming_the_node_type(server: ThreadServer) -> None:
    w = server.world()
    cases = [("/me", w.user_token, "User"), (f"/{w.page_id}", w.user_token, "Page"),
             (f"/{w.app_id}", w.app_token, "Application")]
    for path, token, type_name in cases:
        e = server.get(path, access_token=token, fields="id,foobar").json()["error"]
        assert (e["code"], e["type"]) == (100, "OAuthException")
        assert e["message"] == f"(#100) Tried accessing nonexisting field (foobar) on node type ({type_name})"
    post = server.post(f"/{w.page_id}/feed", message="hi", access_token=w.user_token).json()["id"]
    e = server.get(f"/{post}", access_token=w.user_token, fields="reactionz").json()["error"]
    assert e["message"].endswith("on node type (PagePost)")


def test_client_credentials_gives_a_stateless_appid_bar_token_until_the_secret_is_reset(server: ThreadServer) -> None:
    from sqlalchemy import func, select

    from pagetoken.authority import apps
    from pagetoken.store.tables import tokens

    w = server.world()

    def rows() -> int:
        with server.auth.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(tokens)).scalar() or 0)

    before = rows()
    first = server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                       client_secret=w.secret).json()
    again = server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                       client_secret=w.secret).json()
    assert first == again == {"access_token": w.app_token, "token_type": "bearer"}
    assert first["access_token"].startswith(w.app_id + "|EAA") and w.secret not in first["access_token"]
    assert rows() == before  # minting writes nothing
    assert server.get(f"/{w.app_id}", access_token=w.app_token).json()["id"] == w.app_id
    assert server.get(f"/{w.app_id}", access_token=f"{w.app_id}|{w.secret}").json()["id"] == w.app_id
    e = server.get(f"/{w.app_id}", access_token=f"{w.app_id}|wrong").json()["error"]
    assert (e["code"], e["message"]) == (190, "Invalid OAuth access token signature.")
    new_secret = apps.reset_secret(server.auth, w.app_id)
    assert server.get(f"/{w.app_id}", access_token=w.app_token).json()["error"]["code"] == 190
    fresh = server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                       client_secret=new_secret).json()["access_token"]
    assert fresh != w.app_token and server.get(f"/{w.app_id}", access_token=fresh).status_code == 200


def test_error_rows_word_for_word(server: ThreadServer) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    w = server.world()
    server.clock.set(datetime(2022, 11, 16, 15, 45, 51, tzinfo=ZoneInfo("UTC")).timestamp() - 3600)
    short = server.world().user_token  # issued now, lapses in an hour
    server.clock.advance(3600 + 60)
    e = server.get("/me", access_token=short).json()["error"]
    assert (e["code"], e["error_subcode"]) == (190, 463)
    assert e["message"] == ("Error validating access token: Session has expired on Wednesday, 16-Nov-22 "
                            "07:45:51 PST. The current time is Wednesday, 16-Nov-22 07:46:51 PST.")
    odd = server.get("/%C5%91x", access_token=w.app_token)  # the ID is echoed in the header, made ASCII
    assert odd.status_code == 400 and "Object with ID '?x' does not exist" in odd.headers["www-authenticate"]
    missing = server.get("/999999999", access_token=w.app_token)
    assert missing.json()["error"]["message"].endswith(
        "does not support this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api")
    assert missing.headers["www-authenticate"].startswith('OAuth "Facebook Platform" "invalid_request" "Unsupported')
    e = server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                   client_secret="0" * 32).json()["error"]
    assert (e["code"], e["message"]) == (1, "Error validating client secret.")


def test_removing_the_app_is_458_in_todays_words(server: ThreadServer) -> None:
    w = server.world()
    assert server.delete(f"/{w.user_id}/permissions", access_token=w.app_token).json() == {"success": True}
    e = server.get("/me", access_token=w.user_token).json()["error"]
    assert (e["code"], e["error_subcode"]) == (190, 458)
    assert e["message"] == f"Error validating access token: The user has not authorized application {w.app_id}."


def test_batch_posted_to_me_and_accounts_with_category_list_and_task_order(server: ThreadServer) -> None:
    import json

    w = server.world()
    batch = json.dumps([{"method": "GET", "relative_url": "me?fields=id"},
                        {"method": "GET", "relative_url": "me/accounts"}])
    answers = server.post("/v25.0/me", batch=batch, access_token=w.user_token).json()
    assert [a["code"] for a in answers] == [200, 200]
    assert json.loads(answers[0]["body"]) == {"id": w.user_id}
    page = json.loads(answers[1]["body"])["data"][0]
    assert set(page) == {"access_token", "category", "category_list", "name", "id", "tasks"}
    assert page["category_list"][0]["name"] == "Software" and page["category_list"][0]["id"].isdigit()
    assert page["tasks"] == ["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT", "MANAGE"]
    roles = server.get(f"/{w.page_id}/roles", access_token=page["access_token"]).json()["data"]
    assert roles[0]["tasks"] == page["tasks"]


def test_debug_token_keeps_what_an_expired_or_invalidated_token_carried(server: ThreadServer) -> None:
    from pagetoken.authority import users

    w = server.world("email,pages_show_list,pages_read_engagement")
    live = server.get("/debug_token", input_token=w.user_token, access_token=w.app_token).json()["data"]
    assert "email" in live["scopes"]
    assert {g["scope"] for g in live["granular_scopes"]} == {"pages_show_list", "pages_read_engagement"}
    users.set_password(server.auth, w.user_id, "another password entirely")
    dead = server.get("/debug_token", input_token=w.user_token, access_token=w.app_token).json()["data"]
    assert dead["is_valid"] is False and dead["error"]["subcode"] == 460
    for key in ("scopes", "granular_scopes", "issued_at", "data_access_expires_at", "expires_at", "user_id"):
        assert dead[key] == live[key], key
    expired_world = server.world()
    server.clock.advance(3601)
    old = server.get("/debug_token", input_token=expired_world.user_token,
                     access_token=expired_world.app_token).json()["data"]
    assert old["error"]["subcode"] == 463 and "pages_show_list" in old["scopes"] and old["granular_scopes"]


def test_debug_token_of_an_app_token_and_of_another_apps_token(server: ThreadServer) -> None:
    w, other = server.world(), server.world()
    own = server.get("/debug_token", input_token=w.app_token, access_token=w.app_token).json()["data"]
    assert own == {"app_id": w.app_id, "type": "APP", "application": "Test App", "is_valid": True, "scopes": []}
    for foreign in (other.user_token, other.app_token):
        data = server.get("/debug_token", input_token=foreign, access_token=w.app_token).json()["data"]
        assert set(data) == {"is_valid", "scopes", "error"} and data["is_valid"] is False
        assert data["error"]["code"] == 190 and data["scopes"] == []
    server.clock.advance(3601)
    data = server.get("/debug_token", input_token=other.user_token, access_token=w.app_token).json()["data"]
    assert set(data) == {"is_valid", "scopes", "error"}  # dead or alive, another app's token tells nothing


def test_test_users_list_their_tokens_and_permissions_include_public_profile(server: ThreadServer) -> None:
    w = server.world()
    made = server.post(f"/{w.app_id}/accounts/test-users", installed="true", permissions="pages_show_list",
                       access_token=w.app_token).json()
    server.post(f"/{w.app_id}/accounts/test-users", installed="false", access_token=w.app_token)
    listed = server.get(f"/{w.app_id}/accounts/test-users", access_token=w.app_token).json()["data"]
    assert [("access_token" in u) for u in listed] == [True, False]
    assert listed[0]["id"] == made["id"]
    me = server.get("/me", access_token=listed[0]["access_token"]).json()
    assert me["id"] == made["id"]
    perms = server.get("/me/permissions", access_token=made["access_token"]).json()["data"]
    assert {"permission": "public_profile", "status": "granted"} in perms
    one = server.get("/me/permissions/pages_show_list", access_token=made["access_token"]).json()
    assert one == {"data": [{"permission": "pages_show_list", "status": "granted"}]}
    assert server.get("/me/permissions/read_insights", access_token=made["access_token"]).json() == {"data": []}
