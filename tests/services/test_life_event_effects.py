"""A life event's effect on each certificate of the card, when the two certificates are not in the
same state: one already on hold, or both past their end (R_LOSS_1, R_CERT_5)."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.services import batch, loss, pki
from tests.services.conftest import at, issued_card, new_resident


@pytest.mark.parametrize("first", ["sign", "auth"])
def test_a_loss_report_holds_the_other_certificate_when_one_is_already_on_hold_R_LOSS_1(office, first):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        pki.hold(w, repo.latest_certificate(w.session, card_id, first))
    with office.work(at=at("2026-01-06"), actor="clerk") as w:
        loss.report_loss(w, card_id)
    with office.work(at=at("2026-01-07"), actor="reader") as w:
        statuses = {k: repo.latest_certificate(w.session, card_id, k).status for k in ("sign", "auth")}
        reported = [e for e in repo.events(w.session, card_id=card_id) if e.action == "loss_reported"]
    assert statuses == {"sign": "hold", "auth": "hold"}
    other = "auth" if first == "sign" else "sign"
    assert reported[0].details["holds"] == {other: "hold"}


def test_a_loss_after_the_certificates_expired_keeps_the_expiry_written_on_the_card_face(office):
    # Issued 2025-05-10 to a holder born 1990-06-15: the certificates end on 2029-06-15, the card
    # on 2034-06-15. The face's field keeps the date the holder wrote, after the certificates end.
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2029-06-20"), actor="batch") as w:
        batch.daily(w)
    with office.work(at=at("2029-07-01"), actor="clerk") as w:
        c = loss.report_loss(w, card_id)
        assert c.state == "suspended"
    with office.work(at=at("2029-07-02"), actor="reader") as w:
        assert repo.latest_certificate(w.session, card_id, "sign").status == "expired"
        assert repo.card(w.session, card_id).cert_expires_on == date(2029, 6, 15)
