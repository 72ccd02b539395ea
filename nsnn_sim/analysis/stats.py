"""Spike-train statistics of a :class:`~nsnn_sim.spikes.SpikeTrains`, as labelled xarray.

Rates, PSTHs, ISI irregularity (CV, CV2, LV), Fano factors, noise correlations of counts, spike-train
distances (van Rossum, Victor-Purpura) and the reliability of Schreiber et al. (2003). Every result
is an ``xarray.DataArray`` with dims among ``trial``, ``trial_2``, ``neuron``, ``neuron_2``,
``time`` and ``window``, its units in ``attrs["units"]`` (``"1"`` for dimensionless numbers).
Counting works on integer steps (``step // width``), so binning has no floating-point errors, and
memory is O(spikes) plus the size of the result (the distances and the reliability, which sum over
pairs of spikes, say what they need).

This module is the only place a spike statistic is computed; every other module and script calls
it. Grouped by purpose:

* rates: :func:`firing_rates`, :func:`psth`;
* interval irregularity: :func:`isi_cv` (per train, or pooled over trials or over everything),
  :func:`cv_of_intervals` (intervals in, one CV per group), :func:`cv2`, :func:`lv`,
  :func:`isi_serial_correlation` (``rho_k`` of successive intervals, with SEs);
* counts: :func:`fano_factor` (spike trains in), :func:`fano_of_counts` (counts in, ``ddof`` stated),
  :func:`count_correlations` and :func:`correlations_of_counts` (the same estimator);
* spike-train distances and reliability: :func:`van_rossum_distance`,
  :func:`victor_purpura_distance`, :func:`pairwise_distances`, :func:`reliability` (defined in
  :mod:`nsnn_sim.analysis.distances`, re-exported here).

Estimators: CVs and Fano factors take the SD / variance with ddof = 0, as Elephant; an interval is
the time between consecutive spikes of one (trial, neuron) train (:meth:`SpikeTrains.intervals`).

Edge cases
----------
* **No spikes.** Rates and PSTHs are exact zeros and distances between spike-free trains are 0 (all
  defined, no warning). Ratios (CV, CV2, LV, Fano factor, count correlation, reliability) are NaN.
  Whenever *every* value of a result is NaN, a ``RuntimeWarning`` says so; nothing raises.
* **Too few events.** CV, CV2 and LV need at least two intervals (three spikes) in a train (the
  CV is computed with ddof = 0, so one interval would give a meaningless 0); otherwise NaN. A
  train with one spike has no interval: NaN.
* **Zero means.** A Fano factor with a zero mean count, and a correlation involving a neuron whose
  count never varies, is NaN (the diagonal of a correlation matrix is 1 where defined).
* **Windows.** Counting windows and PSTH bins are in seconds and must be a whole number of steps
  and > 0, else ``ValueError`` naming the parameter and the value. The steps at the end of a run
  that do not fill a whole window are not counted. A Fano or correlation window longer than the
  run (or leaving fewer than two samples to take a variance over) gives NaN for that window with a
  ``RuntimeWarning``; a PSTH bin longer than the run raises ``ValueError`` (there would be no bins).
* **Units.** Every time (``t_start``, ``t_stop``, windows, ``bin_width``, ``smoothing``, ``tau``,
  ``sigma``, spike times) and the Victor-Purpura ``cost`` (1/s) may carry units (a Brian2 ``Quantity``, a
  ``quantities`` array): converted to SI, or refused with ``UnitError`` if the dimension is wrong
  (:mod:`nsnn_sim._core.units`). Plain floats are seconds and 1/s.
* **Durations.** Trains compared with each other must have equal durations: distances between two
  ``SpikeTrains`` raise ``ValueError`` otherwise (within one ``SpikeTrains`` they always agree).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from scipy import sparse
from scipy.ndimage import gaussian_filter1d

from nsnn_sim._core.memory import require_memory
from nsnn_sim._core.validation import describe, finite_array, float_array, si_value, whole_number
from nsnn_sim.analysis._common import (
    Estimate,
    _check_spikes,
    _coords,
    _jackknife_se,
    _labelled,
    _scalar_parameter,
    _time_step,
    _train_index,
    _warn,
)
from nsnn_sim.analysis.distances import (  # distances live in their own module; stats is the one entry point
    pairwise_distances,
    reliability,
    van_rossum_distance,
    victor_purpura_distance,
)
from nsnn_sim.spikes import SpikeTrains

__all__ = ["firing_rates", "stationary_rate", "stationary_part", "STATIONARY_WARMUP",
           "psth", "isi_cv", "cv_of_intervals", "isi_serial_correlation", "cv2", "lv", "fano_factor", "fano_of_counts",
           "count_correlations", "correlations_of_counts", "van_rossum_distance", "victor_purpura_distance",
           "pairwise_distances", "reliability", "Estimate"]


# ------------------------------------------------------------------ shared helpers
def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean over the finite values along ``axis``; NaN (silently) where there are none."""
    finite = np.isfinite(values)
    total = np.where(finite, values, 0.0).sum(axis=axis)
    number = finite.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(number > 0, total / np.maximum(number, 1), np.nan)


