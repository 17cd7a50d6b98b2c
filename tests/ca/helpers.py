"""Helpers of the CA tests: a fixed instant, requests, and the linters and openssl as functions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.ca import CertRequest, SigningSubject
from mynacard.timeutil import JST
from tests.conftest import skip_or_fail
from tests.keypool import pooled_key

# A fixed instant, mid-morning Japan time, with microseconds the certificates must drop.
AT = datetime(2025, 4, 1, 10, 30, 15, 987654, tzinfo=JST)
MUNICIPALITY = "131016"  # 千代田区 (Chiyoda-ku, Tokyo)
# Full-width digits and hyphen, as addresses are written on the resident record.
ADDRESS = "東京都千代田区千代田１－１"  # noqa: RUF001
BIN = Path(sys.executable).parent


def sign_request(subject: SigningSubject, expires_on: date = date(2030, 5, 10)) -> CertRequest:
    return CertRequest(
        public_key=pooled_key().public_key(),
        not_before=AT,
        expires_on=expires_on,
        municipality_code=MUNICIPALITY,
        subject=subject,
    )


def auth_request(expires_on: date = date(2030, 5, 10)) -> CertRequest:
    return CertRequest(
        public_key=pooled_key().public_key(),
        not_before=AT,
        expires_on=expires_on,
        municipality_code=MUNICIPALITY,
    )


def write_der(path: Path, obj: object) -> Path:
    path.write_bytes(obj.public_bytes(Encoding.DER))  # type: ignore[attr-defined]
    return path


def write_pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(Encoding.PEM))
    return path


def pkilint(tool: str, *args: str | Path) -> list[str]:
    """Run a pkilint console script; return its findings of severity ERROR or worse.

    WARNING / NOTICE / INFO findings are printed (visible with ``pytest -s``) but accepted.
    """
    exe = BIN / tool
    if not exe.exists():
        skip_or_fail(f"{tool} (pkilint) is not installed: pip install -e '.[test]'")
    everything = subprocess.run(
        [str(exe), "lint", "-s", "INFO", *map(str, args)], capture_output=True, text=True
    )
    if everything.stdout.strip():
        print(f"{tool} findings for {args[-1]}:\n{everything.stdout}")
    errors = subprocess.run(
        [str(exe), "lint", "-s", "ERROR", *map(str, args)], capture_output=True, text=True
    )
    findings = [line for line in errors.stdout.splitlines() if line.strip()]
    if errors.returncode != 0:
        # the exit code counts the findings of severity ERROR or worse; a file pkilint cannot
        # even load exits 1 with the reason on stderr and nothing on stdout
        return findings or [f"{tool} exited {errors.returncode}: {errors.stderr.strip()}"]
    assert not errors.stderr.strip(), errors.stderr
    return findings


def openssl(*args: str | Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    if shutil.which("openssl") is None:
        skip_or_fail("openssl is not installed (apt-get install openssl)")
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=check)


def epoch(at: datetime) -> str:
    return str(int(at.timestamp()))
