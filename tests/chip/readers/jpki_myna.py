"""jpki/myna, the ``myna`` command of the JPKI project (github.com/jpki/myna).

Transcribed from its source, two generations:

- Rust, commit f85dc71 (``src/reader.rs``, ``src/jpki.rs``, ``src/text.rs``, ``src/visual.rs``,
  ``src/unknown.rs``, ``src/cli.rs``): ``myna pin status``, ``myna text basic-info|mynumber|attrs``,
  ``myna visual basic-info|name|addr|birth|sex|photo``, ``myna jpki cert auth|sign|authca|signca``,
  ``myna jpki pkey sign`` / ``cms sign``, ``myna unknown number``.
- Go, the last commit before df6cd7e ("remove go version", ``_go/libmyna/*.go``): the card
  check every command runs first (``CheckCard``: the token EF), ``myna pin status``
  (``GetPinStatus``), ``myna text signature|cert|info`` (fixed sizes 336, 568 and 256 bytes);
  and Go before f3fa449 (2019, ``cmd/card.go``, ``libmyna/card_info_ap.go``): ``myna card
  mynumber|attr|photo``.

The rules the readers apply: every SELECT and READ BINARY must answer 90 00 (a short read
is an error); the tries-left query (VERIFY without data) must answer 63 Cx, else the
command fails; ``read_binary_all`` reads 7 bytes, takes the TLV's size from them and reads
the rest.
"""

from __future__ import annotations

from tests.chip.readers import ReaderError, Wire, ber_children, ber_parse, ber_total_size, short_apdu

JPKI_AID = bytes.fromhex("D392F000260100000001")
TEXT_AID = bytes.fromhex("D3921000310001010408")
VISUAL_AID = bytes.fromhex("D3921000310001010402")
UNKNOWN_AID = bytes.fromhex("D3921000310001010100")


