"""Shapes of the Messenger, insights, roles, subscribed_apps, ads and billing endpoints (SPEC §6)."""

from __future__ import annotations

import json

from pagetoken.authority import insights
from tests.support.servers import ThreadServer

from .helpers import EVERYTHING, err, person, scene

DAY = 86400


def test_conversations_messages_and_sending(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    conv, visitor = s.conversation("Are you open on Sunday?")
    srv.clock.advance(1)
    sent = srv.post(f"/{s.page_id}/messages", recipient=json.dumps({"id": visitor}),
                    message=json.dumps({"text": "Yes, 8 to 12"}), messaging_type="RESPONSE", access_token=token)
    assert set(sent.json()) == {"recipient_id", "message_id"} and sent.json()["recipient_id"] == visitor
    listing = srv.get(f"/{s.page_id}/conversations", access_token=token).json()
    assert [c["id"] for c in listing["data"]] == [conv]
    assert set(listing["data"][0]) == {"id", "link", "updated_time"}
    detail = srv.get(f"/{conv}", fields="message_count,snippet,participants", access_token=token).json()
    assert detail["message_count"] == 2 and detail["snippet"] == "Yes, 8 to 12"
    assert {p["id"] for p in detail["participants"]["data"]} == {visitor, s.page_id}
    msgs = srv.get(f"/{conv}/messages", fields="message,from,to", access_token=token).json()["data"]
    assert [m["message"] for m in msgs] == ["Yes, 8 to 12", "Are you open on Sunday?"]
    assert msgs[0]["from"]["id"] == s.page_id and msgs[0]["to"]["data"][0]["id"] == visitor
    one = srv.get(f"/{sent.json()['message_id']}", fields="message", access_token=token).json()
    assert one["message"] == "Yes, 8 to 12"
    # a plain recipient ID and plain text are accepted too
    plain = srv.post(f"/{s.page_id}/messages", recipient=visitor, message="Plain", messaging_type="UPDATE",
                     access_token=token)
    assert plain.json()["recipient_id"] == visitor
    stranger = person(s.auth, "Stan Stranger")
    e = err(srv.post(f"/{s.page_id}/messages", recipient=json.dumps({"id": stranger}),
                     message=json.dumps({"text": "hi"}), messaging_type="RESPONSE", access_token=token))
    assert (e["code"], e["error_subcode"]) == (100, 2018001)
    e = err(srv.post(f"/{s.page_id}/messages", recipient=visitor, message="x", messaging_type="SPAM",
                     access_token=token))
    assert e["code"] == 100
    only = srv.get(f"/{s.page_id}/conversations", user_id=stranger, access_token=token).json()
    assert only["data"] == []


def test_insights_count_the_stored_activity(server: ThreadServer) -> None:
    s = scene(server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    post_id = s.post()
    insights.follow(s.auth, s.page_id, person(s.auth, "Fan One"))
    server.clock.advance(DAY)  # a day later: activity "today"
    for _ in range(3):
        server.get(f"/{s.page_id}/feed", access_token=token)  # 3 impressions of the one post
    server.get(f"/{s.page_id}", fields="name", access_token=token)  # a Page view
    s.visitor_comment(post_id)
    server.post(f"/{post_id}/likes", access_token=token)
    s.conversation()
    insights.follow(s.auth, s.page_id, person(s.auth, "Fan Two"))
    r = server.get(f"/v25.0/{s.page_id}/insights", access_token=token, period="day", metric=json.dumps(
        ["page_impressions", "page_impressions_unique", "page_post_engagements", "page_engaged_users",
         "page_views_total", "page_fans", "page_fan_adds", "page_messages_received"]))
    data = {d["name"]: d for d in r.json()["data"]}
    today = {name: d["values"][-1]["value"] for name, d in data.items()}
    yesterday = {name: d["values"][0]["value"] for name, d in data.items()}
    # the Page's own like is not engagement; the visitor's comment and the message are
    assert today == {"page_impressions": 3, "page_impressions_unique": 1, "page_post_engagements": 1,
                     "page_engaged_users": 2, "page_views_total": 1, "page_fans": 2, "page_fan_adds": 1,
                     "page_messages_received": 1}
    assert yesterday["page_fans"] == 1 and yesterday["page_impressions"] == 0
    entry = data["page_impressions"]
    assert set(entry) == {"name", "period", "values", "title", "description", "id"}
    assert entry["period"] == "day" and entry["id"] == f"{s.page_id}/insights/page_impressions/day"
    ends = [v["end_time"] for v in entry["values"]]
    assert all(e.endswith("T00:00:00+0000") for e in ends) and ends == sorted(ends)
    week = server.get(f"/{s.page_id}/insights/page_fan_adds", period="week", access_token=token).json()["data"]
    assert week[0]["period"] == "week" and week[0]["values"][-1]["value"] == 2
    every = server.get(f"/{s.page_id}/insights", metric="page_views_total", access_token=token).json()["data"]
    assert [d["period"] for d in every] == ["day", "week", "days_28"]
    post_stats = server.get(f"/{post_id}/insights", metric="post_impressions,post_engaged_users",
                            access_token=token).json()["data"]
    assert {d["name"]: d["values"][-1]["value"] for d in post_stats} == {"post_impressions": 3,
                                                                          "post_engaged_users": 1}
    server.clock.advance(8 * DAY)  # everything falls out of the day and week windows, not days_28
    later = server.get(f"/{s.page_id}/insights", metric="page_impressions", access_token=token).json()["data"]
    assert [d["values"][-1]["value"] for d in later] == [0, 0, 3]


def test_insights_errors(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    assert err(srv.get(f"/{s.page_id}/insights", metric="page_magic", access_token=token))["code"] == 100
    assert err(srv.get(f"/{s.page_id}/insights", access_token=token))["code"] == 100
    assert err(srv.get(f"/{s.page_id}/insights", metric="page_fans", period="year",
                       access_token=token))["code"] == 100
    ranged = srv.get(f"/{s.page_id}/insights", metric="page_fans", period="day", since="2027-01-01",
                     until="2027-01-05", access_token=token).json()
    assert len(ranged["data"][0]["values"]) == 5
    assert ranged["paging"]["next"].startswith(srv.url)


def test_roles_list_add_change_remove(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    helper = person(s.auth, "Hal Helper")
    assert srv.post(f"/{s.page_id}/roles", user=helper, tasks="MODERATE,ANALYZE",
                    access_token=token).json() == {"success": True}
    roles = {r["id"]: r for r in srv.get(f"/{s.page_id}/roles", access_token=token).json()["data"]}
    assert roles[helper] == {"id": helper, "name": "Hal Helper", "tasks": ["ANALYZE", "MODERATE"]}  # Graph order
    assert len(roles[s.owner_id]["tasks"]) == 6
    assert srv.post(f"/{s.page_id}/roles", user=helper, tasks='["ADVERTISE"]', access_token=token).json()["success"]
    roles = {r["id"]: r for r in srv.get(f"/{s.page_id}/roles", access_token=token).json()["data"]}
    assert roles[helper]["tasks"] == ["ADVERTISE"]
    assert err(srv.post(f"/{s.page_id}/roles", user=helper, tasks="JUGGLE", access_token=token))["code"] == 100
    assert err(srv.post(f"/{s.page_id}/roles", user="123", tasks="MODERATE", access_token=token))["code"] == 100
    assert srv.delete(f"/{s.page_id}/roles", user=helper, access_token=token).json() == {"success": True}
    assert helper not in {r["id"] for r in srv.get(f"/{s.page_id}/roles", access_token=token).json()["data"]}
    e = err(srv.delete(f"/{s.page_id}/roles", user=s.owner_id, access_token=token))
    assert e["code"] == 100 and "MANAGE" in e["message"]  # the last manager stays


def test_subscribed_apps(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    assert srv.get(f"/{s.page_id}/subscribed_apps", access_token=token).json()["data"] == []
    r = srv.post(f"/{s.page_id}/subscribed_apps", subscribed_fields='["feed","messages"]', access_token=token)
    assert r.json() == {"success": True}
    listing = srv.get(f"/{s.page_id}/subscribed_apps", access_token=token).json()["data"]
    assert listing == [{"id": s.app_id, "name": "Page App", "subscribed_fields": ["feed", "messages"]}]
    assert err(srv.post(f"/{s.page_id}/subscribed_apps", subscribed_fields="nonsense",
                        access_token=token))["code"] == 100
    assert srv.delete(f"/{s.page_id}/subscribed_apps", access_token=token).json() == {"success": True}
    assert srv.get(f"/{s.page_id}/subscribed_apps", access_token=token).json()["data"] == []


def test_ads_and_billing(server: ThreadServer) -> None:
    s = scene(server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    post_id = s.post()
    active = server.post(f"/{s.page_id}/ads", name="Boost", daily_budget="1000", status="ACTIVE", post_id=post_id,
                         access_token=token).json()["id"]
    paused = server.post(f"/{s.page_id}/ads", name="Later", daily_budget="500", access_token=token).json()["id"]
    ads_list = server.get(f"/{s.page_id}/ads", fields="name,status,daily_budget", access_token=token).json()
    assert {a["id"]: a["status"] for a in ads_list["data"]} == {active: "ACTIVE", paused: "PAUSED"}
    server.clock.advance(3 * DAY)
    bill = server.get(f"/{s.page_id}/billing", access_token=token).json()
    assert bill["summary"]["amount_spent"] == 3000 and bill["summary"]["currency"] == "USD"
    assert {b["id"]: b["spend"] for b in bill["data"]} == {active: 3000, paused: 0}
    assert err(server.post(f"/{s.page_id}/ads", name="x", access_token=token))["code"] == 100
    assert err(server.post(f"/{s.page_id}/ads", name="x", daily_budget="10", access_token=token))["code"] == 100


def test_a_read_that_waits_for_the_database_part_way_counts_its_impressions_once(server: ThreadServer) -> None:
    # The Page view is recorded before its feed is read; the feed needs the database, which the first
    # attempt on the event loop cannot wait for, so the call runs again in a worker thread.
    s = scene(server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    s.post()
    for _ in range(3):  # the first one reads the token and the Page from the database; the others not
        read = server.get(f"/{s.page_id}", fields="name,feed", access_token=token).json()
        assert read["name"] and len(read["feed"]["data"]) == 1
    r = server.get(f"/{s.page_id}/insights", access_token=token, period="day",
                   metric="page_views_total,page_impressions")
    assert {d["name"]: d["values"][-1]["value"] for d in r.json()["data"]} == {"page_views_total": 3,
                                                                                "page_impressions": 3}
