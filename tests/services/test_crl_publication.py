"""Publishing and serving CRLs (R_CERT_8): a current CRL is served from this process's copy of
its bytes, without a unit of work and without reading its bytes again; a status change makes a
new one; a delta CRL lists what changed after its base in its own scope only, whatever the
server's time zone, and shares its base's nextUpdate."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from sqlalchemy import event, insert, select, text

from mynacard.ca.crl import DEFAULT_CRL_LIFETIME
from mynacard.db import repositories as repo
from mynacard.db.models import Certificate, Event
from mynacard.services import certificates, pki
from mynacard.services.revocation import crls
from tests.services.conftest import KANAZAWA, NAKANOTO, at, count_work, issued_card, new_resident, statements

T1 = at("2025-06-01T10:00")
SCOPES = [(kind, scope, delta) for kind in ("sign", "auth") for scope in ("", NAKANOTO) for delta in (False, True)]


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


def test_a_delta_crl_against_a_base_already_past_its_next_update_is_still_current_R_CERT_8(office, monkeypatch):
    """The base the delta is made against is read again under the CA's lock: published meanwhile
    by a worker whose clock is a day behind, it is past its nextUpdate; the delta is not."""
    crls.serve(office, "auth", "", True, at=T1)
    with office.work(at=T1, actor="t") as w:  # the delta is made again when next asked
        w.session.execute(text("UPDATE published_crls SET stale = :t WHERE delta = :t"), {"t": True})
    asked = T1 + timedelta(hours=2)
    behind = asked - DEFAULT_CRL_LIFETIME
    real, meanwhile = pki.next_crl_number, []

    def next_number(w, kind):  # type: ignore[no-untyped-def]
        if not meanwhile:
            meanwhile.append(kind)
            with office.work(at=behind, actor="other worker") as other:
                meanwhile.append(x509.load_der_x509_crl(crls.full_crl(other, kind, "")))
        return real(w, kind)

    monkeypatch.setattr(pki, "next_crl_number", next_number)
    delta = x509.load_der_x509_crl(crls.serve(office, "auth", "", True, at=asked))
    base = meanwhile[1]
    assert base.last_update_utc == behind and base.next_update_utc == asked
    assert delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number == number(base)
    assert delta.last_update_utc == asked and delta.next_update_utc == asked + DEFAULT_CRL_LIFETIME


@pytest.mark.postgres
def test_postgresql_encodes_the_entries_itself_and_sends_them_in_batches_R_CERT_8(pg_url, monkeypatch):
    import psycopg

    from mynacard.db.store import Store
    from mynacard.services import cards, residents
    from mynacard.services.context import Office
    from tests.keypool import pooled_key
    from tests.services.conftest import MASTER_KEY

    store = Store(pg_url)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with office.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
        residents.add_municipality(w, KANAZAWA, "金沢市", "石川県")
    resident_id = new_resident(office)
    with office.work(at=at("2025-04-01"), actor="clerk") as w:  # the card the certificates hang on
        card_id = cards.apply(w, resident_id, kind="new", channel="online").card.id
    when = at("2026-04-01T10:00")
    listed = {  # serial: (status, reason, revocation time, municipality, expiry)
        2**158 + 1: ("revoked", "key_compromise", datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC), NAKANOTO, None),
        255: ("hold", "certificate_hold", datetime(2026, 3, 2, tzinfo=UTC), NAKANOTO, None),
        256: ("revoked", "unspecified", datetime(2026, 3, 3, tzinfo=UTC), KANAZAWA, None),
        127: ("revoked", "affiliation_changed", datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC), KANAZAWA, None),
        128: ("good", None, None, NAKANOTO, None),
        129: ("revoked", "key_compromise", datetime(2026, 3, 3, tzinfo=UTC), NAKANOTO, date(2026, 3, 31)),
    }
    with office.work(at=when, actor="t") as w:
        w.session.execute(insert(Certificate), [
            {"serial": s, "kind": "sign", "card_id": card_id, "resident_id": resident_id,
             "municipality_code": code, "status": status, "not_before": when - timedelta(days=400),
             "expires_on": expiry or date(2030, 1, 1), "revoked_at": t, "reason": reason, "der": b"\x00"}
            for s, (status, reason, t, code, expiry) in listed.items()])
    fetched: list[int] = []
    real = psycopg.ServerCursor.fetchmany

    def fetchmany(self, size=0):  # type: ignore[no-untyped-def]
        rows = real(self, size)
        fetched.append(len(rows))
        return rows

    monkeypatch.setattr(psycopg.ServerCursor, "fetchmany", fetchmany)
    try:
        whole = x509.load_der_x509_crl(crls.serve(office, "sign", "", False, at=when))
        assert fetched == [4, 0]  # the four listed in one batch, then the end
        assert {r.serial_number: r.revocation_date_utc for r in whole} == {
            s: v[2] for s, v in listed.items() if v[0] != "good" and v[4] is None}
        assert reasons(whole) == {2**158 + 1: x509.ReasonFlags.key_compromise, 255: x509.ReasonFlags.certificate_hold,
                                  256: None, 127: x509.ReasonFlags.affiliation_changed}
        mine = x509.load_der_x509_crl(crls.serve(office, "sign", NAKANOTO, False, at=when))
        assert reasons(mine) == {2**158 + 1: x509.ReasonFlags.key_compromise, 255: x509.ReasonFlags.certificate_hold}
        later = when + timedelta(hours=1)
        with office.store.engine.begin() as conn:  # revoked and released after the base, by statements
            conn.execute(text("UPDATE certificates SET status = 'revoked', reason = 'superseded', revoked_at = :t "
                              "WHERE serial = '128'"), {"t": later.astimezone(UTC).replace(tzinfo=None)})
            conn.execute(text("UPDATE certificates SET status = 'good', reason = NULL, revoked_at = NULL "
                              "WHERE serial = '255'"))
        delta = x509.load_der_x509_crl(crls.serve(office, "sign", NAKANOTO, True, at=later + timedelta(minutes=1)))
        assert reasons(delta) == {128: x509.ReasonFlags.superseded, 255: x509.ReasonFlags.remove_from_crl}
        assert delta.get_revoked_certificate_by_serial_number(128).revocation_date_utc == later
    finally:
        store.dispose()
