"""pagetoken's answers held against the Graph API's real ones (tests/compat/real_shapes.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pagetoken.authority import apps, oauth, users
from tests.pageapi.helpers import EVERYTHING, scene
from tests.support.servers import ThreadServer

from .real_shapes import (
    BUC_KEYS,
    ERRORS,
    EVERY_ANSWER_HEADERS,
    NO_STORE,
    PAGE_TOKEN_HEADERS,
    SHAPES,
    USAGE_KEYS,
    Err,
    Obj,
    Paged,
    Unknown,
)


def mismatches(value: Any, shape: Any, at: str = "$") -> list[str]:
    """Where `value` differs from `shape` (empty when it matches)."""
    if isinstance(shape, Unknown):
        return []
    if isinstance(shape, Paged):
        page = Obj({"data": [shape.item], "paging": Obj({"cursors": Obj({"before": str, "after": str})},
                                                        {"next": str, "previous": str})},
                   {"summary": Obj({"total_count": int})} if shape.summary else {})
        if isinstance(value, dict) and not value.get("data"):
            page = Obj({"data": list}, {"paging": dict, "summary": dict})
        return mismatches(value, page, at)
    if isinstance(shape, Obj):
        if not isinstance(value, dict):
            return [f"{at}: expected an object, got {type(value).__name__}"]
        out = [f"{at}.{k}: missing" for k in shape.required if k not in value]
        out += [f"{at}.{k}: not in the real answer" for k in value if k not in shape.required and
                k not in shape.optional]
        for k, v in value.items():
            sub = shape.required.get(k, shape.optional.get(k))
            if sub is not None:
                out += mismatches(v, sub, f"{at}.{k}")
        return out
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{at}: expected a list, got {type(value).__name__}"]
        return [m for i, item in enumerate(value) for m in mismatches(item, shape[0], f"{at}[{i}]")]
    if shape is int and isinstance(value, bool):
        return [f"{at}: expected int, got bool"]
    if not isinstance(value, shape):
        return [f"{at}: expected {shape.__name__}, got {type(value).__name__}"]
    return []


def test_the_matcher_catches_extra_missing_and_mistyped_keys() -> None:
    shape = Obj({"id": str}, {"n": int})
    assert mismatches({"id": "1"}, shape) == []
    assert mismatches({"id": 1, "x": 2}, shape) == ["$.x: not in the real answer", "$.id: expected str, got int"]
    assert mismatches({}, shape) == ["$.id: missing"]
    assert mismatches({"n": True, "id": "1"}, shape) == ["$.n: expected int, got bool"]


def error_mismatches(resp: httpx.Response, row: Err) -> list[str]:
    out = []
    body = resp.json()
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return [f"not an error answer: {body}"]
    got = (err.get("code"), err.get("error_subcode"), err.get("type"))
    if got != (row.code, row.subcode, row.type):
        out.append(f"(code, subcode, type) {got} != {(row.code, row.subcode, row.type)}")
    if not str(err.get("message", "")).startswith(row.message):
        out.append(f"message {err.get('message')!r} does not start with {row.message!r}")
    if not err.get("fbtrace_id") or resp.headers.get("x-fb-trace-id") != err["fbtrace_id"]:
        out.append("x-fb-trace-id is not the fbtrace_id")
    if row.challenge is not None:
        header = resp.headers.get("www-authenticate", "")
        if not header.startswith(f'OAuth "Facebook Platform" "{row.challenge}" "'):
            out.append(f"WWW-Authenticate {header!r} is not the {row.challenge} challenge")
    if resp.status_code != (500 if row.code == 2 else 400):
        out.append(f"HTTP {resp.status_code}")
    return out


class Check:
    """Collects every difference, so one run reports them all."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def shape(self, name: str, resp: httpx.Response) -> Any:
        body = resp.json()
        if resp.status_code != 200:
            self.found.append(f"{name}: HTTP {resp.status_code} {body}")
        else:
            self.found += [f"{name}: {m}" for m in mismatches(body, SHAPES[name])]
        self.headers(name, resp)
        return body

    def error(self, name: str, resp: httpx.Response) -> None:
        self.found += [f"{name}: {m}" for m in error_mismatches(resp, ERRORS[name])]
        self.headers(name, resp)

    def headers(self, name: str, resp: httpx.Response) -> None:
        missing = [h for h in EVERY_ANSWER_HEADERS if h not in resp.headers]
        if missing:
            self.found.append(f"{name}: headers missing {missing}")
        if {k: resp.headers.get(k) for k in NO_STORE} != NO_STORE:
            self.found.append(f"{name}: caching headers differ")
        if not resp.headers.get("content-type", "").startswith("application/json"):
            self.found.append(f"{name}: not JSON")

    def done(self) -> None:
        assert not self.found, "\n".join(self.found)


