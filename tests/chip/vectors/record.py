"""Record the APDU test vectors: ``python -m tests.chip.vectors.record``.

Builds a personalised chip (fresh RSA-2048 keys, test certificates), saves it as
``card.json`` and runs the client sessions below against ``VirtualCard``, writing one
``*.trace`` file per session. See README.md before regenerating.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Callable

from mynacard.chip import Chip, ChipState, KeySlot, PinId, digest_info
from mynacard.chip.card_os import VirtualCard
from mynacard.chip.client import CARD_FACE_AID, CARD_INFO_AID, JPKI_AID, RESIDENT_AID, CardClient
from mynacard.crypto import new_rsa_key
from tests.chip.conftest import CARD_INFO, make_certificate
from tests.chip.vectors.trace import VECTORS, format_trace

SHA256_DI = digest_info("sha256", hashlib.sha256(b"mynacard test vector").digest())


def make_card_json() -> str:
    master_key = os.urandom(32)
    chip = Chip.blank("vector-card-0001", master_key=master_key)
    for pin_id, value in [
        (PinId.SIGN, "ABC123"),
        (PinId.AUTH, "1234"),
        (PinId.RESIDENT, "5678"),
        (PinId.CARD_INFO, "9012"),
    ]:
        chip.set_pin(pin_id, value)
    ca = new_rsa_key()
    for slot in KeySlot:
        pub = chip.generate_key(slot)
        chip.write_certificate(slot, make_certificate(pub, ca, f"JPKI {slot.value} test holder"))
        chip.write_ca_certificate(slot, make_certificate(ca.public_key(), ca, "JPKI test CA"))
    chip.write_card_info(CARD_INFO)
    return json.dumps(
        {"master_key": master_key.hex(), "state": json.loads(chip.state.to_json())},
        ensure_ascii=False,
        indent=1,
        sort_keys=True,
    )


def load_card(text: str) -> VirtualCard:
    data = json.loads(text)
    state = ChipState.from_json(json.dumps(data["state"], ensure_ascii=False))
    return VirtualCard(Chip(state, master_key=bytes.fromhex(data["master_key"])))


def opensc_auth_login(c: CardClient) -> None:
    """OpenSC jpki driver: match, read token and auth certificate, PIN status, login, sign
    (CKM_SHA256_RSA_PKCS with the authentication key)."""
    c.select_ap(JPKI_AID)
    c.select_ef(0x0006)
    c.read_binary(0, 32)
    c.select_ef(0x000A)
    c.read_certificate()
    c.tries_left(0x0018)
    c.verify(0x0018, b"1234")
    c.sign(0x0017, SHA256_DI)


def opensc_signing(c: CardClient) -> None:
    """Signing certificate: refused before the signing password, read after it; signatures
    over a SHA-256 DigestInfo and over raw CKM_RSA_PKCS data (36 bytes)."""
    c.select_ap(JPKI_AID)
    c.select_ef(0x0001)
    c.read_binary(0, 4)
    c.tries_left(0x001B)
    c.verify(0x001B, b"ABC123")
    c.select_ef(0x0001)
    c.read_certificate()
    c.select_ef(0x0002)
    c.read_current()
    c.sign(0x001A, SHA256_DI)
    c.sign(0x001A, bytes(range(36)))


def pin_lock(c: CardClient) -> None:
    """Three wrong authentication PINs lock it (63C2, 63C1, 63C0, then 6984 to the right PIN
    and 63C0 to the status query, as real cards answer); the signing password keeps its own
    counter; a reset does not restore tries."""
    c.select_ap(JPKI_AID)
    for _ in range(3):
        c.verify(0x0018, b"0000")
    c.verify(0x0018, b"1234")
    c.tries_left(0x0018)
    c.verify(0x001B, b"abc123")
    c.tries_left(0x001B)
    c.send(bytes.fromhex("00A4040C0AD392F000260100000001"))


def change_pin(c: CardClient) -> None:
    """CHANGE REFERENCE DATA 00 24 01 80 after VERIFY; the old PIN then fails."""
    c.select_ap(JPKI_AID)
    c.select_ef(0x0018)
    c.send(bytes.fromhex("002401800434333231"))
    c.verify(0x0018, b"1234")
    c.send(bytes.fromhex("002401800434333231"))
    c.verify(0x0018, b"1234")
    c.verify(0x0018, b"4321")


def card_info_ap(c: CardClient) -> None:
    """Card-info-input AP: PIN EF 0011, number EF 0001 (17 bytes), attributes EF 0002
    (FF 20 82 xx xx ...), signature EF 0003 (336 bytes), public EFs 0004 and 0005, PIN A/B
    EFs 0014 and 0015."""
    c.select_ap(CARD_INFO_AID)
    c.select_ef(0x0002)
    c.send(bytes.fromhex("00B0000000"))
    c.tries_left(0x0011)
    c.tries_left(0x0014)
    c.tries_left(0x0015)
    c.verify(0x0011, b"9012")
    c.select_ef(0x0001)
    c.read_binary(0, 17)
    c.select_ef(0x0002)
    c.read_current()
    c.select_ef(0x0003)
    c.read_binary(0, 256)
    c.read_binary(256, 80)
    c.read_ef(0x0004)
    c.read_ef(0x0005)


def card_face_ap(c: CardClient) -> None:
    """Card-face AP: public EFs 0003 and 0004; PIN B opens the front (EF 0001 birth; EF 0002
    starts FF 20 82) but not the number image EF 0005; PIN A does. The images themselves are
    not in the trace: their bytes depend on the Pillow version and the fonts."""
    c.select_ap(CARD_FACE_AID)
    c.read_ef(0x0003)
    c.read_ef(0x0004)
    c.verify(0x0012, b"90040120344321")
    c.read_ef(0x0001)
    c.select_ef(0x0002)
    c.read_binary(0, 3)
    c.select_ef(0x0005)
    c.read_binary(0, 1)
    c.verify(0x0013, b"123456789018")
    c.select_ef(0x0005)
    c.read_binary(0, 3)


def resident_ap(c: CardClient) -> None:
    """Resident-registry AP: its own 4-digit PIN in EF 001C (EF 0011 answers 6A82)."""
    c.select_ap(RESIDENT_AID)
    c.send(bytes.fromhex("00A4020C020011"))
    c.tries_left(0x001C)
    c.verify(0x001C, b"5678")


def errors(c: CardClient) -> None:
    """Error status words, in order: 6E00 unknown class, 6D00 unknown instruction, 6A82
    unknown AID, 6700 SELECT without AID, (select JPKI), 9000 and the FCI for SELECT with
    P2=00, 6A82 unknown EF, 6986 READ without current EF, 6981 READ of a PIN EF, 6981 VERIFY of
    EF 0001 by its short EF identifier (P2=81, not a PIN), 6982 READ of the signing
    certificate by its short EF identifier before the password, 6B00 offset beyond the end,
    6282 Le past the end,
    9000 extended Le 0000 (whole file), 6700 truncated extended Le, 6982 sign before VERIFY,
    6700 Lc not matching the length, 6A82 unknown 6-byte AID."""
    ops = [
        "FFCA000000",
        "00CA9F7F00",
        "00A4040C0AD392F000260100000002",
        "00A4040C",
        "00A4040C0AD392F000260100000001",
        "00A404000AD392F00026010000000100",
        "00A4020C020099",
        "00B0000000",
        "00A4020C020018",
        "00B0000000",
        "00200081",
        "00A4020C02000A",
        "00B0810001",
        "00B07FFF01",
    ]
    for h in ops:
        c.send(bytes.fromhex(h))
    head = c.read_binary(0, 4).data
    end = 4 + int.from_bytes(head[2:4], "big")
    c.read_binary(end - 2, 16)
    for h in [
        "00B00000000000",
        "00B000000000",
        "00A4020C020017",
        f"802A008033{SHA256_DI.hex()}00",
        "802A0080033031300000",
        "00A4040C06D392F0002601",
    ]:
        c.send(bytes.fromhex(h))


SESSIONS: dict[str, Callable[[CardClient], None]] = {
    "opensc_auth_login": opensc_auth_login,
    "opensc_signing": opensc_signing,
    "pin_lock": pin_lock,
    "change_pin": change_pin,
    "card_info_ap": card_info_ap,
    "card_face_ap": card_face_ap,
    "resident_ap": resident_ap,
    "errors": errors,
}


def record(
    card_text: str, session: Callable[[CardClient], None]
) -> list[tuple[bytes | None, bytes]]:
    card = load_card(card_text)
    client = CardClient(card.transmit)
    atr = card.reset()
    session(client)
    return [(None, atr), *client.log]


def main() -> None:
    card_path = VECTORS / "card.json"
    if not card_path.exists():
        card_path.write_text(make_card_json() + "\n", encoding="utf-8")
    card_text = card_path.read_text(encoding="utf-8")
    for name, session in SESSIONS.items():
        description = inspect.cleandoc(session.__doc__ or name)
        text = format_trace(description, record(card_text, session))
        (VECTORS / f"{name}.trace").write_text(text, encoding="ascii")
        print("wrote", name)


if __name__ == "__main__":
    main()
