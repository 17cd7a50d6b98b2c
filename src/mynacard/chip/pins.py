"""The four PINs of the card and their form (R_PIN_1..3).

署名用パスワード (signing password), 利用者証明用電子証明書暗証番号 (authentication PIN),
住民基本台帳用暗証番号 (resident-registry PIN) and 券面事項入力補助用暗証番号 (card-info-input
PIN) are four separate objects on the chip, each with its own error counter, even when two of
them hold the same value (R_PIN_3).

The form checks here belong to client software and the window: the chip itself compares bytes
and counts every mismatch as a wrong try (R_PIN_4).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from enum import StrEnum

from argon2.low_level import Type, hash_secret_raw

from mynacard.errors import ValidationError


class PinId(StrEnum):
    """The PIN objects of the chip."""

    SIGN = "sign"  # 署名用電子証明書のパスワード
    AUTH = "auth"  # 利用者証明用電子証明書の暗証番号
    RESIDENT = "resident"  # 住民基本台帳用の暗証番号
    CARD_INFO = "card_info"  # 券面事項入力補助用の暗証番号


class KeySlot(StrEnum):
    """The two JPKI key pairs of the chip (R_CERT_1)."""

    SIGN = "sign"
    AUTH = "auth"


#: Consecutive wrong entries that lock each PIN (R_PIN_1, R_PIN_2, R_PIN_3).
MAX_TRIES: dict[PinId, int] = {
    PinId.SIGN: 5,
    PinId.AUTH: 3,
    PinId.RESIDENT: 3,
    PinId.CARD_INFO: 3,
}

#: The PIN that guards each key slot.
SLOT_PIN: dict[KeySlot, PinId] = {KeySlot.SIGN: PinId.SIGN, KeySlot.AUTH: PinId.AUTH}

PIN_NAMES_JA: dict[PinId, str] = {
    PinId.SIGN: "署名用電子証明書のパスワード",
    PinId.AUTH: "利用者証明用電子証明書の暗証番号",
    PinId.RESIDENT: "住民基本台帳用の暗証番号",
    PinId.CARD_INFO: "券面事項入力補助用の暗証番号",
}

_SIGN_RE = re.compile(r"[A-Z0-9]{6,16}")
_FOUR_DIGITS_RE = re.compile(r"[0-9]{4}")


def ascii_upper(value: str) -> str:
    """Upper-case a-z only: "ß".upper() is "SS" and must not turn into a valid password."""
    return value.translate(_ASCII_UPPER)


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def check_pin_format(pin_id: PinId, value: str) -> str:
    """Return ``value`` in the form the chip stores, or raise ``ValidationError``.

    The signing password is upper-cased first (R_PIN_1); the three others are 4 digits
    (R_PIN_2, R_PIN_3).

    >>> check_pin_format(PinId.SIGN, "abc123")
    'ABC123'
    >>> check_pin_format(PinId.AUTH, "1234")
    '1234'
    """
    pin_id = PinId(pin_id)
    if not isinstance(value, str):
        raise TypeError(f"A PIN must be a str, not {type(value).__name__}")
    field = f"pin.{pin_id.value}"
    if pin_id is PinId.SIGN:
        normalized = ascii_upper(value)
        if not _SIGN_RE.fullmatch(normalized):
            raise ValidationError(
                field,
                "The signing password should be 6 to 16 characters of A-Z and 0-9 (R_PIN_1).",
                "署名用電子証明書のパスワードは英大文字A-Zと数字0-9を使い、6文字以上16文字以下で"
                "設定してください。",
            )
        if not any(c.isalpha() for c in normalized) or not any(c.isdigit() for c in normalized):
            raise ValidationError(
                field,
                "The signing password should contain at least one letter and one digit (R_PIN_1).",
                "署名用電子証明書のパスワードには英字と数字をそれぞれ1文字以上含めてください。",
            )
        return normalized
    if not _FOUR_DIGITS_RE.fullmatch(value):
        rule = "R_PIN_2" if pin_id is PinId.AUTH else "R_PIN_3"
        raise ValidationError(
            field,
            f"The {pin_id.value} PIN should be exactly 4 digits ({rule}).",
            f"{PIN_NAMES_JA[pin_id]}は数字4桁で設定してください。",
        )
    return value


#: Argon2id cost of the verifiers of earlier releases (time cost, memory in KiB, lanes): OWASP's
#: minimum for Argon2id (t=2, m=19 MiB, p=1), about 30-60 ms a derivation on one core. New
#: verifiers are keyed HMACs (below); these are still read, and replaced on the next correct
#: entry. ``MYNACARD_PIN_KDF="t=1,m=64,p=1"`` (tests) makes them cost microseconds.
PRODUCTION_KDF = (2, 19456, 1)

#: The verifier schemes. ``hmac-sha256``: keyed with a key derived from the master key, which
#: the database does not hold (``crypto.pin_verifier_key``), the scheme of every new verifier;
#: ``argon2id``: slow and salted, written by earlier releases.
HMAC_SCHEME = "hmac-sha256"
ARGON2_SCHEME = "argon2id"
_HMAC_LABEL = b"mynacard/pin-verifier/v1\x00"


def kdf_parameters() -> tuple[int, int, int]:
    """The Argon2id parameters for new verifiers, from ``MYNACARD_PIN_KDF`` or the default."""
    raw = os.environ.get("MYNACARD_PIN_KDF", "").strip()
    if not raw:
        return PRODUCTION_KDF
    try:
        fields = dict(part.split("=", 1) for part in raw.replace(" ", "").split(","))
        t, m, p = int(fields["t"]), int(fields["m"]), int(fields["p"])
    except (KeyError, ValueError) as exc:
        raise ValueError(f'MYNACARD_PIN_KDF should read "t=2,m=19456,p=1", not {raw!r}.') from exc
    if t < 1 or p < 1 or m < 8 * p:
        raise ValueError("MYNACARD_PIN_KDF: t and p must be >= 1 and m >= 8*p KiB (Argon2).")
    return t, m, p


def _argon2id(secret: bytes, salt: bytes, t: int, m: int, p: int) -> bytes:
    return hash_secret_raw(secret, salt, time_cost=t, memory_cost=m, parallelism=p, hash_len=32, type=Type.ID)


def _keyed(key: bytes, salt: bytes, secret: bytes) -> bytes:
    if len(key) != 32:
        raise ValueError("The PIN verifier key must be 32 bytes (pin_verifier_key of the master key).")
    return hmac.new(key, _HMAC_LABEL + salt + secret, hashlib.sha256).digest()


@dataclass(frozen=True)
class PinVerifier:
    """What the chip keeps of a PIN, under a random salt: a keyed HMAC-SHA256 (``kdf`` =
    ``hmac-sha256``, ``t``/``m``/``p`` 0), or an Argon2id hash (``argon2id``) of an earlier release.

    In the store the verifier is also sealed under the master key (``services.pinstore``), and
    the chip's real protection is the counter. ``legacy_salt`` marks a verifier upgraded from
    the first, unkeyed HMAC-SHA256 form without knowing the PIN: Argon2id is then taken of that
    HMAC. A verifier of an older scheme is replaced on the next correct entry (``outdated``).
    """

    salt: bytes
    digest: bytes
    t: int
    m: int
    p: int
    legacy_salt: bytes | None = None
    kdf: str = ARGON2_SCHEME

    @classmethod
    def new(cls, value: bytes, key: bytes) -> PinVerifier:
        """A keyed verifier of ``value``; ``key`` is ``crypto.pin_verifier_key(master_key)``."""
        salt = os.urandom(16)
        return cls(salt, _keyed(key, salt, value), 0, 0, 0, kdf=HMAC_SCHEME)

    @classmethod
    def argon2(cls, value: bytes) -> PinVerifier:
        """An Argon2id verifier at the current setting (``kdf_parameters``)."""
        t, m, p = kdf_parameters()
        salt = os.urandom(16)
        return cls(salt, _argon2id(value, salt, t, m, p), t, m, p)

    @classmethod
    def from_legacy_hmac(cls, hmac_salt: bytes, hmac_digest: bytes) -> PinVerifier:
        """Wrap an HMAC-SHA256 verifier of the first chip-state format in Argon2id."""
        t, m, p = kdf_parameters()
        salt = os.urandom(16)
        return cls(salt, _argon2id(hmac_digest, salt, t, m, p), t, m, p, legacy_salt=hmac_salt)

    @property
    def outdated(self) -> bool:
        """Whether a correct entry should replace this verifier by a keyed one."""
        return self.legacy_salt is not None or self.kdf != HMAC_SCHEME

    def to_dict(self) -> dict[str, object]:
        if self.kdf == HMAC_SCHEME:
            return {"kdf": HMAC_SCHEME, "salt": self.salt.hex(), "digest": self.digest.hex()}
        d: dict[str, object] = {
            "kdf": ARGON2_SCHEME,
            "t": self.t,
            "m": self.m,
            "p": self.p,
            "salt": self.salt.hex(),
            "digest": self.digest.hex(),
        }
        if self.legacy_salt is not None:
            d["legacy_hmac_salt"] = self.legacy_salt.hex()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> PinVerifier:
        kdf = d.get("kdf")
        if kdf == HMAC_SCHEME:
            return cls(bytes.fromhex(str(d["salt"])), bytes.fromhex(str(d["digest"])), 0, 0, 0, kdf=HMAC_SCHEME)
        if kdf != ARGON2_SCHEME:
            raise ValueError(f"Unknown PIN verifier {kdf!r}.")
        legacy = d.get("legacy_hmac_salt")
        return cls(
            bytes.fromhex(str(d["salt"])),
            bytes.fromhex(str(d["digest"])),
            int(str(d["t"])),
            int(str(d["m"])),
            int(str(d["p"])),
            None if legacy is None else bytes.fromhex(str(legacy)),
        )

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), sort_keys=True).encode("ascii")

    @classmethod
    def from_bytes(cls, raw: bytes) -> PinVerifier:
        return cls.from_dict(json.loads(raw.decode("ascii")))


def pin_matches(verifier: PinVerifier, value: bytes, key: bytes) -> bool:
    """The chip's comparison of an entered PIN with its verifier (constant time); ``key`` is
    ``pin_verifier_key(master_key)``, used by keyed verifiers.

    Every comparison the chip makes goes through here, after the try is spent (R_PIN_4); the
    concurrency tests count calls of this function.
    """
    if verifier.kdf == HMAC_SCHEME:
        return hmac.compare_digest(verifier.digest, _keyed(key, verifier.salt, value))
    secret = value if verifier.legacy_salt is None else hmac.new(verifier.legacy_salt, value, hashlib.sha256).digest()
    derived = _argon2id(secret, verifier.salt, verifier.t, verifier.m, verifier.p)
    return hmac.compare_digest(verifier.digest, derived)


def face_pin_matches(expected: bytes, value: bytes) -> bool:
    """The comparison of a card-face PIN with the value the card face gives (constant time)."""
    return hmac.compare_digest(expected, value)


@dataclass
class PinRecord:
    """One PIN object: its verifier and its error counter.

    ``generation`` grows every time the PIN is set, so that a correct entry resets the counter
    only of the value it was compared with, never of a PIN set at the window meanwhile.
    """

    verifier: PinVerifier
    tries_left: int
    generation: int = 0


class FacePin(StrEnum):
    """The two PINs of the card-face AP (券面事項確認AP), derived from the card face.

    PIN A is the 12-digit individual number; PIN B is the date of birth (YYMMDD), the
    expiry year (YYYY) and the 4-digit security code printed on the front. They are not set
    by the holder, so they are not ``PinId`` members.
    """

    A = "face_a"
    B = "face_b"


#: [model] The card-face PINs also lock after consecutive wrong entries; the public
#: sources do not state the number, this model uses 10.
FACE_MAX_TRIES = 10
