"""The audit trail is keyed: an HMAC under a key derived from the master key, which is kept
outside the database, so whoever rewrites the whole chain without that key is caught (R_NUM_3)."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from sqlalchemy import select

from mynacard import audit
from mynacard.audit.log import GENESIS, _canonical
from mynacard.db.staff import AuditEntry
from mynacard.db.store import Store
from mynacard.errors import ConfigError
from mynacard.services.context import Office
from tests.services.conftest import MASTER_KEY, at


def _office(tmp_path, key=MASTER_KEY) -> Office:
    store = Store(str(tmp_path / "audit.db"))
    store.migrate()
    return Office(store=store, master_key=key)


def _fill(office: Office) -> None:
    for i, action in enumerate(["login", "resident.number_read", "card.issue", "resident.number_read"]):
        audit.append(office.store, at=at(f"2025-04-0{i + 1}"), actor="tanaka", role="clerk", action=action,
                     target=f"resident:{i + 1}", purpose="tax")


def _rewrite(store: Store, link) -> None:
    """What an intruder with write access to the database does: change an entry, then recompute
    every hash from the genesis on with ``link(prev_hash, canonical_entry)``."""
    with store.sessions() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        rows[1].details = {"purpose": "social_security"}
        rows[1].actor = "someone else"
        s.flush()
        prev = GENESIS
        for e in rows:
            e.prev_hash = prev
            e.hash = link(prev, _canonical(e))
            prev = e.hash
        s.commit()


def test_a_rewritten_chain_with_plain_hashes_fails_verify_R_NUM_3(tmp_path):
    office = _office(tmp_path)
    _fill(office)
    assert audit.verify(office.store) == (4, [])
    # the chain as it was before it was keyed: SHA-256 alone, which anyone can recompute
    _rewrite(office.store, lambda prev, body: hashlib.sha256(prev.encode() + b"\n" + body).hexdigest())
    n, problems = audit.verify(office.store)
    assert n == 4 and {p.entry_id for p in problems} == {1, 2, 3, 4}


def test_a_rewritten_chain_under_another_key_fails_verify_R_NUM_3(tmp_path):
    office = _office(tmp_path)
    _fill(office)
    guess = os.urandom(32)
    _rewrite(office.store, lambda prev, body: hmac.new(guess, prev.encode() + b"\n" + body, "sha256").hexdigest())
    _, problems = audit.verify(office.store)
    assert problems and all("hash mismatch" in p.problem for p in problems)


def test_the_chain_verifies_only_under_its_own_master_key(tmp_path):
    office = _office(tmp_path)
    _fill(office)
    office.store.dispose()
    # opening the store with another key is refused at once, saying what to set
    with pytest.raises(ConfigError, match="another master key"):
        Office(store=Store(str(tmp_path / "audit.db")), master_key=os.urandom(32))
    # and the chain itself does not verify under another key
    other = Store(str(tmp_path / "audit.db"))
    other.bind_keys(os.urandom(32))
    _, problems = audit.verify(other)
    assert len(problems) == 4
    same = Store(str(tmp_path / "audit.db"))
    Office(store=same, master_key=MASTER_KEY)
    assert audit.verify(same) == (4, [])


def test_appending_continues_a_keyed_chain(tmp_path):
    office = _office(tmp_path)
    _fill(office)
    head_before = audit.head(office.store)
    audit.append(office.store, at=at("2025-05-01"), actor="sato", role="clerk", action="login")
    assert audit.verify(office.store, expect_head=head_before) == (5, [])
