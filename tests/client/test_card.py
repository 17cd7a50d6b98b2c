"""Certificates and attributes read by the client over APDUs (R_CHIP_1..4, R_CERT_2)."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.chip import KeySlot, PinId, digest_info
from mynacard.errors import StateError
from tests.client.conftest import PINS, issued_certificate


def test_auth_certificate_without_pin_sign_certificate_after_password_R_CHIP_2(card, office, card_id) -> None:
    assert card.certificate(KeySlot.AUTH) == issued_certificate(office, card_id, KeySlot.AUTH)
    assert card.certificate(KeySlot.SIGN, ca=True) is not None
    with pytest.raises(StateError):
        card.certificate(KeySlot.SIGN)
    card.verify(PinId.SIGN, PINS["sign"])
    assert card.certificate(KeySlot.SIGN) == issued_certificate(office, card_id, KeySlot.SIGN)


def test_four_attributes_after_card_info_pin_R_CHIP_4(card) -> None:
    attrs = card.attributes(PINS["card_info"])
    assert attrs.name == "見本 太郎"
    assert attrs.address.startswith("石川県")
    assert attrs.birth_date == date(1990, 6, 15)
    assert attrs.sex == "1"


def test_signing_is_verify_select_key_then_802A_R_CHIP_3_R_CERT_2(card, office, card_id) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    data = b"e-Tax return"
    h = hashes.Hash(hashes.SHA256())
    h.update(data)
    card.apdu.log.clear()
    signature = card.sign(KeySlot.AUTH, PINS["auth"], digest_info("sha256", h.finalize()))
    assert len(signature) == 256
    headers = [c[:4].hex() for c, _ in card.apdu.log]
    assert headers == ["00a4040c", "00a4020c", "00200080", "00a4020c", "802a0080"]
    assert card.apdu.log[3][0][-2:] == b"\x00\x17"  # the auth key EF
    cert = issued_certificate(office, card_id, KeySlot.AUTH)
    cert.public_key().verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
