"""Loss, hotline suspension, finding and reissue (R_LOSS_1..5, R_CERT_6, R_CERT_8)."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.x509 import ocsp

from mynacard.db import repositories as repo
from mynacard.errors import NotFoundError, StateError, ValidationError
from mynacard.services import cards, certificates, loss, revocation
from tests.services.conftest import at, issued_card, new_resident


def _statuses(office, card_id, when="2025-06-01"):
    with office.work(at=at(when), actor="t") as w:
        return {c.kind: c.status for c in repo.certificates_of_card(w.session, card_id)}


def _ocsp(office, card_id, kind, when):
    with office.work(at=at(when), actor="t") as w:
        cert = repo.latest_certificate(w.session, card_id, kind)
        resp = revocation.response(w, cert)
        return (
            resp.certificate_status,
            resp.revocation_reason if resp.certificate_status == ocsp.OCSPCertStatus.REVOKED else None,
        )


def test_hotline_suspends_at_3am_sunday_and_holds_both_R_LOSS_1(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    # 2027-01-17 is a Sunday; the hotline works at any hour, independent of the window.
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        s = loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    assert s.reference.startswith("H20270117-")
    assert s.certificates == {"sign": "hold", "auth": "hold"}
    assert _statuses(office, card_id) == {"sign": "hold", "auth": "hold"}
    status, reason = _ocsp(office, card_id, "auth", "2027-01-17T03:01")
    assert status == ocsp.OCSPCertStatus.REVOKED and reason.name == "certificate_hold"  # R_CERT_8


def test_hotline_refuses_when_identity_answers_do_not_match_R_LOSS_1(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with pytest.raises(NotFoundError), office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 16))
    assert _statuses(office, card_id) == {"sign": "good", "auth": "good"}


def test_found_releases_suspension_and_holds_R_LOSS_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        assert loss.found(w, card_id) == {"sign": "release", "auth": "release"}
        assert repo.card(w.session, card_id).state == "issued"
    assert _statuses(office, card_id) == {"sign": "good", "auth": "good"}
    status, _ = _ocsp(office, card_id, "sign", "2027-01-19T10:00")
    assert status == ocsp.OCSPCertStatus.GOOD


def test_found_with_reissue_policy_revokes_certificates_R_LOSS_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-01"), actor="admin") as w:
        repo.municipality(w.session, "174076").found_policy = "reissue"
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2027-01-19"), actor="clerk") as w:
        loss.found(w, card_id)
    assert _statuses(office, card_id) == {"sign": "revoked", "auth": "revoked"}


def test_revoke_after_hold_and_release_of_revoked_is_refused_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        loss.revoke_after_hold(w, card_id)
    assert _statuses(office, card_id) == {"sign": "revoked", "auth": "revoked"}
    with pytest.raises(StateError) as err, office.work(at=at("2027-01-21"), actor="clerk") as w:
        certificates.release(w, card_id, "sign")
    assert "not on hold" in str(err.value)


def test_voluntary_revocation_R_CERT_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        certificates.revoke(w, card_id, "sign")
    assert _statuses(office, card_id) == {"sign": "revoked", "auth": "good"}


def test_reissue_after_loss_needs_police_report_and_costs_1000_yen_R_LOSS_2_R_LOSS_4(office):
    rid = new_resident(office)
    old = issued_card(office, rid)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with pytest.raises(ValidationError) as err, office.work(at=at("2027-01-20"), actor="clerk") as w:
        cards.apply(w, rid, kind="reissue", reason="loss")
    assert err.value.document == "police_report"
    with office.work(at=at("2027-01-20"), actor="t") as w:
        assert repo.pending_card(w.session, rid) is None  # nothing was stored
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        applied = cards.apply(w, rid, kind="reissue", reason="loss", documents={"police_report": "第1234号"})
        assert applied.application.fee_total == 1000
        assert [line["amount"] for line in applied.receipt.lines] == [800, 200]
        new = applied.card.id
    with office.work(at=at("2027-01-25"), actor="j-lis") as w:
        cards.make(w, new)
    with office.work(at=at("2027-01-30"), actor="clerk") as w:
        cards.issue(
            w,
            new,
            identity_documents=["passport"],
            pins={"sign": "NEW123", "auth": "1111", "resident": "1111", "card_info": "1111"},
        )
        assert repo.card(w.session, old).state == "reissued"
    assert set(_statuses(office, old).values()) == {"revoked"}


def test_reissue_for_theft_is_free_and_express_costs_2000_R_LOSS_4_R_LOSS_5(office):
    rid = new_resident(office)
    issued_card(office, rid)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        applied = cards.apply(
            w,
            rid,
            kind="reissue",
            reason="theft",
            documents={"police_report": "第99号"},
            express=True,
            event_on=date(2027, 1, 16),
        )
        assert applied.application.fee_total == 2000
        assert applied.receipt.lines[0]["item_ja"] == "特急発行手数料"


def test_paid_reissue_with_express_costs_1000_plus_1800_R_LOSS_5(office):
    rid = new_resident(office)
    issued_card(office, rid)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        applied = cards.apply(
            w,
            rid,
            kind="reissue",
            reason="loss",
            documents={"police_report": "1"},
            express=True,
            event_on=date(2027, 1, 16),
        )
        assert applied.application.fee_total == 2800


def test_express_refused_after_30_days_R_LOSS_5(office):
    from mynacard.errors import NotAllowedError

    rid = new_resident(office)
    issued_card(office, rid)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with pytest.raises(NotAllowedError), office.work(at=at("2027-03-01"), actor="clerk") as w:
        cards.apply(
            w,
            rid,
            kind="reissue",
            reason="loss",
            documents={"police_report": "1"},
            express=True,
            event_on=date(2027, 1, 16),
        )


def test_reissue_for_loss_needs_the_card_suspended_first_R_LOSS_1(office):
    rid = new_resident(office)
    issued_card(office, rid)
    with pytest.raises(StateError), office.work(at=at("2027-01-20"), actor="clerk") as w:
        cards.apply(w, rid, kind="reissue", reason="loss", documents={"police_report": "1"})


def test_loss_report_at_window_suspends_when_hotline_was_not_called_R_LOSS_2(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-01-20"), actor="clerk") as w:
        loss.report_loss(w, card_id, kind="theft", police_report="第55号")
        assert repo.card(w.session, card_id).state == "suspended"
    assert _statuses(office, card_id) == {"sign": "hold", "auth": "hold"}


def test_hotline_number_is_the_seed_number_R_LOSS_1():
    assert loss.HOTLINES["free"] == "0120-95-0178"
    assert loss.HOTLINES["paid"] == "0570-783-578"