def test_token_endpoints(server: ThreadServer) -> None:
    w, c = server.world(), Check()
    c.shape("client_credentials", server.get("/oauth/access_token", grant_type="client_credentials",
                                             client_id=w.app_id, client_secret=w.secret))
    long = c.shape("fb_exchange_token", server.get("/oauth/access_token", grant_type="fb_exchange_token",
                                                   client_id=w.app_id, client_secret=w.secret,
                                                   fb_exchange_token=w.user_token))["access_token"]
    app = apps.require(server.auth, w.app_id)
    code = oauth.grant_and_code(server.auth, app, w.user_id, "http://127.0.0.1:9/callback", ["pages_show_list"],
                                [], None)
    redeem = {"client_id": w.app_id, "client_secret": w.secret, "redirect_uri": "http://127.0.0.1:9/callback",
              "code": code}
    c.shape("code", server.get("/oauth/access_token", **redeem))
    c.error("code_used", server.get("/oauth/access_token", **redeem))
    late = oauth.grant_and_code(server.auth, app, w.user_id, "http://127.0.0.1:9/callback", ["pages_show_list"],
                                [], None)
    server.clock.advance(601)
    c.error("code_expired", server.get("/oauth/access_token", **{**redeem, "code": late}))
    c.error("bad_code", server.get("/oauth/access_token", **{**redeem, "code": "nonsense"}))
    c.error("client_secret", server.get("/oauth/access_token", grant_type="client_credentials",
                                        client_id=w.app_id, client_secret="0" * 32))
    page_token = server.get(f"/{w.page_id}", fields="access_token", access_token=long).json()["access_token"]
    c.shape("debug_user", server.get("/debug_token", input_token=long, access_token=w.app_token))
    c.shape("debug_page", server.get("/debug_token", input_token=page_token, access_token=w.app_token))
    c.shape("debug_app", server.get("/debug_token", input_token=w.app_token, access_token=w.app_token))
    c.shape("debug_garbage", server.get("/debug_token", input_token="EAAjunk", access_token=w.app_token))
    c.error("debug_needs_app", server.get("/debug_token", input_token=long, access_token=page_token))
    server.clock.advance(3600)  # the short-lived user token lapses
    c.shape("debug_expired", server.get("/debug_token", input_token=w.user_token, access_token=w.app_token))
    c.error("expired", server.get("/me", access_token=w.user_token))
    revoked = server.world()
    c.headers("revoke", server.delete("/oauth/access_token", access_token=revoked.user_token))
    c.error("revoked", server.get("/me", access_token=revoked.user_token))
    c.error("bad_signature", server.get(f"/{w.app_id}", access_token=f"{w.app_id}|wrong"))
    c.error("garbage_token", server.get("/me", access_token="EAAgarbage"))
    c.done()


