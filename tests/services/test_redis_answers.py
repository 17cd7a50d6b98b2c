"""OCSP answers kept in Redis for every worker (R_CERT_8): what a unit of work writes there after
its commit, for how long a worker serves it, one client per process, and what an installation
without the redis package is told."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from mynacard.ca.ocsp import RESPONSE_LIFETIME
from mynacard.db import repositories as repo
from mynacard.errors import ConfigError
from mynacard.services import revocation
from mynacard.services.revocation import cache
from mynacard.services.revocation.ocsp import REFRESH_BEFORE
from tests.services.conftest import at, issued_card, new_resident

SIGNED = at("2026-03-01T10:00")
SECOND = timedelta(seconds=1)


def test_a_signed_response_is_served_from_redis_until_it_is_due_for_renewal_R_CERT_8(office, redis):
    client, used = redis
    card_id = issued_card(office, new_resident(office))
    with office.work(at=SIGNED, actor="ocsp") as w:
        cert = repo.latest_certificate(w.session, card_id, "auth")
        serial = cert.serial
        used.append(serial)
        der = revocation.response_der(w, cert)
    assert 2 * 86400 - 60 < client.ttl(cache._KEY.format(serial)) <= 2 * 86400  # gone in two days unless renewed
    worker = cache.Answers(office.store)
    worker.remember_request("auth", b"a request", serial)
    renew_at = SIGNED + RESPONSE_LIFETIME - REFRESH_BEFORE
    assert worker.lookup("auth", b"a request", SIGNED) == der
    assert worker.lookup("auth", b"a request", renew_at - SECOND) == der
    assert worker.lookup("auth", b"a request", renew_at) is None  # signed again from the store instead
    assert worker.lookup("auth", b"a request", SIGNED - SECOND) is None  # not yet produced at that time
    worker.remember_request("sign", b"a request", serial)
    assert worker.lookup("sign", b"a request", SIGNED) is None  # the other CA's answer: never this one


def test_one_redis_client_serves_the_whole_process_and_gives_up_on_a_silent_server_in_two_seconds(redis):
    client, _ = redis
    assert cache.redis_client() is client
    assert cache.redis_client() is client
    options = client.connection_pool.connection_kwargs  # an OCSP worker falls back to the store, never hangs
    assert (options["socket_timeout"], options["socket_connect_timeout"]) == (2, 2)


def test_without_the_redis_package_the_setting_is_refused_with_what_to_do(monkeypatch):
    url = "redis://127.0.0.1:6379/8"
    monkeypatch.setenv(cache.REDIS_ENV, url)
    monkeypatch.setitem(sys.modules, "redis", None)  # as if not installed
    with pytest.raises(ConfigError) as err:
        cache.redis_client()
    assert err.value.message == (
        "MYNACARD_REDIS is set but the redis client is not installed: pip install 'mynacard[redis]', "
        "or unset MYNACARD_REDIS."
    )
    assert err.value.message_ja == (
        "MYNACARD_REDIS が設定されていますが redis クライアントがありません。"
        "pip install 'mynacard[redis]' を実行するか、設定を外してください。"
    )
    assert url not in cache._redis_clients
