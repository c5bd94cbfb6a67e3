"""`pagetoken dev …`: the control API of a running `serve --dev` server, from the shell.

Every command talks to the server over HTTP (`--url`, env `PAGETOKEN_URL`, default
http://127.0.0.1:8787), so it works the same on SQLite and PostgreSQL and with any number of worker
processes; `--control-token` (env `PAGETOKEN_CONTROL_TOKEN`) is sent as `Authorization: Bearer`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import typer

from pagetoken.authority.context import Authority
from pagetoken.client._cliutil import PROBLEM, Command, Group

from .common import fail

KINDS = ("user_short", "user_long", "page", "app")

dev_app = typer.Typer(cls=Group, help="Drive a `serve --dev` server: clock, faults, tokens, state.",
                      no_args_is_help=True)
fault_app = typer.Typer(cls=Group, help="Make the next matching Graph calls fail.", no_args_is_help=True)
dev_app.add_typer(fault_app, name="fault")

JsonOpt = typer.Option(False, "--json", help="Print JSON.")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw]?)")


class Target:
    url = "http://127.0.0.1:8787"
    control_token: str | None = None


TARGET = Target()


@dev_app.callback()
def dev_options(
    url: str = typer.Option("http://127.0.0.1:8787", "--url", envvar="PAGETOKEN_URL",
                            help="The `serve --dev` server to drive."),
    control_token: str | None = typer.Option(None, "--control-token", envvar="PAGETOKEN_CONTROL_TOKEN",
                                             help="The server's control token, when it has one."),
) -> None:
    TARGET.url = url.rstrip("/")
    TARGET.control_token = control_token


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `2h`, `61d`, `1w`, `1h30m`, with an optional leading `-`."""
    raw = text.strip().lower()
    sign = -1.0 if raw.startswith("-") else 1.0
    raw = raw.lstrip("+-")
    parts = _PART.findall(raw)
    if not raw or "".join(n + u for n, u in parts) != raw:
        fail(f"{text!r} is not a duration", hint="give seconds or a duration such as 90m, 2h, 61d or 1h30m")
    return sign * sum(float(n) * _UNITS[u or "s"] for n, u in parts)


