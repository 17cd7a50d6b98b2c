"""The chip's RSA private-key operation: PKCS#1 v1.5 signature over a DigestInfo (R_CERT_2).

The card receives the DigestInfo (or, for OpenSC's CKM_RSA_PKCS, any short byte string) and
does the EMSA-PKCS1-v1_5 padding itself: EM = 00 01 FF..FF 00 || T. cryptography only signs
bare digests (``Prehashed``), so the padding and the RSA operation (with CRT) are done here;
for a SHA-256 DigestInfo the result is bit-for-bit what ``key.sign(digest, PKCS1v15(),
Prehashed(SHA256()))`` gives. A DigestInfo of a known hash goes through cryptography (it is
25 times faster than Python's ``pow``); anything else through the raw operation here.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

#: DER prefixes of DigestInfo for the hashes a client may use (RFC 8017, 9.2 note 1).
DIGEST_INFO_PREFIXES: dict[str, bytes] = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha224": bytes.fromhex("302d300d06096086480165030402040500041c"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def digest_info(hash_name: str, digest: bytes) -> bytes:
    """The DER DigestInfo of ``digest`` made with ``hash_name`` ("sha256", ...)."""
    return DIGEST_INFO_PREFIXES[hash_name] + digest


def max_input_length(key_bytes: int) -> int:
    """Longest T that EMSA-PKCS1-v1_5 can pad into ``key_bytes`` (at least 8 bytes of FF)."""
    return key_bytes - 11


def pkcs1_v15_sign(numbers: rsa.RSAPrivateNumbers, t: bytes) -> bytes:
    """Pad ``t`` as EMSA-PKCS1-v1_5 and apply the private key (``ValueError`` if too long)."""
    pub = numbers.public_numbers
    k = (pub.n.bit_length() + 7) // 8
    if not 0 < len(t) <= max_input_length(k):
        raise ValueError(
            f"The data to sign should be 1 to {max_input_length(k)} bytes, not {len(t)}."
        )
    em = b"\x00\x01" + b"\xff" * (k - 3 - len(t)) + b"\x00" + t
    m = int.from_bytes(em, "big")
    # CRT: two half-size exponentiations instead of one full-size one.
    m1 = pow(m, numbers.dmp1, numbers.p)
    m2 = pow(m, numbers.dmq1, numbers.q)
    h = (numbers.iqmp * (m1 - m2)) % numbers.p
    s = m2 + h * numbers.q
    # A fault in the CRT would leak the factors: check before anything leaves the chip.
    if pow(s, pub.e, pub.n) != m:
        raise RuntimeError("RSA self-check failed")
    return s.to_bytes(k, "big")


def sign_padded(key: rsa.RSAPrivateKey, numbers: rsa.RSAPrivateNumbers, t: bytes) -> bytes:
    """PKCS#1 v1.5 signature of ``t`` (a DigestInfo or any short string), no hashing."""
    for name, prefix in DIGEST_INFO_PREFIXES.items():
        algorithm = _HASHES[name]()
        if t.startswith(prefix) and len(t) == len(prefix) + algorithm.digest_size:
            return key.sign(t[len(prefix) :], PKCS1v15(), Prehashed(algorithm))
    return pkcs1_v15_sign(numbers, t)
