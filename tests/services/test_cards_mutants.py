"""Applications at the window, called directly: express issuance (R_LOSS_5), the cancelled
application (申請の取下げ) and the application looked up by its ID."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import NotAllowedError, NotFoundError, StateError, ValidationError
from mynacard.services import cards, residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, NAKANOTO, at, issued_card, new_resident
from tests.storetemplate import migrated_store


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    store = migrated_store(tmp_path_factory.mktemp("cards") / "test.db")
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
    yield off
    store.dispose()


# --- express issuance (R_LOSS_5) --------------------------------------------------------------------


def test_express_first_issue_for_an_infant_under_1_R_LOSS_5(office):
    rid = new_resident(office, when="2027-01-05", birth=date(2026, 12, 20), name="能登 赤子")
    with office.work(at=at("2027-01-10"), actor="clerk") as w:
        applied = cards.apply(w, rid, kind="new", express=True, certificates="auth")
        assert applied.application.express is True


def test_express_first_issue_refused_to_an_adult_R_LOSS_5(office):
    rid = new_resident(office, when="2027-01-05", name="能登 大人")
    with office.work(at=at("2027-01-10"), actor="clerk") as w:
        with pytest.raises(NotAllowedError) as e:
            cards.apply(w, rid, kind="new", express=True)
        assert e.value.to_dict() == {
            "code": "not_allowed",
            "message": "Express issuance is for infants under 1, return from abroad, loss, damage, number "
            "change or a full notes field, applied for within 30 days of the event (R_LOSS_5).",
            "message_ja": "特急発行の対象外です(1歳未満、国外からの転入、紛失・損傷、番号変更、追記欄の余白なし等で、"
            "事由発生から30日以内)。",
            "event_on": "2027-01-10",
        }
        assert repo.cards_of(w.session, rid) == []


# --- cancel (申請の取下げ) ------------------------------------------------------------------------------


def _applied(office: Office, rid: int, when: str = "2027-01-10") -> tuple[str, str]:
    with office.work(at=at(when), actor="clerk") as w:
        a = cards.apply(w, rid, kind="new", channel="window")
        return a.card.id, a.application.id


@pytest.mark.parametrize("made", [False, True])
def test_cancelled_application_voids_the_card_and_is_logged(office, made):
    rid = new_resident(office)
    card_id, app_id = _applied(office, rid)
    if made:
        with office.work(at=at("2027-01-15"), actor="j-lis") as w:
            cards.make(w, card_id)
    with office.work(at=at("2027-01-20T14:00"), actor="clerk") as w:
        c = cards.cancel(w, card_id, reason="本人の申出 " + "x" * 300)
        assert c.id == card_id
    with office.work(at=at("2027-01-20T15:00"), actor="t") as w:
        c = repo.card(w.session, card_id)
        assert (c.state, c.ended_at, c.end_reason) == ("cancelled", at("2027-01-20T14:00"), "application cancelled")
        assert cards.get_application(w, app_id).status == "cancelled"
        (ev,) = [e for e in repo.events(w.session, card_id=card_id) if e.action == "application_cancelled"]
        assert (ev.resident_id, ev.actor) == (rid, "clerk")
        assert ev.details == {"application_id": app_id, "reason": ("本人の申出 " + "x" * 300)[:200]}
        assert len(ev.details["reason"]) == 200


def test_cancel_without_a_reason_logs_an_empty_one(office):
    rid = new_resident(office)
    card_id, _ = _applied(office, rid)
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        cards.cancel(w, card_id)
        (ev,) = [e for e in repo.events(w.session, card_id=card_id) if e.action == "application_cancelled"]
        assert ev.details["reason"] == ""


def test_card_handed_over_is_not_cancelled(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        with pytest.raises(StateError) as e:
            cards.cancel(w, card_id)
        assert e.value.to_dict() == {
            "code": "wrong_state",
            "message": f"Cannot cancel the application: card {card_id} is issued (it must be applied or made).",
            "message_ja": "申請を取り消しできません。カードの状態は「交付済み(有効)」です。",
            "card_id": card_id,
            "state": "issued",
        }
        assert repo.card(w.session, card_id).state == "issued"


def test_cancel_reason_with_a_control_character_refused(office):
    rid = new_resident(office)
    card_id, _ = _applied(office, rid)
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        with pytest.raises(ValidationError) as e:
            cards.cancel(w, card_id, reason="取下げ\x07")
        assert e.value.field == "reason"
        assert e.value.message.startswith("reason contains a control character")
        assert repo.card(w.session, card_id).state == "applied"


def test_unknown_card_not_cancelled(office):
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        with pytest.raises(NotFoundError):
            cards.cancel(w, "NO-SUCH-CARD")


# --- get_application --------------------------------------------------------------------------------


def test_application_found_by_its_id(office):
    rid = new_resident(office)
    card_id, app_id = _applied(office, rid)
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        app = cards.get_application(w, app_id)
        assert (app.id, app.resident_id) == (app_id, rid)
        assert repo.card(w.session, card_id).application_id == app_id


def test_unknown_application_not_found(office):
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        with pytest.raises(NotFoundError) as e:
            cards.get_application(w, "174076-20270120-0000")
        assert e.value.to_dict() == {
            "code": "not_found",
            "message": "No application 174076-20270120-0000.",
            "message_ja": "申請書ID 174076-20270120-0000 の申請はありません。",
        }