def call(method: str, path: str, body: Any = None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {TARGET.control_token}"} if TARGET.control_token else {}
    try:
        r = httpx.request(method, f"{TARGET.url}/_pagetoken{path}", json=body, params=params or None,
                          headers=headers, timeout=60)
    except httpx.HTTPError as exc:
        fail(f"cannot reach {TARGET.url}: {exc}", PROBLEM, "start it with `pagetoken serve --dev`, or give --url")
    try:
        data = r.json()
    except ValueError:
        fail(f"{TARGET.url} answered {r.status_code} without JSON", PROBLEM, "is it `pagetoken serve --dev`?")
    if r.status_code != 200:
        err = data.get("error", {}) if isinstance(data, dict) else {}
        hint = None
        if r.status_code == 401:
            hint = "give the server's --control-token (or PAGETOKEN_CONTROL_TOKEN)"
        elif err.get("code") in (100, 2500) and "Unsupported" in str(err.get("message")):
            hint = "is the server running with --dev?"
        fail(str(err.get("message", r.text)), PROBLEM, hint)
    return data


def show(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else text)


@dev_app.command("clock", cls=Command)
def clock(advance: str | None = typer.Option(None, "--advance", help="Move the clock on: 3600, 90m, 2h, 61d."),
          set_to: float | None = typer.Option(None, "--set", help="Set the clock to this epoch time."),
          as_json: bool = JsonOpt) -> None:
    """Read or move the server's clock (every process and node shares it).

    Exits 1 when the server cannot be reached or refuses the call.
    """
    if advance is not None and set_to is not None:
        fail("give --advance or --set, not both", hint="see `pagetoken dev clock --help`")
    if advance is not None:
        data = call("POST", "/clock", {"advance": parse_duration(advance)})
    elif set_to is not None:
        data = call("POST", "/clock", {"set": set_to})
    else:
        data = call("GET", "/clock")
    show(data, as_json, f"now {data['now']:.0f} (offset {data['offset']:+.0f} s)")


@fault_app.command("add", cls=Command)
def fault_add(code: int = typer.Option(..., help="The Graph error code: 190, 4, 17, 32, 368, 2, …"),
              subcode: int | None = typer.Option(None, "--subcode", help="error_subcode, e.g. 463 or 460."),
              message: str | None = typer.Option(None, help="The message (the Graph's own for the code by default)."),
              times: int = typer.Option(1, min=1, help="How many matching calls fail."),
              path: str | None = typer.Option(None, help="Only this path (fnmatch pattern, e.g. me/accounts, */feed)."),
              method: str | None = typer.Option(None, help="Only this method."),
              app_id: str | None = typer.Option(None, "--app-id", help="Only calls of this app."),
              token: str | None = typer.Option(None, help="Only calls with this token."),
              as_json: bool = JsonOpt) -> None:
    """Make the next N matching Graph calls answer an error.

    Exits 1 when the server cannot be reached or refuses the call.
    """
    match = {k: v for k, v in (("path", path), ("method", method), ("app_id", app_id), ("token", token)) if v}
    error: dict[str, Any] = {"code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if message is not None:
        error["message"] = message
    data = call("POST", "/faults", {"match": match, "error": error, "times": times})
    show(data, as_json, f"fault {data['id']}: the next {times} matching call(s) answer {code}"
                        f"{'/' + str(subcode) if subcode else ''}")


@fault_app.command("list", cls=Command)
def fault_list(as_json: bool = JsonOpt) -> None:
    """The faults still waiting.

    Exits 1 when the server cannot be reached or refuses the call.
    """
    data = call("GET", "/faults")["data"]
    show(data, as_json, "\n".join(f"{f['id']}: {json.dumps(f['match'])} -> {json.dumps(f['error'])} x{f['times']}"
                                  for f in data) or "no faults")


@fault_app.command("clear", cls=Command)
def fault_clear(as_json: bool = JsonOpt) -> None:
    """Remove every fault.

    Exits 1 when the server cannot be reached or refuses the call.
    """
    data = call("DELETE", "/faults")
    show(data, as_json, f"cleared {data['cleared']} fault(s)")


@dev_app.command("mint", cls=Command)
def mint(kind: str = typer.Argument(..., help="user_short, user_long, page or app."),
         app_id: str = typer.Option(..., "--app-id", help="The app."),
         user_id: str | None = typer.Option(None, "--user-id", help="The user (user tokens, a user's Page token)."),
         page_id: str | None = typer.Option(None, "--page-id", help="The Page (page tokens)."),
         scopes: str | None = typer.Option(None, help="Comma-separated permissions to grant first."),
         as_json: bool = JsonOpt) -> None:
    """Mint a token directly; prints it (with --json, its expiry too).

    Exits 1 when the server cannot be reached or refuses the call.
    """
    if kind not in KINDS:
        fail(f"no token kind {kind!r}", hint=f"give one of {', '.join(KINDS)}")
    body = {"kind": kind, "app_id": app_id, "user_id": user_id, "page_id": page_id,
            "scopes": scopes.split(",") if scopes else None}
    data = call("POST", "/tokens", {k: v for k, v in body.items() if v is not None})
    show(data, as_json, data["access_token"])


@dev_app.command("reset", cls=Command)
def reset(as_json: bool = JsonOpt) -> None:
    """Empty every table (the master key stays), the clock and the faults.

    Exits 1 when the server cannot be reached or refuses the call.
    """
    show(call("POST", "/reset"), as_json, "reset")


@dev_app.command("export", cls=Command)
def export(file: Path = typer.Argument(..., help="Where to write the state (- for stdout)."),
           as_json: bool = JsonOpt) -> None:
    """Save the whole state as versioned JSON (tokens as hashes, secrets sealed).

    Exits 1 when the server cannot be reached or refuses the call.
    """
    data = call("GET", "/state")
    text = json.dumps(data, indent=1)
    if str(file) == "-":
        sys.stdout.write(text + "\n")
        return
    file.write_text(text)
    counts = {name: len(rows) for name, rows in data["tables"].items() if rows}
    show({"file": str(file), "rows": counts}, as_json, f"wrote {file}: " + ", ".join(
        f"{n} {name}" for name, n in counts.items()))


@dev_app.command("import", cls=Command)
def import_(file: Path = typer.Argument(..., help="A state from `dev export`, or a fixture of apps, users, Pages."),
            as_json: bool = JsonOpt) -> None:
    """Load a state (replaces everything) or a fixture (adds to what is there).

    Exits 1 when the server cannot be reached or refuses the call.
    """
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        fail(f"{file}: {exc}")
    answer = call("PUT", "/state", data)
    show(answer, as_json, json.dumps(answer, indent=2))


@dev_app.command("requests", cls=Command)
def requests(limit: int = typer.Option(20, min=1, max=1000, help="How many."), as_json: bool = JsonOpt) -> None:
    """The last Graph calls the server answered, newest first.

    Exits 1 when the server cannot be reached or refuses the call.
    """
    data = call("GET", "/requests", limit=limit)["data"]
    lines = [f"{r['time']:.0f} {r['method']:6} {r['status']} {r['code'] or '':>4} {r['path']} app={r['app_id']}"
             for r in data]
    show(data, as_json, "\n".join(lines) or "no calls yet")


# ---- serve --dev ----------------------------------------------------------------------------------


def check_dev_options(host: str, dev: bool, control_token: str | None, seed: Path | None) -> None:
    """--dev only on loopback, unless a control token guards it; --seed and --control-token need --dev."""
    if not dev:
        if seed is not None:
            fail("--seed needs --dev")
        return
    if not control_token and not is_loopback(host):
        fail(f"--dev on {host} would let anyone on the network move the clock and mint tokens; listen on "
             "127.0.0.1 or give --control-token TOKEN")


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def seed_from(auth: Authority, path: Path) -> dict[str, Any]:
    from pagetoken.authority import fixtures, snapshot

    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        fail(f"--seed {path}: {exc}")
    snapshot.reset(auth)
    return fixtures.load(auth, data)
