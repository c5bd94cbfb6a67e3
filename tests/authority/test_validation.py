"""Validation: both app token forms, data access expiry, what a Page token carries now."""

from __future__ import annotations

import pytest

from pagetoken.authority import apps, oauth, roles, users, validation
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.clock import ManualClock
from pagetoken.core.errors import ApiError

from .scene import ALL, code_of, page_token, scene


def test_app_tokens_both_forms(auth: Authority) -> None:
    s = scene(auth)
    tok = oauth.client_credentials(auth, s.app, None).access_token
    assert validation.resolve(auth, tok).kind == "app"
    pair = validation.resolve(auth, f"{s.app.id}|{s.secret}")
    assert pair.kind == "app" and pair.app_id == s.app.id
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, f"{s.app.id}|{'0' * 32}")
    assert code_of(e) == (190, None) and e.value.message == "Invalid OAuth access token signature."
    with pytest.raises(ApiError) as e:
        apps.check_secret(auth, s.app.id, "wrong")
    assert (e.value.code, e.value.status, e.value.message) == (1, 400, "Error validating client secret.")


def test_data_access_expiry_is_493_until_consent(auth: Authority, clock: ManualClock) -> None:
    s = scene(auth)
    long_user = oauth.exchange(auth, s.app, s.user_token).access_token
    clock.advance(59 * 86400)
    long_user = oauth.exchange(auth, s.app, long_user).access_token
    clock.advance(32 * 86400)  # 91 days after consent, the long-lived token itself is still in date
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, long_user)
    assert code_of(e) == (190, errors.SUB_DATA_ACCESS_EXPIRED)
    oauth.grant_and_token(auth, s.app, s.user_id, ALL, [], None)  # consent again
    assert validation.resolve(auth, long_user).kind == "user"


def test_a_page_token_carries_what_the_users_tasks_allow(auth: Authority) -> None:
    s = scene(auth)
    analyst, _ = users.create(auth, "Ann", None, "password123")
    roles.set_tasks(auth, s.page_id, analyst.id, ["ANALYZE"])
    short = oauth.grant_and_token(auth, s.app, analyst.id, ALL, [], None).access_token
    long = oauth.exchange(auth, s.app, short).access_token
    info = validation.resolve(auth, page_token(auth, long, s.page_id))
    with auth.store.read() as conn:
        carried = set(validation.effective_scopes(auth, info, conn=conn))
        before_tasks = set(validation.effective_scopes(auth, info, by_tasks=False, conn=conn))
    assert carried == {"pages_show_list", "pages_read_engagement", "read_insights"}  # granted ∩ ANALYZE
    assert "pages_manage_posts" in before_tasks  # so publishing answers 10 (the task), not 200
    roles.set_tasks(auth, s.page_id, analyst.id, ["ANALYZE", "CREATE_CONTENT"])
    with auth.store.read() as conn:
        assert "pages_manage_posts" in validation.effective_scopes(auth, info, conn=conn)
