"""Routing a Graph call to its node and operation, with the token, proof and permission checks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

from pagetoken.authority import access, objects, validation
from pagetoken.core import errors
from pagetoken.core.kinds import TokenKind
from pagetoken.core.permissions import CATALOG

from . import fields as fieldsel
from .call import Call
from .fields import Selection
from .nodes import REGISTRY
from .oauth_endpoints import access_token, debug_token
from .registry import NodeType, Op

log = logging.getLogger("pagetoken.graph")

SPECIAL = {"oauth/access_token": access_token, "debug_token": debug_token}


def resolve_node(call: Call, node_id: str) -> tuple[str, NodeType]:
    if node_id == "me":
        tok = call.require_token()
        if tok.kind == TokenKind.APP:  # an app is no "current user" (SPEC §3: 2500)
            raise errors.NoActiveToken()
        return tok.subject_id, REGISTRY.types[tok.kind.me_node]
    found = objects.type_of(call.auth, node_id)
    node = REGISTRY.get(found) if found else None
    if node is None:
        raise errors.ObjectMissing(node_id, call.method)
    return node_id, node


def find_op(call: Call, node: NodeType) -> Op:
    op = node.find(call.method, call.route, call)
    if op is not None:
        return op
    known = [o for o in node.ops if o.route.split("/")[0] == call.route.split("/")[0]]
    if call.route and not known:
        raise errors.UnknownPath(call.route)
    raise errors.ObjectMissing(call.node_id, call.method)


def dispatch(call: Call, raw_token: str | None, before: Sequence[Callable[[Call], None]] = ()) -> Any:
    """Resolve the call once (token, node, operation, Page, fields), check it, and run its operation.
    `before` runs once the token and Page are known (the rate limits); it may refuse the call."""
    special = SPECIAL.get(call.path)
    if special is not None:
        return special(call, raw_token, before)
    if not call.path and call.method == "GET" and call.params.get("ids"):
        return read_many(call, raw_token, before)
    if not call.path:
        raise errors.BadParameter("a call needs a path, such as /me; POST / takes a batch")
    if raw_token:
        call = call.resolved(token=validation.resolve(call.auth, raw_token))
        call.usage.token = call.token
    first, _, route = call.path.partition("/")
    node_id, node = resolve_node(call, first)
    call = call.resolved(node_id=node_id, node_type=node.name, route=route)
    op = find_op(call, node)
    if call.token is None:  # /me without a token was 2500 above; any other node is 104
        raise errors.TokenRequired()
    tok = call.token
    if tok.kind not in op.tokens:
        kinds = " or ".join(k.described for k in sorted(op.tokens))
        raise errors.BadParameter(f"{call.method} /{node.name}{'/' + op.route if op.route else ''} needs {kinds} "
                                  f"access token, not {tok.kind.described} one")
    access.check_proof(call.auth, tok, call.params.get("appsecret_proof"))
    page_id = node.page_of(call.auth, node_id) if node.page_of is not None else None
    if page_id is not None:
        call.usage.page_ids.add(page_id)
        if not access.speaks_for(tok, page_id):
            raise errors.ObjectMissing(node_id, call.method)
    call = call.resolved(route_pattern=op.route, page_id=page_id)
    for hook in before:
        hook(call)
    if op.permissions or op.task:
        access.check(call.auth, tok, op.permissions, op.task, page_id)
    edges: dict[str, tuple[Selection | None, dict[str, str]]] = {}
    if call.method == "GET" and not call.route:
        call, edges = _take_edge_fields(call, node)
    _check_fields(call, node, op, page_id)
    answer = op.handler(call)
    for name, (nested, mods) in edges.items():
        answer[name] = _read_edge(call, name, nested, mods, raw_token, before)
    return answer


def _check_fields(call: Call, node: NodeType, op: Op, page_id: str | None) -> None:
    """The selection against the registry: (#100) for a field the type does not have; a field that
    needs a permission (a Page's private fields) is checked like an operation that needs it."""
    read_type = node if not call.route else REGISTRY.get(op.item) if op.item else None
    if read_type is None or not call.selection:
        return
    tok = call.require_token()
    for name in call.selection:
        found = read_type.field(name)
        if found is None:
            raise errors.NonexistingField(name, read_type.label)
        if found.permission and read_type is node and tok.kind != TokenKind.APP:
            access.check(call.auth, tok, (found.permission,), CATALOG[found.permission].task, page_id)


MAX_IDS = 50


def read_many(call: Call, raw_token: str | None, before: Sequence[Callable[[Call], None]] = ()) -> dict[str, Any]:
    """`GET /?ids=A,B[&fields=…]`: several objects in one call, answered as a map keyed by ID."""
    ids = list(dict.fromkeys(call.param_list("ids")))
    if len(ids) > MAX_IDS:
        raise errors.BadParameter(f"Too many IDs. Maximum: {MAX_IDS}. Provided: {len(ids)}.")
    if raw_token:
        call = call.resolved(token=validation.resolve(call.auth, raw_token))
        call.usage.token = call.token
    if call.token is None:
        raise errors.TokenRequired()
    for hook in before:  # counted once, as the Graph counts the call
        hook(call)
    params = {k: v for k, v in call.params.items() if k != "ids"}
    call.usage.nest()
    answers: dict[str, Any] = {}
    missing: list[str] = []
    for ident in ids:
        sub = Call.arriving(call.auth, "GET", ident, params, call.base_url, call.version, headers=call.headers,
                            usage=call.usage)
        try:
            answers[ident] = dispatch(sub, raw_token)
        except errors.ObjectMissing:
            missing.append(ident)
    if missing:
        raise errors.UnknownAliases(missing)
    return answers


def _take_edge_fields(call: Call, node: NodeType) -> tuple[Call, dict[str, tuple[Selection | None, dict[str, str]]]]:
    """Edges asked for among the fields (`fields=name,feed.limit(2){message}`): taken out of the call's
    own selection (the call that remains is returned), to be read as edges of their own."""
    sel = call.selection
    readable = node.readable_edges()
    wanted = [name for name in sel or {} if node.field(name) is None and name in readable]
    if not sel or not wanted:
        return call, {}
    mods = fieldsel.modifiers(call.params.get("fields"))
    edges = {name: (sel[name], mods.get(name, {})) for name in wanted}
    rest = {name: nested for name, nested in sel.items() if name not in edges}
    expr = fieldsel.to_expr(rest) if rest else "id"
    narrowed = call.resolved(params=MappingProxyType({**call.params, "fields": expr}), selection=fieldsel.parse(expr))
    return narrowed, edges


def _read_edge(call: Call, name: str, nested: Selection | None, mods: dict[str, str], raw_token: str | None,
               before: Sequence[Callable[[Call], None]] = ()) -> Any:
    """An edge named among the fields, read as a call of its own (the rate limits count it)."""
    call.usage.nest()
    params = {k: v for k, v in call.params.items() if k in ("access_token", "appsecret_proof")}
    params.update(mods)
    if nested:
        params["fields"] = fieldsel.to_expr(nested)
    sub = Call.arriving(call.auth, "GET", f"{call.node_id}/{name}", params, call.base_url, call.version,
                        headers=call.headers, usage=call.usage)
    return dispatch(sub, raw_token, before)
