"""What the JPKI client software does with the card, as APDU sequences (R_CHIP_1..4).

PIN rules on this side of the reader (R_PIN_1..7):

- the form of a PIN is checked before it is sent, so a mistyped form costs no try;
- the tries left are read with VERIFY without data, which spends nothing (R_PIN_7);
- a VERIFY is sent once per request and never repeated after a failure (R_PIN_4): a wrong
  PIN raises ``WrongPin`` with the tries left, a locked one ``PinLocked`` (which says how to
  unlock it at the window).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cryptography import x509

from mynacard.chip import KeySlot, PinId, check_pin_format, tlv
from mynacard.chip.apdu import SW, Response
from mynacard.chip.client import (
    CARD_INFO_AID,
    JPKI_AID,
    RESIDENT_AID,
    CardClient,
    CardStatusError,
)
from mynacard.client.transport import Transport
from mynacard.errors import NotFoundError, PinLocked, StateError, WrongPin

#: Where each PIN lives: the AP's AID and the PIN EF.
PIN_LOCATIONS: dict[PinId, tuple[bytes, int]] = {
    PinId.SIGN: (JPKI_AID, 0x001B),
    PinId.AUTH: (JPKI_AID, 0x0018),
    PinId.RESIDENT: (RESIDENT_AID, 0x001C),
    PinId.CARD_INFO: (CARD_INFO_AID, 0x0011),
}

#: JPKI EFs of each key slot: (certificate, CA certificate, private key).
SLOT_FILES: dict[KeySlot, tuple[int, int, int]] = {
    KeySlot.SIGN: (0x0001, 0x0002, 0x001A),
    KeySlot.AUTH: (0x000A, 0x000B, 0x0017),
}

SLOT_PIN = {KeySlot.SIGN: PinId.SIGN, KeySlot.AUTH: PinId.AUTH}

SLOT_EN = {KeySlot.SIGN: "signing", KeySlot.AUTH: "authentication"}
SLOT_JA = {KeySlot.SIGN: "署名用電子証明書", KeySlot.AUTH: "利用者証明用電子証明書"}


class NoCertificate(NotFoundError):
    """The card carries no certificate of this kind: the holder declined it, or it was revoked
    (R_CERT_10). Its key EF is absent, so no PIN is asked for and no try is spent."""

    code = "no_certificate"

    def __init__(self, slot: KeySlot) -> None:
        super().__init__(
            f"This card has no {SLOT_EN[slot]} certificate (not issued, or revoked). The holder can have "
            "one issued at the municipal window with the card and a photo ID.",
            f"このカードには{SLOT_JA[slot]}が搭載されていません(発行していないか、失効しています)。"
            "お住まいの市区町村の窓口で、カードと本人確認書類を持参のうえ発行を申請してください。",
            kind=slot.value,
        )


@dataclass(frozen=True)
class CardAttributes:
    """The basic four attributes (基本4情報) of the card-info-input AP (R_CHIP_4)."""

    name: str
    address: str
    birth_date: date
    sex: str


def parse_attributes(data: bytes) -> CardAttributes:
    """EF 0002 of the card-info-input AP: FF20 { DF21 offsets, DF22..DF25 }."""
    outer = tlv.decode(data)
    if not outer or outer[0][0] != 0xFF20:
        raise ValueError("EF 0002 does not start with FF20.")
    fields = dict(tlv.decode(outer[0][1]))
    try:
        birth = fields[0xDF24].decode("ascii")
        return CardAttributes(
            name=fields[0xDF22].decode("utf-8"),
            address=fields[0xDF23].decode("utf-8"),
            birth_date=date(int(birth[:4]), int(birth[4:6]), int(birth[6:8])),
            sex=fields[0xDF25].decode("ascii"),
        )
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"EF 0002 is damaged: {exc}") from exc


class JpkiCard:
    """One card session over a transport: the JPKI client's operations."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.apdu = CardClient(transport.transmit)
        self._ap: bytes | None = None

    def _select(self, aid: bytes) -> None:
        # Selecting another AP drops the security status: re-select only when needed.
        if self._ap != aid:
            self._ap = None
            self.apdu.select_ap(aid)
            self._ap = aid

    # -- PINs -------------------------------------------------------------------------------

    def tries_left(self, pin: PinId) -> int:
        """VERIFY without data (R_PIN_7): nothing is spent."""
        aid, fid = PIN_LOCATIONS[pin]
        self._select(aid)
        return self.apdu.tries_left(fid)

    def all_tries_left(self) -> dict[PinId, int]:
        return {pin: self.tries_left(pin) for pin in PinId}

    def verify(self, pin: PinId, value: str) -> None:
        """One VERIFY with the PIN in the form the card stores; never repeated (R_PIN_4)."""
        normalized = check_pin_format(pin, value)  # ValidationError: no try spent
        aid, fid = PIN_LOCATIONS[pin]
        self._select(aid)
        resp = self.apdu.verify(fid, normalized.encode("ascii"))
        _check_verify(pin, resp)

    def change_pin(self, pin: PinId, old: str, new: str) -> None:
        """R_PIN_6: both forms checked first, then VERIFY old and CHANGE REFERENCE DATA."""
        new_normalized = check_pin_format(pin, new)
        self.verify(pin, old)
        resp = self.apdu.send(bytes.fromhex("00240180") + bytes((len(new_normalized),)) + new_normalized.encode())
        if resp.sw != SW.OK:
            raise CardStatusError("CHANGE REFERENCE DATA", resp.sw)

    # -- certificates -----------------------------------------------------------------------

    def has_certificate(self, slot: KeySlot) -> bool:
        """Whether the card carries the slot's key: SELECT of the key EF, which needs no PIN and
        spends nothing; a card without the certificate answers 6A82 (``chip.applications``)."""
        self._select(JPKI_AID)
        resp = self.apdu.send(bytes.fromhex("00A4020C02") + SLOT_FILES[slot][2].to_bytes(2, "big"))
        if resp.sw == SW.FILE_NOT_FOUND:
            return False
        if resp.sw != SW.OK:
            raise CardStatusError("SELECT EF", resp.sw)
        return True

    def require_certificate(self, slot: KeySlot) -> None:
        """``NoCertificate`` before any PIN is asked for, when the card has none of the slot."""
        if not self.has_certificate(slot):
            raise NoCertificate(slot)

    def certificate(self, slot: KeySlot, *, ca: bool = False) -> x509.Certificate | None:
        """A certificate from the JPKI AP, or None if the card has none in that slot.

        The signing certificate (EF 0001) is readable only after ``verify(PinId.SIGN, ...)``.
        """
        cert_fid, ca_fid, _ = SLOT_FILES[slot]
        self._select(JPKI_AID)
        resp = self.apdu.send(bytes.fromhex("00A4020C02") + (ca_fid if ca else cert_fid).to_bytes(2, "big"))
        if resp.sw == SW.FILE_NOT_FOUND:
            return None
        if resp.sw != SW.OK:
            raise CardStatusError("SELECT EF", resp.sw)
        head = self.apdu.read_binary(0, 4)
        if head.sw == SW.SECURITY_STATUS:
            raise StateError(
                "The signing certificate is readable only after the signing password (R_CHIP_2).",
                "署名用電子証明書の読み出しには署名用パスワードが必要です。",
            )
        return x509.load_der_x509_certificate(self.apdu.read_certificate())

    # -- card-info-input AP -------------------------------------------------------------------

    def attributes(self, pin: str) -> CardAttributes:
        """The basic four attributes, after the card-info-input PIN (R_CHIP_4)."""
        self.verify(PinId.CARD_INFO, pin)
        self.apdu.select_ef(0x0002)
        return parse_attributes(self.apdu.read_current())

    # -- signing ----------------------------------------------------------------------------

    def sign(self, slot: KeySlot, pin: str, digest_info: bytes) -> bytes:
        """VERIFY the slot's PIN, SELECT its key EF, 80 2A with the DigestInfo (R_CERT_2)."""
        self.verify(SLOT_PIN[slot], pin)
        return self.sign_verified(slot, digest_info)

    def sign_verified(self, slot: KeySlot, digest_info: bytes) -> bytes:
        """SELECT the key EF and 80 2A; the slot's PIN was verified in this session."""
        self._select(JPKI_AID)
        return self.apdu.sign(SLOT_FILES[slot][2], digest_info)


def _check_verify(pin: PinId, resp: Response) -> None:
    if resp.sw == SW.OK:
        return
    if resp.sw & 0xFFF0 == 0x63C0:
        tries = resp.sw & 0x0F
        if tries == 0:
            raise PinLocked(pin.value)
        raise WrongPin(pin.value, tries)
    if resp.sw == SW.PIN_BLOCKED:
        raise PinLocked(pin.value)
    if resp.sw == SW.REF_DATA_NOT_FOUND:
        raise StateError(
            f"The {pin.value} PIN is not set on this card.",
            "この暗証番号はカードに設定されていません。",
            pin=pin.value,
        )
    raise CardStatusError("VERIFY", resp.sw)
