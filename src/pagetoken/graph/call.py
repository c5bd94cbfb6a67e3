"""One Graph call: what arrived, and, once dispatch has resolved it, whom it acts for and on what.

A `Call` is an immutable value. The HTTP endpoint (or a batch, or an edge read through `fields`)
makes one from the request with `Call.arriving`; dispatch resolves it once (token, node, route,
Page, field selection) into a new value with `resolved`, and hands that to the operation. The one
mutable part is `usage`, the record shared by everything that answers one request: the token and
the Pages it touched, read by the rate limits and the usage headers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from pagetoken.authority.context import Authority
from pagetoken.authority.records import ValidToken
from pagetoken.core import errors
from pagetoken.core.values import evolve

from . import fields as fieldsel
from . import paging
from .params import as_bool, as_int, as_list, as_object
from .routes import route_arg


@dataclass(frozen=True)
class Again:
    """What an answer needs to be given again as it is (`graph/recall.py`): the call as dispatch resolved it,
    when the answer stops holding (its tokens' end; None for never), and what each answer does besides
    (the impressions a read records)."""

    call: Call
    until: float | None
    effects: tuple[Callable[[], None], ...] = ()


@dataclass
class Usage:
    """What answering one request touched: the token it ran with and the Pages (for X-Page-Usage)."""

    token: ValidToken | None = None
    page_ids: set[str] = field(default_factory=set)
    # Set by the rate limiter once it has counted the request: what it counted (its own record), and how
    # an edge read inside the answer (`fields=posts{comments}`: each post's comments) counts as one more call.
    counted: Any = None
    count_edge: Callable[[Call], None] | None = None
    # Set by an operation whose answer depends on nothing but what the read model holds and its tokens'
    # validity (`repeatable`); never for a request that reads other calls inside (`nest`).
    again: Again | None = None
    nested: bool = False
    # What the answer does besides (the impressions it records), run once the whole request is answered:
    # an attempt on the event loop that stopped for the database is thrown away with what it noted, and
    # the run that follows notes it again. A request that fails records nothing.
    effects: list[Callable[[], None]] = field(default_factory=list)

    def effect(self, action: Callable[[], None]) -> None:
        """Run `action` once the request is answered."""
        self.effects.append(action)

    def repeatable(self, call: Call, until: float | None, *effects: Callable[[], None]) -> None:
        """The answer being made may be given again to the same request until `until`, if nothing it was
        read from changes meanwhile; each time, `effects` run as they ran for this one."""
        if not self.nested:
            self.again = Again(call, until, effects)

    def nest(self) -> None:
        """The request answers with other calls inside (edges named in `fields`, `?ids=`): its answer is
        never given again, whatever any of its parts said."""
        self.nested, self.again = True, None


@dataclass(frozen=True)
class Call:
    auth: Authority
    method: str
    path: str
    params: Mapping[str, str]
    base_url: str
    version: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    # Set by dispatch when it resolves the call:
    token: ValidToken | None = None
    node_id: str = ""
    node_type: str = ""
    route: str = ""
    route_pattern: str = ""
    page_id: str | None = None
    selection: fieldsel.Selection | None = None

    @classmethod
    def arriving(cls, auth: Authority, method: str, path: str, params: Mapping[str, str], base_url: str,
                 version: str | None = None, headers: Mapping[str, str] | None = None,
                 usage: Usage | None = None) -> Call:
        """A call as it arrived, its `fields` parsed (a syntax error is a 100 here, before any lookup)."""
        frozen = MappingProxyType(dict(params))
        return cls(auth, method, path, frozen, base_url, version, MappingProxyType(dict(headers or {})),
                   usage if usage is not None else Usage(), selection=fieldsel.parse(frozen.get("fields")))

    def resolved(self, **values: Any) -> Call:
        """The same call with what dispatch found out (token, node_id, node_type, route, …)."""
        return evolve(self, **values)

    # ---- parameters ----

    def param(self, name: str, required: bool = False, max_len: int = 63206) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise errors.BadParameter(f"The parameter {name} is required")
            return None
        if len(value) > max_len:
            raise errors.BadParameter(f"{name} is longer than {max_len} characters")
        return value

    def param_list(self, name: str) -> list[str]:
        return as_list(self.params.get(name), name)

    def param_bool(self, name: str, default: bool = False) -> bool:
        return as_bool(self.params.get(name), name, default)

    def param_int(self, name: str, default: int, low: int, high: int) -> int:
        return as_int(self.params.get(name), name, default, low, high)

    def param_object(self, name: str) -> dict[str, Any] | None:
        return as_object(self.params.get(name), name)

    def arg(self, name: str) -> str | None:
        """An argument of the route pattern: `metric` of `insights/{metric}`."""
        return route_arg(self.route_pattern, self.route, name)

    def wants(self, name: str) -> bool:
        return self.selection is not None and name in self.selection

    # ---- the token ----

    def require_token(self) -> ValidToken:
        if self.token is None:
            raise errors.NoActiveToken()
        return self.token

    # ---- shaping the answer ----

    def url_for(self, query: Mapping[str, str]) -> str:
        prefix = f"/{self.version}" if self.version else ""
        return f"{self.base_url.rstrip('/')}{prefix}/{self.path}?{urlencode(dict(query))}"

    def paged(self, items: list[dict[str, Any]], defaults: list[str] | None = None,
              summary: dict[str, Any] | None = None, key: Callable[[dict[str, Any]], str] | None = None
              ) -> dict[str, Any]:
        """A list answer: each item narrowed to the selected fields, then paged."""
        if defaults is not None:
            items = [fieldsel.narrow(item, self.selection, defaults) for item in items]
        query = dict(self.params)
        if self.token is not None and self.token.raw:
            query["access_token"] = self.token.raw
        want_summary = summary if self.param_bool("summary") else None
        return paging.page(items, query, self.url_for, key=key or (lambda i: str(i["id"])), summary=want_summary)
