"""The store the HTTP, OCSP and CLI targets fuzz against: two municipalities, staff accounts of
every role, and cards whose certificates are good, on hold and revoked."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from mynacard.db.models import Certificate
from mynacard.services import certificates, face, loss
from mynacard.services.context import Office
from tests.services.conftest import at, issued_card, new_resident
from tests.web.conftest import MASTER_KEY, PASSWORD, make_office

__all__ = ["MASTER_KEY", "PASSWORD", "FuzzStore", "build"]


@dataclass
class FuzzStore:
    office: Office
    db: str
    master_key_b64: str
    certificates: list[Certificate]


def build(workdir: Path) -> FuzzStore:
    db = str(workdir / "fuzz.db")
    office = make_office(db)
    r1 = new_resident(office, name="能登 太郎")
    issued_card(office, r1)  # good, good
    r2 = new_resident(office, name="能登 花子")
    issued_card(office, r2)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:  # hold, hold
        loss.hotline_suspend(w, name="能登 花子", birth_date=_birth(w, r2))
    r3 = new_resident(office, name="中能 次郎")
    c3 = issued_card(office, r3)
    with office.work(at=at("2026-03-01"), actor="clerk") as w:  # sign revoked, then a new good one
        face.move_within(w, r3, new_address="石川県鹿島郡中能登町井田1番地")
    with office.work(at=at("2026-03-02"), actor="clerk") as w:
        certificates.issue_new(w, c3, "sign", pin="NEW123")
    with office.store.session() as s:
        from sqlalchemy import select

        certs = list(s.scalars(select(Certificate)))
    return FuzzStore(office, db, base64.b64encode(MASTER_KEY).decode(), certs)


def _birth(w, rid):  # type: ignore[no-untyped-def]
    from mynacard.db.models import Resident

    return w.session.get(Resident, rid).birth_date
