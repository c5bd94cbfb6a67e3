"""Reading a Graph request: version prefix, merged parameters, the token, the method override."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request

from pagetoken.core import errors

VERSION_RE = re.compile(r"^/?v\d+\.\d+(?=/|$)")
METHODS = ("GET", "POST", "DELETE")
MAX_BODY = 5 * 1024 * 1024
MAX_DEPTH = 32  # JSON nesting of any parameter, the body and a batch (a real call nests three or four)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise OverflowError(text)
    return value


def _reject_constant(text: str) -> Any:
    raise OverflowError(text)


def depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            level += 1
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((child, level) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_json(raw: str | bytes, name: str) -> Any:
    """A JSON parameter: nested at most MAX_DEPTH levels, numbers finite; a 100 naming `name` otherwise."""
    try:
        value = json.loads(raw, parse_float=_finite, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise errors.BadParameter(f"{name} is nested too deeply (at most {MAX_DEPTH} levels)") from exc
    except OverflowError as exc:
        raise errors.BadParameter(f"{name} holds a number out of range ({str(exc)[:20]})") from exc
    except ValueError as exc:
        raise errors.BadParameter(f"{name} is not valid JSON") from exc
    if depth(value) > MAX_DEPTH:
        raise errors.BadParameter(f"{name} is nested too deeply (at most {MAX_DEPTH} levels)")
    return value


def strip_version(path: str) -> tuple[str, str | None]:
    """(path without a leading ``/vX.Y`` and slashes, the version or None)."""
    match = VERSION_RE.match(path)
    version = None
    if match:
        version = match.group(0).lstrip("/")
        path = path[match.end():]
    return path.strip("/"), version


def as_text(value: Any) -> str:
    """A parameter value as the Graph receives it: strings as they are, anything else JSON-encoded."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


async def merged_params(request: Request) -> dict[str, str]:
    """Query string, then the body (form, multipart or JSON); where a name is in both, the body wins."""
    # What `request.query_params` holds (the last of repeated names wins), without building it.
    params: dict[str, str] = dict(parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True))
    if request.method in ("GET", "HEAD"):
        return params
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise errors.BadParameter("the request body is larger than 5 MB")
    if ctype == "application/json":
        raw = await request.body()
        if raw.strip():
            body = load_json(raw, "the JSON request body")
            if not isinstance(body, dict):
                raise errors.BadParameter("a JSON body must be an object of parameters")
            params.update({str(k): as_text(v) for k, v in body.items()})
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form(max_files=10, max_fields=2000, max_part_size=MAX_BODY)
        except errors.ApiError:
            raise
        except Exception as exc:  # malformed multipart
            raise errors.BadParameter("the request body could not be parsed") from exc
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                params[key] = (await value.read()).decode("utf-8", "replace")
            else:
                params[key] = value
    return params


def effective_method(request: Request, params: dict[str, str]) -> str:
    method = request.method.upper()
    override = params.pop("method", None)
    if override:
        override = override.upper()
        if override not in METHODS:
            raise errors.BadParameter(f"method must be one of {', '.join(METHODS)}, not {override!r}")
        method = override
    if method == "PUT":
        method = "POST"
    return method


def token_from(request_headers: Any, params: Mapping[str, str]) -> str | None:
    """The token of a request: `access_token`, else ``Authorization: Bearer|OAuth``."""
    token = params.get("access_token")
    if token:
        return token.strip()
    header = request_headers.get("authorization", "") if request_headers is not None else ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


def as_list(raw: str | None, name: str = "the list") -> list[str]:
    """A list parameter, JSON-encoded (``["a","b"]``) or comma-separated (``a,b``), of plain values."""
    if raw is None:
        return []
    raw = raw.strip()
    if raw.startswith("["):
        try:
            value = load_json(raw, name)
        except errors.ApiError as exc:
            raise errors.BadParameter(f"could not parse {name} {raw[:50]!r}: {exc.message.removeprefix('(#100) ')}"
                                   ) from exc
        if not isinstance(value, list):
            raise errors.BadParameter(f"{name} must be a list")
        if any(isinstance(v, list | dict) for v in value):
            raise errors.BadParameter(f"{name} must be a list of names, not of lists or objects")
        return [as_text(v).strip() for v in value if as_text(v).strip()]
    return [part.strip() for part in raw.split(",") if part.strip()]


def as_bool(raw: str | None, name: str, default: bool = False) -> bool:
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise errors.BadParameter(f"{name} must be true or false, not {raw!r}")


def as_object(raw: str | None, name: str) -> dict[str, Any] | None:
    """An object parameter, JSON-encoded (``{"id":"1"}``); a bare string becomes ``{"id": raw}``."""
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if raw.startswith("{"):
        value = load_json(raw, name)
        if not isinstance(value, dict):
            raise errors.BadParameter(f"{name} must be an object")
        return value
    return {"id": raw}


def as_int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise errors.BadParameter(f"{name} must be a whole number, not {raw!r}") from exc
    if not low <= value <= high:
        raise errors.BadParameter(f"{name} must be between {low} and {high}")
    return value
