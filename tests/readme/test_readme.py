"""The README's walkthrough, run as written: its shell blocks in order in one bash, against a fresh
`pagetoken serve --demo`, then its Python snippet; every claim its comments make is checked.

The one line a reader does not copy from the README is the `export PT=… APP_ID=…` line: the README
says to paste the one `make serve` prints, so the test takes the banner's (and checks it sets the
same variables)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pagetoken.devtools.launch import free_port, wait_until_up
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTIONS = ("## Five minutes with the demo", "## The vault")
CLAIM = re.compile(r"\s{2,}#\s+(?P<text>.+)$")
ERROR_CLAIM = re.compile(r"^(?P<code>\d+)(?:/(?P<subcode>\d+))?(?=[:\s]|$)")


def blocks(text: str) -> tuple[list[str], str]:
    """The ```sh blocks of the walkthrough sections, in order, and the ```python block."""
    shell: list[str] = []
    python = ""
    section = ""
    for part in re.split(r"^(## .+)$", text, flags=re.M):
        if part.startswith("## "):
            section = part
            continue
        if section.startswith(SECTIONS):
            shell += re.findall(r"^```sh\n(.*?)^```", part, flags=re.M | re.S)
            python = python or "".join(re.findall(r"^```python\n(.*?)^```", part, flags=re.M | re.S))
    return shell, python


def commands(block: str) -> list[str]:
    """A block's commands: lines joined while a quote is open or a line ends with a backslash."""
    found, pending = [], ""
    for line in block.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        if not pending.strip() or pending.endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # a quote still open
            continue
        found.append(pending)
        pending = ""
    assert not pending, f"unfinished command in the README: {pending!r}"
    return [c for c in found if c.strip()]


@dataclass
class Step:
    command: str
    output: str
    status: int

    @property
    def claim(self) -> str:
        match = CLAIM.search(self.command.splitlines()[-1])
        return match.group("text") if match else ""

    def json(self) -> Any:
        return json.loads(self.output)


