"""Retention: purging the long dead."""

from __future__ import annotations

import pytest

from pagetoken.authority import oauth, revoke, validation
from pagetoken.authority.context import Authority
from pagetoken.core.clock import ManualClock
from pagetoken.core.errors import ApiError

from .scene import ALL, code_of, scene


def test_purge_forgets_long_dead_tokens_and_spent_codes(auth: Authority, clock: ManualClock) -> None:
    from pagetoken.authority import retention

    s = scene(auth)
    live = oauth.exchange(auth, s.app, s.user_token).access_token
    code = oauth.grant_and_code(auth, s.app, s.user_id, "https://app.example/cb", ALL, [], None)
    oauth.redeem_code(auth, s.app, "https://app.example/cb", code)
    revoke.revoke_token(auth, s.user_token)
    clock.advance(10 * 86400)
    assert retention.purge(auth, 30) == retention.Purged(0, 0)  # dead for 10 days only: kept
    clock.advance(25 * 86400)
    assert retention.purge(auth, 30, dry_run=True).tokens >= 1
    purged = retention.purge(auth, 30)
    assert purged.tokens >= 1 and purged.codes == 1
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, s.user_token)
    assert code_of(e) == (190, None)  # now simply unknown
    assert validation.resolve(auth, live).kind == "user"  # the live long-lived token stays
