"""The service's clock: the only place the web layer reads the time (STYLE habit 2).

Real time by default; started with ``--at`` it is a simulated clock that either stands still
or advances with real time from the simulated start, and the administrator may set it.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from mynacard.timeutil import JST, require_aware


class Clock:
    def __init__(self, at: datetime | None = None, *, advance: bool = True) -> None:
        self._lock = threading.Lock()
        self._sim: datetime | None = require_aware(at) if at is not None else None
        self._mono = time.monotonic()
        self.advance = advance

    @property
    def simulated(self) -> bool:
        return self._sim is not None

    def now(self) -> datetime:
        with self._lock:
            if self._sim is None:
                return datetime.now(JST)
            if not self.advance:
                return self._sim.astimezone(JST)
            return (self._sim + timedelta(seconds=time.monotonic() - self._mono)).astimezone(JST)

    def set(self, at: datetime | None, *, advance: bool | None = None) -> None:
        """Set the simulated time (``None``: back to real time)."""
        with self._lock:
            self._sim = require_aware(at) if at is not None else None
            self._mono = time.monotonic()
            if advance is not None:
                self.advance = advance
