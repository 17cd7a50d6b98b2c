"""One verification: read the signature, check it matches, find the moment a timestamp proves,
validate the certificate's path, validity and revocation status at that moment, and say so.

Every input is untrusted: whatever fails to parse (truncated, oversized, garbage, deeply nested,
the wrong type) is the verdict ``malformed``, never an exception.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from cryptography import x509

from mynacard.timeutil import JST, require_aware
from mynacard.verify.attributes import attributes_of_der
from mynacard.verify.formats import Extracted, Malformed, read_cms, read_pdf
from mynacard.verify.path import Trust
from mynacard.verify.revocation import RevocationChecker
from mynacard.verify.verdict import RevocationStatus, Status, Verdict

log = logging.getLogger("mynacard.verify")

MAX_INPUT_BYTES = 32 * 1024 * 1024
_REASON_TEXT = {
    "affiliation_changed": "the holder's basic four attributes changed (move, change of name)",
    "key_compromise": "the card was lost or stolen",
    "superseded": "a new certificate replaced it (renewal, reissue)",
    "cessation_of_operation": "the card ended",
    "unspecified": "at the holder's request",
}


def _iso(t: datetime) -> str:
    """An instant in Japan time, ISO 8601."""
    return t.astimezone(JST).isoformat()


def sniff(data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"<"):
        return "xml"
    if head.startswith(b"-----BEGIN") or head.startswith(b"\x30"):
        return "cms"
    return ""


def _read(data: bytes, content: bytes | None) -> Extracted:
    kind = sniff(data)
    if kind == "pdf":
        return read_pdf(data)
    if kind == "xml":
        from mynacard.verify.xmlsig import read_xml

        return read_xml(data)
    if kind == "cms":
        return read_cms(data, content)
    raise Malformed("Not a CMS signature, a PDF or an XML document.")


def verify(
    data: bytes,
    *,
    at: datetime,
    trust: Trust,
    revocation: RevocationChecker,
    content: bytes | None = None,
) -> Verdict:
    """The verdict on ``data`` (a signature file) at validation time ``at``.

    ``content`` is the signed document of a detached CMS signature. A signature timestamp from
    a trusted TSA moves the moment the certificate is checked at back to the time it proves.
    """
    require_aware(at, "at")
    if len(data) > MAX_INPUT_BYTES or (content is not None and len(content) > MAX_INPUT_BYTES):
        return Verdict(Status.MALFORMED, f"The input is larger than {MAX_INPUT_BYTES} bytes.", validation_time=at)
    if not data:
        return Verdict(Status.MALFORMED, "The input is empty.", validation_time=at)
    try:
        ex = _read(data, content)
    except Malformed as e:
        return Verdict(Status.MALFORMED, str(e), validation_time=at)
    except (ImportError, NameError):
        raise
    except RecursionError:
        return Verdict(Status.MALFORMED, "The input is nested too deeply.", validation_time=at)
    except Exception as e:
        log.debug("unreadable signature: %r", e)
        return Verdict(Status.MALFORMED, f"The signature cannot be read ({type(e).__name__}).", validation_time=at)
    try:
        return _judge(ex, at, trust, revocation)
    except _UNREADABLE as e:  # e.g. extensions that do not parse
        log.debug("unreadable certificate or token: %r", e)
        return Verdict(
            Status.MALFORMED,
            f"The signature's certificate or timestamp cannot be read ({type(e).__name__}).",
            format=ex.format,
            validation_time=at,
        )


# What a certificate or a token that does not parse raises while it is judged. cryptography parses
# a certificate's version and extensions lazily, with exceptions of its own (not ValueErrors).
_UNREADABLE = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
    x509.InvalidVersion,
)


def _judge(ex: Extracted, at: datetime, trust: Trust, revocation: RevocationChecker) -> Verdict:
    cert = ex.cert
    base: dict[str, Any] = {
        "format": ex.format,
        "validation_time": at,
        "signing_time": ex.signing_time,
        "signer": attributes_of_der(ex.cert_der),
        "certificate_serial": cert.serial_number,
        "certificate_der": ex.cert_der,
        "details": dict(ex.details),
    }
    if not ex.intact:
        return Verdict(Status.ALTERED, ex.problem, checked_at=at, **base)
    moment, ts_time = at, None
    if ex.timestamp is not None:
        check = ex.timestamp(trust)
        if check.altered:
            return Verdict(Status.ALTERED, check.problem, checked_at=at, **base)
        if check.time is not None and check.time <= at:
            moment = ts_time = check.time
            base["details"]["tsa"] = check.tsa
        elif check.problem:
            base["details"]["timestamp_ignored"] = check.problem
    status, why, issuer = trust.check_signer(cert, moment, der=ex.cert_der)
    if status is Status.VALID:
        kind: str | None = "seal" if trust.issuer_of(cert, trust.seal_roots) else "sign"
    else:
        kind = "auth" if trust.issuer_of(cert, trust.auth_roots) else ("sign" if issuer is not None else None)
    base["certificate_kind"] = kind
    common: dict[str, Any] = {"checked_at": moment, "timestamp": ts_time, **base}
    if status is not Status.VALID:
        return Verdict(status, why, **common)
    assert issuer is not None
    if moment < cert.not_valid_before_utc:
        return Verdict(
            Status.NOT_YET_VALID,
            f"The certificate is valid from {_iso(cert.not_valid_before_utc)}.",
            **common,
        )
    if moment > cert.not_valid_after_utc:
        return Verdict(
            Status.EXPIRED,
            f"The certificate expired at {_iso(cert.not_valid_after_utc)}.",
            **common,
        )
    if kind == "seal":
        # The sandbox's LGPKI-like root publishes no revocation status for its seals.
        cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        who = str(cn[0].value) if cn else cert.subject.rfc4514_string()
        return Verdict(Status.VALID, f"A valid electronic seal of {who} (電子公印).", **common)
    then = revocation.status(cert, issuer, moment=moment, now=at)
    now = then if moment == at else revocation.status(cert, issuer, moment=at, now=at)
    common.update(revocation=then, revocation_now=now)
    if then.status == "revoked":
        return Verdict(Status.REVOKED, _revoked_text(then), **common)
    if then.status == "hold":
        assert then.revoked_at is not None
        return Verdict(Status.ON_HOLD, f"The certificate is on hold since {_iso(then.revoked_at)}.", **common)
    if then.status != "good":
        return Verdict(Status.REVOCATION_UNKNOWN, "Neither OCSP nor a CRL gave the certificate's status.", **common)
    if ts_time is not None and now.status != "good":
        text = f"Valid: timestamped at {_iso(ts_time)}, before the certificate's {now.status}"
        return Verdict(
            Status.VALID,
            text + f" at {_iso(now.revoked_at) if now.revoked_at else '?'}.",
            **common,
        )
    return Verdict(Status.VALID, "The signature is valid.", **common)


def _revoked_text(st: RevocationStatus) -> str:
    reason = st.reason or "unspecified"
    when = _iso(st.revoked_at) if st.revoked_at else "?"
    return f"The certificate was revoked at {when}: {reason} ({_REASON_TEXT.get(reason, reason)})."
