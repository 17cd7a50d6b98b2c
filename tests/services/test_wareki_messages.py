"""Japanese messages give dates in 和暦 with 西暦 in brackets, and times in Japan time."""

from __future__ import annotations

import pytest

from mynacard.errors import MynaError
from mynacard.services import certificates, loss
from tests.services.conftest import at, issued_card, new_resident


def test_a_step_dated_before_the_cards_last_is_refused_in_wareki_and_jst(office):
    card_id = issued_card(office, new_resident(office))  # handed over 2025-05-10 10:00 JST
    with pytest.raises(MynaError) as e, office.work(at=at("2025-05-09T09:00"), actor="clerk") as w:
        loss.report_loss(w, card_id)
    assert "令和7年5月10日(2025-05-10) 10:00 JST" in e.value.message_ja


def test_an_early_certificate_renewal_names_the_dates_in_wareki_R_CERT_3(office):
    card_id = issued_card(office, new_resident(office))
    with pytest.raises(MynaError) as e, office.work(at=at("2026-01-10"), actor="clerk") as w:
        certificates.renew(w, card_id, "auth")
    # born 1990-06-15, handed over 2025-05-10: valid to the 5th birthday after, renewable 3 months before
    assert "有効期限 令和11年6月15日(2029-06-15) の3か月前、令和11年3月16日(2029-03-16) から" in e.value.message_ja
