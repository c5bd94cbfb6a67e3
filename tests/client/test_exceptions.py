"""Every SPEC §3 row, rendered as the server renders it, parses back into the right exception."""

from __future__ import annotations

import json

import pytest

from pagetoken.client import exceptions as ex
from pagetoken.client.exceptions import parse_error
from pagetoken.core import errors


def roundtrip(err: errors.GraphError) -> ex.GraphError:
    return parse_error(err.status, json.dumps(err.body()).encode(), err.headers)


ROWS = [
    (errors.no_token(), ex.TokenError, None),
    (errors.invalid_token(), ex.TokenInvalidated, "invalid"),
    (errors.token_expired("a", "b"), ex.TokenExpired, None),
    (errors.app_not_authorized("1", "2"), ex.TokenInvalidated, "app_removed"),
    (errors.password_changed(), ex.TokenInvalidated, "password_changed"),
    (errors.session_invalid(), ex.TokenInvalidated, "revoked"),
    (errors.data_access_expired(), ex.TokenInvalidated, "data_access_expired"),
    (errors.not_page_admin(), ex.TokenInvalidated, "not_page_admin"),
    (errors.bad_code(), ex.InvalidParameter, None),
    (errors.app_token_required(), ex.InvalidParameter, None),
    (errors.missing_permission("pages_manage_posts"), ex.PermissionDenied, None),
    (errors.missing_task("CREATE_CONTENT"), ex.PermissionDenied, None),
    (errors.proof_required(), ex.ProofError, None),
    (errors.proof_invalid(), ex.ProofError, None),
    (errors.object_missing("123"), ex.ObjectNotFound, None),
    (errors.unknown_path("nope"), ex.UnsupportedRequest, None),
    (errors.bad_param("limit must be a number"), ex.InvalidParameter, None),
    (errors.app_rate_limited(), ex.RateLimited, None),
    (errors.user_rate_limited(), ex.RateLimited, None),
    (errors.page_rate_limited(), ex.RateLimited, None),
    (errors.unknown_error(), ex.TransientError, None),
    (errors.service_unavailable(), ex.TransientError, None),
]


IDS = [f"{r[0].code}-{r[0].subcode}-{r[1].__name__}" for r in ROWS]


@pytest.mark.parametrize(("err", "cls", "reason"), ROWS, ids=IDS)
def test_each_row_maps_to_its_exception(err: errors.GraphError, cls: type, reason: str | None) -> None:
    got = roundtrip(err)
    assert type(got) is cls
    assert got.code == err.code and got.subcode == err.subcode and got.message == err.message
    assert got.type == err.type and got.http_status == err.status and got.fbtrace_id
    if reason:
        assert isinstance(got, ex.TokenInvalidated) and got.reason == reason


def test_needs_reauth_only_for_458_460_493() -> None:
    reauth = {e.subcode for e, _, _ in ROWS if roundtrip(e).needs_reauth}
    assert reauth == {458, 460, 493}


def test_permission_denied_names_what_is_needed() -> None:
    got = roundtrip(errors.missing_permission("pages_manage_posts", "pages_read_engagement"))
    assert isinstance(got, ex.PermissionDenied)
    assert got.needed == ("pages_manage_posts", "pages_read_engagement")
    task = roundtrip(errors.missing_task("MODERATE"))
    assert isinstance(task, ex.PermissionDenied) and task.needed == ("MODERATE",)
    real = parse_error(400, {"error": {"message": "(#200) Requires pages_manage_posts permission to manage the "
                                                  "object", "type": "OAuthException", "code": 200}})
    assert isinstance(real, ex.PermissionDenied) and real.needed == ("pages_manage_posts",)


def test_rate_limited_reads_retry_after_and_usage() -> None:
    body = errors.app_rate_limited().body()
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
    got = roundtrip(errors.token_expired("a", "b"))
    assert isinstance(got, ex.TokenError) and isinstance(got, ex.GraphError) and isinstance(got, ex.ClientError)
    assert str(got).startswith("(190/463) Error validating access token")
    assert "TokenExpired(code=190, subcode=463" in repr(got)
    assert got.as_dict()["error_subcode"] == 463
    assert issubclass(ex.ObjectNotFound, ex.InvalidParameter) and issubclass(ex.ProofError, ex.InvalidParameter)
    assert issubclass(ex.NetworkError, ex.TransientError)
