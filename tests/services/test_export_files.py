"""The export for relying parties (R_CERT_8): one file per CA, OCSP responder, CRL, certificate and
OCSP response, each the same as the office publishes, and the export in the event log."""

from __future__ import annotations

from datetime import date

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from mynacard.db import repositories as repo
from mynacard.services import certificates, export, pki, revocation
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, new_resident


def test_export_writes_every_ca_crl_certificate_and_ocsp_response_R_CERT_8(office, tmp_path):
    noto = issued_card(office, new_resident(office))
    child = new_resident(office, name="金沢 花子", sex="2", birth=date(2015, 3, 3), municipality_code=KANAZAWA)
    issued_card(office, child, legal_representative="金沢 太郎")  # under 15: no signing certificate
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        certificates.revoke(w, noto, "sign")
    out = tmp_path / "out"
    with office.work(at=at("2026-01-02"), actor="clerk") as w:
        report = export.export(w, out)
        rows = repo.certificates(w.session)
        cas = {k: pki.authority(w, k).certificate for k in ("sign", "auth")}
        responders = {k: revocation.responder(w, k).certificate for k in ("sign", "auth")}

    assert [p.name for p in report.ca] == ["sign.pem", "sign-ocsp.pem", "auth.pem", "auth-ocsp.pem"]
    for kind in ("sign", "auth"):
        assert x509.load_pem_x509_certificate((out / "ca" / f"{kind}.pem").read_bytes()) == cas[kind]
        assert x509.load_pem_x509_certificate((out / "ca" / f"{kind}-ocsp.pem").read_bytes()) == responders[kind]
    assert [p.name for p in report.crls] == [  # a partition per municipality with certificates of the kind
        "sign.crl", f"sign-{NAKANOTO}.crl", "auth.crl", f"auth-{KANAZAWA}.crl", f"auth-{NAKANOTO}.crl",
    ]
    assert all(p.parent == out / "crl" for p in report.crls)
    revoked = {kind: x509.load_der_x509_crl((out / "crl" / f"{kind}.crl").read_bytes()) for kind in ("sign", "auth")}
    sign_serial = next(r.serial for r in rows if r.card_id == noto and r.kind == "sign")
    assert revoked["sign"].get_revoked_certificate_by_serial_number(sign_serial) is not None
    assert len(revoked["auth"]) == 0
    scoped = x509.load_der_x509_crl((out / "crl" / f"auth-{KANAZAWA}.crl").read_bytes())
    assert len(scoped) == 0

    assert sorted(p.name for p in report.certs) == sorted(f"{r.kind}-{r.serial:x}.pem" for r in rows)
    assert sorted(p.name for p in report.ocsp) == sorted(f"{r.kind}-{r.serial:x}.der" for r in rows)
    assert len(rows) == 3
    for r in rows:
        name = f"{r.kind}-{r.serial:x}"
        cert = x509.load_pem_x509_certificate((out / "certs" / f"{name}.pem").read_bytes())
        assert cert.serial_number == r.serial and cert.public_bytes(Encoding.DER) == r.der
        answer = ocsp.load_der_ocsp_response((out / "ocsp" / f"{name}.der").read_bytes())
        assert answer.serial_number == r.serial
        expected = ocsp.OCSPCertStatus.REVOKED if r.serial == sign_serial else ocsp.OCSPCertStatus.GOOD
        assert answer.certificate_status == expected

    with office.work(at=at("2026-01-03"), actor="reader") as w:
        [event] = [e for e in repo.events(w.session) if e.action == "exported"]
        assert event.details == {"directory": str(out), "certificates": 3, "crls": 5}
    with office.work(at=at("2026-01-04"), actor="clerk") as w:  # again into the same folder: files replaced
        again = export.export(w, out)
    assert again.certs == report.certs and again.crls == report.crls
