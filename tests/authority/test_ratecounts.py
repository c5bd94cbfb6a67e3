"""Rate counts shared through the database: several RateCounts on one authority stand for several server
processes on one database. The clock is the authority's (a ManualClock), so windows move when told to."""

from __future__ import annotations

import pytest

from pagetoken.authority import ratecounts
from pagetoken.authority.context import Authority
from pagetoken.authority.ratecounts import SLOTS, RateCounts, hold
from pagetoken.core.clock import ManualClock
from pagetoken.core.limits import Limits

APP = ("app", "111")
USER = ("user", "222")


def limits(app: int = 40, window: float = 60.0) -> Limits:
    return Limits(window=window, app=app, user=10**6, page=10**6)


def take(counts: RateCounts, lim: Limits, keys: tuple[tuple[str, str], ...] = (APP,)) -> bool:
    refused, _ = counts.admit(list(keys), lim)
    return refused is None


def test_the_hold_is_a_hundredth_of_the_limit_and_at_least_one() -> None:
    assert [hold(n) for n in (1, 40, 99, 100, 250, 50000)] == [1, 1, 1, 1, 2, 500]


def test_two_processes_never_admit_more_than_the_documented_bound(auth: Authority) -> None:
    lim = limits(app=40)
    a, b = RateCounts(auth), RateCounts(auth)
    admitted = sum(take(p, lim) for _ in range(40) for p in (a, b))  # 80 calls, alternating
    assert 40 <= admitted <= 40 + (2 - 1) * hold(40)
    assert not take(a, lim) and not take(b, lim)  # every call past it is refused, on both


def test_a_large_hold_is_exchanged_before_it_is_passed(auth: Authority) -> None:
    lim = limits(app=1000)  # B = 10
    a, b = RateCounts(auth), RateCounts(auth)
    admitted = 0
    for i in range(2000):
        admitted += take(a if i % 3 else b, lim)
        for p in (a, b):
            assert all(c.unread <= hold(1000) for c in p._keys.values())
    assert 1000 <= admitted <= 1000 + hold(1000)


def test_counting_reads_memory_until_an_exchange_is_due(auth: Authority) -> None:
    lim = limits(app=500)  # B = 5
    a = RateCounts(auth)
    with auth.memory_only(), pytest.raises(Authority.NeedsIO):
        take(a, lim)  # a key never seen: its totals are read first, off the event loop
    assert take(a, lim)
    with auth.memory_only():
        for _ in range(4):
            assert take(a, lim)
        with pytest.raises(Authority.NeedsIO):
            take(a, lim)  # five unread: the next call exchanges first
    assert take(a, lim)
    assert a.tally(APP, lim.window).calls == 6


def test_the_flusher_shares_counts_and_time_with_the_others(auth: Authority) -> None:
    lim = limits(app=100)
    a, b = RateCounts(auth), RateCounts(auth)
    _, start = a.admit([APP, USER], lim)
    a.charge([APP, USER], start, 2.5, 0.5)
    a.exchange()
    b.admit([USER], lim)
    b.exchange()
    assert b.tally(USER, lim.window) == ratecounts.Tally(2, 2.5, 0.5)
    b.admit([APP], lim)  # b reads a key back once it has seen it
    b.exchange()
    seen, ends = b.tally(APP, lim.window), b.ends(APP, lim.window)
    assert (seen.calls, seen.wall, seen.cpu) == (2, 2.5, 0.5)
    assert ends is not None and ends > auth.now() + lim.window


def test_time_budgets_refuse_like_calls(auth: Authority) -> None:
    lim = Limits(window=60, app=100, user=100, page=100, time_budget=3.0, cpu_budget=100.0)
    a, b = RateCounts(auth), RateCounts(auth)
    _, start = a.admit([APP], lim)
    a.charge([APP], start, 3.0, 0.1)
    a.exchange()
    assert b.admit([APP], lim)[0] == APP  # refused on fresh totals: b exchanged before refusing


def test_the_window_moves_with_the_clock(auth: Authority, clock: ManualClock) -> None:
    lim = limits(app=3, window=60.0)
    a, b = RateCounts(auth), RateCounts(auth)
    assert take(a, lim) and take(a, lim) and take(a, lim)
    a.exchange()
    assert not take(b, lim) and not take(a, lim)
    clock.advance(60)  # a call counts for the window and one slot more
    assert not take(b, lim)
    clock.advance(60 / SLOTS)
    assert take(b, lim) and take(a, lim)


def test_clear_empties_the_shared_counts_and_what_others_held_back(auth: Authority) -> None:
    lim = limits(app=300)  # B = 3
    a, b = RateCounts(auth), RateCounts(auth)
    assert take(b, lim)  # b reads the key, then holds this call back
    for _ in range(3):
        assert take(a, lim)
    a.exchange()
    a.clear()  # a dev reset: the table emptied, the change counter bumped
    assert take(b, lim)  # b saw the change, exchanged, and dropped what it held from before
    b.exchange()
    a.admit([APP], lim)
    a.exchange()
    assert a.tally(APP, lim.window).calls == 2  # b's call after the clear, and this one


def test_stop_writes_what_is_pending(auth: Authority) -> None:
    lim = limits(app=100)
    a = RateCounts(auth, interval=60)
    a.start()
    take(a, lim)
    a.stop()
    b = RateCounts(auth)
    take(b, lim)
    b.exchange()
    assert b.tally(APP, lim.window).calls == 2


def test_a_failed_exchange_keeps_the_counts(auth: Authority, monkeypatch: pytest.MonkeyPatch) -> None:
    lim = limits(app=100)
    a = RateCounts(auth)
    take(a, lim)

    def broken(*_args: object) -> None:
        raise RuntimeError("the database is away")

    monkeypatch.setattr(a, "_write_and_read", broken)
    with pytest.raises(RuntimeError):
        a.exchange()
    monkeypatch.undo()
    a.exchange()
    b = RateCounts(auth)
    take(b, lim)
    b.exchange()
    assert b.tally(APP, lim.window).calls == 2


def test_a_key_is_forgotten_once_nothing_of_it_counts(auth: Authority, clock: ManualClock) -> None:
    lim = limits(app=100)
    a = RateCounts(auth)
    take(a, lim, (APP, USER))
    a.exchange()
    a.exchange()
    assert set(a._keys) == {APP, USER}  # counted in the window: kept
    clock.advance(lim.window + 2 * lim.window / SLOTS)
    take(a, lim, (USER,))
    a.exchange()
    a.exchange()
    assert set(a._keys) == {USER}  # the app's window has passed untouched: its counts are gone from memory
