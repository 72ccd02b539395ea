"""Spike-train distances and reliability: van Rossum, Victor-Purpura, all pairs of trials, Schreiber.

Part of the statistics layer (:mod:`nsnn_sim.analysis.stats` re-exports every function here, so
``stats.van_rossum_distance`` is this one). Distances between two trains take arrays of spike
times in seconds; :func:`pairwise_distances` and :func:`reliability` take a
:class:`~nsnn_sim.spikes.SpikeTrains` and compare its trials. Trains compared with each other must
have equal durations.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from numba import njit

from nsnn_sim._core.validation import describe, float_array, si_value, whole_number
from nsnn_sim.analysis._common import _check_spikes, _coords, _labelled, _scalar_parameter
from nsnn_sim.spikes import SpikeTrains

__all__ = ["van_rossum_distance", "victor_purpura_distance", "pairwise_distances", "reliability"]

# exp(-(12 sigma)^2 / (4 sigma^2)) = exp(-36) ~ 2e-16: Gaussian overlaps beyond this are dropped
_GAUSSIAN_REACH = 12.0


# ------------------------------------------------------------------ spike-train distances
def _spike_times(name: str, times) -> np.ndarray:
    """``times`` as a sorted 1-D float64 array (seconds), sorted only if it is not already (the spike times of
    a :class:`SpikeTrains` are)."""
    times = float_array(name, si_value(name, times, "s"), "a 1-D array of spike times (seconds)")
    if times.ndim != 1 or not np.all(np.isfinite(times)):
        raise ValueError(f"{name}={describe(times)} must be a 1-D array of finite spike times (seconds)")
    return times if _is_sorted(times) else np.sort(times)


@njit(cache=True)
def _is_sorted(times):
    for k in range(1, times.size):
        if times[k] < times[k - 1]:
            return False
    return True


# van Rossum conventions: the coefficient c of
# D^2 = c * [sum_ij e^{-|a_i-a_j|/tau} + sum_ij e^{-|b_i-b_j|/tau} - 2 sum_ij e^{-|a_i-b_j|/tau}]
_VAN_ROSSUM_CONVENTIONS = {"nsnn_sim": 0.5, "elephant": 1.0}


def van_rossum_distance(times_a, times_b, tau: float, convention: str = "nsnn_sim") -> float:
    """Van Rossum (2001) distance between two spike trains, in closed form, in one pass over the spikes.

    With ``f = sum_i exp(-(t - a_i)/tau) H(t - a_i)`` and ``g`` likewise for ``b``,
    ``D^2 = (1/tau) int (f - g)^2 dt
    = (1/2) [sum_ij e^{-|a_i-a_j|/tau} + sum_ij e^{-|b_i-b_j|/tau} - 2 sum_ij e^{-|a_i-b_j|/tau}]``.

    The integral is evaluated over the merged, sorted spikes ``t_1 <= t_2 <= ...`` (``a`` counted +1, ``b``
    -1; Houghton & Kreuz 2012, Network 23:48): just after ``t_k``, ``f - g = v_k``, with ``v_k = sign_k +
    exp(-(t_k - t_{k-1})/tau) v_{k-1}``, and it decays as ``v_k exp(-(t - t_k)/tau)`` until ``t_{k+1}``, so

    ``D^2 = (1/2) [sum_k v_k^2 (1 - exp(-2 (t_{k+1} - t_k)/tau)) + v_last^2]``,

    a sum of non-negative terms (no cancellation, unlike the bracket above). Time O(len(a) + len(b)); the pass
    itself needs O(1) memory (the checks make one float64 copy of each train, sorted if it was not; two trains
    of 10^6 spikes: 0.08 s, 10 MB).

    Two normalisations are in use, and ``convention`` picks one:

    * ``"nsnn_sim"`` (the default, van Rossum's ``(1/tau) int``): one spike against none gives
      ``D = 1/sqrt(2)``;
    * ``"elephant"``: Elephant's ``elephant.spike_train_dissimilarity.van_rossum_distance``, which is
      ``sqrt(2)`` times larger, ``D_elephant^2 = (2/tau) int (f - g)^2 dt`` (the bracket above without the
      1/2): one spike against none gives 1.

    Parameters
    ----------
    times_a, times_b : array of float
        Spike times in seconds (any order), or times with units (Brian2, ``quantities``, a ``neo.SpikeTrain``).
    tau : float
        Kernel time constant in seconds (or a time with units), > 0.
    convention : {"nsnn_sim", "elephant"}
        The normalisation (above).

    Returns
    -------
    float
        The distance (dimensionless).

    Examples
    --------
    >>> from nsnn_sim.analysis.stats import van_rossum_distance
    >>> round(van_rossum_distance([0.1], [], tau=0.01), 6), van_rossum_distance([0.1], [], 0.01, convention="elephant")
    (0.707107, 1.0)
    """
    coefficient = _van_rossum_coefficient(convention)
    times_a, times_b = _spike_times("times_a", times_a), _spike_times("times_b", times_b)
    tau = _scalar_parameter("tau", tau, "s")
    return math.sqrt(coefficient * _van_rossum_bracket(times_a, times_b, tau))


def _van_rossum_coefficient(convention: str) -> float:
    if not isinstance(convention, str) or convention not in _VAN_ROSSUM_CONVENTIONS:
        raise ValueError(f"convention={convention!r} is not allowed; allowed: {tuple(_VAN_ROSSUM_CONVENTIONS)}")
    return _VAN_ROSSUM_CONVENTIONS[convention]


@njit(cache=True)
def _van_rossum_bracket(times_a, times_b, tau):
    """``(2/tau) int (f - g)^2 dt`` of the sorted trains (:func:`van_rossum_distance`: the bracket), in one
    merge of the two: ``sum_k v_k^2 (1 - exp(-2 (t_{k+1} - t_k)/tau)) + v_last^2``."""
    i, j = 0, 0
    total, trace, last = 0.0, 0.0, 0.0
    while i < times_a.size or j < times_b.size:
        if j == times_b.size or (i < times_a.size and times_a[i] <= times_b[j]):
            time, sign = times_a[i], 1.0
            i += 1
        else:
            time, sign = times_b[j], -1.0
            j += 1
        if i + j > 1:  # the trace left by the spikes before: its integral up to this spike, then its decay
            gap = (time - last) / tau
            total -= trace * trace * math.expm1(-2.0 * gap)
            trace *= math.exp(-gap)
        trace += sign
        last = time
    return total + trace * trace


@njit(cache=True)
def _victor_purpura_kernel(times_a, times_b, cost):
    previous = np.arange(times_b.size + 1).astype(np.float64)
    current = np.empty_like(previous)
    for i in range(1, times_a.size + 1):
        current[0] = i
        for j in range(1, times_b.size + 1):
            current[j] = min(previous[j] + 1.0, current[j - 1] + 1.0,
                             previous[j - 1] + cost * abs(times_a[i - 1] - times_b[j - 1]))
        previous, current = current, previous
    return previous[times_b.size]


def victor_purpura_distance(times_a, times_b, cost: float) -> float:
    """Victor & Purpura (1996) spike-time distance: the cheapest edit turning train ``a`` into ``b``.

    Deleting or inserting a spike costs 1, moving one by ``dt`` costs ``cost*|dt|``; by dynamic
    programming, ``G[i,j] = min(G[i-1,j] + 1, G[i,j-1] + 1, G[i-1,j-1] + cost*|a_i - b_j|)`` with
    ``G[i,0] = i``, ``G[0,j] = j`` and ``D = G[len(a), len(b)]``. ``cost = 0`` gives the count
    difference; time O(len(a) * len(b)).

    Parameters
    ----------
    times_a, times_b : array of float
        Spike times in seconds (any order).
    cost : float
        Cost per second of moving a spike (q, in 1/s), >= 0.

    Returns
    -------
    float
        The distance (dimensionless).
    """
    times_a, times_b = _spike_times("times_a", times_a), _spike_times("times_b", times_b)
    return float(_victor_purpura_kernel(times_a, times_b, _scalar_parameter("cost", cost, "1/s", lower_open=False)))


# metric name -> (distance function, name of its parameter, its unit, whether it must be > 0 rather than >= 0)
_METRICS = {"van_rossum": (van_rossum_distance, "tau", "s", True),
            "victor_purpura": (victor_purpura_distance, "cost", "1/s", False)}


def _trial_times(spikes: SpikeTrains, neuron: int) -> list[np.ndarray]:
    mine = spikes.neuron == neuron
    trials = spikes.trial[mine]
    return np.split(spikes.time[mine], np.searchsorted(trials, np.arange(1, spikes.n_trials)))


def pairwise_distances(spikes: SpikeTrains, metric: str, parameter: float, neuron: int,
                       other: SpikeTrains | None = None, convention: str = "nsnn_sim") -> xr.DataArray:
    """Distances between the trials of one neuron: ``D[t, t_2] = metric(train_t, train_t2; parameter)``.

    Parameters
    ----------
    spikes : SpikeTrains
    metric : {"van_rossum", "victor_purpura"}
        :func:`van_rossum_distance` or :func:`victor_purpura_distance`.
    parameter : float
        ``tau`` (s) for van Rossum, ``cost`` (1/s) for Victor-Purpura.
    neuron : int
        The neuron whose trials are compared.
    other : SpikeTrains, optional
        Compare the trials of ``spikes`` (rows) with those of ``other`` (columns), e.g. two runs of a
        model; the durations must be equal. Default: ``spikes`` with itself (a symmetric matrix).
    convention : {"nsnn_sim", "elephant"}
        The van Rossum normalisation (:func:`van_rossum_distance`); Victor-Purpura has only one.

    Returns
    -------
    xarray.DataArray
        Dims ``(trial, trial_2)``, dimensionless.
    """
    _check_spikes(spikes)
    if metric not in _METRICS:
        raise ValueError(f"metric={metric!r} must be one of {sorted(_METRICS)}")
    distance, parameter_name, unit, lower_open = _METRICS[metric]
    parameter = _scalar_parameter(f"parameter ({parameter_name})", parameter, unit, lower_open=lower_open)
    _van_rossum_coefficient(convention)
    if metric != "van_rossum" and convention != "nsnn_sim":
        raise ValueError(f"convention={convention!r} applies to metric='van_rossum' only, not {metric!r}")
    options = {"convention": convention} if metric == "van_rossum" else {}
    columns = spikes if other is None else _check_spikes(other, "other")
    if not math.isclose(columns.duration, spikes.duration, rel_tol=1e-12):
        raise ValueError(f"other has duration {describe(columns.duration)} s but spikes has "
                         f"{describe(spikes.duration)} s; "
                         "distances need trains of equal durations")
    neuron = whole_number("neuron", neuron, minimum=0, maximum=min(spikes.n_neurons, columns.n_neurons) - 1)
    rows, cols = _trial_times(spikes, neuron), _trial_times(columns, neuron)
    matrix = np.zeros((len(rows), len(cols)))
    for row, times_a in enumerate(rows):
        for column in range(row + 1 if other is None else 0, len(cols)):
            matrix[row, column] = distance(times_a, cols[column], parameter, **options)
    if other is None:
        matrix += matrix.T
    return _labelled(matrix, ("trial", "trial_2"), {"trial": np.arange(len(rows)), "trial_2": np.arange(len(cols))},
                     f"{metric}_distance", "1", metric=metric, parameter=float(parameter), neuron=neuron)


# ------------------------------------------------------------------ reliability
def reliability(spikes: SpikeTrains, sigma: float) -> xr.DataArray:
    """Correlation-based reliability of Schreiber, Fellous, Whitmer, Tiesinga & Sejnowski (2003).

    Each trial's train of a neuron is filtered with a Gaussian of SD ``sigma``, ``s_t(x) = sum_k
    G_sigma(x - t_k)``, and ``R = 2/(M(M-1)) sum_{t<u} s_t.s_u / (|s_t| |s_u|)`` over the ``M``
    trials that have spikes. The inner products are exact over the whole time axis (no edge
    truncation): ``s_t.s_u`` is proportional to ``sum_{k,l} exp(-(t_k - u_l)^2 / (4 sigma^2))``
    (pairs more than 12 sigma apart, contributing < 1e-15, are skipped). R = 1 for identical trials.
    Time and memory grow with the number of pairs of a neuron's spikes (over all trials) closer than
    12 sigma, plus ``n_neurons * n_trials**2`` for the inner products.

    Parameters
    ----------
    spikes : SpikeTrains
    sigma : float
        SD of the Gaussian filter in seconds, > 0.

    Returns
    -------
    xarray.DataArray
        Dims ``(neuron,)``, dimensionless; NaN for a neuron with fewer than 2 trials with spikes.
    """
    _check_spikes(spikes)
    sigma = _scalar_parameter("sigma", sigma, "s")
    gram = _gaussian_gram(spikes, sigma)
    norm = np.sqrt(np.einsum("ntt->nt", gram))
    active = norm > 0
    pairs = active[:, :, None] & active[:, None, :] & np.triu(np.ones(gram.shape[1:], dtype=bool), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.where(pairs, gram / (norm[:, :, None] * norm[:, None, :]), 0.0)
        value = np.where(pairs.any(axis=(1, 2)), cosine.sum(axis=(1, 2)) / pairs.sum(axis=(1, 2)), np.nan)
    return _labelled(value, ("neuron",), _coords(spikes, ("neuron",)), "reliability", "1", sigma=sigma)


def _gaussian_gram(spikes: SpikeTrains, sigma: float) -> np.ndarray:
    """``gram[i, t, u] = sum_{k in (t,i), l in (u,i)} exp(-(time_k - time_l)^2 / (4 sigma^2))``."""
    # pairs more than n_steps apart do not exist: the reach never needs to exceed the run
    n_trials, reach = spikes.n_trials, int(min(spikes.n_steps, math.ceil(_GAUSSIAN_REACH * sigma / spikes.dt)))
    order = np.lexsort((spikes.step, spikes.neuron))
    neuron, trial, step = spikes.neuron[order].astype(np.int64), spikes.trial[order], spikes.step[order]
    key = neuron * (spikes.n_steps + reach + 1) + step  # sorted; spikes of different neurons never within reach
    # every ordered pair (first, second) of spikes of one neuron, second later in `key`, within reach
    first_after = np.arange(key.size) + 1
    n_partners = np.searchsorted(key, key + reach, side="right") - first_after
    first = np.repeat(np.arange(key.size), n_partners)
    rank = np.arange(n_partners.sum()) - np.repeat(np.cumsum(n_partners) - n_partners, n_partners)
    second = first_after[first] + rank
    weight = np.exp(-(((step[second] - step[first]) * spikes.dt) ** 2) / (4.0 * sigma**2))

    def cell(rows, cols):  # flat index of (neuron, trial of rows, trial of cols)
        return (neuron[rows] * n_trials + trial[rows]) * n_trials + trial[cols]

    everyone = np.arange(key.size)
    gram = np.bincount(np.concatenate([cell(first, second), cell(second, first), cell(everyone, everyone)]),
                       np.concatenate([weight, weight, np.ones(key.size)]),
                       minlength=spikes.n_neurons * n_trials**2)
    return gram.reshape(spikes.n_neurons, n_trials, n_trials)
