"""A card of the store in a reader: it takes over changes made in the store meanwhile, answers
6F00 when the store cannot be read, and puts every PIN try (never the PIN) in the audit trail.
And the demo card: a sample resident taken through application, making and hand-over."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update

from mynacard import audit
from mynacard.audit import entries
from mynacard.chip import KeySlot
from mynacard.db.models import Card, Event
from mynacard.services.context import Office
from mynacard.services.vcard import StoreCard, issue_demo_card
from tests.services.conftest import at, issued_card, new_resident, open_office

JPKI_AID = bytes.fromhex("D392F000260100000001")
SELECT_JPKI = bytes.fromhex("00A4040C0A") + JPKI_AID
SELECT_AUTH_PIN = bytes.fromhex("00A4020C020018")  # the PIN of the authentication certificate
PINS = {"sign": "ABC123", "auth": "1234", "resident": "2345", "card_info": "3456"}


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    off = open_office(tmp_path_factory.mktemp("vcard-more") / "test.db")
    yield off
    off.store.dispose()


def _clock():
    return at("2026-01-12T09:30")


def _verify(pin: str) -> bytes:
    data = pin.encode("ascii")
    return bytes([0x00, 0x20, 0x00, 0x80, len(data)]) + data


def _pin_tries(office: Office, card_id: str) -> list[tuple]:
    with office.work(at=at("2026-02-01"), actor="reader") as w:
        found = entries(w.session, action="card.pin_try", limit=1000)
        return [(e.at, e.actor, e.role, e.action, e.outcome, e.details)
                for e in reversed(found) if e.target == f"card:{card_id}"]


def test_pin_tries_in_a_reader_are_audited_with_their_status_word(office):
    card_id = issued_card(office, new_resident(office), pins=PINS)
    sc = StoreCard(office, card_id, _clock)
    assert sc.transmit(SELECT_JPKI) == b"\x90\x00"
    assert sc.transmit(SELECT_AUTH_PIN) == b"\x90\x00"
    # asking for the tries left (no PIN, with or without Le) is not a try
    assert sc.transmit(bytes.fromhex("0020008000")) == b"\x63\xc3"
    assert sc.transmit(bytes.fromhex("00200080")) == b"\x63\xc3"
    assert _pin_tries(office, card_id) == []
    assert sc.transmit(_verify("9")) == b"\x63\xc2"  # a one-digit PIN is a try too
    assert sc.transmit(_verify("1234")) == b"\x90\x00"
    when = at("2026-01-12T09:30")
    assert _pin_tries(office, card_id) == [
        (when, "card", "card", "card.pin_try", "denied", {"sw": "63c2"}),
        (when, "card", "card", "card.pin_try", "ok", {"sw": "9000"}),
    ]


def test_a_try_on_a_locked_pin_in_a_reader_is_audited_as_locked_R_PIN_7(office):
    card_id = issued_card(office, new_resident(office), pins=PINS)
    sc = StoreCard(office, card_id, _clock)
    assert sc.transmit(SELECT_JPKI) == b"\x90\x00"
    assert sc.transmit(SELECT_AUTH_PIN) == b"\x90\x00"
    answers = [sc.transmit(_verify("9999")) for _ in range(4)]
    assert answers == [b"\x63\xc2", b"\x63\xc1", b"\x63\xc0", b"\x69\x84"]  # 3 tries, then locked
    assert [(outcome, details) for *_, outcome, details in _pin_tries(office, card_id)] == [
        ("denied", {"sw": "63c2"}), ("denied", {"sw": "63c1"}), ("denied", {"sw": "63c0"}),
        ("locked", {"sw": "6984"}),
    ]


def test_pin_try_answered_even_when_the_audit_trail_cannot_be_written(office, monkeypatch, caplog):
    card_id = issued_card(office, new_resident(office), pins=PINS)
    sc = StoreCard(office, card_id, _clock)
    sc.transmit(SELECT_JPKI)
    sc.transmit(SELECT_AUTH_PIN)

    def unwritable(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(audit, "append", unwritable)
    with caplog.at_level(logging.ERROR, logger="mynacard.services.vcard"):
        assert sc.transmit(_verify("1234")) == b"\x90\x00"
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "mynacard.services.vcard"] == [
        ("ERROR", f"could not audit a PIN try on card {card_id}")
    ]


def test_card_whose_store_row_cannot_be_read_answers_6f00(office, caplog):
    card_id = issued_card(office, new_resident(office), pins=PINS)
    sc = StoreCard(office, card_id, _clock)
    with office.store.sessions() as s:
        s.execute(update(Card).where(Card.id == card_id).values(chip_state=None))
        s.commit()
    with caplog.at_level(logging.ERROR, logger="mynacard.services.vcard"):
        assert sc.transmit(SELECT_JPKI) == b"\x6f\x00"
    logged = [r for r in caplog.records if r.name == "mynacard.services.vcard"]
    assert [(r.levelname, r.getMessage()) for r in logged] == [("ERROR", f"Cannot read card {card_id} from the store")]
    assert logged[0].exc_info is not None


def test_reader_takes_over_a_change_made_in_the_store_meanwhile(office):
    card_id = issued_card(office, new_resident(office), pins=PINS)
    first = StoreCard(office, card_id, _clock)
    second = StoreCard(office, card_id, _clock)
    second.chip.clear_slot(KeySlot.SIGN)
    assert first.chip.has_key(KeySlot.SIGN)  # not yet: the reader has not talked to the card
    assert first.transmit(SELECT_JPKI) == b"\x90\x00"
    assert not first.chip.has_key(KeySlot.SIGN) and first.chip.has_key(KeySlot.AUTH)
    # its next change goes over the state it took over
    first.chip.clear_slot(KeySlot.AUTH)
    kept = StoreCard(office, card_id, _clock).chip
    assert not kept.has_key(KeySlot.SIGN) and not kept.has_key(KeySlot.AUTH)


def test_reader_reset_takes_over_a_change_made_in_the_store_meanwhile(office):
    card_id = issued_card(office, new_resident(office), pins=PINS)
    first = StoreCard(office, card_id, _clock)
    StoreCard(office, card_id, _clock).chip.clear_slot(KeySlot.AUTH)
    assert first.reset() == first.atr
    assert not first.chip.has_key(KeySlot.AUTH) and first.chip.has_key(KeySlot.SIGN)


@pytest.fixture
def own_office(tmp_path):
    """An office of its own: the demo makes the CAs at its dates (from 2025-12), after which the
    module's office could not issue at 2025-05-10 (the tests run in any order)."""
    off = open_office(tmp_path / "demo.db")
    yield off
    off.store.dispose()


