"""Spike times in seconds (plain arrays, or with units) onto the step grid of a :class:`SpikeTrains`.

A spike of ``SpikeTrains`` lies on step ``k``, at time ``k*dt``. A time ``t`` read from elsewhere (Neo,
NWB, Brian2, a recording) becomes step ``k = rint(t/dt)`` if ``|t - k*dt| <= 1e-9`` s (:data:`TOLERANCE`),
which absorbs the rounding of ``k*dt`` and of sums such as ``trial_start + k*dt``; a time further from
the grid raises ``ValueError`` naming it, unless ``snap=True`` rounds it to the nearest step. Every
importer (:mod:`nsnn_sim.interop.neo`, :mod:`nsnn_sim.interop.nwb`, :mod:`nsnn_sim.interop.brian2_monitor`)
ends here.

Examples
--------
>>> from nsnn_sim.interop.times import from_times
>>> spikes = from_times([0.0, 0.003, 0.001], neurons=[0, 1, 1], trials=None, dt=1e-3, n_steps=5)
>>> spikes.neuron.tolist(), spikes.step.tolist()
([0, 1, 1], [0, 1, 3])
"""

from __future__ import annotations

import numpy as np

from nsnn_sim._core.timesteps import TOLERANCE, seconds_to_steps
from nsnn_sim._core.validation import describe, float_array, numeric_parameter, si_value, whole_number
from nsnn_sim.spikes import SpikeTrains

__all__ = ["TOLERANCE", "from_times", "time_step", "whole_steps"]



def time_step(dt) -> float:
    """``dt`` as one positive number of seconds (a time with units is converted)."""
    dt = numeric_parameter("dt", si_value("dt", dt, "s"), lower=0.0, lower_open=True)
    if np.ndim(dt):
        raise ValueError(f"dt={describe(dt)} must be a single number of seconds, not an array")
    return float(dt)


def whole_steps(name: str, duration, dt: float) -> int:
    """A recorded duration (s, or a time with units) as the steps that hold it: the one rule of
    :func:`nsnn_sim._core.timesteps.seconds_to_steps`, rounding a time off the grid up."""
    return seconds_to_steps(name, duration, dt, off_grid="up")


def _labels(name: str, values, size: int) -> np.ndarray:
    if values is None:
        return np.zeros(size, dtype=np.int64)
    labels = np.asarray(values)
    if labels.ndim == 0:
        labels = np.full(size, labels)
    if labels.shape != (size,) or (size and labels.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be {size} integers, one per spike time (or one for all), got "
                         f"{describe(values)} of dtype {labels.dtype}")
    return labels.astype(np.int64)


def from_times(times, neurons, trials, dt, n_steps: int | None = None, n_neurons: int | None = None,
               n_trials: int | None = None, snap: bool = False) -> SpikeTrains:
    """Spike trains from plain arrays: spike ``k`` of neuron ``neurons[k]`` in trial ``trials[k]`` at ``times[k]``.

    Each time becomes the step ``rint(t/dt)`` (module docstring: within 1e-9 s of a step, or ``snap``).

    Parameters
    ----------
    times : array of float
        Spike times in seconds from the start of their trial (or times with units), any order.
    neurons : array of int
        The neuron of each spike (or one integer for all).
    trials : array of int or None
        The trial of each spike (or one integer for all); None: all in trial 0.
    dt : float
        Step duration in seconds (or a time with units).
    n_steps, n_neurons, n_trials : int, optional
        The shape of the run; default: just large enough for the spikes (``max + 1``; 1 if there are none).
        Give them to keep silent neurons, empty trials and the time after the last spike.
    snap : bool
        Round times further than 1e-9 s from a step to the nearest step instead of raising.

    Returns
    -------
    SpikeTrains

    Raises
    ------
    ValueError
        Naming the first time off the grid (unless ``snap``), a negative time, or a time at or after
        ``n_steps*dt``.

    Examples
    --------
    >>> from nsnn_sim import SpikeTrains
    >>> SpikeTrains.from_times([0.0015], 0, None, dt=1e-3, n_steps=4)
    Traceback (most recent call last):
    ...
    ValueError: the spike time 0.0015 s (trial 0, neuron 0) is 0.0005 s from the nearest step (2*dt = 0.002 s); \
times must lie within 1e-09 s of a step of dt=0.001 s: pass snap=True to round every time to its nearest step
    """
    dt = time_step(dt)
    times = float_array("times", si_value("times", times, "s"), "a 1-D array of spike times (seconds)")
    if times.ndim == 0:
        times = times.reshape(1)
    if times.ndim != 1 or not np.all(np.isfinite(times)):
        raise ValueError(f"times={describe(times)} must be a 1-D array of finite spike times (seconds)")
    neurons, trials = _labels("neurons", neurons, times.size), _labels("trials", trials, times.size)
    steps = np.rint(times / dt)

    def spike(where) -> tuple[str, int]:  # the first spike where `where` holds, for the error message
        first = int(np.flatnonzero(where)[0])
        return (f"the spike time {describe(float(times[first]))} s (trial {trials[first]}, neuron "
                f"{neurons[first]})"), first

    off = np.abs(times - steps * dt) > TOLERANCE
    if np.any(off) and not snap:
        which, first = spike(off)
        raise ValueError(f"{which} is {abs(times[first] - steps[first] * dt):.3g} s from the nearest step "
                         f"({int(steps[first])}*dt = {describe(float(steps[first] * dt))} s); times must lie within "
                         f"{TOLERANCE:g} s of a step of dt={describe(dt)} s: pass snap=True to round every time to its "
                         "nearest step")
    if np.any(steps < 0):
        raise ValueError(f"{spike(steps < 0)[0]} lies before the start of its trial (0 s)")
    steps = steps.astype(np.int64)
    shape = {}
    for name, given, labels in (("n_steps", n_steps, steps), ("n_neurons", n_neurons, neurons),
                                ("n_trials", n_trials, trials)):
        shape[name] = whole_number(name, given) if given is not None else int(labels.max()) + 1 if labels.size else 1
    late = steps >= shape["n_steps"]
    if np.any(late):
        raise ValueError(f"{spike(late)[0]} lies at or after the end of the run, n_steps*dt = "
                         f"{describe(shape['n_steps'] * dt)} s; give a larger n_steps")
    return SpikeTrains(trials, neurons, steps, dt=dt, **shape)
