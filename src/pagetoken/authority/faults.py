"""Faults and the request log of `serve --dev`, kept in the database so they hold on every process.

A fault makes the next N Graph calls that match it answer a chosen error. Matching reads one small
table; taking a fault decrements its count in one conditional UPDATE, so two processes never answer
the same last fault twice.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from pagetoken.core import errors
from pagetoken.core.redact import redact
from pagetoken.store.tables import dev_faults, dev_requests, tokens

from .context import Authority

KEEP_REQUESTS = 1000
_VERSION = re.compile(r"^v\d+\.\d+(/|$)")


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")


def graph_error(code: int, subcode: int | None, message: str | None, auth: Authority,
                app_id: str | None = None) -> errors.ApiError:
    """The error the Graph API answers for `code`/`subcode`, with its real message unless one is given."""
    now = auth.now()
    known: dict[tuple[int, int | None], errors.ApiError] = {
        (190, None): errors.InvalidToken(),
        (190, 458): errors.AppNotAuthorized("0", app_id or "0"),
        (190, 460): errors.PasswordChanged(),
        (190, 463): errors.TokenExpired(_when(now - 1), _when(now)),
        (190, 466): errors.TokenError("Error validating access token: The session was invalidated explicitly "
                                      "using an API call."),
        (190, 467): errors.SessionInvalidated(),
        (190, 492): errors.NotPageAdmin(),
        (190, 493): errors.DataAccessExpired(),
        (1, None): errors.UnknownError(),
        (2, None): errors.ServiceUnavailable(),
        (4, None): errors.AppRateLimited(),
        (10, None): errors.MissingTask("MANAGE"),
        (17, None): errors.UserRateLimited(),
        (32, None): errors.PageRateLimited(),
        (100, None): errors.BadParameter("Invalid parameter"),
        (100, 33): errors.ObjectMissing("0"),
        (200, None): errors.MissingPermission("pages_read_engagement"),
        (368, None): errors.ApiError("It looks like you were misusing this feature by going too fast. "
                                       "You've been temporarily blocked from using it."),
        (613, None): errors.ApiError("Calls to this api have exceeded the rate limit."),
        (2500, None): errors.UnknownPath("x"),
    }
    base = known.get((code, subcode)) or known.get((code, None))
    transient = code in (1, 2, 4, 17, 32, 368, 613) or None
    parent = type(base) if base is not None else errors.ApiError

    def init(self: errors.ApiError, text: str) -> None:
        errors.ApiError.__init__(self, text)

    # The class of the code's own error (so its type and WWW-Authenticate challenge), with this code/subcode.
    injected = type("InjectedError", (parent,), {"__init__": init, "code": code, "subcode": subcode,
                                                 "is_transient": transient})
    text = message or (base.message if base is not None else f"(#{code}) An error injected by pagetoken serve --dev")
    return injected(text)


def normalise_path(path: str) -> str:
    """`/v25.0/me/accounts` and `me/accounts` are the same path to a fault."""
    path = path.strip().lstrip("/")
    return _VERSION.sub("", path).rstrip("/")


@dataclass(frozen=True)
class Fault:
    id: int
    path: str | None
    method: str | None
    app_id: str | None
    token_hash: str | None
    code: int
    subcode: int | None
    message: str | None
    remaining: int

    def public(self) -> dict[str, Any]:
        match = {k: v for k, v in (("path", self.path), ("method", self.method), ("app_id", self.app_id))
                 if v is not None}
        if self.token_hash:
            match["token"] = "(a token)"
        error: dict[str, Any] = {"code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.message is not None:
            error["message"] = self.message
        return {"id": self.id, "match": match, "error": error, "times": self.remaining}


def add(auth: Authority, *, code: int, subcode: int | None = None, message: str | None = None, times: int = 1,
        path: str | None = None, method: str | None = None, app_id: str | None = None,
        token: str | None = None) -> Fault:
    if times < 1 or times > 1_000_000:
        raise errors.BadParameter("times must be between 1 and 1000000")
    if code < 1:
        raise errors.BadParameter("error.code must be a positive integer")
    fault = Fault(0, normalise_path(path) if path else None, method.upper() if method else None, app_id or None,
                  auth.hash(token.strip()) if token else None, code, subcode, message, times)
    with auth.store.write() as conn:
        pk = conn.execute(insert(dev_faults).values(
            path=fault.path, method=fault.method, app_id=fault.app_id, token_hash=fault.token_hash, code=code,
            subcode=subcode, message=message, remaining=times, created_at=auth.now())).inserted_primary_key
    assert pk is not None
    return replace(fault, id=int(pk[0]))


def pending(auth: Authority) -> list[Fault]:
    with auth.store.read() as conn:
        rows = conn.execute(select(dev_faults).where(dev_faults.c.remaining > 0).order_by(dev_faults.c.id)).all()
    return [Fault(r.id, r.path, r.method, r.app_id, r.token_hash, r.code, r.subcode, r.message, r.remaining)
            for r in rows]


def clear(auth: Authority) -> int:
    with auth.store.write() as conn:
        return int(conn.execute(delete(dev_faults)).rowcount or 0)


def app_of(auth: Authority, raw_token: str | None, params: Mapping[str, str]) -> str | None:
    """The app behind a call, valid token or not: the token's app, else `client_id`."""
    if raw_token:
        token = raw_token.strip()
        if "|" in token:
            return token.split("|", 1)[0]
        with auth.store.read() as conn:
            found = conn.execute(select(tokens.c.app_id).where(tokens.c.hash == auth.hash(token))).scalar()
        if found:
            return str(found)
    return params.get("client_id") or None


