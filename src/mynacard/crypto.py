"""Key generation and sealing of secrets at rest (CA and chip private keys, individual
numbers, cards' security codes).

Sealing is AES-256-GCM under a master key that lives outside the database
(``MYNACARD_MASTER_KEY`` or a key file). Keys for other purposes (looking numbers up, keying the
audit chain) are derived from it with HKDF, one per purpose, so that none is reused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, overload, runtime_checkable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.padding import AsymmetricPadding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mynacard.errors import ConfigError

if TYPE_CHECKING:  # x509 loads when something is signed: a read-only command never needs it
    from cryptography import x509

KeyGenerator = Callable[[], rsa.RSAPrivateKey]

_MAGIC = b"MYNA1"


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key with e = 65537 (R_CERT_2)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@runtime_checkable
class Signer(Protocol):
    """A private key that signs, wherever it is held: a cryptography ``RSAPrivateKey`` (sealed in
    the store) or a key in a PKCS#11 token that never leaves it. ``sign`` has the signature of
    ``RSAPrivateKey.sign``; the CA signs with PKCS#1 v1.5 and SHA-256 (R_CERT_2)."""

    @property
    def key_size(self) -> int: ...

    def public_key(self) -> rsa.RSAPublicKey: ...

    def sign(self, data: bytes, padding: AsymmetricPadding, algorithm: hashes.HashAlgorithm) -> bytes: ...


# AlgorithmIdentifier sha256WithRSAEncryption with NULL parameters (RFC 4055 5), DER.
_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
_draft_lock = threading.Lock()
_draft: list[rsa.RSAPrivateKey] = []


def _draft_key() -> rsa.RSAPrivateKey:
    """A throwaway key that lets cryptography's builders produce the to-be-signed bytes; its
    signature is replaced by the real signer's."""
    with _draft_lock:
        if not _draft:
            _draft.append(rsa.generate_private_key(public_exponent=65537, key_size=1024))
        return _draft[0]


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _signed_der(tbs: bytes, signature: bytes) -> bytes:
    """SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING signature } (X.509 and CRL alike)."""
    bits = b"\x00" + signature
    body = tbs + _SHA256_RSA + b"\x03" + _der_length(len(bits)) + bits
    return b"\x30" + _der_length(len(body)) + body


@overload
def sign_x509(builder: x509.CertificateBuilder, key: Signer) -> x509.Certificate: ...
@overload
def sign_x509(
    builder: x509.CertificateRevocationListBuilder, key: Signer
) -> x509.CertificateRevocationList: ...


def sign_x509(
    builder: x509.CertificateBuilder | x509.CertificateRevocationListBuilder, key: Signer
) -> x509.Certificate | x509.CertificateRevocationList:
    """``builder`` signed by ``key`` with SHA-256 and PKCS#1 v1.5.

    cryptography signs only with its own key objects; for any other signer the builder is signed
    with a throwaway key, and the to-be-signed bytes are signed again by ``key``.
    """
    from cryptography import x509
    from cryptography.x509.oid import SignatureAlgorithmOID

    if isinstance(key, rsa.RSAPrivateKey):
        return builder.sign(key, hashes.SHA256())
    draft = builder.sign(_draft_key(), hashes.SHA256())
    if draft.signature_algorithm_oid != SignatureAlgorithmOID.RSA_WITH_SHA256:
        raise ValueError("Only sha256WithRSAEncryption signatures are supported.")
    if isinstance(draft, x509.Certificate):
        tbs = draft.tbs_certificate_bytes
    else:
        tbs = draft.tbs_certlist_bytes
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(signature, tbs, padding.PKCS1v15(), hashes.SHA256())
    der = _signed_der(tbs, signature)
    if isinstance(draft, x509.Certificate):
        return x509.load_der_x509_certificate(der)
    return x509.load_der_x509_crl(der)


