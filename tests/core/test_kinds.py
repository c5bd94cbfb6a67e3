"""The token domain's words: kinds, origins, sources and revocation reasons."""

from __future__ import annotations

import pytest

from pagetoken.core import errors
from pagetoken.core.kinds import RevocationReason, TokenKind


def test_kinds_speak_debug_token() -> None:
    assert [k.debug_type for k in TokenKind] == ["APP", "USER", "PAGE"]
    assert all(TokenKind.from_debug_type(k.debug_type) is k for k in TokenKind)
    assert TokenKind.APP.me_node == "application" and TokenKind.PAGE.described == "a Page"


@pytest.mark.parametrize(("reason", "cls", "subcode"), [
    (RevocationReason.API_CALL, errors.RevokedByApi, errors.SUB_REVOKED_BY_API),
    (RevocationReason.PASSWORD, errors.PasswordChanged, 460),
    (RevocationReason.APP_REMOVED, errors.AppNotAuthorized, 458),
    (RevocationReason.TASK_LOST, errors.NotPageAdmin, 492),
    (RevocationReason.SECRET_RESET, errors.SessionInvalidated, errors.SUB_SESSION_INVALID),
    (RevocationReason.USER_DELETED, errors.SessionInvalidated, errors.SUB_SESSION_INVALID),
])
def test_every_reason_has_its_error(reason: RevocationReason, cls: type, subcode: int) -> None:
    err = reason.error("42", "7")
    assert type(err) is cls and err.code == 190 and err.subcode == subcode
    if reason is RevocationReason.APP_REMOVED:
        assert "7" in err.message


def test_stored_values_do_not_change() -> None:
    """Rows written before these enums existed keep reading the same."""
    assert {r.value for r in RevocationReason} == {"revoked", "password", "app_removed", "task_lost",
                                                  "secret_reset", "user_deleted"}
