from __future__ import annotations

import pytest

from tests.keypool import pooled_key


@pytest.fixture
def keygen():
    """The key generator the tests give to the chip and the CA (a pool, see keypool.py)."""
    return pooled_key
