"""Times to steps: the one rule by which nsnn_sim turns a time in seconds into a whole number of steps.

A time ``t`` (seconds, or a Brian2 / ``quantities`` time) on a grid of step ``dt`` is the step
``k = rint(t/dt)`` when it lies on the grid: ``|t - k*dt| <= TOLERANCE + 1e-9*|t|`` (an absolute
nanosecond and the rounding of ``t/dt`` itself). A time off the grid is refused with the nearest
whole-step values, except where a container must hold it (``round_up``: the duration of recorded data,
which then takes ``ceil(t/dt)`` steps).
"""

from __future__ import annotations

import numpy as np

from nsnn_sim._core.messages import describe
from nsnn_sim._core.validation import numeric_parameter, si_value

__all__ = ["TOLERANCE", "seconds_to_steps"]

TOLERANCE = 1e-9  # seconds: how far a time may lie from its step and still be on the grid


def seconds_to_steps(name: str, seconds, dt: float, *, round_up: bool = False, minimum: float = 0.0):
    """``seconds`` (>= ``minimum``, a number or array, units accepted) as whole steps of ``dt`` (module docstring).

    Returns an ``int`` for a scalar, an ``int64`` array otherwise. ``ValueError`` naming ``name`` when a time is
    off the grid (unless ``round_up``) or below ``minimum``.
    """
    seconds = numeric_parameter(name, si_value(name, seconds, "s"), lower=minimum)
    values = np.asarray(seconds, dtype=np.float64)
    nearest = np.rint(values / dt)
    on_grid = np.abs(values - nearest * dt) <= TOLERANCE + 1e-9 * np.abs(values)
    if round_up:
        steps = np.where(on_grid, nearest, np.ceil(values / dt))
    elif not np.all(on_grid):
        raise ValueError(f"{name}={describe(seconds)} s is not a whole number of steps of dt={dt!r} s; the nearest "
                         f"whole-step value{'s are' if values.ndim else ' is'} {describe(nearest * dt)} s")
    else:
        steps = nearest
    if np.any(steps > 2**53):
        raise ValueError(f"{name}={describe(seconds)} s is more than 2**53 steps of dt={dt!r} s")
    return int(steps) if steps.ndim == 0 else steps.astype(np.int64)
