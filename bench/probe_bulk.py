"""Check that a running `mynacard serve` answers for a bulk-loaded store: OCSP for a random sample
of its certificates (each answer's status compared with the store) and the full CRLs (entries,
signature, time to fetch).

    mynacard --db URL serve --port 8765 &
    python bench/probe_bulk.py --db postgresql://root@127.0.0.1:5432/mynacard_bulk --url http://127.0.0.1:8765

The CRL lists the revoked and held certificates that have not expired yet; the last lines compare
its entry count with the store's count of those.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date

import httpx
import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

EXPECTED = {
    "good": ocsp.OCSPCertStatus.GOOD,
    "revoked": ocsp.OCSPCertStatus.REVOKED,
    "hold": ocsp.OCSPCertStatus.REVOKED,  # certificateHold
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="the bulk store, as a psycopg URL (postgresql://...)")
    ap.add_argument("--url", default="http://127.0.0.1:8765", help="the running serve")
    ap.add_argument("-n", type=int, default=200, help="certificates to ask OCSP about")
    ap.add_argument("--on", default=date.today().isoformat(), help="the serve's date (CRL entries still in force)")
    a = ap.parse_args()
    with psycopg.connect(a.db) as db:
        rows = db.execute("SELECT kind, status, der FROM certificates TABLESAMPLE SYSTEM (0.05) LIMIT %s",
                          (a.n * 2,)).fetchall()
        in_force = dict(db.execute("SELECT kind, count(*) FROM certificates WHERE status IN ('revoked', 'hold') "
                                   "AND expires_on >= %s GROUP BY kind", (a.on,)).fetchall())
    cas = {k: x509.load_der_x509_certificate(httpx.get(f"{a.url}/ca/{k}.cer").content) for k in ("sign", "auth")}
    wrong, seen = 0, {}
    for kind, status, der in random.sample(rows, min(a.n, len(rows))):
        cert = x509.load_der_x509_certificate(bytes(der))
        req = ocsp.OCSPRequestBuilder().add_certificate(cert, cas[kind], hashes.SHA1()).build()
        r = httpx.post(f"{a.url}/ocsp/{kind}", content=req.public_bytes(serialization.Encoding.DER),
                       headers={"Content-Type": "application/ocsp-request"})
        resp = ocsp.load_der_ocsp_response(r.content)
        seen[status] = seen.get(status, 0) + 1
        ok = resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
        if not ok or (status in EXPECTED and resp.certificate_status != EXPECTED[status]):
            wrong += 1
    print(f"OCSP: {sum(seen.values())} random certificates, statuses {seen}, wrong answers {wrong}")
    for kind in ("sign", "auth"):
        t = time.perf_counter()
        r = httpx.get(f"{a.url}/crl/{kind}.crl", timeout=600)
        dt = time.perf_counter() - t
        crl = x509.load_der_x509_crl(r.content)
        print(f"CRL {kind}.crl: HTTP {r.status_code}, {len(r.content) / 1e6:.1f} MB, {len(crl):,} entries "
              f"(store: {in_force.get(kind, 0):,} revoked or held, not expired), "
              f"signature valid {crl.is_signature_valid(cas[kind].public_key())}, fetched in {dt:.2f} s")


if __name__ == "__main__":
    main()
