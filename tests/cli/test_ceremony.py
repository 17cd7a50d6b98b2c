"""``mynacard ca ceremony`` with keys sealed in the store (the token case is in tests/hsm)."""

from __future__ import annotations

import base64
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from typer.testing import CliRunner

from mynacard.cli.main import app as cli


def test_ceremony_makes_both_cas_once_prints_fingerprints_and_audits_it(tmp_path):
    env = {"MYNACARD_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    db = str(tmp_path / "ca.db")
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", db, "--json", "--at", "2025-01-06T10:00", "ca", "ceremony"], env=env)
    assert res.exit_code == 0, res.output
    made = json.loads(res.stdout)
    assert [(m["kind"], m["key_store"]) for m in made] == [("sign", "sealed"), ("auth", "sealed")]
    assert runner.invoke(cli, ["--db", db, "export", str(tmp_path / "x")], env=env).exit_code == 0
    for m in made:
        cert = x509.load_pem_x509_certificate((tmp_path / "x" / "ca" / f"{m['kind']}.pem").read_bytes())
        assert cert.fingerprint(hashes.SHA256()).hex(":").upper() == m["sha256_fingerprint"]
    again = runner.invoke(cli, ["--db", db, "ca", "ceremony"], env=env)
    assert again.exit_code == 2 and "already exist" in again.output
    events = runner.invoke(cli, ["--db", db, "--json", "events"], env=env)
    assert [e for e in json.loads(events.stdout) if e["action"] == "ca_created"]
    verify = runner.invoke(cli, ["--db", db, "--json", "audit", "verify"], env=env)
    checked = json.loads(verify.stdout)
    assert checked["ok"] and checked["problems"] == []
    # The ceremony and the refused second one are in the chain, beside the CLI commands' entries.
    from mynacard import audit
    from mynacard.db.store import Store

    store = Store(db)
    with store.sessions() as s:
        ceremonies = audit.entries(s, action="ca.ceremony")
        assert sorted(e.target for e in ceremonies) == ["ca:auth", "ca:sign"]  # once each, not twice
    store.dispose()
