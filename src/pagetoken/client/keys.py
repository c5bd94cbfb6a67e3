"""Where the vault's keys come from: the environment, a 0600 key file, or the OS keyring.

Each source holds a list of keys, newest first: the first seals, every one opens. A source that
can be written (the file, the OS keyring) lets `Vault.rekey` add a key and later drop the old one;
the environment is read-only, so there the operator puts the new key first, runs ``vault rekey``,
then removes the old key. Sources also say when they changed, so a long-running process picks up a
new key without a restart.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from pagetoken.core.keyring import KeyError_, KeyRing, decode_key, encode_key, new_key

from .exceptions import VaultKeyError

__all__ = ["KeySource", "StaticKeys", "EnvKeys", "FileKeys", "OSKeyringKeys", "ENV_VAR", "default_source",
           "default_dir"]

ENV_VAR = "PAGETOKEN_VAULT_KEY"
KEYRING_SERVICE = "pagetoken-vault"


class KeySource(Protocol):
    """A place that holds the vault's keys."""

    writable: bool

    def load(self) -> list[bytes]:
        """The keys, newest first; created on first use where the source can."""
        ...

    def save(self, keys: Sequence[bytes]) -> None:
        """Replace the keys (only when `writable`)."""
        ...

    def changed(self) -> bool:
        """True when the keys may differ from the last `load`."""
        ...

    def describe(self) -> str:
        ...


def _parse(text: str, where: str) -> list[bytes]:
    parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip() and not p.strip().startswith("#")]
    if not parts:
        raise VaultKeyError(f"{where} holds no key")
    try:
        return [decode_key(p) for p in parts]
    except KeyError_ as exc:
        raise VaultKeyError(f"{where}: {exc}") from None


def ring(source: KeySource) -> KeyRing:
    return KeyRing(source.load())


class StaticKeys:
    """Keys held in memory (tests, or an app that fetches its key from elsewhere)."""

    writable = True

    def __init__(self, keys: Sequence[bytes]) -> None:
        self._keys = list(keys)
        self._dirty = False

    def load(self) -> list[bytes]:
        self._dirty = False
        return list(self._keys)

    def save(self, keys: Sequence[bytes]) -> None:
        self._keys = list(keys)
        self._dirty = True

    def changed(self) -> bool:
        return self._dirty

    def describe(self) -> str:
        return "keys given in memory"


class EnvKeys:
    """``PAGETOKEN_VAULT_KEY``: comma-separated base64url keys, the first seals."""

    writable = False

    def __init__(self, environ: Mapping[str, str] | None = None, var: str = ENV_VAR) -> None:
        self.environ = environ if environ is not None else os.environ
        self.var = var

    def load(self) -> list[bytes]:
        value = self.environ.get(self.var, "")
        if not value.strip():
            raise VaultKeyError(f"{self.var} is not set")
        return _parse(value, self.var)

    def save(self, keys: Sequence[bytes]) -> None:
        raise VaultKeyError(f"keys from {self.var} cannot be changed from here: set {self.var}="
                            f"{','.join(encode_key(k) for k in keys)} yourself")

    def changed(self) -> bool:
        return False

    def describe(self) -> str:
        return f"${self.var}"


class FileKeys:
    """A key file, one base64url key a line, newest first; created 0600, refused when others can read it."""

    writable = True

    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        self.path = Path(path)
        self.create = create
        self._seen: tuple[int, int, int] | None = None

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _check_mode(self) -> None:
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise VaultKeyError(f"the key file {self.path} can be read by others (mode {mode:04o}): "
                                f"run `chmod 600 {self.path}`")

    def _write(self, keys: Sequence[bytes]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, ("\n".join(encode_key(k) for k in keys) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def load(self) -> list[bytes]:
        if not self.path.exists():
            if not self.create:
                raise VaultKeyError(f"the key file {self.path} does not exist")
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first: read theirs
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(encode_key(new_key()) + "\n")
        self._check_mode()
        self._seen = self._stamp()
        return _parse(self.path.read_text("ascii", errors="replace"), f"the key file {self.path}")

    def save(self, keys: Sequence[bytes]) -> None:
        self._write(keys)

    def changed(self) -> bool:
        return self._stamp() != self._seen

    def describe(self) -> str:
        return f"key file {self.path}"


class OSKeyringKeys:
    """The OS keyring (macOS Keychain, Secret Service, Windows Credential Locker) via `keyring`."""

    writable = True

    def __init__(self, username: str = "default", service: str = KEYRING_SERVICE) -> None:
        try:
            import keyring
        except ImportError:
            raise VaultKeyError("the OS keyring needs the optional 'keyring' package: pip install keyring") from None
        self._keyring = keyring
        self.username = username
        self.service = service

    def load(self) -> list[bytes]:
        try:
            value = self._keyring.get_password(self.service, self.username)
            if not value:
                value = encode_key(new_key())
                self._keyring.set_password(self.service, self.username, value)
        except Exception as exc:  # the keyring backends raise their own types
            raise VaultKeyError(f"the OS keyring failed: {type(exc).__name__}: {exc}") from None
        return _parse(value, self.describe())

    def save(self, keys: Sequence[bytes]) -> None:
        try:
            self._keyring.set_password(self.service, self.username, ",".join(encode_key(k) for k in keys))
        except Exception as exc:
            raise VaultKeyError(f"the OS keyring failed: {type(exc).__name__}: {exc}") from None

    def changed(self) -> bool:
        return False

    def describe(self) -> str:
        return f"OS keyring ({self.service}/{self.username})"


def default_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the vault keeps its files unless told otherwise: the data directory, ``$PAGETOKEN_DATA_DIR``
    or ``./pagetoken-data`` (ignored by git, never loose in a checkout)."""
    env = environ if environ is not None else os.environ
    return Path(env.get("PAGETOKEN_DATA_DIR") or "pagetoken-data")


def default_source(key_file: str | os.PathLike[str] | None = None, os_keyring: bool = False,
                   environ: Mapping[str, str] | None = None, folder: Path | None = None) -> KeySource:
    """The key source to use: the key file when one is named, else the OS keyring when asked, else
    ``PAGETOKEN_VAULT_KEY`` when set, else the key file ``vault.key`` in `folder` (`default_dir`)."""
    env = environ if environ is not None else os.environ
    if key_file:
        return FileKeys(key_file)
    if os_keyring:
        return OSKeyringKeys()
    if env.get(ENV_VAR, "").strip():
        return EnvKeys(env)
    return FileKeys((folder or default_dir(env)) / "vault.key")
