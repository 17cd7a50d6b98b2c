"""The OCSP refresher (R_CERT_8), called directly: which pre-signed responses it signs again (old
ones, ones whose status is stale, ones produced after the time it runs at, and with ``missing``
the certificates that have none), what it counts, and that what it signs is current. Written
against the mutants of ``services/revocation/refresh.py``."""

from __future__ import annotations

from datetime import timedelta

from cryptography.x509 import ocsp
from sqlalchemy import text

from mynacard.db import repositories as repo
from mynacard.db.models import Certificate
from mynacard.db.staff import OcspCacheEntry
from mynacard.services.revocation.ocsp import sign_response
from mynacard.services.revocation.refresh import Refreshed, refresh
from tests.services.conftest import at, issued_card, new_resident

T0 = at("2025-06-01T10:00")


def _serials(office, card_id: str) -> dict[str, int]:
    with office.work(at=T0, actor="reader") as w:
        return {c.kind: c.serial for c in repo.certificates_of_card(w.session, card_id)}


def _sign(office, serial: int, when) -> None:
    with office.work(at=when, actor="responder") as w:
        sign_response(w, repo.certificate(w.session, serial))


def _entries(office) -> dict[int, OcspCacheEntry]:
    with office.store.session() as s:
        found = {int(e.serial): e for e in s.query(OcspCacheEntry)}
        s.expunge_all()
        return found


def _hold(office, serial: int) -> None:
    """A status changed behind the responder's back (plain SQL): its stored response is stale."""
    with office.store.session() as s:
        cert = s.get(Certificate, serial)
        cert.status, cert.revoked_at = "hold", T0
        s.commit()


def test_the_refresher_signs_again_what_is_old_stale_or_from_the_future_R_CERT_8(office):
    one = _serials(office, issued_card(office, new_resident(office)))
    two = _serials(office, issued_card(office, new_resident(office, name="能登 花子", sex="2")))
    now = T0 + timedelta(hours=18)  # six hours before the nextUpdate of what was signed at T0
    old, recent, stale, future = one["auth"], one["sign"], two["auth"], two["sign"]
    _sign(office, old, T0)  # nextUpdate T0+24h: due exactly now
    _sign(office, recent, now)  # signed at the very time the refresher runs: not due
    _sign(office, stale, T0 + timedelta(hours=1))  # not old, but says "good" for a held certificate
    _sign(office, future, T0 + timedelta(hours=20))  # produced after ``now`` (a clock set back)
    _hold(office, stale)
    recent_der = _entries(office)[recent].der

    assert refresh(office, at=now, batch=2) == Refreshed(signed=3, missing=0, pruned=0)
    after = _entries(office)
    assert {s for s, e in after.items() if e.produced_at == now} == {old, recent, stale, future}
    assert after[recent].der == recent_der  # not signed again
    assert after[stale].status == "hold"
    assert ocsp.load_der_ocsp_response(after[stale].der).certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert ocsp.load_der_ocsp_response(after[old].der).certificate_status == ocsp.OCSPCertStatus.GOOD
    assert all(e.next_update == now + timedelta(days=1) for e in after.values())


def test_an_hour_earlier_nothing_is_due_R_CERT_8(office):
    serials = _serials(office, issued_card(office, new_resident(office)))
    for s in serials.values():
        _sign(office, s, T0)
    before = _entries(office)
    assert refresh(office, at=T0 + timedelta(hours=17, minutes=59)) == Refreshed()
    assert {s: e.der for s, e in _entries(office).items()} == {s: e.der for s, e in before.items()}


def test_missing_responses_are_signed_only_when_asked_and_counted_apart_R_CERT_8(office):
    serials = _serials(office, issued_card(office, new_resident(office)))
    _sign(office, serials["auth"], T0)
    now = T0 + timedelta(hours=19)  # the auth response is due
    later = now + timedelta(minutes=1)

    assert refresh(office, at=now) == Refreshed(signed=1, missing=0, pruned=0)
    assert set(_entries(office)) == {serials["auth"]}  # the signing certificate still has none

    _sign(office, serials["auth"], T0)  # old again
    assert refresh(office, at=later, missing=True) == Refreshed(signed=1, missing=1, pruned=0)
    after = _entries(office)
    assert set(after) == {serials["auth"], serials["sign"]}
    assert {e.produced_at for e in after.values()} == {later}
    assert ocsp.load_der_ocsp_response(after[serials["sign"]].der).certificate_status == ocsp.OCSPCertStatus.GOOD
    assert refresh(office, at=later, missing=True) == Refreshed()


def test_the_refresher_prunes_the_change_log(office, monkeypatch):
    from mynacard.services.revocation import cache

    serial = _serials(office, issued_card(office, new_resident(office)))["auth"]
    for _ in range(2):
        _hold(office, serial)
        with office.store.engine.begin() as conn:
            conn.execute(text("UPDATE certificates SET status='good' WHERE serial=:s"), {"s": str(serial)})
    monkeypatch.setattr(cache, "KEEP_CHANGES", 1)
    assert refresh(office, at=T0).pruned == 3


def test_a_responder_the_refresher_has_to_make_is_logged_as_its_work_R_CERT_8(office):
    issued_card(office, new_resident(office))
    now = T0 + timedelta(hours=3)
    assert refresh(office, at=now, missing=True) == Refreshed(signed=0, missing=2, pruned=0)
    with office.work(at=now, actor="reader") as w:
        made = [(e.details["kind"], e.actor, e.at) for e in repo.events(w.session)
                if e.action == "ocsp_responder_issued"]
    assert sorted(made) == [("auth", "ocsp-refresh", now), ("sign", "ocsp-refresh", now)]
