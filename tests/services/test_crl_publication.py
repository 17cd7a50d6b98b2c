"""Publishing and serving CRLs (R_CERT_8): a current CRL is served from this process's copy of
its bytes, without a unit of work and without reading its bytes again; a status change makes a
new one; a delta CRL lists what changed after its base in its own scope only, whatever the
server's time zone, and shares its base's nextUpdate."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, timedelta

import pytest
from cryptography import x509
from sqlalchemy import event, insert, select, text

from mynacard.db import repositories as repo
from mynacard.db.models import Certificate, Event
from mynacard.services import certificates, pki
from mynacard.services.revocation import crls
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, new_resident

T1 = at("2025-06-01T10:00")
SCOPES = [(kind, scope, delta) for kind in ("sign", "auth") for scope in ("", NAKANOTO) for delta in (False, True)]


@contextmanager
def statements(office) -> Iterator[list[str]]:
    """The SQL statements run on the store while the block runs."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(office.store.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(office.store.engine, "before_cursor_execute", note)


def count_work(office, monkeypatch) -> list[str]:
    """The actors of the units of work the office opens from now on."""
    opened: list[str] = []
    real = office.work

    def work(*, at, actor):  # type: ignore[no-untyped-def]
        opened.append(actor)
        return real(at=at, actor=actor)

    monkeypatch.setattr(office, "work", work)
    return opened


def number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def reasons(crl: x509.CertificateRevocationList) -> dict[int, x509.ReasonFlags | None]:
    """Each entry's reasonCode (None: unspecified, which RFC 5280 5.3.1 leaves out)."""
    out: dict[int, x509.ReasonFlags | None] = {}
    for r in crl:
        try:
            out[r.serial_number] = r.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            out[r.serial_number] = None
    return out


def test_the_first_crl_of_a_new_ca_is_published_by_the_crl_publisher_R_CERT_8(office):
    crl = x509.load_der_x509_crl(crls.serve(office, "sign", "", False, at=T1))
    assert len(crl) == 0 and number(crl) == 1
    with office.store.session() as s:
        made = s.scalars(select(Event).where(Event.action == "ca_created")).all()
    assert [(e.actor, e.details["kind"]) for e in made] == [("crl", "sign")]


def test_a_current_crl_is_served_from_the_process_copy_until_a_status_changes_R_CERT_8(office, monkeypatch):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=T1, actor="t") as w:
        ca = {kind: pki.authority(w, kind).certificate for kind in ("sign", "auth")}
    published = {key: crls.serve(office, *key, at=T1) for key in SCOPES}
    for (kind, scope, delta), der in published.items():  # each CA counts its CRLs from 1
        crl = x509.load_der_x509_crl(der)
        assert crl.issuer == ca[kind].subject and crl.is_signature_valid(ca[kind].public_key())
        has = {type(e.value) for e in crl.extensions}
        assert (x509.DeltaCRLIndicator in has) == delta and (x509.IssuingDistributionPoint in has) == bool(scope)
        assert crl.last_update_utc == T1 and len(crl) == 0
    assert sorted(number(x509.load_der_x509_crl(published[k])) for k in SCOPES if k[0] == "sign") == [1, 2, 3, 4]
    assert sorted(number(x509.load_der_x509_crl(published[k])) for k in SCOPES if k[0] == "auth") == [1, 2, 3, 4]

    opened = count_work(office, monkeypatch)
    later = T1 + timedelta(hours=1)
    # read back by number (the two CAs have the same numbers): each its own bytes, no unit of work
    assert {key: crls.serve(office, *key, at=later) for key in SCOPES} == published
    assert opened == []

    with office.work(at=T1 + timedelta(hours=2), actor="t") as w:
        revoked = certificates.revoke(w, card_id, "sign").serial
    opened.clear()
    after = {key: crls.serve(office, *key, at=T1 + timedelta(hours=3)) for key in SCOPES}
    assert opened == ["crl"] * 4  # the CA's four CRLs listed (or missed) the change; the other's did not
    for key in SCOPES:
        crl = x509.load_der_x509_crl(after[key])
        if key[0] == "auth":
            assert after[key] == published[key]
        else:
            assert number(crl) > 4 and reasons(crl) == ({} if key[2] else {revoked: None})

    # now the numbers differ between the CAs; each CRL is read once, then its dates only
    opened.clear()
    for _ in range(2):
        with statements(office) as ran:
            assert {key: crls.serve(office, *key, at=T1 + timedelta(hours=4)) for key in SCOPES} == after
        assert opened == []
    assert len(ran) == len(SCOPES) and all("published_crls.der" not in s for s in ran)


