"""`evolve`: a changed copy of a frozen dataclass, as `dataclasses.replace` makes it."""

from __future__ import annotations

import dataclasses

import pytest

from pagetoken.core.values import evolve


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


def test_evolve_copies_and_changes_only_what_it_is_told() -> None:
    p = Point(1, 2, ("a",))
    q = evolve(p, y=5)
    assert q == dataclasses.replace(p, y=5) == Point(1, 5, ("a",))
    assert p == Point(1, 2, ("a",)) and q is not p
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.x = 3  # type: ignore[misc]


def test_evolve_refuses_a_field_the_class_does_not_have() -> None:
    with pytest.raises(TypeError, match="Point has no field z"):
        evolve(Point(1), z=2)
