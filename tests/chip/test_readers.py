"""Open readers of the card, replayed against the virtual card (R_CHIP_1..4).

Each reader in ``tests/chip/readers`` sends the APDUs its source sends, in the same order and
form, and applies its own rules for success; here they run against a personalised
``VirtualCard`` and must get what they would get from a real card. OpenSC is replayed too,
from traces captured through pcscd (``tests/chip/vectors/opensc_captured_*.trace``,
``test_vectors.py``).
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynacard.chip import Chip, FacePin, KeySlot, PinId, digest_info
from mynacard.chip.card_data import verify_signature
from mynacard.chip.card_os import VirtualCard
from tests.chip.conftest import AUTH_PIN, CARD_INFO, CARD_INFO_PIN, SIGN_PW
from tests.chip.readers import ReaderError, Wire, jpki_myna, jpki_rs, jsapdu, pyjpki

NUMBER = CARD_INFO.individual_number
PIN_B = "90040120344321"


@pytest.fixture
def wire(card: VirtualCard) -> Wire:
    card.reset()
    return Wire(card.transmit)


def _public_key(raw: bytes) -> rsa.RSAPublicKey:
    e, n = jsapdu.decode_public_key(raw)
    return rsa.RSAPublicNumbers(e, n).public_key()


# -- jpki/myna --------------------------------------------------------------------------------


def test_myna_card_and_pin_status_R_PIN_7(wire: Wire) -> None:
    r = jpki_myna.MynaReader(wire)
    assert jpki_myna.card(r) == "JPKIAPICCTOKEN2"
    assert jpki_myna.pin_status(r) == {
        "text": 3, "text_a": 10, "text_b": 10, "visual_a": 10, "visual_b": 10, "jpki_auth": 3, "jpki_sign": 5,
    }


def test_myna_card_mynumber_attr_photo(wire: Wire) -> None:
    out = jpki_myna.card_commands(jpki_myna.MynaReader(wire), CARD_INFO_PIN)
    assert out["mynumber"] == NUMBER
    assert out["attr"] == [CARD_INFO.name, CARD_INFO.address, "19900401", "2"]
    assert isinstance(out["photo"], bytes) and out["photo"][4:8] == b"jP  "


def test_myna_pin_status_of_a_locked_card_R_CHIP_3(chip: Chip, wire: Wire) -> None:
    """A blocked PIN answers 63 C0 to the query: jpki/myna shows 0 instead of failing."""
    for _ in range(3):
        with pytest.raises(Exception):  # noqa: B017 - WrongPin, then PinLocked
            chip.verify_pin(PinId.AUTH, "0000")
    r = jpki_myna.MynaReader(wire)
    assert jpki_myna.pin_status(r)["jpki_auth"] == 0
    with pytest.raises(ReaderError) as err:
        jpki_myna.jpki_pkey_sign_auth(r, AUTH_PIN, digest_info("sha256", bytes(32)))
    assert err.value.sw == 0x6984  # "暗証番号がブロックされています" in jpki/myna's Go reader


def test_myna_text_R_CHIP_4(wire: Wire) -> None:
    r = jpki_myna.MynaReader(wire)
    assert jpki_myna.text_mynumber(r, CARD_INFO_PIN) == NUMBER
    assert jpki_myna.text_attrs(r, CARD_INFO_PIN) == {
        "name": CARD_INFO.name, "address": CARD_INFO.address, "birth": "19900401", "sex": "2",
    }
    apid, key_id = jpki_myna.text_basic_info(r)
    assert len(bytes.fromhex(apid)) == 4 and len(bytes.fromhex(key_id)) == 16


def test_myna_text_signature_cert_info_fixed_sizes(wire: Wire) -> None:
    """The Go reader reads EF 0003 as 336, EF 0004 as 568 and EF 0005 as 256 bytes."""
    r = jpki_myna.MynaReader(wire)
    sig = jpki_myna.text_signature(r, CARD_INFO_PIN)
    assert list(sig) == [0xDF31, 0xDF32, 0xDF33] and len(sig[0xDF33]) == 256
    assert verify_signature(sig[0xDF31] + sig[0xDF32], sig[0xDF33])
    cert = jpki_myna.text_cert(r, CARD_INFO_PIN)
    assert cert[:2] == b"\x5f\x4e"
    ap_info, key_id = jpki_myna.text_info(r)
    assert len(ap_info) == 4 and len(key_id) == 16


def test_myna_visual(wire: Wire) -> None:
    r = jpki_myna.MynaReader(wire)
    apid, version, city = jpki_myna.visual_basic_info(r)
    assert len(bytes.fromhex(apid)) == 4 and version == 1 and city == "東京都千代田区"
    entries = jpki_myna.visual_entries(r, CARD_INFO_PIN)
    assert entries["birth"] == b"19900401" and entries["sex"] == b"2"
    assert entries["name"].startswith(b"\x89PNG\r\n\x1a\n") and entries["addr"].startswith(b"\x89PNG")
    assert entries["photo"][:12] == bytes.fromhex("0000000C6A5020200D0A870A")  # JPEG 2000 (JP2)


@pytest.mark.parametrize("kind", ["auth", "authca", "signca", "sign"])
def test_myna_jpki_cert_R_CHIP_2(chip: Chip, wire: Wire, kind: str) -> None:
    r = jpki_myna.MynaReader(wire)
    slot = KeySlot.SIGN if kind.startswith("sign") else KeySlot.AUTH
    expected = chip.ca_certificate(slot) if kind.endswith("ca") else chip.certificate(slot)
    assert jpki_myna.jpki_cert(r, kind, SIGN_PW) == expected


def test_myna_jpki_sign_R_CERT_2(chip: Chip, wire: Wire) -> None:
    from cryptography import x509

    r = jpki_myna.MynaReader(wire)
    digest = hashlib.sha256(b"document").digest()
    cert_der, signature = jpki_myna.jpki_sign(r, SIGN_PW, digest_info("sha256", digest))
    cert = x509.load_der_x509_certificate(cert_der)
    cert.public_key().verify(signature, b"document", padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    sig = jpki_myna.jpki_pkey_sign_auth(r, AUTH_PIN, digest_info("sha256", digest))
    chip.public_key(KeySlot.AUTH).verify(sig, b"document", padding.PKCS1v15(), hashes.SHA256())


def test_myna_unknown_number(wire: Wire) -> None:
    value = jpki_myna.unknown_number(jpki_myna.MynaReader(wire))
    assert len(value) >= 15 and value[2:15].isdigit()


# -- AokiApp/jsapdu ---------------------------------------------------------------------------


def test_jsapdu_kenhojo_hashes_match_the_signature_file(wire: Wire) -> None:
    """Short EF identifiers everywhere; the hashes jsapdu computes are the card's DF31/DF32."""
    s = jsapdu.Session(wire)
    number, number_hash = jsapdu.kenhojo_my_number(s, CARD_INFO_PIN)
    assert number == NUMBER
    values, four_hash = jsapdu.kenhojo_basic_four(s, CARD_INFO_PIN)
    assert values == {"name": CARD_INFO.name, "address": CARD_INFO.address, "birth": "19900401", "gender": "2"}
    sig = jsapdu.kenhojo_signature(s, CARD_INFO_PIN)
    assert sig["my_number_hash"] == number_hash and sig["basic_four_hash"] == four_hash
    cert = jsapdu.intermediate_certificate(s, jsapdu.KENHOJO_EF["INTERMEDIATE_CERTIFICATE"])
    _public_key(cert["public_key"]).verify(
        sig["signature"], number_hash + four_hash, padding.PKCS1v15(), hashes.SHA256()
    )