def banner_export(server_dir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start `pagetoken serve --demo` and return the `export …` line its banner tells the reader to paste."""
    proc = subprocess.Popen([sys.executable, "-m", "pagetoken.cli", "--data-dir", str(server_dir), "serve", "--demo",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=clean_env())
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip().startswith("export PT="):
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # the access log must not block it
            wait_until_up(f"http://127.0.0.1:{port}", proc)
            return proc, line.strip()
    raise AssertionError("`serve --demo` printed no export line")


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PAGETOKEN_")}


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Step], dict[str, str], Path]]:
    for tool in ("bash", "curl", "openssl", "python3"):
        need(shutil.which(tool) is not None, f"the README's walkthrough runs {tool}")
    shell_blocks, python = blocks(README.read_text())
    cwd = tmp_path_factory.mktemp("reader")
    (cwd / ".venv").symlink_to(sys.prefix)  # the README runs .venv/bin/… of the checkout
    proc, export = banner_export(tmp_path_factory.mktemp("server") / "data", free_port())
    try:
        steps = [c for b in shell_blocks for c in commands(b)]
        first = steps[0]
        assert first.startswith("export PT=") and _names(first) == _names(export), (first, export)
        steps[0] = export
        snippet = re.search(r"save it as `(\S+)` and run `([^`]+)`", README.read_text())
        assert snippet, "the README says how to run its Python snippet"
        (cwd / snippet.group(1)).write_text(python)
        steps.append(snippet.group(2))
        assigned = sorted({m for s in steps for m in re.findall(r"\b([A-Z_]+)=\$\(", s)})
        script = ["exec 2>&1"]
        for i, step in enumerate(steps):
            script += [f"echo '@@BEGIN {i}'", step, f"__status=$?; echo; echo \"@@END {i} $__status\""]
        script += [f"echo \"@@VAR {name}=${{{name}}}\"" for name in assigned]
        ran = subprocess.run(["bash", "-c", "\n".join(script)], cwd=cwd, capture_output=True, text=True,
                             timeout=600, env=clean_env())
        output = ran.stdout
        results = []
        for i, step in enumerate(steps):
            match = re.search(rf"^@@BEGIN {i}\n(.*?)^@@END {i} (\d+)$", output, flags=re.M | re.S)
            assert match, f"step {i} did not run: {step}\n{output[-3000:]}"
            results.append(Step(step, match.group(1).strip(), int(match.group(2))))
        values = dict(re.findall(r"^@@VAR ([A-Z_]+)=(.*)$", output, flags=re.M))
        yield results, values, cwd
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _names(export: str) -> list[str]:
    return re.findall(r"([A-Z_]+)=", export)


def test_every_step_exits_zero_and_every_get_finds_its_field(walkthrough: Any) -> None:
    steps, values, _ = walkthrough
    for step in steps:
        assert step.status == 0, (step.command, step.output)
        assert "not in this answer" not in step.output, (step.command, step.output)
    assert values and all(values.values()), values


def test_the_error_codes_the_comments_promise(walkthrough: Any) -> None:
    steps, _, _ = walkthrough
    checked = 0
    for step in steps:
        match = ERROR_CLAIM.match(step.claim)
        if match and step.command.lstrip().startswith("curl"):
            error = step.json()["error"]
            assert error["code"] == int(match.group("code")), (step.command, step.output)
            if match.group("subcode"):
                assert error["error_subcode"] == int(match.group("subcode")), (step.command, step.output)
            assert {"message", "type", "code", "fbtrace_id"} <= set(error)
            checked += 1
        elif step.claim.startswith("{"):
            assert set(json.loads(step.claim.replace("PAGEID_POSTID", ""))) <= set(step.json()), step.output
            checked += 1
    assert checked >= 7  # 200, {"id"}, 100, 2500, 190/466, 190/458 twice


def test_the_walkthrough_answers_what_the_text_says(walkthrough: Any) -> None:
    steps, values, _ = walkthrough
    me = next(s for s in steps if s.command == 'curl -s "$PT/me?access_token=$USER_TOKEN"')
    assert me.json()["id"] == values["TEST_USER_ID"]
    debug = next(s for s in steps if "debug_token" in s.command).json()["data"]
    assert debug["type"] == "PAGE" and debug["is_valid"] and "pages_manage_posts" in debug["scopes"]
    page = next(s for s in steps if "fields=access_token&access_token=$APP_TOKEN&appsecret_proof" in s.command)
    assert page.json()["access_token"].startswith("EAA")


def test_the_vault_section(walkthrough: Any) -> None:
    steps, values, cwd = walkthrough
    vault = {s.command.split("#")[0].split("vault ", 1)[1].strip(): s for s in steps
             if s.command.startswith(".venv/bin/pagetoken vault")}
    assert set(vault) >= {'add shop --exchange-from "$SHOP_TOKEN" --pages', "list", "show shop",
                          "rotate --due --dry-run", "watch --once", "rekey"}
    listed = vault["list"].output
    assert "shop:" in listed and "active" in listed and "59d" in listed, listed
    assert "pages_manage_posts" in listed  # scopes are not cut to `pages_manage_…`
    assert "UTC" in vault["show shop"].output and "59d" in vault["show shop"].output
    assert vault["rotate --due --dry-run"].output == "nothing due"
    assert vault["watch --once"].output == "nothing due"
    assert "re-sealed" in vault["rekey"].output
    assert (cwd / "pagetoken-data" / "vault.db").exists() and (cwd / "pagetoken-data" / "vault.key").exists()
    assert not list(cwd.glob("pagetoken-vault*"))


def test_the_python_snippet_runs(walkthrough: Any) -> None:
    steps, values, _ = walkthrough
    last = steps[-1]
    assert last.command.startswith(".venv/bin/python ") and last.status == 0, last.output
    user_id, _, name = last.output.partition(" ")
    assert user_id == values["SHOP_USER_ID"] and name, last.output
