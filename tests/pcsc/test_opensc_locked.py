"""A card whose authentication PIN is locked, as unmodified OpenSC sees it, and the window's
reset that unlocks it (R_PIN_2, R_PIN_5, R_CHIP_3).

The card answers a blocked PIN as real cards do: 63 C0 to the tries-left query and 69 84 to
a VERIFY with data (see ``CardOS.verify``). OpenSC's jpki emulator needs 63 Cx to the query
to bind the card, so both tokens stay listed while the authentication PIN is locked; the
window's reset (``mynacard.services.pins.reset``) then takes effect on the inserted card.
"""

from __future__ import annotations

import pytest

from mynacard.services import pins
from tests.client.conftest import AT, PINS, tries_in_store
from tests.pcsc.conftest import READER, run

pytestmark = pytest.mark.slow

TOKENS = {"auth": "JPKI (User Authentication PIN)", "sign": "JPKI (Digital Signature PIN)"}


def _test_login(module: str, which: str) -> None:
    r = run("pkcs11-tool", "--module", module, "--token-label", TOKENS[which], "--test", "--login",
            "--pin", PINS[which], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No errors" in r.stdout, r.stdout


def _lock_auth(module: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "data").write_bytes(b"x")
    for _ in range(3):
        r = run("pkcs11-tool", "--module", module, "--token-label", TOKENS["auth"], "--login", "--pin",
                "9999", "--sign", "-m", "SHA256-RSA-PKCS", "--id", "01", "-i", str(tmp_path / "data"),
                "-o", "/dev/null")
        assert r.returncode != 0 and "CKR_PIN_INCORRECT" in r.stderr, r.stderr


def test_pkcs11_test_login_before_lock_and_after_window_reset_R_PIN_5(
    inserted, opensc, office, card_id, tmp_path
) -> None:
    for which in TOKENS:
        _test_login(opensc, which)
    _lock_auth(opensc, tmp_path)
    assert tries_in_store(office, card_id)["auth"] == 0
    with office.work(at=AT, actor="window") as w:
        assert pins.reset(w, card_id, "auth", PINS["auth"], identity_documents=["drivers_license"]).tries_left == 3
    for which in TOKENS:  # the card stayed in the reader
        _test_login(opensc, which)
    assert tries_in_store(office, card_id)["auth"] == 3


def test_opensc_lists_both_tokens_of_a_locked_card_R_CHIP_3(inserted, opensc, office, card_id, tmp_path) -> None:
    _lock_auth(opensc, tmp_path)
    slots = run("pkcs11-tool", "--module", opensc, "--list-token-slots")
    assert slots.returncode == 0, slots.stderr
    for label in TOKENS.values():
        assert label in slots.stdout, slots.stdout
    listed = run("pkcs15-tool", "--reader", READER, "--list-pins")
    assert listed.returncode == 0, listed.stderr
    auth_block = listed.stdout.split("User Authentication PIN", 1)[1].split("PIN [", 1)[0]
    assert "Tries left" in auth_block and "0" in auth_block.split("Tries left", 1)[1].splitlines()[0]
    # The right PIN is refused while locked: the card answers 69 84, which OpenSC's iso7816
    # layer maps to "reference data not usable" (CKR_GENERAL_ERROR), as with a real card.
    r = run("pkcs11-tool", "--module", opensc, "--token-label", TOKENS["auth"], "--login", "--pin",
            PINS["auth"], "--list-objects")
    assert r.returncode != 0 and "C_Login failed" in r.stderr, r.stderr
    assert tries_in_store(office, card_id)["auth"] == 0
    # The signing token still works.
    _test_login(opensc, "sign")
    certs = run("pkcs15-tool", "--reader", READER, "--list-certificates")
    assert certs.returncode == 0 and "User Authentication Certificate" in certs.stdout, certs.stderr
