"""Consent: removing an app or one permission, and the deauthorize callback stored with it."""

from __future__ import annotations

import pytest

from pagetoken.authority import apps, grants, validation
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.errors import ApiError
from tests.support.servers import deliveries

from .scene import code_of, page_token, scene


def test_remove_app_is_458_for_user_and_page_tokens(auth: Authority) -> None:
    s = scene(auth)
    page_tok = page_token(auth, s.user_token, s.page_id)
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


def test_removal_stores_its_callback_in_the_same_transaction(auth: Authority) -> None:
    s = scene(auth)
    apps.configure(auth, s.app.id, deauthorize_url="https://app.example/deauth")
    grants.remove_app(auth, s.user_id, s.app.id)  # no server, no worker: the row must be there already
    rows = deliveries(auth, s.app.id)
    assert [(r.user_id, r.status, r.url) for r in rows] == [(s.user_id, "pending", "https://app.example/deauth")]
    grants.remove_app(auth, s.user_id, s.app.id)  # removing again sends nothing new
    assert len(deliveries(auth, s.app.id)) == 1
