"""A delta CRL and the changes made in the very instant of its base (R_CERT_8). A frozen clock
(``serve --frozen``, the demo) publishes the base and revokes at one time; so may two units of
work within one microsecond. What the base lists as it is now is not listed again; what was
changed after the base was made, in that same instant, is on the delta, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509

from mynacard.db import repositories as repo
from mynacard.db.models import Certificate
from mynacard.services import pki
from mynacard.services.context import Office
from mynacard.services.revocation import crls
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, new_resident, pg_office, statements

T = at("2026-04-01T10:00")


def _reasons(crl: x509.CertificateRevocationList) -> dict[int, x509.ReasonFlags]:
    return {r.serial_number: r.extensions.get_extension_for_class(x509.CRLReason).value.reason for r in crl}


def _number(crl: x509.CertificateRevocationList, ext: type) -> int:
    return crl.extensions.get_extension_for_class(ext).value.crl_number


def _changes_in_the_instant_of_the_base(office: Office) -> None:
    names = ("同時 一郎", "同時 二郎", "同時 三郎", "同時 四郎", "同時 五郎", "同時 六郎")
    cards = [issued_card(office, new_resident(office, name=name)) for name in names]
    with office.work(at=T, actor="t") as w:
        get = lambda s: w.session.get(Certificate, s)  # noqa: E731
        before, unspecified, kept, after, held, then_revoked = (
            repo.latest_certificate(w.session, c, "auth").serial for c in cards)
        pki.revoke(w, get(before), pki.RevocationReason.KEY_COMPROMISE)
        pki.revoke(w, get(unspecified), pki.RevocationReason.UNSPECIFIED)  # an entry without a reasonCode
        pki.hold(w, get(kept))
        pki.hold(w, get(then_revoked))
    base = x509.load_der_x509_crl(crls.serve(office, "auth", NAKANOTO, False, at=T))
    assert {r.serial_number for r in base} == {before, unspecified, kept, then_revoked}
    with office.work(at=T, actor="t") as w:  # the same instant, after the base was made
        get = lambda s: w.session.get(Certificate, s)  # noqa: E731
        pki.revoke(w, get(after), pki.RevocationReason.KEY_COMPROMISE)
        pki.hold(w, get(held))
        pki.revoke(w, get(then_revoked), pki.RevocationReason.KEY_COMPROMISE)  # on hold in the base
    delta = x509.load_der_x509_crl(crls.serve(office, "auth", NAKANOTO, True, at=T))
    assert _number(delta, x509.DeltaCRLIndicator) == _number(base, x509.CRLNumber)
    assert _reasons(delta) == {after: x509.ReasonFlags.key_compromise, held: x509.ReasonFlags.certificate_hold,
                               then_revoked: x509.ReasonFlags.key_compromise}


def test_a_change_in_the_instant_of_the_base_is_on_the_delta_once_R_CERT_8(office):
    _changes_in_the_instant_of_the_base(office)


@pytest.mark.postgres
def test_postgresql_lists_a_change_in_the_instant_of_the_base_on_the_delta_once_R_CERT_8(pg_url):
    with pg_office(pg_url) as office:
        _changes_in_the_instant_of_the_base(office)


@pytest.mark.postgres
def test_postgresql_asks_nothing_more_of_a_hold_the_delta_lists_again_R_CERT_8(pg_url):
    """A hold of the base revoked since is on the delta as revoked; no certificate is looked up to
    tell whether that hold was released."""
    later = at("2026-05-01T10:00")
    with pg_office(pg_url, (KANAZAWA, "金沢市")) as office:  # a partition of its own
        card_id = issued_card(office, new_resident(office, name="保留 七郎", municipality_code=KANAZAWA))
        with office.work(at=later, actor="t") as w:
            cert = repo.latest_certificate(w.session, card_id, "auth")
            pki.hold(w, cert)
            serial = cert.serial
        base = x509.load_der_x509_crl(crls.serve(office, "auth", KANAZAWA, False, at=later + timedelta(minutes=1)))
        entry = base.get_revoked_certificate_by_serial_number(serial)
        assert entry is not None
        assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
            x509.ReasonFlags.certificate_hold)
        with office.work(at=later + timedelta(hours=1), actor="t") as w:
            pki.revoke(w, w.session.get(Certificate, serial), pki.RevocationReason.KEY_COMPROMISE)
        with statements(office) as ran:
            delta = x509.load_der_x509_crl(crls.serve(office, "auth", KANAZAWA, True, at=later + timedelta(hours=2)))
        assert _reasons(delta) == {serial: x509.ReasonFlags.key_compromise}
        assert [s for s in ran if "FROM certificates" in s and "certificates.serial IN" in s] == []


def test_a_hold_released_and_put_again_after_the_base_is_on_the_delta_with_its_new_date_R_CERT_8(office):
    card_id = issued_card(office, new_resident(office, name="再保留 花子"))
    with office.work(at=T, actor="t") as w:
        cert = repo.latest_certificate(w.session, card_id, "auth")
        serial = cert.serial
        pki.hold(w, cert)
    base = x509.load_der_x509_crl(crls.serve(office, "auth", NAKANOTO, False, at=T + timedelta(minutes=1)))
    assert _reasons(base) == {serial: x509.ReasonFlags.certificate_hold}
    with office.work(at=T + timedelta(hours=1), actor="t") as w:
        pki.release(w, w.session.get(Certificate, serial))
    with office.work(at=T + timedelta(hours=2), actor="t") as w:
        pki.hold(w, w.session.get(Certificate, serial))
    delta = x509.load_der_x509_crl(crls.serve(office, "auth", NAKANOTO, True, at=T + timedelta(hours=3)))
    assert _reasons(delta) == {serial: x509.ReasonFlags.certificate_hold}
    [entry] = list(delta)
    assert entry.revocation_date_utc == T + timedelta(hours=2)
