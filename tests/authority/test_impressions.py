"""Impressions are counted in memory and written in batches: a read never opens a write transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, func, select

from pagetoken.authority import impressions, insights
from pagetoken.authority.context import Authority
from pagetoken.core.clock import ManualClock
from pagetoken.store.tables import page_events
from tests.pageapi.helpers import scene
from tests.support.servers import ThreadServer


def _stored(auth: Authority) -> int:
    with auth.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(page_events)).scalar_one())


def test_events_wait_in_memory_until_flushed(auth: Authority) -> None:
    s = scene(auth)
    impressions.record(auth, s.page_id, insights.IMPRESSION, ["a", "b"], "viewer")
    impressions.record(auth, s.page_id, insights.VIEW, [], "viewer")  # nothing to count
    assert _stored(auth) == 0 and impressions.log_for(auth).pending() == 2
    assert impressions.log_for(auth).flush() == 2
    assert _stored(auth) == 2 and impressions.log_for(auth).pending() == 0


def test_a_failed_flush_keeps_the_events(auth: Authority, monkeypatch: pytest.MonkeyPatch) -> None:
    s = scene(auth)
    log = impressions.log_for(auth)
    impressions.record(auth, s.page_id, insights.IMPRESSION, ["a"], "viewer")
    real = auth.store.write

    @contextmanager
    def broken() -> Iterator[Connection]:
        raise OSError("disk full")
        yield  # pragma: no cover

    monkeypatch.setattr(auth.store, "write", broken)
    with pytest.raises(OSError):
        log.flush()
    impressions.record(auth, s.page_id, insights.IMPRESSION, ["b"], "viewer")
    monkeypatch.setattr(auth.store, "write", real)
    assert log.flush() == 2 and _stored(auth) == 2


def test_closing_the_authority_writes_what_is_pending(auth: Authority) -> None:
    s = scene(auth)
    impressions.record(auth, s.page_id, insights.VIEW, [s.page_id], None)
    auth.emit("closing")
    assert _stored(auth) == 1


FLUSHERS = ("pagetoken-impressions", "pagetoken-ratecounts")


def test_a_page_read_does_not_write_and_insights_still_count_it(server: ThreadServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    s = scene(server.auth)
    token = s.page_token(s.owner_id, ["pages_read_engagement", "read_insights"])
    s.post()
    writes: list[str] = []
    real = server.auth.store.write

    @contextmanager
    def watched() -> Iterator[Connection]:
        if threading.current_thread().name not in FLUSHERS:  # the flushers may write; a read may not
            writes.append(threading.current_thread().name)
        with real() as conn:
            yield conn

    monkeypatch.setattr(server.auth.store, "write", watched)
    assert server.get(f"/{s.page_id}", fields="name", access_token=token).status_code == 200
    assert server.get(f"/{s.page_id}/feed", access_token=token).status_code == 200
    assert writes == []
    monkeypatch.setattr(server.auth.store, "write", real)
    data = server.get(f"/{s.page_id}/insights", metric="page_views_total,page_impressions", period="day",
                      access_token=token).json()["data"]
    assert {d["name"]: d["values"][-1]["value"] for d in data} == {"page_views_total": 1, "page_impressions": 1}


def test_reads_of_one_second_share_a_row_and_insights_count_every_one(auth: Authority, clock: ManualClock) -> None:
    s = scene(auth)
    clock.set(float(int(clock.now())) + 0.25)
    for _ in range(500):
        impressions.record(auth, s.page_id, insights.VIEW, [s.page_id], "viewer")
    clock.advance(0.5)  # the same second: the same row
    impressions.record(auth, s.page_id, insights.VIEW, [s.page_id], "viewer")
    impressions.record(auth, s.page_id, insights.VIEW, [s.page_id], "other")  # another viewer: its own row
    clock.advance(0.5)  # the next second: a row of its own
    impressions.record(auth, s.page_id, insights.VIEW, [s.page_id], "viewer")
    assert impressions.log_for(auth).pending() == 503
    assert impressions.log_for(auth).flush() == 503
    assert _stored(auth) == 3
    with auth.store.read() as conn:
        assert sorted(conn.execute(select(page_events.c.count)).scalars()) == [1, 1, 501]
    # a period ending on a whole second counts each event in the second it happened in
    views = insights.resolve_metrics(["page_views_total"], insights.PAGE_METRICS)
    last = float(int(clock.now()))
    ends = [last - 1, last, last + 1]
    values = insights.compute(auth, s.page_id, views, ["day"], ends)[0]["values"]
    assert [v["value"] for v in values] == [0, 502, 503]
