"""Masking tokens wherever they appear in text and in log records."""

from __future__ import annotations

import logging
import re
from typing import Any

from .tokens import APP_SECRET_PAIR_RE, DECODE_ROUNDS, find_tokens, unescape

MASK = "EAA…[redacted]"
# Parameters that carry secrets whatever their shape.
_SECRET_PARAM_RE = re.compile(
    r"(?i)\b(access_token|input_token|fb_exchange_token|client_secret|appsecret_proof|code|password)"
    r"(=|\"\s*:\s*\"|:\s*)([^&\s\"',;]+)"
)


def _secret_values(text: str, pattern: re.Pattern[str] = _SECRET_PARAM_RE, group: int = 3) -> list[tuple[int, int]]:
    """Spans of secret-bearing parameter values, also where the name or ``=`` is percent-encoded
    (``access%5Ftoken%3D…``, a URL inside a URL)."""
    spans: list[tuple[int, int]] = []
    layer, where = text, list(range(len(text) + 1))
    for _ in range(DECODE_ROUNDS + 1):
        spans.extend((where[m.start(group)], where[m.end(group)]) for m in pattern.finditer(layer))
        if "%" not in layer and "\\u00" not in layer:
            break
        layer, where = unescape(layer, where)
    return spans


def _mask(text: str, spans: list[tuple[int, int]], mask: str) -> str:
    pieces = []
    last = 0
    for start, end in sorted(spans):
        if end <= last:
            continue
        pieces.append(text[last:max(start, last)])
        pieces.append(mask)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def redact(text: str) -> str:
    """`text` with every token, ``APPID|SECRET`` pair and secret-bearing parameter masked, written
    plainly or percent-/JSON-escaped."""
    if not text:
        return text
    # An app token keeps its APPID| visible: only the opaque part is secret.
    spans = [(start + len(tok.partition("|")[0]) + 1 if "|" in tok else start, end)
             for start, end, tok in find_tokens(text)]
    out = _mask(text, spans, MASK)
    out = _mask(out, _secret_values(out, APP_SECRET_PAIR_RE, 2), "[redacted]")
    return _mask(out, _secret_values(out), "[redacted]")


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
