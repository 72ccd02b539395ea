"""Times to steps: the one rule by which nsnn_sim turns a time in seconds into a whole number of steps.

A time ``t`` (seconds, or a Brian2 / ``quantities`` time) on a grid of step ``dt`` is the step
``k = rint(t/dt)`` when it lies on the grid: ``|t - k*dt| <= TOLERANCE + 1e-9*|t|`` (an absolute
nanosecond and the rounding of ``t/dt`` itself). A time off the grid is refused with the nearest
whole-step values (``off_grid="refuse"``: parameters such as ``tau_ref`` and ``duration``), except where
a container must hold it (``"up"``: the duration of recorded data takes ``ceil(t/dt)`` steps) or the times
are drawn from a distribution (``"nearest"``: delays drawn from a normal take ``rint(t/dt)``, as NEST rounds
them).
"""

from __future__ import annotations

import numpy as np

from nsnn_sim._core.messages import describe
from nsnn_sim._core.validation import numeric_parameter, si_value

__all__ = ["TOLERANCE", "seconds_to_steps"]

TOLERANCE = 1e-9  # seconds: how far a time may lie from its step and still be on the grid


def seconds_to_steps(name: str, seconds, dt: float, *, off_grid: str = "refuse", minimum: float = 0.0):
    """``seconds`` (>= ``minimum``, a number or array, units accepted) as whole steps of ``dt`` (module docstring).

    Returns an ``int`` for a scalar, an ``int64`` array otherwise. ``ValueError`` naming ``name`` when a time is
    below ``minimum`` or off the grid with ``off_grid="refuse"``; ``"up"`` and ``"nearest"`` round it.
    """
    if off_grid not in ("refuse", "up", "nearest"):
        raise ValueError(f"off_grid={off_grid!r}; allowed: 'refuse', 'up', 'nearest'")
    seconds = numeric_parameter(name, si_value(name, seconds, "s"), lower=minimum)
    values = np.asarray(seconds, dtype=np.float64)
    nearest = np.rint(values / dt)
    on_grid = np.abs(values - nearest * dt) <= TOLERANCE + 1e-9 * np.abs(values)
    if off_grid == "up":
        steps = np.where(on_grid, nearest, np.ceil(values / dt))
    elif off_grid == "refuse" and not np.all(on_grid):
        raise ValueError(f"{name}={describe(seconds)} s is not a whole number of steps of dt={dt!r} s; the nearest "
                         f"whole-step value{'s are' if values.ndim else ' is'} {describe(nearest * dt)} s")
    else:
        steps = nearest
    if np.any(steps > 2**53):
        raise ValueError(f"{name}={describe(seconds)} s is more than 2**53 steps of dt={dt!r} s")
    return int(steps) if steps.ndim == 0 else steps.astype(np.int64)
