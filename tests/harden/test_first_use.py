"""First use on an empty store: concurrent first issuances make one CA and one OCSP responder
per kind, and every issuance succeeds (no duplicate key reaches the caller)."""

from __future__ import annotations

import multiprocessing
import threading

from sqlalchemy import func, select

from mynacard.db.models import CertificateAuthorityRow
from mynacard.db.staff import OcspResponder
from mynacard.db.store import Store
from mynacard.services.context import Office
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from tests.keypool import pooled_key
from tests.web.conftest import MASTER_KEY, PINS, at, register

THREADS = 8
PROCESSES = 4


def _made_cards(clerk, n: int, tag: str) -> list[str]:
    out = []
    for i in range(n):
        rid = register(clerk, name=f"初回 {tag}{i}")
        r = clerk.post(f"/api/residents/{rid}/applications", json={"kind": "new", "channel": "window"})
        card_id = r.json()["card_id"]
        assert clerk.post(f"/api/cards/{card_id}/make").status_code == 200
        out.append(card_id)
    return out


def _issue(client, card_id: str) -> int:
    return client.post(f"/api/cards/{card_id}/issue",
                       json={"identity_documents": ["drivers_license"], "pins": PINS}).status_code


def _one_each(office: Office) -> None:
    with office.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(CertificateAuthorityRow)) == 2
        # Responders are made when a response is first signed (concurrent first publications
        # have tests of their own in tests/services/test_revocation_concurrency.py): at most one each.
        assert s.scalar(select(func.count()).select_from(OcspResponder)) <= 2


def test_first_issuances_at_once_in_threads(web_staff, web_office):
    clerk = web_staff["clerk"]
    cards = _made_cards(clerk, THREADS, "t")
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []

    def go(card_id: str) -> None:
        barrier.wait()
        codes.append(_issue(clerk, card_id))

    threads = [threading.Thread(target=go, args=(c,)) for c in cards]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * THREADS, codes
    _one_each(web_office)


def _process_issue(url: str, token: str, card_id: str, barrier, out) -> None:
    from fastapi.testclient import TestClient

    try:
        store = Store(url)
        office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
        client = TestClient(create_app(office, clock=Clock(at("2025-04-01T10:00"), advance=False)),
                            raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {token}"  # the session lives in the store
        barrier.wait(timeout=60)
        out.put(_issue(client, card_id))
        store.dispose()
    except BaseException as e:
        out.put(f"{type(e).__name__}: {e}")
        barrier.abort()


def test_first_issuances_at_once_in_processes(db_url, tmp_path_factory):
    """A store of its own, so that the CAs do not exist yet when the processes start."""
    from tests.web.conftest import make_office

    if "://" in db_url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(db_url)
        name = url.database + "_fu"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        own = url.set(database=name).render_as_string(hide_password=False)
    else:
        own = str(tmp_path_factory.mktemp("first") / "first.db")
    office = make_office(own)
    from tests.web.conftest import Staff

    clerk = Staff(create_app(office, clock=Clock(at("2025-04-01T10:00"), advance=False)))["clerk"]
    cards = _made_cards(clerk, PROCESSES, "p")
    office.store.engine.dispose()
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(PROCESSES), ctx.Queue()
    token = clerk.headers["Authorization"].split()[1]
    procs = [ctx.Process(target=_process_issue, args=(own, token, c, barrier, out)) for c in cards]
    for p in procs:
        p.start()
    codes = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        if p.is_alive():
            p.kill()
    assert codes == [200] * PROCESSES, codes
    _one_each(office)
    office.store.dispose()
    if "://" in db_url:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
