"""Users: password changes end their tokens (460); password hashing is bounded, at most one argon2
computation per CPU core at once, whoever asks."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from pagetoken.authority import oauth, users, validation
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.errors import ApiError

from .scene import ALL, code_of, page_token, scene


class CountingHasher:
    """Stands in for argon2: records how many hashes run at once, and holds each until released."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()
        self.full = threading.Event()
        self.release = threading.Event()

    def _work(self) -> None:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            if self.inside >= self.bound:
                self.full.set()
        self.release.wait(10)
        with self.lock:
            self.inside -= 1

    def hash(self, _password: str) -> str:
        self._work()
        return "$argon2id$fake"

    def verify(self, _hash: str, _password: str) -> bool:
        self._work()
        return True


class WatchedSemaphore:
    """The bound under test, telling when `waiting` callers are held at it (found it taken)."""

    def __init__(self, bound: int, waiting: int) -> None:
        self.real = threading.BoundedSemaphore(bound)
        self.expected = waiting
        self.held = 0
        self.lock = threading.Lock()
        self.crowded = threading.Event()

    def __enter__(self) -> None:
        if not self.real.acquire(blocking=False):
            with self.lock:
                self.held += 1
                if self.held >= self.expected:
                    self.crowded.set()
            self.real.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.real.release()


def test_hashes_never_exceed_the_bound(auth: Authority, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = WatchedSemaphore(2, waiting=4)
    monkeypatch.setattr(users, "HASHING", gate)
    fake = CountingHasher(2)
    monkeypatch.setattr(users, "_hasher", fake)
    calls: list[Any] = [lambda n=n: users.create(auth, f"U{n}", f"u{n}@example.com", "a long password")
                        for n in range(3)]
    calls += [lambda: users.authenticate(auth, "nobody@example.com", "a long password") for _ in range(3)]
    threads = [threading.Thread(target=c) for c in calls]
    for t in threads:
        t.start()
    assert fake.full.wait(10)
    assert gate.crowded.wait(10)  # the other four are held at the bound, not hashing
    fake.release.set()
    for t in threads:
        t.join(10)
    assert fake.most == 2


def test_an_overlong_password_is_not_even_hashed(auth: Authority, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = CountingHasher(1)
    fake.release.set()
    monkeypatch.setattr(users, "_hasher", fake)
    assert users.authenticate(auth, "nobody@example.com", "x" * 100_000) is None
    assert fake.most == 0


def test_password_change_is_460(auth: Authority) -> None:
    s = scene(auth)
    page_tok = page_token(auth, s.user_token, s.page_id)
    users.set_password(auth, s.user_id, "a new password")
    for tok in (s.user_token, page_tok):
        with pytest.raises(ApiError) as e:
            validation.resolve(auth, tok)
        assert code_of(e) == (190, errors.SUB_PASSWORD_CHANGED)
    fresh = oauth.grant_and_token(auth, s.app, s.user_id, ALL, [], None).access_token
    assert validation.resolve(auth, fresh).user_id == s.user_id
