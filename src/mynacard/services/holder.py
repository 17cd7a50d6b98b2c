"""What the cardholder does with the card at the service level: sign with a certificate's key.

The client software of a later issue talks APDUs to the chip; this is the same operation
without the transport, for the demo and the window's tests.
"""

from __future__ import annotations

import hashlib

from mynacard.chip import KeySlot, digest_info
from mynacard.db.models import CardState
from mynacard.services import chips
from mynacard.services.common import card, require_state
from mynacard.services.context import Work


def sign(w: Work, card_id: str, kind: str, data: bytes, *, pin: str) -> bytes:
    """Sign ``data`` (SHA-256, PKCS#1 v1.5 DigestInfo) with the key of ``kind`` after its PIN (R_CERT_2)."""
    c = card(w, card_id)
    require_state(c, CardState.ISSUED, doing="sign", doing_ja="署名")
    chip = chips.chip_of(w, c)
    with chips.pin_try(w, card_id, kind):
        return chip.sign(KeySlot(kind), digest_info("sha256", hashlib.sha256(data).digest()), pin)
