"""ISO/IEC 7816-4 command and response APDUs: parse, encode, status words.

A command is one of four cases (no data / Le only / data only / data and Le), each in short
form (Lc, Le one byte; Le 00 means 256) or extended form (a 00 byte, then two-byte Lc/Le;
Le 0000 means 65536). ``parse_command`` checks every length before trusting it and reports a
malformed APDU as an ``ApduError`` carrying the status word to answer (6700), never as an
arbitrary exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class SW(IntEnum):
    """The status words this card answers."""

    OK = 0x9000
    END_OF_FILE = 0x6282  # fewer bytes than Le: end of file reached
    WRONG_LENGTH = 0x6700
    INCOMPATIBLE_FILE = 0x6981  # command incompatible with the file structure
    SECURITY_STATUS = 0x6982  # security status not satisfied
    AUTH_METHOD_BLOCKED = 0x6983  # not answered by the card: see PIN_BLOCKED
    # A VERIFY or CHANGE of a blocked PIN: "reference data not usable", as real cards answer
    # (jpki/myna Go reader.go; RULES.md R_CHIP_3 says 6983, the card follows the real one).
    PIN_BLOCKED = 0x6984
    CONDITIONS_NOT_SATISFIED = 0x6985
    NO_CURRENT_EF = 0x6986
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    FUNCTION_NOT_SUPPORTED = 0x6A81
    RECORD_NOT_FOUND = 0x6A83
    WRONG_P1P2 = 0x6A86
    REF_DATA_NOT_FOUND = 0x6A88
    WRONG_OFFSET = 0x6B00  # wrong parameters P1-P2: offset outside the EF
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00


def sw_tries_left(tries: int) -> int:
    """63 Cx: the verification failed (or was a status query) and x tries are left."""
    return 0x63C0 | min(max(tries, 0), 15)


def is_valid_sw(sw: int) -> bool:
    """True for a status word this card can answer."""
    return (
        sw in SW._value2member_map_ or 0x63C0 <= sw <= 0x63CF or 0x6C01 <= sw <= 0x6CFF
    )


class ApduError(Exception):
    """A command that cannot be processed; ``sw`` is the status word to answer."""

    def __init__(self, sw: int, message: str = "") -> None:
        super().__init__(message or f"SW {sw:04X}")
        self.sw = sw


SHORT_MAX_LE = 256
EXTENDED_MAX_LE = 65536


@dataclass(frozen=True)
class Command:
    """A command APDU. ``le`` is Ne, the number of bytes expected (None: no Le field)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool = False

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ValueError(f"{name.upper()} should be one byte, not {value}.")
        if len(self.data) > 65535:
            raise ValueError("The command data should be at most 65535 bytes.")
        if self.le is not None and not 1 <= self.le <= EXTENDED_MAX_LE:
            raise ValueError("Le should be 1 to 65536.")

    @property
    def le_is_max(self) -> bool:
        """Le was 00 (short) or 0000 (extended): "as many bytes as available"."""
        return self.le == (EXTENDED_MAX_LE if self.extended else SHORT_MAX_LE)

    def to_bytes(self) -> bytes:
        """Encode in short form when it fits, extended form otherwise (or when asked)."""
        header = bytes((self.cla, self.ins, self.p1, self.p2))
        extended = (
            self.extended
            or len(self.data) > 255
            or (self.le is not None and self.le > SHORT_MAX_LE)
        )
        body = b""
        if extended:
            if self.data:
                body += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                body += (b"" if self.data else b"\x00") + (self.le % EXTENDED_MAX_LE).to_bytes(
                    2, "big"
                )
        else:
            if self.data:
                body += bytes((len(self.data),)) + self.data
            if self.le is not None:
                body += bytes((self.le % SHORT_MAX_LE,))
        return header + body

    @classmethod
    def parse(cls, raw: bytes) -> Command:
        """Decode a command APDU; ``ApduError(6700)`` if its length fields do not add up."""
        n = len(raw)
        if n < 4:
            raise ApduError(SW.WRONG_LENGTH, "A command APDU has at least 4 bytes.")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        if n == 4:  # case 1
            return cls(cla, ins, p1, p2)
        if n == 5:  # case 2 short
            return cls(cla, ins, p1, p2, le=raw[4] or SHORT_MAX_LE)
        if raw[4] != 0:  # case 3 or 4 short
            lc = raw[4]
            if n == 5 + lc:
                return cls(cla, ins, p1, p2, bytes(raw[5:]))
            if n == 6 + lc:
                return cls(cla, ins, p1, p2, bytes(raw[5:-1]), le=raw[-1] or SHORT_MAX_LE)
            raise ApduError(SW.WRONG_LENGTH, "Lc does not match the command length.")
        # raw[4] == 0 and n >= 6: extended length
        if n == 7:  # case 2 extended
            return cls(
                cla,
                ins,
                p1,
                p2,
                le=int.from_bytes(raw[5:7], "big") or EXTENDED_MAX_LE,
                extended=True,
            )
        if n < 7:
            raise ApduError(SW.WRONG_LENGTH, "Truncated extended length field.")
        lc = int.from_bytes(raw[5:7], "big")
        if lc == 0:
            raise ApduError(SW.WRONG_LENGTH, "Extended Lc of zero.")
        if n == 7 + lc:
            return cls(cla, ins, p1, p2, bytes(raw[7:]), extended=True)
        if n == 9 + lc:
            le = int.from_bytes(raw[-2:], "big") or EXTENDED_MAX_LE
            return cls(cla, ins, p1, p2, bytes(raw[7:-2]), le=le, extended=True)
        raise ApduError(SW.WRONG_LENGTH, "Extended Lc does not match the command length.")


@dataclass(frozen=True)
class Response:
    """A response APDU: data, then SW1 SW2."""

    sw: int
    data: bytes = b""

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ValueError("A response APDU has at least the two status bytes.")
        return cls(sw=int.from_bytes(raw[-2:], "big"), data=bytes(raw[:-2]))

    @property
    def ok(self) -> bool:
        return self.sw == SW.OK
