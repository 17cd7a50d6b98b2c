"""First use of the TSA and a relying party following a certificate are safe under concurrency:
many threads (SQLite, PostgreSQL) and many processes (PostgreSQL) end with one TSA and one row."""

from __future__ import annotations

import hashlib
import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper
from sqlalchemy import func, select

from mynacard.db.relying import FollowedCertificate, TsaKey
from mynacard.db.store import Store
from mynacard.relying import service as rp_service
from mynacard.services.context import Office
from mynacard.services.vcard import issue_demo_card
from mynacard.tsa import service as tsa_service
from tests.keypool import pooled_key
from tests.verify.conftest import AT, MASTER_KEY, SIGNED

N = 8


def _request() -> bytes:
    return TimeStamper().request_cms(hashlib.sha256(b"doc").digest(), "sha256")[1].dump()


def _stamp(office: Office) -> str:
    resp = tsp.TimeStampResp.load(tsa_service.respond(office, _request(), at=SIGNED))
    assert resp["status"]["status"].native == "granted"
    sd = resp["time_stamp_token"]["content"]
    return sd["certificates"][0].chosen.sha256.hex() if sd["certificates"] else ""


def _race(office: Office) -> None:
    with ThreadPoolExecutor(N) as pool:
        tsa_certs = set(pool.map(lambda _: _stamp(office), range(N)))
    assert len(tsa_certs) == 1  # every token from the one TSA
    with office.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TsaKey)) == 2

    card_id = issue_demo_card(office, AT)
    with office.work(at=SIGNED, actor="test") as w:
        rp = rp_service.register(w, "bank").relying_party
        rp_id = rp.id
        from mynacard.db import repositories as repo

        serial = repo.current_certificate(w.session, card_id, "sign").serial  # type: ignore[union-attr]

    def status(_: int) -> str:
        with office.work(at=SIGNED, actor="rp") as w:
            party = w.session.get(rp_service.RelyingParty, rp_id)
            return str(rp_service.status(w, party, serial)["status"])

    with ThreadPoolExecutor(N) as pool:
        assert set(pool.map(status, range(N * 2))) == {"good"}
    with office.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(FollowedCertificate)) == 1


def test_threads_sqlite(tmp_path) -> None:
    store = Store(str(tmp_path / "c.db"))
    store.migrate()
    try:
        _race(Office(store=store, master_key=MASTER_KEY, keygen=pooled_key))
    finally:
        store.dispose()


@pytest.mark.postgres
def test_threads_postgres(pg_url) -> None:
    store = Store(pg_url)
    store.migrate()
    try:
        _race(Office(store=store, master_key=MASTER_KEY, keygen=pooled_key))
    finally:
        store.dispose()


def _process_stamp(args: tuple[str, bytes]) -> str:
    url, master_key = args
    store = Store(url)
    try:
        return _stamp(Office(store=store, master_key=master_key, keygen=pooled_key))
    finally:
        store.dispose()


@pytest.mark.postgres
def test_processes_postgres_first_use_of_the_tsa(pg_url) -> None:
    store = Store(pg_url)
    store.migrate()
    store.dispose()
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        certs = set(pool.map(_process_stamp, [(pg_url, MASTER_KEY)] * 8))
    assert len(certs) == 1
