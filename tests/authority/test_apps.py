"""Apps: a secret reset ends the app's tokens and its app-derived Page tokens."""

from __future__ import annotations

import pytest

from pagetoken.authority import apps, issue, oauth, validation
from pagetoken.authority.context import Authority
from pagetoken.core.errors import ApiError

from .scene import scene


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
