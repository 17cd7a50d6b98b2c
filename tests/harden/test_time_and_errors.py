"""Bad input from the command line is a message and exit code 2, never a traceback; simulated
time cannot run backwards; an application can be cancelled so a resident is never stuck."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from mynacard.cli.main import app
from mynacard.db import repositories as repo
from mynacard.errors import StateError, ValidationError
from mynacard.services import cards
from tests.services.conftest import PINS, at, new_resident


@pytest.fixture
def cli(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def run(*args: str, at: str = "2025-05-10T10:00"):
        return runner.invoke(app, ["--db", db, "--at", at, "--json", *args])

    assert run("municipality", "add", "174076", "中能登町", "石川県").exit_code == 0
    r = run("resident", "add", "--name", "能登 太郎", "--address", "石川県", "--birth", "1990-06-15",
            "--sex", "1", "--municipality", "174076")
    assert r.exit_code == 0, r.output
    return run


def _no_traceback(r) -> None:
    assert r.exit_code == 2, (r.exit_code, r.output, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output


def test_unknown_reason_is_an_error_not_a_traceback(cli):
    r = cli("card", "apply", "1", "--kind", "reissue", "--reason", "bogus")
    _no_traceback(r)
    assert "Unknown reason" in r.output


def test_unknown_crl_kind_is_an_error(cli, tmp_path):
    _no_traceback(cli("cert", "crl", "bogus", "--out", str(tmp_path / "x.crl")))


@pytest.mark.parametrize("args", [
    ("resident", "show", "12345678901234567890123"),
    ("card", "apply", "12345678901234567890123"),
    ("resident", "number-history", "99999999999"),
    ("events", "--resident", "12345678901234567890123"),
])
def test_a_23_digit_id_is_an_error(cli, args):
    _no_traceback(cli(*args))


def test_card_make_before_the_received_date_is_an_error(cli):
    card = json.loads(cli("card", "apply", "1", "--received", "2025-04-10", at="2025-04-12T10:00").stdout)["card_id"]
    r = cli("card", "make", card, at="2025-04-11T10:00")
    _no_traceback(r)
    assert "before the application was received" in r.output or "cannot run backwards" in r.output


def test_application_received_before_birth_is_refused(office):
    rid = new_resident(office, birth=date(2025, 3, 1), when="2025-03-10")
    with pytest.raises(ValidationError) as e, office.work(at=at("2025-03-20"), actor="clerk") as w:
        cards.apply(w, rid, received_on=date(2025, 2, 1))
    assert e.value.fields["field"] == "received_on"


def test_make_is_refused_before_the_received_date(office):
    """J-LIS cannot make a card before the application reached it, even on an earlier event log."""
    rid = new_resident(office, when="2025-03-01")
    with office.work(at=at("2025-04-10"), actor="clerk") as w:
        card_id = cards.apply(w, rid, received_on=date(2025, 4, 10)).card.id
    with pytest.raises(StateError), office.work(at=at("2025-04-09"), actor="j-lis") as w:
        cards.make(w, card_id)


def test_hand_over_before_the_card_was_made_is_refused(office):
    rid = new_resident(office, when="2025-03-01")
    with office.work(at=at("2025-04-01"), actor="clerk") as w:
        card_id = cards.apply(w, rid).card.id
    with office.work(at=at("2025-04-20"), actor="j-lis") as w:
        cards.make(w, card_id)
    with pytest.raises(StateError), office.work(at=at("2025-04-19"), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["drivers_license"], pins=PINS)
    with pytest.raises(StateError) as e, office.work(at=at("2025-04-20T09:00"), actor="clerk") as w:
        cards.issue(w, card_id, identity_documents=["drivers_license"], pins=PINS)  # same day, earlier hour
    assert "backwards" in e.value.message
    with office.work(at=at("2025-04-20T11:00"), actor="r") as w:
        assert repo.card(w.session, card_id).state == "made"  # nothing changed


def test_any_step_of_a_card_dated_before_its_last_step_is_refused(office):
    from mynacard.services import loss
    from tests.services.conftest import issued_card

    rid = new_resident(office, when="2025-03-01")
    card_id = issued_card(office, rid)
    with pytest.raises(StateError), office.work(at=at("2025-05-09"), actor="clerk") as w:
        loss.report_loss(w, card_id)


def test_cancel_lets_the_resident_apply_again(office):
    rid = new_resident(office, when="2025-03-01")
    with office.work(at=at("2025-04-01"), actor="clerk") as w:
        card_id = cards.apply(w, rid).card.id
    with office.work(at=at("2025-04-20"), actor="j-lis") as w:
        cards.make(w, card_id)
    with office.work(at=at("2025-04-21"), actor="clerk") as w:
        assert cards.cancel(w, card_id, reason="moved abroad").state == "cancelled"
        assert repo.application(w.session, repo.card(w.session, card_id).application_id).status == "cancelled"
    with office.work(at=at("2025-04-22"), actor="clerk") as w:
        again = cards.apply(w, rid).card.id
    assert again != card_id
    with pytest.raises(StateError), office.work(at=at("2025-04-23"), actor="clerk") as w:
        cards.cancel(w, card_id)  # already cancelled


def test_cancel_from_the_cli(cli):
    card = json.loads(cli("card", "apply", "1", at="2025-04-01T10:00").stdout)["card_id"]
    r = cli("card", "cancel", card, "--reason", "withdrawn", at="2025-04-02T10:00")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["state"] == "cancelled"
    assert cli("card", "apply", "1", at="2025-04-03T10:00").exit_code == 0


def test_cancel_from_the_api_and_the_window(web_staff, web_app):
    import re

    from tests.harden.conftest import login_ui
    from tests.web.conftest import register

    clerk = web_staff["clerk"]
    rid = register(clerk, name="取下 太郎")
    card_id = clerk.post(f"/api/residents/{rid}/applications", json={}).json()["card_id"]
    r = clerk.post(f"/api/cards/{card_id}/cancel", json={"reason": "本人の申出"})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    card2 = clerk.post(f"/api/residents/{rid}/applications", json={}).json()["card_id"]
    ui = login_ui(web_app, "clerk")
    page = ui.get(f"/residents/{rid}").text
    assert 'id="task-cancel"' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = ui.post(f"/residents/{rid}/cancel", data={"card_id": card2, "reason": "", "csrf": token})
    assert 'id="form-confirm"' in r.text  # cancelling cannot be undone: the window asks first
    r = ui.post(f"/residents/{rid}/cancel", data={"card_id": card2, "reason": "", "csrf": token, "confirmed": "1"})
    assert r.status_code == 200 and "取り下げました" in r.text
