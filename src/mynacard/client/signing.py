"""Signatures whose private-key operation is the card's 80 2A (R_CERT_2).

- ``CardKey``: an object that signs like a cryptography ``RSAPrivateKey`` (``sign(data,
  padding, algorithm)``, PKCS#1 v1.5 only); signxml's XMLSigner takes it as its key.
- ``CardSigner``: a pyHanko ``Signer`` whose ``async_sign_raw`` sends the DigestInfo to the
  card; pyHanko builds the CMS (detached) and the PAdES signature around it.

The PIN is verified once, right before the single private-key operation of the document;
after a wrong PIN nothing is retried (R_PIN_4).

Timestamps (CAdES-T, PAdES-T, XAdES-T): pass a ``TimeStamper`` (``tsa_timestamper(url)`` for
a TSA over HTTP, ``FunctionTimeStamper`` for one in the same process); the RFC 3161 token over
the signature value is added as an unsigned attribute (CMS, PDF) or as
``xades:SignatureTimeStamp`` (XAdES), so a verifier can prove the signature existed then.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from lxml import etree
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_byterange import BuildProps
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from signxml import SignatureMethod, XMLSigner, XMLVerifier
from signxml.algorithms import DigestAlgorithm
from signxml.xades import XAdESSigner, XAdESVerifier

from mynacard.chip import KeySlot, digest_info
from mynacard.client.card import SLOT_PIN, JpkiCard
from mynacard.errors import MynaError, StateError

SIGNATURE_BYTES = 256


class CardOperation:
    """One document signature: VERIFY once, read the certificates, one 80 2A.

    ``login`` sends the single VERIFY (a wrong PIN raises and nothing is retried, R_PIN_4);
    the signing certificate can be read only after it (R_CHIP_2). ``sign_digest`` then sends
    SELECT of the key EF and 80 2A, once: a second signature needs the PIN again.
    """

    def __init__(self, card: JpkiCard, slot: KeySlot) -> None:
        self.card = card
        self.slot = KeySlot(slot)
        self._ready = False
        self.signatures = 0
        self.cert: x509.Certificate | None = None
        self.chain: list[x509.Certificate] = []

    def login(self, pin: str) -> x509.Certificate:
        self.card.verify(SLOT_PIN[self.slot], pin)
        self._ready = True
        cert = self.card.certificate(self.slot)
        if cert is None:
            raise StateError(
                f"The card has no {self.slot.value} certificate.",
                "カードに電子証明書がありません。",
                slot=self.slot.value,
            )
        ca = self.card.certificate(self.slot, ca=True)
        self.cert, self.chain = cert, [ca] if ca is not None else []
        return cert

    def sign_digest(self, hash_name: str, digest: bytes) -> bytes:
        if not self._ready:
            raise StateError(
                "Enter the PIN for this signature first (one PIN entry, one signature).",
                "署名の前に暗証番号を入力してください。",
            )
        self._ready = False
        signature = self.card.sign_verified(self.slot, digest_info(hash_name, digest))
        self.signatures += 1
        return signature


_HASH_NAMES = {"sha1": "sha1", "sha224": "sha224", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}


class CardKey:
    """Duck-typed RSA private key for signxml: only ``sign`` with PKCS#1 v1.5 is offered."""

    def __init__(self, operation: CardOperation, public_key: rsa.RSAPublicKey) -> None:
        self._op = operation
        self._public = public_key

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    def sign(self, data: bytes, padding: Any, algorithm: hashes.HashAlgorithm) -> bytes:
        if not isinstance(padding, PKCS1v15):
            raise ValueError("The card signs PKCS#1 v1.5 only (R_CERT_2).")
        name = _HASH_NAMES.get(algorithm.name)
        if name is None:
            raise ValueError(f"The card client does not offer {algorithm.name}.")
        h = hashes.Hash(algorithm)
        h.update(data)
        return self._op.sign_digest(name, h.finalize())


class CardSigner(signers.Signer):
    """A pyHanko signer backed by the card."""

    def __init__(self, operation: CardOperation, cert: x509.Certificate, chain: list[x509.Certificate]) -> None:
        def asn1(c: x509.Certificate) -> asn1_x509.Certificate:
            return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

        super().__init__(
            signing_cert=asn1(cert),
            cert_registry=SimpleCertificateStore.from_certs([asn1(c) for c in chain]),
        )
        self._op = operation

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(SIGNATURE_BYTES)
        name = digest_algorithm.lower().replace("-", "")
        if name != "sha256":
            raise ValueError("The card client signs with SHA-256 (R_CERT_2).")
        return self._op.sign_digest("sha256", hashlib.sha256(data).digest())


