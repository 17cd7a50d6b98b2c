"""Loading residents with their cards from CSV, batch by batch: a batch filled to ``batch_size``
hands its cards over like the last, partly filled one (R_CARD_1)."""

from __future__ import annotations

import io

from mynacard.db import repositories as repo
from mynacard.services import csvimport
from tests.services.conftest import at

WHEN = at("2025-05-10")
CARD_HEADER = "name,address,birth_date,sex,municipality,id_documents,auth_pin,resident_pin,card_info_pin"


def test_cards_are_handed_over_in_a_full_batch_too_R_CARD_1(office):
    text = (f"{CARD_HEADER}\n"
            "山田 太郎,x,1980-01-02,1,174076,passport,1234,2345,3456\n"
            "山田 花子,x,1982-03-04,2,174076,passport,4321,5432,6543\n")
    rows = list(csvimport.read_rows(io.StringIO(text), issue_cards=True))
    told: list[int] = []
    rep = csvimport.import_rows(office, rows, at=WHEN, actor="importer", issue_cards=True, batch_size=1,
                                progress=told.append)
    assert (rep.rows, rep.refused, len(rep.residents), told) == (2, [], 2, [1, 1])  # two full batches
    with office.work(at=WHEN, actor="reader") as w:
        cards = [repo.card(w.session, c) for c in rep.cards]
        assert [(c.resident_id, c.state) for c in cards] == [(rid, "issued") for rid in rep.residents]
