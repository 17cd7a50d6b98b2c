"""CRLs encoded from the store in bulk (R_CERT_8): the streamed CRL lists what cryptography's own
builder lists over the same certificates, for the whole CA and for one municipality's partition;
openssl verifies it; a delta CRL lists exactly what changed since its base; the CRLs are served
from their stored bytes."""

from __future__ import annotations

import random
import subprocess
from datetime import UTC, date, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from mynacard.ca import CertRequest
from mynacard.db.models import Certificate
from mynacard.db.staff import PublishedCrl
from mynacard.services import pki
from mynacard.services.revocation import crls
from tests.keypool import pooled_key
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, new_resident

REASONS = ["key_compromise", "affiliation_changed", "superseded", "cessation_of_operation", "unspecified", None]
WHEN = at("2026-04-01T10:00")


def _fill(office, n: int = 240) -> str:
    """n certificates of both CAs and two municipalities, every status, some expired, one revoked
    time past 2049 (GeneralizedTime); returns the card they hang on."""
    card_id = issued_card(office, new_resident(office))
    rng = random.Random(7)
    key = pooled_key()
    with office.work(at=WHEN - timedelta(days=1), actor="t") as w:
        holder = w.session.scalars(select(Certificate).where(Certificate.card_id == card_id)).first()
        assert holder is not None
        auth = pki.authority(w, "auth")
        for i in range(n):
            kind = "sign" if i % 3 == 2 else "auth"
            # the authentication certificates are real (a status change signs their OCSP response);
            # the signing ones only need a serial (nothing here changes their status)
            der, serial = b"\x00", rng.randrange(1, 2**159)
            if kind == "auth":
                cert = auth.issue(CertRequest(public_key=key.public_key(), not_before=WHEN - timedelta(days=1),
                                              expires_on=date(2030, 6, 15), municipality_code=NAKANOTO),
                                  at=WHEN - timedelta(days=1))
                der, serial = cert.public_bytes(Encoding.DER), cert.serial_number
            status = ["good", "revoked", "hold", "revoked"][i % 4]
            revoked = None if status == "good" else datetime(2026, 3, 1, tzinfo=UTC) - timedelta(
                seconds=rng.randrange(10**7))
            if i == 5:
                revoked = datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)
            w.session.add(Certificate(
                serial=serial, kind=kind, card_id=card_id,
                resident_id=holder.resident_id, municipality_code=rng.choice([NAKANOTO, KANAZAWA]), status=status,
                not_before=WHEN - timedelta(days=400),
                expires_on=date(2026, 3, 1) if i % 10 == 9 else date(2030, 6, 15),
                revoked_at=revoked,
                reason="certificate_hold" if status == "hold" else REASONS[i % len(REASONS)] if revoked else None,
                der=der))
    return card_id


def _expected(office, kind: str, scope: str) -> x509.CertificateRevocationList:
    """cryptography's builder over the same certificates, chosen and mapped here on their own."""
    from cryptography.hazmat.primitives import hashes

    with office.work(at=WHEN, actor="t") as w:
        ca = pki.authority(w, kind)
        rows = w.session.scalars(select(Certificate).where(Certificate.kind == kind)).all()
        b = x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject).last_update(
            WHEN).next_update(WHEN + timedelta(days=1))
        for c in rows:
            if c.status not in ("revoked", "hold") or c.expires_on < date(2026, 4, 1):
                continue
            if scope and c.municipality_code != scope:
                continue
            e = x509.RevokedCertificateBuilder().serial_number(c.serial).revocation_date(c.revoked_at)
            flag = x509.ReasonFlags.certificate_hold if c.status == "hold" else (
                None if c.reason is None else pki.REASON_FLAGS[pki.RevocationReason(c.reason)])
            if flag is not None:
                e = e.add_extension(x509.CRLReason(flag), critical=False)
            b = b.add_revoked_certificate(e.build())
        return b.sign(ca._key, hashes.SHA256())


def _content(crl: x509.CertificateRevocationList) -> set[tuple[int, datetime, object]]:
    out = set()
    for r in crl:
        try:
            reason = r.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = None
        out.add((r.serial_number, r.revocation_date_utc, reason))
    return out


