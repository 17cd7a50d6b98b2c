"""The callbacks of the office's own relying parties (the portal, the kiosk) are redirect URIs
like any other: one added to a registered client is checked as a registration checks them."""

from __future__ import annotations

import pytest

from mynacard.db.provider import LoginClient
from mynacard.errors import ValidationError
from mynacard.services import login
from tests.client.conftest import AT

PORTAL = "https://office.example/portal/callback"


@pytest.mark.parametrize("callback", ["ftp://office2.example/callback", "https://office2.example/cb#frag", ""])
def test_an_unusable_callback_is_not_added_to_a_registered_first_party_client(office, callback) -> None:
    with office.work(at=AT, actor="portal") as w:
        login.first_party_client(w, "PORTAL0001", "ポータル", PORTAL)
    with pytest.raises(ValidationError) as err, office.work(at=AT, actor="portal") as w:
        login.first_party_client(w, "PORTAL0001", "ポータル", callback)
    assert err.value.fields["field"] == "redirect_uris"
    with office.work(at=AT, actor="reader") as w:
        assert w.session.get(LoginClient, "PORTAL0001").redirect_uris == [PORTAL]
