"""The vault: tokens sealed at rest, rows bound to their names, keys that rotate, clean key errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pagetoken.client import (
    EnvKeys,
    FileKeys,
    StaticKeys,
    TokenInfo,
    TokenNotFound,
    Vault,
    VaultKeyError,
    VaultTampered,
    default_source,
)
from pagetoken.client.keys import OSKeyringKeys
from pagetoken.client.rows import meta_table, tokens_table
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import encode_key, new_key
from pagetoken.core.tokens import new_token


def info(kind: str = "USER", expires_at: int = 1_805_000_000, page_id: str = "") -> TokenInfo:
    return TokenInfo(True, kind, "1234567890", "App", "9001", page_id, ("pages_show_list", "read_insights"),
                     1_800_000_000, expires_at, 1_807_000_000)


def raw_bytes(db_path: Path) -> bytes:
    """The database and its WAL/SHM side files, as bytes."""
    return b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name))


def test_put_get_and_token(vault: Vault) -> None:
    token = new_token()
    record = vault.put("main", token, info())
    assert record.kind == "USER" and record.scopes == ("pages_show_list", "read_insights")
    assert record.status == "active" and record.generation == 1 and record.expires_at == 1_805_000_000
    assert vault.token("main") == token
    again = vault.put("main", new_token(), info())
    assert again.generation == 2 and again.created_at == record.created_at
    page = vault.put("main:111", new_token(), info("PAGE", 0, "111"), parent="main")
    assert page.page_id == "111" and page.expires_in(0) is None
    assert [c.name for c in vault.children("main")] == ["main:111"]
    assert [r.name for r in vault.list(kind="page")] == ["main:111"]
    with pytest.raises(TokenNotFound):
        vault.get("nope")
    with pytest.raises(TokenNotFound):
        vault.token("nope")
    vault.remove("main:111")
    assert vault.find("main:111") is None
    with pytest.raises(ValueError):
        vault.put("", token, info())
    with pytest.raises(ValueError):
        vault.put("x", token, info("WEIRD"))


def test_no_token_in_clear_in_the_database(vault_url: str, key: bytes, clock: ManualClock) -> None:
    """On SQLite the file's bytes (and its WAL); on PostgreSQL every row of every vault table, as text."""

    def stored() -> bytes:
        if vault_url.startswith("sqlite:///"):
            return raw_bytes(Path(vault_url.removeprefix("sqlite:///")))
        import psycopg

        with psycopg.connect(vault_url) as conn:
            return "\n".join(repr(conn.execute(f"SELECT * FROM {table.name}").fetchall())
                             for table in (tokens_table, meta_table)).encode()

    tokens = [new_token() for _ in range(5)]
    with Vault(vault_url, StaticKeys([key]), clock) as v:
        for i, t in enumerate(tokens):
            v.put(f"t{i}", t, info())
        raw = stored()
        assert b"pages_show_list" in raw  # the metadata is there, in the clear
        for t in tokens:
            assert t.encode() not in raw and t[3:30].encode() not in raw
            assert t.encode("utf-16-le") not in raw
    assert tokens[0].encode() not in stored()


def test_swapped_ciphertexts_do_not_open(vault: Vault) -> None:
    vault.put("a", new_token(), info())
    vault.put("b", new_token(), info())
    c = tokens_table.c
    with vault.engine.begin() as conn:
        sealed_a = conn.execute(select(c.sealed).where(c.name == "a")).scalar_one()
        conn.execute(update(tokens_table).where(c.name == "b").values(sealed=sealed_a))
    with pytest.raises(VaultTampered, match="'b'"):
        vault.token("b")
    with vault.engine.begin() as conn:
        flipped = bytearray(sealed_a)
        flipped[-1] ^= 1
        conn.execute(update(tokens_table).where(c.name == "a").values(sealed=bytes(flipped)))
    with pytest.raises(VaultTampered):
        vault.token("a")


