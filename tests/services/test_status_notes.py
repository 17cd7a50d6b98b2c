"""Which certificate statuses a unit of work changed, noted for the revocation publisher (R_CERT_8):
a statement that changes statuses in bulk notes them, and the publisher sees them as pending."""

from __future__ import annotations

from mynacard.services import statuses
from tests.services.conftest import NAKANOTO, at


def test_statuses_noted_by_a_bulk_statement_are_pending_until_published_R_CERT_8(office):
    with office.work(at=at("2026-01-01"), actor="batch") as w:
        assert not statuses.pending(w.session)
        statuses.note(w.session, [(0x1234, "sign", NAKANOTO)])
        statuses.note(w.session, {(0x5678, "auth", NAKANOTO)})
        assert statuses.pending(w.session)
        assert w.session.info[statuses.CHANGED] == {(0x1234, "sign", NAKANOTO), (0x5678, "auth", NAKANOTO)}
