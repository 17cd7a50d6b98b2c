"""``mynacard verify FILE``: the verdict, exit code 0 when valid and 1 when not; ``mynacard rp``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mynacard.cli.main import app
from tests.verify.conftest import LATER, SIGNED, Signer, move

runner = CliRunner()


def test_verify_command(tmp_path) -> None:
    db = str(tmp_path / "town.db")
    env = {"MYNACARD_DB": db}
    from mynacard.cli.app import Options

    office = Options(db=db, at=None, json=False, actor="t", base_url="http://127.0.0.1:8000").office()
    from mynacard.services.vcard import issue_demo_card
    from tests.verify.conftest import AT

    card_id = issue_demo_card(office, AT)
    signer = Signer(office, card_id)
    p7s, doc = signer.sign("cms-detached")
    stamped, _ = signer.sign("xades", ts=SIGNED)
    (tmp_path / "doc.txt").write_bytes(doc or b"")
    (tmp_path / "doc.p7s").write_bytes(p7s)
    (tmp_path / "filing.xml").write_bytes(stamped)
    (tmp_path / "junk.bin").write_bytes(b"\x00junk")

    at = ["--at", SIGNED.strftime("%Y-%m-%dT%H:%M")]
    r = runner.invoke(
        app, [*at, "--json", "verify", str(tmp_path / "doc.p7s"), "--content", str(tmp_path / "doc.txt")], env=env
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["status"] == "valid" and out["signer"]["birth_date"] == "1990-06-15"

    r = runner.invoke(app, [*at, "verify", str(tmp_path / "junk.bin")], env=env)
    assert r.exit_code == 1 and "malformed" in r.output

    move(office, card_id)
    later = ["--at", LATER.strftime("%Y-%m-%dT%H:%M")]
    r = runner.invoke(
        app, [*later, "verify", str(tmp_path / "doc.p7s"), "--content", str(tmp_path / "doc.txt")], env=env
    )
    assert r.exit_code == 1 and "revoked" in r.output and "affiliation_changed" in r.output
    r = runner.invoke(app, [*later, "verify", str(tmp_path / "filing.xml")], env=env)
    assert r.exit_code == 0 and "timestamp" in r.output
    office.store.dispose()


def test_rp_register_and_list(tmp_path) -> None:
    env = {"MYNACARD_DB": str(tmp_path / "rp.db")}
    r = runner.invoke(
        app, ["--json", "rp", "register", "e-Tax (sandbox)", "--webhook", "http://127.0.0.1:9/h"], env=env
    )
    assert r.exit_code == 0, r.output
    reg = json.loads(r.output)
    assert reg["client_id"].startswith("rp-") and len(reg["secret"]) >= 40 and reg["webhook_secret"]
    r = runner.invoke(app, ["--json", "rp", "list"], env=env)
    assert [p["client_id"] for p in json.loads(r.output)] == [reg["client_id"]]
    assert "secret" not in r.output
    r = runner.invoke(app, ["rp", "register", "x", "--webhook", "ftp://nope"], env=env)
    assert r.exit_code == 2 and "webhook" in r.output.lower()
