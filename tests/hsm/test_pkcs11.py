"""CA and OCSP signing keys in a PKCS#11 token (SoftHSM2): the ceremony, then certificates,
CRLs and OCSP responses signed inside the token, verified with the public keys alone."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from typer.testing import CliRunner

from mynacard import audit, hsm
from mynacard.ca import CertStatus as OcspStatus
from mynacard.cli.main import app as cli
from mynacard.db import repositories as repo
from mynacard.db.models import Certificate
from mynacard.db.staff import AuditEntry, OcspResponder
from mynacard.errors import ConfigError, StateError
from mynacard.services import pki
from mynacard.services.ceremony import ceremony, fingerprint
from mynacard.services.revocation import crls
from mynacard.services.revocation.responders import responder
from tests.services.conftest import at, issued_card, new_resident


def _token_attrs(uri: str):
    import pkcs11

    key = hsm.signer(uri)
    return key._private[pkcs11.Attribute.SENSITIVE], key._private[pkcs11.Attribute.EXTRACTABLE]


def test_ceremony_keys_stay_in_the_token_and_sign_everything(softhsm, office):
    _, token_label, _ = softhsm
    with office.work(at=at("2025-01-06T10:00"), actor="ceremony") as w:
        made = ceremony(w, token=hsm.open_token(token_label))
    assert [m.kind for m in made] == ["sign", "auth"]
    with office.work(at=at("2025-01-06T10:05"), actor="check") as w:
        for m in made:
            row = repo.ca_row(w.session, m.kind)
            assert row.sealed_key == b"" and row.key_ref == m.key_store and m.key_store.startswith("pkcs11:")
            assert fingerprint(row.certificate_der) == m.fingerprint
            # generated inside, marked sensitive and never extractable
            assert _token_attrs(row.key_ref) == (True, False)

    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2025-06-01"), actor="check") as w:
        certs = w.session.scalars(select(Certificate).where(Certificate.card_id == card_id)).all()
        assert {c.kind for c in certs} == {"sign", "auth"}
        for c in certs:
            ca_cert = pki.authority(w, c.kind).certificate
            leaf = x509.load_der_x509_certificate(c.der)
            leaf.verify_directly_issued_by(ca_cert)  # raises if the token's signature is wrong
            crl = x509.load_der_x509_crl(crls.full_crl(w, c.kind))
            assert crl.is_signature_valid(ca_cert.public_key())
            # the delegated responder's key is made in the same token, its certificate by the CA
            r = responder(w, c.kind)
            assert isinstance(r.key, hsm.TokenKey)
            r.certificate.verify_directly_issued_by(ca_cert)
            resp = pki.authority(w, c.kind).build_ocsp_response(
                leaf, OcspStatus("good"), at=w.at, responder_certificate=r.certificate, responder_key=r.key
            )
            r.certificate.public_key().verify(
                resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256()
            )
            row = w.session.get(OcspResponder, c.kind)
            assert row.sealed_key == b"" and row.key_ref.startswith("pkcs11:")
    n, problems = audit.verify(office.store)
    assert problems == [] and n == 2


def test_a_second_ceremony_is_refused(softhsm, office):
    _, token_label, _ = softhsm
    with office.work(at=at("2025-01-06T10:00"), actor="ceremony") as w:
        ceremony(w, token=hsm.open_token(token_label))
    with pytest.raises(StateError, match="already exist"), office.work(at=at("2025-01-07"), actor="x") as w:
        ceremony(w, token=hsm.open_token(token_label))


def test_cli_ceremony_prints_fingerprints_and_records_it(softhsm, tmp_path, monkeypatch):
    module, token_label, _pin = softhsm
    db = str(tmp_path / "ca.db")
    monkeypatch.setenv("MYNACARD_MASTER_KEY", base64.b64encode(b"k" * 32).decode())
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", db, "--json", "--at", "2025-01-06T10:00", "ca", "ceremony",
                              "--token", token_label, "--module", module])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [r["kind"] for r in out] == ["sign", "auth"]
    exported = runner.invoke(cli, ["--db", db, "--at", "2025-01-06T11:00", "export", str(tmp_path / "x")])
    assert exported.exit_code == 0, exported.output
    for r in out:
        pem = (tmp_path / "x" / "ca" / f"{r['kind']}.pem").read_bytes()
        assert fingerprint(x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)) == r["sha256_fingerprint"]
    again = runner.invoke(cli, ["--db", db, "ca", "ceremony", "--token", token_label])
    assert again.exit_code == 2 and "already exist" in again.output
    ok = runner.invoke(cli, ["--db", db, "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    from mynacard.db.store import Store

    store = Store(db)
    with store.sessions() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "ca.ceremony")).all()
        assert [(e.target, e.details["fingerprint"]) for e in rows] == [
            (f"ca:{r['kind']}", r["sha256_fingerprint"]) for r in out
        ]
    store.dispose()


def test_a_token_key_without_its_configuration_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("MYNACARD_PKCS11_MODULE", raising=False)
    with pytest.raises(ConfigError, match="MYNACARD_PKCS11_MODULE"):
        hsm.signer("pkcs11:token=elsewhere;object=mynacard-sign-ca-00;type=private")


def test_key_uri_round_trip():
    ref = hsm.KeyRef("my token;1", "mynacard-sign-ca-ab")
    assert hsm.KeyRef.parse(ref.uri) == ref
    with pytest.raises(ValueError):
        hsm.KeyRef.parse("file:/tmp/key")