def _window_cells(spikes: SpikeTrains, width: int):
    """The non-empty counting cells (trial, neuron, window position) of ``width`` steps.

    Returns ``n_positions`` (whole windows in the run) and, for each cell holding at least one spike,
    its ``trial``, ``neuron``, ``position`` and ``count`` (float). Needs ``n_positions >= 1``.
    """
    n_positions = spikes.n_steps // width
    keep = spikes.step < n_positions * width
    cell, count = np.unique(_train_index(spikes)[keep] * n_positions + spikes.step[keep] // width,
                            return_counts=True)
    train, position = np.divmod(cell, n_positions)
    trial, neuron = np.divmod(train, spikes.n_neurons)
    return n_positions, trial, neuron, position, count.astype(np.float64)


# ------------------------------------------------------------------ rates and PSTH
def firing_rates(spikes: SpikeTrains, t_start: float = 0.0, t_stop: float | None = None) -> xr.DataArray:
    """Mean firing rate of every trial and neuron in ``[t_start, t_stop)``.

    ``rate = N / (t_stop - t_start)`` with ``N`` the number of spikes at times ``t_start <= t < t_stop``.

    Parameters
    ----------
    spikes : SpikeTrains
    t_start, t_stop : float
        Start and end of the counting interval in seconds, whole numbers of steps within the run
        (default: the whole run).

    Returns
    -------
    xarray.DataArray
        Dims ``(trial, neuron)``, in Hz.
    """
    _check_spikes(spikes)
    start = _time_step(spikes, "t_start", t_start)
    stop = spikes.n_steps if t_stop is None else _time_step(spikes, "t_stop", t_stop)
    if stop <= start:
        raise ValueError(f"t_stop={describe(stop * spikes.dt)} s must be later than "
                         f"t_start={describe(start * spikes.dt)} s")
    keep = (spikes.step >= start) & (spikes.step < stop)
    counts = np.bincount(_train_index(spikes)[keep], minlength=spikes.n_trials * spikes.n_neurons)
    rates = counts.reshape(spikes.n_trials, spikes.n_neurons) / ((stop - start) * spikes.dt)
    return _labelled(rates, ("trial", "neuron"), _coords(spikes, ("trial", "neuron")), "firing_rate", "Hz",
                     t_start=start * spikes.dt, t_stop=stop * spikes.dt)


STATIONARY_WARMUP = 0.1  # s: 10 membrane time constants of 10 ms and several ISIs at >= 20 Hz


def stationary_part(spikes: SpikeTrains, warmup: float = STATIONARY_WARMUP) -> SpikeTrains:
    """The spikes after the stationary protocol's warm-up (rounded up to whole steps: 0.1 s is no whole
    number of steps of dt = 30 us), for every statistic compared with stationary theory."""
    _check_spikes(spikes)
    warmup = _scalar_parameter("warmup", warmup, "s", lower_open=False)
    if warmup >= spikes.duration:
        raise ValueError(f"warmup={describe(warmup)} s leaves nothing of the run "
                         f"({describe(spikes.duration)} s) to count")
    return spikes.crop(math.ceil(warmup / spikes.dt - 1e-9) * spikes.dt)


def stationary_rate(spikes: SpikeTrains, warmup: float = STATIONARY_WARMUP) -> Estimate:
    """The stationary-rate protocol: mean rate after a warm-up, and its standard error.

    Every neuron starts at a fixed potential (``u_rest``), so the count over ``[0, T)`` misses about
    ``(1 - CV^2)/2`` spikes (renewal theory: the forward recurrence time of the first spike), a bias
    of -0.2 to -0.4 % over 1-2 s. The protocol counts from ``warmup`` on only:
    ``rate = mean over trains of N_i/(T - warmup)``, ``SE = SD(N_i/(T - warmup))/sqrt(n_trains)``
    (independent trains: an unconnected population). Every comparison with stationary theory
    (Siegert, Brunel, :func:`nsnn_sim.theory.hazard_renewal`) uses it.

    Returns
    -------
    Estimate
        ``value`` the rate and ``se`` its SE, in Hz (``rate, se = stationary_rate(spikes)`` unpacks it).
    """
    rates = firing_rates(stationary_part(spikes, warmup)).values.ravel()
    if rates.size < 2:
        raise ValueError(f"stationary_rate needs at least 2 trains for an SE, got {rates.size}")
    return Estimate(float(rates.mean()), float(rates.std(ddof=1) / np.sqrt(rates.size)))


