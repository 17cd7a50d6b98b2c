"""The OCSP response store and its shared cache (R_CERT_8): dropping stored responses in chunks,
the packed form of a response kept in Redis and the window in which it may be served, and the
pruning of the change log. Written against the mutants of ``services/revocation/cache.py`` and
``ocsp.forget``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from mynacard.db import repositories as repo
from mynacard.db.staff import OcspCacheEntry, RevocationChange
from mynacard.services.revocation import cache
from mynacard.services.revocation.ocsp import forget, sign_response
from tests.services.conftest import at, issued_card, new_resident

T0 = at("2025-06-01T10:00")


def test_forget_drops_the_responses_named_however_long_the_list_R_CERT_8(office):
    serials = []
    for name in ("能登 太郎", "能登 花子"):
        card = issued_card(office, new_resident(office, name=name))
        with office.work(at=T0, actor="responder") as w:
            for c in repo.certificates_of_card(w.session, card):
                sign_response(w, c)
                serials.append(c.serial)
    first, at_500, last, kept = serials
    unknown = iter(range(10**15, 10**15 + 2000))
    # 1,002 serials in chunks of 500: the first of the list, the first of the second chunk, the last
    named = [first] + [next(unknown) for _ in range(499)] + [at_500] + [next(unknown) for _ in range(500)] + [last]
    with office.work(at=T0, actor="responder") as w:
        forget(w.session, named)
    with office.store.session() as s:
        assert [int(x) for x in s.scalars(text("SELECT serial FROM ocsp_responses"))] == [kept]


def test_forget_of_nothing_keeps_everything(office):
    card = issued_card(office, new_resident(office))
    with office.work(at=T0, actor="responder") as w:
        for c in repo.certificates_of_card(w.session, card):
            sign_response(w, c)
        forget(w.session, [])
    with office.store.session() as s:
        assert s.query(OcspCacheEntry).count() == 2


def test_a_packed_response_is_served_from_its_production_until_it_is_due_for_refresh_R_CERT_8():
    der = b"\x30\x82\x01\x00response"
    fresh_until = T0 + timedelta(hours=18)
    packed = cache._pack("sign", T0, fresh_until, der)
    assert cache._unpack(packed, T0) == ("sign", der)
    assert cache._unpack(packed, fresh_until - timedelta(seconds=1)) == ("sign", der)
    assert cache._unpack(packed, fresh_until) is None
    assert cache._unpack(packed, T0 - timedelta(seconds=1)) is None  # produced after the time asked
    assert cache._unpack(cache._pack("auth", T0, fresh_until, b""), T0) == ("auth", b"")


def _changes(office, n: int) -> list[int]:
    card = issued_card(office, new_resident(office))
    with office.work(at=T0, actor="reader") as w:
        serial = repo.certificates_of_card(w.session, card)[0].serial
    with office.store.engine.begin() as conn:
        for i in range(n):
            conn.execute(text("UPDATE certificates SET status=:st WHERE serial=:s"),
                         {"st": "hold" if i % 2 == 0 else "good", "s": str(serial)})
    with office.store.session() as s:
        return list(s.scalars(text("SELECT id FROM revocation_changes ORDER BY id")))


def test_pruning_keeps_the_last_changes_of_the_log(office, monkeypatch):
    ids = _changes(office, 4)
    assert len(ids) == 4
    monkeypatch.setattr(cache, "KEEP_CHANGES", 4)
    with office.store.session() as s:
        assert cache.prune_changes(s) == 0
    monkeypatch.setattr(cache, "KEEP_CHANGES", 2)
    with office.store.session() as s:
        assert cache.prune_changes(s) == 2
        s.commit()
        assert list(s.scalars(text("SELECT id FROM revocation_changes ORDER BY id"))) == ids[-2:]


def test_pruning_an_empty_log_removes_nothing(office, monkeypatch):
    monkeypatch.setattr(cache, "KEEP_CHANGES", 0)
    with office.store.session() as s:
        assert s.query(RevocationChange).count() == 0
        assert cache.prune_changes(s) == 0
