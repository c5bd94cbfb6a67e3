"""Storage faults (a full disk, a read-only database, a database that cannot be reached) as the
errors callers show: a Graph code 2 (transient: retry later) and one clear line for the CLI.

Every write is one transaction, and a token is handed out only after the transaction that stores
it has committed, so a fault loses nothing a client received and leaves no half-written row.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError

from pagetoken.core import errors

# (what the driver says, what the operator should hear)
_KNOWN = (
    ("disk is full", "the disk holding the database is full"),
    ("no space left", "the disk holding the database is full"),
    ("could not extend file", "the disk holding the database is full"),
    ("readonly database", "the database is read-only"),
    ("read-only", "the database is read-only"),
    ("unable to open database", "the database file cannot be opened"),
    ("disk i/o error", "the disk holding the database failed to read or write"),
    ("database is locked", "the database is busy"),
    ("connection refused", "the database server cannot be reached"),
    ("server closed the connection", "the database server closed the connection"),
)


def storage_problem(exc: BaseException) -> str | None:
    """What is wrong with the storage behind `exc`, in a few words; None when it is something else."""
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    for needle, meaning in _KNOWN:
        if needle in text:
            return meaning
    return "the database failed" if isinstance(exc, OperationalError) else None


def on_read_only_disk(path: Path) -> bool:
    """Whether `path` (or the nearest existing folder above it) is on a file system mounted read-only."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
            except OSError:
                return False
    return False


def opening_problem(exc: BaseException, data_dir: Path) -> str | None:
    """Why the database could not be opened, in a few words (None when it is not a storage fault)."""
    problem = storage_problem(exc)
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        problem = "the database is read-only"
    if problem is not None and on_read_only_disk(data_dir):
        return f"the database is read-only ({data_dir} is on a read-only file system)"
    return problem


def as_graph_error(exc: BaseException) -> errors.ApiError | None:
    """The Graph answer for a storage fault: code 2, transient, saying what is wrong (never the SQL)."""
    problem = storage_problem(exc)
    if problem is None:
        return None
    return errors.ServiceUnavailable(f"Service temporarily unavailable: {problem}. Nothing was changed; "
                                     "try again later.")
