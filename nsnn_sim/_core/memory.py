"""Refuse, before allocating, what cannot fit in memory: one estimate, one clear error.

Entry points that allocate in proportion to their arguments (per-neuron arrays of a simulation,
recorded membrane state, dense spike arrays, counting windows, decoder grids) estimate the bytes a
call needs and call :func:`require_memory`, which raises a ``MemoryError`` (a subclass of nothing
surprising: Python's own) naming the call, the parameters and the estimate when it exceeds the
memory available (``MemAvailable`` of ``/proc/meminfo``, else the physical memory).

Examples
--------
>>> from nsnn_sim._core.memory import require_memory
>>> require_memory(1024, "a tiny request")
>>> require_memory(2**62, "simulate(n_neurons=2**59)")
Traceback (most recent call last):
...
MemoryError: simulate(n_neurons=2**59) needs about 4611686.0 TB, more than the ... available: ...
"""

from __future__ import annotations

import os

__all__ = ["available_bytes", "require_memory", "format_bytes"]


def available_bytes() -> int:
    """Memory available to a new allocation: ``MemAvailable`` (Linux), else the physical memory."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**63 - 1


def format_bytes(count: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count:.0f} B"


def require_memory(count: float, what: str) -> None:
    """``MemoryError`` naming ``what`` (the call and its parameters) if ``count`` bytes exceed
    what is available."""
    available = available_bytes()
    if count > available:
        raise MemoryError(f"{what} needs about {format_bytes(count)}, more than the {format_bytes(available)} "
                          "available: make the sizes named here smaller, or run the work in parts")
