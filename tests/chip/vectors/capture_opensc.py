"""Capture what unmodified OpenSC sends to the card, as APDU traces.

Run as root with pcscd and vsmartcard-vpcd running (``python -m tests.chip.vectors.capture_opensc``
from the repository root): the card of ``card.json`` is put into the vpcd reader, the OpenSC
command lines of ``SESSIONS`` run against it, and every command APDU the reader passes on is
written with the card's answer to ``opensc_captured_<name>.trace``. The traces are then replayed
by ``test_vectors.py`` like the others. Only the test PINs of ``card.json`` appear in them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from mynacard.chip.card_os import VirtualCard
from mynacard.vcard.vpcd import VpcdClient
from tests.chip.vectors.record import load_card
from tests.chip.vectors.trace import VECTORS, format_trace

MODULE = next(
    (p for p in ("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
                 "/usr/lib/opensc-pkcs11.so") if Path(p).exists()),
    "opensc-pkcs11.so",
)

SESSIONS: dict[str, tuple[str, list[list[str]]]] = {
    "list_certificates": (
        "pkcs15-tool --list-certificates (OpenSC's jpki driver binds and reads the certificate EFs)",
        [["pkcs15-tool", "--list-certificates"]],
    ),
    "auth_sign": (
        "pkcs11-tool --login --pin 1234 --sign -m SHA256-RSA-PKCS --id 01 (authentication key)",
        [["pkcs11-tool", "--module", MODULE, "--slot-index", "0", "--login", "--pin", "1234", "--sign",
          "-m", "SHA256-RSA-PKCS", "--id", "01", "-i", "{doc}", "-o", "{out}"]],
    ),
    "signing_sign": (
        "pkcs11-tool --login --pin ABC123 --sign -m SHA256-RSA-PKCS --id 02 (signing key)",
        [["pkcs11-tool", "--module", MODULE, "--slot-index", "1", "--login", "--pin", "ABC123", "--sign",
          "-m", "SHA256-RSA-PKCS", "--id", "02", "-i", "{doc}", "-o", "{out}"]],
    ),
}


class Recorder:
    """A card that remembers every exchange (resets included)."""

    def __init__(self, card: VirtualCard) -> None:
        self.card = card
        self.log: list[tuple[bytes | None, bytes]] = []

    @property
    def atr(self) -> bytes:
        return self.card.atr

    def reset(self) -> bytes:
        atr = self.card.reset()
        self.log.append((None, atr))
        return atr

    def transmit(self, apdu: bytes) -> bytes:
        answer = self.card.transmit(apdu)
        self.log.append((apdu, answer))
        return answer


def capture(name: str, description: str, commands: list[list[str]]) -> Path:
    card = Recorder(load_card((VECTORS / "card.json").read_text(encoding="utf-8")))
    client = VpcdClient(card)
    client.connect()
    t = threading.Thread(target=client.serve, daemon=True)
    t.start()
    time.sleep(1.0)  # let pcscd see the card
    with tempfile.TemporaryDirectory() as d:
        doc, out = Path(d) / "doc.txt", Path(d) / "sig.bin"
        doc.write_bytes(b"mynacard test vector\n")
        for argv in commands:
            argv = [a.format(doc=doc, out=out) for a in argv]
            subprocess.run(argv, check=True, capture_output=True, timeout=60)
    client.stop()
    t.join(timeout=5)
    client.close()
    path = VECTORS / f"opensc_captured_{name}.trace"
    header = f"{description}\nCaptured from unmodified OpenSC through pcscd + vpcd ({shutil.which(commands[0][0])})."
    path.write_text(format_trace(header, card.log), encoding="ascii")
    return path


def main() -> None:
    for name, (description, commands) in SESSIONS.items():
        print("wrote", capture(name, description, commands))
        time.sleep(1.0)


if __name__ == "__main__":
    main()
