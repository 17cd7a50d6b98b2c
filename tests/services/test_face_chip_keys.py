"""A change of the four attributes takes the signing key off the chip with its revoked certificate,
and leaves the authentication key where it is (R_CERT_5)."""

from __future__ import annotations

from mynacard.chip import KeySlot
from mynacard.db import repositories as repo
from mynacard.services import chips, face
from tests.services.conftest import at, issued_card, new_resident


def _keys(office, card_id: str) -> dict[str, bool]:
    with office.work(at=at("2026-03-02"), actor="reader") as w:
        chip = chips.chip_of(w, repo.card(w.session, card_id))
        return {slot.value: chip.has_key(slot) for slot in KeySlot}


def test_a_move_within_takes_the_signing_key_off_the_chip_and_keeps_the_authentication_key_R_CERT_5(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    assert _keys(office, card_id) == {"sign": True, "auth": True}
    with office.work(at=at("2026-03-01"), actor="clerk") as w:
        assert face.move_within(w, rid, new_address="石川県鹿島郡中能登町井田1番地").certificates == {"sign": "revoke"}
    assert _keys(office, card_id) == {"sign": False, "auth": True}