def test_user_and_app_endpoints(server: ThreadServer) -> None:
    w, c = server.world(), Check()
    c.shape("me", server.get("/me", access_token=w.user_token))
    c.shape("me", server.get(f"/{w.user_id}", access_token=w.user_token))
    c.shape("permissions", server.get("/me/permissions", access_token=w.user_token))
    c.shape("accounts", server.get("/me/accounts", access_token=w.user_token))
    c.shape("app", server.get(f"/{w.app_id}", access_token=w.app_token))
    c.shape("test_user", server.post(f"/{w.app_id}/accounts/test-users", installed="true",
                                     permissions="pages_show_list", access_token=w.app_token))
    c.shape("test_users", server.get(f"/{w.app_id}/accounts/test-users", access_token=w.app_token))
    c.headers("create_page", server.post(f"/{w.user_id}/accounts", name="Shop", category="Shop",
                                         access_token=w.user_token))
    ids = server.get("/", ids=f"{w.user_id},{w.page_id}", access_token=w.user_token)
    c.headers("ids", ids)
    assert set(ids.json()) == {w.user_id, w.page_id}
    batch = json.dumps([{"method": "GET", "relative_url": "me"}, {"method": "GET", "relative_url": "me/nope"}])
    c.shape("batch", server.post("/", batch=batch, access_token=w.user_token))
    c.shape("batch", server.post("/me", batch=batch, access_token=w.user_token))
    c.error("no_token_me", server.get("/me"))
    c.error("no_token_node", server.get(f"/{w.page_id}"))
    c.error("unknown_path", server.get("/me/nothing_here", access_token=w.user_token))
    c.error("unknown_field", server.get("/me", fields="foobar", access_token=w.user_token))
    c.error("missing", server.get("/999999999", access_token=w.user_token))
    c.error("bad_param", server.get("/me/accounts", limit="many", access_token=w.user_token))
    c.error("permission", server.get("/me", fields="email", access_token=w.user_token))
    gone = server.world()
    users.set_password(server.auth, gone.user_id, "a different password")
    c.error("password", server.get("/me", access_token=gone.user_token))
    removed = server.world()
    server.delete(f"/{removed.user_id}/permissions", access_token=removed.app_token)
    c.error("app_removed", server.get("/me", access_token=removed.user_token))
    c.shape("success", server.delete(f"/{w.user_id}/permissions/read_insights", access_token=w.user_token))
    c.done()


@pytest.fixture
def page_world(server: ThreadServer) -> tuple[ThreadServer, Any, str]:
    s = scene(server.auth)
    return server, s, s.page_token(s.owner_id, EVERYTHING.split(","))


def test_page_endpoints(page_world: tuple[ThreadServer, Any, str]) -> None:
    server, s, token = page_world
    c = Check()
    c.shape("page", server.get(f"/{s.page_id}", access_token=token))
    c.shape("success", server.post(f"/{s.page_id}", about="Fresh bread", access_token=token))
    post = c.shape("id", server.post(f"/{s.page_id}/feed", message="Open today", access_token=token))["id"]
    feed = server.get(f"/{s.page_id}/feed", access_token=token)
    c.shape("feed", feed)
    for header in PAGE_TOKEN_HEADERS:
        if header not in feed.headers:
            c.found.append(f"feed: {header} missing")
    assert set(json.loads(feed.headers["x-page-usage"])) == USAGE_KEYS
    assert set(json.loads(feed.headers["x-app-usage"])) == USAGE_KEYS
    buc = json.loads(feed.headers["x-business-use-case-usage"])
    assert list(buc) == [s.page_id] and set(buc[s.page_id][0]) == BUC_KEYS
    c.shape("post", server.get(f"/{post}", access_token=token))
    c.shape("success", server.post(f"/{post}", message="Open today and tomorrow", access_token=token))
    visitors = s.visitor_comment(post)
    c.shape("comments", server.get(f"/{post}/comments", access_token=token))
    comment = c.shape("id", server.post(f"/{post}/comments", message="Thanks!", access_token=token))["id"]
    c.shape("success", server.post(f"/{visitors}", is_hidden="true", access_token=token))
    c.shape("success", server.delete(f"/{comment}", access_token=token))
    conversation, visitor = s.conversation()
    c.shape("conversations", server.get(f"/{s.page_id}/conversations", access_token=token))
    c.shape("messages", server.get(f"/{conversation}/messages", access_token=token))
    c.shape("send", server.post(f"/{s.page_id}/messages", recipient=json.dumps({"id": visitor}),
                                message=json.dumps({"text": "Yes!"}), messaging_type="RESPONSE",
                                access_token=token))
    c.shape("insights", server.get(f"/{s.page_id}/insights", metric="page_impressions", period="day",
                                   access_token=token))
    c.shape("roles", server.get(f"/{s.page_id}/roles", summary="true", access_token=token))
    c.headers("subscribed_apps", server.get(f"/{s.page_id}/subscribed_apps", access_token=token))
    c.headers("ads", server.get(f"/{s.page_id}/ads", access_token=token))
    c.shape("success", server.delete(f"/{post}", access_token=token))
    apps.configure(server.auth, s.app_id, require_proof=True)
    c.error("proof_required", server.get(f"/{s.page_id}", access_token=token))
    c.error("proof_invalid", server.get(f"/{s.page_id}", access_token=token, appsecret_proof="0" * 64))
    c.done()
