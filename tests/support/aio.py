"""Running a coroutine to its end from a test, whatever loop the test's thread may already run.

Playwright's sync API (the browser tests' session fixture) keeps an event loop running in the main
thread until the session ends, and `asyncio.run` refuses to start inside a running loop. So a test
that drives async code runs it on a fresh loop in a thread of its own, and gets its result or its
exception back, in whatever order the suite runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
