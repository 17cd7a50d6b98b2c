"""The OCSP response store and its shared cache (R_CERT_8): dropping stored responses in chunks,
the packed form of a response kept in Redis and the window in which it may be served, and the
pruning of the change log. Written against the mutants of ``services/revocation/cache.py`` and
``ocsp.forget``."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from datetime import timedelta

from sqlalchemy import text

from mynacard.db import repositories as repo
from mynacard.db.staff import OcspCacheEntry, RevocationChange
from mynacard.services.revocation import cache
from mynacard.services.revocation.cache import CHANNEL
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


# --- the PostgreSQL change listener -------------------------------------------------------------


class _Flag:
    """What the listener marks: stands for the change signal of one process."""

    _dirty = False


def _listen(url: str) -> tuple[_Flag, threading.Thread]:
    flag = _Flag()
    t = threading.Thread(target=cache._Signal._listen, args=(weakref.ref(flag), url), daemon=True)
    t.start()
    return flag, t


def _until(check, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_the_listener_marks_the_signal_on_each_notify_at_once_R_CERT_8(pg_url):
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    flag, _ = _listen(url)
    assert _until(lambda: flag._dirty is True, 5)  # listening: marked once for anything missed
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(2):
            flag._dirty = False
            conn.execute(f"NOTIFY {CHANNEL}")
            assert _until(lambda: flag._dirty is True, 2)  # well before the 5 s wait ends


def test_the_listener_ends_when_its_database_is_gone(pg_url):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(drivername="postgresql", database="mynacard_no_such_db").render_as_string(
        hide_password=False)
    flag, t = _listen(url)
    t.join(timeout=3)
    assert not t.is_alive() and flag._dirty is False


def test_the_listener_retries_an_unreachable_server_until_the_signal_is_gone(pg_url, caplog):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(drivername="postgresql", port=1).render_as_string(hide_password=False)
    with caplog.at_level(logging.WARNING, logger=cache.log.name):
        flag, t = _listen(url)
        t.join(timeout=1.5)
        assert t.is_alive()  # tried, waited a second, tried again
        del flag
        t.join(timeout=3)
        assert not t.is_alive()
    assert "OCSP change listener: OperationalError; listening again in 1 s" in caplog.messages
