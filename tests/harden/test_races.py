"""State checks and first-use paths under concurrency: many threads and many processes, on
SQLite and on PostgreSQL. Each race ends with exactly one winner and one event."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import date

import pytest
from fastapi.testclient import TestClient

from mynacard.db import repositories as repo
from mynacard.db.store import Store
from mynacard.services import loss
from mynacard.services.context import Office
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from tests.keypool import pooled_key
from tests.web.conftest import MASTER_KEY, at, issue_card, register

THREADS = 12
PROCESSES = 6


def _suspended_card(web_staff, web_office, name: str) -> str:
    clerk = web_staff["clerk"]
    rid = register(clerk, name=name, birth="1980-02-02")
    card_id = issue_card(clerk, rid)
    with web_office.work(at=at("2025-04-01T10:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name=name, birth_date=date(1980, 2, 2))
    return card_id


def _events(office: Office, card_id: str, action: str) -> int:
    with office.store.sessions() as s:
        return sum(1 for e in repo.events(s, card_id=card_id) if e.action == action)


def _race_threads(client: TestClient, path: str, n: int) -> list[int]:
    barrier = threading.Barrier(n)
    codes: list[int] = []

    def go() -> None:
        barrier.wait()
        codes.append(client.post(path).status_code)

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


@pytest.mark.parametrize(("step", "event"), [("found", "card_found"), ("return", "card_returned")])
def test_one_state_change_wins_among_threads_R_LOSS_3(web_staff, web_office, step, event):
    card_id = _suspended_card(web_staff, web_office, f"競合 {step}")
    codes = _race_threads(web_staff["clerk"], f"/api/cards/{card_id}/{step}", THREADS)
    assert sorted(codes) == [200] + [409] * (THREADS - 1), codes
    assert _events(web_office, card_id, event) == 1


def _process_client(url: str, token: str, card_id: str, step: str, barrier, out) -> None:
    try:
        _process_step(url, token, card_id, step, barrier, out)
    except BaseException as e:  # report instead of leaving the others at the barrier
        out.put(f"{type(e).__name__}: {e}")
        barrier.abort()


def _process_step(url: str, token: str, card_id: str, step: str, barrier, out) -> None:
    store = Store(url)
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    client = TestClient(create_app(office, clock=Clock(at("2025-04-01T12:00"), advance=False)),
                        raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"  # the session lives in the store
    barrier.wait(timeout=60)
    out.put(client.post(f"/api/cards/{card_id}/{step}").status_code)
    store.dispose()


@pytest.mark.parametrize(("step", "event"), [("found", "card_found"), ("return", "card_returned")])
def test_one_state_change_wins_among_processes(web_staff, web_office, db_url, step, event):
    card_id = _suspended_card(web_staff, web_office, f"多重 {step}")
    web_office.store.engine.dispose()  # no pooled connection crosses the fork
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(PROCESSES), ctx.Queue()
    token = web_staff["clerk"].headers["Authorization"].split()[1]
    procs = [ctx.Process(target=_process_client, args=(db_url, token, card_id, step, barrier, out))
             for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    codes = sorted((out.get(timeout=120) for _ in procs), key=str)
    for p in procs:
        p.join(timeout=60)
        if p.is_alive():
            p.kill()
    assert codes == [200] + [409] * (PROCESSES - 1), codes
    assert _events(web_office, card_id, event) == 1


def test_concurrent_applications_leave_one_card_being_made(web_staff, web_office):
    """A double-click (or two windows) on an application: one card is applied for, the others
    are refused with 409, on both backends (the resident's row is locked; the store's index
    would refuse a second card being made anyway)."""
    clerk = web_staff["clerk"]
    rid = register(clerk, name="同時 申請", birth="1985-05-05")
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []

    def go() -> None:
        barrier.wait()
        codes.append(clerk.post(f"/api/residents/{rid}/applications", json={}).status_code)

    threads = [threading.Thread(target=go) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * (THREADS - 1), codes
    with web_office.store.sessions() as s:
        assert len(repo.cards_of(s, rid)) == 1
