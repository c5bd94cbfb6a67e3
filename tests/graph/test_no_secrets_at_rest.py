"""After a full run against `pagetoken serve`, neither the database nor the server log holds a token or secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from pagetoken.core.proof import appsecret_proof
from tests.support.servers import ProcessServer


def database_rows(url: str) -> bytes:
    """Every row of every table of a PostgreSQL database, as text."""
    import psycopg

    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        assert "tokens" in tables and "apps" in tables
        return "\n".join(repr(conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables).encode()


def test_database_and_log_hold_no_token_and_no_secret(process_server_factory: type[ProcessServer],
                                                      tmp_path: Path, db_url: str) -> None:
    """On the data dir's SQLite file, then on PostgreSQL."""
    on_postgres = db_url.startswith("postgresql")
    srv = process_server_factory(tmp_path / "data", db=db_url if on_postgres else None)
    created = json.loads(srv.cli("apps", "create", "--name", "Leak Check", "--json").stdout)
    app_id, secret = created["id"], created["secret"]
    srv.start()
    issued: list[str] = [created["app_token"]]
    url = srv.url
    # every request below carries a token or secret in its URL, which the access log records, masked
    app_token = httpx.get(f"{url}/oauth/access_token", params={"grant_type": "client_credentials",
                          "client_id": app_id, "client_secret": secret}).json()["access_token"]
    issued.append(app_token)
    tu = httpx.post(f"{url}/v25.0/{app_id}/accounts/test-users",
                    data={"access_token": app_token, "installed": "true",
                          "permissions": "pages_show_list,manage_pages,publish_pages"}).json()
    issued.append(tu["access_token"])
    httpx.post(f"{url}/{tu['id']}/accounts", data={"access_token": tu["access_token"], "name": "Shop",
                                                  "category": "Retail"})
    long = httpx.get(f"{url}/oauth/access_token", params={"grant_type": "fb_exchange_token", "client_id": app_id,
                     "client_secret": secret, "fb_exchange_token": tu["access_token"]}).json()["access_token"]
    issued.append(long)
    accounts = httpx.get(f"{url}/me/accounts", params={"access_token": long}).json()["data"]
    page_id = accounts[0]["id"]
    issued.append(accounts[0]["access_token"])
    app_page = httpx.get(f"{url}/{page_id}", params={"fields": "access_token", "access_token": app_token,
                         "appsecret_proof": appsecret_proof(app_token, secret)}).json()["access_token"]
    issued.append(app_page)
    for tok in issued:
        assert httpx.get(f"{url}/debug_token", params={"input_token": tok, "access_token": f"{app_id}|{secret}"}
                         ).json()["data"]["is_valid"]
    assert httpx.delete(f"{url}/oauth/access_token", params={"access_token": tu["access_token"]}).status_code == 200
    assert httpx.get(f"{url}/me", params={"access_token": tu["access_token"]}).json()["error"]["code"] == 190
    httpx.get(f"{url}/me?access_token={long}&fields=id,{{")  # an error with the token in the URL
    srv.stop()

    log = srv.log_path.read_text()
    assert "GET /me?access_token=" in log  # the access log did record the requests…
    assert re.search(r"access_token=(\[redacted\]|EAA…)", log)  # …with the tokens masked
    if on_postgres:
        blobs = {"postgresql": database_rows(db_url)}
    else:
        blobs = {p.name: p.read_bytes() for p in srv.data_dir.iterdir() if p.name.startswith("pagetoken.db")}
        assert "pagetoken.db" in blobs
    blobs["server.log"] = log.encode()
    for name, blob in blobs.items():
        for secret_value in [*issued, secret]:
            assert secret_value.encode() not in blob, f"{name} holds a secret"
    (tmp_path / "rows.txt").write_bytes(b"\n".join(blobs.values()))
    scan = srv.cli("tokens", "scan", str(srv.log_path), str(tmp_path / "rows.txt"), "--json", check=False)
    assert scan.returncode == 0 and json.loads(scan.stdout) == []
