"""What a unit of work that changes statuses publishes before its commit (R_CERT_8): responses
signed again for a few changes, dropped for many (a batch) and signed when next asked; the Redis
copies of the changed answers gone; only the CRLs that list the change made stale."""

from __future__ import annotations

import logging
import secrets
import threading

from cryptography import x509

from mynacard.db import repositories as repo
from mynacard.db.staff import OcspCacheEntry
from mynacard.services import certificates, loss, revocation
from mynacard.services.revocation import cache, crls
from tests.services.conftest import KANAZAWA, NAKANOTO, at, issued_card, new_resident

CHANGE = at("2026-03-02")


def _serials(office, card_id: str) -> list[int]:
    with office.work(at=at("2026-03-01"), actor="reader") as w:
        return [repo.latest_certificate(w.session, card_id, k).serial for k in ("sign", "auth")]


def _answered(office, serials: list[int]) -> None:
    """Each certificate asked about once: its response is signed and kept."""
    with office.work(at=at("2026-03-01"), actor="ocsp") as w:
        for serial in serials:
            revocation.response_der(w, repo.certificate(w.session, serial))


def _kept(office, serial: int) -> OcspCacheEntry | None:
    with office.work(at=CHANGE, actor="reader") as w:
        row = w.session.get(OcspCacheEntry, serial)
        if row is not None:
            w.session.expunge(row)
        return row


def test_up_to_the_limit_the_changed_responses_are_signed_again_in_the_same_unit_of_work_R_CERT_8(office, monkeypatch):
    monkeypatch.setattr(revocation, "EAGER_SIGN_LIMIT", 2)
    card_id = issued_card(office, new_resident(office))
    serials = _serials(office, card_id)
    _answered(office, serials)
    with office.work(at=CHANGE, actor="clerk") as w:
        loss.report_loss(w, card_id)  # two changes: both certificates on hold
    for serial in serials:
        row = _kept(office, serial)
        assert row is not None
        assert (row.status, row.produced_at) == ("hold", CHANGE)


def test_beyond_the_limit_the_changed_responses_are_dropped_and_signed_when_asked_R_CERT_8(office, monkeypatch):
    monkeypatch.setattr(revocation, "EAGER_SIGN_LIMIT", 2)
    lost = issued_card(office, new_resident(office, name="紛失 花子"))
    moved = issued_card(office, new_resident(office, name="署名 次郎"))
    untouched = issued_card(office, new_resident(office, name="無事 三郎"))
    changed = [*_serials(office, lost), _serials(office, moved)[0]]
    other = _serials(office, untouched)
    _answered(office, changed + other)
    with office.work(at=CHANGE, actor="clerk") as w:  # three changes in one unit of work
        loss.report_loss(w, lost)
        certificates.revoke(w, moved, "sign")
    assert [_kept(office, s) for s in changed] == [None, None, None]
    assert all(_kept(office, s).status == "good" for s in other)
    with office.work(at=CHANGE, actor="ocsp") as w:
        statuses = [
            x509.ocsp.load_der_ocsp_response(revocation.response_der(w, repo.certificate(w.session, s)))
            for s in changed
        ]
    assert [s.certificate_status.name for s in statuses] == ["REVOKED", "REVOKED", "REVOKED"]
    assert [s.revocation_reason for s in statuses] == [  # a hold is "revoked" with the reason certificateHold
        x509.ReasonFlags.certificate_hold,
        x509.ReasonFlags.certificate_hold,
        None,  # a voluntary revocation: no reason code (RFC 5280 leaves "unspecified" out)
    ]
    assert _kept(office, changed[0]).status == "hold"
    assert _kept(office, changed[2]).status == "revoked"


def test_a_change_deletes_the_redis_copy_of_the_answer_before_its_commit_R_CERT_8(office, redis, monkeypatch):
    """A batch's changes are not signed again: the copies in Redis must not outlive them."""
    client, used = redis
    monkeypatch.setattr(revocation, "EAGER_SIGN_LIMIT", 0)
    changed = issued_card(office, new_resident(office))
    untouched = issued_card(office, new_resident(office, name="無事 三郎"))
    sign, auth = _serials(office, changed)
    other = _serials(office, untouched)[0]
    used += [sign, auth, other]
    _answered(office, [sign, auth, other])
    assert all(client.exists(cache._KEY.format(s)) for s in (sign, auth, other))
    with office.work(at=CHANGE, actor="clerk") as w:
        certificates.revoke(w, changed, "auth")
        w.session.flush()
    assert not client.exists(cache._KEY.format(auth))
    assert client.exists(cache._KEY.format(sign)) and client.exists(cache._KEY.format(other))


