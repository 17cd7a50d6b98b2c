"""A store whose chips are still in the first, plain form (a migrated or restored store): opening
it seals every such chip state and moves its PINs into rows, keeping the holder's PINs and
counters (``services.pinstore.upgrade_all``, R_PIN_4)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.backup import backup, restore
from mynacard.db.models import Card, ChipPin
from mynacard.services import holder, pins
from mynacard.services.pinstore import SEALED_PREFIX, upgrade_all
from tests.chipforms import as_first_form
from tests.services.conftest import MASTER_KEY, PINS, at, issued_card, new_resident

AT = at("2026-03-01")


def _as_first_form(office, card_id: str, tries: dict[str, int]) -> None:
    as_first_form(office, card_id, pins=PINS, tries=tries, at=AT, master_key=MASTER_KEY)


def _stored(office, card_id: str) -> tuple[str, dict[str, int]]:
    """The card's ``chip_state`` text and its PIN counters as stored."""
    with office.store.session() as s:
        rows = s.execute(select(ChipPin.pin, ChipPin.tries_left).where(ChipPin.card_id == card_id))
        return s.get(Card, card_id).chip_state, dict(rows.all())


def test_opening_a_migrated_store_seals_only_the_plain_chips_and_keeps_their_pins_and_counters(office):
    plain = issued_card(office, new_resident(office))
    sealed = issued_card(office, new_resident(office, name="能登 花子", birth=date(1992, 3, 3)))
    _as_first_form(office, plain, {"sign": 2})
    before = _stored(office, sealed)
    office.store.mark_chip_upgrade()

    assert upgrade_all(office, AT) == 1  # the card already sealed is not counted
    state, tries = _stored(office, plain)
    assert state.startswith(SEALED_PREFIX)
    with office.work(at=AT, actor="reader") as w:
        number = str(repo.number_of(repo.resident(w.session, repo.card(w.session, plain).resident_id)))
    assert number not in state
    assert tries == {"sign": 2, "auth": 3, "resident": 3, "card_info": 3, "face_a": 10, "face_b": 7}
    assert _stored(office, sealed) == before
    assert not office.store.needs_chip_upgrade()

    with office.work(at=at("2026-03-02"), actor="holder") as w:  # the holder's PINs still work
        assert len(holder.sign(w, plain, "sign", b"doc", pin=PINS["sign"])) == 256
        assert pins.tries_left(w, plain)["sign"] == 5
    assert upgrade_all(office, at("2026-03-03")) == 0


def test_a_card_removed_by_a_restore_during_the_upgrade_is_skipped(office, tmp_path, monkeypatch):
    """Another process restores a backup (``mynacard restore --replace``) while this one upgrades:
    a card listed for the upgrade may be gone when its turn comes; the others go on."""
    backup(office.store, tmp_path / "before.bak")  # the store before the card was made
    card_id = issued_card(office, new_resident(office))
    _as_first_form(office, card_id, {})
    real = office.work
    units = []

    @contextmanager
    def work(**kw) -> Iterator:
        units.append(kw)
        if len(units) == 2:  # between the listing and the card's own unit of work
            restore(office.store, tmp_path / "before.bak", replace=True)
        with real(**kw) as w:
            yield w

    monkeypatch.setattr(office, "work", work)
    assert upgrade_all(office, AT) == 1
    assert len(units) == 2
    assert not office.store.needs_chip_upgrade()
    with office.store.session() as s:
        assert s.get(Card, card_id) is None

