"""The Graph layer over real HTTP: parameters, tokens, proofs, errors, and the endpoints of SPEC §6."""

from __future__ import annotations

import json

import httpx
import pytest

from pagetoken.authority import apps
from pagetoken.core.proof import appsecret_proof
from tests.support.servers import ThreadServer


def err(resp: httpx.Response) -> dict:
    assert resp.status_code in (400, 500), resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"} and {"message", "type", "code", "fbtrace_id"} <= set(body["error"])
    return body["error"]


def test_version_prefixes_headers_and_content_type(server: ThreadServer) -> None:
    w = server.world()
    for prefix in ("", "/v2.8", "/v3.1", "/v25.0"):
        r = httpx.get(f"{server.url}{prefix}/me", headers={"Authorization": f"Bearer {w.user_token}"})
        assert r.status_code == 200 and r.json()["id"] == w.user_id
        assert r.headers["content-type"].startswith("application/json")
    r = httpx.get(f"{server.url}/me", headers={"Authorization": f"OAuth {w.user_token}"})
    assert r.json()["id"] == w.user_id


def test_parameters_from_query_form_multipart_and_json_body_wins(server: ThreadServer) -> None:
    w = server.world()
    r = httpx.post(f"{server.url}/me", params={"method": "GET", "access_token": "bogus"},
                   json={"access_token": w.user_token})
    assert r.json()["id"] == w.user_id
    r = httpx.post(f"{server.url}/me?method=get", files={"access_token": (None, w.user_token)})
    assert r.json()["id"] == w.user_id
    r = httpx.post(f"{server.url}/me", data={"access_token": w.user_token, "method": "GET", "fields": "name"})
    assert r.json() == {"id": w.user_id, "name": "Tess Tester"}


def test_error_table_over_http(server: ThreadServer) -> None:
    w = server.world()
    e = err(server.get("/me"))
    assert e["code"] == 2500 and e["message"].startswith("An active access token must be used")
    r = server.get("/me", access_token="EAAnotatoken")
    e = err(r)
    assert e["code"] == 190 and e["message"].startswith("Invalid OAuth access token")
    assert r.headers["www-authenticate"].startswith('OAuth "Facebook Platform" "invalid_token" "Invalid OAuth')
    e = err(server.get("/me/nothing_here", access_token=w.user_token))
    assert e["code"] == 2500 and e["message"] == "Unknown path components: /nothing_here"
    e = err(server.get("/999999999999999", access_token=w.user_token))
    assert (e["code"], e["error_subcode"], e["type"]) == (100, 33, "GraphMethodException")
    e = err(server.post("/999999999999999", access_token=w.user_token))
    assert e["message"].startswith("Unsupported post request. Object with ID '999999999999999' does not exist")
    e = err(server.get("/oauth/access_token", grant_type="magic", client_id=w.app_id, client_secret=w.secret))
    assert e["code"] == 100 and e["message"].startswith("(#100)")
    e = err(server.get("/me", access_token=w.user_token, fields="id,{"))
    assert e["code"] == 100


def test_appsecret_proof_checked_when_sent_and_required_when_demanded(server: ThreadServer) -> None:
    w = server.world()
    good = appsecret_proof(w.user_token, w.secret)
    assert server.get("/me", access_token=w.user_token, appsecret_proof=good).status_code == 200
    e = err(server.get("/me", access_token=w.user_token, appsecret_proof="0" * 64))
    assert (e["code"], e["type"]) == (100, "GraphMethodException")
    assert e["message"] == "Invalid appsecret_proof provided in the API argument"
    apps.configure(server.auth, w.app_id, require_proof=True)
    e = err(server.get("/me", access_token=w.user_token))
    assert e["message"] == "API calls from the server require an appsecret_proof argument"
    assert server.get("/me", access_token=w.user_token, appsecret_proof=good).status_code == 200


