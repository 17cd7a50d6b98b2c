"""CRL publication against ``openssl ca -gencrl`` over the same CA and the same entries.

    python bench/crl.py -n 100000 [--rounds 2] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
    python bench/crl.py -n 1000000 --rounds 1

Bulk-loads N revoked or held certificates (bench/revdata.py), then, interleaved per round:
mynacard publishing the full CRL (a fresh process: read the listed rows, encode, sign, store) and
``openssl ca -gencrl`` over an index.txt of the same entries, each with its wall time and peak
memory (max RSS). Then what a request for the published CRL costs (the lookup ``serve`` does),
and cryptography's one-at-a-time CRL builder (what mynacard used before) on up to
``--legacy-max`` entries. Last line: ``RESULT crl-<N> <ours s> <openssl s> ratio=<ours/openssl>``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def child(db: str) -> None:
    """One publication in this process: prints seconds and peak RSS (MiB)."""
    from revdata import MASTER_KEY, T0
    from sqlalchemy import text

    from mynacard.db.store import Store
    from mynacard.services.context import Office
    from mynacard.services.revocation import crls

    office = Office(store=Store(db), master_key=MASTER_KEY)
    with office.store.engine.begin() as conn:
        conn.execute(text("UPDATE published_crls SET stale = true"))
    t, c = time.perf_counter(), time.process_time()
    with office.work(at=T0 + timedelta(hours=1), actor="bench") as w:
        der = crls.full_crl(w, "sign")
    dt, dc = time.perf_counter() - t, time.process_time() - c
    # the peak of this process's own memory: ru_maxrss would also count the parent's (Linux keeps
    # it across fork and exec), and the parent holds the bulk data
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    rss = int(hwm.split()[1]) / 1024
    print(f"{dt:.3f} {dc:.3f} {rss:.0f} {len(der)}")


def ours(db: str) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user+system) of the publication alone, peak RSS MiB, DER size."""
    out = subprocess.run([sys.executable, __file__, "--child", db], capture_output=True, text=True, check=True)
    s, cpu, rss, size = out.stdout.split()
    return float(s), float(cpu), float(rss), int(size)


def openssl(conf: Path, out: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user+system), peak RSS MiB of the whole command."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "openssl", "ca", "-gencrl", "-config", str(conf),
                        "-out", str(out), "-batch"], capture_output=True, text=True, check=True)
    dt = time.perf_counter() - t
    rss, user, system = r.stderr.strip().splitlines()[-1].split()
    return dt, float(user) + float(system), int(rss) / 1024


def legacy(world, n: int) -> float:
    """cryptography's CertificateRevocationListBuilder, one add_revoked_certificate per entry."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from revdata import T0

    key = load_pem_private_key(world.key_pem.read_bytes(), None)
    ca = x509.load_pem_x509_certificate(world.ca_pem.read_bytes())
    t = time.perf_counter()
    b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(T0)
         .next_update(T0 + timedelta(days=1)))
    for s in world.serials[:n]:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(s).revocation_date(T0).build())
    b.sign(key, hashes.SHA256())
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pg", default=None, help="PostgreSQL server URL (default: a SQLite file)")
    ap.add_argument("--legacy-max", type=int, default=20_000)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child)
        return
    import revdata
    from cryptography import x509

    from mynacard.services.revocation import crls

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = revdata.fresh_db(a.pg, work)
        try:
            world = revdata.build(db, a.n, work / "openssl")
            conf = revdata.openssl_conf(work / "openssl", world)
            mine, theirs, mine_cpu, theirs_cpu = [], [], [], []
            for r in range(a.rounds):
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                s, cpu, rss, size = ours(db)
                mine.append(s)
                mine_cpu.append(cpu)
                print(f"round {r + 1}: mynacard  {s:7.2f} s wall {cpu:7.2f} s CPU {rss:6.0f} MiB "
                      f"({size / 2**20:.1f} MiB DER)  load average before: {load}")
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                s, cpu, rss = openssl(conf, work / "openssl" / "crl.pem")
                theirs.append(s)
                theirs_cpu.append(cpu)
                print(f"round {r + 1}: openssl   {s:7.2f} s wall {cpu:7.2f} s CPU {rss:6.0f} MiB"
                      f"                 load average before: {load}")
            with world.office.store.session() as sess:
                from mynacard.db.staff import PublishedCrl

                der = sess.get(PublishedCrl, ("sign", "", False)).der
            (work / "ours.crl").write_bytes(der)
            crl = x509.load_der_x509_crl(der)
            assert len(crl) == a.n, (len(crl), a.n)
            v = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(work / "ours.crl"), "-CAfile",
                                str(world.ca_pem), "-noout"], capture_output=True, text=True)
            print(f"check: cryptography parses {len(crl):,} entries; openssl crl: {v.stderr.strip() or 'ok'}")
            at = revdata.T0 + timedelta(hours=2)
            crls.serve(world.office, "sign", "", False, at=at)
            ts = []
            for _ in range(50):
                t = time.perf_counter()
                crls.serve(world.office, "sign", "", False, at=at)
                ts.append(time.perf_counter() - t)
            print(f"serving the published CRL (lookup, as GET /crl/sign.crl does): "
                  f"{statistics.median(ts) * 1000:.2f} ms median")
            ln = min(a.n, a.legacy_max)
            if ln:
                print(f"before: cryptography's builder, one entry at a time, {ln:,} entries: "
                      f"{legacy(world, ln):.2f} s")
            world.office.store.dispose()
        finally:
            revdata.drop_dbs(a.pg)
    print(f"machine: {os.cpu_count()} cores shared; load average now "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    o, t = min(mine_cpu), min(theirs_cpu)
    print(f"RESULT crl-{a.n}-cpu {o:.3f} {t:.3f} ratio={o / t:.2f}")
    o, t = min(mine), min(theirs)
    print(f"RESULT crl-{a.n} {o:.3f} {t:.3f} ratio={o / t:.2f}")


if __name__ == "__main__":
    main()
