"""The Graph as a table: node types declare fields, edges and operations with the permission and
Page task each needs. Routing, permission checks, field selection and /openapi.json read this."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pagetoken.core.kinds import TokenKind

from .routes import route_matches

if TYPE_CHECKING:
    from pagetoken.authority.context import Authority

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
    paged: bool = False                         # answers {data, paging}
    item: str | None = None                     # the node type of a list's items (its fields are checked)

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
    page_of: Callable[[Authority, str], str | None] | None = None
    label: str = ""  # how the Graph API names the type in messages ("Page", "User", …)
    _edges: tuple[int, frozenset[str]] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.label = self.label or self.name.capitalize()

    @property
    def default_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.default]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def find(self, method: str, route: str, call: Call) -> Op | None:
        for op in self.ops:
            if op.method == method and route_matches(op.route, route) and (op.when is None or op.when(call)):
                return op
        return None

    def readable_edges(self) -> frozenset[str]:
        """Edges that `fields` may name (`fields=name,feed.limit(2){message}`): one-segment GET routes
        (worked out again only when ops were added since)."""
        known = self._edges
        if known is None or known[0] != len(self.ops):
            known = self._edges = (len(self.ops), frozenset(
                op.route for op in self.ops if op.method == "GET" and op.route and "/" not in op.route))
        return known[1]


class Registry:
    """Every node type the Graph API serves, declared once. Built explicitly from a list, so a node
    type that is missing (an object type with no declaration) fails at start-up, not silently."""

    def __init__(self, nodes: Iterable[NodeType], serves: Iterable[str], not_served: Iterable[str] = ()) -> None:
        self.types: dict[str, NodeType] = {}
        for node in nodes:
            if node.name in self.types:
                raise ValueError(f"node type {node.name} is declared twice")
            self.types[node.name] = node
        missing = set(serves) - set(not_served) - set(self.types)
        if missing:
            raise ValueError(f"object types without a node declaration: {', '.join(sorted(missing))}")
        for node in self.types.values():
            for op in node.ops:
                if op.item is not None and op.item not in self.types:
                    raise ValueError(f"{node.name} {op.method} {op.route}: item type {op.item} is not declared")

    def get(self, name: str) -> NodeType | None:
        return self.types.get(name)

    def all_ops(self) -> list[tuple[NodeType, Op]]:
        return [(node, op) for node in self.types.values() for op in node.ops]
