"""One Graph call in flight: the authority, the token behind it, its node and route, its parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from pagetoken.authority.context import Authority
from pagetoken.authority.records import TokenInfo
from pagetoken.core import errors

from . import fields as fieldsel
from . import paging
from .params import as_bool, as_int, as_list, as_object
from .routes import route_arg


@dataclass
class Call:
    auth: Authority
    method: str
    path: str
    params: dict[str, str]
    base_url: str
    version: str | None = None
    token: TokenInfo | None = None
    node_id: str = ""
    node_type: str | None = None
    route: str = ""
    route_pattern: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    page_ids: set[str] = field(default_factory=set)  # Pages touched, for X-Page-Usage
    hooks: list[Callable[[Call], None]] = field(default_factory=list)  # rate limits and the like

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
        return as_list(self.params.get(name))

    def param_bool(self, name: str, default: bool = False) -> bool:
        return as_bool(self.params.get(name), name, default)

    def param_int(self, name: str, default: int, low: int, high: int) -> int:
        return as_int(self.params.get(name), name, default, low, high)

    def param_object(self, name: str) -> dict[str, Any] | None:
        return as_object(self.params.get(name), name)

    def arg(self, name: str) -> str | None:
        return route_arg(self.route_pattern, self.route, name)

    @cached_property
    def selection(self) -> fieldsel.Selection | None:
        return fieldsel.parse(self.params.get("fields"))

    def wants(self, name: str) -> bool:
        return self.selection is not None and name in self.selection

    # ---- the token ----

    def require_token(self) -> TokenInfo:
        if self.token is None:
            raise errors.NoActiveToken()
        return self.token

    def url_for(self, query: dict[str, str]) -> str:
        prefix = f"/{self.version}" if self.version else ""
        return f"{self.base_url.rstrip('/')}{prefix}/{self.path}?{urlencode(query)}"

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
