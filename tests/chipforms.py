"""A card's chip rewritten in the first form the store kept it in, for the tests of the upgrade.

That form was plain JSON with HMAC-SHA256 PIN verifiers inside it and no ``chip_pins`` rows;
``pinstore.upgrade_all`` (run when a store is opened) seals it and moves the PINs into rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime

from sqlalchemy import delete, update

from mynacard.db.models import Card, ChipPin
from mynacard.services.context import Office
from mynacard.services.pinstore import open_state


def as_first_form(
    office: Office, card_id: str, *, pins: dict[str, str], tries: dict[str, int], at: datetime, master_key: bytes
) -> None:
    """Rewrite the card as the first form stored it: plain JSON, HMAC verifiers, no PIN rows. Each
    PIN keeps the tries of ``tries`` (else a full counter); the face PINs keep 10 and 7."""
    with office.work(at=at, actor="test") as w:
        card = w.session.get(Card, card_id)
        data = json.loads(open_state(card_id, card.chip_state, master_key).to_json(include_pins=False))
        data["version"] = 1
        data["pins"] = {}
        for pin, value in pins.items():
            salt = os.urandom(16)
            digest = hmac.new(salt, value.encode(), hashlib.sha256).digest()
            data["pins"][pin] = {
                "salt": base64.b64encode(salt).decode(),
                "digest": base64.b64encode(digest).decode(),
                "tries_left": tries.get(pin, 5 if pin == "sign" else 3),
            }
        data["face_pin_tries"] = {"face_a": 10, "face_b": 7}
        w.session.execute(delete(ChipPin).where(ChipPin.card_id == card_id))
        plain = json.dumps(data, ensure_ascii=False)
        w.session.execute(update(Card).where(Card.id == card_id).values(chip_state=plain))
