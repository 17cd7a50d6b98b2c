"""The one publisher of revocation status (R_CERT_8): the delegated OCSP responders, the
pre-signed OCSP responses and the CRLs.

Every unit of work (``Office.work``) that changes a certificate's status keeps them current
before it commits, whichever adapter ran it (web, CLI, batch, another process): the changed
certificates' responses are signed again and the CRLs that list them are marked stale, in the
same transaction as the change. Changes made through the ORM are noticed by themselves; a
set-based statement reports what it changed with ``status_changed``. The web, the CLI, the
export and the demo all answer from here.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from mynacard.db import repositories as repo
from mynacard.services.context import Work
from mynacard.services.revocation import cache, crls, ocsp
from mynacard.services.revocation.crls import delta_crl, full_crl
from mynacard.services.revocation.ocsp import answer, response, response_der
from mynacard.services.revocation.responders import responder
from mynacard.services.statuses import CHANGED, note

#: Above this many changes in one unit of work (a batch), responses are dropped rather than
#: signed again: each is signed when first asked for.
EAGER_SIGN_LIMIT = 100


def status_changed(w: Work, changes: list[tuple[int, str, str]]) -> None:
    """Note certificates (serial, kind, municipality code) whose status a statement changed."""
    note(w.session, changes)


event.listen(Session, "after_commit", cache.push_after_commit)
event.listen(Session, "after_rollback", cache.drop_pending)


def settle(w: Work) -> None:
    """Bring the published status up to the changes of this unit of work (called before its
    commit by ``Office.work``, which calls it only when ``statuses.pending``)."""
    w.session.flush()  # the changes not flushed yet are noted by the flush
    changes: set[tuple[int, str, str]] = w.session.info.pop(CHANGED, set())
    if not changes:
        return
    crls.mark_stale(w.session, {(kind, code) for _, kind, code in changes})
    serials = sorted(s for s, _, _ in changes)
    cache.record_changes(serials)
    if len(serials) > EAGER_SIGN_LIMIT:
        ocsp.forget(w.session, serials)
    else:
        for serial in serials:
            cert = repo.certificate(w.session, serial)
            if cert is not None:
                ocsp.sign_response(w, cert)


__all__ = [
    "answer",
    "delta_crl",
    "full_crl",
    "responder",
    "response",
    "response_der",
    "settle",
    "status_changed",
]
