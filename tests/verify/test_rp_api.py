"""The relying-party API: credentials and audit per relying party, verification, status,
linkage through a renewal and a move (one user ID throughout), attributes only with the holder's
consent, notifications to a webhook; the TSA over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

import pytest
from asn1crypto import core, tsp
from fastapi.testclient import TestClient
from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.staff import AuditEntry
from mynacard.relying import service as rp_service
from mynacard.services import certificates, face
from mynacard.services.vcard import DEMO_PINS
from mynacard.timeutil import JST
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from mynacard.web.deps import auth
from tests.verify.conftest import AT, SIGNED, b64

RENEWED = datetime(2030, 4, 1, 10, 0, tzinfo=JST)  # inside the renewal window of the signing certificate
MOVED_LATE = datetime(2030, 5, 1, 10, 0, tzinfo=JST)


@pytest.fixture
def clock():
    return Clock(SIGNED, advance=False)


@pytest.fixture
def client(office, card_id, clock):
    return TestClient(create_app(office, clock=clock), raise_server_exceptions=False)


@pytest.fixture
def rp(office):
    """A registered relying party: (client_id, HTTP Basic header)."""
    with office.work(at=AT, actor="test admin") as w:
        reg = rp_service.register(w, "e-Tax (sandbox)", webhook_url="http://127.0.0.1:9/hook")
        cid, secret, hook = reg.relying_party.client_id, reg.secret, reg.webhook_secret
    header = "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()
    return cid, {"Authorization": header}, hook


def audit_of(office, actor: str) -> list[AuditEntry]:
    with office.store.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id)))


def test_calls_without_valid_credentials_are_refused_and_audited(client, office, rp) -> None:
    cid, _, _ = rp
    r = client.post("/api/rp/status", json={"serial": "1"})
    assert r.status_code == 401
    bad = {"Authorization": "Basic " + base64.b64encode(f"{cid}:wrong".encode()).decode()}
    r = client.post("/api/rp/status", json={"serial": "1"}, headers=bad)
    assert r.status_code == 401
    assert r.json()["error"]["message_ja"]
    refused = audit_of(office, cid)
    assert [(e.action, e.outcome) for e in refused] == [("rp.status", "denied")]
    assert [e.outcome for e in audit_of(office, "anonymous")] == ["denied"]


def test_verify_endpoint_gives_the_verdict(client, signer, rp) -> None:
    _, h, _ = rp
    data, _ = signer.sign("xades", ts=SIGNED)
    r = client.post("/api/rp/verify", json={"signature": b64(data)}, headers=h)
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["status"] == "valid" and v["signer"]["name"] == "見本 太郎" and v["timestamp"]
    r = client.post("/api/rp/verify", json={"signature": b64(b"\x30\x80garbage")}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "malformed"
    r = client.post("/api/rp/verify", json={"signature": "not base64!"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "malformed"


def _cert_b64(client, h, data: bytes) -> tuple[str, str]:
    v = client.post("/api/rp/verify", json={"signature": b64(data)}, headers=h).json()
    assert v["status"] == "valid", v
    return v["certificate"]["serial"], v["certificate"]["der"]


def test_a_relying_party_keeps_one_user_id_through_a_renewal_and_a_move(office, card_id, client, clock, signer, rp):
    cid, h, hook_secret = rp
    users: dict[str, str] = {}  # the relying party's own table: certificate serial -> user ID
    known: dict[str, str] = {}  # user ID -> the newest certificate it knows (base64 DER)

    def receive(data: bytes) -> str:
        """What the relying party does with a signed filing: verify, then find or link the user."""
        serial, der = _cert_b64(client, h, data)
        if serial not in users:
            for user, cert in known.items():
                link = client.post("/api/rp/linkage", json={"certificate": cert}, headers=h)
                assert link.status_code == 200, link.text
                if serial in [c["serial"] for c in link.json()["successors"]]:
                    users[serial] = user
                    break
            else:
                users[serial] = f"user-{len(known) + 1}"
        known[users[serial]] = der
        return users[serial]

    first = receive(signer.sign("xades", at=SIGNED)[0])
    link = client.post("/api/rp/linkage", json={"certificate": known[first]}, headers=h).json()
    assert link["same_card"]["kind"] == "auth" and link["successors"] == []

    with office.work(at=RENEWED, actor="clerk") as w:
        certificates.renew(w, card_id, "sign", pin=DEMO_PINS["sign"])
    clock.set(RENEWED + timedelta(hours=1), advance=False)
    assert receive(signer.sign("xades", at=RENEWED + timedelta(minutes=5))[0]) == first

    with office.work(at=MOVED_LATE, actor="clerk") as w:
        card = repo.card(w.session, card_id)
        assert card is not None
        face.move_within(
            w, card.resident_id, new_address="石川県鹿島郡中能登町井田1番地", new_signing_pin=DEMO_PINS["sign"]
        )
    clock.set(MOVED_LATE + timedelta(hours=1), advance=False)
    assert receive(signer.sign("xades", at=MOVED_LATE + timedelta(minutes=5))[0]) == first
    assert len(set(users.values())) == 1 and len(users) == 3

    link = client.post("/api/rp/linkage", json={"certificate": known[first]}, headers=h).json()
    assert link["certificate"]["status"] == "good"  # the newest one

    # the renewed certificate, revoked by the move, was pushed to the webhook (and can be polled)
    items = client.get("/api/rp/notifications", headers=h).json()
    assert [(n["event"], n["reason"]) for n in items][-1] == ("revoked", "affiliation_changed")
    # a webhook that does not answer 2xx keeps them pending for the next run
    assert rp_service.deliver(office, at=MOVED_LATE + timedelta(hours=2), post=lambda *a: 503) == {}
    posts = []
    sent = rp_service.deliver(
        office,
        at=MOVED_LATE + timedelta(hours=2),
        post=lambda url, body, headers: posts.append((url, body, headers)) or 204,
    )
    assert sent == {cid: len(items)}
    url, body, headers = posts[0]
    assert url == "http://127.0.0.1:9/hook"
    expected = "sha256=" + hmac.new(hook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Mynacard-Signature"] == expected
    assert json.loads(body)["notifications"][-1]["event"] == "revoked"
    assert rp_service.deliver(office, at=MOVED_LATE + timedelta(hours=3), post=lambda *a: 204) == {}
    # the webhook can move; only http(s) URLs
    r = client.put("/api/rp/webhook", json={"url": "http://127.0.0.1:9/new"}, headers=h)
    assert r.status_code == 200 and r.json()["webhook_secret"]
    assert client.put("/api/rp/webhook", json={"url": "file:///etc/passwd"}, headers=h).status_code == 422
    actions = {e.action for e in audit_of(office, cid)}
    assert {"rp.verify", "rp.linkage", "rp.notifications", "rp.notify"} <= actions


def test_status_by_serial_and_certificate(client, signer, office, card_id, rp) -> None:
    _, h, _ = rp
    serial, der = _cert_b64(client, h, signer.sign("cms")[0])
    assert client.post("/api/rp/status", json={"serial": serial}, headers=h).json()["status"] == "good"
    assert client.post("/api/rp/status", json={"certificate": der}, headers=h).json()["serial"] == serial
    r = client.post("/api/rp/status", json={"serial": "abcdef"}, headers=h)
    assert r.status_code == 404
    r = client.post("/api/rp/status", json={}, headers=h)
    assert r.status_code == 422


def test_attributes_only_with_the_holders_consent(client, signer, office, card_id, rp, tmp_path) -> None:
    cid, h, _ = rp
    _, der = _cert_b64(client, h, signer.sign("cms")[0])
    r = client.post("/api/rp/attributes", json={"certificate": der}, headers=h)
    assert r.status_code == 403
    assert ("rp.attributes", "denied") in [(e.action, e.outcome) for e in audit_of(office, cid)]

    other = json.dumps({"relying_party": "rp-someoneelse", "consent": "attributes"}).encode()
    consent = signer.sign_bytes(other)
    assert client.post("/api/rp/consents", json={"signature": b64(consent)}, headers=h).status_code == 403
    statement = json.dumps({"relying_party": cid, "consent": "attributes"}).encode()
    r = client.post("/api/rp/consents", json={"signature": b64(signer.sign_bytes(statement))}, headers=h)
    assert r.status_code == 201, r.text
    r = client.post("/api/rp/attributes", json={"certificate": der}, headers=h)
    assert r.status_code == 200
    assert r.json()["address"] == "石川県鹿島郡中能登町能登部下91部23番地"
    with office.work(at=SIGNED, actor="clerk") as w:
        card = repo.card(w.session, card_id)
        assert card is not None
        face.move_within(w, card.resident_id, new_address="石川県鹿島郡中能登町井田1番地")
        rp_service.withdraw_consent(
            w, rp_service.by_client_id(w, cid), repo.certificate(w.session, int(_cert_serial(der), 16)).serial
        )
    assert client.post("/api/rp/attributes", json={"certificate": der}, headers=h).status_code == 403


def _cert_serial(der_b64: str) -> str:
    from cryptography import x509

    return format(x509.load_der_x509_certificate(base64.b64decode(der_b64)).serial_number, "x")


def test_latest_attributes_follow_a_move(client, signer, office, card_id, rp) -> None:
    cid, h, _ = rp
    serial, der = _cert_b64(client, h, signer.sign("cms")[0])
    with office.work(at=SIGNED, actor="clerk") as w:
        rp_service.give_consent(w, rp_service.by_client_id(w, cid), int(serial, 16))
        card = repo.card(w.session, card_id)
        assert card is not None
        face.move_within(w, card.resident_id, new_address="石川県鹿島郡中能登町井田1番地")
    r = client.post("/api/rp/attributes", json={"certificate": der}, headers=h)
    assert r.status_code == 200 and r.json()["address"] == "石川県鹿島郡中能登町井田1番地"


def test_each_relying_party_has_its_own_credentials_and_audit(client, office, rp, signer) -> None:
    cid, h, _ = rp
    with office.work(at=AT, actor="test admin") as w:
        reg = rp_service.register(w, "another bank")
        cid2, secret2 = reg.relying_party.client_id, reg.secret
    h2 = {"Authorization": "Basic " + base64.b64encode(f"{cid2}:{secret2}".encode()).decode()}
    serial, _ = _cert_b64(client, h, signer.sign("cms")[0])
    client.post("/api/rp/status", json={"serial": serial}, headers=h2)
    assert [e.action for e in audit_of(office, cid2)] == ["rp.status"]
    assert "rp.status" not in [e.action for e in audit_of(office, cid)]
    cross = {"Authorization": "Basic " + base64.b64encode(f"{cid}:{secret2}".encode()).decode()}
    assert client.post("/api/rp/status", json={"serial": serial}, headers=cross).status_code == 401


def test_admin_registers_relying_parties(client, office) -> None:
    auth.create_account(office.store, username="root", password="correct horse battery", role="admin")
    auth.create_account(
        office.store, username="clerk", password="correct horse battery", role="clerk", municipality_code="174076"
    )
    tokens = {}
    for name in ("root", "clerk"):
        r = client.post("/api/login", json={"username": name, "password": "correct horse battery"})
        tokens[name] = {"Authorization": f"Bearer {r.json()['token']}"}
    r = client.post("/api/admin/relying-parties", json={"name": "city hall portal"}, headers=tokens["clerk"])
    assert r.status_code == 403
    r = client.post("/api/admin/relying-parties", json={"name": "city hall portal"}, headers=tokens["root"])
    assert r.status_code == 201
    out = r.json()
    header = "Basic " + base64.b64encode(f"{out['client_id']}:{out['secret']}".encode()).decode()
    assert client.get("/api/rp/notifications", headers={"Authorization": header}).status_code == 200
    listed = client.get("/api/admin/relying-parties", headers=tokens["root"]).json()
    assert [p["client_id"] for p in listed] == [out["client_id"]] and "secret" not in listed[0]
    r = client.post("/api/admin/relying-parties", json={"name": "x", "webhook_url": "ftp://x"}, headers=tokens["root"])
    assert r.status_code == 422


def test_tsa_over_http(client) -> None:
    from pyhanko.sign.timestamps.api import TimeStamper

    _, req = TimeStamper().request_cms(hashlib.sha256(b"doc").digest(), "sha256")
    r = client.post("/tsa", content=req.dump(), headers={"Content-Type": "application/timestamp-query"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/timestamp-reply"
    resp = tsp.TimeStampResp.load(r.content)
    assert resp["status"]["status"].native == "granted"
    info = resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["gen_time"].native == SIGNED
    assert info["nonce"].native == req["nonce"].native
    bad = client.post("/tsa", content=b"garbage", headers={"Content-Type": "application/timestamp-query"})
    status = tsp.PKIStatusInfo.load(core.Sequence.load(bad.content).contents)  # no token in a rejection
    assert status["status"].native == "rejection" and status["fail_info"].native == {"bad_data_format"}
    assert client.post("/tsa", content=req.dump(), headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.get("/tsa/root.cer").status_code == 200
    assert client.get("/tsa/nothing.cer").status_code == 404


def test_tsa_at_a_time_x509_cannot_hold_refuses_cleanly(client, clock) -> None:
    from pyhanko.sign.timestamps.api import TimeStamper

    clock.set(datetime(1940, 1, 1, tzinfo=JST), advance=False)
    _, req = TimeStamper().request_cms(hashlib.sha256(b"doc").digest(), "sha256")
    r = client.post("/tsa", content=req.dump(), headers={"Content-Type": "application/timestamp-query"})
    status = tsp.PKIStatusInfo.load(core.Sequence.load(r.content).contents)
    assert r.status_code == 200 and status["fail_info"].native == {"time_not_available"}
    assert client.get("/tsa/root.cer").status_code == 409
