"""Stateful test: the card's VERIFY answers follow a simple counter model (R_PIN_1..4, R_CHIP_3).

Hypothesis drives random sequences of right and wrong VERIFY, status queries, resets and
window resets over APDUs; a dict of counters predicts every status word.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mynacard.chip import MAX_TRIES, Chip, PinId
from mynacard.chip.card_os import VirtualCard
from tests.chip.conftest import MASTER_KEY
from tests.conftest import examples

PIN_EFS = {  # (AID, PIN EF, right value)
    PinId.SIGN: ("D392F000260100000001", "001B", b"ABC123"),
    PinId.AUTH: ("D392F000260100000001", "0018", b"1234"),
    PinId.RESIDENT: ("D3921000310001010401", "001C", b"5678"),
    PinId.CARD_INFO: ("D3921000310001010408", "0011", b"9012"),
}


class PinCounters(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chip = Chip.blank("model", master_key=MASTER_KEY)
        for pin_id, (_, _, value) in PIN_EFS.items():
            self.chip.set_pin(pin_id, value.decode())
        self.card = VirtualCard(self.chip)
        self.model = dict(MAX_TRIES)

    def _verify(self, pin_id: PinId, data: bytes) -> int:
        aid, fid, _ = PIN_EFS[pin_id]
        assert self.card.transmit(bytes.fromhex(f"00A4040C0A{aid}"))[-2:] == b"\x90\x00"
        assert self.card.transmit(bytes.fromhex(f"00A4020C02{fid}"))[-2:] == b"\x90\x00"
        apdu = bytes.fromhex("00200080") + (bytes((len(data),)) + data if data else b"")
        return int.from_bytes(self.card.transmit(apdu), "big")

    @rule(pin_id=st.sampled_from(list(PinId)))
    def right(self, pin_id: PinId) -> None:
        sw = self._verify(pin_id, PIN_EFS[pin_id][2])
        if self.model[pin_id] == 0:
            assert sw == 0x6984  # blocked: the real card's answer (see CardOS.verify)
        else:
            assert sw == 0x9000
            self.model[pin_id] = MAX_TRIES[pin_id]

    @rule(pin_id=st.sampled_from(list(PinId)), data=st.binary(min_size=1, max_size=20))
    def wrong(self, pin_id: PinId, data: bytes) -> None:
        if data == PIN_EFS[pin_id][2]:
            return
        sw = self._verify(pin_id, data)
        if self.model[pin_id] == 0:
            assert sw == 0x6984
        else:
            self.model[pin_id] -= 1
            assert sw == 0x63C0 | self.model[pin_id]

    @rule(pin_id=st.sampled_from(list(PinId)))
    def query(self, pin_id: PinId) -> None:
        sw = self._verify(pin_id, b"")
        assert sw == 0x63C0 | self.model[pin_id]  # 63C0 when blocked

    @rule()
    def reset(self) -> None:
        self.card.reset()  # counters survive a reset (R_PIN_4)

    @rule(pin_id=st.sampled_from(list(PinId)))
    def window_reset(self, pin_id: PinId) -> None:
        self.chip.set_pin(pin_id, PIN_EFS[pin_id][2].decode())
        self.model[pin_id] = MAX_TRIES[pin_id]

    @invariant()
    def counters_match(self) -> None:
        assert {p: self.chip.tries_left(p) for p in PinId} == self.model


PinCounters.TestCase.settings = settings(max_examples=examples(150), stateful_step_count=40, deadline=None)
TestPinCountersFollowTheModel = PinCounters.TestCase  # R_PIN_4, R_CHIP_3
