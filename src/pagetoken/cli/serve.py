"""`pagetoken serve`: the Graph API, the web tools and /metrics on one port."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import typer

from .common import STATE, authority, fail
from .dev import check_dev_options, seed_from


def port_holder(port: int) -> str | None:
    """Which process listens on `port` (``python3 (pid 4242)``), when `ss` can tell."""
    ss = shutil.which("ss")
    if ss is None:
        return None
    try:
        found = subprocess.run([ss, "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'\("([^"]+)",pid=(\d+)', found)
    return f"{match.group(1)} (pid {match.group(2)})" if match else None


def check_port(host: str, port: int) -> None:
    """Fail before anything is printed when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                fail(f"cannot listen on {host}:{port}: {exc.strerror}", 1, "pick another --host or --port")
            holder = port_holder(port)
            fail(f"port {port} on {host} is taken{' by ' + holder if holder else ''}", 1,
                 "stop that process, or pick another port: --port N (make serve PORT=N)")


def _demo_banner(base: str, demo_password: str | None, app_id: str, secret: str, user_id: str, email: str,
                 page_id: str) -> str:
    password = (f"password {demo_password}" if demo_password else
                f"password changed since (set one: pagetoken users set-password {user_id} --password …)")
    return (f"pagetoken demo on {base}\n"
            f"  app:    id {app_id}   secret {secret}\n"
            f"  user:   id {user_id}  email {email}  {password}\n"
            f"  page:   id {page_id}\n"
            f"  Explorer: {base}/explorer   App Dashboard: {base}/apps\n"
            f"For the README walkthrough, paste into another shell:\n"
            f"  export PT={base} APP_ID={app_id} APP_SECRET={secret} PAGE_ID={page_id} USER_ID={user_id}")


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8787, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, max=64, help="Server processes (PostgreSQL recommended above 1)."),
    demo: bool = typer.Option(False, "--demo", help="Seed a demo app, user and Page, and print them."),
    public_url: str | None = typer.Option(None, "--public-url", envvar="PAGETOKEN_PUBLIC_URL",
                                          help="Base of every URL the server hands out."),
    allow_private_callbacks: bool = typer.Option(
        False, "--allow-private-callbacks", envvar="PAGETOKEN_ALLOW_PRIVATE_CALLBACKS",
        help="Let deauthorize callbacks reach loopback and private addresses (apps on this machine; on with --dev)."),
    forwarded_allow_ips: str | None = typer.Option(
        None, "--forwarded-allow-ips", envvar="PAGETOKEN_FORWARDED_ALLOW_IPS",
        help="Comma-separated proxy addresses whose X-Forwarded-For/-Proto are trusted (default: none)."),
    header_timeout: float = typer.Option(10.0, "--header-timeout", min=0.1, envvar="PAGETOKEN_HEADER_TIMEOUT_SECONDS",
                                         help="Seconds a connection has to send a whole request head."),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
    dev: bool = typer.Option(False, "--dev", help="Turn on the emulator controls under /_pagetoken/ (for tests)."),
    control_token: str | None = typer.Option(None, "--control-token", envvar="PAGETOKEN_CONTROL_TOKEN",
                                             help="With --dev: require Authorization: Bearer TOKEN on /_pagetoken/ "
                                                  "(needed to listen beyond loopback)."),
    seed_file: Path | None = typer.Option(None, "--seed", help="With --dev: start from a saved state or a JSON "
                                                           "fixture of apps, users and Pages (empties the data)."),
) -> None:
    """Run the Graph API, the web tools and /metrics on one port.

    Rate limits (env PAGETOKEN_RATE_WINDOW_SECONDS, _APP_LIMIT, _USER_LIMIT, _PAGE_LIMIT, _TIME_SECONDS,
    _CPU_SECONDS) are counted in the database, shared by every worker and every server on it: with P
    processes in all, an app, user or Page is admitted at most limit + (P - 1) x max(1, limit // 100)
    calls per window (docs/DEPLOYMENT.md, Rate limits).

    Exits 1 when the port is taken (saying which process holds it), 2 on a bad option or database, 3 when
    a worker of several cannot start."""
    from pagetoken.authority.egress import ALLOW_PRIVATE_ENV
    from pagetoken.guards import HEADER_TIMEOUT_ENV, HeaderTimeoutProtocol
    from pagetoken.server import configure_logging, startup_warnings

    from .workers import serve as workers_serve

    check_dev_options(host, dev, control_token, seed_file)
    check_port(host, port)
    configure_logging(log_level.upper())
    base = public_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    with authority() as auth:
        if seed_file is not None:
            typer.echo(json.dumps(seed_from(auth, seed_file)))
        if dev:
            typer.echo(f"pagetoken --dev: the control API is at {base}/_pagetoken/ "
                       f"({'Authorization: Bearer required' if control_token else 'loopback only'}); "
                       "never point it at data you care about", err=True)
        if demo:
            from pagetoken.demo import seed

            d, secret = seed(auth, STATE.data_dir, base)
            # The banner goes to stdout only, never through logging (so never into the server's log).
            typer.echo(_demo_banner(base, d.password, d.app_id, secret, d.user_id, d.email, d.page_id))
    allow_private_callbacks = allow_private_callbacks or dev  # a developer's app usually runs on their laptop
    for warning in startup_warnings(public_url, allow_private_callbacks):
        logging.getLogger("pagetoken.serve").warning(warning)
    os.environ["PAGETOKEN_DATA_DIR"] = str(STATE.data_dir)
    if STATE.db:
        os.environ["PAGETOKEN_DB"] = STATE.db
    if public_url:
        os.environ["PAGETOKEN_PUBLIC_URL"] = public_url
    os.environ[ALLOW_PRIVATE_ENV] = "1" if allow_private_callbacks else "0"
    os.environ[HEADER_TIMEOUT_ENV] = str(header_timeout)
    os.environ["PAGETOKEN_LOG_LEVEL"] = log_level.upper()
    os.environ["PAGETOKEN_DEV"] = "1" if dev else "0"
    if dev and control_token:
        os.environ["PAGETOKEN_CONTROL_TOKEN"] = control_token
    options: dict[str, Any] = {
        "factory": True, "host": host, "port": port, "workers": workers, "log_level": log_level.lower(),
        "http": HeaderTimeoutProtocol,
        # the access log is written at info: above that, not even its line is put together
        "access_log": log_level.lower() in ("trace", "debug", "info"),
        "proxy_headers": bool(forwarded_allow_ips), "forwarded_allow_ips": forwarded_allow_ips or ""}
    status = workers_serve("pagetoken.server:create_app", **options)  # a listening socket per worker
    if status:
        raise typer.Exit(status)
