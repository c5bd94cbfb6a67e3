"""The command line's contract, command by command: every command is covered here; under --json it
prints JSON on success and a JSON error on stderr; every error says what was wrong and what to do;
every exit code is the one the help text gives."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pagetoken.authority import mint
from pagetoken.authority.context import Authority
from pagetoken.cli import app
from pagetoken.client._cliutil import MODE
from pagetoken.core.keyring import KeyRing, new_key
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.core.tokens import new_token
from pagetoken.devtools.control import DevOptions
from pagetoken.server import build_app
from pagetoken.store.store import Store
from tests.client.fakegraph import FakeGraph
from tests.conftest import BACKENDS, backend_url
from tests.support.servers import InThread

runner = CliRunner()
DAY = 86400


def leaf_commands() -> dict[str, Any]:
    """Every command a user can run, by its path (`apps create`, `vault rotate`, …)."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = command

    walk(typer.main.get_command(app), [])
    return found


@dataclass
class Scene:
    data: Path
    db: list[str]  # --db URL on PostgreSQL; nothing on SQLite (the data dir's own file)
    vault: list[str]
    graph: FakeGraph
    app_id: str
    app_token: str
    user_id: str
    page_id: str
    clean_file: Path
    leaky_file: Path
    dev_url: str = ""  # a `serve --dev` server for `pagetoken dev …`
    dev_app_id: str = ""

    def run(self, args: list[str]) -> Any:
        MODE.json = False
        return runner.invoke(app, ["--data-dir", str(self.data), *self.db, *args])


def _json(result: Any) -> Any:
    return json.loads(result.stdout)


