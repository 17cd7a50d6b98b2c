"""Helpers of the CA tests: a fixed instant, requests, and the linters and openssl as functions."""

from __future__ import annotations

import contextlib
import importlib
import io
import shutil
import subprocess
import warnings
from collections.abc import Callable
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
    """Run a pkilint linter; return its findings of severity ERROR or worse.

    The linter is pkilint's own console script (``pkilint.bin.<tool>.main``), called in this
    process with the same arguments as on the command line: the same validators and the same
    report, without starting a Python (and importing pkilint) twice per document, which made
    these tests the slowest of the CA by far. WARNING / NOTICE / INFO findings are printed
    (visible with ``pytest -s``) but accepted.
    """
    try:
        main = importlib.import_module(f"pkilint.bin.{tool}").main
    except ImportError:
        skip_or_fail(f"{tool} (pkilint) is not installed: pip install -e '.[test]'")
    everything, _, _ = _run_linter(main, "INFO", args)
    if everything.strip():
        print(f"{tool} findings for {args[-1]}:\n{everything}")
    out, err, status = _run_linter(main, "ERROR", args)
    findings = [line for line in out.splitlines() if line.strip()]
    if status != 0:
        # the exit code counts the findings of severity ERROR or worse; a file pkilint cannot
        # even load exits 1 with the reason on stderr and nothing on stdout
        return findings or [f"{tool} exited {status}: {err.strip()}"]
    assert not err.strip(), err
    return findings


def _run_linter(main: Callable[[list[str]], int], severity: str, args: tuple[str | Path, ...]) -> tuple[str, str, int]:
    """stdout, stderr and exit status of ``<tool> lint -s SEVERITY ARGS``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        # argparse.FileType opens the documents and pkilint never closes them
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            status = main(["lint", "-s", severity, *map(str, args)])
        except SystemExit as e:  # argparse refusing the arguments
            status = e.code if isinstance(e.code, int) else 2
    return out.getvalue(), err.getvalue(), status


def openssl(*args: str | Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    if shutil.which("openssl") is None:
        skip_or_fail("openssl is not installed (apt-get install openssl)")
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=check)


def epoch(at: datetime) -> str:
    return str(int(at.timestamp()))
