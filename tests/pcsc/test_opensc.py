"""Unmodified OpenSC against the virtual card over pcscd + vpcd (R_USE_1, R_CHIP_1..3).

pkcs15-tool lists and reads the certificates (the signing one only after its password),
pkcs11-tool signs with either key (SHA256-RSA-PKCS and RSA-PKCS over a DigestInfo), and the
signature verifies with ``cryptography`` against the issued certificate. Wrong PINs count
down in the store and lock.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from mynacard.chip import KeySlot, digest_info
from tests.client.conftest import PINS, issued_certificate, tries_in_store
from tests.pcsc.conftest import READER, run

pytestmark = pytest.mark.slow

SIGN_TOKEN = "JPKI (Digital Signature PIN)"
AUTH_TOKEN = "JPKI (User Authentication PIN)"


def test_pkcs15_lists_and_reads_certificates_R_CHIP_2(inserted, opensc, office, card_id) -> None:
    listed = run("pkcs15-tool", "--reader", READER, "--list-certificates")
    assert listed.returncode == 0, listed.stderr
    for label in ("User Authentication Certificate", "Digital Signature Certificate", "Certificate CA"):
        assert label in listed.stdout
    auth = run("pkcs15-tool", "--reader", READER, "--read-certificate", "01")
    assert auth.returncode == 0, auth.stderr
    assert x509.load_pem_x509_certificate(auth.stdout.encode()) == issued_certificate(office, card_id, KeySlot.AUTH)
    locked = run("pkcs15-tool", "--reader", READER, "--read-certificate", "02")
    assert locked.returncode != 0 or "BEGIN CERTIFICATE" not in locked.stdout  # needs the password
    sign = run(
        "pkcs15-tool",
        "--reader",
        READER,
        "--verify-pin",
        "--auth-id",
        "02",
        "--pin",
        PINS["sign"],
        "--read-certificate",
        "02",
    )
    assert sign.returncode == 0, sign.stderr
    assert x509.load_pem_x509_certificate(sign.stdout.encode()) == issued_certificate(office, card_id, KeySlot.SIGN)


@pytest.mark.parametrize(
    ("slot", "token", "key_id"), [(KeySlot.AUTH, AUTH_TOKEN, "01"), (KeySlot.SIGN, SIGN_TOKEN, "02")]
)
def test_pkcs11_signs_with_either_key_R_CERT_2(
    inserted, opensc, office, card_id, tmp_path, slot, token, key_id
) -> None:
    data = b"signed over PC/SC by OpenSC"
    (tmp_path / "data").write_bytes(data)
    di = digest_info("sha256", hashlib.sha256(data).digest())
    (tmp_path / "di").write_bytes(di)
    cert = issued_certificate(office, card_id, slot)
    for mech, infile in (("SHA256-RSA-PKCS", "data"), ("RSA-PKCS", "di")):
        out = tmp_path / f"{mech}.sig"
        r = run(
            "pkcs11-tool",
            "--module",
            opensc,
            "--token-label",
            token,
            "--login",
            "--pin",
            PINS[slot.value],
            "--sign",
            "-m",
            mech,
            "--id",
            key_id,
            "-i",
            str(tmp_path / infile),
            "-o",
            str(out),
        )
        assert r.returncode == 0, r.stderr
        cert.public_key().verify(out.read_bytes(), data, padding.PKCS1v15(), hashes.SHA256())


def test_wrong_pins_count_down_and_lock_R_PIN_2_R_PIN_4(inserted, opensc, office, card_id, tmp_path) -> None:
    (tmp_path / "data").write_bytes(b"x")
    for left in (2, 1, 0):
        r = run(
            "pkcs11-tool",
            "--module",
            opensc,
            "--token-label",
            AUTH_TOKEN,
            "--login",
            "--pin",
            "9999",
            "--sign",
            "-m",
            "SHA256-RSA-PKCS",
            "--id",
            "01",
            "-i",
            str(tmp_path / "data"),
            "-o",
            "/dev/null",
        )
        assert r.returncode != 0 and "CKR_PIN_INCORRECT" in r.stderr, r.stderr
        assert tries_in_store(office, card_id)["auth"] == left  # spent in the store at once
    # Locked: the card answers the status query with 63C0 and the right PIN with 6984, as
    # real cards do; OpenSC still binds both tokens (test_opensc_locked.py) but cannot log in.
    r = run(
        "pkcs11-tool",
        "--module",
        opensc,
        "--token-label",
        AUTH_TOKEN,
        "--login",
        "--pin",
        PINS["auth"],
        "--sign",
        "-m",
        "SHA256-RSA-PKCS",
        "--id",
        "01",
        "-i",
        str(tmp_path / "data"),
        "-o",
        "/dev/null",
    )
    assert r.returncode != 0
    assert tries_in_store(office, card_id)["auth"] == 0
