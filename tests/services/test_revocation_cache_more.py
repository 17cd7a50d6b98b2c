"""The OCSP answer cache (R_CERT_8), continued: a response signed in a transaction that is rolled
back never reaches Redis, even when its session commits later; the PostgreSQL change listener
stops within its 5 s wait once its process no longer wants it, and tries an unreachable server
again every second."""

from __future__ import annotations

import logging
import secrets
import threading
import time
import weakref
from datetime import timedelta

from sqlalchemy import text

import mynacard.services.revocation  # noqa: F401 (the session listeners that write to Redis)
from mynacard.services.revocation import cache
from tests.services.conftest import at

T0 = at("2025-06-01T10:00")
def test_a_response_signed_in_a_rolled_back_transaction_never_reaches_redis_R_CERT_8(office, redis):
    client, used = redis
    dropped, kept = secrets.randbits(60) + 1, secrets.randbits(60) + 1
    used += [dropped, kept]
    packed = {s: cache._pack("auth", T0, T0 + timedelta(hours=18), b"response %d" % s) for s in (dropped, kept)}
    with office.store.session() as s:
        s.execute(text("SELECT serial FROM certificates"))  # the transaction's reads
        cache.note_signed(s, "auth", dropped, T0, T0 + timedelta(hours=18), b"response %d" % dropped)
        s.rollback()
        cache.note_signed(s, "auth", kept, T0, T0 + timedelta(hours=18), b"response %d" % kept)
        s.commit()  # the same session, a later transaction
    assert client.get(cache._KEY.format(dropped)) is None
    assert client.get(cache._KEY.format(kept)) == packed[kept]


class _Flag:
    """What the listener marks: stands for the change signal of one process."""

    _dirty = False


def _url(pg_url: str, **parts: object) -> str:
    from sqlalchemy.engine import make_url

    return make_url(pg_url).set(drivername="postgresql", **parts).render_as_string(hide_password=False)


def test_a_listener_no_longer_wanted_stops_within_its_five_second_wait_R_CERT_8(pg_url):
    flag = _Flag()
    t = threading.Thread(target=cache._Signal._listen, args=(weakref.ref(flag), _url(pg_url)), daemon=True)
    t.start()
    end = time.monotonic() + 5
    while flag._dirty is False and time.monotonic() < end:  # listening (marked once on connecting)
        time.sleep(0.01)
    assert flag._dirty is True
    del flag  # the process dropped its signal; no NOTIFY comes
    t.join(timeout=5.8)  # the wait began before: it ends within 5 s of now (6 s would be too late)
    assert not t.is_alive()


def test_a_listener_tries_an_unreachable_server_again_every_second(pg_url, caplog):
    flag = _Flag()
    with caplog.at_level(logging.WARNING, logger=cache.log.name):
        t = threading.Thread(target=cache._Signal._listen, args=(weakref.ref(flag), _url(pg_url, port=1)),
                             daemon=True)
        t.start()
        def ours() -> list[logging.LogRecord]:  # not those of listeners other tests left behind
            return [r for r in caplog.records if r.thread == t.ident]

        end = time.monotonic() + 10
        while len(ours()) < 2 and time.monotonic() < end:  # tried at once, then again
            time.sleep(0.01)
        tries = ours()[:2]
        del flag
        t.join(timeout=3)
    assert [r.getMessage() for r in tries] == ["OCSP change listener: OperationalError; listening again in 1 s"] * 2
    assert 0.9 <= tries[1].created - tries[0].created < 1.9  # a refused connection fails at once
    assert not t.is_alive()
