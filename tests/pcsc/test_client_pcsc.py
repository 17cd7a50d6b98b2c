"""``mynacard client`` over PC/SC with pyscard, as with a real card in a real reader (R_USE_1)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.chip import KeySlot, PinId
from mynacard.client import JpkiCard, PcscTransport
from mynacard.client import signing as sig
from mynacard.errors import WrongPin
from tests.client.conftest import AT, PINS, issued_certificate, tries_in_store
from tests.pcsc.conftest import READER

pytestmark = pytest.mark.slow


def test_client_over_pcsc_tries_sign_and_cms_R_USE_1_R_PIN_7(inserted, office, card_id, tmp_path) -> None:
    transport = PcscTransport(READER)
    try:
        card = JpkiCard(transport)
        assert {p.value: n for p, n in card.all_tries_left().items()} == {
            "sign": 5,
            "auth": 3,
            "resident": 3,
            "card_info": 3,
        }
        with pytest.raises(WrongPin):
            card.verify(PinId.SIGN, "WRONG1")
        assert tries_in_store(office, card_id)["sign"] == 4
        op = sig.CardOperation(card, KeySlot.SIGN)
        op.login(PINS["sign"])
        data = b"PC/SC signed document"
        p7s = sig.sign_cms(sig.card_signer(op), data, at=AT)
    finally:
        transport.close()
    assert op.cert == issued_certificate(office, card_id, KeySlot.SIGN)
    if shutil.which("openssl"):
        (tmp_path / "d").write_bytes(data)
        (tmp_path / "d.p7s").write_bytes(p7s)
        (tmp_path / "ca.pem").write_bytes(op.chain[0].public_bytes(Encoding.PEM))
        r = subprocess.run(
            [
                "openssl",
                "cms",
                "-verify",
                "-binary",
                "-content",
                "d",
                "-inform",
                "DER",
                "-in",
                "d.p7s",
                "-CAfile",
                "ca.pem",
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode == 0, r.stderr
