"""One Graph call in flight: the authority, the token behind it, the parameters, and the checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection

from pagetoken.authority import inspect, roles
from pagetoken.authority.context import Authority
from pagetoken.authority.records import TokenInfo
from pagetoken.core import errors
from pagetoken.core.kinds import Origin, TokenKind
from pagetoken.core.permissions import MANAGE, task_allows

from . import fields as fieldsel
from . import paging
from .params import as_bool, as_int, as_list, as_object


@dataclass
class Call:
    auth: Authority
    method: str
    path: str
    params: dict[str, str]
    base_url: str
    version: str | None = None
    token: TokenInfo | None = None
    node_id: str | None = None
    node_type: str | None = None
    route: str = ""
    route_pattern: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    page_ids: set[str] = field(default_factory=set)  # Pages touched, for X-Page-Usage
    hooks: list[Callable[[Call], None]] = field(default_factory=list)  # rate limits and the like
    _scopes: dict[str | None, list[str]] = field(default_factory=dict, repr=False)  # per Page, for this call

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
        from .registry import route_arg

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

    def scopes_for(self, conn: Connection, page_id: str | None) -> list[str]:
        """The permissions the token may use now, for a Page when `page_id` is given (read once a call)."""
        tok = self.require_token()
        if page_id in self._scopes:
            return self._scopes[page_id]
        # Before the task rule: the tasks answer 10, in check().
        found = inspect.effective_scopes(self.auth, tok, by_tasks=False, page_id=page_id, conn=conn)
        self._scopes[page_id] = found
        return found

    def tasks_on(self, conn: Connection, page_id: str) -> list[str]:
        """The tasks behind the token on a Page: the user's, or MANAGE for a Page that granted the app."""
        tok = self.require_token()
        if tok.kind == TokenKind.PAGE and tok.origin == Origin.APP:
            return [MANAGE] if tok.page_id == page_id else []
        if tok.user_id is None:
            return []
        return roles.tasks_of(self.auth, page_id, tok.user_id, conn)

    def check(self, conn: Connection, permissions: tuple[str, ...], task: str | None,
              page_id: str | None) -> None:
        """200 when the token lacks a permission, 10 when the tasks behind it forbid the action."""
        tok = self.require_token()
        if page_id is not None:
            self.page_ids.add(page_id)
            if tok.kind == TokenKind.PAGE and tok.page_id != page_id:
                raise errors.ObjectMissing(self.node_id or page_id, self.method)
        if permissions:
            have = set(self.scopes_for(conn, page_id))
            missing = [p for p in permissions if p not in have]
            if missing:
                raise errors.MissingPermission(*missing)
        if task is not None and page_id is not None and not task_allows(self.tasks_on(conn, page_id), task):
            raise errors.MissingTask(task)

    def url_for(self, query: dict[str, str]) -> str:
        prefix = f"/{self.version}" if self.version else ""
        return f"{self.base_url.rstrip('/')}{prefix}/{self.path}?{urlencode(query)}"

    def paged(self, items: list[dict[str, Any]], defaults: list[str] | None = None,
              summary: dict[str, Any] | None = None, key: Callable[[dict[str, Any]], str] | None = None
              ) -> dict[str, Any]:
        """A list answer: each item narrowed to the selected fields, then paged."""
        if defaults is not None:
            items = [fieldsel.select(item, self.selection, defaults) for item in items]
        query = dict(self.params)
        if self.token is not None and self.token.raw:
            query["access_token"] = self.token.raw
        want_summary = summary if self.param_bool("summary") else None
        return paging.page(items, query, self.url_for, key=key or (lambda i: str(i["id"])), summary=want_summary)
