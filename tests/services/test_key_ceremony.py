"""The key ceremony (鍵生成式) at the service level: both root CAs made once, what the witnesses are
shown, and what the event log and the audit trail keep (the token case is in tests/hsm)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.audit.log import entries
from mynacard.db import repositories as repo
from mynacard.errors import StateError
from mynacard.services import ceremony, pki, revocation
from tests.services.conftest import at

WHEN = at("2025-01-06T10:00")
DER = Encoding.DER


def test_the_ceremony_makes_both_cas_and_shows_their_fingerprints(office):
    with office.work(at=WHEN, actor="ca-officer") as w:
        made = ceremony.ceremony(w, years=12)
    with office.work(at=WHEN, actor="reader") as w:
        certs = {k: pki.authority(w, k).certificate for k in ("sign", "auth")}
        events = [e for e in repo.events(w.session) if e.action == "ca_created"]
        audited = list(reversed(entries(w.session, action="ca.ceremony")))
    assert [m.kind for m in made] == ["sign", "auth"]
    for m in made:
        cert = certs[m.kind]
        assert m.fingerprint == cert.fingerprint(hashes.SHA256()).hex(":").upper()
        assert m.subject == cert.subject.rfc4514_string()
        assert m.key_store == "sealed"
        assert (m.not_before, m.not_after) == (cert.not_valid_before_utc, cert.not_valid_after_utc)
        assert m.not_after - m.not_before >= timedelta(days=12 * 365)
        assert m.not_after - m.not_before < timedelta(days=13 * 365)
    assert [e.details for e in events] == [
        {"kind": m.kind, "subject": m.subject, "fingerprint": m.fingerprint, "key_store": "sealed"} for m in made
    ]
    assert [(a.actor, a.role, a.target, a.details) for a in audited] == [
        ("ca-officer", "cli", f"ca:{m.kind}", {"fingerprint": m.fingerprint, "key_store": "sealed",
                                               "subject": m.subject})
        for m in made
    ]


def test_a_second_ceremony_is_refused_and_replaces_nothing(office):
    with office.work(at=WHEN, actor="ca-officer") as w:
        first = ceremony.ceremony(w)
    with pytest.raises(StateError) as err, office.work(at=WHEN + timedelta(days=1), actor="ca-officer") as w:
        ceremony.ceremony(w)
    assert err.value.message == (
        "The CAs already exist (sign, auth): a ceremony creates them once and never replaces them."
    )
    assert err.value.message_ja == "認証局はすでに作成されています。鍵生成式は一度だけ行います。"
    with office.work(at=WHEN, actor="reader") as w:
        kept = {k: ceremony.fingerprint(pki.authority(w, k).certificate.public_bytes(DER)) for k in ("sign", "auth")}
    assert kept == {m.kind: m.fingerprint for m in first}
    for m in first:  # the roots of a ceremony without ``years`` are valid 20 years
        assert m.not_after.year - m.not_before.year == 20 and m.not_after.month == m.not_before.month


def test_a_ceremony_after_the_first_use_made_one_ca_names_it(office):
    with office.work(at=WHEN, actor="clerk") as w:
        pki.authority(w, "auth")  # made on first use, without a ceremony
    with pytest.raises(StateError) as err, office.work(at=WHEN, actor="ca-officer") as w:
        ceremony.ceremony(w)
    assert "(auth)" in err.value.message


def test_the_first_crl_after_the_ceremony_is_number_one_R_CERT_8(office):
    with office.work(at=WHEN, actor="ca-officer") as w:
        ceremony.ceremony(w)
    with office.work(at=WHEN + timedelta(hours=1), actor="reader") as w:
        crl = x509.load_der_x509_crl(revocation.full_crl(w, "sign"))
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
