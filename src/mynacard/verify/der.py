"""A strict, minimal DER reader for the hot path of CMS verification.

Only what ``read_cms`` needs: walking TLVs (definite lengths, DER only, bounded depth), the
SignedData fields and one SignerInfo, with the signed attributes kept as the bytes received.
Anything unexpected raises ``DerError`` (the verdict "malformed"); a BER input (indefinite
lengths) falls back to the general asn1crypto path in ``formats``.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import NamedTuple

OID_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")
OID_DATA = bytes.fromhex("2a864886f70d010701")
OID_CONTENT_TYPE = bytes.fromhex("2a864886f70d010903")
OID_MESSAGE_DIGEST = bytes.fromhex("2a864886f70d010904")
OID_SIGNING_TIME = bytes.fromhex("2a864886f70d010905")
OID_SIGNING_CERT_V2 = bytes.fromhex("2a864886f70d010910022f")
OID_SIGNING_CERT = bytes.fromhex("2a864886f70d010910020c")
OID_TST = bytes.fromhex("2a864886f70d010910020e")
OID_SHA256 = bytes.fromhex("608648016503040201")
OID_SHA384 = bytes.fromhex("608648016503040202")
OID_SHA512 = bytes.fromhex("608648016503040203")
OID_RSA = bytes.fromhex("2a864886f70d010101")
OID_SHA256_RSA = bytes.fromhex("2a864886f70d01010b")
OID_SHA384_RSA = bytes.fromhex("2a864886f70d01010c")
OID_SHA512_RSA = bytes.fromhex("2a864886f70d01010d")

HASHES = {OID_SHA256: "sha256", OID_SHA384: "sha384", OID_SHA512: "sha512"}
RSA_SIGS = {OID_RSA: None, OID_SHA256_RSA: "sha256", OID_SHA384_RSA: "sha384", OID_SHA512_RSA: "sha512"}


class DerError(ValueError):
    pass


class NotDer(DerError):
    """BER constructs (indefinite length): read with the general parser instead."""


def tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int, int]:
    """``(tag, start of value, end of value, header start)`` of the TLV at ``pos``."""
    if pos + 2 > end:
        raise DerError("truncated")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used here")
    first = buf[pos + 1]
    p = pos + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise NotDer("indefinite length")
    else:
        n = first & 0x7F
        if n > 4 or p + n > end:
            raise DerError("bad length")
        length = int.from_bytes(buf[p : p + n], "big")
        if length < 0x80 or buf[p] == 0:
            raise NotDer("non-minimal length")
        p += n
    if p + length > end:
        raise DerError("truncated")
    return tag, p, p + length, pos


def children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The TLVs between ``start`` and ``end``; the short and the one- and two-byte length forms
    are read inline (the same checks as ``tlv``), anything else through ``tlv``."""
    out = []
    pos = start
    while pos < end:
        tag = buf[pos]
        first = buf[pos + 1] if pos + 2 <= end else 0x80
        if tag & 0x1F == 0x1F:
            t = tlv(buf, pos, end)
        elif first < 0x80:  # the common short form
            vend = pos + 2 + first
            if vend > end:
                raise DerError("truncated")
            t = (tag, pos + 2, vend, pos)
        elif first == 0x81 and pos + 3 <= end and buf[pos + 2] >= 0x80:  # one length byte, minimal
            vend = pos + 3 + buf[pos + 2]
            if vend > end:
                raise DerError("truncated")
            t = (tag, pos + 3, vend, pos)
        elif first == 0x82 and pos + 4 <= end and buf[pos + 2]:  # two length bytes, minimal (>= 256)
            vend = pos + 4 + (buf[pos + 2] << 8 | buf[pos + 3])
            if vend > end:
                raise DerError("truncated")
            t = (tag, pos + 4, vend, pos)
        else:
            t = tlv(buf, pos, end)
        out.append(t)
        pos = t[2]
    return out