def psth(spikes: SpikeTrains, bin_width: float, smoothing: float | None = None, neurons=None,
         per_neuron: bool = False) -> xr.DataArray:
    """Peri-stimulus time histogram: the rate in consecutive bins, averaged over trials (and neurons).

    ``r_b = N_b / (n_trials * n_neurons * bin_width)`` with ``N_b`` the spikes of the chosen neurons
    in bin ``b`` over all trials (``n_neurons = 1`` per row with ``per_neuron``). With ``smoothing``
    the binned rate is convolved with a Gaussian of SD ``smoothing`` sampled at the bin spacing and
    truncated at 4 SD, and divided by the same convolution of a constant 1 (edge normalisation), so
    ``r_smooth_b = sum_k g_k r_{b+k} / sum_k g_k`` over bins inside the run: a constant rate stays
    constant up to the edges.

    Parameters
    ----------
    spikes : SpikeTrains
    bin_width : float
        Bin width in seconds, a whole number of steps, no longer than the run. Steps at the end that
        do not fill a bin are dropped with a warning.
    smoothing : float, optional
        SD of the Gaussian kernel in seconds (> 0); default no smoothing.
    neurons : array of int, optional
        The neurons to include (default all).
    per_neuron : bool
        Return one PSTH per neuron, dims ``(neuron, time)``, instead of the population PSTH.

    Returns
    -------
    xarray.DataArray
        Dims ``(time,)`` or ``(neuron, time)``, in Hz; coordinate ``time`` is the bin start (s).
    """
    _check_spikes(spikes)
    smoothing = None if smoothing is None else _scalar_parameter("smoothing", smoothing, "s")
    width = spikes.steps_per_window(bin_width, "bin_width")
    n_bins = spikes.n_steps // width
    if n_bins == 0:
        raise ValueError(f"bin_width={describe(bin_width)} s is longer than the run ({describe(spikes.duration)} s)")
    if spikes.n_steps % width:
        _warn(f"bin_width={describe(bin_width)} s: the last {spikes.n_steps % width} steps do not fill a bin and are "
              "not counted", UserWarning)
    chosen = np.arange(spikes.n_neurons) if neurons is None else _neuron_selection(spikes, neurons)
    n_rows = chosen.size if per_neuron else 1
    # counts (int64) and rates (float64), plus smoothing's two temporaries
    require_memory(32.0 * n_rows * n_bins, f"psth(bin_width={describe(bin_width)}) of {n_rows} row(s) x {n_bins} bins")
    row_of_neuron = np.full(spikes.n_neurons, -1, dtype=np.int64)
    row_of_neuron[chosen] = np.arange(chosen.size) if per_neuron else 0
    row = row_of_neuron[spikes.neuron]
    keep = (row >= 0) & (spikes.step < n_bins * width)
    counts = np.bincount(row[keep] * n_bins + spikes.step[keep] // width, minlength=n_rows * n_bins)
    units_per_row = spikes.n_trials * (1 if per_neuron else chosen.size)
    rates = counts.reshape(n_rows, n_bins) / (units_per_row * width * spikes.dt)
    if smoothing is not None:
        kernel = {"sigma": smoothing / (width * spikes.dt), "axis": -1,
                  "mode": "constant", "truncate": 4.0}
        rates = gaussian_filter1d(rates, **kernel) / gaussian_filter1d(np.ones(n_bins), **kernel)
    coords = {"time": ("time", np.arange(n_bins) * width * spikes.dt, {"units": "s"})}
    attrs = {"bin_width": width * spikes.dt, "smoothing": "none" if smoothing is None else float(smoothing)}
    if per_neuron:
        return _labelled(rates, ("neuron", "time"), {**coords, "neuron": chosen}, "psth", "Hz", **attrs)
    return _labelled(rates[0], ("time",), coords, "psth", "Hz", n_neurons=int(chosen.size), **attrs)


def _neuron_selection(spikes: SpikeTrains, neurons) -> np.ndarray:
    chosen = np.atleast_1d(np.asarray(neurons))
    if chosen.ndim != 1 or chosen.size == 0 or chosen.dtype.kind not in "iu":
        raise ValueError(f"neurons={describe(neurons)} must be a non-empty 1-D array of neuron indices")
    if chosen.min() < 0 or chosen.max() >= spikes.n_neurons:
        raise ValueError(f"neurons={describe(chosen)} must lie in [0, {spikes.n_neurons})")
    return np.unique(chosen)


# ------------------------------------------------------------------ ISI irregularity
_POOLS = {None: ("trial", "neuron"), "trials": ("neuron",), "all": ()}


def _intervals(spikes: SpikeTrains) -> tuple[np.ndarray, np.ndarray]:
    """Inter-spike intervals in steps (float) and the flat train index of each, in canonical order."""
    intervals, _, train = spikes.intervals()
    return intervals.astype(np.float64), train


def _train_mean(spikes: SpikeTrains, train: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mean of ``values`` per flat train index; NaN for trains without values."""
    return _group_mean(train, values, spikes.n_trials * spikes.n_neurons)


def _group_mean(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean of ``values`` per label of ``group`` (0 .. n_groups - 1); NaN for empty groups."""
    number = np.bincount(group, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(group, values, minlength=n_groups) / np.where(number > 0, number, np.nan)


def _per_train(spikes: SpikeTrains, values: np.ndarray, name: str) -> xr.DataArray:
    return _labelled(values.reshape(spikes.n_trials, spikes.n_neurons), ("trial", "neuron"),
                     _coords(spikes, ("trial", "neuron")), name, "1")


def cv_of_intervals(intervals, groups=None, n_groups: int | None = None) -> np.ndarray:
    """Coefficient of variation of intervals, per group: the one CV estimator of the package.

    ``CV_g = sqrt(mean_g((I - mean_g(I))^2)) / mean_g(I)`` over the intervals ``I`` labelled ``g``
    (SD with ddof = 0, as Elephant's ``cv``; two passes, so no cancellation), NaN for a group with
    fewer than two intervals.

    Parameters
    ----------
    intervals : array of float
        Intervals in any unit (the CV is dimensionless).
    groups : array of int, optional
        A label in ``[0, n_groups)`` per interval (default: all in one group).
    n_groups : int, optional
        Number of groups (default ``max(groups) + 1``).

    Returns
    -------
    numpy.ndarray
        ``(n_groups,)`` CVs.

    Examples
    --------
    >>> from nsnn_sim.analysis.stats import cv_of_intervals
    >>> cv_of_intervals([1.0, 3.0, 2.0, 2.0], groups=[0, 0, 1, 1]).tolist()
    [0.5, 0.0]
    """
    intervals = finite_array("intervals", intervals, "a 1-D array of intervals")
    if intervals.ndim != 1:
        raise ValueError(f"intervals has shape {intervals.shape}; expected a 1-D array")
    groups = np.zeros(intervals.size, dtype=np.int64) if groups is None else np.asarray(groups)
    if groups.shape != intervals.shape or (groups.size and (groups.dtype.kind not in "iu" or groups.min() < 0)):
        raise ValueError(f"groups must be {intervals.size} integer labels >= 0, one per interval")
    if n_groups is None:
        n_groups = int(groups.max()) + 1 if groups.size else 1
    n_groups = whole_number("n_groups", n_groups)
    if groups.size and groups.max() >= n_groups:
        raise ValueError(f"groups holds the label {int(groups.max())}, outside [0, n_groups={n_groups})")
    mean = _group_mean(groups, intervals, n_groups)
    variance = _group_mean(groups, (intervals - mean[groups]) ** 2, n_groups)
    number = np.bincount(groups, minlength=n_groups)
    with np.errstate(invalid="ignore"):
        return np.where(number >= 2, np.sqrt(variance) / mean, np.nan)


def isi_cv(spikes: SpikeTrains, pool: str | None = None) -> xr.DataArray:
    """Coefficient of variation of the inter-spike intervals (:func:`cv_of_intervals`).

    ``CV = sqrt(mean((I_k - mean(I))^2)) / mean(I)`` (SD with ddof = 0) over the intervals of every
    train (``pool=None``), of every neuron with its trials' intervals pooled (``pool="trials"``), or
    of all trains together (``pool="all"``); NaN with fewer than two intervals. Intervals never span
    two trains: an interval is between consecutive spikes of one (trial, neuron) train.

    Parameters
    ----------
    spikes : SpikeTrains
    pool : {None, "trials", "all"}
        Which intervals are pooled into one CV.

    Returns
    -------
    xarray.DataArray
        Dims ``(trial, neuron)``, ``(neuron,)`` or ``()``, dimensionless.
    """
    _check_spikes(spikes)
    if pool not in _POOLS:
        raise ValueError(f"pool={pool!r} is not allowed; allowed: {tuple(_POOLS)}")
    intervals, train = _intervals(spikes)
    if pool is None:
        return _per_train(spikes, cv_of_intervals(intervals, train, spikes.n_trials * spikes.n_neurons), "isi_cv")
    if pool == "trials":
        cv = cv_of_intervals(intervals, train % spikes.n_neurons, spikes.n_neurons)
        return _labelled(cv, ("neuron",), _coords(spikes, ("neuron",)), "isi_cv", "1", pool=pool)
    return _labelled(cv_of_intervals(intervals)[0], (), {}, "isi_cv", "1", pool=pool)


def isi_serial_correlation(spikes: SpikeTrains, max_lag: int = 3) -> xr.Dataset:
    """Serial correlation coefficients ``rho_k`` of successive inter-spike intervals, with jackknife SEs.

    ``rho_k = Cov(I_i, I_{i+k}) / Var(I)`` for ``k = 1 .. max_lag``, pooled over all trains as one stationary
    process: with ``m`` and ``v`` the mean and variance (ddof = 0) of all intervals, ``rho_k`` is the mean of
    ``(I_i - m)(I_{i+k} - m)`` over every pair of intervals ``k`` apart within one train, divided by ``v``
    (pairs never span two trains). A renewal process has ``rho_k = 0``; adaptation makes ``rho_1 < 0``. For a
    stationary train the long-window Fano factor is ``CV^2 (1 + 2 sum_k rho_k)`` (Cox & Lewis 1966).
    ``fano_limit`` is that long-window Fano factor, ``cv^2 (1 + 2 sum_{k <= max_lag} rho_k)``. The SE of each
    ``rho_k``, of ``cv`` (the pooled CV) and of ``fano_limit`` is the jackknife over trains (Efron & Stein
    1981): leave one (trial, neuron) train out at a time; NaN with fewer than two trains holding pairs.
    Elephant has no such estimator.

    Parameters
    ----------
    spikes : SpikeTrains
    max_lag : int
        The largest lag ``k`` (>= 1).

    Returns
    -------
    xarray.Dataset
        ``rho`` and ``rho_se`` with dim ``lag``; scalars ``cv``, ``cv_se``, ``fano_limit``, ``fano_limit_se``;
        ``n_intervals`` per lag.

    Examples
    --------
    >>> import numpy as np
    >>> from nsnn_sim import SpikeTrains
    >>> from nsnn_sim.analysis.stats import isi_serial_correlation
    >>> steps = np.cumsum([10, 30] * 20)  # alternating intervals: rho_1 = -1, rho_2 = +1
    >>> spikes = SpikeTrains(np.zeros(40, int), np.zeros(40, int), steps, dt=1e-3, n_trials=1, n_neurons=1,
    ...                      n_steps=1000)
    >>> isi_serial_correlation(spikes, max_lag=2)["rho"].values.round(6).tolist()
    [-1.0, 1.0]
    """
    _check_spikes(spikes)
    max_lag = whole_number("max_lag", max_lag)
    intervals, train = _intervals(spikes)
    n_trains = spikes.n_trials * spikes.n_neurons
    lags = np.arange(1, max_lag + 1)
    # per train: its sums, so that every leave-one-train-out estimate is a subtraction
    count = np.bincount(train, minlength=n_trains).astype(float)
    total = np.bincount(train, intervals, minlength=n_trains)
    squares = np.bincount(train, intervals * intervals, minlength=n_trains)
    products, n_pairs, first, second = [], [], [], []
    for lag in lags:
        same = train[lag:] == train[:-lag] if intervals.size > lag else np.zeros(0, bool)
        owner = train[lag:][same]
        a, b = intervals[:-lag][same], intervals[lag:][same]
        products.append(np.bincount(owner, a * b, minlength=n_trains))
        first.append(np.bincount(owner, a, minlength=n_trains))
        second.append(np.bincount(owner, b, minlength=n_trains))
        n_pairs.append(np.bincount(owner, minlength=n_trains).astype(float))
    products, first, second, n_pairs = map(np.array, (products, first, second, n_pairs))

    def estimate(weights):  # weights: (..., n_trains) of 0/1 -> (rho per lag, cv)
        n, sum_, sum2 = weights @ count, weights @ total, weights @ squares
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sum_ / n
            variance = sum2 / n - mean**2
            pairs = weights @ n_pairs.T
            covariance = (weights @ products.T - mean[..., None] * (weights @ first.T + weights @ second.T)
                          ) / pairs + mean[..., None] ** 2
            return covariance / variance[..., None], np.sqrt(variance) / mean

    def fano_limit(rho, cv):
        return cv**2 * (1.0 + 2.0 * rho.sum(axis=-1))

    rho, cv = estimate(np.ones(n_trains))
    holding = np.flatnonzero(n_pairs[0] > 0)
    if holding.size >= 2:
        leave_out = np.ones((holding.size, n_trains))
        leave_out[np.arange(holding.size), holding] = 0.0
        rho_out, cv_out = estimate(leave_out)
        rho_se, cv_se = _jackknife_se(rho_out), float(_jackknife_se(cv_out))
        limit_se = float(_jackknife_se(fano_limit(rho_out, cv_out)))
    else:
        rho_se, cv_se, limit_se = np.full(max_lag, np.nan), math.nan, math.nan
    coords = {"lag": lags}
    return xr.Dataset(
        {"rho": _labelled(rho, ("lag",), coords, "rho", "1"), "rho_se": ("lag", rho_se, {"units": "1"}),
         "cv": ((), cv, {"units": "1"}), "cv_se": ((), cv_se, {"units": "1"}),
         "fano_limit": ((), float(fano_limit(rho, cv)), {"units": "1"}),
         "fano_limit_se": ((), limit_se, {"units": "1"}),
         "n_intervals": ("lag", n_pairs.sum(axis=1).astype(np.int64))},
        coords=coords, attrs={"estimator": "pooled over trains; jackknife SEs over trains"})


def _interval_pair_mean(spikes: SpikeTrains, term, name: str) -> xr.DataArray:
    """Mean of ``term(I_k, I_{k+1})`` over the consecutive interval pairs of every train (NaN if none)."""
    intervals, train = _intervals(spikes)
    same = train[1:] == train[:-1]
    values = term(intervals[:-1][same], intervals[1:][same])
    return _per_train(spikes, _train_mean(spikes, train[1:][same], values), name)


def cv2(spikes: SpikeTrains) -> xr.DataArray:
    """Local coefficient of variation CV2 of Holt et al. (1996) of every train.

    ``CV2 = mean_k 2|I_{k+1} - I_k| / (I_{k+1} + I_k)`` over consecutive intervals; NaN for a
    train with fewer than two intervals. 0 for a regular train, 1 for a Poisson process.

    Parameters
    ----------
    spikes : SpikeTrains

    Returns
    -------
    xarray.DataArray
        Dims ``(trial, neuron)``, dimensionless.
    """
    _check_spikes(spikes)
    return _interval_pair_mean(spikes, lambda first, second: 2 * np.abs(second - first) / (second + first), "cv2")


def lv(spikes: SpikeTrains) -> xr.DataArray:
    """Local variation LV of Shinomoto et al. (2003) of every train.

    ``LV = 3/(n-1) sum_{k=1}^{n-1} ((I_k - I_{k+1}) / (I_k + I_{k+1}))^2`` for ``n`` intervals; NaN
    for a train with fewer than two intervals. 0 for a regular train, 1 for a Poisson process.

    Parameters
    ----------
    spikes : SpikeTrains

    Returns
    -------
    xarray.DataArray
        Dims ``(trial, neuron)``, dimensionless.
    """
    _check_spikes(spikes)
    return _interval_pair_mean(spikes, lambda first, second: 3 * ((first - second) / (first + second)) ** 2, "lv")


# ------------------------------------------------------------------ spike-count statistics
def fano_factor(spikes: SpikeTrains, windows, across: str = "trials") -> xr.DataArray:
    """Fano factor ``F = Var(N) / E(N)`` of spike counts ``N`` in counting windows (ddof = 0, as Elephant).

    ``across="trials"``: for every window position ``p`` (consecutive windows from t = 0 that fit in
    the run) ``F_p = Var_trials(N) / mean_trials(N)``, then ``F`` = the mean of ``F_p`` over the
    positions where it is defined (mean count > 0). ``across="windows"``: for every trial ``F_t`` =
    ``Var / mean`` over the consecutive windows of the trial, then the mean over trials where defined.
    Computed exactly from integer sums: ``Var/mean = (n*sum(N^2) - sum(N)^2) / (n*sum(N))``.

    Parameters
    ----------
    spikes : SpikeTrains
    windows : float or sequence of float
        Counting windows in seconds, each a whole number of steps.
    across : {"trials", "windows"}
        What the variance is taken over.

    Returns
    -------
    xarray.DataArray
        Dims ``(neuron, window)``, dimensionless. NaN (with a ``RuntimeWarning``) for a window longer
        than the run or leaving fewer than two samples (trials or window positions).
    """
    _check_spikes(spikes)
    if across not in ("trials", "windows"):
        raise ValueError(f"across={across!r} must be 'trials' or 'windows'")
    windows = np.atleast_1d(float_array("windows", si_value("windows", windows, "s"),
                                        "a number or a sequence of numbers (seconds)"))
    if windows.ndim != 1 or windows.size == 0:
        raise ValueError(f"windows={describe(windows)} must be a number or a non-empty 1-D sequence")
    fano = np.full((spikes.n_neurons, windows.size), np.nan)
    computed = False
    for column, window in enumerate(windows):
        width = spikes.steps_per_window(float(window), "windows")
        n_positions = spikes.n_steps // width
        n_samples = spikes.n_trials if across == "trials" else n_positions
        if n_positions == 0 or n_samples < 2:
            reason = ("is longer than the run" if n_positions == 0
                      else f"leaves fewer than 2 {'trials' if across == 'trials' else 'windows'} per variance")
            _warn(f"windows={describe(float(window))} s {reason} ({describe(spikes.duration)} s, "
                  f"{spikes.n_trials} trials): "
                  "its Fano factor is NaN")
            continue
        fano[:, column], computed = _fano_of_window(spikes, width, across), True
    return _labelled(fano, ("neuron", "window"),
                     {**_coords(spikes, ("neuron",)), "window": ("window", windows, {"units": "s"})},
                     "fano_factor", "1", warn_if_undefined=computed, across=across)


def _fano_of_window(spikes: SpikeTrains, width: int, across: str) -> np.ndarray:
    """Per-neuron Fano factor for counting windows of ``width`` steps (see :func:`fano_factor`)."""
    n_positions, trial, neuron, position, count = _window_cells(spikes, width)
    if across == "trials":  # a variance over trials per (neuron, position), averaged over positions
        group, n_samples, average_axis = neuron * n_positions + position, spikes.n_trials, 1
        shape = (spikes.n_neurons, n_positions)
    else:  # a variance over window positions per (trial, neuron), averaged over trials
        group, n_samples, average_axis = trial * spikes.n_neurons + neuron, n_positions, 0
        shape = (spikes.n_trials, spikes.n_neurons)
    total = np.bincount(group, count, minlength=math.prod(shape))
    total_squares = np.bincount(group, count**2, minlength=math.prod(shape))
    return _nanmean(_variance_over_mean(n_samples, total, total_squares, 0).reshape(shape), average_axis)


def _variance_over_mean(n_samples: int, total, total_squares, ddof: int) -> np.ndarray:
    """``Var(N) / mean(N)`` from the sums ``S1 = sum N`` and ``S2 = sum N^2`` of ``n_samples`` counts:
    ``(n S2 - S1^2) / ((n - ddof) S1)`` (exact for integer counts); NaN where ``S1 = 0``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (n_samples * total_squares - total**2) / ((n_samples - ddof) * total), np.nan)


def fano_of_counts(counts, axis: int = 0, ddof: int = 0) -> np.ndarray:
    """Fano factor ``Var(N) / mean(N)`` of spike counts along ``axis``: the count-level entry point.

    The variance has ``ddof`` delta degrees of freedom: 0 (the default, as :func:`fano_factor` and
    Elephant's ``fanofactor``) or 1 (the unbiased sample variance, larger by ``n / (n - 1)``). NaN
    where the mean count is 0. Used by every module that has counts rather than spike trains (the
    tuning experiment's counts per stimulus, the Brian2 comparison's counts per window).

    Parameters
    ----------
    counts : array
        Spike counts, the samples along ``axis`` (at least ``ddof + 1`` of them).
    axis : int
        The axis the variance is taken over.
    ddof : {0, 1}

    Returns
    -------
    numpy.ndarray
        ``counts`` with ``axis`` removed.

    Examples
    --------
    >>> from nsnn_sim.analysis.stats import fano_of_counts
    >>> fano_of_counts([[1, 0], [3, 0]]).tolist()  # counts 1 and 3: variance 1, mean 2
    [0.5, nan]
    >>> float(fano_of_counts([1, 3], ddof=1))
    1.0
    """
    counts = float_array("counts", counts, "an array of spike counts")
    if ddof not in (0, 1):
        raise ValueError(f"ddof={describe(ddof)} is not allowed; allowed: (0, 1)")
    if counts.ndim == 0 or not -counts.ndim <= axis < counts.ndim:
        raise ValueError(f"axis={describe(axis)} is not an axis of counts with shape {counts.shape}")
    n_samples = counts.shape[axis]
    if n_samples < ddof + 1:
        raise ValueError(f"counts has {n_samples} samples along axis {axis}; ddof={ddof} needs at least {ddof + 1}")
    return _variance_over_mean(n_samples, counts.sum(axis=axis), (counts**2).sum(axis=axis), ddof)


def count_correlations(spikes: SpikeTrains, window: float) -> xr.DataArray:
    """Noise correlations: Pearson correlation across trials of every neuron pair's spike counts.

    With ``N_{t,i,p}`` the count of neuron ``i`` in trial ``t`` and window position ``p`` and
    ``d_{t,i,p} = N_{t,i,p} - mean_t N_{t,i,p}`` (the stimulus-locked mean of each position removed),
    ``rho_ij = sum_{t,p} d_i d_j / sqrt(sum_{t,p} d_i^2 * sum_{t,p} d_j^2)``, pooled over positions.

    Parameters
    ----------
    spikes : SpikeTrains
    window : float
        Counting window in seconds, a whole number of steps.

    Returns
    -------
    xarray.DataArray
        Dims ``(neuron, neuron_2)``, dimensionless; NaN for neurons whose counts never vary (and, with
        a ``RuntimeWarning``, everywhere if the window is longer than the run); diagonal 1 where defined.
    """
    _check_spikes(spikes)
    width = spikes.steps_per_window(window, "window")
    n_positions = spikes.n_steps // width
    n_neurons = spikes.n_neurons
    correlation = np.full((n_neurons, n_neurons), np.nan)
    if n_positions == 0:
        _warn(f"window={describe(window)} s is longer than the run ({describe(spikes.duration)} s): the "
              "count correlations "
              "are NaN")
    else:
        _, trial, neuron, position, count = _window_cells(spikes, width)
        counts = sparse.csr_matrix((count, (trial * n_positions + position, neuron)),
                                   shape=(spikes.n_trials * n_positions, n_neurons))
        position_totals = sparse.csr_matrix((count, (position, neuron)), shape=(n_positions, n_neurons)).toarray()
        # n_trials * sum_{t,p} d_i d_j = n_trials * N^T N - S^T S with S the per-position totals: exact integers
        scatter = spikes.n_trials * (counts.T @ counts).toarray() - position_totals.T @ position_totals
        correlation = _correlation_of_scatter(scatter)
    return _labelled(correlation, ("neuron", "neuron_2"), _coords(spikes, ("neuron", "neuron_2")),
                     "count_correlation", "1", warn_if_undefined=n_positions > 0, window=width * spikes.dt)


def _correlation_of_scatter(scatter: np.ndarray) -> np.ndarray:
    """Pearson correlations ``C_ij / sqrt(C_ii C_jj)`` from a scatter matrix ``C``; NaN rows and
    columns for neurons that never vary, diagonal 1 where defined."""
    variance = np.diag(scatter).copy()
    varies = variance > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.clip(scatter / np.sqrt(np.outer(variance, variance)), -1.0, 1.0)
    correlation[~varies, :] = np.nan
    correlation[:, ~varies] = np.nan
    defined = np.flatnonzero(varies)
    correlation[defined, defined] = 1.0
    return correlation


def correlations_of_counts(counts) -> np.ndarray:
    """Noise correlations of counts ``(trial, neuron)`` or ``(trial, neuron, position)``: the count-level
    entry point of :func:`count_correlations` (the same estimator).

    ``d = N - mean_trials(N)`` per neuron (and position), ``rho_ij = sum d_i d_j / sqrt(sum d_i^2 sum d_j^2)``
    pooled over trials and positions; NaN for a neuron whose counts never vary, diagonal 1 where defined.

    Examples
    --------
    >>> from nsnn_sim.analysis.stats import correlations_of_counts
    >>> correlations_of_counts([[1, 2, 5], [3, 0, 5], [2, 1, 5]]).round(3).tolist()
    [[1.0, -1.0, nan], [-1.0, 1.0, nan], [nan, nan, nan]]
    """
    counts = float_array("counts", counts, "an array of spike counts")
    if counts.ndim == 2:
        counts = counts[:, :, None]
    if counts.ndim != 3 or counts.shape[0] < 2:
        raise ValueError(f"counts has shape {counts.shape}; expected (trial, neuron) or (trial, neuron, position) "
                         "with at least 2 trials")
    n_trials = counts.shape[0]
    samples = counts.transpose(0, 2, 1).reshape(-1, counts.shape[1])  # (trial * position, neuron)
    totals = counts.sum(axis=0).T  # (position, neuron)
    return _correlation_of_scatter(n_trials * samples.T @ samples - totals.T @ totals)
