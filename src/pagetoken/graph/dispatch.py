"""Routing a Graph call to its node and operation, with the token, proof and permission checks."""

from __future__ import annotations

import logging
from typing import Any

from pagetoken.authority import apps, inspect
from pagetoken.core import errors
from pagetoken.core.kinds import Source, TokenKind
from pagetoken.core.proof import proof_matches
from pagetoken.store.store import node_type

from . import fields as fieldsel
from . import nodes  # noqa: F401  (fills the registry)
from .call import Call
from .fields import Selection
from .oauth_endpoints import access_token, debug_token
from .registry import REGISTRY, NodeType, Op

log = logging.getLogger("pagetoken.graph")

SPECIAL = {"oauth/access_token": access_token, "debug_token": debug_token}


def check_proof(call: Call) -> None:
    """appsecret_proof: checked whenever sent, required when the app demands it."""
    tok = call.token
    if tok is None:
        return
    proof = call.params.get("appsecret_proof")
    app = apps.get(call.auth, tok.app_id)
    if app is None:
        raise errors.InvalidToken()
    if proof:
        secret = apps.secret(call.auth, app.id)
        if secret is None or not proof_matches(tok.raw, secret, proof):
            raise errors.ProofInvalid()
    elif app.require_proof and tok.source != Source.APP_SECRET_PAIR:
        raise errors.ProofRequired()


def resolve_node(call: Call, node_id: str) -> tuple[str, NodeType]:
    if node_id == "me":
        tok = call.require_token()
        return tok.subject_id, REGISTRY.types[tok.kind.me_node]
    with call.auth.store.read() as conn:
        found = node_type(conn, node_id)
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
    raise errors.ObjectMissing(call.node_id or "", call.method)


def dispatch(call: Call, raw_token: str | None) -> Any:
    special = SPECIAL.get(call.path)
    if special is not None:
        return special(call, raw_token)
    if not call.path:
        raise errors.BadParameter("a call needs a path, such as /me; POST / takes a batch")
    if raw_token:
        call.token = inspect.resolve(call.auth, raw_token)
    node_id, _, route = call.path.partition("/")
    call.node_id, node = resolve_node(call, node_id)
    call.node_type = node.name
    call.route = route
    op = find_op(call, node)
    call.route_pattern = op.route
    tok = call.require_token()
    if tok.kind not in op.tokens:
        kinds = " or ".join(k.described for k in sorted(op.tokens))
        raise errors.BadParameter(f"{call.method} /{node.name}{'/' + op.route if op.route else ''} needs {kinds} "
                               f"access token, not {tok.kind.described} one")
    check_proof(call)
    page_id = None
    if node.page_of is not None:
        with call.auth.store.read() as conn:
            page_id = node.page_of(conn, call.node_id)
    if page_id is not None:
        call.page_ids.add(page_id)
    for hook in call.hooks:
        hook(call)
    if op.permissions or op.task or (page_id is not None and tok.kind == TokenKind.PAGE):
        with call.auth.store.read() as conn:
            call.check(conn, op.permissions, op.task, page_id)
    edges = _take_edge_fields(call, node) if call.method == "GET" and not call.route else {}
    answer = op.handler(call)
    for name, (nested, mods) in edges.items():
        answer[name] = _read_edge(call, name, nested, mods, raw_token)
    return answer


def _take_edge_fields(call: Call, node: NodeType) -> dict[str, tuple[Selection | None, dict[str, str]]]:
    """Edges asked for among the fields (`fields=name,feed.limit(2){message}`): taken out of the call's
    own selection, to be read as edges of their own with their nested selection."""
    sel = call.selection
    if not sel:
        return {}
    readable = {op.route for op in node.ops if op.method == "GET" and op.route and "/" not in op.route}
    wanted = [name for name in sel if node.field(name) is None and name in readable]
    if not wanted:
        return {}
    mods = fieldsel.modifiers(call.params.get("fields"))
    edges = {name: (sel[name], mods.get(name, {})) for name in wanted}
    rest = {name: nested for name, nested in sel.items() if name not in edges}
    call.params["fields"] = fieldsel.to_expr(rest) if rest else "id"
    del call.__dict__["selection"]  # parsed again from the narrowed expression
    return edges


def _read_edge(call: Call, name: str, nested: Selection | None, mods: dict[str, str], raw_token: str | None) -> Any:
    params = {k: v for k, v in call.params.items() if k in ("access_token", "appsecret_proof")}
    params.update(mods)
    if nested:
        params["fields"] = fieldsel.to_expr(nested)
    sub = Call(call.auth, "GET", f"{call.node_id}/{name}", params, call.base_url, call.version,
               headers=call.headers, hooks=[])
    sub.page_ids = call.page_ids
    return dispatch(sub, raw_token)
