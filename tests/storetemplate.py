"""A migrated, empty SQLite store made once per process and copied for each test.

Running the migrations costs about 0.2 s a store (1.5 s the first time in a process, when Alembic
loads its scripts); a copy of the file costs a millisecond. The copy is the store that
``Store.migrate`` leaves (schema at the head, nothing else: the master key is bound later, by
the ``Office``), so the fixtures that only need a new store take a copy; the tests of the
migrations themselves still migrate.

With ``MYNACARD_TEST_PREWARM=1`` (set by ``.ci/mutation``) the template is made when this module
is imported: mutmut imports the tests once in its fork server and forks a process per mutant,
so every mutant's run starts with the template already there.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from mynacard.db.store import Store

_template: Path | None = None


def _remove(folder: str, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child: the parent's template outlives it
        shutil.rmtree(folder, ignore_errors=True)


def template() -> Path:
    """The template file of this process (made on the first call)."""
    global _template
    if _template is None:
        folder = tempfile.mkdtemp(prefix="mynacard-template-")
        atexit.register(_remove, folder, os.getpid())
        path = Path(folder) / "template.db"
        store = Store(str(path))
        store.migrate()
        store.dispose()
        _template = path
    return _template


def migrated_store(path: Path) -> Store:
    """A new store at ``path``, at the newest schema, readable by its owner alone."""
    shutil.copyfile(template(), path)
    os.chmod(path, 0o600)
    return Store(str(path))


if os.environ.get("MYNACARD_TEST_PREWARM") == "1":
    template()
