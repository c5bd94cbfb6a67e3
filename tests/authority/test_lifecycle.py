"""The token lifecycle against a real database (SQLite and PostgreSQL), with the clock moved by hand."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pagetoken.authority import apps, grants, issue, oauth, pages, revoke, roles, users, validation
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.clock import ManualClock
from pagetoken.core.errors import ApiError
from pagetoken.core.kinds import Source
from tests.support.servers import deliveries

ALL = ["pages_show_list", "pages_read_engagement", "pages_manage_posts", "read_insights", "pages_manage_metadata"]


@dataclass
class Scene:
    app: apps.App
    secret: str
    user_id: str
    page_id: str
    user_token: str


def scene(auth: Authority, perms: list[str] = ALL, targets: list[str] | None = None) -> Scene:
    user, _ = users.create(auth, "Ana", None, "password123")
    app, secret = apps.create(auth, "App", redirect_uris=["https://app.example/cb"])
    page = pages.create(auth, "Page", "Shop", user.id)
    issued = oauth.grant_and_token(auth, app, user.id, perms, [], targets)
    return Scene(app, secret, user.id, page.id, issued.access_token)


def code_of(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, int | None]:
    return exc.value.code, exc.value.subcode


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


def _page_token(auth: Authority, user_token: str, page_id: str) -> str:
    with auth.store.write() as conn:
        tok = issue.page_token_for_user(auth, conn, validation.resolve(auth, user_token, conn), page_id)
    assert tok is not None
    return tok


def test_tier_rule_and_lifetimes_of_user_page_tokens(auth: Authority, clock: ManualClock) -> None:
    s = scene(auth)
    short_page = validation.resolve(auth, _page_token(auth, s.user_token, s.page_id))
    assert set(short_page.scopes) == {"pages_show_list", "pages_read_engagement", "read_insights"}
    assert short_page.expires_at == validation.resolve(auth, s.user_token).expires_at
    long_user = oauth.exchange(auth, s.app, s.user_token).access_token
    long_page = validation.resolve(auth, _page_token(auth, long_user, s.page_id))
    assert set(long_page.scopes) == set(ALL)
    assert long_page.expires_at == pytest.approx(clock.now() + 60 * 86400)
    again = oauth.exchange(auth, s.app, long_page.raw)
    assert validation.resolve(auth, again.access_token).page_id == s.page_id
    with pytest.raises(ApiError) as e:
        oauth.exchange(auth, s.app, short_page.raw)
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


def test_remove_app_is_458_for_user_and_page_tokens(auth: Authority) -> None:
    s = scene(auth)
    page_tok = _page_token(auth, s.user_token, s.page_id)
    grants.remove_app(auth, s.user_id, s.app.id)
    for tok in (s.user_token, page_tok):
        with pytest.raises(ApiError) as e:
            validation.resolve(auth, tok)
        assert code_of(e) == (190, errors.SUB_APP_NOT_AUTHORIZED)
        assert e.value.message.endswith(f"The user has not authorized application {s.app.id}.")


def test_removing_one_permission_removes_only_that_one(auth: Authority) -> None:
    s = scene(auth)
    grants.remove_permission(auth, s.user_id, s.app.id, "read_insights")
    info = validation.resolve(auth, s.user_token)
    with auth.store.read() as conn:
        assert "read_insights" not in validation.effective_scopes(auth, info, conn=conn)
        assert "pages_show_list" in validation.effective_scopes(auth, info, conn=conn)
        assert {g.permission: g.status for g in grants.list_grants(auth, s.user_id, s.app.id, conn=conn)}[
            "read_insights"] == "declined"


def test_password_change_is_460(auth: Authority) -> None:
    s = scene(auth)
    page_tok = _page_token(auth, s.user_token, s.page_id)
    users.set_password(auth, s.user_id, "a new password")
    for tok in (s.user_token, page_tok):
        with pytest.raises(ApiError) as e:
            validation.resolve(auth, tok)
        assert code_of(e) == (190, errors.SUB_PASSWORD_CHANGED)
    fresh = oauth.grant_and_token(auth, s.app, s.user_id, ALL, [], None).access_token
    assert validation.resolve(auth, fresh).user_id == s.user_id


def test_losing_the_page_task_kills_page_tokens_only(auth: Authority) -> None:
    s = scene(auth)
    helper, _ = users.create(auth, "Helper", None, "password123")
    roles.set_tasks(auth, s.page_id, helper.id, ["ANALYZE"])
    helper_token = oauth.grant_and_token(auth, s.app, helper.id, ALL, [], None).access_token
    page_tok = _page_token(auth, helper_token, s.page_id)
    roles.remove(auth, s.page_id, helper.id)
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, page_tok)
    assert e.value.code == 190 and e.value.message.startswith("The user must be an administrator of the page")
    assert validation.resolve(auth, helper_token).user_id == helper.id


def test_secret_reset_kills_app_tokens_and_app_derived_page_tokens(auth: Authority) -> None:
    s = scene(auth)
    app_tok = issue.app_token(auth, s.app.id)
    app_page = oauth.client_credentials(auth, s.app, s.page_id).access_token
    new_secret = apps.reset_secret(auth, s.app.id)
    for tok in (app_tok, app_page, f"{s.app.id}|{s.secret}"):
        with pytest.raises(ApiError) as e:
            validation.resolve(auth, tok)
        assert e.value.code == 190
    assert validation.resolve(auth, s.user_token).kind == "user"
    assert validation.resolve(auth, f"{s.app.id}|{new_secret}").kind == "app"


def test_explicit_revocation_is_466(auth: Authority) -> None:
    s = scene(auth)
    assert revoke.revoke_token(auth, s.user_token)
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, s.user_token)
    assert code_of(e) == (190, errors.SUB_REVOKED_BY_API)
    assert str(e.value).endswith("The session was invalidated explicitly using an API call.")
    assert not revoke.revoke_token(auth, s.user_token)


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


def test_database_holds_no_token_and_no_secret(auth: Authority) -> None:
    s = scene(auth)
    from sqlalchemy import text

    with auth.store.read() as conn:
        dump = []
        for table in ("tokens", "apps", "codes", "meta", "grants"):
            dump += [repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table}"))]
    blob = "\n".join(dump)
    assert s.user_token not in blob and s.secret not in blob


def test_removal_stores_its_callback_in_the_same_transaction(auth: Authority) -> None:
    s = scene(auth)
    apps.configure(auth, s.app.id, deauthorize_url="https://app.example/deauth")
    grants.remove_app(auth, s.user_id, s.app.id)  # no server, no worker: the row must be there already
    rows = deliveries(auth, s.app.id)
    assert [(r.user_id, r.status, r.url) for r in rows] == [(s.user_id, "pending", "https://app.example/deauth")]
    grants.remove_app(auth, s.user_id, s.app.id)  # removing again sends nothing new
    assert len(deliveries(auth, s.app.id)) == 1


def test_a_page_token_carries_what_the_users_tasks_allow(auth: Authority) -> None:
    s = scene(auth)
    analyst, _ = users.create(auth, "Ann", None, "password123")
    roles.set_tasks(auth, s.page_id, analyst.id, ["ANALYZE"])
    short = oauth.grant_and_token(auth, s.app, analyst.id, ALL, [], None).access_token
    long = oauth.exchange(auth, s.app, short).access_token
    info = validation.resolve(auth, _page_token(auth, long, s.page_id))
    with auth.store.read() as conn:
        carried = set(validation.effective_scopes(auth, info, conn=conn))
        before_tasks = set(validation.effective_scopes(auth, info, by_tasks=False, conn=conn))
    assert carried == {"pages_show_list", "pages_read_engagement", "read_insights"}  # granted ∩ ANALYZE
    assert "pages_manage_posts" in before_tasks  # so publishing answers 10 (the task), not 200
    roles.set_tasks(auth, s.page_id, analyst.id, ["ANALYZE", "CREATE_CONTENT"])
    with auth.store.read() as conn:
        assert "pages_manage_posts" in validation.effective_scopes(auth, info, conn=conn)


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


def test_set_tasks_to_nothing_removes_the_role_and_its_page_tokens(auth: Authority) -> None:
    s = scene(auth)
    helper, _ = users.create(auth, "Helper", None, "password123")
    assert roles.set_tasks(auth, s.page_id, helper.id, ["ANALYZE"]) == ["ANALYZE"]
    helper_token = oauth.grant_and_token(auth, s.app, helper.id, ALL, [], None).access_token
    page_tok = _page_token(auth, helper_token, s.page_id)
    assert roles.set_tasks(auth, s.page_id, helper.id, []) == []
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, page_tok)
    assert e.value.code == 190 and e.value.message.startswith("The user must be an administrator of the page")
    assert validation.resolve(auth, helper_token).user_id == helper.id  # the user token lives on
    with pytest.raises(ApiError) as e:
        roles.remove(auth, s.page_id, helper.id)  # nothing left to remove
    assert e.value.code == 100 and "has no role" in e.value.message


def test_set_tasks_refuses_unknown_tasks_and_unknown_people(auth: Authority) -> None:
    s = scene(auth)
    helper, _ = users.create(auth, "Helper", None, "password123")
    with pytest.raises(ApiError) as e:
        roles.set_tasks(auth, s.page_id, helper.id, ["JUGGLE"])
    assert e.value.code == 100 and "JUGGLE" in e.value.message
    with pytest.raises(ApiError) as e:
        roles.set_tasks(auth, s.page_id, "999999999", ["ANALYZE"])
    assert e.value.code == 100 and "999999999" in e.value.message
    assert set(roles.set_tasks(auth, s.page_id, helper.id, ["ANALYZE", "MODERATE"])) == {"MODERATE", "ANALYZE"}


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
                          ("user_page", _page_token(ticking, long, s.page_id))):
            with ticking.store.read() as conn:
                info = validation.resolve(ticking, tok, conn)
            assert info.expires_at is not None
            lifetimes[name] = info.expires_at - info.issued_at
        assert lifetimes == {"user": 3600, "long": 60 * 86400, "app_page": 3600, "user_page": 60 * 86400}
    finally:
        ticking.close()


def test_follow_and_unfollow_count_once(auth: Authority) -> None:
    from pagetoken.authority import insights

    s = scene(auth)
    fan, _ = users.create(auth, "Fan", None, "password123")
    assert insights.unfollow(auth, s.page_id, fan.id) is False  # not a fan yet
    assert insights.follow(auth, s.page_id, fan.id) is True
    assert insights.follow(auth, s.page_id, fan.id) is False  # already one
    assert insights.unfollow(auth, s.page_id, fan.id) is True
    assert insights.unfollow(auth, s.page_id, fan.id) is False


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
    page = validation.resolve(auth, _page_token(auth, long_user, s.page_id))
    assert page.expires_at is None and validation.describe(auth, page)["expires_at"] == 0
    short_page = validation.resolve(auth, _page_token(auth, s.user_token, s.page_id))
    assert short_page.expires_at is not None  # from a short-lived user token: expires with it
    clock.advance(61 * 86400)
    assert validation.resolve(auth, page.raw).kind == "page"  # past the 60 days a Page token lives by default
    clock.advance(30 * 86400)
    with pytest.raises(ApiError) as e:  # but data access still lapses after 90 days unused
        validation.resolve(auth, page.raw)
    assert code_of(e) == (190, errors.SUB_DATA_ACCESS_EXPIRED)
