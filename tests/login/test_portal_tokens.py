"""The portal's access token: it names the holder who logged in at the portal, a site's token is
not a portal login, and logging out withdraws the token itself, not only the browser's cookie."""

from __future__ import annotations

import pytest

from mynacard.db import repositories as repo
from mynacard.services import login, portal
from mynacard.web.portal import TOKEN_COOKIE
from tests.login.conftest import AT
from tests.login.test_portal import portal_login
from tests.login.test_provider import login_once


def test_the_portal_token_names_the_holder_until_logout(office, card_id, web) -> None:
    portal_login(office, card_id, web)
    token = web.cookies.get(TOKEN_COOKIE, path="/portal")
    assert token
    with office.work(at=AT, actor="holder") as w:
        assert portal.holder(w, token) == repo.card(w.session, card_id).resident_id
    assert web.post("/portal/logout").status_code == 303
    with pytest.raises(login.TokenError), office.work(at=AT, actor="holder") as w:
        portal.holder(w, token)  # withdrawn in the store: a copy of the cookie opens nothing


def test_a_sites_access_token_is_not_a_portal_login(office, card_id, web, site) -> None:
    _, tokens = login_once(office, card_id, web, site)
    with pytest.raises(login.TokenError) as err, office.work(at=AT, actor="holder") as w:
        portal.holder(w, tokens["access_token"])
    assert err.value.message == "Not a portal login."