# -- documents -------------------------------------------------------------------------------


class TimestampUnavailable(MynaError):
    code = "tsa_unavailable"
    http_status = 502


class FunctionTimeStamper(TimeStamper):
    """A pyHanko ``TimeStamper`` whose requests go to ``respond(request DER) -> response DER``."""

    def __init__(self, respond: Callable[[bytes], bytes]) -> None:
        super().__init__(include_nonce=True)
        self._respond = respond

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._respond(req.dump()))


MAX_TSA_RESPONSE = 1024 * 1024


def tsa_timestamper(url: str, *, timeout: float = 10.0) -> FunctionTimeStamper:
    """A timestamper posting RFC 3161 requests to ``url`` (e.g. ``http://127.0.0.1:8000/tsa``)."""
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise ValueError(f"The TSA URL must be http(s), got {url!r}.")

    def post(body: bytes) -> bytes:
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/timestamp-query"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return bytes(r.read(MAX_TSA_RESPONSE))
        except OSError as e:
            raise TimestampUnavailable(
                f"The TSA at {url} did not answer ({e}); sign again without --tsa or when it is reachable.",
                "タイムスタンプ局に接続できません。",
                url=url,
            ) from e

    return FunctionTimeStamper(post)


def sign_cms(
    signer: CardSigner,
    data: bytes,
    *,
    at: datetime,
    pem: bool = False,
    detached: bool = True,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """A CMS SignedData over ``data`` (DER, or PEM with ``pem``): detached, or with the data
    inside (``detached=False``); CAdES-T with a ``timestamper``."""
    content_info = asyncio.run(
        signer.async_sign_general_data(
            data,
            "sha256",
            detached=detached,
            timestamper=timestamper,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=at),
        )
    )
    der = content_info.dump()
    if not pem:
        return der
    import base64
    import textwrap

    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return f"-----BEGIN CMS-----\n{body}\n-----END CMS-----\n".encode("ascii")


def sign_pdf(
    signer: CardSigner,
    pdf: bytes,
    *,
    field_name: str = "Signature1",
    reason: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """A PAdES baseline signature (ETSI.CAdES.detached) appended as an incremental update;
    PAdES-T (a signature timestamp) with a ``timestamper``."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        app_build_props=BuildProps(name="mynacard client"),
    )
    out = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    return bytes(out.getbuffer())


class Utf8Copy:
    """signxml 5 copies the document with ``etree.tostring``'s default ASCII output, which
    cannot hold non-ASCII element names (``<申請書>``: "invalid element name"); this mixin
    makes the copy UTF-8. Mix it into signxml's signers and verifiers."""

    def _tostring(self, xml_node: Any, **kwargs: Any) -> bytes:
        return etree.tostring(xml_node, **(kwargs or {"encoding": "utf-8"}))


class Utf8XMLSigner(Utf8Copy, XMLSigner):
    pass


class Utf8XAdESSigner(Utf8Copy, XAdESSigner):
    pass


class Utf8XMLVerifier(Utf8Copy, XMLVerifier):
    pass


class Utf8XAdESVerifier(Utf8Copy, XAdESVerifier):
    pass


def sign_xml(
    key: CardKey,
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    xml: bytes,
    *,
    xades: bool = False,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """An enveloped XMLDSig (rsa-sha256), or XAdES-BES with ``xades``, over the whole document;
    XAdES-T (``xades:SignatureTimeStamp``) with a ``timestamper``."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    certs = [cert, *chain]
    if timestamper is not None and not xades:
        raise ValueError("A signature timestamp needs XAdES (plain XMLDSig has no place for it).")
    cls = Utf8XAdESSigner if xades else Utf8XMLSigner
    signer = cls(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256)
    signed = signer.sign(root, key=key, cert=certs)  # type: ignore[arg-type]
    if timestamper is not None:
        from mynacard.tsa.xades import add_signature_timestamp, timestamp_target

        digest = hashlib.sha256(timestamp_target(signed)).digest()
        token = asyncio.run(timestamper.async_timestamp(digest, "sha256"))
        add_signature_timestamp(signed, token.dump())
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def card_signer(operation: CardOperation) -> CardSigner:
    """The pyHanko signer of a logged-in operation."""
    assert operation.cert is not None, "login first"
    return CardSigner(operation, operation.cert, operation.chain)


def card_key(operation: CardOperation) -> CardKey:
    """The signxml key of a logged-in operation."""
    assert operation.cert is not None, "login first"
    public = operation.cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise ValueError("The card's key is not RSA.")
    return CardKey(operation, public)
