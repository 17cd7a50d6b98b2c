"""Importing residents (and their cards) from CSV, through the service functions (R_NUM_1, R_CARD_1,
R_PIN_1): what ``read_rows`` reads and which header it refuses, what ``import_rows`` stores, its
batches, and how a refused row is reported (row, column, reason in English and Japanese) and
leaves nothing behind."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from mynacard.db import repositories as repo
from mynacard.db.models import Card, Resident
from mynacard.errors import ValidationError, WrongPin
from mynacard.ids import IndividualNumber
from mynacard.services import pins
from mynacard.services.csvimport import COLUMNS, Refusal, import_rows, read_rows
from tests.services.conftest import KANAZAWA, NAKANOTO, at

WHEN = at("2025-05-10T10:00")
HEADER = "name,address,birth_date,sex,municipality"
NUMBER = "123456789018"  # a valid individual number (check digit 8)
BAD_NUMBER = "123456789012"  # wrong check digit (R_NUM_1)


def _read(text: str, issue_cards: bool = False) -> list[tuple[int, dict[str, str]]]:
    return list(read_rows(io.StringIO(text), issue_cards=issue_cards))


def _row(**values: str) -> dict[str, str]:
    base = {
        "name": "佐藤 一郎",
        "address": "石川県鹿島郡中能登町1",
        "birth_date": "1970-01-01",
        "sex": "1",
        "municipality": NAKANOTO,
    }
    base.update(values)
    return base


def _import(office, rows, **kw):
    """Rows given as dicts are numbered from line 2, as in a file with a header."""
    numbered = [r if isinstance(r, tuple) else (i, r) for i, r in enumerate(rows, start=2)]
    return import_rows(office, numbered, at=WHEN, actor="importer", **kw)


def _residents(office) -> list[Resident]:
    with office.work(at=WHEN, actor="reader") as w:
        found = list(w.session.scalars(select(Resident).order_by(Resident.id)))
        numbers = {r.id: repo.number_of(r) for r in found}
        w.session.expunge_all()
    for r in found:
        r.number = numbers[r.id]  # type: ignore[attr-defined]
    return found


def _count(office, model) -> int:
    with office.work(at=WHEN, actor="reader") as w:
        return w.session.scalar(select(func.count()).select_from(model))


def _refused(rep) -> list[tuple[int, str, str, str]]:
    return [(x.row, x.field, x.reason, x.reason_ja) for x in rep.refused]


# --- read_rows ---------------------------------------------------------------------------------


def test_read_rows_numbers_the_lines_strips_cells_and_drops_a_bom():
    text = (
        "\ufeffname , address,birth_date,sex,municipality\n"
        " 佐藤 一郎 ,中能登町1,1970-01-01,1,174076\n"
        '鈴木 次郎,"中能登町\n2",1971-01-01,2\n'  # a cell over two lines; the last cell missing
    )
    assert _read(text) == [
        (
            2,
            {
                "name": "佐藤 一郎",
                "address": "中能登町1",
                "birth_date": "1970-01-01",
                "sex": "1",
                "municipality": "174076",
            },
        ),
        (
            4,
            {"name": "鈴木 次郎", "address": "中能登町\n2", "birth_date": "1971-01-01", "sex": "2", "municipality": ""},
        ),
    ]


def test_a_bom_followed_by_a_space_is_not_part_of_the_first_column_name():
    rows = _read("\ufeff name,address,birth_date,sex,municipality\n山田 太郎,x,1980-01-02,1,174076\n")
    assert rows[0][1]["name"] == "山田 太郎"


def test_read_rows_marks_a_row_with_more_cells_than_columns():
    [(line, values)] = _read(f"{HEADER}\n佐藤 一郎,中能登町1,1970-01-01,1,174076,surplus\n")
    assert line == 2 and values["__extra__"] == "1" and values["name"] == "佐藤 一郎"


@pytest.mark.parametrize(
    ("header", "issue_cards", "what"),
    [
        ("name,address,sex,municipality", False, "missing column(s): birth_date"),
        ("name,birth_date,sex", False, "missing column(s): address, municipality"),
        (f"{HEADER},Xtra,adress", False, "unknown column(s): Xtra, adress"),
        ("address,birth_date,sex,municipality,nickname", False, "missing column(s): name; unknown column(s): nickname"),
        (f"{HEADER},auth_pin,card_info_pin", True, "missing column(s): id_documents, resident_pin"),
    ],
)
def test_a_header_that_does_not_fit_is_refused_whole_naming_the_columns(header, issue_cards, what):
    required = "name, address, birth_date, sex, municipality" + (
        ", id_documents, auth_pin, resident_pin, card_info_pin" if issue_cards else ""
    )
    with pytest.raises(ValidationError) as err:
        _read(header + "\nx\n", issue_cards)
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "field": "header",
        "message": f"The CSV header does not fit the import format ({what}). The first line names the "
        f"columns: {required} are required; see README.md, 'Importing residents from CSV'.",
        "message_ja": "CSVの1行目(見出し)が取込形式と合いません。必須の列名と綴りを確認してください(README.md 参照)。",
    }


def test_a_header_with_an_unnamed_column_is_refused_and_names_no_made_up_column():
    with pytest.raises(ValidationError) as err:
        _read("name,address,,birth_date,sex,municipality\nx\n")
    assert err.value.message.startswith("The CSV header does not fit the import format (unknown column(s): ). ")


def test_a_header_without_card_columns_is_fine_when_no_cards_are_issued():
    text = f"{HEADER},individual_number\n佐藤 一郎,a,1970-01-01,1,174076,\n"
    assert [line for line, _ in _read(text)] == [2]


def test_a_header_with_every_column_of_the_format_is_accepted():
    assert _read(",".join(COLUMNS) + "\n", issue_cards=True) == []


# --- import_rows: residents --------------------------------------------------------------------


def test_every_column_of_a_good_row_is_stored(office):
    rep = _import(
        office,
        [
            _row(
                name="スミス ジョン",
                name_kana="スミス ジョン",
                individual_number=NUMBER,
                nationality="US",
                residence_status="技術・人文知識・国際業務",
                period_of_stay_end="2027-03-31",
                adult_ward="Yes",
                municipality=KANAZAWA,
                address="石川県金沢市広坂1",
                birth_date="1985-07-20",
                sex="2",
            ),
        ],
    )
    assert (rep.rows, rep.refused, rep.cards) == (1, [], [])
    [r] = _residents(office)
    assert rep.residents == [r.id]
    assert (
        r.name,
        r.name_kana,
        r.number,
        r.nationality,
        r.residence_status,
        r.period_of_stay_end,
        r.adult_ward,
        r.municipality_code,
        r.address,
        r.birth_date,
        r.sex,
    ) == (
        "スミス ジョン",
        "スミス ジョン",
        NUMBER,
        "US",
        "技術・人文知識・国際業務",
        date(2027, 3, 31),
        True,
        KANAZAWA,
        "石川県金沢市広坂1",
        date(1985, 7, 20),
        "2",
    )
    assert r.created_at == WHEN


def test_optional_columns_left_out_take_their_defaults_and_each_row_gets_a_fresh_number(office):
    optional = ("individual_number", "name_kana", "nationality", "residence_status", "period_of_stay_end", "adult_ward")
    rep = _import(office, [_row(), _row(name="鈴木 次郎", **dict.fromkeys(optional, ""))])
    assert rep.refused == [] and rep.rows == 2
    a, b = _residents(office)
    assert rep.residents == [a.id, b.id]
    for r in (a, b):
        assert (r.name_kana, r.nationality, r.residence_status, r.period_of_stay_end, r.adult_ward) == (
            None,
            "JP",
            None,
            None,
            False,
        )
        IndividualNumber(r.number)  # a valid number was generated
    assert a.number != b.number


@pytest.mark.parametrize(
    ("text", "ward"),
    [
        ("1", True),
        ("YES", True),
        ("y", True),
        ("true", True),
        ("はい", True),
        ("0", False),
        ("No", False),
        ("false", False),
        ("いいえ", False),
    ],
)
def test_the_adult_ward_flag_reads_yes_and_no_in_either_language(office, text, ward):
    rep = _import(office, [_row(adult_ward=text)])
    assert rep.refused == []
    assert [r.adult_ward for r in _residents(office)] == [ward]


def test_every_kind_of_bad_row_is_refused_alone_with_its_column_and_reason_and_good_rows_kept_R_NUM_1(office):
    rep = _import(
        office,
        [
            _row(name="佐藤 一郎"),  # 2: good
            _row(name="鈴木 次郎", birth_date="1970-13-01"),  # 3: no such date
            _row(name="高橋 三郎", sex="4"),  # 4
            _row(name="田中 四郎", municipality="999999"),  # 5: unknown municipality
            _row(name="伊藤 五郎", individual_number=BAD_NUMBER),  # 6: bad check digit
            _row(name=""),  # 7: no name
            _row(name="渡辺 六郎", individual_number=NUMBER),  # 8: good, after refusals in its batch
            _row(name="小林 七郎", individual_number=NUMBER),  # 9: the same number again
            _row(name="中村 八郎", adult_ward="maybe"),  # 10: not a flag
            _row(name="加藤 九郎", period_of_stay_end="2027-01-01"),  # 11: a Japanese national has no stay period
            _row(name="吉田 十郎", __extra__="1"),  # 12: a cell too many
        ],
        batch_size=4,
    )
    by_row = {x.row: x for x in rep.refused}
    assert {n: x.field for n, x in by_row.items()} == {
        3: "birth_date",
        4: "sex",
        5: "municipality",
        6: "individual_number",
        7: "name",
        9: "individual_number",
        10: "adult_ward",
        11: "period_of_stay_end",
        12: "-",
    }
    assert all(x.reason and x.reason_ja and x.reason != x.reason_ja for x in rep.refused)
    assert not any(n in x.reason + x.reason_ja for x in rep.refused for n in (NUMBER, BAD_NUMBER))
    assert (by_row[9].reason, by_row[9].reason_ja) == (
        "A resident with this individual number is already registered.",
        "この個人番号の住民はすでに登録されています。",
    )
    assert by_row[4].reason == "Sex must be 1 (male), 2 (female) or 9 (not known), not '4'."
    assert by_row[10] == Refusal(
        10,
        "adult_ward",
        "adult_ward must be 1 or 0 (yes or no), not 'maybe'.",
        "adult_ward は 1 か 0 で指定してください。",
    )
    assert by_row[12] == Refusal(
        12, "-", "The row has more cells than the header has columns.", "見出しより多くの項目がある行です。"
    )
    assert rep.rows == 11
    stored = _residents(office)  # nothing of a refused row is stored
    assert [r.name for r in stored] == ["佐藤 一郎", "渡辺 六郎"]
    assert rep.residents == [r.id for r in stored]


@pytest.mark.parametrize("col", ["name", "address", "birth_date", "sex", "municipality"])
def test_an_empty_required_column_is_refused_naming_it(office, col):
    rep = _import(office, [_row(**{col: ""})])
    assert _refused(rep) == [(2, col, f"The column {col} is empty.", f"{col} が空欄です。")]
    assert rep.residents == [] and _count(office, Resident) == 0


def test_a_row_the_store_itself_refuses_is_reported_as_a_conflict(office, monkeypatch):
    """Another clerk registering the same number between the check and the insert: the store's
    unique index refuses the row, which is reported like any other refusal."""
    _import(office, [_row(individual_number=NUMBER)])
    monkeypatch.setattr(repo, "resident_by_number", lambda s, number: None)
    rep = _import(office, [_row(name="鈴木 次郎"), _row(name="小林 七郎", individual_number=NUMBER)])
    assert _refused(rep) == [
        (3, "-", "The row conflicts with data already in the store.", "登録済みのデータと重複しています。")
    ]
    assert [r.name for r in _residents(office)] == ["佐藤 一郎", "鈴木 次郎"]


# --- batching ----------------------------------------------------------------------------------


def test_rows_are_loaded_in_batches_and_progress_counts_each_batch(office):
    seen: list[int] = []
    rows = [_row(name=f"能登 {n}郎", address=f"中能登町{n}") for n in range(5)]
    rep = _import(office, rows, batch_size=2, progress=seen.append)
    assert seen == [2, 2, 1] and rep.rows == 5 and rep.refused == []
    assert len(rep.residents) == 5 == len(set(rep.residents)) == _count(office, Resident)
    assert _import(office, [], batch_size=2, progress=seen.append).rows == 0 and seen == [2, 2, 1]


def test_the_default_batch_is_500_rows(office):
    seen: list[int] = []
    rep = _import(office, [_row(name="")] * 501, progress=seen.append)  # refused before any write
    assert seen == [500, 1] and rep.rows == 501 and len(rep.refused) == 501
    assert [x.row for x in rep.refused[-2:]] == [501, 502]


def test_a_batch_is_one_transaction(office):
    """A failure that is not a refusal (here the source breaking mid-batch) loses the whole batch: its
    earlier rows were not committed one by one."""

    class Broken(dict):
        def get(self, *args):
            raise OSError("the file went away")

    with pytest.raises(OSError):
        _import(office, [_row(name="佐藤 一郎"), _row(name="鈴木 次郎"), Broken()], batch_size=3)
    assert _count(office, Resident) == 0


def test_the_import_is_logged_by_its_actor_at_its_time(office):
    _import(office, [_row()])
    with office.work(at=WHEN, actor="reader") as w:
        [ev] = [e for e in repo.events(w.session) if e.action == "resident_registered"]
        assert (ev.actor, ev.at) == ("importer", WHEN)


# --- issuing cards -----------------------------------------------------------------------------

CARD = {"id_documents": "drivers_license", "auth_pin": "1234", "resident_pin": "2345", "card_info_pin": "3456"}


def _card(office, card_id: str) -> tuple[str, set[str]]:
    with office.work(at=WHEN, actor="reader") as w:
        c = w.session.get(Card, card_id)
        kinds = {k for k in ("auth", "sign") if repo.current_certificate(w.session, card_id, k) is not None}
        return c.state, kinds


def _handed_over(office, card_id: str) -> dict:
    with office.work(at=WHEN, actor="reader") as w:
        [ev] = [e for e in repo.events(w.session, card_id=card_id) if e.action == "card_issued"]
        return ev.details


def test_without_issue_cards_only_residents_are_loaded(office):
    rep = _import(office, [_row()])  # the card columns are not needed
    assert rep.refused == [] and rep.cards == [] and _count(office, Card) == 0


def test_issue_cards_hands_each_card_over_with_its_pins_documents_and_representative_R_CARD_1(office):
    signer_row = _row(**{**CARD, "id_documents": " pension_book ; health_insurance_card;"}, sign_pin="ABC123")
    child_row = _row(name="鈴木 次郎", birth_date="2015-01-01", representative="能登 花子", **CARD)
    rep = _import(office, [signer_row, child_row], issue_cards=True)
    assert rep.refused == [] and len(rep.cards) == 2 and len(rep.residents) == 2
    signer, plain = rep.cards
    assert _card(office, signer) == ("issued", {"auth", "sign"})
    assert _card(office, plain) == ("issued", {"auth"})  # no sign_pin: no signing certificate
    with office.work(at=WHEN, actor="reader") as w:
        assert repo.card(w.session, signer).resident_id == rep.residents[0]
        assert repo.application(w.session, repo.card(w.session, signer).application_id).channel == "window"
    handed = {c: _handed_over(office, c) for c in rep.cards}
    assert handed[signer]["documents"] == ["health_insurance_card", "pension_book"]  # separated by semicolons
    assert (handed[signer]["representative"], handed[plain]["representative"]) == (False, True)
    assert (handed[signer]["signing"], handed[plain]["signing"]) == (True, False)
    with office.work(at=at("2025-05-11"), actor="holder") as w:
        for pin, value in (("auth", "1234"), ("resident", "2345"), ("card_info", "3456"), ("sign", "ABC123")):
            pins.change(w, signer, pin, value, "9876" if pin != "sign" else "XYZ987")
        with pytest.raises(WrongPin):
            pins.change(w, plain, "auth", "9999", "9876")


def test_a_child_without_a_representative_is_refused_and_nothing_is_stored_R_CARD_1(office):
    rep = _import(office, [_row(birth_date="2015-01-01", **CARD)], issue_cards=True)
    assert [(x.row, x.field) for x in rep.refused] == [(2, "legal_representative")]
    assert (rep.residents, rep.cards, _count(office, Resident), _count(office, Card)) == ([], [], 0, 0)


def test_a_signing_pin_for_an_adult_ward_is_refused_R_CERT_4(office):
    rep = _import(
        office, [_row(adult_ward="1", representative="能登 花子", sign_pin="ABC123", **CARD)], issue_cards=True
    )
    assert _refused(rep) == [
        (
            2,
            "-",
            "No signing certificate for under-15s or adult wards (R_CERT_4): choose auth or none.",
            "15歳未満の方・成年被後見人の方には署名用電子証明書は発行されません。利用者証明用のみ(auth)か、なし(none)を選んでください。",
        )
    ]
    assert _count(office, Resident) == 0


@pytest.mark.parametrize("col", ["id_documents", "auth_pin", "resident_pin", "card_info_pin"])
def test_an_empty_card_column_is_refused_when_cards_are_issued(office, col):
    rep = _import(office, [_row(**{**CARD, col: ""})], issue_cards=True)
    assert _refused(rep) == [(2, col, f"The column {col} is empty.", f"{col} が空欄です。")]
    assert (_count(office, Resident), _count(office, Card)) == (0, 0)


def test_a_bad_pin_is_refused_in_its_own_column_and_leaves_no_resident_or_card_R_PIN_1(office):
    rep = _import(
        office,
        [
            _row(**CARD),
            _row(name="鈴木 次郎", **{**CARD, "auth_pin": "12a4"}),
            _row(name="小林 七郎", **CARD, sign_pin="AB"),
        ],
        issue_cards=True,
    )
    assert [(x.row, x.field) for x in rep.refused] == [(3, "auth_pin"), (4, "sign_pin")]  # the CSV's columns
    assert len(rep.cards) == len(rep.residents) == 1
    assert (_count(office, Resident), _count(office, Card)) == (1, 1)
