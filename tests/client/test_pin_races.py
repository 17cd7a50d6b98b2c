"""The PIN counter under concurrency, on every path to the chip, on SQLite and PostgreSQL.

A try is spent by a conditional UPDATE committed before the comparison (R_PIN_4), so however
many wrong PINs are fired at once, through threads, processes, the card's APDUs or the
window's services, the chip compares exactly as many as the counter allows (R_PIN_1: 5 for
the signing password, R_PIN_2: 3 for the authentication PIN) and then refuses the correct
PIN as locked. Comparisons are counted by wrapping the chip's one comparison function,
``mynacard.chip.model.pin_matches`` (in child processes: one byte appended to a file per call).
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mynacard.chip import MAX_TRIES, PinId
from mynacard.chip import model as chip_model
from mynacard.client import JpkiCard
from mynacard.db.store import Store
from mynacard.errors import PinLocked, WrongPin
from mynacard.services import holder, pins
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, issue_demo_card, open_card
from tests.client.conftest import AT, MASTER_KEY, clock
from tests.keypool import pooled_key

ATTEMPTS = 100
WRONG_SIGN = [f"WRONG{i}" for i in range(ATTEMPTS)]
WRONG_AUTH = [f"{i:04d}" for i in range(5000, 5000 + ATTEMPTS)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "races.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def office(db) -> Iterator[Office]:
    store = Store(db)
    store.migrate()
    yield Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    store.dispose()


@pytest.fixture
def card_id(office) -> str:
    return issue_demo_card(office, AT)


class Comparisons:
    """Counts the chip's PIN comparisons in this process, per verifier."""

    def __init__(self, monkeypatch) -> None:
        self.by_verifier: Counter[bytes] = Counter()
        self._lock = threading.Lock()
        compare = chip_model.pin_matches

        def counted(verifier, value, key):
            with self._lock:
                self.by_verifier[verifier.salt] += 1
            return compare(verifier, value, key)

        monkeypatch.setattr(chip_model, "pin_matches", counted)

    @property
    def total(self) -> int:
        return sum(self.by_verifier.values())


def fire(n: int, attempt: Callable[[int], None]) -> Counter[str]:
    """Run ``attempt(i)`` for i < n in n threads released at once; count the outcomes."""
    barrier = threading.Barrier(n)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            attempt(i)
            outcome = "accepted"
        except WrongPin:
            outcome = "wrong"
        except PinLocked:
            outcome = "locked"
        except Exception as exc:
            outcome = type(exc).__name__
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def assert_locked(office: Office, card_id: str, pin: PinId) -> None:
    card = JpkiCard(open_card(office, card_id, clock))
    assert card.tries_left(pin) == 0
    with pytest.raises(PinLocked):
        card.verify(pin, DEMO_PINS[pin.value])


def test_wrong_passwords_from_100_threads_over_apdus_R_PIN_1_R_PIN_4(office, card_id, monkeypatch) -> None:
    compared = Comparisons(monkeypatch)
    outcomes = fire(ATTEMPTS, lambda i: JpkiCard(open_card(office, card_id, clock)).verify(PinId.SIGN, WRONG_SIGN[i]))
    assert compared.total == MAX_TRIES[PinId.SIGN] == 5
    assert outcomes == {"wrong": 4, "locked": ATTEMPTS - 4}  # the 5th wrong one answers 63C0: locked
    assert_locked(office, card_id, PinId.SIGN)
    assert compared.total == 5  # the correct password was refused without a comparison


def test_wrong_pins_from_100_threads_through_the_services_R_PIN_2_R_PIN_4(office, card_id, monkeypatch) -> None:
    """The window's and the demo's path: ``holder.sign`` in a unit of work each."""
    compared = Comparisons(monkeypatch)

    def sign(i: int) -> None:
        with office.work(at=AT, actor="holder") as w:
            holder.sign(w, card_id, "auth", b"document", pin=WRONG_AUTH[i])

    outcomes = fire(ATTEMPTS, sign)
    assert compared.total == MAX_TRIES[PinId.AUTH] == 3
    assert outcomes == {"wrong": 3, "locked": ATTEMPTS - 3}  # WrongPin(tries_left=0) for the third
    with pytest.raises(PinLocked), office.work(at=AT, actor="holder") as w:
        holder.sign(w, card_id, "auth", b"document", pin=DEMO_PINS["auth"])
    assert compared.total == 3
    assert_locked(office, card_id, PinId.AUTH)


