"""The master key ring: from PAGETOKEN_MASTER_KEY, or a key file created 0600 on first use."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pagetoken.core.keyring import KeyError_, KeyRing, decode_key, encode_key, new_key

ENV = "PAGETOKEN_MASTER_KEY"
FILENAME = "master.key"


class MasterKeyError(Exception):
    pass


def load(data_dir: Path, env: dict[str, str] | None = None) -> KeyRing:
    """The key ring: env keys (comma-separated, first seals) if set, else the data dir's key file."""
    environ = os.environ if env is None else env
    raw = environ.get(ENV, "").strip()
    try:
        if raw:
            return KeyRing([decode_key(part) for part in raw.split(",") if part.strip()])
        return KeyRing(_read_or_create(data_dir / FILENAME))
    except KeyError_ as exc:
        raise MasterKeyError(f"master key: {exc}") from exc


def _read_or_create(path: Path) -> list[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise MasterKeyError(
                f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`") from None
        lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        if not lines:
            raise MasterKeyError(f"{path} holds no key") from None
        return [decode_key(ln) for ln in lines]
    key = new_key()
    with os.fdopen(fd, "w") as fh:
        fh.write("# pagetoken master key ring: the first key seals, every key opens. Keep it secret.\n")
        fh.write(encode_key(key) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return [key]
