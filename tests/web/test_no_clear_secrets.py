"""A whole session (the demo, the office service, the CLI, an export) leaves no individual number
and no PIN in clear where it should not be: in the logs, in error pages and other responses, in
the exported files, in the database files. Nor any card's security code (セキュリティコード), which
is printed on the card's face and kept sealed in the store. The one place a number is shown is the answer to a
read for a lawful purpose (R_NUM_3), which is left out of the scan on purpose."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import LargeBinary
from typer.testing import CliRunner

from mynacard.cli.main import app as cli
from mynacard.db import repositories as repo
from mynacard.db.backup import _tables
from mynacard.db.models import Card, Resident
from mynacard.ids import IndividualNumber
from tests.web.conftest import MASTER_KEY, NAKANOTO

# Distinctive PINs (a 4-digit PIN like 1234 would match dates and serial numbers by chance).
PINS = {"sign": "QX7PZ9K2", "auth": "8461", "resident": "9073", "card_info": "5529"}
NEW_PINS = {"auth": "6318", "sign": "WV4ST8R1"}
DEMO_PINS = ["NOTO2025", "4821", "KANAZAWA26"]
# Security codes are 4 random digits; the cards of this run get distinctive ones.
SECURITY_CODES = ["7306", "2957", "6184", "3729", "8540", "1673", "5092", "9418"]


def _needle(secret: str) -> re.Pattern[bytes]:
    """``secret`` standing alone, not inside a longer run of digits or letters (a serial, an
    application ID, a hex digest), where a 4-digit PIN would turn up by chance."""
    return re.compile(rb"(?<![0-9A-Za-z])" + re.escape(secret.encode()) + rb"(?![0-9A-Za-z])")


class Scan:
    def __init__(self) -> None:
        self.places: list[tuple[str, bytes]] = []

    def add(self, where: str, data: bytes | str) -> None:
        self.places.append((where, data.encode() if isinstance(data, str) else data))

    def found(self, secrets: list[str]) -> list[str]:
        hits = []
        for secret in secrets:
            pat = _needle(secret)
            for where, data in self.places:
                if pat.search(data):
                    hits.append(f"{secret[:2]}… in {where}")
        return hits


def database_bytes(db: Path, tmp: Path) -> bytes:
    """The database file as an intruder would copy it. Freed pages are dropped (VACUUM) so that
    what is scanned is what the store holds now."""
    copy = tmp / f"scan-{db.name}"
    shutil.copy(db, copy)
    con = sqlite3.connect(copy)
    con.execute("VACUUM")
    con.close()
    return copy.read_bytes()


def backup_rows(path: Path) -> bytes:
    """The backup file's rows, the chip's sealed image included. Binary columns (base64 in the
    file) are scanned as the bytes they stand for, as in the database."""
    binary = {t.name: {c.name for c in t.columns if isinstance(c.type, LargeBinary)} for t in _tables()}
    out = []
    for line in gzip.decompress(path.read_bytes()).splitlines():
        item = json.loads(line)
        for col in binary.get(item.get("t", ""), ()):
            if item["r"].get(col):
                out.append(base64.b64decode(item["r"].pop(col)))
        out.append(json.dumps(item, ensure_ascii=False).encode())
    return b"\n".join(out)


def test_no_number_or_pin_in_clear_after_a_full_session_R_NUM_3(tmp_path, office, staff, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # statement echo is a debugging aid, off in service
    scan = Scan()
    monkeypatch.setenv("MYNACARD_MASTER_KEY", base64.b64encode(MASTER_KEY).decode())
    codes = iter(SECURITY_CODES)
    monkeypatch.setattr("mynacard.services.cards.new_security_code", lambda: next(codes))
    runner = CliRunner()
    typed: list[str] = []

    # 1. The demo, in a store of its own.
    demo_db = tmp_path / "demo.db"
    res = runner.invoke(cli, ["--db", str(demo_db), "demo"])
    assert res.exit_code == 0, res.output
    scan.add("demo output", res.output)

    # 2. The office service: the window's API and UI, the hotline, errors of every kind.
    clerk = staff["clerk"]
    n1, n2, n3 = (str(IndividualNumber.generate()) for _ in range(3))
    typed += [n1, n2, n3]
    body = {"individual_number": n1, "name": "能登 太郎", "address": "石川県鹿島郡中能登町能登部下91部23番地",
            "birth_date": "1990-06-15", "sex": "1", "municipality_code": NAKANOTO}
    responses = [clerk.post("/api/residents", json=body)]
    rid = responses[0].json()["id"]
    responses.append(clerk.post("/api/residents", json=body))  # the same number again: 409
    responses.append(clerk.post("/api/residents", json={**body, "individual_number": n1[:-1] + "x"}))
    responses.append(clerk.post("/api/residents", json={**body, "individual_number": n2 + "123"}))  # too long
    responses.append(clerk.post("/api/residents", json={**body, "individual_number": n2, "birth_date": "1990-02-30"}))
    app_ = clerk.post(f"/api/residents/{rid}/applications", json={"kind": "new", "channel": "window"})
    card_id = app_.json()["card_id"]
    responses += [app_, clerk.post(f"/api/cards/{card_id}/make")]
    responses.append(clerk.post(f"/api/cards/{card_id}/issue",
                                json={"identity_documents": ["drivers_license"], "pins": {**PINS, "auth": "84a1"}}))
    responses.append(clerk.post(f"/api/cards/{card_id}/issue",
                                json={"identity_documents": ["drivers_license"], "pins": PINS}))
    responses.append(clerk.get(f"/api/residents/{rid}"))
    responses.append(clerk.get(f"/api/cards/{card_id}"))
    responses.append(clerk.get("/api/residents", params={"name": "能登"}))
    responses.append(clerk.get(f"/api/residents/{rid}/number-reads"))
    responses.append(clerk.get(f"/api/events?resident_id={rid}"))
    responses.append(clerk.post(f"/api/cards/{card_id}/pins/auth/reset",
                                json={"new_value": NEW_PINS["auth"], "identity_documents": ["drivers_license"]}))
    responses.append(clerk.get(f"/residents/{rid}"))  # the window's page: the number masked
    responses.append(clerk.get("/residents/999999"))
    hotline = staff["hotline"]
    responses.append(hotline.post("/api/hotline/suspend", json={"name": "能登 太郎", "birth_date": "1990-06-15",
                                                                 "individual_number": n3}))  # nobody: 404
    responses.append(hotline.post("/api/hotline/suspend", json={"name": "能登 太郎", "birth_date": "1990-06-15",
                                                                 "individual_number": n1}))
    responses.append(staff["auditor"].get("/api/audit"))
    # the lawful read shows the number, and nothing else does
    lawful = clerk.post(f"/api/residents/{rid}/number", json={"purpose": "tax"})
    assert lawful.status_code == 200 and lawful.json()["individual_number"] == n1
    for r in responses:
        scan.add(f"{r.request.method} {r.request.url.path} -> {r.status_code}", r.content)
    assert {r.status_code for r in responses} >= {201, 409, 422, 404, 200}

    # 3. The command line on the same store, then an export for relying parties.
    db = office.store.url.removeprefix("sqlite:///")
    n4 = str(IndividualNumber.generate())
    typed.append(n4)
    commands = [
        ["resident", "add", "--name", "七尾 花子", "--address", "石川県七尾市", "--birth", "1985-03-03",
         "--sex", "2", "--municipality", NAKANOTO, "--number", n4],
        ["resident", "add", "--name", "七尾 花子", "--address", "石川県七尾市", "--birth", "1985-03-03",
         "--sex", "2", "--municipality", NAKANOTO, "--number", n4],  # again: refused
        ["resident", "show", str(rid)],
        ["resident", "find", "--name", "七尾"],
        ["hotline", "suspend", "--name", "七尾 花子", "--birth", "1985-03-03", "--number", n2],
        ["pin", "tries", card_id],
        ["events"],
        ["audit", "verify"],
        ["export", str(tmp_path / "export")],
        ["backup", str(tmp_path / "office.myb")],
    ]
    for args in commands:
        res = runner.invoke(cli, ["--db", db, "--at", "2025-04-02T10:00", *args])
        scan.add("mynacard " + " ".join(args[:2]), res.output)
    res = runner.invoke(cli, ["--db", db, "resident", "number", str(rid), "--purpose", "tax"])
    assert res.exit_code == 0 and n1 in res.output  # the lawful read (not scanned)

    for f in sorted((tmp_path / "export").rglob("*")):
        if f.is_file():
            scan.add(f"export {f.relative_to(tmp_path)}", f.read_bytes())
    scan.add("backup", backup_rows(tmp_path / "office.myb"))
    for rec in caplog.records:
        scan.add(f"log {rec.name}", rec.getMessage() + (rec.exc_text or ""))

    # 4. The database files (the office's and the demo's).
    office.store.dispose()
    scan.add("office database", database_bytes(Path(db), tmp_path))
    scan.add("demo database", database_bytes(demo_db, tmp_path))

    with office.store.sessions() as s:
        stored = [repo.number_of(r) for r in s.query(Resident).all()]
        stored_codes = [repo.security_code_of(c) for c in s.query(Card).all()]
    from mynacard.db.store import Store
    from mynacard.services.context import Office

    demo_store = Store(str(demo_db))
    Office(store=demo_store, master_key=MASTER_KEY)  # the demo ran with MYNACARD_MASTER_KEY
    with demo_store.sessions() as s:
        stored += [repo.number_of(r) for r in s.query(Resident).all()]
        stored_codes += [repo.security_code_of(c) for c in s.query(Card).all()]
    demo_store.dispose()
    assert n1 in stored and n4 in stored and len(stored) >= 4
    made = [c for c in stored_codes if c is not None]
    assert len(made) >= 2 and set(made) <= set(SECURITY_CODES)  # the office's card and the demo's
    secrets = sorted(set(stored + typed)) + list(PINS.values()) + list(NEW_PINS.values()) + DEMO_PINS + made
    assert scan.found(secrets) == []
    # and the scan does see a number where one is (the lawful read's answer, and a clear column)
    control = Scan()
    control.add("lawful read", lawful.content)
    control.add("a store that kept numbers in clear", b"\x00\x17" + n4.encode() + b"\x00")
    control.add("a store that kept security codes in clear", b"\x00\x15" + made[0].encode() + b"\x00")
    assert len(control.found(secrets)) == 3
