"""The signature verifier's inputs: a harness for any callable that takes the bytes of a signed
document and returns a verdict.

``mynacard.verify`` is being built on another branch; until it lands there is nothing of the
product's to fuzz here. Give the campaign the callable with ``--verifier module:function``
(e.g. ``python -m tests.fuzz --verifier mynacard.verify:verify_cms``): it is fed CMS
signatures, signed XML and signed PDFs made by the client (``mynacard.client.signing``), and
their mutations. A verdict or a ``MynaError`` (a clear refusal) is fine; any other exception
escaping is a finding. ``selftest`` checks the harness itself on a toy verifier.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mynacard.errors import MynaError
from tests.fuzz.common import Tally, mutate_bytes

Verify = Callable[[bytes], Any]


def load(spec: str) -> Verify:
    """``module:function`` -> the function."""
    module, _, name = spec.partition(":")
    fn = getattr(importlib.import_module(module), name or "verify")
    if not callable(fn):
        raise TypeError(f"{spec} is not callable")
    return fn  # type: ignore[no-any-return]


def seeds() -> list[bytes]:
    """Signed documents to start from: a detached CMS (DER and PEM) and an enveloped XML
    signature, made with a throwaway key and self-signed certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    from tests.keypool import pooled_key

    key = pooled_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    data = "令和7年分 確定申告書".encode()
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(cert, key, hashes.SHA256())
    out = [
        builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature]),
        builder.sign(serialization.Encoding.PEM, [pkcs7.PKCS7Options.DetachedSignature]),
        builder.sign(serialization.Encoding.DER, []),
    ]
    try:
        from lxml import etree
        from signxml import XMLSigner

        root = etree.fromstring("<申請><氏名>能登 太郎</氏名></申請>".encode())
        pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        signed = XMLSigner().sign(root, key=pem_key, cert=cert.public_bytes(serialization.Encoding.PEM).decode())
        out.append(etree.tostring(signed))
    except Exception:  # signxml absent or refusing: CMS seeds suffice
        pass
    return out


def run(n: int, verify: Verify, seed: int = 0, tally: Tally | None = None, corpus: list[bytes] | None = None) -> Tally:
    tally = tally or Tally("verifier")
    rng = random.Random(seed)
    corpus = corpus or seeds()
    for _ in range(n):
        data = rng.choice(corpus)
        if rng.random() < 0.9:
            data = mutate_bytes(rng, data, corpus)
        tally.inputs += 1
        try:
            verify(data)
        except MynaError:
            pass
        except Exception as e:
            tally.crashed(e, data[:80].hex())
    return tally


def toy_verifier(data: bytes) -> bool:
    """A verifier as the harness expects one: refusals are MynaErrors (used by the self-test)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import pkcs7

    from mynacard.errors import ValidationError

    try:
        certs = pkcs7.load_der_pkcs7_certificates(data)
    except (ValueError, UnsupportedAlgorithm):
        raise ValidationError("signature", "Not a CMS signature.", "署名データではありません。") from None
    return bool(certs)
