"""/openapi.json, generated from the registry: every node type, operation, parameter and permission."""

from __future__ import annotations

from typing import Any

from pagetoken import __version__

from .nodes import REGISTRY
from .registry import NodeType, Op, Param

_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "boolean": {"type": "boolean"},
          "list": {"type": "string", "description": "comma-separated or a JSON array"},
          "object": {"type": "string", "description": "a JSON object"}}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["message", "type", "code", "fbtrace_id"], "properties": {
        "message": {"type": "string"}, "type": {"type": "string"}, "code": {"type": "integer"},
        "error_subcode": {"type": "integer"}, "fbtrace_id": {"type": "string"}, "is_transient": {"type": "boolean"}}}},
}


def _param(p: Param, where: str = "query") -> dict[str, Any]:
    return {"name": p.name, "in": where, "required": p.required, "description": p.description,
            "schema": dict(_TYPES.get(p.kind, {"type": "string"}))}


def _operation(node: NodeType, op: Op) -> dict[str, Any]:
    notes = []
    if op.permissions:
        notes.append("Permissions: " + ", ".join(op.permissions) + ".")
    if op.task:
        notes.append(f"Page task: {op.task}.")
    notes.append("Tokens: " + ", ".join(sorted(op.tokens)) + ".")
    params = [_param(p) for p in op.params]
    params.append({"name": "access_token", "in": "query", "required": False, "schema": {"type": "string"},
                   "description": "or an Authorization: Bearer header"})
    params.append({"name": "appsecret_proof", "in": "query", "required": False, "schema": {"type": "string"}})
    if op.method == "GET":
        params.append({"name": "fields", "in": "query", "required": False, "schema": {"type": "string"}})
    return {
        "operationId": f"{op.method.lower()}_{node.name}_{(op.edge or 'node').replace('/', '_').strip('{}')}",
        "summary": op.summary,
        "description": " ".join(notes),
        "tags": [node.name],
        "parameters": params,
        "x-permissions": list(op.permissions),
        "x-page-task": op.task,
        "responses": {
            "200": {"description": "Success", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": "A Graph error", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
        },
    }


def openapi_document(public_url: str | None = None) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for node, op in REGISTRY.all_ops():
        id_name = f"{node.name}_id"
        path = f"/{{{id_name}}}" + (f"/{op.edge}" if op.edge else "")
        entry = paths.setdefault(path, {})
        operation = _operation(node, op)
        id_param = {"name": id_name, "in": "path", "required": True, "schema": {"type": "string"}}
        extra = [{"name": seg.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
                 for seg in (op.edge or "").split("/") if seg.startswith("{")]
        operation["parameters"] = [id_param, *extra, *operation["parameters"]]
        method = op.method.lower()
        if method in entry:  # two variants of one route (e.g. POST /{page-id}): describe both in one
            entry[method]["summary"] += f"; or: {op.summary}"
            continue
        entry[method] = operation
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "pagetoken Graph API", "version": __version__,
                 "description": "The Graph API as served by pagetoken, generated from its node registry."},
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA}},
    }
    if public_url:
        doc["servers"] = [{"url": public_url}]
    return doc
