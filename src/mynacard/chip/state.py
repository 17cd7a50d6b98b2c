"""What the chip persists (ChipState) and the card-face data it carries (CardInfo).

The state is plain data with a JSON form, so a repository can store it in one column and
the chip model can be rebuilt from it. Private keys are stored sealed (AES-GCM under the
master key, see ``mynacard.crypto``): a dump of the state does not reveal them. PIN verifiers
are keyed HMACs, or Argon2id hashes of earlier releases (``pins.PinVerifier``); the store
keeps them and the counters in rows of their own, sealed, and seals this JSON as a whole
(``services.pinstore``).

Version 1 of the JSON held unkeyed HMAC-SHA256 verifiers; ``from_json`` still reads it and wraps each
one in Argon2id (``PinVerifier.from_legacy_hmac``), so an old state is upgraded on first read.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stdnum.jp import in_ as individual_number

from mynacard.chip.pins import FACE_MAX_TRIES, FacePin, KeySlot, PinId, PinRecord, PinVerifier
from mynacard.errors import ValidationError

STATE_VERSION = 2
LEGACY_VERSION = 1


@dataclass
class CardInfo:
    """The card-face data that the card-info-input AP and the card-face AP expose.

    ``sex`` is "1" (male), "2" (female) or "9" (not applicable), as in the certificate
    (R_CERT_9). ``expiry_year`` and ``security_code`` make up the card-face AP's PIN B.
    """

    individual_number: str
    name: str
    address: str
    birth_date: date
    sex: str
    expiry_year: int | None = None
    security_code: str | None = None

    def validate(self) -> CardInfo:
        """Return self, or raise ``ValidationError`` for a field of the wrong form."""
        if not individual_number.is_valid(self.individual_number) or not re.fullmatch(
            r"[0-9]{12}", self.individual_number
        ):
            raise ValidationError(
                "individual_number",
                "The individual number should be 12 digits with a valid check digit (R_NUM_1).",
                "個人番号は検査用数字の正しい12桁の数字で入力してください。",
            )
        if self.sex not in ("1", "2", "9"):
            raise ValidationError(
                "sex", "Sex should be '1', '2' or '9'.", "性別コードは1、2、9のいずれかです。"
            )
        if not isinstance(self.birth_date, date):
            raise TypeError("birth_date must be a date")
        if self.expiry_year is not None and not 1000 <= self.expiry_year <= 9999:
            raise ValidationError(
                "expiry_year", "The expiry year should have 4 digits.", "有効期限の年は4桁です。"
            )
        if self.security_code is not None and not re.fullmatch(r"[0-9]{4}", self.security_code):
            raise ValidationError(
                "security_code",
                "The security code should be 4 digits.",
                "セキュリティコードは数字4桁です。",
            )
        return self

    def face_pin(self, which: FacePin) -> str | None:
        """The value of the card-face AP's PIN A or PIN B, or None if it cannot be formed."""
        if which is FacePin.A:
            return self.individual_number
        if self.expiry_year is None or self.security_code is None:
            return None
        return f"{self.birth_date:%y%m%d}{self.expiry_year:04d}{self.security_code}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "individual_number": self.individual_number,
            "name": self.name,
            "address": self.address,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "expiry_year": self.expiry_year,
            "security_code": self.security_code,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CardInfo:
        return cls(
            individual_number=d["individual_number"],
            name=d["name"],
            address=d["address"],
            birth_date=date.fromisoformat(d["birth_date"]),
            sex=d["sex"],
            expiry_year=d.get("expiry_year"),
            security_code=d.get("security_code"),
        )


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"), validate=True)


@dataclass
class ChipState:
    """Everything the chip keeps between sessions.

    ``pins[p]`` is None while the PIN has not been set. ``sealed_keys`` hold private keys
    sealed with the context ``b"chip:" + card_id + b":" + slot``. The per-session security
    status (which PIN was verified) is not here: it lives in ``ChipSession`` and is lost on
    reset, as on a real card.
    """

    card_id: str
    pins: dict[PinId, PinRecord | None] = field(default_factory=lambda: {p: None for p in PinId})
    sealed_keys: dict[KeySlot, bytes] = field(default_factory=dict)
    certificates: dict[KeySlot, bytes] = field(default_factory=dict)
    ca_certificates: dict[KeySlot, bytes] = field(default_factory=dict)
    card_info: CardInfo | None = None
    face_pin_tries: dict[FacePin, int] = field(
        default_factory=lambda: {p: FACE_MAX_TRIES for p in FacePin}
    )

    def to_json(self, *, include_pins: bool = True) -> str:
        """The JSON form; without the PIN objects when the store keeps them in rows."""
        pins: dict[str, Any] = {}
        if include_pins:
            for pin_id in PinId:
                rec = self.pins.get(pin_id)
                pins[pin_id.value] = (
                    None
                    if rec is None
                    else {
                        "verifier": rec.verifier.to_dict(),
                        "tries_left": rec.tries_left,
                        "generation": rec.generation,
                    }
                )
        data = {
            "version": STATE_VERSION,
            "card_id": self.card_id,
            "pins": pins,
            "sealed_keys": {s.value: _b64(b) for s, b in sorted(self.sealed_keys.items())},
            "certificates": {s.value: _b64(b) for s, b in sorted(self.certificates.items())},
            "ca_certificates": {s.value: _b64(b) for s, b in sorted(self.ca_certificates.items())},
            "card_info": None if self.card_info is None else self.card_info.to_dict(),
            "face_pin_tries": (
                {p.value: n for p, n in sorted(self.face_pin_tries.items())} if include_pins else {}
            ),
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ChipState:
        """Rebuild a state from ``to_json`` output; ``ValueError`` if it is not one."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") not in (STATE_VERSION, LEGACY_VERSION):
            raise ValueError(f"Not a chip state of version {STATE_VERSION}.")
        legacy = data["version"] == LEGACY_VERSION
        try:
            pins: dict[PinId, PinRecord | None] = {}
            for pin_id in PinId:
                raw = data["pins"].get(pin_id.value)
                if raw is None:
                    pins[pin_id] = None
                elif legacy:
                    verifier = PinVerifier.from_legacy_hmac(_unb64(raw["salt"]), _unb64(raw["digest"]))
                    pins[pin_id] = PinRecord(verifier, int(raw["tries_left"]))
                else:
                    pins[pin_id] = PinRecord(
                        PinVerifier.from_dict(raw["verifier"]), int(raw["tries_left"]), int(raw["generation"])
                    )
            info = data.get("card_info")
            return cls(
                card_id=str(data["card_id"]),
                pins=pins,
                sealed_keys={KeySlot(k): _unb64(v) for k, v in data["sealed_keys"].items()},
                certificates={KeySlot(k): _unb64(v) for k, v in data["certificates"].items()},
                ca_certificates={KeySlot(k): _unb64(v) for k, v in data["ca_certificates"].items()},
                card_info=None if info is None else CardInfo.from_dict(info),
                face_pin_tries={
                    p: int(data.get("face_pin_tries", {}).get(p.value, FACE_MAX_TRIES))
                    for p in FacePin
                },
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"The chip state is damaged: {exc!r}") from exc
