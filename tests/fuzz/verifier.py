"""The signature verifier's inputs: a harness for any callable that takes the bytes of a signed
document and returns a verdict.

The default target is the product's verifier as an office runs it (``OfficeVerifier``: the
office's roots, OCSP and CRLs, its TSA), fed CMS (detached and attached, with and without a
signature timestamp), PAdES and XAdES signatures made with an issued card through the client
(``mynacard.client.signing``), and their mutations. Another callable can be named with
``--verifier module:function``. A verdict or a ``MynaError`` (a clear refusal) is fine; any
other exception escaping is a finding, and so is any verdict but VALID on an unaltered seed.
``toy_verifier`` checks the harness itself.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
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


class OfficeTarget:
    """The office's verifier over signatures made with an issued card: ``target.verify`` is
    the callable, ``target.corpus`` the seeds, and every seed verifies as VALID unaltered."""

    def __init__(self, workdir: Path) -> None:
        from mynacard.services.vcard import issue_demo_card
        from mynacard.verify.office import OfficeVerifier
        from tests.verify.conftest import AT, DOC, SIGNED, Signer, make_office

        workdir.mkdir(parents=True, exist_ok=True)
        self.office = make_office(workdir, "verifier-fuzz")
        signer = Signer(self.office, issue_demo_card(self.office, AT))
        self.content = DOC
        self.at = SIGNED + timedelta(hours=1)
        self.corpus = [signer.sign(fmt)[0] for fmt in ("cms-detached", "cms", "pades", "xades")]
        self.corpus += [signer.sign(fmt, ts=SIGNED)[0] for fmt in ("cms-detached", "pades")]
        self._verifier = OfficeVerifier(self.office, at=AT)

    def verify(self, data: bytes) -> Any:
        return self._verifier.verify(data, at=self.at, content=self.content)

    def close(self) -> None:
        self.office.store.dispose()


def valid(verdict: Any) -> bool:
    from mynacard.verify import Status

    return getattr(verdict, "status", None) == Status.VALID


def run(
    n: int,
    verify: Verify,
    seed: int = 0,
    tally: Tally | None = None,
    corpus: list[bytes] | None = None,
    *,
    seeds_hold: Callable[[Any], bool] | None = None,
) -> Tally:
    """``n`` inputs to ``verify``: a tenth are unaltered seeds, which must pass ``seeds_hold``
    when given (a wrong verdict on an untouched signature is a finding), the rest mutations."""
    tally = tally or Tally("verifier")
    rng = random.Random(seed)
    corpus = corpus or seeds()
    for _ in range(n):
        data = rng.choice(corpus)
        unaltered = rng.random() >= 0.9
        if not unaltered:
            data = mutate_bytes(rng, data, corpus)
        tally.inputs += 1
        try:
            verdict = verify(data)
        except MynaError:
            continue
        except Exception as e:
            tally.crashed(e, data[:80].hex())
            continue
        if unaltered and seeds_hold is not None and not seeds_hold(verdict):
            tally.found("wrong verdict", f"unaltered seed {corpus.index(data)}: {verdict!r}"[:300], data[:80].hex())
    return tally


def run_office(n: int, workdir: Path, seed: int = 0) -> Tally:
    """``run`` on the office's verifier (the campaign's default verifier target)."""
    target = OfficeTarget(workdir)
    try:
        return run(n, target.verify, seed, corpus=target.corpus, seeds_hold=valid)
    finally:
        target.close()


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
