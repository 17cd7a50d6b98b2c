"""The command line takes names and dates as the window does: 和暦 or 西暦 for every date option,
and ``resident find`` across 異体字, kana and full-width spaces."""

from __future__ import annotations


def test_resident_add_and_find_in_wareki_and_kana(cli):
    r = cli("resident", "add", "--name", "髙橋　太郎", "--kana", "たかはし たろう", "--address", "中能登町1",
            "--birth", "S63.2.29", "--sex", "1", "--municipality", "174076")
    assert r["birth_date"] == "1988-02-29" and r["name_kana"] == "たかはし たろう"
    for name in ("高橋", "高橋 太郎", "タカハシ", "ﾀｶﾊｼﾀﾛｳ"):
        found = cli("resident", "find", "--name", name)
        assert [x["id"] for x in found] == [r["id"]], name
    assert [x["id"] for x in cli("resident", "find", "--birth", "昭和63年2月29日")] == [r["id"]]
    assert cli("resident", "find", "--name", "高田") == []


def test_an_impossible_era_date_is_refused_in_both_languages(cli):
    bad = cli("resident", "find", "--birth", "平成32年1月1日", ok=False)
    assert bad.exit_code == 2
    assert "Heisei (平成) ended on 2019-04-30" in bad.output and "平成31年4月30日" in bad.output
