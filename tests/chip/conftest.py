"""Fixtures for the chip tests: a personalised chip and a certificate helper."""

from __future__ import annotations

import datetime as dt
from datetime import date

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from mynacard.chip import CardInfo, Chip, KeySlot, PinId

MASTER_KEY = bytes(range(32))

SIGN_PW = "ABC123"
AUTH_PIN = "1234"
RESIDENT_PIN = "5678"
CARD_INFO_PIN = "9012"

CARD_INFO = CardInfo(
    individual_number="123456789018",
    name="番号 花子",
    address="東京都千代田区千代田1-1",
    birth_date=date(1990, 4, 1),
    sex="2",
    expiry_year=2034,
    security_code="4321",
)


def make_certificate(
    public_key: rsa.RSAPublicKey, signer: rsa.RSAPrivateKey, cn: str = "test"
) -> bytes:
    """A minimal sha256WithRSA certificate of ``public_key`` signed by ``signer``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .sign(signer, hashes.SHA256())
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.DER)


class Recorder:
    """An on_change hook that remembers every counter it was shown."""

    def __init__(self) -> None:
        self.calls = 0
        self.tries: list[dict[PinId, int | None]] = []

    def __call__(self, state) -> None:  # type: ignore[no-untyped-def]
        self.calls += 1
        self.tries.append({p: (r.tries_left if r else None) for p, r in state.pins.items()})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def chip(keygen, recorder) -> Chip:  # type: ignore[no-untyped-def]
    """A chip as handed over at the window: four PINs, two keys and certificates, card data."""
    c = Chip.blank("card-0001", master_key=MASTER_KEY, on_change=recorder)
    c.set_pin(PinId.SIGN, SIGN_PW)
    c.set_pin(PinId.AUTH, AUTH_PIN)
    c.set_pin(PinId.RESIDENT, RESIDENT_PIN)
    c.set_pin(PinId.CARD_INFO, CARD_INFO_PIN)
    ca_key = keygen()
    for slot in KeySlot:
        pub = c.generate_key(slot, keygen)
        c.write_certificate(slot, make_certificate(pub, ca_key, f"{slot.value} holder"))
        c.write_ca_certificate(slot, make_certificate(ca_key.public_key(), ca_key, "test CA"))
    c.write_card_info(CARD_INFO)
    recorder.calls = 0
    recorder.tries.clear()
    return c


@pytest.fixture
def card(chip: Chip):  # type: ignore[no-untyped-def]
    from mynacard.chip.card_os import VirtualCard

    return VirtualCard(chip)


def send(card, hexstr: str) -> tuple[bytes, int]:  # type: ignore[no-untyped-def]
    """Transmit a hex APDU (spaces allowed); return (data, SW)."""
    answer = card.transmit(bytes.fromhex(hexstr.replace(" ", "")))
    return answer[:-2], int.from_bytes(answer[-2:], "big")
