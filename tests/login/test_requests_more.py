"""The holder's approval as the app and the browser see it: what the approval request shows, the
refusals with their reasons and messages, the request's five minutes, the browser binding of the
code, and a request checked again under its lock when another unit of work answered it first."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest

from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.db.models import Event
from mynacard.db.provider import LoginRequest
from mynacard.errors import NotFoundError
from mynacard.rules.login import LoginError, parse_authorization
from mynacard.services import login
from mynacard.services.vcard import DEMO_PINS, open_card
from tests.login.conftest import AT, OIDC, back, card_answer, start, started_request

FIVE_MINUTES = timedelta(minutes=5)


def _refusals(office) -> list[dict]:
    with office.work(at=AT, actor="reader") as w:
        return [e.details for e in w.session.query(Event).all() if e.action == "login_refused"]


def _row(office, request_id: str) -> LoginRequest:
    with office.work(at=AT, actor="reader") as w:
        return w.session.get(LoginRequest, request_id)


# -- what the holder's app is shown -------------------------------------------------------------


def test_the_approval_request_names_the_request_its_scope_and_the_attributes_asked_for(
    office, card_id, web, site
) -> None:
    s = start(web, "openid name address")
    shown = web.get(s.path).json()
    assert shown["request"] == s.request_id
    assert shown["scope"] == "openid name address"
    assert shown["attributes"] == ["name", "address"]
    assert shown["client_id"] == "RP00000001" and shown["client_name"] == "サンプル電子申請"
    assert shown["needs_signing_certificate"] is True
    assert shown["status"] == "pending"
    assert "sign" not in shown  # no signing transaction was asked for


def _transaction(web, site, data: bytes, *, as_info: bool) -> str:
    cc = web.post(f"{OIDC}/token", data={"grant_type": "client_credentials"}, auth=("RP00000001", site))
    body = {"digest": base64.b64encode(data).decode(), "digest_info": as_info}
    tx = web.post("/api/sign-transactions", json=body, headers={"Authorization": f"Bearer {cc.json()['access_token']}"})
    assert tx.status_code == 201, tx.text
    return tx.json()["sign_transaction_id"]


def test_a_transaction_over_a_digest_info_is_shown_as_such_and_signed_as_given_R_CERT_1(
    office, card_id, web, site
) -> None:
    """The site may send a whole DER DigestInfo: the app is told so, signs it as it is, and the
    signature verifies over that DigestInfo."""
    info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(b"contract").digest()
    tx_id = _transaction(web, site, info, as_info=True)
    s = start(web, "openid sign", sign_transaction_id=tx_id)
    shown = web.get(s.path).json()
    assert shown["sign"] == {"digest": base64.b64encode(info).decode(), "digest_info": True}
    _, answer = card_answer(office, card_id, web, s)
    r = web.post(s.path, json=answer)
    assert r.status_code == 200, r.text
    assert "code" in back(web, s)


def test_a_transaction_over_a_bare_hash_says_it_is_no_digest_info(office, card_id, web, site) -> None:
    digest = hashlib.sha256(b"contract").digest()
    tx_id = _transaction(web, site, digest, as_info=False)
    s = start(web, "openid sign", sign_transaction_id=tx_id)
    assert web.get(s.path).json()["sign"] == {"digest": base64.b64encode(digest).decode(), "digest_info": False}


def test_an_unknown_request_is_not_found_in_both_languages(office, site, web) -> None:
    with office.work(at=AT, actor="holder") as w, pytest.raises(NotFoundError) as err:
        login.challenge(w, "no-such-request")
    assert (err.value.message, err.value.message_ja) == (
        "No such login request (it may be from another provider).",
        "該当するログイン要求がありません。",
    )
    r = web.get("/api/realms/main/approve/no-such-request")
    assert r.status_code == 404
    assert r.json()["error"]["message_ja"] == "該当するログイン要求がありません。"


# -- the request's five minutes -----------------------------------------------------------------


def test_a_request_shows_as_expired_from_the_end_of_its_five_minutes(office, card_id, web, site, clock) -> None:
    s = start(web)
    clock.set(AT + FIVE_MINUTES - timedelta(seconds=1))
    assert web.get(s.path).json()["status"] == "pending"
    clock.set(AT + FIVE_MINUTES)
    assert web.get(s.path).json()["status"] == "expired"
    assert back(web, s)["error"] == "access_denied"


def test_an_approved_request_stays_approved_after_its_five_minutes(office, card_id, web, site, clock) -> None:
    s = start(web)
    _, answer = card_answer(office, card_id, web, s)
    assert web.post(s.path, json=answer).status_code == 200
    clock.set(AT + timedelta(hours=1))
    assert web.get(s.path).json()["status"] == "approved"


def test_an_answer_at_the_end_of_the_five_minutes_is_refused_as_expired(office, card_id, web, site, clock) -> None:
    s = start(web)
    _, answer = card_answer(office, card_id, web, s)
    clock.set(AT + FIVE_MINUTES)
    r = web.post(s.path, json=answer)
    assert r.status_code == 403
    assert r.json() == {
        "status": "refused",
        "refusal": "expired",
        "error": {
            "code": "expired",
            "message": "The login request has expired; start again from the site.",
            "message_ja": "ログイン要求の有効期限が切れました。もう一度ログインしてください。",
        },
    }


# -- refusals -----------------------------------------------------------------------------------


def test_a_second_answer_is_refused_as_replayed_and_the_approval_stands(office, card_id, web, site) -> None:
    s = start(web)
    _, answer = card_answer(office, card_id, web, s)
    assert web.post(s.path, json=answer).status_code == 200
    r = web.post(s.path, json=answer)
    assert r.status_code == 403
    assert r.json() == {
        "status": "approved",
        "refusal": "replayed",
        "error": {
            "code": "replayed",
            "message": "This login request has already been answered.",
            "message_ja": "このログイン要求は既に使われています。",
        },
    }
    assert (_row(office, s.request_id).status, _row(office, s.request_id).refusal) == ("approved", None)
    assert "code" in back(web, s)  # the browser still collects the approved login


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"auth_certificate": base64.b64encode(b"not a certificate").decode()}, "auth_certificate is not a DER "
         "certificate."),
        ({"auth_signature": ""}, "auth_signature is missing."),
        ({"auth_signature": "not base64!"}, "auth_signature is not base64."),
    ],
)
def test_a_malformed_answer_is_refused_recorded_and_says_what_is_wrong(
    office, card_id, web, site, change, message
) -> None:
    s = start(web)
    _, answer = card_answer(office, card_id, web, s)
    answer.update(change)
    r = web.post(s.path, json=answer)
    assert r.status_code == 403
    assert r.json() == {
        "status": "refused",
        "refusal": "malformed",
        "error": {"code": "malformed", "message": message, "message_ja": "送られたデータの形式が正しくありません。"},
    }
    assert (_row(office, s.request_id).status, _row(office, s.request_id).refusal) == ("refused", "malformed")
    assert _refusals(office) == [{"client_id": "RP00000001", "request": s.request_id[:8], "reason": "malformed"}]
    assert back(web, s)["error"] == "access_denied"


def test_a_signature_over_another_challenge_is_refused_with_the_reason(office, card_id, web, site) -> None:
    first, second = start(web), start(web)
    _, answer = card_answer(office, card_id, web, first)
    r = web.post(second.path, json=answer)
    assert r.status_code == 403
    assert r.json()["error"] == {
        "code": "bad_signature",
        "message": "The signature over the challenge does not verify with the authentication certificate.",
        "message_ja": "署名を検証できませんでした。",
    }


# -- the browser that started the request --------------------------------------------------------


def _answer(office, card_id, request_id: str) -> dict:
    with office.work(at=AT, actor="holder") as w:
        shown = login.challenge(w, request_id)
    card = JpkiCard(open_card(office, card_id, lambda: AT))
    return ap.answer(card, shown, DEMO_PINS["auth"], DEMO_PINS["sign"])


def _approved(office, card_id, scope: str = "openid") -> tuple[str, str]:
    request_id, browser, _ = started_request(office, scope)
    answer = _answer(office, card_id, request_id)
    with office.work(at=AT, actor="holder") as w:
        assert login.approve(w, request_id, answer).ok
    return request_id, browser


def test_the_stored_request_reads_back_as_the_authorization_request_it_was(office, site, web) -> None:
    tx_id = _transaction(web, site, hashlib.sha256(b"contract").digest(), as_info=False)
    request_id, _, params = started_request(office, "openid name sign", sign_transaction_id=tx_id)
    with office.work(at=AT, actor="reader") as w:
        assert login.parsed(login.request(w, request_id)) == parse_authorization(params)


@pytest.mark.parametrize("browser", ["another browser's secret", "", None])
def test_only_the_browser_that_started_the_request_collects_its_code(office, card_id, site, browser) -> None:
    request_id, _ = _approved(office, card_id)
    with office.work(at=AT, actor="login") as w, pytest.raises(LoginError) as err:
        login.finish(w, request_id, browser)
    e = err.value
    assert (e.fields["error"], e.field) == ("access_denied", "request")
    assert (e.message, e.message_ja) == (
        "This browser did not start the login request.",
        "このブラウザーで開始したログインではありません。",
    )
    assert _row(office, request_id).code_hash is None  # no code was issued


def test_a_request_stored_without_a_browser_binding_is_collected_by_no_browser(office, card_id, site) -> None:
    """The binding column may be empty (it is nullable): then no browser, whatever it sends, gets
    the code."""
    request_id, browser = _approved(office, card_id)
    with office.work(at=AT, actor="test") as w:
        w.session.get(LoginRequest, request_id).claims = None
    with office.work(at=AT, actor="login") as w, pytest.raises(LoginError) as err:
        login.finish(w, request_id, browser)
    assert err.value.fields["error"] == "access_denied"


def test_the_code_carries_256_random_bits(office, card_id, site) -> None:
    request_id, browser = _approved(office, card_id)
    with office.work(at=AT, actor="login") as w:
        _, code = login.finish(w, request_id, browser)
    assert len(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))) == 32


# -- a request answered meanwhile by another unit of work -----------------------------------------


def test_an_answer_is_checked_against_the_request_as_stored_not_as_read_before(office, card_id, site) -> None:
    """A unit of work that read the request while it was pending, and answers it after another
    one approved it, sees the approval: the answer is a replay, the login is not approved twice."""
    request_id, _, _ = started_request(office)
    answer = _answer(office, card_id, request_id)
    with office.work(at=AT, actor="holder") as w:
        seen = login.request(w, request_id)  # held by this unit of work
        assert seen.status == "pending"
        with office.work(at=AT, actor="holder") as other:
            assert login.approve(other, request_id, answer).ok
        again = login.approve(w, request_id, answer)
    assert again.refusal == "replayed"
    approvals = _row(office, request_id)
    assert approvals.status == "approved"
    with office.work(at=AT, actor="reader") as w:
        assert [e.action for e in w.session.query(Event).all()].count("login_approved") == 1


def test_a_code_is_issued_once_even_to_a_unit_of_work_that_read_the_request_before(office, card_id, site) -> None:
    request_id, browser = _approved(office, card_id)
    with office.work(at=AT, actor="login") as w:
        seen = login.request(w, request_id)  # held by this unit of work
        assert seen.code_hash is None
        with office.work(at=AT, actor="login") as other:
            _, first = login.finish(other, request_id, browser)
        _, second = login.finish(w, request_id, browser)
    assert first is not None and second is None
    assert _row(office, request_id).code_hash == login.digest(first)  # the first code stays the valid one
