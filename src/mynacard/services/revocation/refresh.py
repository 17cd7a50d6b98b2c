"""The OCSP refresher (R_CERT_8): signs again, in batches, every pre-signed response that is
getting old (six hours before its nextUpdate) or says a status the certificate no longer has, and
with ``missing`` also signs the certificates that have none yet. ``mynacard ocsp refresh`` runs
it once or in a loop; ``mynacard serve`` runs it in the background."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from mynacard.db import repositories as repo
from mynacard.db.models import Certificate
from mynacard.db.staff import OcspCacheEntry
from mynacard.services.context import Office
from mynacard.services.revocation import cache
from mynacard.services.revocation.ocsp import REFRESH_BEFORE, sign_response


@dataclass
class Refreshed:
    signed: int = 0
    missing: int = 0
    pruned: int = 0


def _due(office: Office, at: datetime, missing: bool) -> list[int]:
    if missing:
        q = (select(Certificate.serial).outerjoin(OcspCacheEntry, OcspCacheEntry.serial == Certificate.serial)
             .where(OcspCacheEntry.serial.is_(None)))
    else:
        q = (select(OcspCacheEntry.serial).join(Certificate, Certificate.serial == OcspCacheEntry.serial)
             .where(or_(OcspCacheEntry.next_update <= at + REFRESH_BEFORE, OcspCacheEntry.produced_at > at,
                        OcspCacheEntry.status != Certificate.status)))
    with office.store.engine.connect() as conn:
        return sorted(int(s) for s in conn.execute(q).scalars())


def refresh(office: Office, *, at: datetime, batch: int = 500, missing: bool = False) -> Refreshed:
    """Sign again what is due at ``at``, ``batch`` responses per unit of work."""
    out = Refreshed()
    for want_missing in (False, True) if missing else (False,):
        due = _due(office, at, want_missing)
        for i in range(0, len(due), batch):
            serials = due[i : i + batch]
            with office.work(at=at, actor="ocsp-refresh") as w:
                for serial in serials:
                    cert = repo.certificate(w.session, serial)
                    if cert is not None:
                        sign_response(w, cert)
                        if want_missing:
                            out.missing += 1
                        else:
                            out.signed += 1
    with office.work(at=at, actor="ocsp-refresh") as w:
        out.pruned = cache.prune_changes(w.session)
    return out
