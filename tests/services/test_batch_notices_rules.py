"""The expiry notices of the daily batch in detail (R_USE_3): which certificates get one, the order
the step walks them in across chunks, the event each notice leaves in the log, the checkpoint
written inside the step, and the refusal of a time before a card's last step. The notices'
dates are ``test_batch_steps.py``; the chunks and resumption in general ``test_batch_chunks.py``."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.models import ExpiryNotice, StoreMeta
from mynacard.errors import StateError
from mynacard.services import batch, cards, certificates, pins
from tests.services.conftest import (
    KANAZAWA,
    NAKANOTO,
    PINS,
    at,
    issued_card,
    new_resident,
    pg_office,
    statements,
)

CERT_DUE = at("2029-04-01T02:00")  # the default certificates expire on 2029-06-15: their notice is due


def _notices(office) -> list[tuple[str, str, date, date]]:
    with office.store.session() as s:
        return sorted((n.card_id, n.subject, n.expires_on, n.sent_on) for n in s.scalars(select(ExpiryNotice)))


def _logged(office, card_id: str) -> list[tuple]:
    """The batch's steps of a card in the event log."""
    with office.work(at=at("2040-01-01"), actor="reader") as w:
        return [
            (e.action, e.actor, e.resident_id, e.card_id, e.certificate_serial, e.details)
            for e in repo.events(w.session, card_id=card_id)
            if e.actor == "batch"
        ]


def _card_ids(monkeypatch, *ids: str) -> None:
    """The next cards made get these IDs, in this order."""
    it = iter(ids)
    monkeypatch.setattr(cards, "new_card_id", lambda: next(it))


def _chunks(office, when, **kw) -> list[tuple[str, int]]:
    """``run_daily``'s chunks as (step, rows taken); a step that keeps taking rows without
    moving on (more than 20 chunks here) is stopped as a failure."""
    seen: list[tuple[str, int]] = []

    def progress(step: str, n: int) -> None:
        seen.append((step, n))
        if len(seen) > 20:
            raise AssertionError(f"the batch does not move on: {seen[-5:]}")

    batch.run_daily(office, at=when, progress=progress, **kw)
    return seen


# --- which certificates get a notice ---------------------------------------------------------


