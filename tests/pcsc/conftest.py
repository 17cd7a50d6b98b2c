"""A card of a fresh store inserted in pcscd's vpcd reader by the vpcd client (a thread).

Skips, saying why, when pcscd, the vpcd driver or OpenSC is missing. pcscd is started when
it is installed but not running and we are root (as CI does).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from mynacard.services.vcard import open_card
from mynacard.vcard import DEFAULT_PORT, VpcdClient
from tests.client import conftest as client_conftest
from tests.client.conftest import clock
from tests.conftest import skip_or_fail

READER = "Virtual PCD 00 00"
P11_CANDIDATES = [
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
    "/usr/lib64/opensc-pkcs11.so",
]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def vpcd_available() -> str | None:
    """None when the vpcd reader is reachable, else the reason to skip."""
    if importlib.util.find_spec("smartcard") is None:
        return "pyscard is not installed (apt-get install pcscd libpcsclite-dev swig; pip install -e '.[pcsc]')"
    if shutil.which("pcscd") is None:
        return "pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)"
    if not glob.glob("/usr/lib*/pcsc/drivers/*/libifdvpcd.so*"):
        return "the vpcd driver is not installed (apt-get install vsmartcard-vpcd)"
    if not _port_open(DEFAULT_PORT):
        if os.geteuid() == 0 and subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode != 0:
            subprocess.run(["pcscd"], check=False)
            for _ in range(30):
                if _port_open(DEFAULT_PORT):
                    break
                time.sleep(0.1)
        if not _port_open(DEFAULT_PORT):
            return f"pcscd is not running or its vpcd reader does not listen on 127.0.0.1:{DEFAULT_PORT} (run pcscd)"
    return None


def p11_module() -> str | None:
    return next((p for p in P11_CANDIDATES if os.path.exists(p)), None)


@pytest.fixture(scope="session")
def vpcd() -> None:
    reason = vpcd_available()
    if reason:
        skip_or_fail(reason)


@pytest.fixture(scope="session")
def opensc() -> str:
    for tool in ("pkcs15-tool", "pkcs11-tool", "opensc-tool"):
        if shutil.which(tool) is None:
            skip_or_fail(f"OpenSC is not installed ({tool} missing; apt-get install opensc)")
    module = p11_module()
    if module is None:
        skip_or_fail("OpenSC's PKCS#11 module (opensc-pkcs11.so) was not found")
    return module


# The client tests' fixtures: a fresh store and a card issued in it.
office = client_conftest.office
card_id = client_conftest.card_id


def reader_has_card(reader: str = READER) -> bool:
    """What pcscd's own event handler believes (SCardGetStatusChange), without connecting.

    Probing with SCardConnect is not enough after an ejection: its power-down fails with
    "removed card" and marks the reader empty at once, while the event handler notices only at
    its next poll. A card inserted again in between is never seen by the event handler (no
    change for it), and pcscd then answers "no card" for good.
    """
    from smartcard import scard

    rv, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if rv != scard.SCARD_S_SUCCESS:
        return False
    try:
        rv, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if rv != scard.SCARD_S_SUCCESS:
            return False
        return bool(states[0][1] & scard.SCARD_STATE_PRESENT)
    finally:
        scard.SCardReleaseContext(ctx)


def wait_reader(present: bool, timeout: float = 15.0) -> None:
    """Wait until pcscd's event handler shows the card present (or gone), then one poll more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reader_has_card() == present:
            time.sleep(0.5)  # pcscd polls vpcd every 0.4 s: let one poll see the new state
            return
        time.sleep(0.1)
    raise RuntimeError(f"the card did not {'appear in' if present else 'leave'} the vpcd reader")


class Inserted:
    """A card in the vpcd reader, served from a thread; ``eject`` pulls it out."""

    def __init__(self, office, card_id: str) -> None:
        self.office = office
        self.card_id = card_id
        self.client = VpcdClient(open_card(office, card_id, clock))
        self.client.connect()
        self.thread = threading.Thread(target=self.client.serve, name="vpcd", daemon=True)
        self.thread.start()
        self._wait_present()

    def _wait_present(self) -> None:
        wait_reader(True)

    def eject(self) -> None:
        """Pull the card out and wait until pcscd's event handler has seen it go, so that the
        next insertion is a new card event (see ``reader_has_card``)."""
        self.client.stop()
        self.thread.join(timeout=5)
        wait_reader(False)


@pytest.fixture
def inserted(vpcd, office, card_id):  # type: ignore[no-untyped-def]
    card = Inserted(office, card_id)
    yield card
    card.eject()


def run(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, check=False)
