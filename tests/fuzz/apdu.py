"""The APDU front end (``mynacard.chip.card_os.VirtualCard.transmit``): corpus commands, client
flows and their mutations, on a card with all four PINs, keys and certificates.

Every answer must end with a valid status word, never 6F00 (the card OS's safety net: an
exception inside it), carry data only with 9000/6282, and no PIN counter may move except
through VERIFY or CHANGE REFERENCE DATA.
"""

from __future__ import annotations

import random
from typing import Any

from mynacard.chip import Chip, ChipState, KeySlot, PinId
from mynacard.chip.card_os import VirtualCard
from tests.fuzz.common import Tally

REBUILD_EVERY = 300


def template() -> str:
    from tests.chip.conftest import (
        AUTH_PIN,
        CARD_INFO,
        CARD_INFO_PIN,
        MASTER_KEY,
        RESIDENT_PIN,
        SIGN_PW,
        make_certificate,
    )
    from tests.keypool import pooled_key

    chip = Chip.blank("fuzz", master_key=MASTER_KEY)
    for pin_id, value in [(PinId.SIGN, SIGN_PW), (PinId.AUTH, AUTH_PIN), (PinId.RESIDENT, RESIDENT_PIN),
                          (PinId.CARD_INFO, CARD_INFO_PIN)]:
        chip.set_pin(pin_id, value)
    ca = pooled_key()
    for slot in KeySlot:
        chip.write_certificate(slot, make_certificate(chip.generate_key(slot, pooled_key), ca))
        chip.write_ca_certificate(slot, make_certificate(ca.public_key(), ca))
    chip.write_card_info(CARD_INFO)
    return chip.state.to_json()


def run(n: int, seed: int = 0, tally: Tally | None = None) -> Tally:
    from tests.chip.conftest import MASTER_KEY
    from tests.chip.test_fuzz import CORPUS, FLOWS, check_answer, counters, moves_counters, mutate

    tally = tally or Tally("apdu")
    rng = random.Random(seed)
    state = template()

    def fresh() -> VirtualCard:
        return VirtualCard(Chip(ChipState.from_json(state), master_key=MASTER_KEY))

    card = fresh()
    pending: list[bytes] = []
    corpus = list(CORPUS)
    for i in range(n):
        if i % REBUILD_EVERY == REBUILD_EVERY - 1:
            card = fresh()
        if rng.random() < 0.01:
            card.reset()
        if not pending:
            pending = list(rng.choice(FLOWS)) if rng.random() < 0.5 else [rng.choice(corpus)]
        apdu = pending.pop(0)
        if rng.random() < 0.3 or (not pending and rng.random() < 0.5):
            apdu = mutate(rng, apdu)
            if rng.random() < 0.2:
                apdu = mutate(rng, apdu)
        tally.inputs += 1
        before = counters(card.chip)
        try:
            answer: Any = card.transmit(apdu)
            check_answer(apdu, answer)
        except AssertionError as e:
            tally.found("invariant", str(e).split("\n")[0], apdu.hex())
            continue
        except Exception as e:  # an exception escaped transmit
            tally.crashed(e, apdu.hex())
            card = fresh()
            continue
        if not moves_counters(apdu) and counters(card.chip) != before:
            tally.found("invariant", "a PIN counter moved without VERIFY or CHANGE REFERENCE DATA", apdu.hex())
    return tally
