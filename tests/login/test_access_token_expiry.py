"""An access token opens the provider's APIs until the instant it expires, for its own grant only;
a refused token is told so in one message, whatever the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mynacard.services import login
from mynacard.services.login.common import TOKEN_LIFETIME
from tests.login.conftest import AT

REFUSED = "The access token is missing, unknown, of the wrong kind, or expired."


@pytest.fixture
def token(office, site) -> str:
    with office.work(at=AT, actor="site") as w:
        return login.client_credentials(w, login.client(w, "RP00000001")).access_token


def test_an_access_token_opens_until_the_instant_it_expires(office, token) -> None:
    with office.work(at=AT + TOKEN_LIFETIME - timedelta(microseconds=1), actor="site") as w:
        assert login.bearer(w, token, "client_credentials").client_id == "RP00000001"
    with pytest.raises(login.TokenError) as err, office.work(at=AT + TOKEN_LIFETIME, actor="site") as w:
        login.bearer(w, token, "client_credentials")
    assert err.value.message == REFUSED


@pytest.mark.parametrize("given", [None, ""], ids=["missing", "empty"])
def test_a_request_without_an_access_token_is_refused(office, given) -> None:
    with pytest.raises(login.TokenError) as err, office.work(at=AT, actor="site") as w:
        login.bearer(w, given, "client_credentials")
    assert err.value.message == REFUSED


def test_an_access_token_of_another_grant_is_refused(office, token) -> None:
    with pytest.raises(login.TokenError) as err, office.work(at=AT, actor="site") as w:
        login.bearer(w, token, "authorization_code")
    assert err.value.message == REFUSED