def test_a_card_whose_certificates_were_revoked_gets_no_certificate_notice_R_USE_3(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2028-01-10"), actor="clerk") as w:
        certificates.revoke(w, card_id, "sign")
        certificates.revoke(w, card_id, "auth")
    with office.work(at=CERT_DUE, actor="batch") as w:
        assert batch.daily(w).notices == []
    assert _notices(office) == []


def test_certificates_that_expire_with_the_card_get_only_the_card_notice_and_the_step_moves_on_R_USE_3(office):
    """A 15-year-old's card and certificates all run to the 5th birthday after their issue,
    2029-06-15 (R_CARD_2, R_CERT_3)."""
    card_id = issued_card(office, new_resident(office, name="能登 子", birth=date(2009, 6, 15)))
    with office.work(at=at("2029-01-01"), actor="reader") as w:
        assert repo.card(w.session, card_id).expires_on == date(2029, 6, 15)
        assert sorted((c.kind, c.expires_on) for c in repo.certificates_of_card(w.session, card_id)) == [
            ("auth", date(2029, 6, 15)),
            ("sign", date(2029, 6, 15)),
        ]
    # the certificate is read once and passed over: it is never sent, so the walk must go past it
    assert _chunks(office, CERT_DUE, chunk=1) == [
        ("certificates", 0),
        ("cards", 0),
        ("moves", 0),
        ("card_notices", 1),
        ("card_notices", 0),
        ("certificate_notices", 1),  # both certificates' rows, one pair (card, date)
        ("certificate_notices", 0),
    ]
    assert _notices(office) == [(card_id, "card", date(2029, 6, 15), date(2029, 4, 1))]


def test_a_municipalitys_certificate_notice_step_reads_only_its_own_residents_certificates_that_are_due_R_USE_3(
    office,
):
    ours = issued_card(office, new_resident(office))  # certificates to 2029-06-15: due
    issued_card(  # certificates to 2031-06-15: not due yet
        office, new_resident(office, name="能登 次郎"), applied="2026-04-01", made="2026-04-20", handed="2026-05-10"
    )
    issued_card(office, new_resident(office, name="金沢 一郎", municipality_code=KANAZAWA))  # due, elsewhere
    seen = _chunks(office, CERT_DUE, municipality_code=NAKANOTO)
    assert [c for c in seen if c[0] == "certificate_notices"] == [("certificate_notices", 2)]  # ours, both kinds
    assert _notices(office) == [(ours, "certificate", date(2029, 6, 15), date(2029, 4, 1))]


# --- the walk across chunks ------------------------------------------------------------------


def test_certificate_notices_walk_by_expiry_date_before_card_id_across_chunks_R_USE_3(office, monkeypatch):
    """The card expiring first has the larger ID; both are due on 2029-03-19."""
    _card_ids(monkeypatch, "FFFFFFFFFFF1", "000000000002")
    first = issued_card(office, new_resident(office, name="通知 一", birth=date(1990, 6, 15)))
    later = issued_card(office, new_resident(office, name="通知 二", birth=date(1990, 6, 19)))
    with office.work(at=at("2029-03-19T02:00"), actor="batch") as w:
        rep = batch.daily(w, chunk=1)
        listed = [(n.card_id, n.subject, n.expires_on) for n in rep.notices]
    # one chunk each: the report lists the notices of every chunk, in the order they went out
    assert listed == [(first, "certificate", date(2029, 6, 15)), (later, "certificate", date(2029, 6, 19))]
    assert _notices(office) == [
        (later, "certificate", date(2029, 6, 19), date(2029, 3, 19)),
        (first, "certificate", date(2029, 6, 15), date(2029, 3, 19)),
    ]


def test_a_full_chunk_of_certificates_sends_every_card_but_the_last_and_the_next_chunk_sends_that_R_USE_3(
    office, monkeypatch
):
    """Two cards, two certificates each, chunks of three: the first chunk ends inside the second
    card's certificates."""
    _card_ids(monkeypatch, "00000000000A", "00000000000B")
    a = issued_card(office, new_resident(office, name="通知 一"))
    b = issued_card(office, new_resident(office, name="通知 二"))
    with office.work(at=CERT_DUE, actor="batch") as w:
        rep = batch.daily(w, chunk=3)
        listed = [n.card_id for n in rep.notices]
    assert listed == [a, b]
    assert _notices(office) == [
        (a, "certificate", date(2029, 6, 15), date(2029, 4, 1)),
        (b, "certificate", date(2029, 6, 15), date(2029, 4, 1)),
    ]


def test_a_day_with_no_certificate_due_does_not_look_up_cards_for_certificate_notices_R_USE_3(office):
    issued_card(office, new_resident(office))  # certificates to 2029-06-15, the card to 2034-06-15
    with statements(office) as ran, office.work(at=at("2029-01-10"), actor="batch") as w:
        batch.daily(w)
    card_lookups = [s for s in ran if "FROM cards JOIN residents" in s]
    assert len(card_lookups) == 1  # the card notices' step; the certificate notices' step found nothing to look up


# --- what a notice leaves in the log ---------------------------------------------------------


def test_each_expiry_notice_is_logged_with_its_card_subject_date_and_application_id_R_USE_3(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=CERT_DUE, actor="batch") as w:
        batch.daily(w)
    with office.store.session() as s:
        [application_id] = s.scalars(select(ExpiryNotice.application_id)).all()
    assert _logged(office, card_id) == [
        (
            "expiry_notice",
            "batch",
            rid,
            card_id,
            None,
            {"subject": "certificate", "expires_on": "2029-06-15", "application_id": application_id},
        )
    ]


@pytest.mark.postgres
def test_the_chunked_batch_writes_each_notice_and_its_log_entry_in_one_copy_on_postgresql_R_USE_3(pg_url):
    """``run_daily`` keeps counts only: the notices and their events go to PostgreSQL by COPY."""
    with pg_office(pg_url) as office:
        rid = new_resident(office)
        card_id = issued_card(office, rid)
        assert batch.run_daily(office, at=CERT_DUE).counts["notices"] == 1
        with office.store.session() as s:
            [(subject, expires_on, application_id)] = s.execute(
                select(ExpiryNotice.subject, ExpiryNotice.expires_on, ExpiryNotice.application_id)
            ).all()
        assert (subject, expires_on) == ("certificate", date(2029, 6, 15))
        assert _logged(office, card_id) == [
            (
                "expiry_notice",
                "batch",
                rid,
                card_id,
                None,
                {"subject": "certificate", "expires_on": "2029-06-15", "application_id": application_id},
            )
        ]


# --- the checkpoint inside the step ----------------------------------------------------------


def test_a_batch_stopped_inside_the_certificate_notices_resumes_after_the_last_card_sent_R_USE_3(
    office, monkeypatch
):
    _card_ids(monkeypatch, "00000000000A", "00000000000B")
    a = issued_card(office, new_resident(office, name="通知 一"))
    b = issued_card(office, new_resident(office, name="通知 二"))

    def stop_after_the_first_notice(step: str, n: int) -> None:
        if step == "certificate_notices":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        batch.run_daily(office, at=CERT_DUE, chunk=1, progress=stop_after_the_first_notice)
    with office.store.session() as s:
        saved = s.get(StoreMeta, "batch:2029-04-01:all").value
    # compact JSON: the store_meta value column holds 200 characters
    assert saved == (
        '{"step":"certificate_notices","after":"2029-06-15 00000000000A","counts":{"expired_certificates":0,'
        '"expired_cards":0,"lapsed_cards":0,"revoked_certificates":0,"notices":1}}'
    )
    rep = batch.run_daily(office, at=CERT_DUE, chunk=1)
    assert rep.resumed_from == f"certificate_notices 2029-06-15 {a}"
    assert rep.counts["notices"] == 2
    assert _notices(office) == [
        (a, "certificate", date(2029, 6, 15), date(2029, 4, 1)),
        (b, "certificate", date(2029, 6, 15), date(2029, 4, 1)),
    ]


# --- simulated time --------------------------------------------------------------------------


def test_the_notice_step_refuses_a_time_before_a_cards_last_step_and_sends_nothing_R_USE_3(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2029-04-05"), actor="holder") as w:  # a step on the card after the batch's time
        pins.change(w, card_id, "auth", PINS["auth"], "9876")
    with pytest.raises(StateError) as err, office.work(at=CERT_DUE, actor="batch") as w:
        batch.daily(w)
    assert err.value.to_dict() == {
        "code": "wrong_state",
        "message": f"The time 2029-04-01T02:00:00+09:00 is before the last recorded step of card {card_id} "
        "(2029-04-05T01:00:00+00:00): simulated time cannot run backwards. Use a later --at.",
        "message_ja": "このカードの直前の記録(2029-04-05 01:00 UTC)より前の日時では処理できません。",
        "card_id": card_id,
        "last_at": "2029-04-05T01:00:00+00:00",
    }
    assert _notices(office) == []
