"""A SoftHSM2 token for the PKCS#11 tests (Debian's softhsm2 and the ``hsm`` extra).

SoftHSM reads its configuration when the module is first loaded, so one token serves the whole
session; each test makes keys under labels of its own (every label carries random hex)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from mynacard.db.store import Store
from mynacard.services import residents
from mynacard.services.context import Office
from tests.conftest import skip_or_fail
from tests.keypool import pooled_key
from tests.services.conftest import KANAZAWA, MASTER_KEY, NAKANOTO, at

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN = "mynacard-test"
PIN = "246810"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory):
    """Module path, token label and user PIN of a fresh token; the PKCS#11 variables are set."""
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        skip_or_fail("python-pkcs11 is not installed: pip install -e '.[hsm]'")
    util = shutil.which("softhsm2-util")
    if util is None or not os.path.exists(MODULE):
        skip_or_fail(f"SoftHSM2 is not installed (apt-get install softhsm2: softhsm2-util and {MODULE})")
    d = tmp_path_factory.mktemp("softhsm")
    (d / "tokens").mkdir()
    conf = d / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {d / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    saved = {k: os.environ.get(k) for k in ("SOFTHSM2_CONF", "MYNACARD_PKCS11_MODULE", "MYNACARD_PKCS11_PIN")}
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [util, "--init-token", "--free", "--label", TOKEN, "--so-pin", "13579135", "--pin", PIN],
        check=True, capture_output=True,
    )
    os.environ["MYNACARD_PKCS11_MODULE"] = MODULE
    os.environ["MYNACARD_PKCS11_PIN"] = PIN
    yield MODULE, TOKEN, PIN
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def office(tmp_path):
    """An office on a new SQLite store, no CA yet (the ceremony makes them)."""
    store = Store(str(tmp_path / "hsm.db"))
    store.migrate()
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
        residents.add_municipality(w, KANAZAWA, "金沢市", "石川県")
    yield off
    store.dispose()
