"""A process forked from one that has already handed over a card (a web server's pre-loaded
workers, mutmut's mutant runs) hands over cards too: it must not wait on its parent's crypto
threads, which a forked child does not have (R_CARD_1)."""

from __future__ import annotations

import os
import signal
import threading
import time

from mynacard.db import repositories as repo
from mynacard.services import cards
from tests.services.conftest import at, issued_card, new_resident


def test_a_forked_process_hands_over_a_card_after_its_parent_did_R_CARD_1(office):
    issued_card(office, new_resident(office))
    # The parent's crypto pool at its full size (as after many hand-overs), every thread idle: a
    # child given that pool would queue its work for threads it does not have.
    pool = cards._crypto()
    everyone = threading.Barrier(pool._max_workers + 1)
    started = [pool.submit(everyone.wait, 30) for _ in range(pool._max_workers)]
    everyone.wait(30)
    for f in started:
        f.result()
    pid = os.fork()
    if pid == 0:  # the child: a second hand-over, then the state of the card as its exit status
        status = 1
        try:
            card_id = issued_card(office, new_resident(office))
            with office.work(at=at("2025-06-01"), actor="test") as w:
                status = 0 if repo.card(w.session, card_id).state == "issued" else 2
        finally:
            os._exit(status)
    deadline = time.monotonic() + 120  # a hung child never ends: stop it rather than the run
    while (done := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    if done == (0, 0):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert done != (0, 0), "the forked process never finished its hand-over"
    assert os.waitstatus_to_exitcode(done[1]) == 0

