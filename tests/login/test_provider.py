"""The login provider: the authorization code flow with PKCE, the holder's approval with the
card, ID tokens, userinfo and refusals (R_CERT_1: the authentication certificate logs in)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import datetime, timedelta

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynacard.db import repositories as repo
from mynacard.db.models import Event
from mynacard.db.provider import LoginRequest
from mynacard.services import certificates, login, loss
from mynacard.services.login import subject
from mynacard.services.vcard import DEMO_PINS
from mynacard.timeutil import JST
from tests.login.conftest import AT, OIDC, REDIRECT, approve, back, card_answer, exchange, start


def login_once(office, card_id, web, site, scope="openid", at=AT, **extra):
    s = start(web, scope, **extra)
    r = approve(office, card_id, web, s, at=at)
    assert r.status_code == 200, r.text
    q = back(web, s)
    assert q["state"] == s.state
    t = exchange(web, q["code"], s.verifier, site)
    assert t.status_code == 200, t.text
    return s, t.json()


def id_claims(web, token: str, at=AT) -> dict:
    keys = jwt.PyJWKSet.from_dict(web.get(f"{OIDC}/certs").json())
    header = jwt.get_unverified_header(token)
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    # The provider runs at the simulated time AT: check exp against it, not the wall clock.
    claims = jwt.decode(
        token, key.key, algorithms=["RS256"], audience="RP00000001", options={"verify_exp": False, "verify_iat": False}
    )
    assert claims["iat"] == int(at.timestamp()) < claims["exp"]
    return claims


def test_login_with_the_authentication_certificate_R_CERT_1(office, card_id, web, site) -> None:
    s, tokens = login_once(office, card_id, web, site)
    claims = id_claims(web, tokens["id_token"])
    assert claims["iss"] == "http://127.0.0.1:8000/api/realms/main"
    assert claims["nonce"] == s.nonce
    info = web.get(f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info == {"sub": claims["sub"]}  # no attribute was asked for: none is released


def test_subject_is_per_site_and_survives_renewal_R_CERT_3(office, card_id, web, site, clock) -> None:
    _, first = login_once(office, card_id, web, site)
    sub = id_claims(web, first["id_token"])["sub"]
    # A renewed authentication certificate (new key, new serial) keeps the same subject.
    later = datetime(2030, 4, 1, 10, 0, tzinfo=JST)
    with office.work(at=later, actor="window") as w:
        old = repo.current_certificate(w.session, card_id, "auth").serial
        assert certificates.renew(w, card_id, "auth", pin=DEMO_PINS["auth"]).serial != old
    clock.set(later, advance=False)
    _, second = login_once(office, card_id, web, site, at=later)
    assert id_claims(web, second["id_token"], later)["sub"] == sub
    with office.work(at=AT, actor="test") as w:
        row = w.session.query(LoginRequest).first()
        assert subject(w, "RP00000002", row.resident_id) != sub  # another site sees another pseudonym


def test_attributes_need_the_signing_certificate_R_CERT_9(office, card_id, web, site) -> None:
    _, tokens = login_once(office, card_id, web, site, "openid name birthdate")
    info = web.get(f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert set(info) == {"sub", "name", "birthdate"}  # only what was asked for
    assert info["name"] and len(info["birthdate"]) == 10

    s = start(web, "openid address")
    request, answer = card_answer(office, card_id, web, s)
    assert request["needs_signing_certificate"]
    for k in ("sign_certificate", "sign_signature"):
        answer.pop(k)
    r = web.post(s.path, json=answer)
    assert r.status_code == 403 and r.json()["refusal"] == "missing_signing"
    assert back(web, s)["error"] == "access_denied"


def test_pkce_mismatch_and_code_replay_are_refused(office, card_id, web, site) -> None:
    s = start(web)
    assert approve(office, card_id, web, s).status_code == 200
    code = back(web, s)["code"]
    bad = exchange(web, code, "x" * 43, site)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    good = exchange(web, code, s.verifier, site)
    assert good.status_code == 200
    again = exchange(web, code, s.verifier, site)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # The tokens of a replayed code are withdrawn.
    r = web.get(f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {good.json()['access_token']}"})
    assert r.status_code == 401


def test_wrong_client_secret_and_redirect_uri_are_refused(office, card_id, web, site) -> None:
    s = start(web)
    approve(office, card_id, web, s)
    code = back(web, s)["code"]
    assert exchange(web, code, s.verifier, "wrong-secret").status_code == 401
    r = exchange(web, code, s.verifier, site, redirect_uri="https://rp.example/other")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_unregistered_redirect_uri_is_never_redirected_to(web) -> None:
    r = web.get(f"{OIDC}/auth", params={"client_id": "RP00000001", "redirect_uri": "https://evil.example/cb"})
    assert r.status_code == 400 and "location" not in r.headers
    assert "リダイレクトURI" in r.text


def test_bad_request_goes_back_with_error_and_state(web) -> None:
    params = {"client_id": "RP00000001", "redirect_uri": REDIRECT, "response_type": "token", "state": "s1"}
    r = web.get(f"{OIDC}/auth", params=params)
    assert r.status_code == 302
    assert "error=unsupported_response_type" in r.headers["location"] and "state=s1" in r.headers["location"]
    params.update(response_type="code", scope="openid", nonce="n", code_challenge="a" * 43)
    params["code_challenge_method"] = "plain"
    r = web.get(f"{OIDC}/auth", params=params)
    assert "error=invalid_request" in r.headers["location"]  # only S256
    del params["nonce"]
    params["code_challenge_method"] = "S256"
    assert "error=invalid_request" in web.get(f"{OIDC}/auth", params=params).headers["location"]  # nonce required


def test_replayed_foreign_and_expired_answers_are_refused(office, card_id, web, site, clock) -> None:
    first, second = start(web), start(web)
    _, answer = card_answer(office, card_id, web, first)
    # An answer to the first request's challenge does not approve the second.
    r = web.post(second.path, json=answer)
    assert r.status_code == 403 and r.json()["refusal"] == "bad_signature"
    assert web.post(first.path, json=answer).status_code == 200
    r = web.post(first.path, json=answer)
    assert r.status_code == 403 and r.json()["refusal"] == "replayed"
    # Five minutes to answer.
    late = start(web)
    _, answer = card_answer(office, card_id, web, late)
    clock.set(AT + timedelta(minutes=6))
    r = web.post(late.path, json=answer)
    assert r.status_code == 403 and r.json()["refusal"] == "expired"
    assert back(web, late)["error"] == "access_denied"


def test_card_on_hold_is_refused_R_LOSS_1(office, card_id, web, site) -> None:
    with office.work(at=AT, actor="hotline") as w:
        holder = repo.resident(w.session, repo.card(w.session, card_id).resident_id)
        loss.hotline_suspend(w, name=holder.name, birth_date=holder.birth_date, caller="本人")
    s = start(web)
    r = approve(office, card_id, web, s)
    assert r.status_code == 403 and r.json()["refusal"] == "on_hold"
    assert "一時保留" in r.json()["error"]["message_ja"]
    assert back(web, s)["error"] == "access_denied"


def test_refusals_are_in_the_event_log(office, card_id, web, site) -> None:
    s = start(web)
    _, answer = card_answer(office, card_id, web, s)
    answer["auth_signature"] = answer["auth_signature"][:-8] + "AAAAAAA="
    assert web.post(s.path, json=answer).status_code == 403
    with office.work(at=AT, actor="test") as w:
        refused = [e for e in w.session.query(Event).all() if e.action == "login_refused"]
    assert refused and refused[-1].details["reason"] == "bad_signature"


def test_signing_transaction_R_CERT_1(office, card_id, web, site) -> None:
    """A client-credentials token opens a transaction over a digest; the holder signs it with
    the signing certificate during the login; the site fetches the signature."""
    cc = web.post(f"{OIDC}/token", data={"grant_type": "client_credentials"}, auth=("RP00000001", site))
    assert cc.status_code == 200 and cc.json()["scope"] == "sign"
    document = "利用規約に同意します。".encode()
    digest = hashlib.sha256(document).digest()
    tx = web.post(
        "/api/sign-transactions",
        json={"digest": base64.b64encode(digest).decode()},
        headers={"Authorization": f"Bearer {cc.json()['access_token']}"},
    )
    assert tx.status_code == 201, tx.text
    tx_id = tx.json()["sign_transaction_id"]
    _, tokens = login_once(office, card_id, web, site, "openid sign", sign_transaction_id=tx_id)
    r = web.get(f"/api/sign-transactions/{tx_id}", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 200, r.text
    cert = x509.load_der_x509_certificate(base64.b64decode(r.json()["certificate"]))
    # The signature is the card's, over the document: anyone can check it with the certificate.
    cert.public_key().verify(base64.b64decode(r.json()["signature"]), document, padding.PKCS1v15(), hashes.SHA256())
    with office.work(at=AT, actor="test") as w:
        assert cert.serial_number == repo.current_certificate(w.session, card_id, "sign").serial
    # The client-credentials token cannot read a login's result, nor can a login open a transaction.
    cc_headers = {"Authorization": f"Bearer {cc.json()['access_token']}"}
    assert web.get(f"/api/sign-transactions/{tx_id}", headers=cc_headers).status_code == 401
    r = web.post(
        "/api/sign-transactions",
        json={"digest": base64.b64encode(digest).decode()},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert r.status_code == 401


def test_sign_scope_needs_an_open_transaction(web) -> None:
    s_params = {"scope": "openid sign", "sign_transaction_id": "65a04b4e-af8b-45a2-8713-5ec2631bab64"}
    r = web.get(f"{OIDC}/auth", params={**base_params(), **s_params})
    assert r.status_code == 302 and "error=invalid_request" in r.headers["location"]


def test_private_key_jwt_client_authentication(office, card_id, web, site) -> None:
    """The real API's client authentication: a JWT signed with the client's own key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public.update(kid="k1", use="sig", alg="RS256")
    with office.work(at=AT, actor="test") as w:
        login.register_client(w, "RP00000002", "鍵で認証するサイト", [REDIRECT], jwks={"keys": [public]})
    token_url = "http://127.0.0.1:8000/api/realms/main/protocol/openid-connect/token"

    def assertion(signing_key, exp_after=timedelta(minutes=1)) -> str:
        now = int(AT.timestamp())
        claims = {
            "iss": "RP00000002",
            "sub": "RP00000002",
            "aud": token_url,
            "jti": secrets.token_hex(8),
            "iat": now,
            "exp": now + int(exp_after.total_seconds()),
        }
        return jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": "k1"})

    form = {"grant_type": "client_credentials", "client_assertion_type": login.ASSERTION_TYPE}
    assert web.post(f"{OIDC}/token", data={**form, "client_assertion": assertion(key)}).status_code == 200
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert web.post(f"{OIDC}/token", data={**form, "client_assertion": assertion(other)}).status_code == 401
    stale = assertion(key, timedelta(seconds=-1))
    assert web.post(f"{OIDC}/token", data={**form, "client_assertion": stale}).status_code == 401


def base_params() -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "RP00000001",
        "redirect_uri": REDIRECT,
        "state": "s",
        "nonce": "n",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }


def test_refusals_before_the_card_are_audited_too(office, card_id, web, site) -> None:
    web.get(f"{OIDC}/auth", params={**base_params(), "redirect_uri": "https://evil.example/cb"})
    s = start(web)
    approve(office, card_id, web, s)
    code = back(web, s)["code"]
    exchange(web, code, "y" * 43, site)  # PKCE mismatch
    with office.work(at=AT, actor="test") as w:
        stages = [
            (e.details.get("stage"), e.details["reason"])
            for e in w.session.query(Event).all()
            if e.action == "login_refused"
        ]
    assert ("authorize", "invalid_request") in stages
    assert ("token", "invalid_grant") in stages


def test_revoked_certificate_is_refused_R_CERT_6(office, card_id, web, site) -> None:
    s = start(web)
    _, answer = card_answer(office, card_id, web, s)  # made with the certificate still on the card
    with office.work(at=AT, actor="window") as w:
        certificates.revoke(w, card_id, "auth")
    r = web.post(s.path, json=answer)
    assert r.status_code == 403 and r.json()["refusal"] == "revoked"
    assert back(web, s)["error"] == "access_denied"
