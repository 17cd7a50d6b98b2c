"""The lean OCSP responder (``mynacard serve-ocsp``, ``mynacard.web.responder``) answers as the
office service does (RFC 6960 appendix A, RFC 5019, R_CERT_8): POST and GET with the base64
request in the path give the publisher's signed answer with the OCSP media type and caching
header; revoked and held certificates with their reason; an unknown serial a signed
``unknown``; garbage ``malformedRequest``; answers come back in order on a kept-alive
connection, and requests it cannot take are refused with a status that says why."""

from __future__ import annotations

import asyncio
import base64
import http.client
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ReasonFlags, ocsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mynacard.db import repositories as repo
from mynacard.services import certificates, pki, revocation
from mynacard.web.clock import Clock
from tests.conftest import skip_or_fail
from tests.services.conftest import at, issued_card, new_resident
from tests.web.test_ocsp_cache import _leaf_and_ca, _request, _verified

NOW = "2025-06-01T10:00"


@contextmanager
def _running(office, **timeouts: float) -> Iterator[int]:
    """A responder of this process on a free port (its own event loop, in a thread)."""
    try:
        from mynacard.web import responder
    except ImportError as e:
        skip_or_fail(f"the lean responder needs the fast extra (pip install -e '.[fast]'): {e}")
    service = responder.Service(office, Clock(at(NOW), advance=False), **timeouts)
    sock = socket.create_server(("127.0.0.1", 0))
    loop = responder.new_event_loop()
    stop = asyncio.Event()
    t = threading.Thread(target=lambda: loop.run_until_complete(responder.serve(service, sock, stop)), daemon=True)
    t.start()
    try:
        yield sock.getsockname()[1]
    finally:
        loop.call_soon_threadsafe(stop.set)
        t.join(10)
        loop.close()
        sock.close()


@pytest.fixture
def port(office):
    with _running(office, idle_timeout=30) as p:
        yield p


def _post(port: int, body: bytes, path: str = "/ocsp/auth") -> http.client.HTTPResponse:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", path, body=body, headers={"Content-Type": "application/ocsp-request"})
    return c.getresponse()


def _get(port: int, path: str) -> http.client.HTTPResponse:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    return c.getresponse()


def test_post_and_get_give_the_publishers_answer_with_the_ocsp_headers_R_CERT_8(office, port):
    leaf, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    req = _request(leaf, ca)
    r = _post(port, req)
    body = r.read()
    assert r.status == 200
    assert r.getheader("content-type") == "application/ocsp-response"
    assert r.getheader("cache-control") == "max-age=60"
    assert int(r.getheader("content-length")) == len(body)
    assert _verified(body).certificate_status == ocsp.OCSPCertStatus.GOOD
    assert body == revocation.answer(office, "auth", req, at=at(NOW))  # the one publisher's bytes
    got = _get(port, "/ocsp/auth/" + quote(base64.b64encode(req).decode(), safe=""))
    assert got.status == 200 and got.getheader("cache-control") == "max-age=60"
    assert got.read() == body
    assert _get(port, "/ocsp/auth/" + base64.urlsafe_b64encode(req).decode().rstrip("=")).read() == body


def test_a_revocation_and_a_hold_are_answered_at_once_with_their_reason_R_CERT_8(office, port):
    revoked_card = issued_card(office, new_resident(office))
    held_card = issued_card(office, new_resident(office))
    revoked, ca = _leaf_and_ca(office, revoked_card)
    held, _ = _leaf_and_ca(office, held_card)
    for leaf in (revoked, held):  # answered once: kept in this process's memory
        assert _verified(_post(port, _request(leaf, ca)).read()).certificate_status == ocsp.OCSPCertStatus.GOOD
    with office.work(at=at("2025-05-31"), actor="clerk") as w:
        certificates.revoke(w, revoked_card, "auth")
        pki.hold(w, repo.latest_certificate(w.session, held_card, "auth"))

    r1 = _verified(_post(port, _request(revoked, ca)).read())
    assert r1.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert r1.revocation_reason in (None, ReasonFlags.unspecified)
    assert r1.revocation_time_utc.replace(tzinfo=UTC) == at("2025-05-31")
    r2 = _verified(_post(port, _request(held, ca)).read())
    assert r2.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert r2.revocation_reason == ReasonFlags.certificate_hold


