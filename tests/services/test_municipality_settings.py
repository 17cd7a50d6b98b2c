"""A municipality's settings (R_LOSS_3, R_LOSS_4): its reissue fees and what finding a lost card
does, set when it is registered or changed later, checked, recorded, and charged as set."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import ValidationError
from mynacard.services import cards, certificates, loss, residents
from tests.services.conftest import NAKANOTO, at, issued_card, new_resident


def _set(office, **settings):
    with office.work(at=at("2026-12-01"), actor="admin") as w:
        return residents.add_municipality(w, NAKANOTO, "中能登町", "石川県", **settings)


def _settings_events(office) -> list[dict]:
    with office.work(at=at("2027-12-31"), actor="reader") as w:
        return [e.details for e in repo.events(w.session) if e.action == "municipality_settings_changed"]


def test_a_new_municipality_has_the_default_fees_and_releases_holds_when_a_card_is_found(office):
    with office.work(at=at("2026-12-01"), actor="admin") as w:
        m = residents.add_municipality(w, "172031", "七尾市", "石川県")
        assert (m.card_fee, m.cert_fee, m.found_policy) == (800, 200, "release")
    with office.work(at=at("2026-12-01"), actor="admin") as w:
        m = residents.add_municipality(
            w, "172049", "小松市", "石川県", card_fee=1000, cert_fee=0, found_policy="reissue"
        )
        assert (m.card_fee, m.cert_fee, m.found_policy) == (1000, 0, "reissue")


def test_changed_fees_are_recorded_and_charged_for_a_reissue_R_LOSS_4(office):
    rid = new_resident(office)
    issued_card(office, rid)
    _set(office, card_fee=1000, cert_fee=300)
    _set(office, card_fee=1000)  # the same again: nothing changes, nothing is recorded
    assert _settings_events(office) == [{"code": NAKANOTO, "card_fee": 1000, "cert_fee": 300}]
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        applied = cards.apply(w, rid, kind="reissue", reason="damage", documents={"damaged_card": "presented"})
        assert applied.application.fee_total == 1300
        assert sorted(line["amount"] for line in applied.receipt.lines) == [300, 1000]


def test_a_municipality_that_reissues_revokes_the_holds_of_a_found_card_R_LOSS_3(office):
    card_id = issued_card(office, new_resident(office))
    _set(office, found_policy="reissue")
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        assert loss.found(w, card_id) == {"sign": "revoke", "auth": "revoke"}
    assert _settings_events(office) == [{"code": NAKANOTO, "found_policy": "reissue"}]


@pytest.mark.parametrize(
    ("settings", "field", "message"),
    [
        (
            {"found_policy": "keep"},
            "found_policy",
            "The policy when a lost card is found is 'release' or 'reissue', not 'keep'.",
        ),
        ({"card_fee": -1}, "card_fee", "A fee is a whole number of yen from 0 to 100000, not -1."),
        ({"cert_fee": 100_001}, "cert_fee", "A fee is a whole number of yen from 0 to 100000, not 100001."),
        ({"card_fee": 800.5}, "card_fee", "A fee is a whole number of yen from 0 to 100000, not 800.5."),
        ({"cert_fee": True}, "cert_fee", "A fee is a whole number of yen from 0 to 100000, not True."),
    ],
)
def test_a_setting_out_of_range_is_refused_and_changes_nothing(office, settings, field, message):
    with pytest.raises(ValidationError) as err:
        _set(office, **settings)
    assert (err.value.fields["field"], err.value.message) == (field, message)
    assert err.value.message_ja
    with office.work(at=at("2026-12-02"), actor="reader") as w:
        m = repo.municipality(w.session, NAKANOTO)
        assert (m.card_fee, m.cert_fee, m.found_policy) == (800, 200, "release")
    assert _settings_events(office) == []


def test_a_certificate_added_after_a_paid_reissue_costs_the_municipal_fee_R_LOSS_4_R_CERT_10(office):
    rid = new_resident(office)
    issued_card(office, rid)
    _set(office, card_fee=1000, cert_fee=300)
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        applied = cards.apply(
            w, rid, kind="reissue", reason="damage", documents={"damaged_card": "presented"}, certificates="none"
        )
        assert applied.application.fee_total == 1000
        card_id = applied.card.id
    with office.work(at=at("2027-01-25"), actor="j-lis") as w:
        cards.make(w, card_id)
    with office.work(at=at("2027-01-30"), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["passport"], pins={"resident": "2345", "card_info": "3456"})
    with office.work(at=at("2027-03-01"), actor="clerk") as w:
        added = certificates.add(w, card_id, "auth", pin="4321")
        assert [line["amount"] for line in added.receipt.lines] == [300]
