"""Certificate revocation lists (失効情報ファイル) of a JPKI CA (R_CERT_8).

Profile: v2, sha256WithRSA, authorityKeyIdentifier, cRLNumber, thisUpdate = ``at``, nextUpdate
by default one day later. Each entry carries a reasonCode except when the reason is
unspecified (RFC 5280 5.3.1 recommends omitting it then). A hold (一時保留) is an entry with
reason certificateHold; releasing it takes the entry off the next full CRL and lists it in a
delta CRL with reason removeFromCRL. A CRL for one municipality (as real JPKI partitions them)
carries a critical issuingDistributionPoint equal to the certificates' cRLDistributionPoints
URL, with onlyContainsUserCerts. Which entries belong to the CRL is the caller's decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.ca.profile import whole_seconds
from mynacard.crypto import Signer, sign_x509

DEFAULT_CRL_LIFETIME = timedelta(days=1)
MAX_CRL_NUMBER_BITS = 159  # RFC 5280 5.2.3: up to 20 octets


@dataclass(frozen=True)
class RevocationEntry:
    """One revoked or held certificate, as a CRL lists it.

    ``on_hold=True`` (or reason certificateHold) marks a hold; ``reason`` removeFromCRL is
    only valid in a delta CRL (a released hold).
    """

    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None
    on_hold: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.serial, int) or self.serial <= 0:
            raise ValueError("The serial of a revoked certificate must be a positive int.")
        whole_seconds(self.revoked_at, "revoked_at")
        if self.reason is not None and not isinstance(self.reason, x509.ReasonFlags):
            raise TypeError("reason must be an x509.ReasonFlags or None")
        if self.on_hold and self.reason not in (None, x509.ReasonFlags.certificate_hold):
            raise ValueError(f"A hold has reason certificateHold, not {self.reason.value}.")

    @property
    def crl_reason(self) -> x509.ReasonFlags | None:
        """The reasonCode to write, or None to omit it (unspecified)."""
        if self.on_hold:
            return x509.ReasonFlags.certificate_hold
        if self.reason is x509.ReasonFlags.unspecified:
            return None
        return self.reason


def _check_number(value: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int")
    if value < 0 or value.bit_length() > MAX_CRL_NUMBER_BITS:
        raise ValueError(f"{name} must be a non-negative integer of at most 159 bits.")
    return value


# --- the revokedCertificates list, encoded in linear time ---------------------------------------
#
# cryptography's CRL builder copies its entry list on every add_revoked_certificate (quadratic in
# the number of entries), so the list is DER-encoded here and spliced into the TBSCertList of a
# CRL that cryptography built and signed without entries; the splice is then signed again.

#: One entry as the store yields it: serial, revocation time (aware, or its DER from ``der_time``),
#: reasonCode to write or None.
RawEntry = tuple[int, datetime | bytes, x509.ReasonFlags | None]

_REASON_CODES = {
    x509.ReasonFlags.unspecified: 0,
    x509.ReasonFlags.key_compromise: 1,
    x509.ReasonFlags.ca_compromise: 2,
    x509.ReasonFlags.affiliation_changed: 3,
    x509.ReasonFlags.superseded: 4,
    x509.ReasonFlags.cessation_of_operation: 5,
    x509.ReasonFlags.certificate_hold: 6,
    x509.ReasonFlags.remove_from_crl: 8,
    x509.ReasonFlags.privilege_withdrawn: 9,
    x509.ReasonFlags.aa_compromise: 10,
}


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(b),)) + b


_SHORT = [bytes((n,)) for n in range(128)]


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _der_len(len(content)) + content


def _reason_extensions(code: int) -> bytes:
    # Extensions ::= SEQUENCE { Extension { id-ce-cRLReasons, OCTET STRING { ENUMERATED code } } }
    ext = _tlv(0x06, b"\x55\x1d\x15") + _tlv(0x04, _tlv(0x0A, bytes((code,))))
    return _tlv(0x30, _tlv(0x30, ext))


_REASON_DER = {flag: _reason_extensions(code) for flag, code in _REASON_CODES.items()}


def reason_extensions(reason: x509.ReasonFlags) -> bytes:
    """The DER of an entry's crlEntryExtensions holding only the reasonCode ``reason``."""
    return _REASON_DER[reason]


def _time(at: datetime) -> bytes:
    """RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (UTC, whole seconds)."""
    return der_time(at.astimezone(UTC))


def der_time(t: datetime) -> bytes:
    """The DER Time of ``t``, a UTC time (naive or aware; its offset is not looked at)."""
    rest = f"{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}Z"
    if t.year < 2050:
        return b"\x17\x0d" + f"{t.year % 100:02d}{rest}".encode()
    return b"\x18\x0f" + f"{t.year:04d}{rest}".encode()


def encode_revoked(entries: Iterable[RevocationEntry | RawEntry | bytes], *, delta: bool = False) -> bytes:
    """The DER of ``revokedCertificates`` (the SEQUENCE OF entries, tag included), or b"" when
    there is none. Entries are encoded as they come: a stream of millions costs its bytes only.
    A ``bytes`` item is entries the caller encoded already (the store does, in bulk), kept as is."""
    chunks = _encode_chunks(entries, delta)
    return b"".join(chunks)