def test_demo_card_with_the_authentication_certificate_only(own_office):
    office = own_office
    card_id = issue_demo_card(office, at("2026-01-10"), certificates="auth")
    with office.work(at=at("2026-01-11"), actor="reader") as w:
        resident_id = w.session.get(Card, card_id).resident_id
        steps = w.session.scalars(select(Event).where(Event.resident_id == resident_id).order_by(Event.id)).all()
        got = [(e.at, e.actor, e.action, e.card_id) for e in steps]
        applied = next(e.details for e in steps if e.action == "card_applied")
        handed = next(e.details for e in steps if e.action == "card_issued")
    assert got == [
        (at("2025-12-11"), "demo", "resident_registered", None),
        (at("2025-12-11"), "demo", "card_applied", card_id),
        (at("2025-12-21"), "demo J-LIS", "card_made", card_id),
        (at("2026-01-10"), "demo clerk", "certificate_issued", card_id),
        (at("2026-01-10"), "demo clerk", "card_issued", card_id),
    ]
    assert (applied["channel"], applied["certificates"]) == ("online", "auth")
    assert (handed["signing"], handed["certificates"]) == (False, "auth")
    # the PINs it was given: those of the authentication certificate and the two others
    sc = StoreCard(office, card_id, _clock)
    sc.transmit(SELECT_JPKI)
    sc.transmit(SELECT_AUTH_PIN)
    assert sc.transmit(_verify("4821")) == b"\x90\x00"
