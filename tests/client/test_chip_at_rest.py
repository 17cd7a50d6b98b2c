"""The chip's secrets at rest: sealed state, keyed PIN verifiers, and the upgrade of a store
written in the first (plain, HMAC) form or with Argon2id verifiers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, update

from mynacard.chip import PinId
from mynacard.chip.pins import PRODUCTION_KDF, PinVerifier, kdf_parameters, pin_matches
from mynacard.client import JpkiCard
from mynacard.crypto import pin_verifier_key
from mynacard.db import repositories as repo
from mynacard.db.models import Card, ChipPin, Resident
from mynacard.errors import WrongPin
from mynacard.services.pinstore import (
    SEALED_PREFIX,
    StorePins,
    open_state,
    open_verifier,
    seal_verifier,
    upgrade_all,
)
from mynacard.services.vcard import DEMO_PINS, open_card
from tests.chipforms import as_first_form
from tests.client.conftest import AT, MASTER_KEY, clock


def raw_rows(office, card_id):
    with office.store.session() as s:
        card = s.get(Card, card_id)
        resident = s.get(Resident, card.resident_id)
        rows = s.scalars(select(ChipPin).where(ChipPin.card_id == card_id))
        pins = {row.pin: (row.tries_left, row.verifier) for row in rows}
        return card.chip_state, repo.security_code_of(card), repo.number_of(resident), pins


def test_chip_state_reveals_no_number_code_or_pin(office, card_id) -> None:
    """A dump of the store shows neither the individual number nor the security code nor any
    PIN or verifier in clear: the chip state and each verifier are sealed (AES-GCM)."""
    state, code, number, pins = raw_rows(office, card_id)
    assert state.startswith(SEALED_PREFIX)
    # Nothing but the prefix and the base64 of the ciphertext. The secrets are looked for in the
    # ciphertext's bytes: a 4-digit PIN turns up in some thousands of random base64 characters about
    # once in a few hundred cards, in as many random bytes about once in a hundred thousand.
    sealed = base64.b64decode(state[len(SEALED_PREFIX) :], validate=True)
    for secret in (number, code, "見本", *DEMO_PINS.values()):
        assert secret.encode() not in sealed
        assert all(v is None or secret.encode() not in v for _, v in pins.values())
    assert set(pins) == {"sign", "auth", "resident", "card_info", "face_a", "face_b"}
    assert open_state(card_id, state, MASTER_KEY).card_info.individual_number == number
    with pytest.raises(InvalidTag):
        open_state(card_id, state, os.urandom(32))


def test_verifiers_are_salted_hmacs_keyed_outside_the_database(office, card_id) -> None:
    """Every PIN's verifier is HMAC-SHA256 under a random salt, keyed with a key derived from the
    master key (not in the database): without it a verifier tests no PIN."""
    *_, pins = raw_rows(office, card_id)
    verifiers = [open_verifier(card_id, PinId(p), pins[p][1], MASTER_KEY) for p in ("auth", "resident", "card_info")]
    assert {v.to_dict()["kdf"] for v in verifiers} == {"hmac-sha256"}
    assert open_verifier(card_id, PinId.SIGN, pins["sign"][1], MASTER_KEY).to_dict()["kdf"] == "hmac-sha256"
    # The three 4-digit PINs have the same value (R_PIN_3) but different salts and digests.
    assert len({v.salt for v in verifiers}) == 3 and len({v.digest for v in verifiers}) == 3
    # Without the key the verifier cannot be tested: a plain or wrongly keyed HMAC does not match.
    value = DEMO_PINS["auth"].encode()
    assert pin_matches(verifiers[0], value, pin_verifier_key(MASTER_KEY))
    assert not pin_matches(verifiers[0], value, pin_verifier_key(os.urandom(32)))
    assert hmac.new(verifiers[0].salt, value, hashlib.sha256).digest() != verifiers[0].digest
    # A verifier sealed for one PIN does not open as another's (bound to card and PIN).
    with pytest.raises(InvalidTag):
        open_verifier(card_id, PinId.AUTH, pins["resident"][1], MASTER_KEY)


def _store_verifier(office, card_id: str, pin: PinId, verifier: PinVerifier) -> None:
    """Put ``verifier`` in the PIN's row as an older release stored it (sealed, same generation)."""
    with office.work(at=AT, actor="test") as w:
        w.session.execute(
            update(ChipPin)
            .where(ChipPin.card_id == card_id, ChipPin.pin == pin.value)
            .values(verifier=seal_verifier(card_id, pin, verifier, MASTER_KEY))
        )


