"""Immutable values, changed by making new ones."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


@cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def evolve(value: T, **changes: Any) -> T:
    """A copy of the frozen dataclass `value` with `changes`: what `dataclasses.replace` does, without
    looking up the class's fields and running its constructor on every call (each Graph call makes
    several such copies). Only for plain dataclasses: no `__post_init__`, no `__slots__`."""
    cls: type = type(value)
    unknown = changes.keys() - _field_names(cls)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    copy: T = object.__new__(cls)
    copy.__dict__.update(value.__dict__)
    copy.__dict__.update(changes)
    return copy
