"""`serve --workers N`: N server processes on one port, each listening on a socket of its own.

uvicorn's own `--workers` hands every worker the same listening socket. Whichever worker wakes first
accepts every connection waiting, so a burst of keep-alive connections (a reverse proxy's pool, a load
generator) can all land on one worker while the others idle, for as long as the connections last.
Here each worker listens on a socket of its own, all bound to the same address with `SO_REUSEPORT`,
and the kernel spreads new connections across them by a hash of their addresses.

The parent holds every socket and watches the workers, like uvicorn's supervisor (whose worker
process it uses): a worker that dies or stops answering its health check is replaced on the same
socket, so the connections that reached that socket meanwhile wait for the new worker instead of
being refused. SIGINT and SIGTERM stop every worker (each finishes its work and writes what it
holds); SIGHUP replaces the workers one by one, each new one serving before the old one stops;
SIGTTIN adds a worker (and its socket) and SIGTTOU removes one, as with uvicorn.
A worker that cannot start (its app, socket or database is broken) stops the whole server.

Where the kernel has no such balancing (anything but Linux), `serve` uses uvicorn's supervisor.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Process

log = logging.getLogger("uvicorn.error")

POLL_SECONDS = 0.5
HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGTTIN, signal.SIGTTOU)


def balanced() -> bool:
    """Whether this kernel spreads connections over sockets sharing a port (Linux's `SO_REUSEPORT`)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def serve(app: str, **options: Any) -> int:
    """Run the ASGI app `app` (an import string) with uvicorn's `options`: with several workers, each on
    a listening socket of its own where the kernel balances them. Returns the exit status."""
    if options.get("workers", 1) > 1 and balanced():
        return Workers(uvicorn.Config(app, **options)).run()
    uvicorn.run(app, **options)
    return 0


def listener(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) that other sockets of this user may bind too. It listens only
    once its worker starts serving: until then the kernel sends it no connection."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class Workers:
    """The parent of `config.workers` server processes, worker i always on socket i."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.sockets = [listener(config.host, config.port) for _ in range(config.workers)]
        self.processes: list[Process] = []
        self.should_exit = threading.Event()
        self.failed = False
        self._signals: list[int] = []

    def _start(self, index: int) -> Process:
        process = Process(self.config, [self.sockets[index]])
        process.start()
        return process

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals.append(signum)  # handled by the watching loop, outside the signal handler

    def run(self) -> int:
        """Serve until told to stop. Returns the exit status: 0, or STARTUP_FAILURE when a worker could
        not start."""
        previous = {signum: signal.signal(signum, self._on_signal) for signum in HANDLED}
        log.info("Started parent process, %d workers, one listening socket each", len(self.sockets))
        try:
            self.processes = [self._start(i) for i in range(len(self.sockets))]
            while not self.should_exit.wait(POLL_SECONDS):
                self._handle_signals()
                self._keep_alive()
        finally:
            for process in self.processes:
                process.terminate()
            for process in self.processes:
                process.join()
            for sock in self.sockets:
                sock.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return STARTUP_FAILURE if self.failed else 0

    def _handle_signals(self) -> None:
        while self._signals:
            signum = self._signals.pop(0)
            if signum == signal.SIGHUP:
                log.info("Received SIGHUP, replacing the workers one by one.")
                self.restart_all()
            elif signum == signal.SIGTTIN:
                self.add()
            elif signum == signal.SIGTTOU:
                self.remove()
            else:
                log.info("Received %s, stopping.", signal.Signals(signum).name)
                self.should_exit.set()

    def _keep_alive(self) -> None:
        """Replace a worker that died or does not answer; stop everything if one could not start."""
        for index, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("Worker process [%s] failed to start; stopping the server.", process.pid)
                self.failed = True
                self.should_exit.set()
                return
            log.info("Worker process [%s] died; starting another on its socket.", process.pid)
            self.processes[index] = self._start(index)

    def restart_all(self) -> None:
        """Replace each worker in turn: the new one serves before the old one stops."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(index)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                log.error("Worker process [%s] was not ready in time; keeping [%s].", new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def add(self) -> None:
        """One more worker, on a socket of its own (SIGTTIN)."""
        self.sockets.append(listener(self.config.host, self.config.port))
        self.processes.append(self._start(len(self.sockets) - 1))
        log.info("Received SIGTTIN: %d workers.", len(self.processes))

    def remove(self) -> None:
        """One worker fewer (SIGTTOU), never the last. Its socket leaves the port once the worker has
        stopped: new connections go to the others, and those it had not accepted yet are reset."""
        if len(self.processes) <= 1:
            log.info("Received SIGTTOU with one worker left: keeping it.")
            return
        process, sock = self.processes.pop(), self.sockets.pop()
        process.terminate()
        process.join()
        sock.close()
        log.info("Received SIGTTOU: %d workers.", len(self.processes))
