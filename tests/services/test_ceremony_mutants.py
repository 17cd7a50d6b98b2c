"""The key ceremony with the keys in a token, and a ceremony that loses the race to another
process. Written against the mutants that lived in ``services/ceremony.py``; the SoftHSM2 case
itself is in tests/hsm, outside the services run: here a stand-in token holds pooled keys."""

from __future__ import annotations

import re

import pytest
from cryptography import x509

from mynacard.db import repositories as repo
from mynacard.errors import StateError
from mynacard.services import ceremony, pki
from tests.keypool import pooled_key
from tests.services.conftest import at

WHEN = at("2025-01-06T10:00")


class _TokenKey:
    """A key that signs but cannot be exported (as a PKCS#11 key): no ``private_bytes``."""

    def __init__(self, label: str) -> None:
        self._key = pooled_key()
        self.uri = f"pkcs11:token=stand-in;object={label};type=private"

    @property
    def key_size(self) -> int:
        return self._key.key_size

    def public_key(self):
        return self._key.public_key()

    def sign(self, data, padding, algorithm):
        return self._key.sign(data, padding, algorithm)


class _Token:
    def __init__(self, before_generate=None) -> None:
        self.keys: list[_TokenKey] = []
        self._before = before_generate

    def generate(self, label: str) -> _TokenKey:
        if self._before is not None:
            self._before(label)
        self.keys.append(_TokenKey(label))
        return self.keys[-1]


def test_a_ceremony_with_a_token_keeps_the_keys_there_and_stores_only_their_address(office):
    token = _Token()
    with office.work(at=WHEN, actor="ca-officer") as w:
        made = ceremony.ceremony(w, token=token)
    assert [m.key_store for m in made] == [k.uri for k in token.keys]
    # each key is labelled after its CA, with random hex so that a token can hold several
    labels = [re.fullmatch(r"pkcs11:token=stand-in;object=(.*);type=private", m.key_store)[1] for m in made]
    assert re.fullmatch(r"mynacard-sign-ca-[0-9a-f]{8}", labels[0])
    assert re.fullmatch(r"mynacard-auth-ca-[0-9a-f]{8}", labels[1])
    with office.work(at=WHEN, actor="reader") as w:
        for m, key in zip(made, token.keys, strict=True):
            row = repo.ca_row(w.session, m.kind)
            assert (row.key_ref, row.sealed_key) == (key.uri, b"")
            cert = x509.load_der_x509_certificate(row.certificate_der)
            assert cert.public_key() == key.public_key()
            cert.verify_directly_issued_by(cert)  # self-signed by the token's key
            assert ceremony.fingerprint(row.certificate_der) == m.fingerprint


def test_a_ceremony_that_another_process_overtakes_is_refused_and_says_which_ca(office):
    def first_use_meanwhile(label: str) -> None:
        if label.startswith("mynacard-sign-"):
            with office.work(at=WHEN, actor="clerk") as other:
                pki.authority(other, "sign")  # made on first use by another unit of work

    with pytest.raises(StateError) as err, office.work(at=WHEN, actor="ca-officer") as w:
        ceremony.ceremony(w, token=_Token(first_use_meanwhile))
    assert err.value.message == (
        "The sign CA was created meanwhile by another process: a ceremony never replaces a CA."
    )
    assert err.value.message_ja == "認証局は別の処理によってすでに作成されました。"
    with office.work(at=WHEN, actor="reader") as w:
        assert repo.ca_row(w.session, "sign").key_ref is None  # the one made on first use
        assert repo.ca_row(w.session, "auth") is None
