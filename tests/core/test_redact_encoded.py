"""Tokens behind percent- and JSON-escapes are found and masked, in log lines and by `tokens scan`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from typer.testing import CliRunner

from pagetoken.cli import app
from pagetoken.core import redact
from pagetoken.core.tokens import find_tokens, new_token

T = new_token()
ENCODED = [
    f"/me?note=https%3A%2F%2Fx%2F%3Faccess_token%3D{T}&fields=id",
    f"/me?access%5Ftoken={T}",
    f"/me?access%5Ftoken%3D{T}",
    f"/me?note=%22{T}%22",
    "/?" + urlencode({"batch": json.dumps([{"method": "GET", "relative_url": f"me?access_token={T}"}])}),
    "/?" + urlencode({"next": "/?" + urlencode({"batch": json.dumps([{"relative_url": f"me?access_token={T}"}])})}),
    "/me?x=" + "".join(f"%{ord(c):02X}" for c in T),
    '{"relative_url": "me?access_token\\u003d' + T + '"}',
    f"/me?q={quote(quote('access_token=' + T))}",
]


@pytest.mark.parametrize("line", ENCODED)
def test_an_escaped_token_is_found_and_masked(line: str) -> None:
    assert [tok for _s, _e, tok in find_tokens(line)] == [T]
    out = redact.redact(line)
    assert T not in out and T[3:20] not in out and "[redacted]" in out


def test_found_offsets_cover_the_escaped_token() -> None:
    line = f"a=%22{T}%22&b=1"
    [(start, end, _tok)] = find_tokens(line)
    assert line[start:end] == T
    hidden = "x%3D" + "".join(f"%{ord(c):02X}" for c in T) + "&b=1"
    [(start, end, _tok)] = find_tokens(hidden)
    assert hidden[start:end].startswith("%45") and hidden[end:] == "&b=1"


def test_encoded_secret_parameters_are_masked_and_the_rest_kept() -> None:
    out = redact.redact("GET /oauth/access_token?client%5Fsecret%3Dabc123%26fields%3Did HTTP/1.1")
    assert "abc123" not in out and "fields%3Did" in out
    pair = redact.redact(f"token 1234567890%7C{'ab' * 16}")
    assert "ab" * 16 not in pair


def test_random_text_with_escapes_is_left_alone() -> None:
    text = "%3DEAA" + "x" * 50 + " %22hello%22 " + quote("a=b&c=d")
    assert find_tokens(text) == [] and redact.redact(text) == text


def test_the_access_log_line_of_an_encoded_token_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact.access")
    flt = redact.RedactingFilter()
    logger.addFilter(flt)
    try:
        with caplog.at_level(logging.INFO, logger="test.redact.access"):
            for path in ENCODED:
                logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    finally:
        logger.removeFilter(flt)
    assert T not in caplog.text and len(caplog.records) == len(ENCODED)


def test_tokens_scan_finds_escaped_tokens(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("\n".join(f'INFO uvicorn.access: 127.0.0.1 - "GET {p} HTTP/1.1" 200' for p in ENCODED) + "\n")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "d"), "tokens", "scan", str(log), "--json",
                                      "--no-check"])
    assert result.exit_code == 1
    found = json.loads(result.output)
    assert sorted(f["line"] for f in found) == list(range(1, len(ENCODED) + 1))
    assert T not in result.output


def test_a_real_servers_log_keeps_no_token_of_the_attacks(tmp_path: Path) -> None:
    """The requests that once left live tokens in the log: percent-encoded `=`, `%5F`, a batch in the URL."""
    import httpx

    from tests.support.servers import LiveServer

    srv = LiveServer(tmp_path / "live", env={"PAGETOKEN_LOG_LEVEL": "INFO"})
    srv.setup_app()
    srv.start()
    try:
        _uid, token = srv.user_token(with_page=False)
        batch = json.dumps([{"method": "GET", "relative_url": f"me?access_token={token}"}])
        for path in (f"/me?note=https%3A%2F%2Fx%2F%3Faccess_token%3D{token}", f"/me?access%5Ftoken={token}",
                     "/?" + urlencode({"batch": batch}), f"/me?x=%22{token}%22"):
            httpx.get(srv.url + path, timeout=10)
        httpx.post(srv.url + "/", data={"batch": batch}, timeout=10)
    finally:
        srv.stop()
    log = srv.log_path.read_text()
    assert "GET /me?" in log  # the access log was written
    assert token not in log and token[3:30] not in log
    result = CliRunner().invoke(app, ["--data-dir", str(srv.data_dir), "tokens", "scan", str(srv.log_path), "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == []
