"""The renewals-due list of the window, the API and the CLI (R_CARD_6, R_CERT_3): what falls due
by a day, from which day, in which municipality, in what order.

The adult of ``issued_card`` (born 1990-06-15, card handed over 2025-05-10) has certificates
expiring on 2029-06-15 (window from 2029-03-16) and a card expiring on 2034-06-15 (window from
2034-03-16)."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.errors import ValidationError
from mynacard.services import lifecycle, loss
from mynacard.services.renewals import CARD, CardRenewals, Due, renewals_due
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, new_resident

CERTS_EXPIRE, CERTS_WINDOW = date(2029, 6, 15), date(2029, 3, 16)
CARD_EXPIRES, CARD_WINDOW = date(2034, 6, 15), date(2034, 3, 16)


def _due(office, *, until: date, since: date | None = None, municipality: str | None = None) -> list[CardRenewals]:
    with office.work(at=at("2025-06-01"), actor="clerk") as w:
        return renewals_due(w, municipality_code=municipality, until=until, since=since)


def test_a_range_that_ends_before_it_starts_is_refused(office):
    with pytest.raises(ValidationError) as err:
        _due(office, since=date(2030, 1, 2), until=date(2030, 1, 1))
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "The range starts (2030-01-02) after it ends (2030-01-01): give since on or before until.",
        "message_ja": "期間の開始日が終了日より後です。",
        "field": "since",
    }
    assert _due(office, since=date(2030, 1, 1), until=date(2030, 1, 1)) == []  # a one-day range is fine


def test_certificates_fall_due_on_the_day_their_window_opens_R_CERT_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    assert _due(office, until=date(2029, 3, 15)) == []
    [row] = _due(office, until=CERTS_WINDOW)
    assert (row.resident_id, row.resident_name, row.card_id) == (rid, "能登 太郎", card_id)
    assert row.due == [  # the signing certificate first, then the authentication one
        Due("sign", CERTS_EXPIRE, CERTS_WINDOW, True),
        Due("auth", CERTS_EXPIRE, CERTS_WINDOW, True),
    ]
    assert row.first_expiry == CERTS_EXPIRE


def test_the_card_falls_due_with_what_is_past_its_expiry_unless_since_leaves_it_out_R_CARD_6(office):
    card_id = issued_card(office, new_resident(office))
    [row] = _due(office, until=CARD_WINDOW)
    assert row.card_id == card_id
    assert row.due == [
        Due(CARD, CARD_EXPIRES, CARD_WINDOW, True),
        Due("sign", CERTS_EXPIRE, CERTS_WINDOW, False),  # past its expiry on that day: still to renew
        Due("auth", CERTS_EXPIRE, CERTS_WINDOW, False),
    ]
    assert row.first_expiry == CERTS_EXPIRE
    [kept] = _due(office, until=CARD_WINDOW, since=CERTS_EXPIRE)  # expired on the first day: kept
    assert [d.what for d in kept.due] == [CARD, "sign", "auth"]
    [left] = _due(office, until=CARD_WINDOW, since=date(2029, 6, 16))
    assert [d.what for d in left.due] == [CARD]


def test_only_live_cards_and_good_certificates_are_listed_R_CARD_6(office):
    suspended = issued_card(office, new_resident(office))
    returned = issued_card(office, new_resident(office, name="能登 次郎"))
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        loss.report_loss(w, suspended)  # its certificates are on hold
        lifecycle.return_card(w, returned)
    assert _due(office, until=CERTS_WINDOW) == []
    [row] = _due(office, until=CARD_WINDOW)
    assert row.card_id == suspended and [d.what for d in row.due] == [CARD]


def test_the_list_is_one_municipalitys_or_every_ones_sorted_by_the_first_expiry(office):
    later = issued_card(office, new_resident(office, birth=date(1990, 9, 1)))  # certificates 2029-09-01
    earlier = issued_card(
        office, new_resident(office, name="金沢 花子", sex="2", municipality_code=KANAZAWA)
    )
    until = date(2029, 6, 30)
    assert [r.card_id for r in _due(office, until=until)] == [earlier, later]
    assert [r.card_id for r in _due(office, until=until, municipality=NAKANOTO)] == [later]
    assert [r.card_id for r in _due(office, until=until, municipality=KANAZAWA)] == [earlier]
