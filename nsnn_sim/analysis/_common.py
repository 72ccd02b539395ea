"""Helpers shared by the statistics modules (:mod:`~nsnn_sim.analysis.stats`,
:mod:`~nsnn_sim.analysis.distances`): argument checks, labelled results, warnings attributed to the caller.
Private: not part of the API, except :class:`Estimate`, which :mod:`~nsnn_sim.analysis.stats` and
:mod:`~nsnn_sim.analysis.spectral` return and export."""

from __future__ import annotations

import sys
import warnings
from typing import NamedTuple, Sequence

import numpy as np
import xarray as xr

from nsnn_sim._core.validation import describe, numeric_parameter, si_value
from nsnn_sim.spikes import SpikeTrains

_PACKAGE_MODULES = ("nsnn_sim.analysis.stats", "nsnn_sim.analysis.distances", "nsnn_sim.analysis.spectral", __name__)


class Estimate(NamedTuple):
    """A statistic and its standard error (a named tuple: ``value, se = stats.stationary_rate(spikes)`` unpacks it).

    Examples
    --------
    >>> from nsnn_sim.analysis.stats import Estimate
    >>> Estimate(20.0, 0.5).se
    0.5
    """

    value: float  #: the estimate, in the unit its function states
    se: float  #: its standard error, same unit


def _warn(message: str, category: type[Warning] = RuntimeWarning) -> None:
    """Warn, attributing the warning to the first caller outside the statistics modules."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__") in _PACKAGE_MODULES:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _check_spikes(spikes, name: str = "spikes") -> SpikeTrains:
    if not isinstance(spikes, SpikeTrains):
        raise TypeError(f"{name} must be a SpikeTrains, got {type(spikes).__name__}")
    return spikes


def _scalar_parameter(name: str, value, unit: str, lower_open: bool = True) -> float:
    """One number >= 0 (> 0 if ``lower_open``) in SI: ``unit`` is "s" or "1/s" (:func:`si_value`)."""
    value = numeric_parameter(name, si_value(name, value, unit), lower=0.0, lower_open=lower_open)
    if np.ndim(value):
        raise ValueError(f"{name}={describe(value)} must be a single number, not an array")
    return float(value)


def _time_step(spikes: SpikeTrains, name: str, seconds) -> int:
    """A time in seconds within the run as a whole number of steps."""
    seconds = _scalar_parameter(name, seconds, "s", lower_open=False)
    step = 0 if seconds == 0 else spikes.steps_per_window(seconds, name)
    if step > spikes.n_steps:
        raise ValueError(f"{name}={describe(seconds)} s lies after the end of the run ({describe(spikes.duration)} s)")
    return step


def _train_index(spikes: SpikeTrains) -> np.ndarray:
    """Flat index ``trial*n_neurons + neuron`` of each spike's train."""
    return spikes.trial.astype(np.int64) * spikes.n_neurons + spikes.neuron


def _coords(spikes: SpikeTrains, dims: Sequence[str]) -> dict:
    sizes = {"trial": spikes.n_trials, "trial_2": spikes.n_trials,
             "neuron": spikes.n_neurons, "neuron_2": spikes.n_neurons}
    return {dim: np.arange(sizes[dim]) for dim in dims}


def _jackknife_se(leave_one_out) -> np.ndarray:
    """Jackknife SE from ``G`` leave-one-group-out estimates along axis 0:
    ``sqrt((G - 1)/G * sum_g (theta_g - mean)^2)`` (Efron & Stein 1981, Ann Stat 9:586)."""
    leave_one_out = np.asarray(leave_one_out, dtype=float)
    n = leave_one_out.shape[0]
    return np.sqrt((n - 1) / n * np.sum((leave_one_out - leave_one_out.mean(axis=0)) ** 2, axis=0))


def _labelled(values, dims: tuple[str, ...], coords: dict, name: str, units: str, *,
              warn_if_undefined: bool = True, **attrs) -> xr.DataArray:
    """The result as a DataArray; a ``RuntimeWarning`` if every value is NaN (unless already explained)."""
    values = np.asarray(values)
    if warn_if_undefined and values.size and values.dtype.kind == "f" and np.all(np.isnan(values)):
        _warn(f"{name} is undefined (NaN) everywhere: too few spikes")
    return xr.DataArray(values, dims=dims, coords=coords, name=name, attrs={"units": units, **attrs})
