"""Writing synthetic chunks into a store: COPY on PostgreSQL, batched inserts on SQLite,
certificates signed in worker processes.

Each chunk of residents is one transaction, written by the worker that made it, together with a
``store_meta`` row ``bulk:<first id>`` = ``<last id>``: the store always knows which residents
are synthetic, and a load that is stopped half-way leaves whole chunks only. The IDs of a load
are reserved before it starts (``bulk:next_id``, and the PostgreSQL sequence is moved past
them), so the residents a window registers meanwhile never collide with it.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, create_engine, func, insert, select, text

from mynacard.bulk.synth import (
    ACTOR,
    Chunk,
    Context,
    KeyPool,
    make_chunk,
    municipality_weights,
    synthetic_municipalities,
)
from mynacard.ca import CertificateAuthority, CertKind
from mynacard.crypto import StoreKeys
from mynacard.db.copy import insert_rows
from mynacard.db.models import Base, CertificateAuthorityRow, Municipality, Resident, StoreMeta
from mynacard.errors import NotAllowedError, ValidationError
from mynacard.services.context import Office

#: Tables in the order a chunk writes them (foreign keys first).
TABLES = ("residents", "cards", "applications", "certificates", "moves", "events")
META_PREFIX = "bulk:"
NEXT_ID = "bulk:next_id"
#: How far before the load's time the CAs are made when the store has none yet, so that the
#: synthetic history (cards up to ~10 years old) lies inside their 20 years.
CA_HISTORY_YEARS = 12


@dataclass
class Report:
    residents: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    seconds: float = 0.0
    first_id: int = 0
    pool_size: int = 0
    workers: int = 1
    engine: str = ""


def synthetic_ranges(conn: Connection) -> list[tuple[int, int]]:
    rows = conn.execute(select(StoreMeta.name, StoreMeta.value).where(StoreMeta.name.like(META_PREFIX + "%")))
    out = []
    for name, value in rows:
        if name == NEXT_ID:
            continue
        out.append((int(name[len(META_PREFIX):]), int(value)))
    return sorted(out)


def real_residents(conn: Connection) -> int:
    """How many residents the store holds that no bulk load made."""
    total = conn.execute(select(func.count()).select_from(Resident)).scalar_one()
    synthetic = sum(last - first + 1 for first, last in synthetic_ranges(conn))
    return int(total) - synthetic


def refuse_real_data(conn: Connection, allow_real: bool) -> None:
    real = real_residents(conn)
    if real > 0 and not allow_real:
        raise NotAllowedError(
            f"This store holds {real:,} real (non-synthetic) residents. Load synthetic data into a store of "
            "its own (e.g. postgresql+psycopg://127.0.0.1/mynacard_bulk), or pass --allow-real-data to add "
            "synthetic residents beside them (nothing is ever deleted or changed).",
            f"このデータベースには実データの住民が {real:,} 人登録されています。合成データは専用のデータベースに"
            "投入してください(実データと並べて投入する場合は --allow-real-data を指定)。",
            real_residents=real,
        )


def _ensure_setup(office: Office, at: datetime, municipalities: int) -> list[dict[str, Any]]:
    """The synthetic municipalities and the two CAs, made once (idempotent)."""
    from mynacard.services import pki

    munis = synthetic_municipalities(municipalities)
    with office.store.engine.begin() as conn:
        have = set(conn.execute(select(Municipality.code)).scalars())
        new = [m for m in munis if m["code"] not in have]
        if new:
            conn.execute(insert(Municipality), [{**m, "card_fee": 800, "cert_fee": 200, "kiosk_fee": 200,
                                                 "found_policy": "release"} for m in new])
    with office.store.engine.connect() as conn:
        has_ca = {k for (k,) in conn.execute(select(CertificateAuthorityRow.kind))}
    if has_ca != {"sign", "auth"}:
        with office.work(at=at - timedelta(days=round(365.25 * CA_HISTORY_YEARS)), actor=ACTOR) as w:
            for kind in CertKind:
                pki.authority(w, kind)
    return munis


def _reserve(office: Office, n: int) -> int:
    """Reserve ``n`` resident IDs; the first is returned."""
    engine = office.store.engine
    with office.store.write_lock, engine.begin() as conn:
        pg = engine.dialect.name == "postgresql"
        if pg:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('mynacard:bulk-load'))"))
        top = conn.execute(select(func.max(Resident.id))).scalar() or 0
        recorded = conn.execute(select(StoreMeta.value).where(StoreMeta.name == NEXT_ID)).scalar()
        first = max(int(top) + 1, int(recorded or 0))
        if pg:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('residents', 'id'), :v)"),
                         {"v": max(first + n - 1, 1)})
        if recorded is None:
            conn.execute(insert(StoreMeta).values(name=NEXT_ID, value=str(first + n)))
        else:
            conn.execute(StoreMeta.__table__.update().where(StoreMeta.name == NEXT_ID)  # type: ignore[attr-defined]
                         .values(value=str(first + n)))
    return first


# --- writing --------------------------------------------------------------------------------


def write_chunk(conn: Connection, chunk: Chunk, first_id: int, last_id: int) -> None:
    """Write ``chunk`` on ``conn`` (inside its transaction), with its ``bulk:`` marker."""
    tables = Base.metadata.tables
    for name in TABLES:
        insert_rows(conn, tables[name], chunk.rows[name])
    conn.execute(insert(StoreMeta).values(name=f"{META_PREFIX}{first_id}", value=str(last_id)))


# --- workers --------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


@dataclass(frozen=True)
class Setup:
    """What a worker process needs to sign and write chunks (picklable)."""

    url: str
    master_key: bytes
    cas: dict[str, tuple[bytes, bytes]]  # kind -> (certificate DER, sealed key)
    base_url: str
    pool: list[bytes]
    municipalities: list[dict[str, Any]]
    at: datetime


def _context(setup: Setup) -> Context:
    from mynacard.ca import CaSettings

    settings = CaSettings(base_url=setup.base_url)
    cas = {CertKind(k): CertificateAuthority.load(CertKind(k), der, sealed, setup.master_key, settings=settings)
           for k, (der, sealed) in setup.cas.items()}
    return Context(cas=cas, pool=KeyPool.from_der(setup.pool), keys=StoreKeys(setup.master_key),
                   municipalities=setup.municipalities, weights=municipality_weights(len(setup.municipalities)),
                   at=setup.at)


def _init_worker(setup: Setup) -> None:
    _worker["ctx"] = _context(setup)
    _worker["engine"] = create_engine(setup.url, hide_parameters=True)


def _run_chunk(task: tuple[int, int]) -> dict[str, int]:
    first, count = task
    chunk = make_chunk(_worker["ctx"], first, count)
    with _worker["engine"].begin() as conn:
        write_chunk(conn, chunk, first, first + count - 1)
    return {t: chunk.count(t) for t in TABLES}


def _setup(office: Office, at: datetime, munis: list[dict[str, Any]], pool: KeyPool) -> Setup:
    with office.store.engine.connect() as conn:
        rows = conn.execute(select(CertificateAuthorityRow.kind, CertificateAuthorityRow.certificate_der,
                                   CertificateAuthorityRow.sealed_key, CertificateAuthorityRow.key_ref)).all()
    cas = {k: (der, sealed) for k, der, sealed, _ in rows}
    if any(ref for *_, ref in rows):
        raise NotAllowedError(
            "The CA keys of this store are in a PKCS#11 token: bulk-load signs in worker processes with the "
            "sealed keys and cannot use them. Load into a store whose CAs are sealed in the database.",
            "このデータベースの認証局の鍵はトークン内にあるため、一括投入では使えません。",
        )
    return Setup(url=office.store.url, master_key=office.master_key, cas=cas, base_url=office.base_url,
                 pool=pool.der(), municipalities=munis, at=at)


def chunks(first: int, n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(first, first + n, size):
        yield start, min(size, first + n - start)


def load(
    office: Office,
    n: int,
    *,
    at: datetime,
    workers: int | None = None,
    chunk_size: int = 2000,
    pool_size: int = 64,
    municipalities: int = 200,
    allow_real: bool = False,
    on_start: Callable[[Report], None] | None = None,
    on_chunk: Callable[[int, dict[str, int]], None] | None = None,
) -> Report:
    """Load ``n`` synthetic residents with their cards and certificates (see ``synth``)."""
    if n < 1:
        raise ValidationError("n", "Give a number of residents of at least 1.", "住民数は1以上を指定してください。")
    if chunk_size < 1 or pool_size < 1 or municipalities < 1:
        raise ValidationError("chunk_size", "Chunk size, key pool size and municipalities must be at least 1.",
                              "チャンクサイズ・鍵プール・市区町村数は1以上を指定してください。")
    store = office.store
    with store.engine.connect() as conn:
        refuse_real_data(conn, allow_real)
    t0 = time.perf_counter()
    munis = _ensure_setup(office, at, municipalities)
    pool = KeyPool.generate(pool_size)
    first = _reserve(office, n)
    pg = store.engine.dialect.name == "postgresql"
    nworkers = max(1, workers or os.cpu_count() or 1) if pg else 1  # SQLite: one writer
    rep = Report(first_id=first, pool_size=pool_size, workers=nworkers, engine=store.engine.dialect.name)
    if on_start is not None:
        on_start(rep)
    setup = _setup(office, at, munis, pool)
    tasks = list(chunks(first, n, chunk_size))

    def done(counts: dict[str, int], count: int) -> None:
        rep.residents += count
        for t, c in counts.items():
            rep.counts[t] += c
        if on_chunk is not None:
            on_chunk(count, counts)

    if nworkers == 1:
        ctx = _context(setup)
        for start, count in tasks:
            chunk = make_chunk(ctx, start, count)
            with store.write_lock, store.engine.begin() as conn:
                write_chunk(conn, chunk, start, start + count - 1)
            done({t: chunk.count(t) for t in TABLES}, count)
    else:
        mp = multiprocessing.get_context("spawn")
        sizes = dict(tasks)
        with mp.Pool(nworkers, initializer=_init_worker, initargs=(setup,)) as workers_pool:
            for (start, _), counts in zip(tasks, workers_pool.imap(_run_chunk, tasks), strict=True):
                done(counts, sizes[start])
    if pg:
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            for t in (*TABLES, "municipalities"):
                conn.exec_driver_sql(f"ANALYZE {t}")
    rep.seconds = time.perf_counter() - t0
    with office.work(at=at, actor=ACTOR) as w:
        w.log("bulk_load", first_id=first, loaded=rep.residents, key_pool=pool_size, rows=dict(rep.counts),
              seconds=round(rep.seconds, 1))
    return rep