def test_jsapdu_kenkaku(wire: Wire) -> None:
    s = jsapdu.Session(wire)
    read = jsapdu.kenkaku_read(s, NUMBER)
    entries = read["entries"]
    assert isinstance(entries, dict)
    assert entries["birth"] == b"19900401" and entries["expire"] == b"20340401"
    assert entries["securityCodePng"].startswith(b"\x89PNG")
    # The signature verifies with the public key of DF24 over the data objects around it.
    _, buffer = jsapdu.kenkaku_entries(s, NUMBER)
    offsets = [int.from_bytes(entries["offsets"][i : i + 2], "big") for i in range(0, 18, 2)]
    signed = buffer[offsets[0] : offsets[6]] + buffer[offsets[7] :]
    _public_key(entries["publicKeyRaw"]).verify(entries["thisSignature"], signed, padding.PKCS1v15(), hashes.SHA256())
    mine = jsapdu.kenkaku_my_number(s, NUMBER)
    assert mine["myNumberPng"].startswith(b"\x89PNG")
    birth = jsapdu.kenkaku_birth(s, PIN_B, jsapdu.KENKAKU_EF["PIN_B"])
    assert birth["birth"] == b"19900401"


def test_jsapdu_pin_b_does_not_open_the_number_image_R_NUM_3(wire: Wire) -> None:
    s = jsapdu.Session(wire)
    s.select_df(jsapdu.KENKAKU_AP)
    s.verify(PIN_B, jsapdu.KENKAKU_EF["PIN_B"])
    with pytest.raises(ReaderError) as err:
        s.read_ef_binary_full(jsapdu.KENKAKU_EF["MY_NUMBER"])
    assert err.value.sw == 0x6982