def test_debug_token_shapes(server: ThreadServer) -> None:
    w = server.world()
    data = server.get("/debug_token", input_token=w.user_token, access_token=w.app_token).json()["data"]
    assert set(data) >= {"app_id", "type", "application", "expires_at", "data_access_expires_at", "is_valid",
                         "issued_at", "scopes", "granular_scopes", "user_id"}
    assert data["type"] == "USER" and data["application"] == "Test App" and data["user_id"] == w.user_id
    assert {"scope": "pages_show_list", "target_ids": [w.page_id]} in data["granular_scopes"]
    pair = server.get("/debug_token", input_token=w.app_token, access_token=f"{w.app_id}|{w.secret}").json()["data"]
    assert pair == {"app_id": w.app_id, "type": "APP", "application": "Test App", "is_valid": True, "scopes": []}
    bad = server.get("/debug_token", input_token="EAAjunk", access_token=w.app_token)
    assert bad.status_code == 200
    assert bad.json()["data"]["is_valid"] is False and bad.json()["data"]["error"]["code"] == 190
    e = err(server.get("/debug_token", input_token=w.user_token))
    assert e["code"] == 100 and e["message"].startswith("(#100) You must provide an app access token")
    # the app's owner (a developer) may debug with their own user token
    owner = server.get("/debug_token", input_token=w.user_token, access_token=w.user_token).json()
    assert owner["data"]["is_valid"] is True


def test_each_revocation_answers_its_own_error(server: ThreadServer) -> None:
    w = server.world()
    long = server.get("/oauth/access_token", grant_type="fb_exchange_token", client_id=w.app_id,
                      client_secret=w.secret, fb_exchange_token=w.user_token).json()["access_token"]
    assert server.delete("/oauth/access_token", access_token=w.user_token).json() == {"success": True}
    e = err(server.get("/me", access_token=w.user_token))
    assert (e["code"], e["error_subcode"]) == (190, 466)
    assert server.delete(f"/{w.user_id}/permissions/read_insights", access_token=long).json() == {"success": True}
    perms = server.get("/me/permissions", access_token=long).json()["data"]
    assert {"permission": "read_insights", "status": "declined"} in perms
    assert server.delete(f"/{w.user_id}/permissions", access_token=w.app_token).json() == {"success": True}
    e = err(server.get("/me", access_token=long))
    assert (e["code"], e["error_subcode"]) == (190, 458)


def test_password_change_over_http(server: ThreadServer) -> None:
    from pagetoken.authority import users

    w = server.world()
    users.set_password(server.auth, w.user_id, "another password")
    e = err(server.get("/me", access_token=w.user_token))
    assert (e["code"], e["error_subcode"]) == (190, 460)


def test_page_token_both_ways_over_http(server: ThreadServer) -> None:
    w = server.world()
    via_user = server.get(f"/{w.page_id}", fields="access_token", access_token=w.user_token).json()
    assert via_user["id"] == w.page_id and via_user["access_token"].startswith("EAA")
    e = err(server.get(f"/{w.page_id}", fields="access_token", access_token=w.app_token))
    assert e["message"] == "API calls from the server require an appsecret_proof argument"
    proof = appsecret_proof(w.app_token, w.secret)
    for method in ("GET", "POST"):
        r = httpx.request(method, f"{server.url}/v25.0/{w.page_id}",
                          params={"fields": "access_token", "access_token": w.app_token, "appsecret_proof": proof})
        tok = r.json()["access_token"]
        data = server.get("/debug_token", input_token=tok, access_token=w.app_token).json()["data"]
        assert data["type"] == "PAGE" and data["profile_id"] == w.page_id
        assert data["expires_at"] - data["issued_at"] == 60 * 86400
    r = server.get("/oauth/access_token", grant_type="client_credentials", page_id=w.page_id,
                   access_token=w.app_token, appsecret_proof=proof)
    assert r.json()["expires_in"] == 3600
    page_tok = via_user["access_token"]
    assert server.get("/me", access_token=page_tok).json() == {"id": w.page_id, "name": "Test Page"}


