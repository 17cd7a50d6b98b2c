"""OCSP responses per second: ``mynacard serve --workers W`` against ``openssl ocsp``
serving the same CA, the same delegated responder, the same index and the same requests.

    python bench/ocsp.py [-m 1000] [--workers 2] [--openssl-multi 1] [--clients 2] [--threads 4] [--seconds 5]

M authentication certificates are issued (one key for all; 10% revoked, 5% held), the store's
pre-signed responses are warmed by one pass, and each server is then driven by the same client:
``--clients`` processes of ``--threads`` threads each POSTing DER requests for random serials,
one connection per request (openssl ocsp closes it after each answer). Rounds alternate between
the two servers. Every answer is parsed and its status checked against the index. Last line:
``RESULT ocsp <ours/s> <openssl/s> ratio=<ours/openssl>``.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.args}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _client(port: int, path: str, requests: list[tuple[bytes, str]], seconds: float, threads: int,
            out: multiprocessing.Queue) -> None:
    from cryptography.x509 import ocsp

    stop = time.monotonic() + seconds
    counts = [0] * threads
    wrong = [0] * threads

    def run(i: int) -> None:
        rng = random.Random(i)
        while time.monotonic() < stop:
            der, expected = requests[rng.randrange(len(requests))]
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("POST", path, body=der, headers={"Content-Type": "application/ocsp-request"})
            body = c.getresponse().read()
            c.close()
            if ocsp.load_der_ocsp_response(body).certificate_status.name.lower() != expected:
                wrong[i] += 1
            counts[i] += 1

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((sum(counts), sum(wrong)))


_WRK_LUA = """
local reqs = {}
init = function(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  local headers = {["Content-Type"] = "application/ocsp-request"}
  if args[3] == "close" then headers["Connection"] = "close" end
  while pos < #data do
    local n = data:byte(pos) * 256 + data:byte(pos + 1)
    local body = data:sub(pos + 2, pos + 1 + n)
    reqs[#reqs + 1] = wrk.format("POST", args[2], headers, body)
    pos = pos + 2 + n
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
request = function()
  return reqs[math.random(#reqs)]
end
"""


def check(port: int, path: str, requests: list[tuple[bytes, str]]) -> int:
    """Every request once, each answer parsed and its status compared with the index: the wrong ones."""
    from cryptography.x509 import ocsp

    wrong = 0
    for der, expected in requests:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", path, body=der, headers={"Content-Type": "application/ocsp-request"})
        body = c.getresponse().read()
        c.close()
        if ocsp.load_der_ocsp_response(body).certificate_status.name.lower() != expected:
            wrong += 1
    return wrong


def drive_wrk(port: int, path: str, work: Path, a: argparse.Namespace, close: bool) -> tuple[float, str]:
    """Requests/s that wrk measured (random requests of the set), and wrk's error line if any."""
    out = subprocess.run(
        ["wrk", "-t", str(a.threads), "-c", str(a.connections), "-d", f"{max(1, round(a.seconds))}s", "-s",
         str(work / "ocsp.lua"), f"http://127.0.0.1:{port}{path}", "--", str(work / "requests.bin"), path,
         "close" if close else "keep"],
        capture_output=True, text=True, check=True).stdout
    rate = float(out.split("Requests/sec:")[1].split()[0])
    errors = " ".join(line.strip() for line in out.splitlines() if "errors" in line or "Non-2xx" in line)
    return rate, errors


def drive(port: int, path: str, requests: list[tuple[bytes, str]], a: argparse.Namespace) -> tuple[float, int]:
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(port, path, requests, a.seconds, a.threads, q))
             for _ in range(a.clients)]
    t = time.perf_counter()
    for p in procs:
        p.start()
    got = [q.get() for _ in procs]
    for p in procs:
        p.join()
    dt = time.perf_counter() - t
    return sum(g[0] for g in got) / dt, sum(g[1] for g in got)


def setup(work: Path, m: int):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp
    from revdata import MASTER_KEY, T0

    from mynacard.ca import CertRequest
    from mynacard.crypto import new_rsa_key
    from mynacard.db.models import Card, Certificate, Resident
    from mynacard.db.store import Store
    from mynacard.services import pki, residents, revocation
    from mynacard.services.context import Office

    db = str(work / "ocsp.db")
    store = Store(db)
    store.migrate()
    (work / "ocsp.db.key").write_bytes(__import__("base64").b64encode(MASTER_KEY))
    office = Office(store=store, master_key=MASTER_KEY)
    key = new_rsa_key()
    index, requests = [], []
    with office.work(at=T0 - timedelta(days=1), actor="bench") as w:
        residents.add_municipality(w, "174076", "中能登町", "石川県")
        w.session.add(Resident(id=1, number_sealed=b"\0", number_hash="0" * 64, name="b", address="b",
                               birth_date=date(1990, 1, 1), sex="1", municipality_code="174076",
                               created_at=T0))
        w.session.flush()
        w.session.add(Card(id="C1", resident_id=1, application_id="0", state="issued"))
        ca = pki.authority(w, "auth")
        w.session.flush()
        for i in range(m):
            cert = ca.issue(CertRequest(public_key=key.public_key(), not_before=T0 - timedelta(days=1),
                                        expires_on=date(2030, 6, 15), municipality_code="174076"), at=T0)
            status = "revoked" if i % 10 == 1 else "hold" if i % 20 == 2 else "good"
            w.session.add(Certificate(
                serial=cert.serial_number, kind="auth", card_id="C1", resident_id=1, municipality_code="174076",
                status=status, not_before=T0 - timedelta(days=1), expires_on=date(2030, 6, 15),
                revoked_at=None if status == "good" else T0 - timedelta(hours=2),
                reason=None if status == "good" else "certificate_hold" if status == "hold" else "key_compromise",
                der=cert.public_bytes(serialization.Encoding.DER)))
            req = ocsp.OCSPRequestBuilder().add_certificate(cert, ca.certificate, hashes.SHA1()).build()
            requests.append((req.public_bytes(serialization.Encoding.DER), "good" if status == "good" else "revoked"))
            when = (T0 - timedelta(hours=2)).astimezone(UTC).strftime("%y%m%d%H%M%SZ")
            flag = "V" if status == "good" else "R"
            rev = "" if status == "good" else f"{when},{'certificateHold' if status == 'hold' else 'keyCompromise'}"
            index.append(f"{flag}\t300615145959Z\t{rev}\t{cert.serial_number:X}\tunknown\t/CN=c{i}\n")
        r = revocation.responder(w, "auth")
    (work / "index.txt").write_text("".join(index))
    (work / "ca.pem").write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    (work / "rsigner.pem").write_bytes(r.certificate.public_bytes(serialization.Encoding.PEM))
    (work / "rkey.pem").write_bytes(r.key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    for der, _ in requests:  # warm the pre-signed responses
        revocation.answer(office, "auth", der, at=T0)
    store.dispose()
    _ = x509
    return db, requests


def _wait_port(port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(0.3)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"openssl ocsp did not start on port {port}: {log.read_text()}")


def _stop_group(pgid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        time.sleep(1)


def _stop(p: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(p.pid, sig)
            p.wait(10)
            return
        except ProcessLookupError:
            p.wait(10)
            return
        except subprocess.TimeoutExpired:
            continue


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--client", choices=["wrk", "python"], default="wrk",
                    help="load generator: wrk (C, default) or Python processes x threads")
    ap.add_argument("--connections", type=int, default=32, help="wrk: open connections")
    ap.add_argument("--clients", type=int, default=2, help="python client: processes")
    ap.add_argument("--threads", type=int, default=4, help="wrk threads / python threads per process")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--openssl-multi", type=int, default=0, help="openssl ocsp -multi N (default: --workers)")
    a = ap.parse_args()
    a.openssl_multi = a.openssl_multi or a.workers
    from revdata import T0

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        db, requests = setup(work, a.m)
        print(f"setup: {a.m} certificates issued and their responses pre-signed in {time.perf_counter() - t:.1f} s")
        p1, p2 = _free_port(), _free_port()
        ours = subprocess.Popen(
            [sys.executable, "-m", "mynacard.cli.main", "--db", db, "--at", T0.isoformat(), "serve", "--frozen",
             "--port", str(p1), "--workers", str(a.workers), "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "MYNACARD_KEY_FILE": db + ".key"},
            start_new_session=True)
        theirs = subprocess.Popen(
            ["openssl", "ocsp", "-index", str(work / "index.txt"), "-port", str(p2), "-rsigner",
             str(work / "rsigner.pem"), "-rkey", str(work / "rkey.pem"), "-CA", str(work / "ca.pem"),
             "-nmin", "1440", "-ignore_err", "-multi", str(a.openssl_multi),
             "-timeout", "1"],
            stdout=open(work / "openssl.out", "wb"), stderr=open(work / "openssl.log", "wb"))  # it setsid()s itself
        try:
            _wait(p1, ours)
            _wait_port(p2, work / "openssl.log")
            # with -multi, openssl ocsp leaves its first process and runs on as a new session
            # leader, whose PID it prints: that is the group to stop afterwards
            log = (work / "openssl.log").read_text() + (work / "openssl.out").read_text()
            leader = int(log.split("PID=")[1].split()[0]) if "PID=" in log else theirs.pid
            print(f"check: every request once to each server, wrong statuses: "
                  f"mynacard {check(p1, '/ocsp/auth', requests)}, openssl {check(p2, '/', requests)}")
            mine, other, mine_close = [], [], []
            (work / "ocsp.lua").write_text(_WRK_LUA)
            (work / "requests.bin").write_bytes(b"".join(len(d).to_bytes(2, "big") + d for d, _ in requests))
            for r in range(a.rounds):
                print(f"round {r + 1}: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
                if a.client == "python":
                    rate, wrong = drive(p1, "/ocsp/auth", requests, a)
                    mine.append(rate)
                    print(f"  mynacard serve --workers {a.workers}: {rate:8.0f} responses/s (wrong statuses: {wrong})")
                    rate, wrong = drive(p2, "/", requests, a)
                    other.append(rate)
                    print(f"  openssl ocsp -multi {a.openssl_multi}: {rate:8.0f} responses/s (wrong statuses: {wrong})")
                    continue
                rate, err = drive_wrk(p1, "/ocsp/auth", work, a, close=False)
                mine.append(rate)
                print(f"  mynacard serve --workers {a.workers}, wrk keep-alive: {rate:8.0f} responses/s {err}")
                rate, wrong = drive(p1, "/ocsp/auth", requests, a)
                mine_close.append(rate)
                print(f"  mynacard serve --workers {a.workers}, python client, conn each: {rate:8.0f} responses/s"
                      f" (wrong statuses: {wrong})")
                rate, wrong = drive(p2, "/", requests, a)
                other.append(rate)
                print(f"  openssl ocsp -multi {a.openssl_multi}, python client, conn each:   {rate:8.0f} responses/s"
                      f" (wrong statuses: {wrong})")
        finally:
            _stop(ours)  # the group of uvicorn and its workers
            _stop_group(locals().get("leader", theirs.pid))
    o, t2 = max(mine), max(other)
    print(f"machine: {os.cpu_count()} cores, client ({a.client}) and servers on the same machine; "
          f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if mine_close:
        print(f"RESULT ocsp-same-client {max(mine_close):.0f} {t2:.0f} ratio={max(mine_close) / t2:.2f}")
    print(f"RESULT ocsp {o:.0f} {t2:.0f} ratio={o / t2:.2f}")


if __name__ == "__main__":
    main()
