"""Every SPEC §3 row, rendered as the server renders it, parses back into the right exception."""

from __future__ import annotations

import json

import pytest

from pagetoken.client import exceptions as ex
from pagetoken.client.exceptions import parse_error
from pagetoken.core import errors


def roundtrip(err: errors.ApiError) -> ex.GraphError:
    return parse_error(err.status, json.dumps(err.body()).encode(), err.headers)


ROWS = [
    (errors.NoActiveToken(), ex.UnsupportedRequest, None),
    (errors.InvalidToken(), ex.TokenInvalidated, "invalid"),
    (errors.TokenExpired("a", "b"), ex.TokenExpired, None),
    (errors.AppNotAuthorized("1", "2"), ex.TokenInvalidated, "app_removed"),
    (errors.PasswordChanged(), ex.TokenInvalidated, "password_changed"),
    (errors.SessionInvalidated(), ex.TokenInvalidated, "revoked"),
    (errors.DataAccessExpired(), ex.TokenInvalidated, "data_access_expired"),
    (errors.NotPageAdmin(), ex.TokenInvalidated, "not_page_admin"),
    (errors.BadVerificationCode(), ex.InvalidParameter, None),
    (errors.AppTokenRequired(), ex.InvalidParameter, None),
    (errors.MissingPermission("pages_manage_posts"), ex.PermissionDenied, None),
    (errors.MissingTask("CREATE_CONTENT"), ex.PermissionDenied, None),
    (errors.ProofRequired(), ex.InvalidParameter, None),
    (errors.ProofInvalid(), ex.InvalidParameter, None),
    (errors.ObjectMissing("123"), ex.ObjectNotFound, None),
    (errors.UnknownPath("nope"), ex.UnsupportedRequest, None),
    (errors.BadParameter("limit must be a number"), ex.InvalidParameter, None),
    (errors.AppRateLimited(), ex.RateLimited, None),
    (errors.UserRateLimited(), ex.RateLimited, None),
    (errors.PageRateLimited(), ex.RateLimited, None),
    (errors.UnknownError(), ex.TransientError, None),
    (errors.ServiceUnavailable(), ex.TransientError, None),
    (errors.BadAppTokenSignature(), ex.TokenInvalidated, "invalid"),
    (errors.NoMatchingUser(), ex.InvalidParameter, None),
    (errors.BadClientSecret(), ex.BadClientSecret, None),
    (errors.RevokedByApi(), ex.TokenInvalidated, "revoked"),
    (errors.TokenRequired(), ex.TokenError, None),
    (errors.CodeUsed(), ex.CodeRejected, None),
    (errors.CodeExpired(), ex.CodeRejected, None),
    (errors.NonexistingField("foobar", "User"), ex.InvalidParameter, None),
    (errors.NotViewingApp(), ex.TokenInvalidated, "invalid"),
    (errors.UnknownAliases(["1", "2"]), ex.ObjectNotFound, None),
    (errors.PageNotGranted(page_id="1", app_id="2"), ex.PermissionDenied, None),
    (errors.NotTestUser(), ex.InvalidParameter, None),
]


def test_every_server_error_class_is_in_the_table() -> None:
    """A row added to core.errors without a client mapping (or a test row here) fails this."""
    raised = {name for name in errors.__all__ if isinstance(getattr(errors, name), type)}
    tested = {type(err).__name__ for err, _, _ in ROWS}
    assert raised - tested <= {"ApiError", "TokenError"}


IDS = [f"{r[0].code}-{r[0].subcode}-{r[1].__name__}" for r in ROWS]


@pytest.mark.parametrize(("err", "cls", "reason"), ROWS, ids=IDS)
def test_each_row_maps_to_its_exception(err: errors.ApiError, cls: type, reason: str | None) -> None:
    got = roundtrip(err)
    assert type(got) is cls
    assert got.code == err.code and got.subcode == err.subcode and got.message == err.message
    assert got.type == err.type and got.http_status == err.status and got.fbtrace_id
    if reason:
        assert isinstance(got, ex.TokenInvalidated) and got.reason == reason


def test_code_rejections_say_why_and_a_bad_client_secret_is_not_transient() -> None:
    assert [getattr(roundtrip(e), "reason", None) for e in (errors.CodeUsed(), errors.CodeExpired())] == \
        ["used", "expired"]
    assert not isinstance(roundtrip(errors.BadClientSecret()), ex.TransientError)
    assert isinstance(roundtrip(errors.UnknownError()), ex.TransientError)


def test_needs_reauth_only_for_458_460_492_493() -> None:
    reauth = {e.subcode for e, _, _ in ROWS if roundtrip(e).needs_reauth}
    assert reauth == {458, 460, 492, 493}


def test_permission_denied_names_what_is_needed() -> None:
    got = roundtrip(errors.MissingPermission("pages_manage_posts", "pages_read_engagement"))
    assert isinstance(got, ex.PermissionDenied)
    assert got.needed == ("pages_manage_posts", "pages_read_engagement")
    task = roundtrip(errors.MissingTask("MODERATE"))
    assert isinstance(task, ex.PermissionDenied) and task.needed == ("MODERATE",)
    real = parse_error(400, {"error": {"message": "(#200) Requires pages_manage_posts permission to manage the "
                                                  "object", "type": "OAuthException", "code": 200}})
    assert isinstance(real, ex.PermissionDenied) and real.needed == ("pages_manage_posts",)


def test_rate_limited_reads_retry_after_and_usage() -> None:
    body = errors.AppRateLimited().body()
    assert parse_error(400, body, {"Retry-After": "12"}).retry_after == 12.0  # type: ignore[attr-defined]
    buc = json.dumps({"42": [{"type": "pages", "call_count": 100, "total_time": 20, "total_cputime": 10,
                              "estimated_time_to_regain_access": 3}]})
    got = parse_error(400, body, {"X-Business-Use-Case-Usage": buc})
    assert isinstance(got, ex.RateLimited) and got.retry_after == 180.0
    assert parse_error(400, body, {}).retry_after is None  # type: ignore[attr-defined]
    assert type(parse_error(400, {"error": {"message": "(#613) Calls to this api have exceeded the rate limit.",
                                            "code": 613}})) is ex.RateLimited
    assert type(parse_error(400, {"error": {"message": "BUC", "code": 80001}})) is ex.RateLimited


def test_answers_that_are_not_graph_errors() -> None:
    assert type(parse_error(502, b"<html>Bad Gateway</html>")) is ex.TransientError
    assert type(parse_error(404, b"<html>not found</html>")) is ex.UnexpectedResponse
    assert type(parse_error(400, b'{"error": "flat string"}')) is ex.UnexpectedResponse
    odd = parse_error(500, {"error": {"message": "x", "code": "nan", "error_subcode": "?"}})
    assert type(odd) is ex.TransientError and odd.code == 0 and odd.subcode is None
    assert parse_error(400, {"error": {"message": "m", "code": 9999, "is_transient": True}}).is_transient


def test_hierarchy_and_text() -> None:
    got = roundtrip(errors.TokenExpired("a", "b"))
    assert isinstance(got, ex.TokenError) and isinstance(got, ex.GraphError) and isinstance(got, ex.ClientError)
    assert str(got).startswith("(190/463) Error validating access token")
    assert "TokenExpired(code=190, subcode=463" in repr(got)
    assert got.as_dict()["error_subcode"] == 463
    assert issubclass(ex.ObjectNotFound, ex.InvalidParameter)
    assert issubclass(ex.NetworkError, ex.TransientError)
