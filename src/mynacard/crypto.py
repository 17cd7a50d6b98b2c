"""Key generation and sealing of secrets at rest (CA and chip private keys).

Sealing is AES-256-GCM under a master key that lives outside the database
(``MYNACARD_MASTER_KEY`` or a key file beside the database).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KeyGenerator = Callable[[], rsa.RSAPrivateKey]

_MAGIC = b"MYNA1"


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key with e = 65537 (R_CERT_2)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


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


def load_or_create_master_key(path: Path) -> bytes:
    """Read the master key from ``MYNACARD_MASTER_KEY`` (base64) or ``path``, creating it if absent."""
    env = os.environ.get("MYNACARD_MASTER_KEY")
    if env:
        key = base64.b64decode(env)
        if len(key) != 32:
            raise ValueError("MYNACARD_MASTER_KEY must be 32 bytes, base64-encoded.")
        return key
    if path.exists():
        key = base64.b64decode(path.read_bytes().strip())
        if len(key) != 32:
            raise ValueError(f"The master key file {path} is damaged: it must hold 32 bytes in base64.")
        return key
    key = os.urandom(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(key) + b"\n")
    return key
