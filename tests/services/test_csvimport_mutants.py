"""Loading residents (and their cards) from CSV at the service level: the header check, each kind
of refused row with its row number, column and reason, the batches, and what a loaded row becomes
(R_NUM_1, R_CARD_1). Written against the mutants of ``services/csvimport.py``, which only the CLI's
tests reached before."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.models import Resident
from mynacard.errors import ValidationError
from mynacard.services import csvimport
from mynacard.services.csvimport import Refusal
from tests.services.conftest import at

WHEN = at("2025-05-10")
HEADER = "name,address,birth_date,sex,municipality"
CARD_HEADER = HEADER + ",id_documents,auth_pin,resident_pin,card_info_pin"


def _rows(text: str, issue_cards: bool = False) -> list[tuple[int, dict[str, str]]]:
    return list(csvimport.read_rows(io.StringIO(text), issue_cards=issue_cards))


def _load(office, text: str, **kw) -> csvimport.ImportReport:
    issue_cards = kw.pop("issue_cards", False)
    return csvimport.import_rows(office, _rows(text, issue_cards), at=WHEN, actor="importer",
                                 issue_cards=issue_cards, **kw)


def _resident(office, rid: int):
    with office.work(at=WHEN, actor="reader") as w:
        r = repo.resident(w.session, rid)
        w.session.expunge(r)
        return r


def test_the_header_may_carry_a_bom_and_spaces_and_the_cells_are_trimmed():
    rows = _rows("\ufeffname , address,birth_date,sex,municipality\n 山田 太郎 ,石川県 , 1980-01-02,1,174076\n")
    assert rows == [(2, {"name": "山田 太郎", "address": "石川県", "birth_date": "1980-01-02", "sex": "1",
                         "municipality": "174076"})]


def test_a_bom_followed_by_a_space_is_not_part_of_the_first_column_name():
    rows = _rows("\ufeff name,address,birth_date,sex,municipality\n山田 太郎,x,1980-01-02,1,174076\n")
    assert rows[0][1]["name"] == "山田 太郎"


def test_the_row_number_is_the_files_line_and_a_row_with_too_many_cells_is_marked():
    rows = _rows(f"{HEADER}\na,b,1980-01-02,1,174076\nc,d,1980-01-02,1,174076,extra\n")
    assert [n for n, _ in rows] == [2, 3]
    assert "__extra__" not in rows[0][1] and rows[1][1]["__extra__"] == "1"


@pytest.mark.parametrize(
    ("header", "issue_cards", "what"),
    [
        ("name,address,birth_date,sex", False, "missing column(s): municipality"),
        (HEADER + ",adress", False, "unknown column(s): adress"),
        ("name,adress,birth_date,sex,municipality", False, "missing column(s): address; unknown column(s): adress"),
        (HEADER, True, "missing column(s): id_documents, auth_pin, resident_pin, card_info_pin"),
    ],
)
def test_a_header_that_does_not_fit_is_refused_whole_with_what_is_wrong(header, issue_cards, what):
    with pytest.raises(ValidationError) as err:
        _rows(header + "\n山田 太郎,x,1980-01-02,1,174076\n", issue_cards)
    required = "name, address, birth_date, sex, municipality" + (
        ", id_documents, auth_pin, resident_pin, card_info_pin" if issue_cards else "")
    assert err.value.message == (
        f"The CSV header does not fit the import format ({what}). The first line names the columns: "
        f"{required} are required; see README.md, 'Importing residents from CSV'.")
    assert err.value.message_ja == (
        "CSVの1行目(見出し)が取込形式と合いません。必須の列名と綴りを確認してください(README.md 参照)。")
    assert err.value.field == "header"


def test_a_header_with_every_column_of_the_format_is_accepted():
    assert _rows(",".join(csvimport.COLUMNS) + "\n", issue_cards=True) == []


def test_good_rows_are_loaded_with_their_optional_columns_and_defaults_R_NUM_1(office):
    text = (
        "name,address,birth_date,sex,municipality,individual_number,name_kana,nationality,residence_status,"
        "period_of_stay_end,adult_ward\n"
        "山田 太郎,石川県鹿島郡中能登町1,1980-01-02,1,174076,123456789018,ヤマダ タロウ,,,,\n"
        "GARCIA MARIA,石川県鹿島郡中能登町2,1990-07-15,2,174076,,,PH,技能実習,2027-03-31,はい\n"
    )
    rep = _load(office, text)
    assert (rep.rows, len(rep.residents), rep.cards, rep.refused) == (2, 2, [], [])
    taro, maria = (_resident(office, rid) for rid in rep.residents)
    assert (taro.name, taro.name_kana, taro.nationality, taro.adult_ward) == ("山田 太郎", "ヤマダ タロウ", "JP", False)
    assert (taro.residence_status, taro.period_of_stay_end, taro.birth_date) == (None, None, date(1980, 1, 2))
    assert (maria.nationality, maria.residence_status) == ("PH", "技能実習")
    assert maria.period_of_stay_end == date(2027, 3, 31)
    assert maria.name_kana is None and maria.adult_ward is True
    with office.work(at=WHEN, actor="reader") as w:
        assert repo.has_number(repo.resident(w.session, rep.residents[0]), "123456789018")
        assert repo.resident(w.session, rep.residents[1]).municipality_code == "174076"


@pytest.mark.parametrize(("value", "ward"), [("1", True), ("YES", True), ("y", True), ("true", True),
                                             ("0", False), ("No", False), ("いいえ", False), ("false", False)])
def test_the_adult_ward_flag_takes_1_or_0_yes_or_no(office, value, ward):
    rep = _load(office, f"{HEADER},adult_ward\n山田 太郎,x,1980-01-02,1,174076,{value}\n")
    assert rep.refused == [] and _resident(office, rep.residents[0]).adult_ward is ward


def test_every_kind_of_bad_row_is_refused_alone_with_its_row_column_and_reason_R_NUM_1(office):
    text = (
        f"{HEADER},individual_number,adult_ward\n"
        "佐藤 一郎,x,1970-01-01,1,174076,,\n"  # 2: good
        "鈴木 次郎,x,1970-13-01,1,174076,,\n"  # 3: no such date
        "田中 四郎,x,1972-02-03,1,999999,,\n"  # 4: unknown municipality
        "伊藤 五郎,x,1973-02-03,1,174076,123456789012,\n"  # 5: bad check digit
        ",x,1974-02-03,1,174076,,\n"  # 6: no name
        "渡辺 六郎,x,1975-02-03,1,174076,123456789018,\n"  # 7: good
        "小林 七郎,x,1976-02-03,1,174076,123456789018,\n"  # 8: the same number again
        "中村 八郎,x,1977-02-03,1,174076,,maybe\n"  # 9: not a flag
        "加藤 九郎,x,1978-02-03,1,174076,,,extra\n"  # 10: a cell too many
    )
    rep = _load(office, text, batch_size=4)
    assert rep.rows == 9 and len(rep.residents) == 2
    by_row = {r.row: r for r in rep.refused}
    assert {n: r.field for n, r in by_row.items()} == {
        3: "birth_date", 4: "municipality", 5: "individual_number", 6: "name", 8: "individual_number",
        9: "adult_ward", 10: "-"}
    assert by_row[6] == Refusal(6, "name", "The column name is empty.", "name が空欄です。")
    assert by_row[9] == Refusal(9, "adult_ward", "adult_ward must be 1 or 0 (yes or no), not 'maybe'.",
                                "adult_ward は 1 か 0 で指定してください。")
    assert by_row[10] == Refusal(10, "-", "The row has more cells than the header has columns.",
                                 "見出しより多くの項目がある行です。")
    assert all(r.reason and r.reason_ja and "123456789018" not in r.reason + r.reason_ja for r in rep.refused)
    assert [_resident(office, rid).name for rid in rep.residents] == ["佐藤 一郎", "渡辺 六郎"]
    with office.store.session() as s:  # nothing of a refused row is stored
        assert s.scalars(select(Resident.name).order_by(Resident.id)).all() == ["佐藤 一郎", "渡辺 六郎"]


def test_rows_go_in_batches_and_progress_is_told_after_each(office):
    told: list[int] = []
    body = "".join(f"住民 {i},x,1980-01-02,1,174076\n" for i in range(5))
    rep = _load(office, f"{HEADER}\n{body}", batch_size=2, progress=told.append)
    assert told == [2, 2, 1] and rep.rows == 5 and len(rep.residents) == 5
    assert _load(office, f"{HEADER}\n", batch_size=2, progress=told.append).rows == 0 and told == [2, 2, 1]


def test_a_refused_row_does_not_undo_the_good_rows_of_its_batch(office):
    rep = _load(office, f"{HEADER}\n良い 一,x,1980-01-02,1,174076\n悪い 二,x,1980-02-30,1,174076\n"
                        "良い 三,x,1980-01-03,1,174076\n", batch_size=10)
    assert [r.row for r in rep.refused] == [3]
    assert [_resident(office, rid).name for rid in rep.residents] == ["良い 一", "良い 三"]


def test_issue_cards_hands_each_card_over_with_its_pins_and_documents_R_CARD_1(office):
    text = (f"{CARD_HEADER},sign_pin,representative\n"
            "山田 太郎,x,1980-01-02,1,174076,drivers_license; passport ;,1234,2345,3456,ABC123,\n"
            "山田 花子,x,1982-03-04,2,174076,passport,4321,5432,6543,,山田 太郎\n"
            "山田 次郎,x,1984-03-04,1,174076,passport,,5432,6543,,\n")
    rep = _load(office, text, issue_cards=True)
    assert rep.refused == [Refusal(4, "auth_pin", "The column auth_pin is empty.", "auth_pin が空欄です。")]
    assert len(rep.cards) == 2 and len(rep.residents) == 2
    with office.work(at=WHEN, actor="reader") as w:
        taro, hanako = (repo.card(w.session, c) for c in rep.cards)
        assert (taro.state, hanako.state) == ("issued", "issued")
        assert {c.kind for c in repo.certificates_of_card(w.session, taro.id)} == {"sign", "auth"}
        assert {c.kind for c in repo.certificates_of_card(w.session, hanako.id)} == {"auth"}
        issued = {c: {e.action: e.details for e in repo.events(w.session, card_id=c)}["card_issued"]
                  for c in rep.cards}
    assert issued[taro.id]["documents"] == ["drivers_license", "passport"]
    assert (issued[taro.id]["representative"], issued[hanako.id]["representative"]) == (False, True)
    assert (issued[taro.id]["signing"], issued[hanako.id]["signing"]) == (True, False)


def test_a_bad_pin_is_refused_in_its_own_column_R_PIN_1(office):
    text = (f"{CARD_HEADER},sign_pin\n山田 太郎,x,1980-01-02,1,174076,passport,12,2345,3456,\n"
            "山田 花子,x,1980-01-02,2,174076,passport,1234,2345,3456,AB\n")
    rep = _load(office, text, issue_cards=True)
    assert [(r.row, r.field) for r in rep.refused] == [(2, "auth_pin"), (3, "sign_pin")]
    assert rep.residents == [] and rep.cards == []


def test_a_crash_in_the_middle_of_a_batch_leaves_none_of_that_batch_stored(office, monkeypatch):
    from mynacard.services import residents

    real = residents.register
    calls = {"n": 0}

    def crash_on_the_second_row(w, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(w, **kw)

    monkeypatch.setattr(residents, "register", crash_on_the_second_row)
    with pytest.raises(RuntimeError):
        _load(office, f"{HEADER}\n一 一,x,1980-01-02,1,174076\n二 二,x,1980-01-03,1,174076\n", batch_size=10)
    with office.store.session() as s:  # one transaction a batch: the first row went with it
        assert s.scalars(select(Resident.name)).all() == []
