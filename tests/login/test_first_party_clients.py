"""The office's own relying parties (the portal, the kiosk) register themselves on first use, add
a new callback to the ones they have, and survive another process registering them at the same
moment."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import IntegrityError

from mynacard.db.provider import LoginClient
from mynacard.services import login
from mynacard.services.login import clients
from tests.login.conftest import AT

PORTAL = "https://office.example/portal/callback"
KIOSK = "https://office.example/kiosk/callback"


def _uris(office, client_id: str) -> list[str]:
    with office.work(at=AT, actor="reader") as w:
        return list(w.session.get(LoginClient, client_id).redirect_uris)


def test_a_first_party_client_is_registered_once_and_gathers_its_callbacks(office) -> None:
    with office.work(at=AT, actor="portal") as w:
        assert login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL).redirect_uris == [PORTAL]
    with office.work(at=AT, actor="portal") as w:  # the same callback again: kept once
        assert login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL).redirect_uris == [PORTAL]
    assert _uris(office, "PORTAL0001") == [PORTAL]
    with office.work(at=AT, actor="portal") as w:  # another callback: added to the first
        assert login.first_party_client(w, "PORTAL0001", "ポータル", KIOSK).redirect_uris == [PORTAL, KIOSK]
    assert _uris(office, "PORTAL0001") == [PORTAL, KIOSK]


@pytest.mark.parametrize(("theirs", "uris"), [(PORTAL, [PORTAL]), (KIOSK, [KIOSK, PORTAL])])
def test_a_first_party_client_registered_meanwhile_by_another_process_gets_this_callback_too(
        office, monkeypatch, theirs, uris) -> None:
    real = clients.register_client

    def raced(w, client_id, name, redirect_uris, **kw):
        # another process registers the client and commits first: this insert is then refused
        with office.work(at=AT, actor="other process") as other:
            real(other, client_id, "他のプロセス", [theirs], with_secret=True)
        raise IntegrityError("INSERT INTO login_clients ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    monkeypatch.setattr(clients, "register_client", raced)
    with office.work(at=AT, actor="portal") as w:
        c = login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL)
        assert (c.client_id, c.name, c.redirect_uris) == ("PORTAL0001", "他のプロセス", uris)
    assert _uris(office, "PORTAL0001") == uris


# --- many workers starting at once, each with its own base URL ----------------------------------

N = 6


def _callbacks() -> list[str]:
    return [f"https://office{i}.example/portal/callback" for i in range(N)]


def _office(url: str):
    from mynacard.db.store import Store
    from mynacard.services.context import Office

    return Office(store=Store(url), master_key=b"k" * 32)


def _start(url: str, callback: str, barrier, queue) -> None:
    office = _office(url)
    barrier.wait(60)
    try:
        with office.work(at=AT, actor="portal") as w:
            login.first_party_client(w, "PORTAL0001", "ポータル", callback)
        queue.put("ok")
    except Exception as e:  # pragma: no cover - reported to the parent
        queue.put(repr(e))
    finally:
        office.store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    from mynacard.db.store import Store

    url = str(tmp_path / "c.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = Store(url)
    store.migrate()
    store.dispose()
    return url


def _registered(url: str) -> list[LoginClient]:
    from sqlalchemy import select

    office = _office(url)
    with office.work(at=AT, actor="reader") as w:
        rows = list(w.session.scalars(select(LoginClient)))
        w.session.expunge_all()
    office.store.dispose()
    return rows


@pytest.mark.slow
def test_threads_starting_at_once_register_the_client_once_with_every_callback(url) -> None:
    office = _office(url)
    barrier = threading.Barrier(N)

    def one(callback: str) -> None:
        barrier.wait(30)
        with office.work(at=AT, actor="portal") as w:
            login.first_party_client(w, "PORTAL0001", "ポータル", callback)

    with ThreadPoolExecutor(N) as pool:
        list(pool.map(one, _callbacks()))
    office.store.dispose()
    (client,) = _registered(url)
    assert sorted(client.redirect_uris) == sorted(_callbacks())


@pytest.mark.slow
def test_processes_starting_at_once_register_the_client_once_with_every_callback(url) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(N), ctx.Queue()
    procs = [ctx.Process(target=_start, args=(url, cb, barrier, queue)) for cb in _callbacks()]
    for p in procs:
        p.start()
    got = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert got == ["ok"] * N
    (client,) = _registered(url)
    assert sorted(client.redirect_uris) == sorted(_callbacks())