def test_accounts_test_users_apps_and_page_creation(server: ThreadServer) -> None:
    w = server.world()
    created = server.post(f"/{w.app_id}/accounts/test-users", access_token=w.app_token, installed="true",
                          permissions='["pages_show_list","manage_pages"]', name="Quinn").json()
    assert set(created) == {"id", "access_token", "login_url", "email", "password"}
    listed = server.get(f"/{w.app_id}/accounts/test-users", access_token=w.app_token).json()["data"]
    assert [u["id"] for u in listed] == [created["id"]]
    new_page = server.post(f"/{created['id']}/accounts", access_token=created["access_token"], name="Quinn's Cafe",
                           category="Cafe").json()
    accounts = server.get("/me/accounts", access_token=created["access_token"], summary="true").json()
    assert [a["id"] for a in accounts["data"]] == [new_page["id"]]
    assert accounts["summary"] == {"total_count": 1}
    assert accounts["data"][0]["tasks"][-1] == "MANAGE"
    app = server.get(f"/{w.app_id}", access_token=w.app_token).json()
    assert app["id"] == w.app_id and app["name"] == "Test App"
    assert server.delete(f"/{created['id']}", access_token=w.app_token).json() == {"success": True}
    e = err(server.get("/me", access_token=created["access_token"]))
    assert e["code"] == 190
    e = err(server.post(f"/{w.app_id}/accounts/test-users", access_token=w.user_token))
    assert e["code"] == 100


def test_paging_next_is_absolute_with_token_and_absent_on_last_page(server: ThreadServer) -> None:
    w = server.world()
    for i in range(3):
        server.post(f"/{w.user_id}/accounts", access_token=w.user_token, name=f"P{i}", category="Shop")
    first = server.get("/me/accounts", access_token=w.user_token, limit="2").json()
    assert len(first["data"]) == 2
    nxt = first["paging"]["next"]
    assert nxt.startswith(server.url) and "access_token=" in nxt
    second = httpx.get(nxt).json()
    assert len(second["data"]) == 2 and "next" not in second["paging"]


def test_json_error_body_is_never_a_stack_trace(server: ThreadServer) -> None:
    for body in (b"{not json", b"[1,2]"):
        r = httpx.post(f"{server.url}/me", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400 and "Traceback" not in r.text
        assert json.loads(r.text)["error"]["code"] == 100


@pytest.mark.parametrize("path", ["/", "/v3.1/", "/oauth/access_token"])
def test_bare_paths_answer_graph_errors(server: ThreadServer, path: str) -> None:
    r = server.get(path) if path != "/" else httpx.get(server.url + "/v3.1/")
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


def test_edges_as_nested_fields(server: ThreadServer) -> None:
    w = server.world()
    long = server.get("/oauth/access_token", grant_type="fb_exchange_token", client_id=w.app_id,
                      client_secret=w.secret, fb_exchange_token=w.user_token).json()["access_token"]
    page_token = server.get(f"/{w.page_id}", fields="access_token", access_token=long).json()["access_token"]
    for text in ("first", "second"):
        server.clock.advance(1)
        assert server.post(f"/{w.page_id}/feed", message=text, access_token=page_token).status_code == 200
    page = server.get(f"/{w.page_id}", fields="name,feed.limit(1){message,comments{message}}",
                      access_token=page_token).json()
    assert page["name"] == "Test Page"
    assert [p["message"] for p in page["feed"]["data"]] == ["second"]
    assert set(page["feed"]["data"][0]) <= {"id", "message", "comments"}
    assert "next" in page["feed"]["paging"] and "/feed?" in page["feed"]["paging"]["next"]
    me = server.get("/me", fields="name,accounts{name,tasks}", access_token=long).json()
    # SPEC §5's six tasks, in the Graph API's order
    owner_tasks = ["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT", "MANAGE"]
    assert me["name"] == "Tess Tester" and me["accounts"]["data"][0] == {"id": w.page_id, "name": "Test Page",
                                                                        "tasks": owner_tasks}
    e = server.get(f"/{w.page_id}", fields="name,conversations", access_token=page_token).json()["error"]
    assert e["code"] == 200  # the edge's own permission (read_page_mailboxes) is checked


def test_unroutable_paths_and_methods_answer_graph_errors(server: ThreadServer) -> None:
    for method, path in (("GET", "/%0A/likes"), ("PATCH", "/me"), ("GET", "/static/no-such-file.js")):
        r = httpx.request(method, server.url + path)
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
        assert r.json()["error"]["code"] in (100, 2500)


def test_non_ascii_secrets_are_refused_not_crashed_on(server: ThreadServer) -> None:
    w = server.world()
    assert err(server.get("/me", access_token=w.user_token, appsecret_proof="é" * 64))["code"] == 100
    assert err(server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                          client_secret="é" * 32))["code"] == 1  # "Error validating client secret."