def test_a_crl_is_never_served_dated_after_the_time_asked_R_CERT_8(office, monkeypatch):
    """A CRL published by another worker (a clock a minute ahead) between the look-up of the
    current CRL's dates and the read of its bytes is not served in its place."""
    crls.serve(office, "auth", "", False, at=T1)
    ahead = T1 + timedelta(minutes=1)
    done: list[bytes] = []

    def publish_meanwhile(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "published_crls.der" in statement and not done:
            done.append(b"")
            with office.work(at=ahead, actor="other worker") as w:  # a status changed: made again
                w.session.execute(text("UPDATE published_crls SET stale = :t"), {"t": True})
                done.append(crls.full_crl(w, "auth", ""))

    asked = T1 + timedelta(seconds=30)
    event.listen(office.store.engine, "before_cursor_execute", publish_meanwhile)
    try:
        crl = x509.load_der_x509_crl(crls.serve(office, "auth", "", False, at=asked))
    finally:
        event.remove(office.store.engine, "before_cursor_execute", publish_meanwhile)
    assert len(done) == 2, "the other worker did not publish"
    assert crl.last_update_utc <= asked


@pytest.fixture
def tokyo_time(monkeypatch):
    """The server's local time zone is Japan's."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
    assert os.environ.get("TZ") != "Asia/Tokyo"


def test_a_delta_crl_lists_the_changes_after_its_base_in_its_scope_R_CERT_8(office, tokyo_time):
    cards = {name: issued_card(office, new_resident(office, name=name, municipality_code=code))
             for name, code in (("能登 太郎", NAKANOTO), ("能登 花子", NAKANOTO), ("加賀 一郎", KANAZAWA))}
    with office.work(at=T1 - timedelta(hours=1), actor="t") as w:
        auth = {name: repo.latest_certificate(w.session, card, "auth") for name, card in cards.items()}
        pki.hold(w, auth["能登 花子"])
    serial = {name: c.serial for name, c in auth.items()}
    with office.work(at=T1, actor="t") as w:
        pki.revoke(w, w.session.get(Certificate, serial["能登 太郎"]), pki.RevocationReason.KEY_COMPROMISE)

    # the delta asked first, in the second of the last revocation: its base is published with it,
    # and what the base lists (a revocation in that very second) is not a change after it
    first = x509.load_der_x509_crl(crls.serve(office, "auth", NAKANOTO, True, at=T1))
    base = x509.load_der_x509_crl(crls.serve(office, "auth", NAKANOTO, False, at=T1))
    assert reasons(base) == {serial["能登 太郎"]: x509.ReasonFlags.key_compromise,
                             serial["能登 花子"]: x509.ReasonFlags.certificate_hold}
    assert len(first) == 0 and first.last_update_utc == base.last_update_utc == T1

    with office.work(at=T1 + timedelta(hours=1), actor="t") as w:
        pki.revoke(w, w.session.get(Certificate, serial["能登 花子"]), pki.RevocationReason.KEY_COMPROMISE)
        pki.revoke(w, w.session.get(Certificate, serial["加賀 一郎"]), pki.RevocationReason.KEY_COMPROMISE)
    asked = T1 + timedelta(hours=2)
    with statements(office) as ran:
        der = crls.serve(office, "auth", NAKANOTO, True, at=asked)
    delta = x509.load_der_x509_crl(der)
    # the hold of the base is listed again (revoked): nothing more is asked about the base's holds
    assert reasons(delta) == {serial["能登 花子"]: x509.ReasonFlags.key_compromise}
    assert [s for s in ran if "FROM certificates" in s and "certificates.serial IN" in s] == []
    assert delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number == number(base)
    assert delta.last_update_utc == asked and delta.next_update_utc == base.next_update_utc
    idp = delta.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    assert idp == base.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value

    # asked again in a unit of work while it is current: the same bytes, and no CRL number spent
    with office.work(at=asked + timedelta(minutes=1), actor="t") as w:
        assert crls.delta_crl(w, "auth", NAKANOTO) == der
        full = x509.load_der_x509_crl(crls.full_crl(w, "auth", NAKANOTO))  # its base changed: made again
    assert number(full) == number(delta) + 1


def test_a_delta_crl_lists_every_released_hold_of_a_large_base_R_CERT_8(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=T1 - timedelta(days=1), actor="t") as w:
        holder = repo.latest_certificate(w.session, card_id, "sign")
        assert holder is not None
        rows = [{"serial": 10**12 + i, "kind": "sign", "card_id": card_id, "resident_id": holder.resident_id,
                 "municipality_code": NAKANOTO, "status": "hold", "not_before": T1 - timedelta(days=30),
                 "expires_on": date(2030, 1, 1), "revoked_at": T1 - timedelta(days=1) + timedelta(seconds=i),
                 "reason": "certificate_hold", "der": b"\x00"} for i in range(501)]
        w.session.execute(insert(Certificate), rows)
    base = x509.load_der_x509_crl(crls.serve(office, "sign", "", False, at=T1))
    assert len(base) == 501
    with office.store.engine.begin() as conn:  # all released (a statement: the delta is made when asked)
        conn.execute(text("UPDATE certificates SET status = 'good', revoked_at = NULL, reason = NULL "
                          "WHERE kind = 'sign' AND status = 'hold'"))
    asked = T1 + timedelta(hours=1)
    delta = x509.load_der_x509_crl(crls.serve(office, "sign", "", True, at=asked))
    assert reasons(delta) == {r["serial"]: x509.ReasonFlags.remove_from_crl for r in rows}
    assert {r.revocation_date_utc for r in delta} == {asked.astimezone(UTC)}