def _encode_chunks(entries: Iterable[RevocationEntry | RawEntry | bytes], delta: bool) -> list[bytes]:
    """``encode_revoked`` as pieces (the SEQUENCE header first), never copied into one: a CRL of
    millions of entries is then held once, in the pieces, until the TBSCertList is made of them."""
    chunks: list[bytes] = [b""]
    out = bytearray()
    at: datetime | bytes
    size = 0
    for e in entries:
        if isinstance(e, bytes):
            if out:
                chunks.append(bytes(out))
                size += len(out)
                out = bytearray()
            chunks.append(e)
            size += len(e)
            continue
        if isinstance(e, RevocationEntry):
            serial, at, reason = e.serial, e.revoked_at, e.crl_reason
        else:  # at: an aware datetime, or already a DER Time (see ``der_time``)
            serial, at, reason = e
            if not isinstance(serial, int) or serial <= 0:
                raise ValueError("The serial of a revoked certificate must be a positive int.")
            if reason is x509.ReasonFlags.unspecified:
                reason = None
        if reason is x509.ReasonFlags.remove_from_crl and not delta:
            raise ValueError("removeFromCRL may appear only in a delta CRL (RFC 5280 5.3.1).")
        sb = serial.to_bytes(serial.bit_length() // 8 + 1, "big")  # at most 21 octets
        body = b"\x02" + _SHORT[len(sb)] + sb + (at if isinstance(at, bytes) else _time(at))
        if reason is not None:
            body += _REASON_DER[reason]
        out += b"\x30" + _SHORT[len(body)] + body  # an entry is under 128 octets
    if out:
        chunks.append(bytes(out))
        size += len(out)
    if not size:
        return []
    chunks[0] = b"\x30" + _der_len(size)
    return chunks


def _serial_of(e: RevocationEntry | RawEntry) -> int:
    return e.serial if isinstance(e, RevocationEntry) else e[0]


def _read_tlv(der: bytes, pos: int) -> tuple[int, int]:
    """(start of content, end) of the TLV at ``pos``."""
    n = der[pos + 1]
    if n < 0x80:
        return pos + 2, pos + 2 + n
    k = n & 0x7F
    length = int.from_bytes(der[pos + 2 : pos + 2 + k], "big")
    return pos + 2 + k, pos + 2 + k + length


def _resign(empty: x509.CertificateRevocationList, revoked: list[bytes], key: Signer) -> bytes:
    """``empty`` with ``revoked`` (the pieces of revokedCertificates) inserted before its
    crlExtensions ([0]), signed again. The pieces are copied twice, into the TBSCertList that is
    signed and into the CRL, and let go in between."""
    tbs = empty.tbs_certlist_bytes
    start, end = _read_tlv(tbs, 0)
    pos = start
    while pos < end and tbs[pos] != 0xA0:  # version, signature, issuer, thisUpdate, nextUpdate
        pos = _read_tlv(tbs, pos)[1]
    size = (pos - start) + sum(len(c) for c in revoked) + (end - pos)
    new_tbs = b"".join([b"\x30", _der_len(size), tbs[start:pos], *revoked, tbs[pos:end]])
    revoked.clear()
    signature = key.sign(new_tbs, padding.PKCS1v15(), hashes.SHA256())
    outer = empty.public_bytes(Encoding.DER)
    o_start, _ = _read_tlv(outer, 0)
    alg_start = _read_tlv(outer, o_start)[1]
    alg = outer[alg_start : _read_tlv(outer, alg_start)[1]]  # signatureAlgorithm, as cryptography wrote it
    sig = _tlv(0x03, b"\x00" + signature)
    return b"".join([b"\x30", _der_len(len(new_tbs) + len(alg) + len(sig)), new_tbs, alg, sig])


def build_crl_der(
    *,
    issuer: x509.Certificate,
    key: Signer,
    entries: Iterable[RevocationEntry | RawEntry | bytes],
    at: datetime,
    number: int,
    idp_url: str | None = None,
    next_update: datetime | None = None,
    delta_of: int | None = None,
    freshest_url: str | None = None,
) -> bytes:
    """Sign a CRL over ``entries``; a delta CRL when ``delta_of`` (the base cRLNumber) is given.
    A full CRL with ``freshest_url`` names where its delta CRLs are (freshestCRL, RFC 5280 5.2.6)."""
    this_update = whole_seconds(at)
    nxt = this_update + DEFAULT_CRL_LIFETIME if next_update is None else whole_seconds(next_update, "next_update")
    if nxt <= this_update:
        raise ValueError("The next update must be after this update.")
    _check_number(number, "number")
    if isinstance(entries, Sequence):
        checked = sorted(entries, key=_serial_of)
        if any(_serial_of(a) == _serial_of(b) for a, b in pairwise(checked)):
            raise ValueError("A certificate may be listed only once in a CRL.")
        entries = checked
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(this_update)
        .next_update(nxt)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    if delta_of is not None:
        if _check_number(delta_of, "delta_of") >= number:
            raise ValueError("A delta CRL's base CRL number must be below its own number.")
        builder = builder.add_extension(x509.DeltaCRLIndicator(delta_of), critical=True)
    elif freshest_url is not None:
        point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(freshest_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        builder = builder.add_extension(x509.FreshestCRL([point]), critical=False)
    if idp_url is not None:
        idp = x509.IssuingDistributionPoint(
            full_name=[x509.UniformResourceIdentifier(idp_url)],
            relative_name=None,
            only_contains_user_certs=True,
            only_contains_ca_certs=False,
            only_some_reasons=None,
            indirect_crl=False,
            only_contains_attribute_certs=False,
        )
        builder = builder.add_extension(idp, critical=True)
    empty = sign_x509(builder, key)
    revoked = _encode_chunks(entries, delta_of is not None)
    if not revoked:
        return empty.public_bytes(Encoding.DER)  # RFC 5280 5.1.2.6: no entries, no revokedCertificates
    return _resign(empty, revoked, key)


def build_crl(**kwargs: Any) -> x509.CertificateRevocationList:
    """``build_crl_der`` parsed (same arguments)."""
    return x509.load_der_x509_crl(build_crl_der(**kwargs))
