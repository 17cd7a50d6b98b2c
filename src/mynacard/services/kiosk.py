"""Convenience-store issuance (コンビニ交付): a 住民票の写し with the card and its authentication
PIN, sealed by the municipality (R_USE_2).

The kiosk is a first-party relying party of the login provider: the holder's card answers the
kiosk's login request (authentication certificate and PIN) and ``issue`` then checks the opening
hours, the holder's eligibility and the card, charges the municipality's fee, and prints the
copy as a PDF carrying the municipal head's electronic seal (a PAdES signature).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.exc import IntegrityError

from mynacard.ca.seal import seal_certificate, seal_root
from mynacard.crypto import seal_private_key, unseal_private_key
from mynacard.db import repositories as repo
from mynacard.db.models import CardState
from mynacard.db.provider import KioskDocument, LoginClient, LoginRequest, MunicipalSeal
from mynacard.errors import NotAllowedError, NotFoundError
from mynacard.pdf.residence import residence_certificate_pdf
from mynacard.rules.eligibility import kiosk_open, kiosk_refusal
from mynacard.rules.login import pkce_challenge
from mynacard.services import login
from mynacard.services.context import Office, Work

CLIENT_ID = "KIOSK"
CLIENT_NAME = "コンビニ交付(サンドボックス)"
ROOT = "root"


class KioskRefused(NotAllowedError):
    """The kiosk will not issue: out of hours, an ineligible holder, or a card without effect.
    The refusal is kept in the event log although nothing is issued."""

    code = "kiosk_refused"
    keep_changes = True


def client(w: Work, callback: str) -> LoginClient:
    """The kiosk's registration with the provider, made on first use."""
    return login.first_party_client(w, CLIENT_ID, CLIENT_NAME, callback)


@dataclass(frozen=True)
class Issued:
    number: str
    fee: int
    pdf: bytes
    download: str  # a secret that fetches the PDF once more (the kiosk screen's link)


def issue(w: Work, access_token: str) -> Issued:
    """Issue a 住民票の写し to the holder whose card answered the kiosk's login."""
    t = login.bearer(w, access_token, "authorization_code")
    row = w.session.get(LoginRequest, t.request_id)
    if t.client_id != CLIENT_ID or row is None or row.resident_id is None:
        raise login.TokenError("Not a kiosk session.")
    resident = repo.resident(w.session, row.resident_id)
    assert resident is not None
    if not kiosk_open(w.at):
        _refuse(
            w,
            resident.id,
            "closed",
            "The kiosk service runs 6:30-23:00, except 29 December - 3 January.",
            "コンビニ交付のご利用時間は6時30分から23時までです(12月29日から1月3日を除く)。",
        )
    card = repo.live_card(w.session, resident.id)
    if card is None or card.state != CardState.ISSUED:
        _refuse(
            w,
            resident.id,
            "card",
            "The card has no effect (suspended, expired or returned).",
            "このカードではご利用になれません。市区町村の窓口にお問い合わせください。",
        )
    why = kiosk_refusal(
        resident.birth_date, w.today, moving_out_filed=resident.moving_out_filed, dv_protected=resident.dv_protected
    )
    if why is not None:
        _refuse(
            w,
            resident.id,
            why,
            f"Convenience-store issuance is not available: {why}.",
            "コンビニ交付はご利用になれません。市区町村の窓口で請求してください。",
        )
    town = repo.municipality(w.session, resident.municipality_code)
    assert town is not None
    number = f"{w.today:%Y%m%d}-{secrets.token_hex(4).upper()}"
    pdf = residence_certificate_pdf(
        number=number,
        name=resident.name,
        birth_date=resident.birth_date,
        sex=resident.sex,
        address=resident.address,
        municipality=town.name,
        prefecture=town.prefecture,
        issued_at=w.at,
        fee=town.kiosk_fee,
    )
    download = secrets.token_urlsafe(24)
    sealed = _seal_pdf(w, town.code, town.name, town.prefecture, pdf)
    w.session.add(
        KioskDocument(
            number=number,
            resident_id=resident.id,
            kind="residence_certificate",
            fee=town.kiosk_fee,
            issued_at=w.at,
            pdf=sealed,
            download_hash=login.digest(download),
        )
    )
    w.session.delete(t)  # one kiosk session, one document
    w.log("kiosk_issued", resident_id=resident.id, document=number, fee=town.kiosk_fee)
    return Issued(number, town.kiosk_fee, sealed, download)