def expect(t: tuple[int, int, int, int], tag: int, what: str) -> tuple[int, int, int, int]:
    if t[0] != tag:
        raise DerError(f"{what}: expected tag {tag:#x}, found {t[0]:#x}")
    return t


class SignerInfo(NamedTuple):
    sid_issuer: bytes | None  # DER of the issuer Name (issuerAndSerialNumber)
    sid_serial: int | None
    sid_ski: bytes | None
    digest_algorithm: str
    signature_hash: str | None
    signed_attrs: bytes | None  # the SET as received, re-tagged 0x31
    attrs: dict[bytes, list[bytes]]  # OID -> DER of each value (signed attributes)
    signature: bytes
    unsigned: dict[bytes, list[bytes]]


class SignedData(NamedTuple):
    content_type: bytes  # OID of the encapsulated content
    content: bytes | None  # attached content (the OCTET STRING's value)
    certificates: list[bytes]
    signer_infos: list[SignerInfo]


SIGNED_WANTED = frozenset(
    {OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_TIME, OID_SIGNING_CERT_V2, OID_SIGNING_CERT}
)
UNSIGNED_WANTED = frozenset({OID_TST})


def _attrs(buf: bytes, start: int, end: int, wanted: frozenset[bytes]) -> dict[bytes, list[bytes]]:
    """The values of the ``wanted`` attributes (the others are only checked to be attributes:
    a SEQUENCE of exactly an OID and a SET)."""
    out: dict[bytes, list[bytes]] = {}
    for a in children(buf, start, end):
        if a[0] != 0x30:
            raise DerError("attribute")
        # the OID (short form: no OID here needs more) and the SET, without building a list
        p, a_end = a[1], a[2]
        if p + 2 > a_end or buf[p] != 0x06 or buf[p + 1] >= 0x80:
            raise DerError("attribute")
        oid_end = p + 2 + buf[p + 1]
        values = tlv(buf, oid_end, a_end) if oid_end < a_end else None
        if values is None or values[0] != 0x31 or values[2] != a_end:
            raise DerError("attribute")
        oid = buf[p + 2 : oid_end]
        if oid in wanted:
            found = out.get(oid)
            if found is None:
                found = out[oid] = []
            for v in children(buf, values[1], values[2]):
                found.append(buf[v[3] : v[2]])
    return out


def _algorithm(buf: bytes, t: tuple[int, int, int, int]) -> bytes:
    expect(t, 0x30, "algorithm")
    oid = expect(tlv(buf, t[1], t[2]), 0x06, "algorithm OID")
    return buf[oid[1] : oid[2]]


def _signer_info(buf: bytes, t: tuple[int, int, int, int]) -> SignerInfo:
    parts = children(buf, t[1], t[2])
    if len(parts) < 5:
        raise DerError("signer info")
    i = 1
    sid = parts[i]
    issuer = serial = ski = None
    if sid[0] == 0x30:
        ias = children(buf, sid[1], sid[2])
        if len(ias) != 2:
            raise DerError("issuerAndSerialNumber")
        issuer = buf[ias[0][3] : ias[0][2]]
        serial = int.from_bytes(buf[expect(ias[1], 0x02, "serial")[1] : ias[1][2]], "big", signed=True)
    elif sid[0] == 0x80:
        ski = buf[sid[1] : sid[2]]
    else:
        raise DerError("signer identifier")
    i += 1
    digest = HASHES.get(_algorithm(buf, parts[i]))
    if digest is None:
        raise DerError("unsupported digest algorithm")
    i += 1
    signed = None
    attrs: dict[bytes, list[bytes]] = {}
    if parts[i][0] == 0xA0:
        a = parts[i]
        signed = b"\x31" + buf[a[3] + 1 : a[2]]
        attrs = _attrs(buf, a[1], a[2], SIGNED_WANTED)
        i += 1
    sig_oid = _algorithm(buf, parts[i])
    if sig_oid not in RSA_SIGS:
        raise DerError("unsupported signature algorithm")
    i += 1
    sig = expect(parts[i], 0x04, "signature")
    i += 1
    unsigned: dict[bytes, list[bytes]] = {}
    if i < len(parts) and parts[i][0] == 0xA1:
        unsigned = _attrs(buf, parts[i][1], parts[i][2], UNSIGNED_WANTED)
        i += 1
    if i != len(parts):
        raise DerError("signer info: trailing fields")
    return SignerInfo(issuer, serial, ski, digest, RSA_SIGS[sig_oid], signed, attrs, buf[sig[1] : sig[2]], unsigned)