def test_unknown_serials_get_a_signed_unknown_and_garbage_malformed_request_R_CERT_8(office, port):
    leaf, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    good = ocsp.load_der_ocsp_request(_request(leaf, ca))
    unknown = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        good.issuer_name_hash, good.issuer_key_hash, leaf.serial_number + 1, hashes.SHA1()).build()
    for _ in range(2):  # the second time too: an unknown is never served from memory
        resp = _verified(_post(port, unknown.public_bytes(Encoding.DER)).read())
        assert resp.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
        assert resp.serial_number == leaf.serial_number + 1
    other = ocsp.load_der_ocsp_response(_post(port, _request(leaf, ca), path="/ocsp/sign").read())
    assert other.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    for r in (_post(port, b""), _post(port, b"not ocsp" * 10), _get(port, "/ocsp/auth/%%%not-base64")):
        assert r.status == 200
        assert ocsp.load_der_ocsp_response(r.read()).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    # a nonce is allowed; the pre-signed answer carries none (RFC 8954 2.1), with the right status
    with_nonce = _verified(_post(port, _request(leaf, ca, nonce=b"\x01" * 16)).read())
    assert with_nonce.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert not any(isinstance(e.value, x509.OCSPNonce) for e in with_nonce.extensions)
    too_big = _post(port, b"\x30" * 9000)  # over 8 KiB: answered as garbage, the connection closed
    assert too_big.getheader("connection") == "close"
    assert ocsp.load_der_ocsp_response(too_big.read()).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def _read_responses(sock: socket.socket, n: int) -> list[tuple[bytes, bytes]]:
    """``n`` HTTP responses read from ``sock``: (head, body) each, in the order they came."""
    data, out = b"", []
    while len(out) < n:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {len(out)} responses"
        data += chunk
        while b"\r\n\r\n" in data:
            head, rest = data.split(b"\r\n\r\n", 1)
            length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:"))[15:])
            if len(rest) < length:
                break
            out.append((head, rest[:length]))
            data = rest[length:]
    return out


def test_pipelined_requests_on_one_connection_are_answered_in_order_R_CERT_8(office, port):
    first, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    second, _ = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    _post(port, _request(second, ca)).read()  # the second is in memory, the first is not: it waits for a thread
    msgs = b""
    for leaf in (first, second):
        der = _request(leaf, ca)
        msgs += (b"POST /ocsp/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(der)) + der
    msgs += b"GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(msgs)
        (h1, b1), (h2, b2), (h3, _) = _read_responses(s, 3)
        assert h1.startswith(b"HTTP/1.1 200") and h2.startswith(b"HTTP/1.1 200")
        assert ocsp.load_der_ocsp_response(b1).serial_number == first.serial_number
        assert ocsp.load_der_ocsp_response(b2).serial_number == second.serial_number
        assert h3.startswith(b"HTTP/1.1 404")
        s.sendall(msgs[: msgs.index(b"POST", 10)])  # the connection is still open for more
        ((h4, b4),) = _read_responses(s, 1)
        assert h4.startswith(b"HTTP/1.1 200") and ocsp.load_der_ocsp_response(b4).serial_number == first.serial_number


def test_other_paths_methods_and_broken_http_are_refused_with_a_reason(port):
    r = _get(port, "/api/residents")
    assert r.status == 404 and "mynacard serve" in r.read().decode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("PUT", "/ocsp/auth", body=b"x")
    r = c.getresponse()
    assert r.status == 405 and r.getheader("allow") == "GET, POST"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 400")
        assert s.recv(4096) == b""  # closed
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /ocsp/auth/x HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 70_000 + b"\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 431")


def test_idle_connections_and_requests_sent_too_slowly_are_closed(office):
    with _running(office, idle_timeout=0.5, request_timeout=0.5) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as idle, \
                socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
            slow.sendall(b"POST /ocsp/auth HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0")  # and no more
            assert idle.recv(100) == b""  # closed by the responder (within its once-a-second sweep)
            assert slow.recv(100) == b""


_LINES = st.sampled_from([b"", b"POST /ocsp/auth HTTP/1.1\r\n", b"GET /ocsp/sign/", b"POST /ocsp/auth HTTP/1.0\r\n",
                          b"GET /crl/auth.crl HTTP/1.1\r\nHost: x\r\n\r\n"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.tuples(_LINES, st.binary(max_size=600)).map(b"".join))
def test_junk_gets_an_http_answer_or_a_closed_connection_never_a_dead_responder(port, junk):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    assert got == b"" or got.startswith(b"HTTP/1.1 ")
    assert _get(port, "/ocsp/auth/%%%").status == 200  # and the responder answers the next one
