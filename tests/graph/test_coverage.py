"""docs/COVERAGE.md is what the registry says today."""

from __future__ import annotations

from pathlib import Path

from pagetoken.graph.coverage import coverage_markdown
from pagetoken.graph.nodes import REGISTRY

COVERAGE = Path(__file__).resolve().parents[2] / "docs" / "COVERAGE.md"


def test_committed_coverage_is_up_to_date() -> None:
    assert COVERAGE.read_text(encoding="utf-8") == coverage_markdown(), \
        "docs/COVERAGE.md is stale: run python -m pagetoken.graph.coverage docs/COVERAGE.md"


def test_coverage_lists_every_operation_and_field() -> None:
    text = coverage_markdown()
    for node, op in REGISTRY.all_ops():
        assert f"| {op.method} | `" in text and (op.route or node.name) in text
    for node in REGISTRY.types.values():
        for field in node.fields:
            assert f"| `{field.name}` |" in text
    assert "## Deliberately left out" in text
