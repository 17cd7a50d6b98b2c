"""Unmodified OpenSC reads a card whose holder declined the signing certificate (R_CERT_10,
R_CHIP_2): the token binds, the authentication certificate reads and signs, and the signing
certificate is simply not there (6A82), before and after its password. Once the window adds one,
OpenSC reads it."""

from __future__ import annotations

import pytest
from cryptography import x509

from mynacard.chip import KeySlot
from mynacard.services import certificates
from mynacard.services.vcard import issue_demo_card
from tests.client.conftest import AT, PINS, issued_certificate, tries_in_store
from tests.pcsc.conftest import READER, Inserted, run

pytestmark = pytest.mark.slow


@pytest.fixture
def no_sign_card(office) -> str:
    return issue_demo_card(office, AT, certificates="auth")


def _read_sign(pin: str):
    return run("pkcs15-tool", "--reader", READER, "--verify-pin", "--auth-id", "02", "--pin", pin,
               "--read-certificate", "02")


def test_opensc_reads_a_card_without_signing_certificate_R_CERT_10(vpcd, opensc, office, no_sign_card) -> None:
    card = Inserted(office, no_sign_card)
    try:
        listed = run("pkcs15-tool", "--reader", READER, "--list-certificates")
        assert listed.returncode == 0, listed.stderr  # the token binds: 63 C5 to the status query
        auth = run("pkcs15-tool", "--reader", READER, "--read-certificate", "01")
        assert auth.returncode == 0, auth.stderr
        assert x509.load_pem_x509_certificate(auth.stdout.encode()) == issued_certificate(
            office, no_sign_card, KeySlot.AUTH
        )
        for cert_id in ("02", "04"):  # the signing certificate and its CA: not on the card
            r = run("pkcs15-tool", "--reader", READER, "--read-certificate", cert_id)
            assert r.returncode != 0 and "File not found" in r.stdout + r.stderr  # SELECT: 6A82
        sign = _read_sign(PINS["sign"])
        assert "BEGIN CERTIFICATE" not in sign.stdout
        assert tries_in_store(office, no_sign_card)["sign"] == 5  # no PIN set, none spent
    finally:
        card.eject()
    with office.work(at=AT, actor="clerk") as w:
        certificates.add(w, no_sign_card, "sign", pin="NEWPW1")
    card = Inserted(office, no_sign_card)
    try:
        sign = _read_sign("NEWPW1")
        assert sign.returncode == 0, sign.stderr
        assert x509.load_pem_x509_certificate(sign.stdout.encode()) == issued_certificate(
            office, no_sign_card, KeySlot.SIGN
        )
    finally:
        card.eject()
