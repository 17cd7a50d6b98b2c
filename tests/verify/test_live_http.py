"""Over real HTTP: the client timestamps at the service's TSA (CAdES-T, PAdES-T, XAdES-T), and
a verifier outside the office (trust roots from files, OCSP and CRLs fetched from the URLs in
the certificate) reaches the same verdicts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mynacard.client import signing as sig
from mynacard.db.store import Store
from mynacard.services import pki
from mynacard.services.context import Office
from mynacard.services.vcard import issue_demo_card
from mynacard.tsa import service as tsa_service
from mynacard.verify import HttpSource, RevocationChecker, Status, Trust, verify
from mynacard.web.clock import Clock
from tests.keypool import pooled_key
from tests.verify.conftest import AT, LATER, MASTER_KEY, SIGNED, Signer, move
from tests.web.live import free_port, live_server


@pytest.fixture
def live(tmp_path):
    port = free_port()
    store = Store(str(tmp_path / "live.db"))
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key, base_url=f"http://127.0.0.1:{port}")
    card_id = issue_demo_card(office, AT)
    clock = Clock(SIGNED, advance=False)
    with live_server(office, port, clock) as url:
        yield office, card_id, clock, url
    store.dispose()


class CrlOnly(HttpSource):
    """As an outside verifier whose OCSP requests fail: the CRL from the distribution point."""

    def ocsp(self, cert, issuer):
        raise OSError("OCSP responder unreachable")


class HttpSigner(Signer):
    def __init__(self, office, card_id, url: str) -> None:
        super().__init__(office, card_id)
        self.url = url

    def timestamper(self, at):
        return None if at is None else sig.tsa_timestamper(self.url + "/tsa")


@pytest.mark.parametrize("fmt", ["cms-detached", "pades", "xades"])
def test_timestamped_over_http_and_verified_outside_the_office(live, fmt) -> None:
    office, card_id, clock, url = live
    data, content = HttpSigner(office, card_id, url).sign(fmt, ts=SIGNED)
    with office.work(at=SIGNED, actor="test") as w:
        trust = Trust(
            signing_roots=[pki.authority(w, "sign").certificate],
            auth_roots=[pki.authority(w, "auth").certificate],
            tsa_roots=[tsa_service.authority(w).root],
        )
    v = verify(data, at=SIGNED, trust=trust, revocation=RevocationChecker(HttpSource()), content=content)
    assert v.status is Status.VALID, v.message
    assert v.timestamp == SIGNED and v.revocation is not None and v.revocation.source == "ocsp"

    move(office, card_id)
    clock.set(LATER, advance=False)
    v = verify(data, at=LATER, trust=trust, revocation=RevocationChecker(HttpSource()), content=content)
    assert v.status is Status.VALID, v.message  # timestamped before the revocation
    assert v.revocation_now is not None and v.revocation_now.status == "revoked"
    crl_only = RevocationChecker(CrlOnly())
    v = verify(data, at=LATER, trust=trust, revocation=crl_only, content=content)
    assert v.status is Status.VALID and v.revocation_now is not None
    assert (v.revocation_now.source, v.revocation_now.reason) == ("crl", "affiliation_changed")
    no_ts = Trust(signing_roots=trust.signing_roots, auth_roots=trust.auth_roots)  # the TSA unknown
    v = verify(data, at=LATER, trust=no_ts, revocation=RevocationChecker(HttpSource()), content=content)
    assert v.status is Status.REVOKED and "timestamp_ignored" in v.details


def test_an_unreachable_tsa_is_a_clear_error(live) -> None:
    office, card_id, _, _ = live
    stamper = sig.tsa_timestamper(f"http://127.0.0.1:{free_port()}/tsa", timeout=2)
    with pytest.raises(sig.TimestampUnavailable, match="did not answer"):
        _sign_with(office, card_id, stamper)


def _sign_with(office, card_id, stamper) -> None:
    from mynacard.chip import KeySlot
    from mynacard.client import JpkiCard
    from mynacard.services.vcard import DEMO_PINS, open_card

    card = JpkiCard(open_card(office, card_id, lambda: SIGNED + timedelta(minutes=1)))
    op = sig.CardOperation(card, KeySlot.SIGN)
    op.login(DEMO_PINS["sign"])
    sig.sign_cms(sig.card_signer(op), b"doc", at=SIGNED, timestamper=stamper)