def seal(plaintext: bytes, master_key: bytes, *, context: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` so that only the holder of ``master_key`` can read it."""
    if len(master_key) != 32:
        raise ValueError("The master key must be 32 bytes.")
    nonce = os.urandom(12)
    return _MAGIC + nonce + AESGCM(master_key).encrypt(nonce, plaintext, context)


def unseal(blob: bytes, master_key: bytes, *, context: bytes = b"") -> bytes:
    if not blob.startswith(_MAGIC):
        raise ValueError("Not a sealed blob (wrong header).")
    nonce, ct = blob[len(_MAGIC) : len(_MAGIC) + 12], blob[len(_MAGIC) + 12 :]
    return AESGCM(master_key).decrypt(nonce, ct, context)


def seal_private_key(key: rsa.RSAPrivateKey, master_key: bytes, *, context: bytes = b"") -> bytes:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return seal(der, master_key, context=context)


def unseal_private_key(blob: bytes, master_key: bytes, *, context: bytes = b"") -> rsa.RSAPrivateKey:
    """The key sealed by ``seal_private_key``. AES-GCM authenticates the blob and we made the
    key, so cryptography's costly RSA consistency check (~40 ms a load) adds nothing here."""
    der = unseal(blob, master_key, context=context)
    key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("The sealed key is not an RSA key.")
    return key


def _decode_key(text: bytes | str, where: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConfigError(
            f"{where} must hold a 32-byte key in base64 (make one with: "
            "python3 -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())').",
            f"{where} には base64 で 32 バイトの鍵を設定してください。",
        )
    return key


def load_master_key(path: Path | None, *, create: bool = True) -> bytes:
    """The master key: ``MYNACARD_MASTER_KEY`` (base64) if set, else the key file ``path``.

    A missing file is created (mode 0600) when ``create``; with no file to use (``path`` None,
    as for a server database, where a key beside the working directory would be lost or
    differ between hosts) it is a ``ConfigError`` saying how to configure one.
    """
    env = os.environ.get("MYNACARD_MASTER_KEY")
    if env:
        return _decode_key(env.strip(), "MYNACARD_MASTER_KEY")
    if path is None:
        raise ConfigError(
            "No master key is configured for this database server. Set MYNACARD_MASTER_KEY "
            "(32 bytes, base64) or MYNACARD_KEY_FILE (a key file kept outside the database; "
            "it is created on first use), the same on every host that uses the database.",
            "マスター鍵が設定されていません。MYNACARD_MASTER_KEY(base64 で 32 バイト)または "
            "MYNACARD_KEY_FILE(鍵ファイルのパス)を設定してください。",
        )
    if path.exists():
        return _decode_key(path.read_bytes().strip(), f"The master key file {path}")
    if not create:
        raise ConfigError(f"The master key file {path} does not exist.", f"マスター鍵ファイル {path} がありません。")
    key = os.urandom(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(key) + b"\n")
    return key


def load_or_create_master_key(path: Path) -> bytes:
    """Read the master key from ``MYNACARD_MASTER_KEY`` (base64) or ``path``, creating it if absent."""
    return load_master_key(path)


def _derive(master_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mynacard/" + purpose).derive(master_key)


def pin_verifier_key(master_key: bytes) -> bytes:
    """The key of the chip's keyed PIN verifiers (``chip.pins``): derived from the master key,
    which lives outside the database, so a copy of the database alone cannot test a PIN."""
    return _derive(master_key, b"pin-verifier")


class NumberVault:
    """Individual numbers at rest: sealed (AES-256-GCM) for reading back, and a keyed hash
    (HMAC-SHA256) for looking a resident up by number without decrypting every row. Without
    the master key neither reveals a number (a plain hash would: there are only 10^11 of them)."""

    _CONTEXT = b"individual-number"

    def __init__(self, master_key: bytes) -> None:
        self._seal_key = _derive(master_key, b"number-seal")
        self._lookup_key = _derive(master_key, b"number-lookup")

    def seal(self, number: str) -> bytes:
        return seal(number.encode("ascii"), self._seal_key, context=self._CONTEXT)

    def open(self, blob: bytes) -> str:
        try:
            return unseal(blob, self._seal_key, context=self._CONTEXT).decode("ascii")
        except Exception as exc:  # InvalidTag carries no message
            raise ValueError("Cannot unseal an individual number: wrong master key or damaged data.") from exc

    def lookup(self, number: str) -> str:
        """The keyed hash that finds ``number`` (64 hex digits)."""
        return hmac.new(self._lookup_key, number.encode("ascii"), hashlib.sha256).hexdigest()


class SecurityCodeVault:
    """Cards' security codes (セキュリティコード, the card face's 4 digits) at rest: sealed
    (AES-256-GCM) under their own key, each bound to its card, so a code moved to another card's
    row does not open. A plain hash would not do: there are only 10^4 codes."""

    def __init__(self, master_key: bytes) -> None:
        self._key = _derive(master_key, b"security-code-seal")

    @staticmethod
    def _context(card_id: str) -> bytes:
        return b"security-code/" + card_id.encode("ascii")

    def seal(self, card_id: str, code: str) -> bytes:
        return seal(code.encode("ascii"), self._key, context=self._context(card_id))

    def open(self, card_id: str, blob: bytes) -> str:
        try:
            return unseal(blob, self._key, context=self._context(card_id)).decode("ascii")
        except Exception as exc:  # InvalidTag carries no message
            raise ValueError(
                f"Cannot unseal the security code of card {card_id}: wrong master key or damaged data."
            ) from exc


class StoreKeys:
    """The keys derived from one master key that the store itself needs."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("The master key must be 32 bytes.")
        self._master_key = master_key

    @cached_property
    def fingerprint(self) -> str:
        """A short check value of the master key (it reveals nothing of the key)."""
        return _derive(self._master_key, b"fingerprint")[:8].hex()

    @cached_property
    def numbers(self) -> NumberVault:
        return NumberVault(self._master_key)

    @cached_property
    def security_codes(self) -> SecurityCodeVault:
        return SecurityCodeVault(self._master_key)

    @cached_property
    def window_results(self) -> bytes:
        """The key that seals what a window POST leaves for the page it redirects to."""
        return _derive(self._master_key, b"window-results")

    @cached_property
    def audit(self) -> bytes:
        """The key of the audit chain's HMACs: outside the database, so a rewritten chain shows."""
        return _derive(self._master_key, b"audit-chain")
