from __future__ import annotations

import logging

import pytest

from pagetoken.core import redact
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.core.tokens import new_token


def test_redact_masks_tokens_pairs_and_secret_params() -> None:
    t = new_token()
    text = f"token {t}; app 1234567890|{'ab' * 16}; url ?client_secret=abc&code=xyz&fields=id"
    out = redact.redact(text)
    assert t not in out and "ab" * 16 not in out and "abc&" not in out and "xyz" not in out
    assert "fields=id" in out


def test_logging_filter_masks_message_args_extra_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    t = new_token()
    logger = logging.getLogger("test.redact")
    flt = redact.RedactingFilter()
    logger.addFilter(flt)
    try:
        with caplog.at_level(logging.INFO, logger="test.redact"):
            logger.info("plain %s", t, extra={"ctx": {"token": t}})
            try:
                raise ValueError(f"bad token {t}")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.removeFilter(flt)
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert t not in text
    assert "EAA…[redacted]" in caplog.text


def test_lifetimes_from_env() -> None:
    lt = Lifetimes.from_env({"PAGETOKEN_SHORT_LIVED_SECONDS": "5", "PAGETOKEN_LONG_LIVED_SECONDS": "60"})
    assert (lt.short_lived, lt.long_lived, lt.data_access) == (5, 60, 90 * 24 * 3600)
    with pytest.raises(ValueError):
        Lifetimes.from_env({"PAGETOKEN_SHORT_LIVED_SECONDS": "soon"})
    with pytest.raises(ValueError):
        Lifetimes.from_env({"PAGETOKEN_LONG_LIVED_SECONDS": "-1"})