@pytest.fixture(scope="module", params=BACKENDS)
def scene(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """The contract holds on SQLite and on PostgreSQL (the admin store and the vault both)."""
    tmp = tmp_path_factory.mktemp("contract")
    graph = FakeGraph().start()
    data = tmp / "data"
    on_postgres = request.param == "postgresql"
    db = ["--db", backend_url(request, request.param, tmp)] if on_postgres else []
    vault_url = backend_url(request, request.param, tmp) if on_postgres else f"sqlite:///{tmp / 'vault.db'}"

    def ok(*args: str) -> Any:
        result = runner.invoke(app, ["--data-dir", str(data), *db, *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    user = ok("users", "create", "--name", "Zoë Owner")
    created = ok("apps", "create", "--name", "Café App", "--owner", user["id"])
    page = ok("pages", "create", "--name", "Page", "--category", "Shop", "--owner", user["id"])
    clean, leaky = tmp / "clean.log", tmp / "leaky.log"
    clean.write_text("nothing to see\n")
    leaky.write_text(f"token={new_token()}\n")
    vault = ["vault", "--vault", vault_url, "--graph-url", graph.url, "--app-id",
             graph.app_id, "--app-secret", graph.secret, "--key-file", str(tmp / "vault.key")]
    s = Scene(data, db, vault, graph, created["id"], created["app_token"], user["id"], page["id"], clean, leaky)
    assert s.run([*vault, "add", "me", "--token", graph.user_token(), "--pages"]).exit_code == 0
    dev_auth = Authority(Store.open(f"sqlite:///{tmp / 'dev.db'}"), KeyRing([new_key()]), None, Lifetimes())
    dev = InThread(build_app(dev_auth, dev=DevOptions())).start()
    s.dev_url, s.dev_app_id = dev.url, mint.new_app(dev_auth, "Dev App")["id"]
    (tmp / "fixture.json").write_text(json.dumps({"apps": [{"name": "Imported Café"}]}))
    yield s
    dev.stop()
    dev_auth.close()
    graph.stop()


def _needs_user(scene: Scene) -> list[str]:
    """A due vault token whose user changed their password: rotating it needs the user."""
    token = scene.graph.user_token()
    now = int(scene.graph.clock.now())
    scene.graph.tokens[token].issued_at, scene.graph.tokens[token].expires_at = now - 59 * DAY, now + DAY
    name = f"gone{len(scene.graph.tokens)}"
    assert scene.run([*scene.vault, "add", name, "--token", token]).exit_code == 0
    scene.graph.tokens[token].error = "password_changed"
    return ["--name", name]


def _user_token(scene: Scene) -> str:
    """A live user token of the scene's app (app tokens are derived, not stored: they cannot be revoked)."""
    from pagetoken.authority import apps, oauth
    from pagetoken.authority.context import Authority, Settings

    auth = Authority.open(Settings(data_dir=scene.data, db_url=scene.db[1] if scene.db else None))
    try:
        return oauth.grant_and_token(auth, apps.require(auth, scene.app_id), scene.user_id, ["public_profile"],
                                     [], None).access_token
    finally:
        auth.close()


# command: (arguments that succeed, arguments that fail, the exit code of that failure)
CASES: dict[str, tuple[Any, Any, int]] = {
    "serve": (None, lambda s: ["--port", "0"], 2),
    "apps create": (lambda s: ["--name", "Another"], lambda s: ["--name", "X", "--owner", "999"], 2),
    "apps add-developer": (lambda s: [s.app_id, s.user_id], lambda s: [s.app_id, "999"], 2),
    "apps list": (lambda s: [], lambda s: ["--bogus"], 2),
    "apps show": (lambda s: [s.app_id], lambda s: ["999"], 2),
    "apps reset-secret": (lambda s: [s.app_id], lambda s: ["999"], 2),
    "apps set": (lambda s: [s.app_id, "--require-proof", "off"], lambda s: [s.app_id, "--require-proof", "maybe"],
                 2),
    "users create": (lambda s: ["--name", "Ana"], lambda s: ["--name", "X", "--password", "short"], 2),
    "users list": (lambda s: [], lambda s: ["--bogus"], 2),
    "users set-password": (lambda s: [s.user_id, "--password", "long enough"],
                           lambda s: ["999", "--password", "long enough"], 2),
    "pages create": (lambda s: ["--name", "P", "--category", "C", "--owner", s.user_id],
                     lambda s: ["--name", "P", "--category", "C", "--owner", "999"], 2),
    "pages list": (lambda s: [], lambda s: ["--bogus"], 2),
    "pages set-tasks": (lambda s: [s.page_id, s.user_id, "--tasks", "MANAGE"],
                        lambda s: ["999", s.user_id, "--tasks", "MANAGE"], 2),
    "tokens inspect": (lambda s: [s.app_token], lambda s: [], 2),
    "tokens revoke": (lambda s: [_user_token(s)], lambda s: ["EAAnope"], 2),
    "tokens purge": (lambda s: ["--dry-run"], lambda s: ["--older-than", "-1"], 2),
    "tokens scan": (lambda s: [str(s.clean_file)], lambda s: [str(s.leaky_file)], 1),
    "db status": (lambda s: [], lambda s: ["--bogus"], 2),
    "db upgrade": (lambda s: [], lambda s: ["--bogus"], 2),
    "vault add": (lambda s: ["more", "--token", s.graph.user_token()], lambda s: ["x", "--token", new_token()], 1),
    "vault list": (lambda s: [], lambda s: ["--bogus"], 2),
    "vault show": (lambda s: ["me"], lambda s: ["nobody"], 2),
    "vault rotate": (lambda s: [], lambda s: _needs_user(s), 1),
    "vault revoke": (lambda s: ["me:222"], lambda s: ["nobody"], 2),
    "vault watch": (lambda s: ["--once"], lambda s: ["--once"] if _needs_user(s) else [], 1),
    "vault rekey": (lambda s: [], lambda s: ["--bogus"], 2),
    "vault keygen": (lambda s: [], lambda s: ["extra"], 2),
    "vault export": (lambda s: [], lambda s: ["--kind"], 2),
    "dev clock": (lambda s: ["--advance", "1h"], lambda s: ["--advance", "2 fortnights"], 2),
    "dev fault add": (lambda s: ["--code", "4", "--path", "nowhere"], lambda s: [], 2),
    "dev fault list": (lambda s: [], lambda s: ["--bogus"], 2),
    "dev fault clear": (lambda s: [], lambda s: ["--bogus"], 2),
    "dev mint": (lambda s: ["app", "--app-id", s.dev_app_id], lambda s: ["root", "--app-id", s.dev_app_id], 2),
    "dev requests": (lambda s: [], lambda s: ["--limit", "0"], 2),
    "dev export": (lambda s: [str(s.data.parent / "state.json")], lambda s: [], 2),
    "dev import": (lambda s: [str(s.data.parent / "fixture.json")], lambda s: [str(s.data.parent / "none.json")], 2),
    "dev reset": (lambda s: [], lambda s: ["--bogus"], 2),
}


def _full(scene: Scene, command: str, args: list[str]) -> list[str]:
    if command.startswith("vault "):
        return [*scene.vault, command.split()[1], *args]
    if command.startswith("dev "):
        return ["dev", "--url", scene.dev_url, *command.split()[1:], *args]
    return [*command.split(), *args]


def test_every_command_is_in_the_contract() -> None:
    assert set(leaf_commands()) == set(CASES)


@pytest.mark.parametrize("command", sorted(CASES))
def test_json_on_success(scene: Scene, command: str) -> None:
    success = CASES[command][0]
    takes_json = any(p.name == "as_json" for p in leaf_commands()[command].params)
    if success is None:  # serve prints a banner and serves: it has no --json
        assert not takes_json
        return
    args = _full(scene, command, success(scene))
    result = scene.run([*args, "--json"] if takes_json else args)
    assert result.exit_code == 0, (command, result.output)
    if takes_json or command == "vault export":
        json.loads(result.stdout)
        assert "\\u" not in result.stdout  # non-ASCII printed as it is


@pytest.mark.parametrize("command", sorted(CASES))
def test_errors_say_what_and_what_to_do_with_the_exit_code_the_help_gives(scene: Scene, command: str) -> None:
    _, failure, code = CASES[command]
    args = _full(scene, command, failure(scene))
    takes_json = any(p.name == "as_json" for p in leaf_commands()[command].params)
    plain = scene.run(args)
    assert plain.exit_code == code, (command, plain.output)
    help_text = " ".join(scene.run([*_full(scene, command, []), "--help"]).stdout.split())
    assert "Exit status: 0 done; 1 the command ran and found a problem; 2 it was asked wrong" in help_text
    if code == 1:
        assert re.search(r"[Ee]xits 1 when", help_text), (command, help_text)
    if command in ("tokens scan", "vault rotate", "vault watch"):  # they report findings, not errors
        return
    line = plain.stderr.strip().splitlines()[-1]
    assert "Traceback" not in plain.stderr
    assert re.fullmatch(r"error: [^;]+; .+", line), (command, line)
    if takes_json:
        as_json = scene.run([*args, "--json"])
        assert as_json.exit_code == code
        error = json.loads(as_json.stderr.strip().splitlines()[-1])["error"]
        assert error["message"] and error["hint"] and error["exit_code"] == code, error


def test_findings_print_json_and_exit_1(scene: Scene) -> None:
    found = scene.run(["tokens", "scan", str(scene.leaky_file), "--json"])
    assert found.exit_code == 1 and json.loads(found.stdout)[0]["status"] == "unknown"
    rotated = scene.run([*scene.vault, "rotate", *_needs_user(scene), "--json"])
    assert rotated.exit_code == 1 and json.loads(rotated.stdout)[0]["action"] == "needs_reauth"
    _needs_user(scene)
    watched = scene.run([*scene.vault, "watch", "--once", "--json"])
    assert watched.exit_code == 1 and json.loads(watched.stdout)[0]["action"] == "needs_reauth"


@pytest.mark.parametrize("args", [["bogus"], ["apps", "bogus"], ["vault", "bogus", "--json"]])
def test_an_unknown_command_is_one_line(scene: Scene, args: list[str]) -> None:
    result = scene.run(args)
    assert result.exit_code == 2
    line = result.stderr.strip()
    if "--json" in args:
        assert json.loads(line)["error"]["message"] == "No such command 'bogus'"
    else:
        assert line == f"error: No such command 'bogus'; see `pagetoken {' '.join(args[:-1])} --help`".replace(
            "pagetoken  --help", "pagetoken --help")


def test_errors_speak_plainly(scene: Scene) -> None:
    result = scene.run(["pages", "create", "--name", "P", "--category", "C", "--owner", "123"])
    assert result.stderr.strip() == "error: no user 123; see `pagetoken users list`"
    result = scene.run(["apps", "show", "999", "--json"])
    assert json.loads(result.stderr) == {"error": {"message": "no app 999", "hint": "see `pagetoken apps list`",
                                                   "exit_code": 2}}
    assert "Unsupported get request" not in result.stderr


@pytest.mark.parametrize("command", [[], *[c.split() for c in CASES]], ids=lambda c: " ".join(c) or "root")
def test_help_shows_no_value_for_a_flag(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.stdout
    assert "<bool>" not in result.stdout


def test_help_says_where_the_data_lives() -> None:
    text = " ".join(runner.invoke(app, ["--help"]).stdout.split())
    assert "Data lives in ./pagetoken-data" in text and "PAGETOKEN_DATA_DIR" in text


def test_a_new_data_directory_is_announced_once(tmp_path: Path, db_url: str) -> None:
    given = [] if db_url.startswith("sqlite") else ["--db", db_url]  # PostgreSQL: a new, empty database
    first = runner.invoke(app, ["--data-dir", str(tmp_path / "fresh"), *given, "users", "list", "--json"])
    assert first.exit_code == 0 and json.loads(first.stdout) == []
    assert f"created a new, empty data directory {tmp_path / 'fresh'}" in first.stderr
    again = runner.invoke(app, ["--data-dir", str(tmp_path / "fresh"), *given, "users", "list"])
    assert "created" not in again.stderr
    env = {"PAGETOKEN_DATA_DIR": str(tmp_path / "fresh"), "PAGETOKEN_VAULT": None, "PAGETOKEN_VAULT_KEY": None}
    vault = runner.invoke(app, ["vault", "list"], env=env)
    assert vault.exit_code == 0 and f"created a new, empty vault {tmp_path / 'fresh' / 'vault.db'}" in vault.stderr
    assert "created" not in runner.invoke(app, ["vault", "list"], env=env).stderr
    other = runner.invoke(app, ["--data-dir", str(tmp_path / "other"), "vault", "list"], env=env)
    assert f"created a new, empty vault {tmp_path / 'other' / 'vault.db'}" in other.stderr  # --data-dir counts


def test_non_ascii_stays_as_it_is(scene: Scene) -> None:
    shown = scene.run(["apps", "show", scene.app_id, "--json"])
    assert '"Café App"' in shown.stdout and "Zoë Owner" in shown.stdout


def test_times_are_for_people_in_tables(scene: Scene) -> None:
    inspected = scene.run(["tokens", "inspect", _user_token(scene)]).stdout  # one with an expiry
    assert "UTC" in inspected or "never" in inspected
    shown = scene.run([*scene.vault, "show", "me"]).stdout
    assert re.search(r"expires_in\s+│?\s*59d 23h", shown), shown
    assert re.search(r"expires_at\s+│?\s*\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 59d 23h\)", shown), shown
    assert not re.search(r"_(at|in)\s+│\s*\d+(\.\d+)?\s", shown), shown  # no epochs or raw floats


def test_rotate_dry_run_says_nothing_due(scene: Scene) -> None:
    result = scene.run([*scene.vault, "rotate", "--dry-run"])
    assert result.exit_code == 0 and result.stdout.strip() == "nothing due"
    assert json.loads(scene.run([*scene.vault, "rotate", "--dry-run", "--json"]).stdout) == []


def test_export_needs_no_flag(scene: Scene) -> None:
    plain, legacy = scene.run([*scene.vault, "export"]), scene.run([*scene.vault, "export", "--redacted"])
    assert plain.exit_code == legacy.exit_code == 0
    assert [t["name"] for t in json.loads(plain.stdout)["tokens"]] == [
        t["name"] for t in json.loads(legacy.stdout)["tokens"]]


def test_apps_have_developers(scene: Scene) -> None:
    other = json.loads(scene.run(["users", "create", "--name", "Dev", "--json"]).stdout)["id"]
    loose = json.loads(scene.run(["apps", "create", "--name", "Loose", "--json"]).stdout)
    assert loose["owner"] is None
    added = json.loads(scene.run(["apps", "add-developer", loose["id"], other, "--json"]).stdout)
    assert added["developers"] == [{"id": other, "name": "Dev", "role": "administrator"}]
    added = json.loads(scene.run(["apps", "add-developer", scene.app_id, other, "--json"]).stdout)
    assert [(d["name"], d["role"]) for d in added["developers"]] == [("Zoë Owner", "administrator"),
                                                                     ("Dev", "developer")]
    again = json.loads(scene.run(["apps", "add-developer", scene.app_id, other, "--json"]).stdout)
    assert again["added"] is False