def test_a_wrong_key_is_a_clean_error(vault_url: str, key: bytes, clock: ManualClock) -> None:
    with Vault(vault_url, StaticKeys([key]), clock) as v:
        v.put("a", new_token(), info())
    with Vault(vault_url, StaticKeys([new_key()]), clock) as wrong:
        assert [r.name for r in wrong.list()] == ["a"]  # metadata needs no key
        with pytest.raises(VaultKeyError, match="does not open this vault"):
            wrong.token("a")
        with pytest.raises(VaultKeyError):
            wrong.put("b", new_token(), info())
    with pytest.raises(VaultKeyError, match="PAGETOKEN_VAULT_KEY"):
        Vault(vault_url, EnvKeys({"PAGETOKEN_VAULT_KEY": "not-a-key"}), clock).check_key()
    with pytest.raises(VaultKeyError, match="is not set"):
        Vault(vault_url, EnvKeys({}), clock).check_key()


def test_rekey_with_a_key_file_and_read_back(tmp_path: Path, vault_url: str, clock: ManualClock) -> None:
    key_file = tmp_path / "vault.key"
    writer = Vault(vault_url, FileKeys(key_file), clock)
    tokens = {f"t{i}": new_token() for i in range(6)}
    for name, t in tokens.items():
        writer.put(name, t, info())
    old_key = key_file.read_text().strip()
    reader = Vault(vault_url, FileKeys(key_file), clock)  # another process, holding the old key
    assert reader.token("t0") == tokens["t0"]
    seen_midway: list[str] = []

    def midway(name: str) -> None:
        # While the rekey runs, a reader that loaded the old key still reads every row.
        seen_midway.extend(reader.token(n) for n in tokens)

    count = writer.rekey(progress=midway)
    assert count == len(tokens)
    assert seen_midway and set(seen_midway) == set(tokens.values())
    new_text = key_file.read_text().strip()
    assert new_text != old_key and "\n" not in new_text  # the old key is gone from the file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert {n: reader.token(n) for n in tokens} == tokens
    fresh = Vault(vault_url, FileKeys(key_file), clock)
    assert {n: fresh.token(n) for n in tokens} == tokens
    stale = Vault(vault_url, EnvKeys({"PAGETOKEN_VAULT_KEY": old_key}), clock)
    with pytest.raises(VaultKeyError):
        stale.token("t0")
    for v in (writer, reader, fresh, stale):
        v.close()


def test_rekey_keeping_the_old_key(vault_url: str, key: bytes, clock: ManualClock) -> None:
    source = StaticKeys([key])
    with Vault(vault_url, source, clock) as v:
        t = new_token()
        v.put("a", t, info())
        fresh = new_key()
        assert v.rekey(fresh, drop_old=False) == 1
        assert source.load() == [fresh, key]
        assert v.token("a") == t
    with Vault(vault_url, StaticKeys([fresh]), clock) as only_new:
        assert only_new.token("a") == t


def test_rekey_with_env_keys(vault_url: str, key: bytes, clock: ManualClock) -> None:
    with Vault(vault_url, StaticKeys([key]), clock) as v:
        t = new_token()
        v.put("a", t, info())
    fresh = new_key()
    env = {"PAGETOKEN_VAULT_KEY": f"{encode_key(fresh)},{encode_key(key)}"}
    with Vault(vault_url, EnvKeys(env), clock) as v:
        with pytest.raises(VaultKeyError, match="first"):
            v.rekey(new_key())
        assert v.rekey() == 1
    with Vault(vault_url, EnvKeys({"PAGETOKEN_VAULT_KEY": encode_key(fresh)}), clock) as v:
        assert v.token("a") == t


