"""The daily batch (R_CARD_2, R_CARD_8, R_CERT_3, R_CERT_7): what it ends, expires and lapses, in
which municipality, what the cards, moves and certificates keep, what the event log says, and
the refusal of a time before a card's last step. Written against the mutants that lived in
``services/batch.py``."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.models import Move
from mynacard.errors import StateError
from mynacard.services import batch, face, loss
from tests.services.conftest import KANAZAWA, NAKANOTO, PINS, at, issued_card, new_resident

KANAZAWA_ADDRESS = "石川県金沢市広坂1丁目1番1号"


def _move(office, rid: int, *, to: str = KANAZAWA, notice: str = "2026-08-05") -> None:
    """Out on 2026-07-31 (planned 08-01), in on 08-02 with the notice on ``notice``: the card is
    to be presented within 90 days of the notice (2026-11-03 for the default)."""
    with office.work(at=at("2026-07-31"), actor="clerk") as w:
        face.move_out(w, rid, to_municipality=to, planned_on=date(2026, 8, 1))
    with office.work(at=at(notice), actor="clerk") as w:
        face.move_in(w, rid, new_address="新しい住所1番地", moved_in_on=date(2026, 8, 2))


def _card(office, card_id: str):
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        c = repo.card(w.session, card_id)
        w.session.expunge_all()
        return c


def _move_status(office, rid: int) -> str:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        return w.session.scalars(select(Move.status).where(Move.resident_id == rid)).one()


def _events(office, card_id: str, *actions: str) -> list[tuple]:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        return [
            (e.action, e.actor, e.resident_id, e.certificate_serial, e.details)
            for e in repo.events(w.session, card_id=card_id)
            if e.action in actions and e.actor.endswith("batch")
        ]


def _serial(office, card_id: str, kind: str) -> int:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        return repo.latest_certificate(w.session, card_id, kind).serial


# --- lapsed moves ----------------------------------------------------------------------------


def test_a_card_not_presented_within_90_days_lapses_with_its_certificate_and_the_log_says_why_R_CARD_8(office):
    late = new_resident(office)
    late_card = issued_card(office, late)
    _move(office, late)
    presented = new_resident(office, name="能登 次郎")
    presented_card = issued_card(office, presented)
    _move(office, presented)
    with office.work(at=at("2026-08-10"), actor="clerk") as w:
        face.continued_use(w, presented_card, resident_pin=PINS["resident"])
    waiting = new_resident(office, name="能登 三郎")
    waiting_card = issued_card(office, waiting)
    _move(office, waiting, notice="2026-08-10")  # to be presented by 2026-11-08

    with office.work(at=at("2026-11-04"), actor="batch") as w:
        rep = batch.daily(w)
    assert rep.lapsed_cards == [late_card]
    assert (rep.counts["lapsed_cards"], rep.counts["revoked_certificates"]) == (
        1,
        1,
    )  # the signing one went at the move
    c = _card(office, late_card)
    assert (c.state, c.end_reason, c.continued_use_by) == ("lapsed", "not presented within 90 days of moving", None)
    assert c.ended_at == at("2026-11-04")
    assert _move_status(office, late) == "lapsed"
    auth = _serial(office, late_card, "auth")
    assert _events(office, late_card, "certificate_revoked", "card_lapsed") == [
        ("certificate_revoked", "batch", late, auth, {"kind": "auth", "reason": "cessation_of_operation"}),
        ("card_lapsed", "batch", late, None, {"reason": "not presented within 90 days of moving"}),
    ]
    # the card presented in time and the one still within its 90 days are untouched
    assert (_card(office, presented_card).state, _move_status(office, presented)) == ("issued", "done")
    assert (_card(office, waiting_card).state, _move_status(office, waiting)) == ("issued", "moved_in")


def test_a_municipalitys_batch_lapses_only_its_own_residents_moves_R_CARD_8(office):
    to_kanazawa = new_resident(office)
    kanazawa_card = issued_card(office, to_kanazawa)
    _move(office, to_kanazawa, to=KANAZAWA)
    to_nakanoto = new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA)
    nakanoto_card = issued_card(office, to_nakanoto)
    _move(office, to_nakanoto, to=NAKANOTO)
    with office.work(at=at("2026-11-04"), actor="kanazawa-batch") as w:
        rep = batch.daily(w, municipality_code=KANAZAWA)
    assert rep.lapsed_cards == [kanazawa_card]
    assert _card(office, nakanoto_card).state == "issued"
    assert _move_status(office, to_nakanoto) == "moved_in"


# --- expiry ----------------------------------------------------------------------------------


def test_expired_certificates_are_listed_logged_and_counted_R_CERT_3(office):
    """The adult of ``issued_card``: certificates to 2029-06-15, the card to 2034-06-15."""
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    serials = sorted([_serial(office, card_id, "sign"), _serial(office, card_id, "auth")])
    with office.work(at=at("2029-06-16"), actor="batch") as w:
        rep = batch.daily(w)
    assert rep.expired_certificates == [format(s, "x") for s in serials]  # lower-case hex, by serial
    assert rep.counts["expired_certificates"] == 2
    logged = _events(office, card_id, "certificate_expired")
    assert sorted(logged, key=lambda e: e[3]) == [
        ("certificate_expired", "batch", rid, s, {"kind": k})
        for s, k in sorted([(_serial(office, card_id, "sign"), "sign"), (_serial(office, card_id, "auth"), "auth")])
    ]
    assert _card(office, card_id).state == "issued"


def test_expired_cards_end_with_their_reason_and_are_all_listed_R_CARD_2(office):
    first = issued_card(office, new_resident(office))
    second = issued_card(office, new_resident(office, name="能登 次郎"))
    with office.work(at=at("2034-06-16"), actor="batch") as w:
        rep = batch.daily(w, chunk=1)
    assert sorted(rep.expired_cards) == sorted([first, second])
    assert rep.counts["expired_cards"] == 2
    for card_id in (first, second):
        c = _card(office, card_id)
        assert (c.state, c.end_reason, c.ended_at) == ("expired", "expired", at("2034-06-16"))
        [(_, _, _, _, details)] = _events(office, card_id, "card_expired")
        assert details == {"reason": "expired"}


def test_a_municipalitys_batch_expires_only_its_own_residents_cards_and_certificates_R_CARD_2(office):
    ours = issued_card(office, new_resident(office))
    theirs = issued_card(office, new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA))
    with office.work(at=at("2029-06-16"), actor="batch") as w:
        rep = batch.daily(w, municipality_code=NAKANOTO)
    assert rep.counts["expired_certificates"] == 2
    with office.work(at=at("2029-06-16"), actor="reader") as w:
        assert {c.status for c in repo.certificates_of_card(w.session, theirs)} == {"good"}
        assert {c.status for c in repo.certificates_of_card(w.session, ours)} == {"expired"}
    with office.work(at=at("2034-06-16"), actor="batch") as w:
        rep = batch.daily(w, municipality_code=NAKANOTO)
    assert rep.expired_cards == [ours]
    assert _card(office, theirs).state == "issued"


# --- simulated time --------------------------------------------------------------------------


def test_the_batch_refuses_a_time_before_a_cards_last_step_and_names_it(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    _move(office, rid)
    with office.work(at=at("2026-11-10"), actor="hotline") as w:  # recorded on the card after 11-05
        loss.report_loss(w, card_id)
    issued_card(office, new_resident(office, name="能登 次郎"))  # another card, its steps earlier
    with pytest.raises(StateError) as err, office.work(at=at("2026-11-05"), actor="batch") as w:
        batch.daily(w)
    assert err.value.message == (
        f"The time 2026-11-05T10:00:00+09:00 is before the last recorded step of card {card_id} "
        "(2026-11-10T01:00:00+00:00): simulated time cannot run backwards. Use a later --at."
    )
    assert err.value.message_ja == "このカードの直前の記録(2026-11-10 01:00 UTC)より前の日時では処理できません。"
    assert (err.value.card_id, err.value.last_at) == (card_id, "2026-11-10T01:00:00+00:00")
    assert _card(office, card_id).state == "suspended"  # nothing changed


def test_a_later_step_of_another_card_does_not_stop_the_batch(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    _move(office, rid)
    other = issued_card(office, new_resident(office, name="能登 次郎"))
    with office.work(at=at("2026-11-10"), actor="hotline") as w:
        loss.report_loss(w, other)
    with office.work(at=at("2026-11-05"), actor="batch") as w:
        assert batch.daily(w).lapsed_cards == [card_id]


def test_lapses_over_several_chunks_are_all_listed_and_counted_R_CARD_8(office):
    cards = []
    for name in ("能登 太郎", "能登 次郎"):
        rid = new_resident(office, name=name)
        cards.append(issued_card(office, rid))
        _move(office, rid)
    with office.work(at=at("2026-11-04"), actor="batch") as w:
        rep = batch.daily(w, chunk=1)
    assert sorted(rep.lapsed_cards) == sorted(cards)
    assert (rep.counts["lapsed_cards"], rep.counts["revoked_certificates"]) == (2, 2)


# --- the chunked batch with its checkpoint ---------------------------------------------------


def _checkpoint(office, name: str) -> dict | None:
    import json

    from mynacard.db.models import StoreMeta

    with office.work(at=at("2031-01-01"), actor="reader") as w:
        row = w.session.get(StoreMeta, name)
        return None if row is None else json.loads(row.value)


def test_the_chunked_batch_reports_each_chunk_logs_as_the_batch_and_keeps_counts_only_R_CARD_8(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    _move(office, rid, to=KANAZAWA)
    other = new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA)
    other_card = issued_card(office, other)
    _move(office, other, to=NAKANOTO)
    chunks: list[tuple[str, int]] = []
    rep = batch.run_daily(
        office, at=at("2026-11-04"), municipality_code=KANAZAWA, chunk=1, progress=lambda s, n: chunks.append((s, n))
    )
    assert chunks == [
        ("certificates", 0),
        ("cards", 0),
        ("moves", 1),
        ("moves", 0),
        ("card_notices", 0),
        ("certificate_notices", 0),
    ]
    assert (rep.counts["lapsed_cards"], rep.lapsed_cards, rep.resumed_from) == (1, [], None)
    assert [e[:2] for e in _events(office, card_id, "card_lapsed")] == [("card_lapsed", "batch")]
    assert _card(office, other_card).state == "issued"
    assert _checkpoint(office, f"batch:2026-11-04:{KANAZAWA}") == {"step": "done", "after": None, "counts": rep.counts}


def test_a_chunked_batch_stopped_after_a_step_resumes_at_the_next_one_R_USE_3(office):
    """Certificates to 2029-06-15: their expiry notices are due on 2029-04-01."""
    for name in ("能登 太郎", "能登 次郎"):
        issued_card(office, new_resident(office, name=name))
    when = at("2029-04-01")

    def stop_after_the_card_notices(step: str, n: int) -> None:
        if step == "card_notices":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=when, progress=stop_after_the_card_notices)
    saved = _checkpoint(office, "batch:2029-04-01:all")
    assert (saved["step"], saved["after"]) == ("certificate_notices", None)
    rep = batch.run_daily(office, at=when)
    assert rep.resumed_from == "certificate_notices"
    assert rep.counts["notices"] == 2


def test_the_chunked_batch_takes_no_more_than_a_chunk_at_a_time_R_CERT_3(office):
    """Two adults: four certificates to 2029-06-15, each taken in a chunk of its own."""
    for name in ("能登 太郎", "能登 次郎"):
        issued_card(office, new_resident(office, name=name))
    chunks: list[tuple[str, int]] = []
    rep = batch.run_daily(office, at=at("2029-06-16"), chunk=1, progress=lambda s, n: chunks.append((s, n)))
    assert [n for s, n in chunks if s == "certificates"] == [1, 1, 1, 1, 0]
    assert rep.counts["expired_certificates"] == 4


def test_the_chunked_batch_lapses_one_move_a_chunk_R_CARD_8(office):
    for name in ("能登 太郎", "能登 次郎"):
        rid = new_resident(office, name=name)
        issued_card(office, rid)
        _move(office, rid)
    chunks: list[tuple[str, int]] = []
    rep = batch.run_daily(office, at=at("2026-11-04"), chunk=1, progress=lambda s, n: chunks.append((s, n)))
    assert [n for s, n in chunks if s == "moves"] == [1, 1, 0]
    assert rep.counts["lapsed_cards"] == 2


# --- expiry notices (R_USE_3: mailed 2-3 months before the expiry) -----------------------------


def _notices(office) -> list[tuple[str, str, date, date]]:
    from mynacard.db.models import ExpiryNotice

    with office.work(at=at("2031-01-01"), actor="reader") as w:
        return sorted((n.card_id, n.subject, n.expires_on, n.sent_on) for n in w.session.scalars(select(ExpiryNotice)))


def test_a_certificate_notice_is_still_due_two_months_before_the_expiry_R_USE_3(office):
    card_id = issued_card(office, new_resident(office))  # certificates to 2029-06-15
    with office.work(at=at("2029-04-15"), actor="batch") as w:
        batch.daily(w)
    assert _notices(office) == [(card_id, "certificate", date(2029, 6, 15), date(2029, 4, 15))]


def test_no_notice_is_mailed_less_than_two_months_before_the_expiry_R_USE_3(office):
    issued_card(office, new_resident(office))
    with office.work(at=at("2029-04-16"), actor="batch") as w:
        batch.daily(w)
    assert _notices(office) == []


def test_a_notice_for_a_month_end_expiry_goes_out_on_the_day_three_months_before_R_USE_3(office):
    """Born on 31 May: certificates to 2029-05-31, three months before is 2029-02-28."""
    card_id = issued_card(office, new_resident(office, birth=date(1990, 5, 31)))
    with office.work(at=at("2029-02-28"), actor="batch") as w:
        batch.daily(w)
    assert _notices(office) == [(card_id, "certificate", date(2029, 5, 31), date(2029, 2, 28))]


def test_a_suspended_card_gets_no_card_notice_R_USE_3(office):
    """Cards to 2034-06-15: their notices are due on 2034-04-01."""
    issued = issued_card(office, new_resident(office))
    suspended = issued_card(office, new_resident(office, name="能登 次郎"))
    with office.work(at=at("2034-03-01"), actor="hotline") as w:
        loss.report_loss(w, suspended)
    with office.work(at=at("2034-04-01"), actor="batch") as w:
        batch.daily(w)
    assert _notices(office) == [(issued, "card", date(2034, 6, 15), date(2034, 4, 1))]


def test_a_municipalitys_batch_mails_only_its_own_residents_notices_R_USE_3(office):
    ours = issued_card(office, new_resident(office))
    issued_card(office, new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA))
    with office.work(at=at("2029-04-01"), actor="batch") as w:
        batch.daily(w, municipality_code=NAKANOTO)
    with office.work(at=at("2034-04-01"), actor="batch") as w:
        batch.daily(w, municipality_code=NAKANOTO)
    assert _notices(office) == [
        (ours, "card", date(2034, 6, 15), date(2034, 4, 1)),
        (ours, "certificate", date(2029, 6, 15), date(2029, 4, 1)),
    ]


def test_a_batch_stopped_inside_a_step_resumes_after_its_last_key_and_starts_the_next_step_afresh_R_USE_3(
    office, monkeypatch
):
    """On 2034-04-01 the card of one holder (to 2034-06-15) and the certificates of another
    (handed over in 2030: to 2034-06-15, the card to 2039) are due for their notices."""
    from mynacard.services import cards

    ids = iter(["FFFFFFFFFFF1", "000000000002"])
    monkeypatch.setattr(cards, "new_card_id", lambda: next(ids))
    card_due = issued_card(office, new_resident(office))
    certs_due = issued_card(
        office, new_resident(office, name="能登 次郎"), applied="2030-04-01", made="2030-04-20", handed="2030-05-10"
    )
    when = at("2034-04-01")

    def stop_inside_the_card_notices(step: str, n: int) -> None:
        if step == "card_notices" and n == 1:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=when, chunk=1, progress=stop_inside_the_card_notices)
    rep = batch.run_daily(office, at=when, chunk=1)
    assert rep.resumed_from == f"card_notices 2034-06-15 {card_due}"
    assert _notices(office) == [
        (certs_due, "certificate", date(2034, 6, 15), date(2034, 4, 1)),
        (card_due, "card", date(2034, 6, 15), date(2034, 4, 1)),
    ]