def test_pin_change_with_wrong_old_pins_from_100_threads_R_PIN_6_R_PIN_4(office, card_id, monkeypatch) -> None:
    """Both change paths at once: CHANGE after VERIFY over APDUs, and the service ``pins.change``."""
    compared = Comparisons(monkeypatch)

    def change(i: int) -> None:
        if i % 2:
            JpkiCard(open_card(office, card_id, clock)).change_pin(PinId.AUTH, WRONG_AUTH[i], "2468")
        else:
            with office.work(at=AT, actor="holder") as w:
                pins.change(w, card_id, "auth", WRONG_AUTH[i], "2468")

    outcomes = fire(ATTEMPTS, change)
    assert compared.total == 3
    assert outcomes["accepted"] == 0 and outcomes["wrong"] + outcomes["locked"] == ATTEMPTS
    with pytest.raises(PinLocked), office.work(at=AT, actor="holder") as w:
        pins.change(w, card_id, "auth", DEMO_PINS["auth"], "2468")
    assert_locked(office, card_id, PinId.AUTH)
    assert compared.total == 3


def test_window_reset_racing_with_wrong_tries_R_PIN_5_R_PIN_4(office, card_id, monkeypatch) -> None:
    """A reset at the window in the middle of 100 wrong tries: each value of the PIN is
    compared at most its 5 tries, the reset is never undone by a try in flight, and the
    counter left is exactly 5 minus the wrong tries compared with the new value."""
    compared = Comparisons(monkeypatch)
    go = threading.Event()

    def attempt(i: int) -> None:
        if i == ATTEMPTS // 2:
            with office.work(at=AT, actor="clerk") as w:
                pins.reset(w, card_id, "sign", "RESET99", identity_documents=["drivers_license"])
            go.set()
            return
        JpkiCard(open_card(office, card_id, clock)).verify(PinId.SIGN, WRONG_SIGN[i])

    outcomes = fire(ATTEMPTS, attempt)
    assert outcomes["accepted"] == 1  # the reset itself
    assert all(n <= 5 for n in compared.by_verifier.values())
    assert compared.total == outcomes["wrong"] + sum(1 for n in compared.by_verifier.values() if n == 5)
    card = JpkiCard(open_card(office, card_id, clock))
    left = card.tries_left(PinId.SIGN)
    with office.work(at=AT, actor="test") as w:
        from mynacard.services.pinstore import StorePins

        store_pins = StorePins(office, card_id, work=w)
        new_salt = store_pins.spend(PinId.SIGN).verifier.salt if left else None  # type: ignore[union-attr]
    if new_salt is not None:
        assert left == 5 - compared.by_verifier[new_salt]
    # The old password never works again; after one more reset the new one does.
    with office.work(at=AT, actor="clerk") as w:
        pins.reset(w, card_id, "sign", "RESET99", identity_documents=["drivers_license"])
    with pytest.raises(WrongPin):
        card.verify(PinId.SIGN, DEMO_PINS["sign"])
    card.verify(PinId.SIGN, "RESET99")


# -- separate processes ---------------------------------------------------------------------------


def _child(db: str, card_id: str, attempts: list[str], barrier, counter_file: str, results) -> None:
    """One process with its own store connection, firing its share of wrong passwords."""
    compare = chip_model.pin_matches

    def counted(verifier, value, key):
        fd = os.open(counter_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, b"x")
        os.close(fd)
        return compare(verifier, value, key)

    chip_model.pin_matches = counted
    store = Store(db)
    office = Office(store=store, master_key=MASTER_KEY)
    barrier.wait()
    for pw in attempts:
        try:
            JpkiCard(open_card(office, card_id, clock)).verify(PinId.SIGN, pw)
            results.put("accepted")
        except WrongPin:
            results.put("wrong")
        except PinLocked:
            results.put("locked")
        except Exception as exc:
            results.put(type(exc).__name__)
    store.dispose()


