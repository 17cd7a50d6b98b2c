"""The export's CRL partitions (R_CERT_8): each municipality's file is its own partition, not a
copy of the full CRL. Written against the mutants that lived in ``services/export.py``."""

from __future__ import annotations

from cryptography import x509

from mynacard.db import repositories as repo
from mynacard.services import certificates, export
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, new_resident


def _sign_serial(office, card_id: str) -> int:
    with office.work(at=at("2026-01-01"), actor="reader") as w:
        return repo.current_certificate(w.session, card_id, "sign").serial


def test_each_municipalitys_crl_file_lists_only_its_own_revocations_R_CERT_8(office, tmp_path):
    noto = issued_card(office, new_resident(office))
    kanazawa = issued_card(office, new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA))
    serials = {NAKANOTO: _sign_serial(office, noto), KANAZAWA: _sign_serial(office, kanazawa)}
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        certificates.revoke(w, noto, "sign")
        certificates.revoke(w, kanazawa, "sign")
    out = tmp_path / "out"
    with office.work(at=at("2026-01-02"), actor="clerk") as w:
        export.export(w, out)

    full = x509.load_der_x509_crl((out / "crl" / "sign.crl").read_bytes())
    assert sorted(r.serial_number for r in full) == sorted(serials.values())
    for code, serial in serials.items():
        part = x509.load_der_x509_crl((out / "crl" / f"sign-{code}.crl").read_bytes())
        assert [r.serial_number for r in part] == [serial]
        idp = part.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
        assert [n.value for n in idp.full_name] == [f"http://127.0.0.1:8000/crl/sign/{code}.crl"]