def _verifier(office, card_id: str, pin: PinId) -> PinVerifier:
    *_, pins = raw_rows(office, card_id)
    return open_verifier(card_id, pin, pins[pin.value][1], MASTER_KEY)


def test_argon2id_verifier_still_verifies_and_is_upgraded_on_success(office, card_id) -> None:
    """A store written before the keyed verifiers keeps working: the old Argon2id verifier of
    the authentication PIN verifies, and the correct entry replaces it with a keyed one."""
    old = PinVerifier.argon2(DEMO_PINS["auth"].encode())
    _store_verifier(office, card_id, PinId.AUTH, old)
    card = JpkiCard(open_card(office, card_id, clock))
    with pytest.raises(WrongPin):
        card.verify(PinId.AUTH, "0000")
    assert _verifier(office, card_id, PinId.AUTH) == old  # a wrong entry upgrades nothing
    card.verify(PinId.AUTH, DEMO_PINS["auth"])
    new = _verifier(office, card_id, PinId.AUTH)
    assert new.kdf == "hmac-sha256" and new.salt != old.salt
    assert StorePins(office, card_id, clock=clock).tries_left(PinId.AUTH) == 3
    card.verify(PinId.AUTH, DEMO_PINS["auth"])  # the upgraded verifier verifies
    with pytest.raises(WrongPin):
        card.verify(PinId.AUTH, "1111")


def test_argon2id_signing_password_verifier_is_upgraded_and_a_keyed_one_is_kept(office, card_id) -> None:
    _store_verifier(office, card_id, PinId.SIGN, PinVerifier.argon2(DEMO_PINS["sign"].encode()))
    card = JpkiCard(open_card(office, card_id, clock))
    card.verify(PinId.SIGN, DEMO_PINS["sign"])
    keyed = _verifier(office, card_id, PinId.SIGN)
    assert keyed.kdf == "hmac-sha256"
    card.verify(PinId.SIGN, DEMO_PINS["sign"])
    assert _verifier(office, card_id, PinId.SIGN) == keyed  # a current verifier is not rewritten


def test_production_kdf_is_the_default(monkeypatch) -> None:
    monkeypatch.delenv("MYNACARD_PIN_KDF")
    assert kdf_parameters() == PRODUCTION_KDF == (2, 19456, 1)
    monkeypatch.setenv("MYNACARD_PIN_KDF", "t=2")
    with pytest.raises(ValueError, match="MYNACARD_PIN_KDF"):
        kdf_parameters()


def _as_first_form(office, card_id: str, tries: dict[str, int]) -> None:
    as_first_form(office, card_id, pins=DEMO_PINS, tries=tries, at=AT, master_key=MASTER_KEY)


def test_first_form_store_is_upgraded_when_opened(office, card_id) -> None:
    """``upgrade_all`` (run by ``mynacard`` on opening a store) seals the state and moves the
    PINs into rows, wrapping each HMAC in Argon2id: the holder's PINs and counters survive."""
    _as_first_form(office, card_id, {"sign": 2})
    assert upgrade_all(office, AT) == 1
    state, _, number, pins = raw_rows(office, card_id)
    assert state.startswith(SEALED_PREFIX) and number.encode() not in state.encode()
    assert pins["sign"][0] == 2 and pins["face_b"][0] == 7
    assert open_verifier(card_id, PinId.SIGN, pins["sign"][1], MASTER_KEY).legacy_salt is not None
    card = JpkiCard(open_card(office, card_id, clock))
    card.verify(PinId.SIGN, DEMO_PINS["sign"])
    assert card.tries_left(PinId.SIGN) == 5
    # the correct entry replaced the wrapped HMAC with a keyed verifier
    assert _verifier(office, card_id, PinId.SIGN).kdf == "hmac-sha256"
    assert upgrade_all(office, AT) == 0


def test_first_form_card_is_upgraded_on_first_read_by_a_reader(office, card_id) -> None:
    _as_first_form(office, card_id, {"auth": 1})
    card = JpkiCard(open_card(office, card_id, clock))
    assert card.tries_left(PinId.AUTH) == 1
    card.verify(PinId.AUTH, DEMO_PINS["auth"])
    assert StorePins(office, card_id, clock=clock).tries_left(PinId.AUTH) == 3
    assert raw_rows(office, card_id)[0].startswith(SEALED_PREFIX)
    assert _verifier(office, card_id, PinId.AUTH).kdf == "hmac-sha256"  # upgraded by the correct entry