def test_a_change_makes_stale_only_the_crls_that_list_it_R_CERT_8(office):
    here = issued_card(office, new_resident(office))
    there = issued_card(office, new_resident(office, name="金沢 四郎", municipality_code=KANAZAWA))
    with office.work(at=at("2026-03-02T09:00"), actor="crl") as w:
        before = {scope: crls.full_crl(w, "sign", scope) for scope in ("", NAKANOTO, KANAZAWA)}
        auth_before = crls.full_crl(w, "auth", NAKANOTO)
    with office.work(at=CHANGE, actor="clerk") as w:
        certificates.revoke(w, here, "sign")
    with office.work(at=at("2026-03-02T11:00"), actor="crl") as w:
        after = {scope: crls.full_crl(w, "sign", scope) for scope in ("", NAKANOTO, KANAZAWA)}
        auth_after = crls.full_crl(w, "auth", NAKANOTO)
    assert after[KANAZAWA] == before[KANAZAWA]  # another municipality's partition: the same CRL
    assert auth_after == auth_before  # the other CA's: the same CRL
    for scope in ("", NAKANOTO):  # the CA-wide CRL and the card's municipality's: new, listing it
        assert after[scope] != before[scope]
        crl = x509.load_der_x509_crl(after[scope])
        assert crl.get_revoked_certificate_by_serial_number(_serials(office, here)[0]) is not None
    assert there  # the other municipality has a card of its own, not listed anywhere
    crl = x509.load_der_x509_crl(after[KANAZAWA])
    assert crl.get_revoked_certificate_by_serial_number(_serials(office, there)[0]) is None


def test_without_redis_a_change_warns_of_nothing_R_CERT_8(office, monkeypatch, caplog):
    monkeypatch.delenv(cache.REDIS_ENV, raising=False)
    card_id = issued_card(office, new_resident(office))
    with caplog.at_level(logging.WARNING), office.work(at=CHANGE, actor="clerk") as w:
        certificates.revoke(w, card_id, "auth")
    # only this thread's records: an OCSP change listener another test left running may warn meanwhile
    here = threading.get_ident()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.thread == here] == []


def test_a_batch_deletes_its_redis_copies_a_thousand_keys_at_a_time_R_CERT_8(office, redis, monkeypatch):
    """2,500 changed answers: all deleted, in three commands of at most 1,000 keys (a national
    batch must neither make one round trip per key nor one unbounded command)."""
    client, used = redis
    serials = [secrets.randbits(60) + 1 for _ in range(2_500)]
    used += serials
    client.mset({cache._KEY.format(s): b"old answer" for s in serials})
    calls: list[int] = []
    delete = client.delete

    def counted(*names):
        calls.append(len(names))
        return delete(*names)

    monkeypatch.setattr(client, "delete", counted)
    cache.record_changes(serials)
    assert client.exists(*[cache._KEY.format(s) for s in serials]) == 0
    assert calls == [1000, 1000, 500]


def test_an_unreachable_redis_is_warned_of_and_the_change_still_commits_R_CERT_8(office, monkeypatch, caplog):
    monkeypatch.setenv(cache.REDIS_ENV, "redis://127.0.0.1:1/0")  # nothing listens on port 1
    card_id = issued_card(office, new_resident(office))
    try:
        with caplog.at_level(logging.WARNING), office.work(at=CHANGE, actor="clerk") as w:
            certificates.revoke(w, card_id, "auth")
    finally:
        cache._redis_clients.pop("redis://127.0.0.1:1/0", None)
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "could not delete OCSP responses from Redis: ConnectionError" in warned
    assert "could not write OCSP responses to Redis: ConnectionError" in warned  # after the commit
    with office.work(at=CHANGE, actor="reader") as w:
        assert repo.latest_certificate(w.session, card_id, "auth").status == "revoked"
