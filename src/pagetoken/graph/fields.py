"""`fields=a,b,c{d,e}`: parsing the selection and applying it to an answer."""

from __future__ import annotations

from typing import Any

from pagetoken.core import errors

Selection = dict[str, "Selection | None"]  # name → nested selection (None: the field's default)
MAX_DEPTH = 16  # `a{b{c{…}}}`: far deeper than any node graph goes


def parse(expr: str | None) -> Selection | None:
    """The selection tree, or None when no `fields` was given."""
    if expr is None or not expr.strip():
        return None
    pos = 0
    text = expr.replace(" ", "")

    def parse_list(level: int = 1) -> Selection:
        nonlocal pos
        if level > MAX_DEPTH:
            raise errors.BadParameter(f"fields is nested too deeply (at most {MAX_DEPTH} levels of {{…}})")
        out: Selection = {}
        while pos < len(text):
            start = pos
            while pos < len(text) and text[pos] not in ",{}":
                pos += 1
            name = text[start:pos]
            # modifiers like .limit(5) or .summary(true) are accepted and ignored in the name
            name = name.split(".", 1)[0]
            if not name:
                raise errors.BadParameter(f"Syntax error in fields at character {pos}: {expr!r}")
            nested: Selection | None = None
            if pos < len(text) and text[pos] == "{":
                pos += 1
                nested = parse_list(level + 1)
                if pos >= len(text) or text[pos] != "}":
                    raise errors.BadParameter(f"Syntax error in fields: unclosed '{{' in {expr!r}")
                pos += 1
            out[name] = nested
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            break
        return out

    tree = parse_list()
    if pos != len(text):
        raise errors.BadParameter(f"Syntax error in fields at character {pos}: {expr!r}")
    return tree


def narrow(obj: dict[str, Any], selection: Selection | None, defaults: list[str]) -> dict[str, Any]:
    """The fields of `obj` that were asked for (or the defaults), `id` always first when present."""
    names = list(selection) if selection is not None else defaults
    out: dict[str, Any] = {}
    if "id" in obj:
        out["id"] = obj["id"]
    for name in names:
        if name in obj and obj[name] is not None:
            value = obj[name]
            nested = selection.get(name) if selection is not None else None
            if nested is not None and isinstance(value, dict):
                value = narrow(value, nested, list(value))
            out[name] = value
    return out


def to_expr(selection: Selection) -> str:
    """The `fields` expression of a selection (the inverse of `parse`, modifiers aside)."""
    return ",".join(name if nested is None else f"{name}{{{to_expr(nested)}}}" for name, nested in selection.items())


def modifiers(expr: str | None) -> dict[str, dict[str, str]]:
    """Top-level modifiers such as ``feed.limit(5).summary(true)`` → ``{"feed": {"limit": "5", ...}}``."""
    out: dict[str, dict[str, str]] = {}
    depth, start = 0, 0
    text = (expr or "").replace(" ", "")
    for i, ch in enumerate(text + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            head = text[start:i].split("{", 1)[0]
            name, *mods = head.split(".")
            found = {}
            for mod in mods:
                key, _, rest = mod.partition("(")
                if key and rest.endswith(")"):
                    found[key] = rest[:-1]
            if found:
                out[name] = found
            start = i + 1
    return out
