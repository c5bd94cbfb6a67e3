"""How long each kind of token lives (SPEC §1, §4), configurable from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .limits import number

SHORT_LIVED_DEFAULT = 3600
LONG_LIVED_DEFAULT = 60 * 24 * 3600
DATA_ACCESS_DEFAULT = 90 * 24 * 3600
CODE_DEFAULT = 600


@dataclass(frozen=True)
class Lifetimes:
    short_lived: int = SHORT_LIVED_DEFAULT
    long_lived: int = LONG_LIVED_DEFAULT
    data_access: int = DATA_ACCESS_DEFAULT
    code: int = CODE_DEFAULT
    # False with PAGETOKEN_PAGE_TOKENS_EXPIRE=never: Page tokens from long-lived user tokens never expire.
    page_tokens_expire: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Lifetimes:
        env = os.environ if env is None else env

        def read(name: str, default: int) -> int:
            value = number(env, name, default)
            if value != int(value):
                raise ValueError(f"{name} must be a whole number of seconds, not {value}")
            return int(value)

        return cls(
            short_lived=read("PAGETOKEN_SHORT_LIVED_SECONDS", SHORT_LIVED_DEFAULT),
            long_lived=read("PAGETOKEN_LONG_LIVED_SECONDS", LONG_LIVED_DEFAULT),
            data_access=read("PAGETOKEN_DATA_ACCESS_SECONDS", DATA_ACCESS_DEFAULT),
            code=read("PAGETOKEN_CODE_SECONDS", CODE_DEFAULT),
            page_tokens_expire=_page_tokens_expire(env.get("PAGETOKEN_PAGE_TOKENS_EXPIRE", "")),
        )


def _page_tokens_expire(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("", "default"):
        return True
    if value == "never":
        return False
    raise ValueError(f"PAGETOKEN_PAGE_TOKENS_EXPIRE must be 'never' or 'default', not {raw!r}")