def signed_data(buf: bytes) -> SignedData:
    top = expect(tlv(buf, 0, len(buf)), 0x30, "ContentInfo")
    if top[2] != len(buf):
        raise DerError("trailing data")
    ci = children(buf, top[1], top[2])
    if len(ci) != 2 or buf[expect(ci[0], 0x06, "content type")[1] : ci[0][2]] != OID_SIGNED_DATA:
        raise DerError("not SignedData")
    sd_t = expect(tlv(buf, expect(ci[1], 0xA0, "content")[1], ci[1][2]), 0x30, "SignedData")
    parts = children(buf, sd_t[1], sd_t[2])
    if len(parts) < 4:
        raise DerError("SignedData")
    eci = children(buf, expect(parts[2], 0x30, "encapContentInfo")[1], parts[2][2])
    if not eci or len(eci) > 2:
        raise DerError("encapContentInfo")
    ctype = buf[expect(eci[0], 0x06, "eContentType")[1] : eci[0][2]]
    content = None
    if len(eci) == 2:
        octets = expect(tlv(buf, expect(eci[1], 0xA0, "eContent")[1], eci[1][2]), 0x04, "eContent")
        content = buf[octets[1] : octets[2]]
    i = 3
    certs: list[bytes] = []
    if parts[i][0] == 0xA0:
        certs = [buf[c[3] : c[2]] for c in children(buf, parts[i][1], parts[i][2]) if c[0] == 0x30]
        i += 1
    if i < len(parts) and parts[i][0] == 0xA1:
        i += 1  # CRLs: not used
    if i != len(parts) - 1:
        raise DerError("SignedData fields")
    infos = [_signer_info(buf, s) for s in children(buf, expect(parts[i], 0x31, "signerInfos")[1], parts[i][2])]
    return SignedData(ctype, content, certs, infos)


@functools.lru_cache(maxsize=256)
def issuer_and_serial(cert_der: bytes) -> tuple[bytes, int]:
    """The DER of a certificate's issuer Name and its serial number, read from the TBS."""
    top = expect(tlv(cert_der, 0, len(cert_der)), 0x30, "Certificate")
    tbs = expect(tlv(cert_der, top[1], top[2]), 0x30, "TBSCertificate")
    parts = children(cert_der, tbs[1], min(tbs[2], tbs[1] + 4096))[:4]
    if parts and parts[0][0] == 0xA0:
        parts = parts[1:]
    if len(parts) < 3:
        raise DerError("TBSCertificate")
    serial = int.from_bytes(cert_der[expect(parts[0], 0x02, "serial")[1] : parts[0][2]], "big", signed=True)
    issuer = expect(parts[2], 0x30, "issuer")
    return cert_der[issuer[3] : issuer[2]], serial


def utc_time(value: bytes) -> datetime | None:
    """A UTCTime ``YYMMDDHHMMSSZ`` (RFC 5280 4.1.2.5.1); ``None`` for any other form."""
    t = tlv(value, 0, len(value))
    text = value[t[1] : t[2]]
    if t[0] != 0x17 or len(text) != 13 or not text[:12].isdigit() or text[12:] != b"Z":
        return None
    yy = int(text[:2])
    try:
        return datetime(
            1900 + yy if yy >= 50 else 2000 + yy,
            int(text[2:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