def test_the_streamed_crl_lists_what_cryptography_lists_and_openssl_verifies_it_R_CERT_8(office, tmp_path):
    _fill(office)
    for kind, scope in (("sign", ""), ("auth", ""), ("sign", KANAZAWA), ("auth", NAKANOTO)):
        with office.work(at=WHEN, actor="t") as w:
            der = crls.full_crl(w, kind, scope)
            ca = pki.authority(w, kind).certificate
        ours = x509.load_der_x509_crl(der)
        theirs = _expected(office, kind, scope)
        assert len(ours) == len(theirs) > 10
        assert _content(ours) == _content(theirs), (kind, scope)
        assert ours.issuer == theirs.issuer and ours.is_signature_valid(ca.public_key())
        idp = ours.extensions.get_extension_for_class(x509.IssuingDistributionPoint) if scope else None
        assert (idp is not None) == bool(scope)
        (tmp_path / "crl.der").write_bytes(der)
        (tmp_path / "ca.pem").write_bytes(ca.public_bytes(Encoding.PEM))
        out = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"), "-CAfile",
                              str(tmp_path / "ca.pem"), "-noout", "-text"], capture_output=True, text=True)
        assert "verify OK" in out.stderr + out.stdout, out.stderr
        assert out.stdout.count("Serial Number:") == len(theirs)
        if (kind, scope) == ("sign", ""):  # a time past 2049 is a GeneralizedTime, read back the same
            assert datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC) in {r.revocation_date_utc for r in ours}


def test_a_delta_crl_lists_exactly_the_changes_since_its_base_R_CERT_8(office):
    card_id = _fill(office)
    with office.work(at=WHEN, actor="t") as w:
        base = x509.load_der_x509_crl(crls.full_crl(w, "auth", NAKANOTO))
        mine = w.session.scalars(select(Certificate).where(
            Certificate.kind == "auth", Certificate.municipality_code == NAKANOTO,
            Certificate.expires_on > date(2027, 1, 1))).all()
        goods = [c.serial for c in mine if c.status == "good"]
        holds = [c.serial for c in mine if c.status == "hold"]
    assert len(goods) >= 2 and len(holds) >= 2
    later = WHEN + timedelta(hours=2)
    with office.work(at=later, actor="t") as w:
        get = lambda s: w.session.get(Certificate, s)  # noqa: E731
        pki.revoke(w, get(goods[0]), pki.RevocationReason.KEY_COMPROMISE)
        pki.hold(w, get(goods[1]))
        pki.release(w, get(holds[0]))
        pki.revoke(w, get(holds[1]), pki.RevocationReason.KEY_COMPROMISE)
    delta = x509.load_der_x509_crl(crls.serve(office, "auth", NAKANOTO, True, at=later + timedelta(minutes=5)))
    assert delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number == (
        base.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
    got = {r.serial_number: r.extensions.get_extension_for_class(x509.CRLReason).value.reason for r in delta}
    assert got == {
        goods[0]: x509.ReasonFlags.key_compromise,
        goods[1]: x509.ReasonFlags.certificate_hold,
        holds[0]: x509.ReasonFlags.remove_from_crl,
        holds[1]: x509.ReasonFlags.key_compromise,
    }
    _ = card_id


def test_a_published_crl_is_served_from_its_stored_bytes_until_a_status_changes_R_CERT_8(office):
    _fill(office, 40)
    first = crls.serve(office, "auth", KANAZAWA, False, at=WHEN)
    with office.store.session() as s:
        row = s.get(PublishedCrl, ("auth", KANAZAWA, False))
        assert row is not None and row.der == first
    # an hour later the same bytes (built again, its thisUpdate and number would differ)
    assert crls.serve(office, "auth", KANAZAWA, False, at=WHEN + timedelta(hours=1)) == first
    with office.work(at=WHEN + timedelta(hours=2), actor="t") as w:
        good = w.session.scalars(select(Certificate).where(
            Certificate.kind == "auth", Certificate.municipality_code == KANAZAWA, Certificate.status == "good",
            Certificate.expires_on > date(2027, 1, 1))).first()
        assert good is not None
        pki.revoke(w, good, pki.RevocationReason.KEY_COMPROMISE)
    after = x509.load_der_x509_crl(crls.serve(office, "auth", KANAZAWA, False, at=WHEN + timedelta(hours=3)))
    assert after.get_revoked_certificate_by_serial_number(good.serial) is not None
    number = lambda c: c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number  # noqa: E731
    assert number(after) > number(x509.load_der_x509_crl(first))

