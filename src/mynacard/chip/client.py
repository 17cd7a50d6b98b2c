"""A small client for the card's APDU interface, as reader-side software uses it.

It speaks only through ``transmit(apdu) -> response``, so the same code drives the
in-process ``VirtualCard`` and, later, a real card behind PC/SC. It follows the sequences
client software uses: SELECT the AP by AID (P2=0C), SELECT the EF, VERIFY, READ BINARY in
256-byte steps, SELECT the key EF and 80 2A.
"""

from __future__ import annotations

from collections.abc import Callable

from mynacard.chip.apdu import SW, Command, Response
from mynacard.errors import MynaError

Transmit = Callable[[bytes], bytes]

JPKI_AID = bytes.fromhex("D392F000260100000001")
CARD_INFO_AID = bytes.fromhex("D3921000310001010408")
CARD_FACE_AID = bytes.fromhex("D3921000310001010402")
RESIDENT_AID = bytes.fromhex("D3921000310001010401")


class CardStatusError(MynaError):
    """The card answered a status word other than 9000."""

    code = "card_status"

    def __init__(self, command: str, sw: int) -> None:
        super().__init__(
            f"The card refused {command}: SW {sw:04X}.",
            f"カードがコマンドを拒否しました。応答コード: {sw:04X}",
            command=command,
            sw=sw,
        )


class CardClient:
    """Command sequences over a ``transmit`` function."""

    def __init__(self, transmit: Transmit) -> None:
        self._transmit = transmit
        #: Every (command, response) pair, for traces and debugging.
        self.log: list[tuple[bytes, bytes]] = []

    def send(self, cmd: Command | bytes) -> Response:
        raw = cmd.to_bytes() if isinstance(cmd, Command) else bytes(cmd)
        answer = self._transmit(raw)
        self.log.append((raw, answer))
        return Response.parse(answer)

    def _ok(self, what: str, cmd: Command) -> Response:
        resp = self.send(cmd)
        if resp.sw != SW.OK:
            raise CardStatusError(what, resp.sw)
        return resp

    def select_ap(self, aid: bytes) -> None:
        self._ok("SELECT AP", Command(0x00, 0xA4, 0x04, 0x0C, aid))

    def select_ef(self, fid: int) -> None:
        self._ok("SELECT EF", Command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))

    def read_binary(self, offset: int, le: int) -> Response:
        return self.send(Command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le))

    def read_current(self) -> bytes:
        """The whole current EF, read in 256-byte steps until the card reports its end."""
        out = b""
        while True:
            resp = self.read_binary(len(out), 256)
            if resp.sw == SW.WRONG_OFFSET and out:
                return out
            if resp.sw not in (SW.OK, SW.END_OF_FILE):
                raise CardStatusError("READ BINARY", resp.sw)
            out += resp.data
            if len(resp.data) < 256 or resp.sw == SW.END_OF_FILE:
                return out

    def read_certificate(self) -> bytes:
        """The DER certificate of the current EF: its length comes from the 4-byte header."""
        head = self.read_binary(0, 4)
        if head.sw != SW.OK or len(head.data) != 4 or head.data[:2] != b"\x30\x82":
            raise CardStatusError("READ BINARY", head.sw)
        total = 4 + int.from_bytes(head.data[2:4], "big")
        out = head.data
        while len(out) < total:
            resp = self.read_binary(len(out), min(256, total - len(out)))
            if resp.sw != SW.OK or not resp.data:
                raise CardStatusError("READ BINARY", resp.sw)
            out += resp.data
        return out

    def read_ef(self, fid: int) -> bytes:
        self.select_ef(fid)
        return self.read_current()

    def tries_left(self, pin_fid: int) -> int:
        """VERIFY without data: the tries left, without spending one (R_PIN_7)."""
        self.select_ef(pin_fid)
        resp = self.send(Command(0x00, 0x20, 0x00, 0x80))
        if resp.sw == SW.PIN_BLOCKED:
            return 0
        if resp.sw & 0xFFF0 == 0x63C0:
            return resp.sw & 0x0F
        raise CardStatusError("VERIFY", resp.sw)

    def verify(self, pin_fid: int, pin: bytes) -> Response:
        """SELECT the PIN EF and VERIFY; the response tells 9000, 63Cx or 6984 (blocked)."""
        self.select_ef(pin_fid)
        return self.send(Command(0x00, 0x20, 0x00, 0x80, pin))

    def change_pin(self, pin_fid: int, old: bytes, new: bytes) -> None:
        resp = self.verify(pin_fid, old)
        if resp.sw != SW.OK:
            raise CardStatusError("VERIFY", resp.sw)
        self._ok("CHANGE REFERENCE DATA", Command(0x00, 0x24, 0x01, 0x80, new))

    def sign(self, key_fid: int, digest_info: bytes) -> bytes:
        """SELECT the key EF and COMPUTE DIGITAL SIGNATURE (its PIN verified before)."""
        self.select_ef(key_fid)
        return self._ok(
            "COMPUTE DIGITAL SIGNATURE", Command(0x80, 0x2A, 0x00, 0x80, digest_info, le=256)
        ).data
