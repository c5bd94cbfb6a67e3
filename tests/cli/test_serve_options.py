"""`pagetoken serve`: proxies trusted only when named, a header-read deadline, demo secrets kept out of logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from pagetoken.authority.egress import ALLOW_PRIVATE_ENV
from pagetoken.cli import app
from pagetoken.guards import HeaderTimeoutProtocol
from pagetoken.server import startup_warnings

runner = CliRunner()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: seen.update(kwargs, target=target))
    for name in ("PAGETOKEN_PUBLIC_URL", ALLOW_PRIVATE_ENV, "PAGETOKEN_FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("os.environ", dict(__import__("os").environ))  # serve writes the env for its workers
    return seen


def test_forwarded_headers_are_ignored_unless_proxies_are_named(tmp_path: Path, started: dict[str, Any]) -> None:
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "serve"])
    assert result.exit_code == 0, result.output
    assert started["proxy_headers"] is False and started["http"] is HeaderTimeoutProtocol
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "serve", "--forwarded-allow-ips", "10.0.0.5"])
    assert result.exit_code == 0 and started["proxy_headers"] is True
    assert started["forwarded_allow_ips"] == "10.0.0.5"


def test_the_demo_banner_goes_to_stdout_never_through_logging(tmp_path: Path, started: dict[str, Any], db_url: str,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    given = [] if db_url.startswith("sqlite") else ["--db", db_url]  # SQLite: the data dir's own file
    with caplog.at_level(logging.DEBUG):
        result = runner.invoke(app, ["--data-dir", str(tmp_path), *given, "serve", "--demo"])
    assert result.exit_code == 0, result.output
    demo = json.loads((tmp_path / "demo.json").read_text())
    shown = runner.invoke(app, ["--data-dir", str(tmp_path), *given, "apps", "show", demo["app_id"], "--json"])
    secret = json.loads(shown.output)["secret"]
    assert secret in result.stdout and demo["password"] in result.stdout  # for the person at the terminal
    assert secret not in caplog.text and demo["password"] not in caplog.text  # never into a log
    assert any("--public-url" in r.getMessage() for r in caplog.records)


def test_start_up_warns_without_a_public_url() -> None:
    assert any("--public-url" in w for w in startup_warnings(None, False))
    assert startup_warnings("https://tokens.example.com", False) == []
    assert any("private" in w for w in startup_warnings("https://tokens.example.com", True))


def test_dev_mode_allows_private_callbacks(tmp_path: Path, started: dict[str, Any]) -> None:
    import os

    assert runner.invoke(app, ["--data-dir", str(tmp_path), "serve"]).exit_code == 0
    assert os.environ[ALLOW_PRIVATE_ENV] == "0"
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "serve", "--dev"])
    assert result.exit_code == 0, result.output
    assert os.environ[ALLOW_PRIVATE_ENV] == "1"
