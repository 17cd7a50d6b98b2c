"""The signing certificate in the holder's approval (``services/login/requests.approve``) is checked
like the authentication certificate: one that is revoked, or a certificate of the other kind sent in
its place, refuses the login with the reason in English and Japanese, kept on the request and
audited. On PostgreSQL, an answer carrying a signing transaction holds the transaction's row until
its unit of work ends, so that two logins cannot both sign it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from mynacard.db.provider import SignTransaction
from mynacard.services import certificates, login
from mynacard.services.context import Office
from mynacard.services.vcard import issue_demo_card
from tests.client.conftest import AT
from tests.login.conftest import card_answer, start, started_request
from tests.login.test_requests_more import _answer
from tests.login.test_requests_signing import _refusal, _refused

# -- the signing certificate is checked too ----------------------------------------------------


def test_a_revoked_signing_certificate_refuses_the_login_though_the_authentication_one_is_good_R_CERT_6(
    office, card_id, web, site
) -> None:
    s = start(web, "openid name")
    _, answer = card_answer(office, card_id, web, s)  # made with the certificate still on the card
    with office.work(at=AT, actor="window") as w:
        certificates.revoke(w, card_id, "sign")
    assert _refused(office, web, s, answer) == _refusal(
        "revoked", "The certificate was revoked (unspecified).", "電子証明書は失効しています。"
    )


def test_the_authentication_certificate_sent_as_the_signing_certificate_is_refused_as_the_wrong_kind(
    office, card_id, web, site
) -> None:
    s = start(web, "openid address")
    _, answer = card_answer(office, card_id, web, s)
    answer["sign_certificate"], answer["sign_signature"] = answer["auth_certificate"], answer["auth_signature"]
    assert _refused(office, web, s, answer) == _refusal(
        "wrong_certificate", "This is not a signing certificate.", "証明書の種類が違います。"
    )


# -- the signing transaction's row lock (PostgreSQL) ----------------------------------------------

TX_ID = "0f0e0d0c-0b0a-4908-8706-050403020100"


def _take_transaction(office: Office, tx_id: str) -> None:
    """Lock the transaction from another unit of work, without waiting: a lock held elsewhere fails."""
    with office.work(at=AT, actor="other") as other:
        other.session.execute(text("SELECT id FROM sign_transactions WHERE id = :t FOR UPDATE NOWAIT"), {"t": tx_id})


@pytest.mark.postgres
def test_an_answer_holds_its_signing_transaction_until_its_unit_of_work_ends(pg_office) -> None:
    """Even a refused answer holds the transaction while it is checked: another login carrying the
    same transaction waits instead of finding it open meanwhile."""
    card_id = issue_demo_card(pg_office, AT)
    with pg_office.work(at=AT, actor="site") as w:
        w.session.add(
            SignTransaction(
                id=TX_ID,
                client_id="RP00000001",
                digest=bytes(range(32)),
                digest_info=False,
                created_at=AT,
                expires_at=AT + timedelta(minutes=10),
            )
        )
    request_id = started_request(pg_office, "openid sign", sign_transaction_id=TX_ID)[0]
    answer = _answer(pg_office, card_id, request_id)
    answer["document_signature"] = answer["sign_signature"]  # over the challenge, not the document
    with pg_office.work(at=AT, actor="holder") as w:
        refused = login.approve(w, request_id, answer)
        assert refused.refusal == "bad_signature"
        with pytest.raises(OperationalError):
            _take_transaction(pg_office, TX_ID)
    _take_transaction(pg_office, TX_ID)
