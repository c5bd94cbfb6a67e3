"""Graph answers: JSON with the headers the Graph API puts on every answer."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from pagetoken.core import errors

JSON = "application/json; charset=UTF-8"
# The version an unversioned call is served as (SPEC §2: `facebook-api-version` on every answer).
DEFAULT_VERSION = "v25.0"
# The server revision, as the Graph API's `x-fb-rev` names its own build.
REVISION = "1017391962"
# On token answers and Graph JSON alike: never cached, never sniffed.
NO_STORE = {
    "Cache-Control": "private, no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
}

class GraphJSON(Response):
    """A Graph answer: JSON with the headers the Graph API puts on every answer (version served, trace
    ID, revision, no caching; the fixed ones encoded once for all), then the call's own."""

    media_type = JSON
    _FIXED = [(b"content-type", JSON.encode()), (b"x-fb-rev", REVISION.encode()),
              *((k.lower().encode(), v.encode()) for k, v in NO_STORE.items())]

    def __init__(self, body: bytes, status: int, headers: dict[str, str], version: str | None,
                 trace_id: str) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", str(len(self.body)).encode()), *self._FIXED,
                            (b"facebook-api-version", (version or DEFAULT_VERSION).encode()),
                            (b"x-fb-trace-id", trace_id.encode()),
                            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  version: str | None = None, trace_id: str | None = None) -> Response:
    return GraphJSON(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), status, headers or {},
                     version, trace_id or errors.new_trace_id())


def error_response(exc: errors.ApiError, headers: dict[str, str] | None = None,
                   version: str | None = None) -> Response:
    """An error answer; its `x-fb-trace-id` is the `fbtrace_id` of its body."""
    trace_id = errors.new_trace_id()
    return json_response(exc.body(trace_id), exc.status, {**exc.headers, **(headers or {})}, version, trace_id)
