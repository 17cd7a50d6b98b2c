"""The office's own relying parties (the portal, the kiosk) register themselves on first use, add
a new callback to the ones they have, and survive another process registering them at the same
moment."""

from __future__ import annotations

import sqlite3

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


def test_a_first_party_client_registered_meanwhile_by_another_process_is_used_as_it_is(office, monkeypatch) -> None:
    real = clients.register_client

    def raced(w, client_id, name, redirect_uris, **kw):
        # another process registers the client and commits first: this insert is then refused
        with office.work(at=AT, actor="other process") as other:
            real(other, client_id, "他のプロセス", redirect_uris, with_secret=True)
        raise IntegrityError("INSERT INTO login_clients ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    monkeypatch.setattr(clients, "register_client", raced)
    with office.work(at=AT, actor="portal") as w:
        c = login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL)
        assert (c.client_id, c.name, c.redirect_uris) == ("PORTAL0001", "他のプロセス", [PORTAL])
    assert _uris(office, "PORTAL0001") == [PORTAL]