def test_jsapdu_select_with_fci_and_short_ef_read(chip: Chip, wire: Wire) -> None:
    assert jsapdu.jpki_auth_certificate(jsapdu.Session(wire)) == chip.certificate(KeySlot.AUTH)


# -- siketyan/jpki-rs -------------------------------------------------------------------------


def test_jpki_rs(chip: Chip, wire: Wire) -> None:
    c = jpki_rs.Card(wire)
    assert jpki_rs.read_certificate(c, "auth") == chip.certificate(KeySlot.AUTH)
    assert jpki_rs.read_certificate(c, "sign", SIGN_PW.encode()) == chip.certificate(KeySlot.SIGN)
    di = digest_info("sha256", hashlib.sha256(b"x").digest())
    assert len(jpki_rs.auth(c, AUTH_PIN.encode(), di)) == 256
    assert len(jpki_rs.sign(c, SIGN_PW.encode(), di)) == 256
    assert jpki_rs.read_my_number(c, CARD_INFO_PIN.encode()) == NUMBER
    attrs = jpki_rs.read_attributes(c, CARD_INFO_PIN.encode())
    assert attrs["name"] == CARD_INFO.name and attrs["sex"] == "Female"
    for ef, pin in ((b"\x00\x13", NUMBER), (b"\x00\x12", PIN_B)):
        surface = jpki_rs.read_surface(c, ef, pin.encode())
        assert surface[1] == b"19900401" and surface[8] == b"20340401"


# -- meowkawaiijp/pyjpki ----------------------------------------------------------------------


def test_pyjpki(chip: Chip, wire: Wire) -> None:
    pyjpki.verify_pin(wire, CARD_INFO_PIN, "attr")
    info = pyjpki.read_personal_info(wire)
    assert info == {"name": CARD_INFO.name, "address": CARD_INFO.address, "birth_date": "19900401", "gender": "Female"}
    pyjpki.verify_pin(wire, AUTH_PIN, "auth")
    sig = pyjpki.sign_data(wire, b"login", "auth")
    chip.public_key(KeySlot.AUTH).verify(sig, b"login", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(ReaderError) as err:
        pyjpki.verify_pin(wire, "0000", "auth")
    assert err.value.sw == 0x63C2


def test_face_pins_are_the_card_face_objects(chip: Chip, wire: Wire) -> None:
    """[model] PIN A/B of the card-info-input AP (0014/0015) share the card-face counters."""
    r = jpki_myna.MynaReader(wire)
    r.select_df(jpki_myna.TEXT_AID)
    r.select_ef("0015")
    with pytest.raises(ReaderError):
        r.verify_pin("00000000000000")
    assert chip.face_tries_left(FacePin.B) == 9
    assert jpki_myna.pin_status(r)["visual_b"] == 9
