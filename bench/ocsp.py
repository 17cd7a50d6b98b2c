"""OCSP answers per second: mynacard's two servers against ``openssl ocsp``, serving the same
CA, the same delegated responder, the same index and the same requests.

    python bench/ocsp.py [-m 1000] [--workers 2] [--rounds 3] [--seconds 10]

Servers: ``mynacard serve-ocsp --workers W`` (the lean responder), ``mynacard serve --workers W
--no-access-log`` (the office service, OCSP ahead of the framework under uvicorn) and ``openssl
ocsp -multi W`` (``--openssl-multi``), all three up at once on one store and its ``index.txt``.

M authentication certificates are issued (one key for all; 10% revoked, 5% held), the
pre-signed responses warmed, and every request is asked once of each server and its answer
checked (status, serial, the responder's signature: the ``check:`` line). Then per round, in
alternating order, each measurement for ``--seconds``:

* mynacard's servers with **wrk** (C; ``--threads``, ``--connections`` keep-alive connections,
  random requests of the set, every answer compared with the checked ones by its Lua script);
* all three servers with the **same asyncio client** (``--clients`` processes, ``--connections``
  connections in all, one connection per request, every answer checked; ``bench/ocsp_client.py``).

openssl ocsp (OpenSSL 3.0) answers HTTP/1.0 and closes the connection after each answer even
when asked to keep it, so no keep-alive client can drive it; and wrk cannot drive it at all (a
connection closed without a request leaves its process reading end-of-file in a loop).

Each measurement also gives the servers' own CPU time per answer (user + system of the server's
process group, from /proc, over the answers counted) and, for the asyncio client, its CPU per
answer: on a shared machine the rates follow the load, the CPU per answer much less.

Result lines (best round of each server; least CPU): ``RESULT ocsp-cpu-same-client`` (answers per
CPU-second of the server, serve-ocsp and openssl, the same client, a connection each),
``RESULT ocsp-same-client`` (the same, answers/s), ``RESULT ocsp-serve`` (serve with wrk against
openssl) and, last, ``RESULT ocsp <serve-ocsp with wrk keep-alive> <openssl> ratio=<x>``. The
load average is printed before each measurement: compare only figures of one run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ocsp_client import Request, answer_ok, drive_async, drive_wrk, group_cpu, write_wrk_inputs  # noqa: E402


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
            time.sleep(0.5)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def check(port: int, path: str, requests: list[Request], responder_pem: Path) -> tuple[int, list[bytes]]:
    """Every request once, on a new connection each: the wrong answers (status, serial or
    signature), and the answers."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.x509 import ocsp

    key = x509.load_pem_x509_certificate(responder_pem.read_bytes()).public_key()
    wrong, answers = 0, []
    for req in requests:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", path, body=req[0], headers={"Content-Type": "application/ocsp-request"})
        body = c.getresponse().read()
        c.close()
        answers.append(body)
        try:
            resp = ocsp.load_der_ocsp_response(body)
            key.verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(),  # type: ignore[union-attr]
                       resp.signature_hash_algorithm)  # type: ignore[arg-type]
            ok = answer_ok(body, req, None)
        except Exception:
            ok = False
        wrong += not ok
    return wrong, answers


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
            requests.append((req.public_bytes(serialization.Encoding.DER), "good" if status == "good" else "revoked",
                             cert.serial_number))
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
    for der, _, _ in requests:  # warm the pre-signed responses
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


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", type=int, default=1000, help="certificates (and distinct requests)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of each server")
    ap.add_argument("--openssl-multi", type=int, default=0, help="openssl ocsp -multi N (default: --workers)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--connections", type=int, default=32, help="open connections (wrk, and the asyncio client)")
    ap.add_argument("--clients", type=int, default=2, help="asyncio client processes")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    a.openssl_multi = a.openssl_multi or a.workers
    from importlib.metadata import PackageNotFoundError, version

    from revdata import T0

    try:
        print(f"fast extra: httptools {version('httptools')}, uvloop {version('uvloop')} (used by both servers)")
    except PackageNotFoundError as e:
        sys.exit(f"the fast extra is missing ({e}): pip install -e '.[fast]'; serve-ocsp needs it")

    rates: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        db, requests = setup(work, a.m)
        print(f"setup: {a.m} certificates issued and their responses pre-signed in {time.perf_counter() - t:.1f} s")
        lean, full, other = _free_port(), _free_port(), _free_port()
        env = {**os.environ, "MYNACARD_KEY_FILE": db + ".key"}
        mynacard = [sys.executable, "-m", "mynacard.cli.main", "--db", db, "--at", T0.isoformat()]
        procs = [
            subprocess.Popen([*mynacard, "serve-ocsp", "--frozen", "--port", str(lean), "--workers", str(a.workers)],
                             stdout=subprocess.DEVNULL, env=env, start_new_session=True),
            subprocess.Popen([*mynacard, "serve", "--frozen", "--port", str(full), "--workers", str(a.workers),
                              "--no-access-log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                             start_new_session=True),
        ]
        theirs = subprocess.Popen(
            ["openssl", "ocsp", "-index", str(work / "index.txt"), "-port", str(other), "-rsigner",
             str(work / "rsigner.pem"), "-rkey", str(work / "rkey.pem"), "-CA", str(work / "ca.pem"),
             "-nmin", "1440", "-ignore_err", "-multi", str(a.openssl_multi), "-timeout", "1"],
            stdout=open(work / "openssl.out", "wb"), stderr=open(work / "openssl.log", "wb"))  # it setsid()s itself
        try:
            for p, port in zip(procs, (lean, full), strict=True):
                _wait(port, p)
            _wait_port(other, work / "openssl.log")
            # with -multi, openssl ocsp leaves its first process and runs on as a new session
            # leader, whose PID it prints: that is the group to stop afterwards
            log = (work / "openssl.log").read_text() + (work / "openssl.out").read_text()
            leader = int(log.split("PID=")[1].split()[0]) if "PID=" in log else theirs.pid
            rpem = work / "rsigner.pem"
            w_lean, answers = check(lean, "/ocsp/auth", requests, rpem)
            w_full, answers_full = check(full, "/ocsp/auth", requests, rpem)
            w_other, _ = check(other, "/", requests, rpem)
            same = sum(x == y for x, y in zip(answers, answers_full, strict=True))
            print(f"check: every request once to each server, wrong answers: serve-ocsp {w_lean}, serve {w_full}, "
                  f"openssl {w_other}; serve-ocsp and serve gave the same bytes for {same} of {len(requests)}")
            known: list[bytes | None] = list(answers)
            write_wrk_inputs(work, requests, answers)
            groups = {"serve-ocsp": procs[0].pid, "serve": procs[1].pid, "openssl": leader}
            runs = [
                ("serve-ocsp", "wrk keep-alive", lambda: _wrk(lean, "/ocsp/auth", work, a)),
                ("serve", "wrk keep-alive", lambda: _wrk(full, "/ocsp/auth", work, a)),
                ("serve-ocsp", "asyncio conn each", lambda: _each(lean, "/ocsp/auth", requests, known, a)),
                ("serve", "asyncio conn each", lambda: _each(full, "/ocsp/auth", requests, known, a)),
                ("openssl", "asyncio conn each", lambda: _each(other, "/", requests, known, a)),
            ]
            for r in range(a.rounds):
                print(f"round {r + 1}:")
                for server, client, run in runs if r % 2 == 0 else runs[::-1]:
                    before, cpu = _load(), group_cpu(groups[server])
                    rate, count, note = run()
                    us = (group_cpu(groups[server]) - cpu) / max(count, 1) * 1e6
                    rates.setdefault(f"{server} {client}", []).append(rate)
                    cpus.setdefault(f"{server} {client}", []).append(us)
                    print(f"  {server:<10} {client:<18} {rate:8.0f} answers/s  {us:6.0f} us server CPU an answer  "
                          f"{note}  (load average before: {before})")
        finally:
            for p in procs:
                _stop(p)
            _stop_group(locals().get("leader", theirs.pid))
    best = {k: max(v) for k, v in rates.items()}
    least = {k: min(v) for k, v in cpus.items()}
    o = best["openssl asyncio conn each"]
    print(f"machine: {os.cpu_count()} cores, clients and servers on the same machine; "
          f"load average now {_load()}; --workers {a.workers}, openssl -multi {a.openssl_multi}")
    print("server CPU an answer (least of the rounds): " + ", ".join(f"{k} {v:.0f} us" for k, v in least.items()))
    ours_cpu, their_cpu = 1e6 / least["serve-ocsp asyncio conn each"], 1e6 / least["openssl asyncio conn each"]
    print(f"RESULT ocsp-cpu-same-client {ours_cpu:.0f} {their_cpu:.0f} ratio={ours_cpu / their_cpu:.2f}")
    print(f"RESULT ocsp-same-client {best['serve-ocsp asyncio conn each']:.0f} {o:.0f} "
          f"ratio={best['serve-ocsp asyncio conn each'] / o:.2f}")
    print(f"RESULT ocsp-serve {best['serve wrk keep-alive']:.0f} {o:.0f} ratio={best['serve wrk keep-alive'] / o:.2f}")
    print(f"RESULT ocsp {best['serve-ocsp wrk keep-alive']:.0f} {o:.0f} "
          f"ratio={best['serve-ocsp wrk keep-alive'] / o:.2f}")


def _wrk(port: int, path: str, work: Path, a: argparse.Namespace) -> tuple[float, int, str]:
    rate, checked, wrong, errors = drive_wrk(port, path, work, a.threads, a.connections, a.seconds)
    return rate, checked, f"(checked {checked}, wrong {wrong}) {errors}".rstrip()


def _each(port: int, path: str, requests: list[Request], known: list[bytes | None],
          a: argparse.Namespace) -> tuple[float, int, str]:
    rate, count, wrong, errors, cpu = drive_async(port, path, requests, known, a.seconds, a.clients,
                                                  a.connections, keep_alive=False)
    return rate, count, (f"(checked {count}, wrong {wrong}, connection errors {errors}; "
                         f"client CPU {cpu / max(count, 1) * 1e6:.0f} us an answer)")


if __name__ == "__main__":
    main()
