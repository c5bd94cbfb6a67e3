"""Every revocation trigger goes through one `revoke`, announced once its transaction has committed."""

from __future__ import annotations

from typing import Any

import pytest

from pagetoken.authority import apps, grants, oauth, pages, revoke, users, validation
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.errors import ApiError
from pagetoken.core.kinds import RevocationReason

from .scene import code_of, scene


def _user_token(auth: Authority) -> tuple[str, str, str]:
    user, _ = users.create(auth, "Ana", None, "password123")
    app, _ = apps.create(auth, "App")
    pages.create(auth, "Shop", "Cafe", user.id)
    issued = oauth.grant_and_token(auth, app, user.id, ["pages_show_list"], [], None)
    return user.id, app.id, issued.access_token


TRIGGERS = {
    "api_call": (lambda auth, uid, aid, tok: revoke.revoke_token(auth, tok), RevocationReason.API_CALL),
    "password": (lambda auth, uid, aid, tok: users.set_password(auth, uid, "another-password1"),
                 RevocationReason.PASSWORD),
    "app_removed": (lambda auth, uid, aid, tok: grants.remove_app(auth, uid, aid), RevocationReason.APP_REMOVED),
    "user_deleted": (lambda auth, uid, aid, tok: users.delete_user(auth, uid), RevocationReason.USER_DELETED),
}


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_each_trigger_announces_after_commit(auth: Authority, name: str) -> None:
    uid, aid, token = _user_token(auth)
    validation.resolve(auth, token)  # cached as valid
    heard: list[dict[str, Any]] = []

    def listener(**event: Any) -> None:
        with pytest.raises(errors.TokenError):  # committed: a fresh read already refuses it
            validation.resolve(auth, token)
        heard.append(event)

    auth.on("tokens_revoked", listener)
    trigger, reason = TRIGGERS[name]
    trigger(auth, uid, aid, token)
    assert len(heard) == 1 and heard[0]["reason"] is reason and heard[0]["token_ids"]


def test_nothing_revoked_nothing_announced(auth: Authority) -> None:
    heard: list[Any] = []
    auth.on("tokens_revoked", lambda **event: heard.append(event))
    assert revoke.revoke_token(auth, "EAAnot-a-token") is False
    assert heard == []


def test_explicit_revocation_is_466(auth: Authority) -> None:
    s = scene(auth)
    assert revoke.revoke_token(auth, s.user_token)
    with pytest.raises(ApiError) as e:
        validation.resolve(auth, s.user_token)
    assert code_of(e) == (190, errors.SUB_REVOKED_BY_API)
    assert str(e.value).endswith("The session was invalidated explicitly using an API call.")
    assert not revoke.revoke_token(auth, s.user_token)
