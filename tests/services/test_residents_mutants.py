"""Finding residents and reading their number: what is found, what is refused and what the
event log keeps (R_NUM_3). Written against the mutants that lived in ``services/residents.py``."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import ValidationError
from mynacard.ids import IndividualNumber
from mynacard.services import residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, NAKANOTO, at
from tests.storetemplate import migrated_store


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    store = migrated_store(tmp_path_factory.mktemp("residents") / "test.db")
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
    yield off
    store.dispose()


def _register(office, name: str, birth: date) -> tuple[int, str]:
    number = str(IndividualNumber.generate())
    with office.work(at=at("2025-04-01"), actor="clerk") as w:
        r = residents.register(
            w,
            individual_number=number,
            name=name,
            address="石川県鹿島郡中能登町能登部下91部23番地",
            birth_date=birth,
            sex="1",
            municipality_code=NAKANOTO,
        )
        return r.id, number


def test_a_resident_is_found_by_their_individual_number(office):
    rid, number = _register(office, "七尾 一郎", date(1980, 1, 1))
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        assert [r.id for r in residents.find(w, individual_number=number)] == [rid]


def test_an_unknown_individual_number_finds_nobody(office):
    _register(office, "七尾 二郎", date(1980, 1, 2))
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        assert residents.find(w, individual_number=str(IndividualNumber.generate())) == []


def test_the_birth_date_narrows_a_search_by_name(office):
    first, _ = _register(office, "羽咋 三郎", date(1970, 3, 3))
    second, _ = _register(office, "羽咋 三郎", date(1971, 3, 3))
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        assert [r.id for r in residents.find(w, name="羽咋 三郎")] == [first, second]
        assert [r.id for r in residents.find(w, name="羽咋 三郎", birth_date=date(1971, 3, 3))] == [second]


def test_reading_a_number_needs_a_lawful_purpose_R_NUM_3(office):
    rid, _ = _register(office, "志賀 四郎", date(1990, 4, 4))
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        residents.read_number(w, rid, "curiosity")
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "Reading an individual number needs a lawful purpose: one of "
        "social_security, tax, disaster, card_issuance (R_NUM_3).",
        "message_ja": "個人番号の利用目的(社会保障・税・災害対策など)を指定してください。",
        "field": "purpose",
    }


def test_reading_a_number_is_logged_with_the_resident_and_the_purpose_R_NUM_3(office):
    rid, number = _register(office, "穴水 五郎", date(1990, 5, 5))
    with office.work(at=at("2026-01-01"), actor="tax-office") as w:
        assert str(residents.read_number(w, rid, "tax")) == number
    with office.work(at=at("2026-01-02"), actor="reader") as w:
        logged = [(e.actor, e.details) for e in repo.events(w.session, resident_id=rid) if e.action == "number_read"]
    assert logged == [("tax-office", {"purpose": "tax"})]
