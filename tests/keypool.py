"""A pool of RSA-2048 keys made once per test run.

An RSA-2048 key takes ~70 ms to generate; the product makes a fresh key every time, the
tests draw from this pool so the suite stays fast. Keys are handed out round-robin once the
pool is full, so two cards in one test run may share a key pair: tests must not rely on keys
being unique across cards.

Under mutmut the pool is filled at once (``fill``, from tests/conftest.py): mutmut forks one
test process per mutant from a process that has imported the conftest, so every mutant's
tests inherit the keys; filled lazily, each of those processes would generate them again.
"""

from __future__ import annotations

import itertools
import os
import threading

from cryptography.hazmat.primitives.asymmetric import rsa

from mynacard.crypto import new_rsa_key

POOL_SIZE = 48
_pool: list[rsa.RSAPrivateKey] = []
_lock = threading.Lock()
_counter = itertools.count()


def pooled_key() -> rsa.RSAPrivateKey:
    """Next key of the pool; generates until the pool holds POOL_SIZE keys."""
    with _lock:
        n = next(_counter)
        if len(_pool) < POOL_SIZE:
            _pool.append(new_rsa_key())
            return _pool[-1]
        return _pool[n % POOL_SIZE]


def fill() -> None:
    """Generate the whole pool now (see the module docstring: mutmut's forked test processes)."""
    with _lock:
        while len(_pool) < POOL_SIZE:
            _pool.append(new_rsa_key())


if os.environ.get("MYNACARD_TEST_PREWARM") == "1":  # set by .ci/mutation
    fill()