class MynaReader:
    """``MynaReader`` of src/reader.rs: its commands and their success rules."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    def _ok(self, what: str, apdu: bytes) -> bytes:
        data, sw = self.wire.transmit(apdu)
        if sw != 0x9000:
            raise ReaderError(what, sw)
        return data

    def select_df(self, aid: bytes) -> None:
        self._ok("SELECT DF", short_apdu(0x00, 0xA4, 0x04, 0x0C, aid))

    def select_ef(self, fid: str) -> None:
        self._ok("SELECT EF", short_apdu(0x00, 0xA4, 0x02, 0x0C, bytes.fromhex(fid)))

    def read_binary(self, pos: int, size: int) -> bytes:
        out = b""
        end = pos + size
        while pos < end:
            remaining = end - pos
            le = 0 if remaining > 0xFF else remaining
            data = self._ok("READ BINARY", short_apdu(0x00, 0xB0, pos >> 8, pos & 0xFF, le=le))
            if not data:
                break
            out += data
            pos += len(data)
        return out

    def read_binary_all(self) -> bytes:
        head = self.read_binary(0, 7)
        size = ber_total_size(head)
        return head + self.read_binary(7, max(0, size - 7))

    def read_pin(self) -> int:
        _, sw = self.wire.transmit(short_apdu(0x00, 0x20, 0x00, 0x80))
        if sw >> 8 != 0x63:
            raise ReaderError("READ PIN", sw)
        return sw & 0x0F

    def verify_pin(self, pin: str) -> None:
        self._ok("VERIFY", short_apdu(0x00, 0x20, 0x00, 0x80, pin.encode("ascii")))

    def read_record(self, record: int, sfi: int) -> bytes:
        return self._ok("READ RECORD", short_apdu(0x00, 0xB2, record, (sfi << 3) | 0x04, le=0))

    def signature(self, data: bytes) -> bytes:
        return self._ok("SIGNATURE", short_apdu(0x80, 0x2A, 0x00, 0x80, data, le=0))

    # -- APs (src/jpki.rs, src/text.rs, src/visual.rs, src/unknown.rs) -----------------------

    def jpki_ap(self) -> str:
        """``jpki_ap()``: SELECT the AP, then its token EF 0006 (32 bytes)."""
        self.select_df(JPKI_AID)
        self.select_ef("0006")
        return self.read_binary(0, 0x20).rstrip(b" ").decode("ascii")


# -- commands ------------------------------------------------------------------------------


def card(r: MynaReader) -> str:
    """Go ``CheckCard``, run before every command: the token must be JPKIAPICCTOKEN2 (a My
    Number Card) or JPKIAPGPSETOKEN (a smartphone). It selects EF 0006 twice."""
    r.select_df(JPKI_AID)
    r.select_ef("0006")
    r.select_ef("0006")
    token = go_read_binary(r, 0x20).rstrip(b" ").decode("ascii")
    if token not in ("JPKIAPICCTOKEN2", "JPKIAPGPSETOKEN"):
        raise ReaderError(f"unknown token {token!r}")
    return token


def pin_status(r: MynaReader) -> dict[str, int]:
    """``myna pin status`` (Rust ``run_pin_status``)."""
    out = {}
    r.select_df(TEXT_AID)
    for name, fid in (("text", "0011"), ("text_a", "0014"), ("text_b", "0015")):
        r.select_ef(fid)
        out[name] = r.read_pin()
    r.select_df(VISUAL_AID)
    for name, fid in (("visual_a", "0013"), ("visual_b", "0012")):
        r.select_ef(fid)
        out[name] = r.read_pin()
    r.jpki_ap()
    for name, fid in (("jpki_auth", "0018"), ("jpki_sign", "001b")):
        r.select_ef(fid)
        out[name] = r.read_pin()
    return out


def text_basic_info(r: MynaReader) -> tuple[str, str]:
    """``myna text basic-info``: EF 0005 { AP id, public key id } in hex."""
    r.select_df(TEXT_AID)
    r.select_ef("0005")
    _, payload, _ = ber_parse(r.read_binary_all())
    _, apid, rest = ber_parse(payload)
    _, key_id, _ = ber_parse(rest)
    return apid.hex().upper(), key_id.hex().upper()


def text_mynumber(r: MynaReader, pin: str) -> str:
    """``myna text mynumber``: VERIFY EF 0011, then 17 bytes of EF 0001."""
    r.select_df(TEXT_AID)
    r.select_ef("0011")
    r.verify_pin(pin)
    r.select_ef("0001")
    _, value, _ = ber_parse(r.read_binary(0, 17))
    return value.decode("utf-8")


def text_attrs(r: MynaReader, pin: str) -> dict[str, str]:
    """``myna text attrs``: EF 0002 { header, name, address, birth, sex } read whole."""
    r.select_df(TEXT_AID)
    r.select_ef("0011")
    r.verify_pin(pin)
    r.select_ef("0002")
    _, body, _ = ber_parse(r.read_binary_all())
    values = [v for _, v in ber_children(body)][1:5]
    return dict(zip(("name", "address", "birth", "sex"), (v.decode("utf-8") for v in values), strict=True))


def go_read_binary(r: MynaReader, size: int) -> bytes:
    """Go ``Reader.ReadBinary(size)``: nil unless every chunk answers 90 00."""
    try:
        return r.read_binary(0, size)
    except ReaderError:
        return b""


def text_signature(r: MynaReader, pin: str) -> dict[int, bytes]:
    """Go ``myna text signature``: EF 0003, 336 bytes, FF30 { DF31, DF32, DF33 }."""
    r.select_df(TEXT_AID)
    r.select_ef("0011")
    r.verify_pin(pin)
    r.select_ef("0003")
    data = go_read_binary(r, 336)
    if len(data) != 336:
        raise ReaderError("Error at ReadBinary()")
    tag, body, _ = ber_parse(data)
    if tag != 0xFF30:
        raise ReaderError("not FF30")
    return dict(ber_children(body))


def text_cert(r: MynaReader, pin: str) -> bytes:
    """Go ``myna text cert``: EF 0004, 568 bytes, 7F21 { 5F4E ... }."""
    r.select_df(TEXT_AID)
    r.select_ef("0011")
    r.verify_pin(pin)
    r.select_ef("0004")
    data = go_read_binary(r, 568)
    if len(data) != 568:
        raise ReaderError("Error at ReadBinary()")
    tag, body, _ = ber_parse(data)
    if tag != 0x7F21:
        raise ReaderError("not 7F21")
    return body


def text_info(r: MynaReader) -> tuple[bytes, bytes]:
    """Go ``myna text info``: EF 0005, 256 bytes; AP info 4 bytes, key id 16 bytes."""
    r.select_df(TEXT_AID)
    r.select_ef("0005")
    data = go_read_binary(r, 256)
    if len(data) != 256:
        raise ReaderError("Error at ReadBinary()")
    tag, body, _ = ber_parse(data)
    values = dict(ber_children(body))
    if tag != 0xFF40 or len(values[0xDF41]) != 4 or len(values[0xDF42]) != 16:
        raise ReaderError("invalid basic info")
    return values[0xDF41], values[0xDF42]


def visual_basic_info(r: MynaReader) -> tuple[str, int, str]:
    """``myna visual basic-info``: EF 0003; the 1st, 3rd and 4th objects."""
    r.select_df(VISUAL_AID)
    r.select_ef("0003")
    _, payload, _ = ber_parse(r.read_binary_all())
    _, apid, rest = ber_parse(payload)
    _, _, rest = ber_parse(rest)
    _, version, rest = ber_parse(rest)
    _, city, _ = ber_parse(rest)
    return apid.hex().upper(), version[0] if version else 0, city.decode("utf-8")


def visual_entries(r: MynaReader, pin: str) -> dict[str, bytes]:
    """``myna visual name|addr|birth|sex|photo``: the number from the text AP, then PIN A
    (EF 0013) of the card-face AP and EF 0002 read whole."""
    number = text_mynumber(r, pin)
    r.select_df(VISUAL_AID)
    r.select_ef("0013")
    r.verify_pin(number)
    r.select_ef("0002")
    _, body, _ = ber_parse(r.read_binary_all())
    values = [v for _, v in ber_children(body)]
    names = ("header", "birth", "sex", "public_key", "name", "addr", "photo")
    return dict(zip(names, values[:7], strict=True))


CERT_EFS = {"auth": "000a", "sign": "0001", "authca": "000b", "signca": "0002"}


def jpki_cert(r: MynaReader, kind: str, password: str | None = None) -> bytes:
    """``myna jpki cert <kind>``: the signing certificate after the signing password."""
    r.jpki_ap()
    if kind == "sign":
        r.select_ef("001b")
        r.verify_pin(password or "")
    r.select_ef(CERT_EFS[kind])
    return r.read_binary_all()


def jpki_sign(r: MynaReader, password: str, digest_info: bytes) -> tuple[bytes, bytes]:
    """``myna jpki cms sign``: password, the signing certificate, then the key EF 001A."""
    r.jpki_ap()
    r.select_ef("001b")
    r.verify_pin(password)
    r.select_ef("0001")
    cert = r.read_binary_all()
    r.select_ef("001a")
    return cert, r.signature(digest_info)


def jpki_pkey_sign_auth(r: MynaReader, pin: str, data: bytes) -> bytes:
    """``myna jpki pkey sign -t auth``: PIN EF 0018, key EF 0017."""
    r.jpki_ap()
    r.select_ef("0018")
    r.verify_pin(pin)
    r.select_ef("0017")
    return r.signature(data)


def unknown_number(r: MynaReader) -> bytes:
    """``myna unknown number``: record 1 of SFI 1 of the common AP."""
    r.select_df(UNKNOWN_AID)
    _, value, _ = ber_parse(r.read_record(1, 1))
    return value


def _go_read_tlv(r: MynaReader) -> bytes:
    """Go: ``ReadBinary(7)``, the size from ``ASN1PartialParser``, ``ReadBinary(size)`` from 0."""
    head = go_read_binary(r, 7)
    if len(head) != 7:
        raise ReaderError("Error at ReadBinary()")
    return go_read_binary(r, ber_total_size(head))


def card_commands(r: MynaReader, pin: str) -> dict[str, object]:
    """``myna card mynumber``, ``myna card attr`` and ``myna card photo`` (Go, 2019), each a
    fresh session that starts with the card check."""
    out: dict[str, object] = {}
    card(r)
    r.select_df(TEXT_AID)
    r.select_ef("0011")
    r.verify_pin(pin)
    r.select_ef("0001")
    _, number, _ = ber_parse(go_read_binary(r, 17))
    out["mynumber"] = number.decode("ascii")
    card(r)
    r.select_df(TEXT_AID)
    r.select_ef("0011")
    r.verify_pin(pin)
    r.select_ef("0002")
    tag, body, _ = ber_parse(_go_read_tlv(r))
    if tag != 0xFF20:
        raise ReaderError("attr: not FF20")
    out["attr"] = [v.decode("utf-8") for _, v in ber_children(body)[1:5]]
    card(r)
    r.select_df(TEXT_AID)
    r.select_ef("0011")
    r.verify_pin(pin)
    r.select_ef("0001")
    go_read_binary(r, 17)
    r.select_df(VISUAL_AID)
    r.select_ef("0013")
    r.verify_pin(out["mynumber"])  # type: ignore[arg-type]
    r.select_ef("0002")
    tag, body, _ = ber_parse(_go_read_tlv(r))
    front = ber_children(body)
    if tag != 0xFF20 or [t for t, _ in front] != list(range(0xDF21, 0xDF2B)):
        raise ReaderError("CardFront: tags 33..42")
    out["photo"] = front[6][1]
    return out
