"""Time spent in Numba compilation (or loading compiled kernels from the on-disk cache).

A first call of a kernel in a fresh process compiles it, or loads it from Numba's cache; both
happen under Numba's compiler lock, whose start and end Numba reports as events.
:class:`CompileClock` adds up the time the lock is held (outermost acquisitions only, since
compiling one kernel compiles the functions it calls inside it), so a result can record its
``compile_time_s`` apart from its ``run_time_s``.

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

__all__ = ["CompileClock"]


class CompileClock(event.Listener):
    """Context manager: ``seconds`` of Numba compilation (and cache loading) inside the block."""

    def __init__(self):
        self.seconds = 0.0
        self._depth = 0
        self._started = 0.0
        self._lock = threading.Lock()

    def on_start(self, _event):
        with self._lock:
            if self._depth == 0:
                self._started = time.perf_counter()
            self._depth += 1

    def on_end(self, _event):
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self.seconds += time.perf_counter() - self._started

    def __enter__(self) -> "CompileClock":
        event.register("numba:compiler_lock", self)
        return self

    def __exit__(self, *exc_info) -> None:
        event.unregister("numba:compiler_lock", self)
