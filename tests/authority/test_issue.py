"""Minting: the tier rule, the lifetimes of each kind, counted from the issue."""

from __future__ import annotations

import pytest

from pagetoken.authority import oauth, validation
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.clock import ManualClock
from pagetoken.core.errors import ApiError

from .scene import ALL, code_of, page_token, scene


def test_tier_rule_and_lifetimes_of_user_page_tokens(auth: Authority, clock: ManualClock) -> None:
    s = scene(auth)
    short_page = validation.resolve(auth, page_token(auth, s.user_token, s.page_id))
    assert set(short_page.scopes) == {"pages_show_list", "pages_read_engagement", "read_insights"}
    assert short_page.expires_at == validation.resolve(auth, s.user_token).expires_at
    long_user = oauth.exchange(auth, s.app, s.user_token).access_token
    long_page = validation.resolve(auth, page_token(auth, long_user, s.page_id))
    assert set(long_page.scopes) == set(ALL)
    assert long_page.expires_at == pytest.approx(clock.now() + 60 * 86400)
    again = oauth.exchange(auth, s.app, long_page.raw)
    assert validation.resolve(auth, again.access_token).page_id == s.page_id
    with pytest.raises(ApiError) as e:
        oauth.exchange(auth, s.app, short_page.raw)
    assert e.value.code == 100


class TickingClock(ManualClock):
    """A clock that moves 0.6 s every time it is read (a slow machine, seen from the inside)."""

    def now(self) -> float:
        value = super().now()
        self.advance(0.6)
        return value


def test_a_token_lives_exactly_its_lifetime_from_its_issue(db_url: str) -> None:
    from pagetoken.core.keyring import KeyRing, new_key
    from pagetoken.core.lifetimes import Lifetimes
    from pagetoken.store.store import Store

    ticking = Authority(Store.open(db_url), KeyRing([new_key()]), TickingClock(1_800_000_000.0), Lifetimes())
    try:
        s = scene(ticking)
        long = oauth.exchange(ticking, s.app, s.user_token).access_token
        app_page = oauth.client_credentials(ticking, s.app, s.page_id).access_token
        lifetimes = {}
        for name, tok in (("user", s.user_token), ("long", long), ("app_page", app_page),
                          ("user_page", page_token(ticking, long, s.page_id))):
            with ticking.store.read() as conn:
                info = validation.resolve(ticking, tok, conn)
            assert info.expires_at is not None
            lifetimes[name] = info.expires_at - info.issued_at
        assert lifetimes == {"user": 3600, "long": 60 * 86400, "app_page": 3600, "user_page": 60 * 86400}
    finally:
        ticking.close()


def test_page_tokens_expire_never_when_configured(auth: Authority, clock: ManualClock) -> None:
    from dataclasses import replace as with_

    from pagetoken.core.lifetimes import Lifetimes

    assert Lifetimes.from_env({"PAGETOKEN_PAGE_TOKENS_EXPIRE": "never"}).page_tokens_expire is False
    assert Lifetimes.from_env({}).page_tokens_expire is True
    with pytest.raises(ValueError):
        Lifetimes.from_env({"PAGETOKEN_PAGE_TOKENS_EXPIRE": "sometimes"})
    s = scene(auth)
    auth.lifetimes = with_(auth.lifetimes, page_tokens_expire=False)
    long_user = oauth.exchange(auth, s.app, s.user_token).access_token
    page = validation.resolve(auth, page_token(auth, long_user, s.page_id))
    assert page.expires_at is None and validation.describe(auth, page)["expires_at"] == 0
    short_page = validation.resolve(auth, page_token(auth, s.user_token, s.page_id))
    assert short_page.expires_at is not None  # from a short-lived user token: expires with it
    clock.advance(61 * 86400)
    assert validation.resolve(auth, page.raw).kind == "page"  # past the 60 days a Page token lives by default
    clock.advance(30 * 86400)
    with pytest.raises(ApiError) as e:  # but data access still lapses after 90 days unused
        validation.resolve(auth, page.raw)
    assert code_of(e) == (190, errors.SUB_DATA_ACCESS_EXPIRED)
