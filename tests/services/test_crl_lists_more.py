"""Publishing CRLs (R_CERT_8), continued: a current full CRL asked again costs no CRL number; a
full CRL names where its delta CRLs are; a new full CRL makes its own scope's delta CRL again and
no other; a delta CRL is asked for without a scope; a delta CRL asked at its base's nextUpdate is
made against a new base; the bytes of a published CRL are read only when it is served; released
holds are each listed once; PostgreSQL lists a hold placed after the base in the delta CRL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from cryptography import x509
from sqlalchemy import insert, text

from mynacard.ca.crl import DEFAULT_CRL_LIFETIME
from mynacard.db import repositories as repo
from mynacard.db.models import Certificate
from mynacard.services import pki
from mynacard.services.revocation import crls
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, new_resident, pg_office, statements

T1 = at("2025-06-01T10:00")
SCOPES = [(kind, scope, delta) for kind in ("sign", "auth") for scope in ("", NAKANOTO) for delta in (False, True)]


def number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def base_of(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number


def load(der: bytes) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(der)


def test_a_current_full_crl_asked_again_spends_no_crl_number_R_CERT_8(office):
    with office.work(at=T1, actor="t") as w:
        first = crls.full_crl(w, "sign", NAKANOTO)
    for minutes in (10, 20):
        with office.work(at=T1 + timedelta(minutes=minutes), actor="t") as w:
            assert crls.full_crl(w, "sign", NAKANOTO) == first
    with office.work(at=T1 + timedelta(minutes=30), actor="t") as w:
        delta = load(crls.delta_crl(w, "sign", NAKANOTO))
    assert number(load(first)) == 1
    assert (number(delta), base_of(delta)) == (2, 1)  # the CA's next number: none was spent meanwhile


def test_a_full_crl_names_where_its_delta_crls_are_published_R_CERT_8(office):
    with office.work(at=T1, actor="t") as w:
        whole, mine = load(crls.full_crl(w, "auth")), load(crls.full_crl(w, "auth", KANAZAWA))
        delta = load(crls.delta_crl(w, "auth", KANAZAWA))

    def freshest(crl: x509.CertificateRevocationList) -> list[str]:
        points = crl.extensions.get_extension_for_class(x509.FreshestCRL).value
        return [name.value for p in points for name in p.full_name]

    assert freshest(whole) == ["http://127.0.0.1:8000/crl/auth-delta.crl"]
    assert freshest(mine) == [f"http://127.0.0.1:8000/crl/auth/{KANAZAWA}-delta.crl"]
    with pytest.raises(x509.ExtensionNotFound):  # a delta CRL does not point at itself
        delta.extensions.get_extension_for_class(x509.FreshestCRL)


def test_a_new_full_crl_makes_its_own_delta_crl_again_and_no_other_R_CERT_8(office):
    published = {key: crls.serve(office, *key, at=T1) for key in SCOPES}
    with office.store.engine.begin() as conn:  # the CA-wide signing CRL alone is to be made again
        conn.execute(text("UPDATE published_crls SET stale = :t WHERE kind = 'sign' AND scope = '' AND delta = :f"),
                     {"t": True, "f": False})
    later = T1 + timedelta(hours=1)
    base = load(crls.serve(office, "sign", "", False, at=later))
    assert number(base) == 5
    after = {key: crls.serve(office, *key, at=later + timedelta(minutes=1)) for key in SCOPES}
    delta = load(after[("sign", "", True)])
    assert (number(delta), base_of(delta)) == (6, 5)
    assert delta.last_update_utc == later + timedelta(minutes=1)
    others = [k for k in SCOPES if k[:2] != ("sign", "")]
    assert {k: after[k] for k in others} == {k: published[k] for k in others}


def test_a_delta_crl_asked_without_a_scope_is_the_ca_wide_one_R_CERT_8(office):
    with office.work(at=T1, actor="t") as w:
        delta = crls.delta_crl(w, "auth")
    assert crls.serve(office, "auth", "", True, at=T1 + timedelta(minutes=1)) == delta
    crl = load(delta)
    with pytest.raises(x509.ExtensionNotFound):  # not a municipality's partition
        crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    assert (number(crl), base_of(crl)) == (2, 1)


def test_a_delta_crl_asked_at_its_base_next_update_is_made_against_a_new_base_R_CERT_8(office):
    crls.serve(office, "sign", "", False, at=T1)
    end = T1 + DEFAULT_CRL_LIFETIME  # the base's nextUpdate: it is no longer current
    delta = load(crls.serve(office, "sign", "", True, at=end))
    base = load(crls.serve(office, "sign", "", False, at=end))
    assert (number(base), number(delta), base_of(delta)) == (2, 3, 2)
    assert base.last_update_utc == delta.last_update_utc == end
    assert delta.next_update_utc == base.next_update_utc == end + DEFAULT_CRL_LIFETIME


def test_the_bytes_of_a_published_crl_are_read_only_when_it_is_served_R_CERT_8(office):
    crls.serve(office, "sign", NAKANOTO, True, at=T1)  # the base and its delta
    with office.work(at=T1 + timedelta(minutes=5), actor="t") as w, statements(office) as ran:
        der = crls.delta_crl(w, "sign", NAKANOTO)
    assert base_of(load(der)) == 1
    assert len([s for s in ran if "published_crls.der" in s]) == 1  # the delta's own, not its base's


def test_a_delta_crl_lists_each_released_hold_once_R_CERT_8(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=T1 - timedelta(days=1), actor="t") as w:
        holder = repo.latest_certificate(w.session, card_id, "auth")
        assert holder is not None
        rows = [{"serial": 10**12 + i, "kind": "auth", "card_id": card_id, "resident_id": holder.resident_id,
                 "municipality_code": NAKANOTO, "status": "hold", "not_before": T1 - timedelta(days=30),
                 "expires_on": date(2030, 1, 1), "revoked_at": T1 - timedelta(days=1), "reason": "certificate_hold",
                 "der": b"\x00"} for i in range(501)]
        w.session.execute(insert(Certificate), rows)
    assert len(load(crls.serve(office, "auth", "", False, at=T1))) == 501
    with office.store.engine.begin() as conn:
        conn.execute(text("UPDATE certificates SET status = 'good', revoked_at = NULL, reason = NULL "
                          "WHERE kind = 'auth' AND status = 'hold'"))
    delta = load(crls.serve(office, "auth", "", True, at=T1 + timedelta(hours=1)))
    assert sorted(r.serial_number for r in delta) == [r["serial"] for r in rows]  # 501 entries, none twice


@pytest.mark.postgres
def test_postgresql_lists_a_hold_placed_after_the_base_in_the_delta_crl_R_CERT_8(pg_url):
    with pg_office(pg_url) as office:
        card_id = issued_card(office, new_resident(office, name="保留 太郎"))
        with office.work(at=T1, actor="t") as w:
            held, revoked = (repo.latest_certificate(w.session, card_id, k) for k in ("auth", "sign"))
            assert held is not None and revoked is not None
            pki.revoke(w, revoked, pki.RevocationReason.KEY_COMPROMISE)
            serials = (held.serial, revoked.serial)
        base = load(crls.serve(office, "auth", NAKANOTO, False, at=T1 + timedelta(minutes=1)))
        assert len(base) == 0
        with office.work(at=T1 + timedelta(minutes=2), actor="t") as w:
            pki.hold(w, w.session.get(Certificate, serials[0]))
        delta = load(crls.serve(office, "auth", NAKANOTO, True, at=T1 + timedelta(minutes=3)))
        assert [(r.serial_number, r.extensions.get_extension_for_class(x509.CRLReason).value.reason)
                for r in delta] == [(serials[0], x509.ReasonFlags.certificate_hold)]
        sign = load(crls.serve(office, "sign", NAKANOTO, False, at=T1 + timedelta(minutes=3)))
        assert [r.serial_number for r in sign] == [serials[1]]
