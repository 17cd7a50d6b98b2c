"""``mynacard import FILE.csv``: good rows are kept, bad rows are refused with row, field and reason."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mynacard.cli.main import app

HEADER = "name,address,birth_date,sex,municipality,individual_number\n"
ROWS = [
    "佐藤 一郎,石川県鹿島郡中能登町1,1970-01-01,1,174076,",  # row 2: good
    "鈴木 次郎,石川県鹿島郡中能登町2,1970-13-01,1,174076,",  # row 3: no such date
    "高橋 三郎,石川県鹿島郡中能登町3,1971-02-03,4,174076,",  # row 4: bad sex code
    "田中 四郎,石川県鹿島郡中能登町4,1972-02-03,1,999999,",  # row 5: unknown municipality
    "伊藤 五郎,石川県鹿島郡中能登町5,1973-02-03,1,174076,123456789012",  # row 6: bad check digit (R_NUM_1)
    ",石川県鹿島郡中能登町6,1974-02-03,1,174076,",  # row 7: no name
    "渡辺 六郎,石川県鹿島郡中能登町7,1975-02-03,1,174076,123456789018",  # row 8: good, number given
    "小林 七郎,石川県鹿島郡中能登町8,1976-02-03,1,174076,123456789018",  # row 9: the same number again
]


def _run(tmp_path: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(tmp_path / "i.db"), "--at", "2025-05-10T10:00", *args])


def test_bad_rows_are_refused_with_row_field_and_reason_and_good_rows_kept_R_NUM_1(cli, tmp_path):
    f = tmp_path / "residents.csv"
    f.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "cli.db"), "--at", "2025-05-10T10:00", "--json",
                                 "import", str(f), "--batch-size", "3"])
    assert r.exit_code == 1, r.output  # something was refused
    out = json.loads(r.stdout)
    assert (out["rows"], out["loaded"]) == (8, 2)
    refused = {(x["row"], x["field"]) for x in out["refused"]}
    assert refused == {(3, "birth_date"), (4, "sex"), (5, "municipality"), (6, "individual_number"),
                       (7, "name"), (9, "individual_number")}
    assert all(x["reason"] and x["reason_ja"] for x in out["refused"])
    assert "123456789018" not in r.stdout + r.stderr  # a refusal never quotes a number
    # the good rows of each batch are in the store (rows 2 and 8 were in batches with refused rows)
    for name in ("佐藤 一郎", "渡辺 六郎"):
        assert [x["name"] for x in cli("resident", "find", "--name", name)] == [name]
    assert cli("resident", "number", str(out["resident_ids"][1]), "--purpose", "tax")["individual_number"] == (
        "123456789018"
    )


def test_a_header_with_an_unknown_column_is_refused_whole(tmp_path):
    f = tmp_path / "typo.csv"
    f.write_text("name,adress,birth_date,sex,municipality\n山田 太郎,x,1980-01-01,1,174076\n", encoding="utf-8")
    r = _run(tmp_path, "--json", "import", str(f))
    assert r.exit_code == 2
    err = json.loads(r.stderr)["error"]
    assert "adress" in err["message"] and "address" in err["message"] and err["message_ja"]


def test_the_sample_file_issues_cards_with_their_pins_R_CARD_1(cli, tmp_path):
    sample = Path(__file__).resolve().parents[2] / "examples" / "residents.csv"
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "cli.db"), "--at", "2025-05-10T10:00", "--json",
                                 "import", str(sample), "--issue-cards"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["loaded"] == out["cards_issued"] == out["rows"] >= 3 and out["refused"] == []
    first = cli("card", "show", out["card_ids"][0])
    assert first["state"] == "issued" and {c["kind"] for c in first["certificates"]} == {"auth", "sign"}
    second = cli("card", "show", out["card_ids"][1])
    assert {c["kind"] for c in second["certificates"]} == {"auth"}  # no sign_pin: no signing certificate
    assert cli("pin", "tries", out["card_ids"][0])["auth"] == 3
