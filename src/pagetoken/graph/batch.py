"""Batch requests: ``POST /`` with ``batch=[{"method", "relative_url", "body"?}, …]`` (at most 50).

Each request runs as its own Graph call, with its own `access_token` (in its relative_url or body)
or the batch's, through the same checks, rate limits and usage headers. The answer is a JSON array,
in order, of ``{"code", "headers": [{"name", "value"}], "body": "<json string>"}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from pagetoken.authority import storage_faults, validation
from pagetoken.core import errors

from .call import Call
from .http import JSON, GraphEndpoint, after_headers
from .params import METHODS, as_bool, as_text, load_json, strip_version, token_from

log = logging.getLogger("pagetoken.graph.batch")

MAX_REQUESTS = 50


def parse(raw: str | None) -> list[dict[str, Any]]:
    """The batch parameter: a JSON array of request objects."""
    if not (raw or "").strip():
        raise errors.BadParameter("batch must be a JSON array of requests")
    items = load_json(raw or "", "batch")
    if not isinstance(items, list) or not items:
        raise errors.BadParameter("batch must be a non-empty JSON array of requests")
    if len(items) > MAX_REQUESTS:
        raise errors.BadParameter(f"Too many requests in batch message. Maximum batch size is {MAX_REQUESTS}")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("relative_url"), str):
            raise errors.BadParameter("each batch request must be an object with a relative_url")
    return items


def _body(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): as_text(v) for k, v in raw.items()}
    if isinstance(raw, str):
        return dict(parse_qsl(raw, keep_blank_values=True))
    raise errors.BadParameter("a batch request's body must be a form-encoded string or an object")


def sub_call(outer: Call, outer_token: str | None, item: dict[str, Any]) -> tuple[Call, str | None]:
    """One request of the batch as a Call of its own, with the token it runs with."""
    parts = urlsplit(item["relative_url"].strip())
    path, version = strip_version("/" + parts.path.lstrip("/"))
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(_body(item.get("body")))
    method = str(item.get("method") or "GET").upper()
    override = params.pop("method", None)
    method = (override or method).upper()
    if method == "PUT":
        method = "POST"
    if method not in METHODS:
        raise errors.BadParameter(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not path:
        raise errors.BadParameter("a batch request needs a relative_url such as me/feed; batches do not nest")
    token = params.get("access_token") or None
    if token is None and outer_token:
        token = outer_token
        if "appsecret_proof" in outer.params and "appsecret_proof" not in params:
            params["appsecret_proof"] = outer.params["appsecret_proof"]
    raw_headers = item.get("headers") or []
    if not isinstance(raw_headers, list) or not all(
            isinstance(h, dict) and all(isinstance(v, str) for v in h.values()) for h in raw_headers):
        raise errors.BadParameter('batch headers must be a list of {"name": "…", "value": "…"} objects')
    headers = {str(h.get("name", "")).lower(): str(h.get("value", "")) for h in raw_headers}
    return Call.arriving(outer.auth, method, path, params, outer.base_url, version or outer.version,
                         headers=headers), token


def _answer(status: int, body: Any, headers: dict[str, str], with_headers: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"code": status}
    if with_headers:
        out["headers"] = [{"name": "Content-Type", "value": JSON},
                          *({"name": k, "value": v} for k, v in headers.items())]
    out["body"] = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return out


def run_all(endpoint: GraphEndpoint, outer: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the batch's requests one after another; a failing request does not stop the others."""
    outer_token = token_from(outer.headers, outer.params)
    with_headers = as_bool(outer.params.get("include_headers"), "include_headers", True)
    if outer_token:
        try:
            outer.usage.token = validation.resolve(outer.auth, outer_token)
        except errors.ApiError:
            outer.usage.token = None  # each request reports its own token error
    answers = []
    for item in items:
        call: Call | None = None
        try:
            call, token = sub_call(outer, outer_token, item)
            body = endpoint.run(call, token)
            answers.append(_answer(200, body, after_headers(endpoint, call), with_headers))
        except errors.ApiError as exc:
            extra = after_headers(endpoint, call) if call is not None else {}
            answers.append(_answer(exc.status, exc.body(), {**exc.headers, **extra}, with_headers))
        except Exception as exc:
            failure = storage_faults.as_graph_error(exc) or errors.UnknownError()
            if failure.code == errors.CODE_UNKNOWN:
                log.exception("unexpected failure in a batch request")
            else:
                log.error("a batch request: %s", failure.message)
            answers.append(_answer(failure.status, failure.body(), {}, with_headers))
    return answers


def handler(endpoint: GraphEndpoint) -> Callable[[Call, Request], Awaitable[list[dict[str, Any]]]]:
    """What answers ``POST /`` with `batch` on `endpoint`."""

    async def handle(call: Call, _request: Request) -> list[dict[str, Any]]:
        items = parse(call.params.get("batch"))
        return await run_in_threadpool(run_all, endpoint, call, items)

    return handle
