"""Group commit: writes from many threads share one transaction; one that fails is taken out alone."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, select

from pagetoken.store.store import Store, add_node
from pagetoken.store.tables import nodes
from pagetoken.store.writers import NestedWrite


class Refused(Exception):
    pass


class WatchedQueue(list):  # type: ignore[type-arg]
    """The group's queue, telling each time a piece joins it."""

    def __init__(self, items: list[object]) -> None:
        super().__init__(items)
        self.grew = threading.Condition()

    def append(self, item: object) -> None:
        with self.grew:
            super().append(item)
            self.grew.notify_all()


def test_pieces_queued_together_commit_in_one_transaction_and_fail_alone(store_url: str) -> None:
    store = Store.open(store_url)
    group = store._group
    release = threading.Event()
    holding = threading.Event()
    ran_after: list[str] = []
    results: dict[str, object] = {}

    def piece(node_id: str, fail: bool = False, hold: bool = False) -> Callable[[Connection], str]:
        def work(conn: Connection) -> str:
            if hold:  # the first piece keeps its transaction open until every other piece is queued
                holding.set()
                assert release.wait(30)
            add_node(conn, "post", 0.0, node_id=node_id)
            store.after_commit(conn, lambda: ran_after.append(node_id))
            if fail:
                raise Refused(node_id)
            return node_id
        return work

    def call(node_id: str, **kw: bool) -> None:
        try:
            results[node_id] = store.write_grouped(piece(node_id, **kw))
        except Refused as exc:
            results[node_id] = exc

    try:
        first = threading.Thread(target=call, args=("1",), kwargs={"hold": True})
        first.start()
        assert holding.wait(30)  # the first one leads, and holds its transaction open
        queued = WatchedQueue(group._queue)
        group._queue = queued
        others = [threading.Thread(target=call, args=(str(i),), kwargs={"fail": i == 3}) for i in range(2, 7)]
        for t in others:
            t.start()
        with queued.grew:  # all five wait behind the first transaction
            assert queued.grew.wait_for(lambda: len(queued) >= len(others), timeout=30)
        release.set()
        for t in [first, *others]:
            t.join(30)
        assert results["1"] == "1" and isinstance(results["3"], Refused)
        assert {k: v for k, v in results.items() if k not in ("1", "3")} == {k: k for k in ("2", "4", "5", "6")}
        # the first alone; then the five that queued meanwhile, once more without the one that failed
        assert group.transactions == 3
        with store.read() as conn:
            stored = {r[0] for r in conn.execute(select(nodes.c.id))}
        assert stored == {"1", "2", "4", "5", "6"}  # the refused piece rolled back alone
        assert sorted(ran_after) == ["1", "2", "4", "5", "6"]  # and its after-commit action was dropped
        assert not group._busy and not group._queue
    finally:
        release.set()
        store.close()


def test_a_lone_piece_that_fails_leaves_the_lead_free_for_the_next(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        with pytest.raises(Refused):
            store.write_grouped(lambda conn: (_ for _ in ()).throw(Refused("x")))
        assert store.write_grouped(lambda conn: add_node(conn, "post", 0.0, node_id="7")) == "7"
        assert store._group.transactions == 2
    finally:
        store.close()


def test_a_grouped_write_inside_another_fails_at_once_and_the_group_goes_on(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        def nested(conn: Connection) -> str:
            return store.write_grouped(lambda c: add_node(c, "app", 0.0))

        with pytest.raises(NestedWrite):  # it would otherwise wait on its own queue for ever
            store.write_grouped(nested)
        made = store.write_grouped(lambda conn: add_node(conn, "app", 0.0))
        with store.read() as conn:
            assert conn.execute(select(nodes.c.id).where(nodes.c.id == made)).scalar() == made
    finally:
        store.close()