def test_wrong_passwords_from_separate_processes_R_PIN_1_R_PIN_4(office, card_id, db, tmp_path) -> None:
    """100 wrong passwords from separate processes (100 on SQLite; on the shared PostgreSQL
    server 25 processes of 4 tries each, to stay well under its connection limit)."""
    processes = ATTEMPTS if "://" not in db else 25
    office.store.dispose()  # no connection of the parent crosses the fork
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    counter_file = str(tmp_path / "comparisons")
    share = ATTEMPTS // processes
    procs = [
        ctx.Process(
            target=_child,
            args=(db, card_id, WRONG_SIGN[i * share : (i + 1) * share], barrier, counter_file, results),
        )
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    outcomes = Counter(results.get(timeout=300) for _ in range(ATTEMPTS))
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    comparisons = Path(counter_file).stat().st_size if Path(counter_file).exists() else 0
    assert comparisons == 5
    assert outcomes == {"wrong": 4, "locked": ATTEMPTS - 4}
    assert_locked(office, card_id, PinId.SIGN)


def test_wrong_passwords_from_20_cli_processes_R_PIN_1_R_PIN_4(card_id, db, tmp_path) -> None:
    """The report's reproduction: 20 ``mynacard client --card X sign --pin WRONGn`` at once."""
    key_env = {"MYNACARD_MASTER_KEY": base64.b64encode(MASTER_KEY).decode()}
    doc = tmp_path / "doc.txt"
    doc.write_text("申請書")
    env = {**os.environ, **key_env, "MYNACARD_DB": db, "MYNACARD_AT": AT.strftime("%Y-%m-%dT%H:%M")}
    exe = str(Path(sys.executable).with_name("mynacard"))
    procs = [
        subprocess.Popen(
            [exe, "client", "--card", card_id, "sign", str(doc), "--pin", WRONG_SIGN[i],
             "--out", str(tmp_path / f"sig{i}")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(20)
    ]
    answers = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 2 for p in procs), answers
    wrong = sum(1 for out, err in answers if re.search(r"Wrong .*: [1-4] tr(ies|y) left", out + err))
    assert wrong == 4, answers  # 5 compared: four "N tries left", the fifth locks it
    assert all("WRONG" not in out + err for out, err in answers)  # no PIN echoed


def test_card_face_pin_from_100_threads_R_PIN_4(office, card_id, monkeypatch) -> None:
    """The card-face AP's PIN A (the individual number) is counted in the store the same way:
    100 wrong numbers at once compare exactly its 10 tries."""
    from mynacard.chip import FACE_MAX_TRIES, Chip, FacePin
    from mynacard.services.pinstore import StorePins, open_state

    with office.work(at=AT, actor="test") as w:
        from mynacard.db.models import Card

        stored = w.session.get(Card, card_id).chip_state
    compared = []
    lock = threading.Lock()
    compare = chip_model.face_pin_matches

    def counted(expected, value):
        with lock:
            compared.append(1)
        return compare(expected, value)

    monkeypatch.setattr(chip_model, "face_pin_matches", counted)

    def attempt(i: int) -> None:
        chip = Chip(
            open_state(card_id, stored, MASTER_KEY),
            master_key=MASTER_KEY,
            pins=StorePins(office, card_id, clock=clock),
        )
        chip.verify_face_pin(FacePin.A, f"{i:012d}".encode())

    outcomes = fire(ATTEMPTS, attempt)
    assert len(compared) == FACE_MAX_TRIES == 10
    assert outcomes == {"wrong": 10, "locked": ATTEMPTS - 10}
    assert StorePins(office, card_id, clock=clock).tries_left(FacePin.A) == 0


def test_a_workflow_whose_try_cannot_be_committed_compares_nothing_R_PIN_4(office, card_id, monkeypatch) -> None:
    """On the services' path the try is committed before the comparison: if that commit
    fails, the workflow fails, nothing is compared and the counter is as it was."""
    from sqlalchemy.orm import Session

    compared = Comparisons(monkeypatch)

    def lost_connection(self):
        raise OSError("connection to the database lost")

    monkeypatch.setattr(Session, "commit", lost_connection)
    with pytest.raises(OSError), office.work(at=AT, actor="holder") as w:
        holder.sign(w, card_id, "auth", b"document", pin=DEMO_PINS["auth"])
    monkeypatch.undo()
    assert compared.total == 0
    assert JpkiCard(open_card(office, card_id, clock)).tries_left(PinId.AUTH) == 3


def test_a_workflow_that_changed_something_before_the_pin_is_refused(office, card_id) -> None:
    """The PIN check commits the workflow so far, so it must come before any change."""
    from mynacard.services import chips
    from mynacard.services.common import card

    with pytest.raises(RuntimeError, match="before it changes anything"), office.work(at=AT, actor="t") as w:
        c = card(w, card_id)
        c.notes = [*c.notes, {"text": "x"}]
        chips.chip_of(w, c).verify_pin(PinId.AUTH, DEMO_PINS["auth"])
