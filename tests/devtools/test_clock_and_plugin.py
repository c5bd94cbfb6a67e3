"""The shared clock's refresh bound, and the pytest plugin as a developer's project uses it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pagetoken.authority.context import Authority
from pagetoken.authority.devclock import SharedClock
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import KeyRing, new_key
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.devtools.control import DevOptions
from pagetoken.store.store import Store

from .conftest import DevServer


def test_other_processes_see_a_clock_change_within_the_refresh_bound(db_url: str) -> None:
    store = Store.open(db_url)
    ticks = [100.0]
    wall = ManualClock(1_800_000_000.0)
    here = SharedClock(store, wall, refresh=0.125, monotonic=lambda: ticks[0])
    there = SharedClock(Store.open(db_url), wall, refresh=0.125, monotonic=lambda: ticks[0])
    assert there.now() == 1_800_000_000.0
    here.advance(7200)
    assert here.now() == 1_800_007_200.0  # the process that moved it: at once
    ticks[0] += 0.0625
    assert there.now() == 1_800_000_000.0  # another: still its cached offset, inside the bound
    ticks[0] += 0.0625
    assert there.now() == 1_800_007_200.0  # and the new one once the bound has passed
    there.set(1_900_000_000.0)
    ticks[0] += 0.125
    assert here.now() == 1_900_000_000.0 and here.describe()["offset"] == 100_000_000.0
    here.reset()
    assert here.now() == wall.now()
    wall.advance(5)
    ticks[0] += 0.125
    assert there.now() == 1_800_000_005.0


class SlowStore:
    """A store whose reads wait to be released, to see what other threads do meanwhile."""

    def __init__(self, real: Store) -> None:
        self.real = real
        self.reads = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    @contextmanager
    def read(self) -> Iterator[Any]:
        self.reads += 1
        self.entered.set()
        assert self.release.wait(10)
        with self.real.read() as conn:
            yield conn


def test_one_thread_refreshes_the_clock_while_the_others_keep_the_last_offset(store_url: str) -> None:
    slow = SlowStore(Store.open(store_url))
    ticks = [0.0]
    clock = SharedClock(slow, ManualClock(1_000.0), refresh=0.125, monotonic=lambda: ticks[0])  # type: ignore[arg-type]
    slow.release.set()
    assert clock.now() == 1_000.0 and slow.reads == 1
    slow.release.clear()
    slow.entered.clear()
    ticks[0] += 1
    reader = threading.Thread(target=clock.now)
    reader.start()
    assert slow.entered.wait(10)
    assert clock.now() == 1_000.0 and slow.reads == 2  # did not queue behind the reading thread
    slow.release.set()
    reader.join(10)
    assert not reader.is_alive()
    slow.real.close()


PROJECT_TEST = '''
    import httpx


    def test_a_short_lived_token_expires_after_two_hours(pagetoken):
        token = pagetoken.token("user_short", user=pagetoken.user())
        pagetoken.advance(7200)
        error = httpx.get(f"{pagetoken.url}/me", params={"access_token": token}).json()["error"]
        assert (error["code"], error["error_subcode"]) == (190, 463)


    def test_each_test_starts_afresh_and_faults_answer_once(pagetoken):
        assert pagetoken.requests() == []
        app = pagetoken.app("Scheduler", require_proof=False)
        ada = pagetoken.user(app, permissions=["pages_show_list", "pages_manage_posts"], name="Ada")
        page = pagetoken.page(ada, name="Bakery")
        page_token = pagetoken.token("page", app=app, user=ada, page=page)
        pagetoken.fail_next(f"{page.id}/feed", code=368, method="POST")
        url = f"{pagetoken.url}/{page.id}/feed"
        first = httpx.post(url, data={"access_token": page_token, "message": "hi"}).json()
        assert first["error"]["code"] == 368
        assert "id" in httpx.post(url, data={"access_token": page_token, "message": "hi"}).json()
        assert [(r["method"], r["status"]) for r in pagetoken.requests()] == [("POST", 200), ("POST", 400)]
        app_token = pagetoken.token("app", app=app)
        debug = httpx.get(f"{pagetoken.url}/debug_token",
                          params={"input_token": ada.access_token, "access_token": app_token}).json()["data"]
        assert debug["is_valid"] and debug["user_id"] == ada.id
'''


def run_project(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A developer's project in a folder of its own, run by pytest with nothing but pagetoken installed."""
    project = tmp_path / "integration"
    project.mkdir()
    (project / "test_my_scheduler.py").write_text(textwrap.dedent(PROJECT_TEST))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PAGETOKEN_", "PYTEST_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
                          cwd=project, env={**clean, **env}, capture_output=True, text=True, timeout=240)


def test_a_developer_project_uses_only_the_installed_plugin(tmp_path: Path) -> None:
    done = run_project(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_fixture_drives_a_server_given_by_url(tmp_path: Path, store_url: str, clock: ManualClock) -> None:
    auth = Authority(Store.open(store_url), KeyRing([new_key()]), clock, Lifetimes())
    srv = DevServer(auth, DevOptions(control_token="ci-secret")).start()
    try:
        done = run_project(tmp_path, PAGETOKEN_TEST_URL=srv.url, PAGETOKEN_CONTROL_TOKEN="ci-secret")
        assert done.returncode == 0, done.stdout + done.stderr
        names = [a["name"] for a in srv.control("GET", "/state", headers={"Authorization": "Bearer ci-secret"})[
            "tables"]["apps"]]
        assert names == ["Scheduler"]  # the last test's app, made on this server
    finally:
        srv.stop()
        auth.close()


def test_installing_pagetoken_registers_the_plugin(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("pagetoken")
    assert plugin is not None and plugin.__name__ == "pagetoken.devtools.pytest_plugin"
