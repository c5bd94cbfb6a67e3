"""Grants and exchanges (SPEC §4): short- and long-lived user tokens, app-derived Page tokens,
codes, test users; on SQLite and PostgreSQL with the clock moved by hand."""

from __future__ import annotations

import pytest

from pagetoken.authority import apps, issue, oauth, users, validation
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.clock import ManualClock
from pagetoken.core.errors import ApiError
from pagetoken.core.kinds import Source

from .scene import ALL, code_of, scene


def test_short_lived_user_token_expires_and_cannot_be_extended(auth: Authority, clock: ManualClock) -> None:
    s = scene(auth)
    info = validation.resolve(auth, s.user_token)
    assert info.expires_at == pytest.approx(clock.now() + 3600)
    clock.advance(3600)
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, s.user_token)
    assert code_of(e) == (190, errors.SUB_EXPIRED)
    with pytest.raises(ApiError) as e:
        oauth.exchange(auth, s.app, s.user_token)
    assert code_of(e) == (190, errors.SUB_EXPIRED)


def test_extension_gives_fresh_long_lifetime_and_old_token_stays(auth: Authority, clock: ManualClock) -> None:
    s = scene(auth)
    long1 = oauth.exchange(auth, s.app, s.user_token)
    assert long1.expires_at == pytest.approx(clock.now() + 60 * 86400)
    clock.advance(30 * 86400)
    long2 = oauth.exchange(auth, s.app, long1.access_token)
    assert long2.expires_at == pytest.approx(clock.now() + 60 * 86400)
    assert validation.resolve(auth, long1.access_token).long_lived  # the old one still works
    clock.advance(30 * 86400)
    with pytest.raises(ApiError) as e:
        oauth.exchange(auth, s.app, long1.access_token)
    assert code_of(e) == (190, errors.SUB_EXPIRED)
    assert validation.resolve(auth, long2.access_token).kind == "user"


def test_exchange_needs_the_tokens_own_app(auth: Authority) -> None:
    s = scene(auth)
    other, _ = apps.create(auth, "Other")
    with pytest.raises(ApiError) as e:
        oauth.exchange(auth, other, s.user_token)
    assert e.value.code == 100


def test_app_derived_page_tokens(auth: Authority, clock: ManualClock) -> None:
    s = scene(auth)
    short = oauth.client_credentials(auth, s.app, s.page_id)
    assert short.expires_at == pytest.approx(clock.now() + 3600)
    info = validation.resolve(auth, short.access_token)
    assert info.kind == "page" and info.origin == "app" and set(info.scopes) == set(ALL)
    app_tok = validation.resolve(auth, issue.app_token(auth, s.app.id))
    with pytest.raises(ApiError) as e:
        oauth.app_page_token(auth, app_tok, None, s.page_id, long_lived=True)
    assert e.value.message.startswith("API calls from the server require an appsecret_proof")
    with pytest.raises(ApiError) as e:
        oauth.app_page_token(auth, app_tok, "ab" * 32, s.page_id, long_lived=True)
    assert e.value.message.startswith("Invalid appsecret_proof")
    from pagetoken.core.proof import appsecret_proof

    long = oauth.app_page_token(auth, app_tok, appsecret_proof(app_tok.raw, s.secret), s.page_id, long_lived=True)
    assert long.expires_at == pytest.approx(clock.now() + 60 * 86400)


def test_page_that_did_not_grant_the_app_gets_no_app_token(auth: Authority) -> None:
    s = scene(auth, targets=[])  # the user chose no Page
    with pytest.raises(ApiError) as e:
        oauth.client_credentials(auth, s.app, s.page_id)
    assert e.value.code == 10


def test_codes_are_single_use_and_bound_to_redirect_uri(auth: Authority, clock: ManualClock) -> None:
    s = scene(auth)
    code = oauth.grant_and_code(auth, s.app, s.user_id, "https://app.example/cb", ALL, [], None)
    with pytest.raises(ApiError) as e:
        oauth.redeem_code(auth, s.app, "https://app.example/other", code)
    assert e.value.message.startswith("Error validating verification code")
    tok = oauth.redeem_code(auth, s.app, "https://app.example/cb", code)
    assert validation.resolve(auth, tok.access_token).source == Source.CODE
    long = oauth.exchange(auth, s.app, tok.access_token).access_token
    with pytest.raises(ApiError) as e:
        oauth.redeem_code(auth, s.app, "https://app.example/cb", code)
    assert code_of(e) == (100, errors.SUB_CODE_USED) and e.value.message == "This authorization code has been used."
    for given in (tok.access_token, long):  # a code used twice may have leaked: what it gave is revoked
        with pytest.raises(ApiError):
            validation.resolve(auth, given)
    assert validation.resolve(auth, s.user_token).kind == "user"
    late = oauth.grant_and_code(auth, s.app, s.user_id, "https://app.example/cb", ALL, [], None)
    clock.advance(601)
    with pytest.raises(ApiError) as e:
        oauth.redeem_code(auth, s.app, "https://app.example/cb", late)
    assert code_of(e) == (100, errors.SUB_CODE_EXPIRED) and e.value.message == "This authorization code has expired."


def test_test_users_and_deletion(auth: Authority) -> None:
    s = scene(auth)
    user, password, issued = oauth.create_test_user(auth, s.app.id, "Tester", True, "manage_pages")
    assert issued is not None and len(password) >= 8
    info = validation.resolve(auth, issued.access_token)
    assert set(info.scopes) == {"pages_show_list", "pages_read_engagement", "pages_manage_metadata"}
    assert [u.id for u in users.test_users(auth, s.app.id)] == [user.id]
    users.delete_user(auth, user.id)
    with pytest.raises(ApiError):
        validation.resolve(auth, issued.access_token)
