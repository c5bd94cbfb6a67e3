"""The Graph as a table: node types declare fields, edges and operations with the permission and
Page task each needs. Routing, permission checks, field selection and /openapi.json read this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pagetoken.core.kinds import TokenKind

if TYPE_CHECKING:
    from .call import Call

Handler = Callable[["Call"], Any]

ANY_TOKEN = frozenset(TokenKind)
USER_OR_PAGE = frozenset({TokenKind.USER, TokenKind.PAGE})
USER_ONLY = frozenset({TokenKind.USER})
PAGE_ONLY = frozenset({TokenKind.PAGE})
APP_ONLY = frozenset({TokenKind.APP})


@dataclass(frozen=True)
class Param:
    name: str
    description: str = ""
    required: bool = False
    kind: str = "string"  # string | integer | boolean | list | object


@dataclass(frozen=True)
class Field:
    name: str
    description: str = ""
    permission: str | None = None  # needed to read the field
    default: bool = False          # in the answer when no `fields` is given
    kind: str = "string"


@dataclass(frozen=True)
class Op:
    """One operation: METHOD on a node (`edge` None) or on one of its edges."""

    method: str
    edge: str | None
    handler: Handler
    summary: str
    permissions: tuple[str, ...] = ()  # every one needed (200 when missing)
    task: str | None = None            # the Page task needed (10 when missing)
    tokens: frozenset[TokenKind] = ANY_TOKEN
    params: tuple[Param, ...] = ()
    when: Callable[[Call], bool] | None = None  # for two ops on one route, which one applies
    paged: bool = False

    @property
    def route(self) -> str:
        return self.edge or ""


@dataclass
class NodeType:
    name: str
    description: str
    fields: tuple[Field, ...] = ()
    ops: list[Op] = field(default_factory=list)
    # The Page an object of this type belongs to (for Page permissions and tasks); None: not a Page object.
    page_of: Callable[[Any, str], str | None] | None = None

    @property
    def default_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.default]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def find(self, method: str, route: str, call: Call) -> Op | None:
        for op in self.ops:
            if op.method == method and _route_matches(op.route, route) and (op.when is None or op.when(call)):
                return op
        return None

    def routes(self) -> set[str]:
        return {op.route for op in self.ops}


def _route_matches(pattern: str, route: str) -> bool:
    p_parts, r_parts = pattern.split("/") if pattern else [], route.split("/") if route else []
    if len(p_parts) != len(r_parts):
        return False
    return all(p == r or (p.startswith("{") and p.endswith("}")) for p, r in zip(p_parts, r_parts, strict=True))


def route_arg(pattern: str, route: str, name: str) -> str | None:
    for p, r in zip(pattern.split("/"), route.split("/"), strict=False):
        if p == "{" + name + "}":
            return r
    return None


class Registry:
    def __init__(self) -> None:
        self.types: dict[str, NodeType] = {}

    def add(self, node: NodeType) -> NodeType:
        if node.name in self.types:
            raise ValueError(f"node type {node.name} is declared twice")
        self.types[node.name] = node
        return node

    def get(self, name: str) -> NodeType | None:
        return self.types.get(name)

    def all_ops(self) -> list[tuple[NodeType, Op]]:
        return [(node, op) for node in self.types.values() for op in node.ops]


REGISTRY = Registry()
