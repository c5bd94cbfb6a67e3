"""The limits the server puts on its callers, in one place: the Graph rate limits and the login throttle.

`Limits.from_env` is the one reader of them: each field that names an environment variable
(`metadata["env"]`) takes that variable's value when it is set (a positive number; counts are rounded up),
its default otherwise. The rate limits read

    PAGETOKEN_RATE_WINDOW_SECONDS (3600)   the window the counts below are over
    PAGETOKEN_RATE_APP_LIMIT (50000)       calls per app (code 4 past it)
    PAGETOKEN_RATE_USER_LIMIT (10000)      calls per user (17)
    PAGETOKEN_RATE_PAGE_LIMIT (10000)      calls per Page (32)
    PAGETOKEN_RATE_TIME_SECONDS (600)      seconds spent answering, per app, user and Page
    PAGETOKEN_RATE_CPU_SECONDS (600)       CPU seconds, likewise

The rate limits hold across every server process and node on one database (graph/ratelimit.py): with
P processes in all, the calls of an app, user or Page admitted within one window never exceed
limit + (P − 1) × max(1, ⌊limit / 100⌋), and a call counts for the window plus at most a sixtieth of it.

The login throttle's numbers (SECURITY.md) are the defaults below; they name no variable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

APP, USER, PAGE = "app", "user", "page"


def number(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive, finite number from `env[name]`, or `default` when it is unset or blank."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc
    if not 0 < value < math.inf:
        raise ValueError(f"{name} must be positive, not {raw}")
    return value


def _env(name: str, default: float) -> Any:
    return field(default=default, metadata={"env": name})


@dataclass
class Limits:
    # Graph rate limits (SPEC §6): calls, and time spent answering, per window.
    window: float = _env("PAGETOKEN_RATE_WINDOW_SECONDS", 3600.0)
    app: int = _env("PAGETOKEN_RATE_APP_LIMIT", 50000)
    user: int = _env("PAGETOKEN_RATE_USER_LIMIT", 10000)
    page: int = _env("PAGETOKEN_RATE_PAGE_LIMIT", 10000)
    time_budget: float = _env("PAGETOKEN_RATE_TIME_SECONDS", 600.0)
    cpu_budget: float = _env("PAGETOKEN_RATE_CPU_SECONDS", 600.0)
    # Login throttle (web/throttle.py): attempts per client address, failures per (email, address),
    # failures per email from unknown addresses before each attempt waits (doubling up to a maximum),
    # and how long an address the owner logged in from stays known.
    login_ip_limit: int = 30
    login_ip_window: float = 300.0
    login_pair_limit: int = 5
    login_pair_window: float = 300.0
    login_email_free: int = 10
    login_email_window: float = 900.0
    login_email_max_delay: float = 60.0
    login_known_seconds: float = 30 * 86400.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata.get("env")
            if name is not None:
                read = number(env, name, f.default)  # type: ignore[arg-type]
                values[f.name] = math.ceil(read) if isinstance(f.default, int) else read
        return cls(**values)

    def calls_for(self, scope: str) -> int:
        """The call limit of a scope (APP, USER or PAGE)."""
        if scope not in (APP, USER, PAGE):
            raise KeyError(scope)
        limit: int = getattr(self, scope)  # the fields are named after the scopes
        return limit
