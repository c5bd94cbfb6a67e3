"""The client's loggers mask tokens anywhere in a record: message, args, extra, exception text."""

from __future__ import annotations

import io
import logging

import pytest

from pagetoken.client import RedactingFilter, structlog_processor
from pagetoken.client._log import get_logger
from pagetoken.core.tokens import new_token


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s | %(where)s"))
    logger = get_logger("pagetoken.client.test_logging")
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream


def test_message_args_extra_and_exception_are_masked(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    t1, t2, t3, t4 = (new_token() for _ in range(4))
    try:
        raise RuntimeError(f"the call with {t4} failed")
    except RuntimeError:
        logger.exception(f"direct {t1} and %s", t2, extra={"where": {"token": t3}})
    text = stream.getvalue()
    for t in (t1, t2, t3, t4):
        assert t not in text
    assert text.count("EAA…[redacted]") == 4 and "RuntimeError" in text
    assert text.startswith("direct EAA…[redacted] and EAA…[redacted] | {'token': 'EAA…[redacted]'}\n")


def test_dict_args_and_query_strings(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    t = new_token()
    logger.info("GET %(url)s", {"url": f"https://graph.facebook.com/me?access_token={t}&client_secret=abc"},
                extra={"where": "here"})
    text = stream.getvalue()
    assert t not in text and "abc" not in text
    assert text == "GET https://graph.facebook.com/me?access_token=[redacted]&client_secret=[redacted] | here\n"


def test_each_client_logger_and_httpx_carry_the_filter() -> None:
    import pagetoken.client.graph  # noqa: F401 - makes its loggers
    import pagetoken.client.rotation  # noqa: F401

    for name in ("pagetoken.client._engine", "pagetoken.client.vault", "pagetoken.client.rotation",
                 "pagetoken.client.notify", "httpx"):
        assert any(isinstance(f, RedactingFilter) for f in logging.getLogger(name).filters), name


def test_structlog_processor() -> None:
    t = new_token()
    out = structlog_processor(None, "info", {"event": f"got {t}", "nested": {"list": [t]}, "n": 3})
    assert out == {"event": "got EAA…[redacted]", "nested": {"list": ["EAA…[redacted]"]}, "n": 3}