def take(auth: Authority, method: str, path: str, raw_token: str | None,
         params: Mapping[str, str]) -> errors.ApiError | None:
    """The error to answer when a fault matches this call (and one of its N is used up), else None."""
    waiting = pending(auth)
    if not waiting:
        return None
    path = normalise_path(path)
    token_hash = auth.hash(raw_token.strip()) if raw_token else None
    app_id: str | None = None
    app_known = False
    for fault in waiting:
        if fault.method and fault.method != method.upper():
            continue
        if fault.path and not fnmatch.fnmatchcase(path, fault.path):
            continue
        if fault.token_hash and fault.token_hash != token_hash:
            continue
        if fault.app_id:
            if not app_known:
                app_id, app_known = app_of(auth, raw_token, params), True
            if fault.app_id != app_id:
                continue
        with auth.store.write() as conn:
            taken = conn.execute(update(dev_faults).where((dev_faults.c.id == fault.id) & (dev_faults.c.remaining > 0))
                                 .values(remaining=dev_faults.c.remaining - 1))
            if taken.rowcount != 1:
                continue  # another process took the last one
            conn.execute(delete(dev_faults).where(dev_faults.c.remaining <= 0))
        return graph_error(fault.code, fault.subcode, fault.message, auth, fault.app_id or app_id)
    return None


# ---- the request log -----------------------------------------------------------------------------


def record(auth: Authority, method: str, path: str, app_id: str | None, status: int, code: int | None,
           subcode: int | None) -> None:
    with auth.store.write() as conn:
        pk = conn.execute(insert(dev_requests).values(
            at=auth.now(), method=method, path=redact(path)[:2000], app_id=app_id, status=status, code=code,
            subcode=subcode)).inserted_primary_key
        if pk is not None and int(pk[0]) % 100 == 0:
            conn.execute(delete(dev_requests).where(dev_requests.c.id <= int(pk[0]) - KEEP_REQUESTS))


def recent(auth: Authority, limit: int = 50) -> list[dict[str, Any]]:
    """The last `limit` Graph calls, newest first."""
    with auth.store.read() as conn:
        rows = conn.execute(select(dev_requests).order_by(dev_requests.c.id.desc()).limit(limit)).all()
    return [{"time": r.at, "method": r.method, "path": r.path, "app_id": r.app_id, "status": r.status,
             "code": r.code, "error_subcode": r.subcode} for r in rows]


def count_requests(auth: Authority) -> int:
    with auth.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(dev_requests)).scalar() or 0)


