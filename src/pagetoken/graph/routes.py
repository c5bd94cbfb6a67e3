"""Routes below a node: patterns such as `insights/{metric}` and the arguments they bind."""

from __future__ import annotations


def route_matches(pattern: str, route: str) -> bool:
    p_parts, r_parts = pattern.split("/") if pattern else [], route.split("/") if route else []
    if len(p_parts) != len(r_parts):
        return False
    return all(p == r or (p.startswith("{") and p.endswith("}")) for p, r in zip(p_parts, r_parts, strict=True))


def route_arg(pattern: str, route: str, name: str) -> str | None:
    for p, r in zip(pattern.split("/"), route.split("/"), strict=False):
        if p == "{" + name + "}":
            return r
    return None