def document(w: Work, number: str, download: str) -> KioskDocument:
    """An issued document, for the holder of its download secret."""
    doc = w.session.get(KioskDocument, number)
    if doc is None or not hmac.compare_digest(doc.download_hash, login.digest(download)):
        raise NotFoundError("No such document.", "証明書が見つかりません。")
    return doc


def _refuse(w: Work, resident_id: int, reason: str, message: str, message_ja: str) -> None:
    w.log("kiosk_refused", resident_id=resident_id, reason=reason)
    raise KioskRefused(message, message_ja, reason=reason)


# -- the municipal seal ------------------------------------------------------------------------


def seal(
    w: Work, code: str, name: str, prefecture: str
) -> tuple[rsa.RSAPrivateKey, x509.Certificate, x509.Certificate]:
    """The municipality's seal key and certificate, and the root; made on first use."""
    root_key, root = _get_or_make(w, ROOT, lambda key: seal_root(key, w.at))
    key, cert = _get_or_make(
        w,
        code,
        lambda key: seal_certificate(root_key, root, key, municipality=name, prefecture=prefecture, at=w.at),
    )
    return key, cert, root


def _get_or_make(
    w: Work, code: str, make: Callable[[rsa.RSAPrivateKey], x509.Certificate]
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    row = w.session.get(MunicipalSeal, code)
    if row is None:
        key = w.office.keygen()
        cert = make(key)
        try:
            with w.session.begin_nested():
                w.session.add(
                    MunicipalSeal(
                        code=code,
                        certificate_der=cert.public_bytes(Encoding.DER),
                        sealed_key=seal_private_key(key, w.office.master_key, context=b"seal"),
                        created_at=w.at,
                    )
                )
            return key, cert
        except IntegrityError:  # made by another process at the same moment: use theirs
            row = w.session.get(MunicipalSeal, code, populate_existing=True)
            assert row is not None
    return (
        unseal_private_key(row.sealed_key, w.office.master_key, context=b"seal"),
        x509.load_der_x509_certificate(row.certificate_der),
    )


def _seal_pdf(w: Work, code: str, name: str, prefecture: str, pdf: bytes) -> bytes:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key, cert, root = seal(w, code, name, prefecture)
    der_key = key.private_bytes(Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(root.public_bytes(Encoding.DER))]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="MunicipalSeal",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason="電子公印",
        location=f"{prefecture}{name}",
    )
    out = signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), meta, signer=signer)
    return bytes(out.getbuffer())


def terminal_login(office: Office, at: datetime, answer: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
    """A kiosk terminal's login with the card in its own reader: the same provider flow as the
    browser's, run in-process. ``answer`` is the card's answer to the challenge (it asks for the
    PIN). Returns the kiosk session's access token; a refused answer raises ``KioskRefused``."""

    callback = office.base_url.rstrip("/") + "/kiosk/callback"
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": callback,
        "scope": "openid",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    with office.work(at=at, actor="kiosk") as w:
        client(w, callback)
        row, browser = login.start(w, params)
        challenge = login.challenge(w, row.id)
    signatures = answer(challenge)
    with office.work(at=at, actor="kiosk") as w:
        result = login.approve(w, row.id, signatures)
    if not result.ok:
        raise KioskRefused(
            f"The card was not accepted: {result.detail}",
            login.REFUSALS_JA.get(result.refusal or "", "このカードではご利用になれません。"),
            reason=result.refusal,
        )
    with office.work(at=at, actor="kiosk") as w:
        _, code = login.finish(w, row.id, browser)
        form = {"code": code or "", "redirect_uri": callback, "code_verifier": verifier}
        tokens = login.exchange_code(w, client(w, callback), form, office.base_url.rstrip("/") + "/api/realms/main")
    return tokens.access_token
