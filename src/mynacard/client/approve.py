"""The holder's side of a login with the card (in place of the authentication app on a phone).

``fetch`` reads what a login request asks for; ``answer`` makes the card's signatures over its
challenge (and over the signing transaction's digest); ``send`` gives them to the provider.
The PINs never leave this process: the card checks them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.chip import KeySlot
from mynacard.client import signing as sig
from mynacard.client.card import JpkiCard
from mynacard.errors import MynaError, ValidationError

SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


class ProviderError(MynaError):
    """The provider could not be reached, or refused the answer."""

    code = "provider"


def _call(link: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    if not link.startswith(("http://", "https://")):
        raise ValidationError(
            "link",
            "The link must be the http(s) URL the login page shows.",
            "ログイン画面に表示されたURLを指定してください。",
        )
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        link, data=data, headers={"Content-Type": "application/json", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            out: dict[str, Any] = json.loads(resp.read())
            return out
    except urllib.error.HTTPError as exc:
        try:
            err = json.loads(exc.read()).get("error", {})
        except ValueError:
            err = {}
        raise ProviderError(
            f"The provider refused: {err.get('message') or exc.reason} ({exc.code}).",
            err.get("message_ja") or "ログインは拒否されました。",
            refusal=err.get("code"),
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ProviderError(f"Cannot reach the provider at {link}: {exc}.", "認証サービスに接続できません。") from None


def fetch(link: str) -> dict[str, Any]:
    """What the login request asks for (the site, the attributes, the challenge)."""
    request = _call(link)
    if request.get("status") != "pending":
        raise ProviderError(
            f"This login request is {request.get('status')}; start again from the site.",
            "このログイン要求は使えません。サイトからやり直してください。",
        )
    return request


def answer(card: JpkiCard, request: dict[str, Any], auth_pin: str, sign_password: str | None = None) -> dict[str, Any]:
    """The card's signatures: the challenge with the authentication key, and, when asked for,
    the challenge and the document's digest with the signing key."""
    challenge = base64.b64decode(request["challenge"])
    info = SHA256_PREFIX + hashlib.sha256(challenge).digest()
    auth = sig.CardOperation(card, KeySlot.AUTH)
    auth.login(auth_pin)
    assert auth.cert is not None
    out = {
        "auth_certificate": _b64(auth.cert.public_bytes(Encoding.DER)),
        "auth_signature": _b64(card.sign_verified(KeySlot.AUTH, info)),
    }
    if request.get("needs_signing_certificate"):
        if sign_password is None:
            raise ValidationError(
                "pin", "This site asks for the signing password too.", "署名用電子証明書のパスワードが必要です。"
            )
        signer = sig.CardOperation(card, KeySlot.SIGN)
        signer.login(sign_password)
        assert signer.cert is not None
        out["sign_certificate"] = _b64(signer.cert.public_bytes(Encoding.DER))
        out["sign_signature"] = _b64(card.sign_verified(KeySlot.SIGN, info))
        if request.get("sign"):
            digest = base64.b64decode(request["sign"]["digest"])
            signed = digest if request["sign"].get("digest_info") else SHA256_PREFIX + digest
            out["document_signature"] = _b64(card.sign_verified(KeySlot.SIGN, signed))
    return out


def send(link: str, signatures: dict[str, Any]) -> dict[str, Any]:
    return _call(link, signatures)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
