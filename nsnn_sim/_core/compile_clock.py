"""Time spent in Numba compilation (or loading compiled kernels from the on-disk cache).

A first call of a kernel in a fresh process compiles it, or loads it from Numba's cache; both
happen under Numba's compiler lock, whose start and end Numba reports as events.
:class:`CompileClock` adds up the time the lock is held (outermost acquisitions only, since
compiling one kernel compiles the functions it calls inside it), so a result can record its
``compile_time_s`` apart from its ``run_time_s``. Given ``announce``, a message, it logs that message once at
INFO when a compilation has lasted ``announce_after`` seconds (loading from the cache takes well under a
second, so only a real compilation is announced, while it runs).

Examples
--------
>>> from nsnn_sim._core.compile_clock import CompileClock
>>> with CompileClock() as clock:
...     pass
>>> clock.seconds
0.0
"""

from __future__ import annotations

import threading
import time

from numba.core import event

from nsnn_sim._core.log import get_logger

__all__ = ["CompileClock"]

_LOGGER = get_logger(__name__)


class CompileClock(event.Listener):
    """Context manager: ``seconds`` of Numba compilation (and cache loading) inside the block."""

    def __init__(self, announce: str | None = None, announce_after: float = 2.0):
        self.seconds = 0.0
        self.announced = False
        self._depth = 0
        self._started = 0.0
        self._lock = threading.Lock()
        self._announce, self._announce_after = announce, announce_after
        self._timer: threading.Timer | None = None

    def on_start(self, _event):
        with self._lock:
            if self._depth == 0:
                self._started = time.perf_counter()
                if self._announce is not None and not self.announced:
                    self._timer = threading.Timer(self._announce_after, self._say)
                    self._timer.daemon = True
                    self._timer.start()
            self._depth += 1

    def on_end(self, _event):
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self.seconds += time.perf_counter() - self._started
                self._cancel_timer()

    def _say(self) -> None:
        with self._lock:
            if self._depth > 0 and not self.announced:
                self.announced = True
                _LOGGER.info(self._announce)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def __enter__(self) -> "CompileClock":
        event.register("numba:compiler_lock", self)
        return self

    def __exit__(self, *exc_info) -> None:
        event.unregister("numba:compiler_lock", self)
        with self._lock:
            self._cancel_timer()