def test_key_file_is_created_0600_and_refused_when_readable(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "vault.key"
    keys = FileKeys(path).load()
    assert len(keys) == 1 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert FileKeys(path).load() == keys
    os.chmod(path, 0o640)
    with pytest.raises(VaultKeyError, match="chmod 600"):
        FileKeys(path).load()
    with pytest.raises(VaultKeyError, match="does not exist"):
        FileKeys(tmp_path / "missing.key", create=False).load()
    bad = tmp_path / "bad.key"
    bad.write_text("short\n")
    bad.chmod(0o600)
    with pytest.raises(VaultKeyError, match="32 bytes"):
        FileKeys(bad).load()


def test_key_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k1, k2 = new_key(), new_key()
    env = EnvKeys({"PAGETOKEN_VAULT_KEY": f" {encode_key(k1)} , {encode_key(k2)} "})
    assert env.load() == [k1, k2] and not env.writable
    with pytest.raises(VaultKeyError):
        env.save([k1])
    assert isinstance(default_source(environ={"PAGETOKEN_VAULT_KEY": encode_key(k1)}), EnvKeys)
    assert isinstance(default_source(tmp_path / "k", environ={"PAGETOKEN_VAULT_KEY": encode_key(k1)}), FileKeys)
    assert isinstance(default_source(environ={}), FileKeys)
    monkeypatch.setitem(__import__("sys").modules, "keyring", None)
    with pytest.raises(VaultKeyError, match="pip install keyring"):
        OSKeyringKeys()


def test_os_keyring_with_a_stand_in_backend(vault_url: str, clock: ManualClock,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    store: dict[tuple[str, str], str] = {}
    fake = types.ModuleType("keyring")
    fake.get_password = lambda service, user: store.get((service, user))  # type: ignore[attr-defined]
    fake.set_password = lambda service, user, value: store.__setitem__((service, user), value)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", fake)
    t = new_token()
    with Vault(vault_url, OSKeyringKeys(), clock) as v:
        v.put("a", t, info())
        v.rekey()
        assert v.token("a") == t
    assert len(store) == 1 and "," not in next(iter(store.values()))
    with Vault(vault_url, OSKeyringKeys(), clock) as v:
        assert v.token("a") == t


def test_leases_are_compare_and_set(vault: Vault, clock: ManualClock) -> None:
    vault.put("a", new_token(), info())
    assert vault.acquire("a", "w1", ttl=60)
    assert not vault.acquire("a", "w2", ttl=60)
    assert vault.acquire("a", "w1", ttl=60)  # its own lease, renewed
    clock.advance(61)
    assert vault.acquire("a", "w2", ttl=60)  # the first one's ran out
    vault.release("a", "w1")  # not its lease any more: nothing happens
    assert vault.get("a").lease_owner == "w2"
    vault.release("a", "w2")
    assert vault.get("a").lease_owner is None
    assert not vault.acquire("missing", "w1")


def test_claim_report_once(vault: Vault) -> None:
    vault.put("a", new_token(), info())
    assert vault.claim_report("a") and not vault.claim_report("a")
    vault.put("a", new_token(), info())  # a new token: a new failure will be reported again
    assert vault.claim_report("a")


def test_repr_and_urls(vault: Vault, tmp_path: Path) -> None:
    assert "keys given in memory" in repr(vault)
    with pytest.raises(ValueError, match="sqlite"):
        Vault("mysql://x/y", StaticKeys([new_key()]))


def test_both_backends(db_url: str, key: bytes, clock: ManualClock) -> None:
    """SQLite and PostgreSQL (skipped when PostgreSQL is not installed): sealing, leases, rekey."""
    t = new_token()
    with Vault(db_url, StaticKeys([key]), clock) as v:
        v.put("a", t, info())
        v.put("a:111", new_token(), info("PAGE", 0, "111"), parent="a")
        assert v.token("a") == t and [c.name for c in v.children("a")] == ["a:111"]
        assert v.acquire("a", "w1") and not v.acquire("a", "w2")
        assert v.claim_report("a") and not v.claim_report("a")
        assert v.rekey() == 2 and v.token("a") == t
    with Vault(db_url, StaticKeys([key]), clock) as stale, pytest.raises(VaultKeyError):
        stale.token("a")
