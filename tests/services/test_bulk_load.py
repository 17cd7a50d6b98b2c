"""``mynacard bulk-load``: synthetic residents, cards and CA-signed certificates (national scale)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import func, select
from stdnum.jp import in_

from mynacard.bulk import load as bulk
from mynacard.bulk.synth import individual_number, municipality_code
from mynacard.db import repositories as repo
from mynacard.db.models import Card, Certificate, Event, Move, Resident
from mynacard.errors import NotAllowedError
from mynacard.services import batch, pki
from tests.services.conftest import at, new_resident

AT = at("2026-11-28T10:00")


def _count(office, model, *where) -> int:
    with office.store.engine.connect() as c:
        return c.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_individual_numbers_are_valid_and_unique_R_NUM_1():
    numbers = [individual_number(i) for i in range(1, 20_001)]
    assert len(set(numbers)) == len(numbers)
    assert all(in_.is_valid(n) and len(n) == 12 for n in numbers)


def test_synthetic_municipality_codes_carry_their_check_digit():
    assert municipality_code(17, 407) == "174076"  # Nakanoto, a real one, by the same rule
    assert municipality_code(13, 101) == "131016"  # Chiyoda


def test_bulk_load_writes_residents_cards_and_signed_certificates_R_CERT_2(office):
    rep = bulk.load(office, 300, at=AT, chunk_size=120, pool_size=3, municipalities=12)
    assert rep.residents == 300 and rep.counts["cards"] >= 300
    assert _count(office, Resident) == 300
    assert _count(office, Card) == rep.counts["cards"]
    assert _count(office, Certificate) == rep.counts["certificates"] > 300
    with office.work(at=AT, actor="t") as w:
        cas = {k: pki.authority(w, k).certificate for k in ("sign", "auth")}
        rows = w.session.scalars(select(Certificate).limit(50)).all()
        for row in rows:  # really issued and signed by the sandbox CA
            cert = x509.load_der_x509_certificate(row.der)
            ca = cas[row.kind]
            ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                                   cert.signature_hash_algorithm)
            assert cert.serial_number == row.serial and cert.issuer == ca.subject
        r = w.session.get(Resident, rep.first_id)
        assert in_.is_valid(repo.number_of(r))  # sealed, and read back with the store's key
    # a realistic mix: one card in effect each, replaced cards, holds and revocations
    live = _count(office, Card, Card.state.in_(["issued", "suspended"]))
    assert live == 300
    assert _count(office, Card, Card.state == "reissued") > 0
    assert _count(office, Certificate, Certificate.status == "revoked") > 0
    assert _count(office, Move) > 0 and _count(office, Event) > 5 * 300


def test_bulk_load_refuses_a_store_with_real_data_and_changes_nothing(office):
    new_resident(office)
    before = _count(office, Resident), _count(office, Event)
    with pytest.raises(NotAllowedError) as e:
        bulk.load(office, 10, at=AT, pool_size=1, municipalities=2)
    assert "--allow-real-data" in e.value.message
    assert (_count(office, Resident), _count(office, Event)) == before


def test_bulk_load_beside_real_data_when_told_keeps_it(office):
    rid = new_resident(office, name="本物 一郎")
    bulk.load(office, 20, at=AT, pool_size=1, municipalities=2, allow_real=True)
    with office.work(at=AT, actor="t") as w:
        assert w.session.get(Resident, rid).name == "本物 一郎"
    assert _count(office, Resident) == 21
    with office.store.engine.connect() as c:
        assert bulk.real_residents(c) == 1  # the store still knows which one is real
    bulk.load(office, 20, at=AT, pool_size=1, municipalities=2, allow_real=True)  # a second load adds
    assert _count(office, Resident) == 41


def test_a_second_load_into_a_synthetic_store_needs_no_flag(office):
    bulk.load(office, 15, at=AT, pool_size=1, municipalities=2)
    bulk.load(office, 15, at=AT, pool_size=1, municipalities=2)
    assert _count(office, Resident) == 30


def test_batch_after_a_load_ends_what_is_due_once_R_USE_3(office):
    bulk.load(office, 400, at=AT, pool_size=2, municipalities=5)
    later = AT + timedelta(days=40)
    with office.work(at=later, actor="batch") as w:
        first = batch.daily(w)
    with office.work(at=later + timedelta(hours=1), actor="batch") as w:
        again = batch.daily(w)
    assert first.notices, "a 2-3 month window over 400 cards has notices"
    assert again.notices == [] and again.expired_cards == [] and again.expired_certificates == []
    assert _count(office, Card, Card.state.in_(["issued", "suspended"]), Card.expires_on < later.date()) == 0
