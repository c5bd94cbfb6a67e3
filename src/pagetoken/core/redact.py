"""Masking tokens wherever they appear in text and in log records."""

from __future__ import annotations

import logging
import re
from typing import Any

from .tokens import APP_SECRET_PAIR_RE, find_tokens

MASK = "EAA…[redacted]"
# Parameters that carry secrets whatever their shape.
_SECRET_PARAM_RE = re.compile(
    r"(?i)\b(access_token|input_token|fb_exchange_token|client_secret|appsecret_proof|code|password)"
    r"(=|\"\s*:\s*\"|:\s*)([^&\s\"',;]+)"
)


def redact(text: str) -> str:
    """`text` with every token, ``APPID|SECRET`` pair and secret-bearing parameter masked."""
    if not text:
        return text
    pieces = []
    last = 0
    for start, end, tok in find_tokens(text):
        pieces.append(text[last:start])
        app_id, bar, _ = tok.partition("|")
        pieces.append(f"{app_id}|{MASK}" if bar else MASK)
        last = end
    pieces.append(text[last:])
    out = "".join(pieces)
    out = APP_SECRET_PAIR_RE.sub(lambda m: f"{m.group(1)}|[redacted]", out)
    return _SECRET_PARAM_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", out)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    if isinstance(value, bytes | int | float | bool) or value is None:
        return value
    return redact(str(value))


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """A logging filter that masks tokens in the message, its args, extras and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Mask the format string and each argument apart, so formatters that read `args` (as uvicorn's
        # access log does) still get their tuple, only without secrets in it.
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        else:
            record.msg = redact(str(record.msg))
        if isinstance(record.args, dict):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(a) for a in record.args)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = _redact_value(value)
        if record.exc_info and record.exc_info[1] is not None:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def structlog_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor with the same masking."""
    return {k: _redact_value(v) for k, v in event_dict.items()}


def install(logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach the filter to every handler of `logger` (the root by default) and to the logger itself."""
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    target.addFilter(flt)
    for handler in target.handlers:
        handler.addFilter(flt)
    return flt
