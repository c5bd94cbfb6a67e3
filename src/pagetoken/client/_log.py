"""The client's loggers, each with the token-masking filter attached.

A filter on a logger only sees records made on that very logger, so every module's logger gets
its own. The ``httpx`` logger gets one too: it writes request URLs, which carry tokens in queries.
"""

from __future__ import annotations

import logging

from pagetoken.core.redact import RedactingFilter

__all__ = ["get_logger"]

_GUARDED = ("httpx",)


def _guard(logger: logging.Logger) -> logging.Logger:
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger


def get_logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)` with a `RedactingFilter` on it (attached once)."""
    for other in _GUARDED:
        _guard(logging.getLogger(other))
    return _guard(logging.getLogger(name))
