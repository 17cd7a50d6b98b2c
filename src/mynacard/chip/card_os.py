"""The card operating system: ISO 7816-4 commands over the chip model (R_CHIP_3).

``CardOS`` dispatches command APDUs to the selected application; ``VirtualCard`` is the
in-process transport (``transmit(apdu) -> response``) with its ATR. Every answer ends with a
status word: malformed commands, unknown classes or instructions and any unexpected error
become a status word, never an exception to the caller.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from mynacard.chip import tlv
from mynacard.chip.apdu import SW, ApduError, Command, Response, sw_tries_left
from mynacard.chip.applications import (
    APPLICATIONS,
    EF,
    Application,
    BinaryEF,
    KeyEF,
    PinEF,
    ef_present,
)
from mynacard.chip.model import Chip
from mynacard.chip.pins import PinId
from mynacard.chip.session import ChipSession
from mynacard.chip.signing import max_input_length
from mynacard.errors import PinLocked, StateError, ValidationError, WrongPin

log = logging.getLogger(__name__)

#: The JPKI card's answer to reset: T=1, no historical bytes (OpenSC matches on it).
ATR = bytes.fromhex("3BE000FF8131FE4514")

SIGNATURE_LENGTH = 256
MAX_CHALLENGE = 256
MF_FID = b"\x3f\x00"

Handler = Callable[["CardOS", Command], Response]


class CardOS:
    """Selection state and command processing of one card connection."""

    def __init__(self, chip: Chip) -> None:
        self.chip = chip
        self.session = ChipSession(chip)
        self.current_ap: Application | None = None
        self.current_ef: EF | None = None

    def reset(self) -> None:
        """Card reset: the MF is selected and the security status is lost."""
        self.session.reset()
        self.current_ap = None
        self.current_ef = None

    def transmit(self, raw: bytes) -> bytes:
        """Process one command APDU and return the response APDU (data + SW1 SW2)."""
        try:
            cmd = Command.parse(bytes(raw))
            return self.process(cmd).to_bytes()
        except ApduError as exc:
            return Response(exc.sw).to_bytes()
        except Exception:  # a bug must not take the reader down: answer 6F00
            # The header only: the data of a VERIFY or CHANGE is a PIN, and PINs are never logged.
            log.exception("Unexpected error while processing an APDU with header %s", bytes(raw[:4]).hex())
            return Response(SW.NO_PRECISE_DIAGNOSIS).to_bytes()

    def process(self, cmd: Command) -> Response:
        handlers = _HANDLERS.get(cmd.cla)
        if handlers is None:
            return Response(SW.CLA_NOT_SUPPORTED)
        handler = handlers.get(cmd.ins)
        if handler is None:
            return Response(SW.INS_NOT_SUPPORTED)
        return handler(self, cmd)

    # -- SELECT (00 A4) -----------------------------------------------------------------------

    def select(self, cmd: Command) -> Response:
        """SELECT by AID (P1=04), EF identifier (P1=02) or the MF (P1=00).

        P2=0C asks for no data, as JPKI clients send; P2=00 asks for the FCI (AokiApp/jsapdu
        ``selectDf(aid, true)``) and P2=04 for the FCP. [model] Their content: ``6F { 84 AID }``
        for an AP, ``62 { 80 size, 82 descriptor, 83 fid }`` for an EF.
        """
        if cmd.p2 not in (0x0C, 0x00, 0x04):
            return Response(SW.WRONG_P1P2)
        if cmd.p1 == 0x04:
            resp = self._select_ap(cmd.data)
        elif cmd.p1 == 0x02:
            resp = self._select_ef(cmd.data)
        elif cmd.p1 == 0x00:
            if cmd.data not in (b"", MF_FID):
                return Response(SW.FILE_NOT_FOUND)
            self._enter(None)
            resp = Response(SW.OK)
        else:
            return Response(SW.WRONG_P1P2)
        if resp.sw != SW.OK or cmd.p2 == 0x0C or cmd.le is None:  # no Le: no room for data
            return resp
        return Response(SW.OK, self._control_information(cmd.p2)[: cmd.le])

    def _control_information(self, p2: int) -> bytes:
        ef = self.current_ef
        if ef is None:  # an AP or the MF was selected
            name = MF_FID if self.current_ap is None else self.current_ap.aid
            return tlv.encode(0x6F if p2 == 0x00 else 0x62, tlv.encode(0x84, name))
        body = b""
        if isinstance(ef, BinaryEF):
            content = ef.content(self.chip) or b""
            body += tlv.encode(0x80, len(content).to_bytes(2, "big")) + tlv.encode(0x82, b"\x01")
        else:  # PIN and key objects: internal EFs
            body += tlv.encode(0x82, b"\x11" if isinstance(ef, KeyEF) else b"\x10")
        body += tlv.encode(0x83, ef.fid.to_bytes(2, "big"))
        return tlv.encode(0x62, body)

    def _enter(self, ap: Application | None) -> None:
        # Leaving an application drops its security status; re-selecting it keeps it.
        if ap is not self.current_ap:
            self.session.reset()
        self.current_ap = ap
        self.current_ef = None

    def _select_ap(self, aid: bytes) -> Response:
        if not 1 <= len(aid) <= 16:
            return Response(SW.WRONG_LENGTH)
        ap = APPLICATIONS.get(aid)
        if ap is None:
            return Response(SW.FILE_NOT_FOUND)
        self._enter(ap)
        return Response(SW.OK)

    def _find_ef(self, fid: int) -> EF | None:
        ef = None if self.current_ap is None else self.current_ap.files.get(fid)
        if ef is None or not ef_present(ef, self.chip):
            return None
        return ef

    def _select_ef(self, fid: bytes) -> Response:
        if len(fid) != 2:
            return Response(SW.WRONG_LENGTH)
        ef = self._find_ef(int.from_bytes(fid, "big"))
        if ef is None:
            return Response(SW.FILE_NOT_FOUND)
        self.current_ef = ef
        return Response(SW.OK)

    # -- READ BINARY (00 B0) and READ RECORD (00 B2) --------------------------------------------

    def read_binary(self, cmd: Command) -> Response:
        """READ BINARY of the current EF at offset P1P2, or with P1=80|SFI of the EF whose
        identifier is 00SFI at offset P2 (which then becomes the current EF, ISO 7816-4)."""
        if cmd.data or cmd.le is None:
            return Response(SW.WRONG_LENGTH)
        if cmd.p1 & 0x80:
            if cmd.p1 & 0x60:
                return Response(SW.WRONG_P1P2)
            ef = self._find_ef(cmd.p1 & 0x1F)
            if ef is None:
                return Response(SW.FILE_NOT_FOUND)
            offset = cmd.p2
        else:
            ef = self.current_ef
            if ef is None:
                return Response(SW.NO_CURRENT_EF)
            offset = (cmd.p1 << 8) | cmd.p2
        if not isinstance(ef, BinaryEF):
            return Response(SW.INCOMPATIBLE_FILE)
        if ef.read_requires and not any(self.session.is_verified(p) for p in ef.read_requires):
            return Response(SW.SECURITY_STATUS)
        self.current_ef = ef
        content = ef.content(self.chip)
        if content is None:
            return Response(SW.FILE_NOT_FOUND)
        if offset >= len(content):
            return Response(SW.WRONG_OFFSET)
        chunk = content[offset : offset + cmd.le]
        if len(chunk) < cmd.le and not cmd.le_is_max:
            return Response(SW.END_OF_FILE, chunk)
        return Response(SW.OK, chunk)

    def read_record(self, cmd: Command) -> Response:
        """READ RECORD 00 B2 <record> <SFI<<3 | 4>: [model] only record files of the common AP."""
        if cmd.data or cmd.le is None:
            return Response(SW.WRONG_LENGTH)
        if cmd.p2 & 0x07 != 0x04 or cmd.p1 == 0:
            return Response(SW.WRONG_P1P2)
        ap = self.current_ap
        rf = None if ap is None else ap.record_files.get(cmd.p2 >> 3)
        if rf is None:
            return Response(SW.FILE_NOT_FOUND)
        records = rf.records(self.chip)
        if cmd.p1 > len(records):
            return Response(SW.RECORD_NOT_FOUND)
        record = records[cmd.p1 - 1]
        if len(record) > cmd.le and not cmd.le_is_max:
            return Response(0x6C00 | len(record) if len(record) < 256 else SW.WRONG_LENGTH)
        return Response(SW.OK, record)

    # -- VERIFY (00 20) and CHANGE REFERENCE DATA (00 24) ---------------------------------------

    def _pin_ef(self, p2: int) -> PinEF | Response:
        """The PIN a VERIFY or CHANGE addresses: P2=80 the current EF, P2=80|SFI the PIN EF
        with identifier 00SFI (AokiApp/jsapdu ``verify(pin, {ef})``)."""
        if p2 == 0x80:
            ef = self.current_ef
            if ef is None:
                return Response(SW.NO_CURRENT_EF)
        elif 0x81 <= p2 <= 0x9E:
            ef = self._find_ef(p2 & 0x1F)
            if ef is None:
                return Response(SW.REF_DATA_NOT_FOUND)
        else:
            return Response(SW.WRONG_P1P2)
        if not isinstance(ef, PinEF):
            return Response(SW.INCOMPATIBLE_FILE)
        return ef

    def verify(self, cmd: Command) -> Response:
        """VERIFY 00 20 00 80(|SFI): with data, check the PIN; without, report the tries left.

        A blocked PIN answers 63 C0 to the status query and 69 84 to a VERIFY with data, as
        real cards do: OpenSC ``card-jpki.c`` (``jpki_pin_cmd`` GET_INFO) and jpki/myna
        (``read_pin``) accept only 63 Cx to the query and drop the token or fail otherwise;
        jpki/myna Go ``reader.go`` (``Verify``) reads 69 84 as "暗証番号がブロックされています".
        RULES.md R_CHIP_3 says 69 83 for both: the card follows the real one here.
        """
        if cmd.p1 != 0x00:
            return Response(SW.WRONG_P1P2)
        ef = self._pin_ef(cmd.p2)
        if isinstance(ef, Response):
            return ef
        if not cmd.data:
            # Status query: JPKI answers 63Cx even when the PIN is already verified (R_PIN_7).
            return Response(sw_tries_left(self.session.tries_left(ef.pin)))
        try:
            self.session.verify(ef.pin, cmd.data)
        except WrongPin as exc:
            return Response(sw_tries_left(int(exc.fields["tries_left"])))
        except PinLocked:
            return Response(SW.PIN_BLOCKED)
        except StateError:  # PIN never set, or card-face PIN B without its data
            return Response(SW.REF_DATA_NOT_FOUND)
        return Response(SW.OK)

    def change_reference_data(self, cmd: Command) -> Response:
        """CHANGE REFERENCE DATA 00 24 01 80(|SFI): new PIN only, after VERIFY (R_PIN_6)."""
        if cmd.p1 != 0x01:
            return Response(SW.WRONG_P1P2)
        ef = self._pin_ef(cmd.p2)
        if isinstance(ef, Response):
            return ef
        if not ef.changeable or not isinstance(ef.pin, PinId):
            return Response(SW.INCOMPATIBLE_FILE)
        if not cmd.data:
            return Response(SW.WRONG_LENGTH)
        if self.chip.is_locked(ef.pin):
            return Response(SW.PIN_BLOCKED)
        if not self.session.is_verified(ef.pin):
            return Response(SW.SECURITY_STATUS)
        try:
            self.session.change(ef.pin, cmd.data)
        except ValidationError:
            return Response(SW.WRONG_DATA)
        return Response(SW.OK)

    # -- GET CHALLENGE (00 84) ------------------------------------------------------------------

    def get_challenge(self, cmd: Command) -> Response:
        """GET CHALLENGE 00 84 00 00 Le: Le random bytes (1 to 256).

        [model] No open reader of the card's own APs sends it, and no source shows the real
        card's answer; OpenSC's PKCS#11 ``C_GenerateRandom`` sends the ISO 7816-4 command with
        the length it wants (``pkcs11-tool --test``), and the card answers it as ISO cards do.
        """
        if (cmd.p1, cmd.p2) != (0x00, 0x00):
            return Response(SW.WRONG_P1P2)
        if cmd.data or cmd.le is None or cmd.le > MAX_CHALLENGE:
            return Response(SW.WRONG_LENGTH)
        return Response(SW.OK, secrets.token_bytes(cmd.le))

    # -- COMPUTE DIGITAL SIGNATURE (80 2A) ----------------------------------------------------

    def compute_signature(self, cmd: Command) -> Response:
        """80 2A 00 80 with a DigestInfo, after SELECT of the key EF and VERIFY of its PIN."""
        if (cmd.p1, cmd.p2) != (0x00, 0x80):
            return Response(SW.WRONG_P1P2)
        ef = self.current_ef
        if ef is None:
            return Response(SW.NO_CURRENT_EF)
        if not isinstance(ef, KeyEF):
            return Response(SW.INCOMPATIBLE_FILE)
        if not 1 <= len(cmd.data) <= max_input_length(SIGNATURE_LENGTH):
            return Response(SW.WRONG_LENGTH)
        if cmd.le is not None and cmd.le < SIGNATURE_LENGTH:
            return Response(SW.WRONG_LENGTH)
        if not self.chip.has_key(ef.slot):
            return Response(SW.REF_DATA_NOT_FOUND)
        try:
            signature = self.session.sign(ef.slot, cmd.data)
        except StateError:  # SecurityStatusError: the key's PIN is not verified
            return Response(SW.SECURITY_STATUS)
        except ValidationError:
            return Response(SW.WRONG_LENGTH)
        return Response(SW.OK, signature)


_HANDLERS: dict[int, dict[int, Handler]] = {
    0x00: {
        0xA4: CardOS.select,
        0xB0: CardOS.read_binary,
        0xB2: CardOS.read_record,
        0x84: CardOS.get_challenge,
        0x20: CardOS.verify,
        0x24: CardOS.change_reference_data,
    },
    0x80: {0x2A: CardOS.compute_signature},
}


class VirtualCard:
    """An in-process card: what a PC/SC reader would give client software."""

    atr = ATR

    def __init__(self, chip: Chip) -> None:
        self.chip = chip
        self.os = CardOS(chip)

    def reset(self) -> bytes:
        """Warm reset: returns the ATR; the security status is lost, the counters stay."""
        self.os.reset()
        return self.atr

    def transmit(self, apdu: bytes) -> bytes:
        return self.os.transmit(apdu)
