"""``mynacard backup`` / ``restore``: a store round-trips (SQLite and PostgreSQL, either way), the
audit chain still verifies, and a restore never writes over a store nobody named."""

from __future__ import annotations

import base64
import gzip
import json
import os
import stat

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from mynacard import audit
from mynacard.cli.main import app as cli
from mynacard.db import repositories as repo
from mynacard.db.backup import _encode, _tables
from mynacard.db.store import Store
from mynacard.services import residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import KANAZAWA, MASTER_KEY, NAKANOTO, at, issued_card, new_resident

KEY_ENV = {"MYNACARD_MASTER_KEY": base64.b64encode(MASTER_KEY).decode()}


def build(db: str) -> Office:
    store = Store(db)
    store.migrate()
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
        residents.add_municipality(w, KANAZAWA, "金沢市", "石川県")
    rid = new_resident(off)
    issued_card(off, rid)
    with off.work(at=at("2025-06-01"), actor="clerk") as w:
        residents.read_number(w, rid, "tax")
    for i in range(3):
        audit.append(store, at=at(f"2025-06-0{i + 2}"), actor="tanaka", role="clerk", action="resident.read",
                     target=f"resident:{rid}")
    return off


def contents(store: Store) -> dict[str, list[dict]]:
    with store.engine.connect() as conn:
        return {
            t.name: [_encode(t, r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in _tables()
        }


def same_store(a: Store, b: Store) -> None:
    """Every table equal, except that the restored audit trail goes on with the backup and restore
    entries (after the original's, which are all there unchanged)."""
    ca, cb = contents(a), contents(b)
    for name in ca:
        if name == "audit_log":
            assert cb[name][: len(ca[name])] == ca[name]
            assert [e["action"] for e in cb[name][len(ca[name]):]] == ["store.restore"]
        else:
            assert cb[name] == ca[name], name


def run(args, env=None):
    res = CliRunner().invoke(cli, args, env={**KEY_ENV, **(env or {})})
    return res


def round_trip(src_db: str, dst_db: str, tmp_path) -> tuple[Office, Store]:
    office = build(src_db)
    file = tmp_path / "store.myb"
    res = run(["--db", src_db, "--json", "backup", str(file)])
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    res = run(["--db", dst_db, "--json", "restore", str(file)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["audit_ok"] is True and out["audit_entries"] == len(contents(office.store)["audit_log"])
    restored = Store(dst_db)
    Office(store=restored, master_key=MASTER_KEY)
    same_store(office.store, restored)
    assert audit.verify(restored)[1] == []
    # the number still reads back and is still found by its keyed hash
    with office.work(at=at("2025-07-01"), actor="x") as w:
        number = repo.number_of(repo.resident(w.session, 1))
    with restored.sessions() as s:
        assert repo.resident_by_number(s, number).id == 1
    return office, restored


def test_sqlite_round_trip_keeps_every_row_and_the_chain(tmp_path):
    round_trip(str(tmp_path / "a.db"), str(tmp_path / "b.db"), tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / "b.db").st_mode) == 0o600


@pytest.mark.postgres
def test_sqlite_to_postgresql_and_back(tmp_path, pg_url):
    _, restored = round_trip(str(tmp_path / "a.db"), pg_url, tmp_path)
    # the sequences moved past the restored IDs: new rows go in after them
    off = Office(store=restored, master_key=MASTER_KEY, keygen=pooled_key)
    rid = new_resident(off, name="新規 花子")
    assert rid == 2
    audit.append(restored, at=at("2025-08-01"), actor="sato", role="clerk", action="login")
    assert audit.verify(restored)[1] == []
    back = tmp_path / "from-pg.myb"
    assert run(["--db", pg_url, "backup", str(back)]).exit_code == 0
    res = run(["--db", str(tmp_path / "c.db"), "restore", str(back)])
    assert res.exit_code == 0, res.output
    c = Store(str(tmp_path / "c.db"))
    Office(store=c, master_key=MASTER_KEY)
    assert audit.verify(c)[1] == []
    assert len(contents(c)["residents"]) == 2


def test_restore_refuses_a_store_with_data_unless_named_and_replaced(tmp_path, monkeypatch):
    office = build(str(tmp_path / "a.db"))
    file = tmp_path / "a.myb"
    assert run(["--db", str(tmp_path / "a.db"), "backup", str(file)]).exit_code == 0
    other = build(str(tmp_path / "other.db"))
    before = contents(other.store)
    res = run(["--db", str(tmp_path / "other.db"), "restore", str(file)])
    assert res.exit_code == 2 and "already holds data" in res.output
    # --replace on a store taken from MYNACARD_DB (not named on the command line) is refused too
    res = run(["restore", "--replace", str(file)], env={"MYNACARD_DB": str(tmp_path / "other.db")})
    assert res.exit_code == 2 and "--db" in res.output
    assert contents(other.store) == before
    res = run(["--db", str(tmp_path / "other.db"), "restore", "--replace", str(file)])
    assert res.exit_code == 0, res.output
    same_store(office.store, other.store)


def test_backup_never_overwrites_a_file(tmp_path):
    build(str(tmp_path / "a.db"))
    file = tmp_path / "a.myb"
    file.write_bytes(b"precious")
    res = run(["--db", str(tmp_path / "a.db"), "backup", str(file)])
    assert res.exit_code == 2 and file.read_bytes() == b"precious"


def test_restore_refuses_another_master_key_and_an_altered_backup(tmp_path):
    build(str(tmp_path / "a.db"))
    file = tmp_path / "a.myb"
    assert run(["--db", str(tmp_path / "a.db"), "backup", str(file)]).exit_code == 0
    wrong = {"MYNACARD_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    res = run(["--db", str(tmp_path / "b.db"), "restore", str(file)], env=wrong)
    assert res.exit_code == 2 and "another master key" in res.output
    assert not (tmp_path / "b.db").exists()
    lines = gzip.decompress(file.read_bytes()).splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if "能登 太郎".encode() in line)
    lines[i] = lines[i].replace("能登 太郎".encode(), "能田 太郎".encode())
    altered = tmp_path / "altered.myb"
    altered.write_bytes(gzip.compress(b"".join(lines)))
    res = run(["--db", str(tmp_path / "c.db"), "restore", str(altered)])
    assert res.exit_code == 2 and "altered" in res.output


def test_restore_into_a_new_sqlite_store_needs_the_key(tmp_path):
    build(str(tmp_path / "a.db"))
    file = tmp_path / "a.myb"
    assert run(["--db", str(tmp_path / "a.db"), "backup", str(file)]).exit_code == 0
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "b.db"), "restore", str(file)],
                             env={"MYNACARD_MASTER_KEY": "", "MYNACARD_KEY_FILE": ""})
    assert res.exit_code == 2 and "MYNACARD_MASTER_KEY" in res.output
    assert not (tmp_path / "b.db").exists() and not (tmp_path / "b.db.key").exists()
