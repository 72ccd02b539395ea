"""Statistical comparison of two simulations of the same model (e.g. nsnn_sim against Brian2).

:func:`compare` takes two :class:`~nsnn_sim.spikes.SpikeTrains` of the same model run with
independent random numbers and tests, each with a two-sided p-value:

* ``rate``: mean firing rate of a unit;
* ``cv``: ISI coefficient of variation of a unit's train(s);
* ``fano``: Fano factor of a unit's spike counts in ``fano_window`` windows;

  each compared by Welch's two-sample t-test of the per-unit values (under the null hypothesis the
  two runs draw units from the same distribution, whatever the estimator's finite-sample bias); when
  the units of each run are all equal (SE 0 in both), p = 1 if the two means are equal, else 0;
* ``isi_ks``: two-sample Kolmogorov-Smirnov test of the ISI distributions (without ``by_trial``, made
  only when each run has at least 10 ISIs);
* ``psth`` (time-varying input only): per-bin z-scores of the population PSTH, combined as
  ``chi2 = sum z_b^2`` with one degree of freedom per bin; the Pearson correlation of the two PSTHs
  is reported beside it.

Units of independence: every (trial, neuron) train for populations without recurrence; every
trial for recurrent networks (neurons of one trial interact), where each trial contributes the
population mean. ISIs entering the KS test are independent draws only for renewal trains (reset to
a fixed value, constant input, no recurrence); otherwise one ISI per train is used (the first
after the middle of the run). For recurrent networks the KS distance of the pooled ISIs is tested
by re-splitting the trials between the two runs (a permutation test).

Examples
--------
>>> import nsnn_sim as ns
>>> from nsnn_sim.analysis.compare import compare, unit_rates
>>> model = ns.LIF(sigma=0.5, dt=1e-4)
>>> a = ns.simulate(model, 0.9, n_neurons=50, n_steps=5000, n_trials=4, seed=1).spikes
>>> b = ns.simulate(model, 0.9, n_neurons=50, n_steps=5000, n_trials=4, seed=2).spikes
>>> unit_rates(a).shape
(200,)
>>> comparison = compare(a, b, warmup=0.05)
>>> sorted(comparison.p_values)
['cv', 'fano', 'isi_ks', 'rate']
>>> comparison.smallest_p() > 0.001
True
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from nsnn_sim._core.messages import describe
from nsnn_sim.analysis import stats as statistics
from nsnn_sim.spikes import SpikeTrains

__all__ = ["Comparison", "compare", "unit_rates", "unit_fano", "unit_cv"]


@dataclass(repr=False)
class Comparison:
    """Per-metric values of the two runs, their SEs and the two-sided p-values (plain floats).

    Printed (``str`` or ``repr``) it is a table, one row per metric: the value of each run +- its SE
    (no SE for ``isi_ks``, whose values are the median ISIs, and ``psth``, whose value is the correlation
    of the two PSTHs) and the p-value.

    Examples
    --------
    >>> print(Comparison({"rate": 10.0, "isi_ks": 0.012}, {"rate": 10.5, "isi_ks": 0.0125},
    ...                  {"rate": 0.2, "isi_ks": float("nan")}, {"rate": 0.25, "isi_ks": float("nan")},
    ...                  {"rate": 0.1203, "isi_ks": 0.5}, {"isi_ks_statistic": 0.031}))
    metric  run a      run b         p-value
    rate    10 +- 0.2  10.5 +- 0.25  0.12
    isi_ks  0.012      0.0125        0.5
    isi_ks_statistic: 0.031
    """

    values_a: dict = field(default_factory=dict)
    values_b: dict = field(default_factory=dict)
    se_a: dict = field(default_factory=dict)
    se_b: dict = field(default_factory=dict)
    p_values: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def smallest_p(self) -> float:
        return min(self.p_values.values())

    def __repr__(self) -> str:
        def shown(value, se):
            return f"{value:.6g}" if math.isnan(se) else f"{value:.6g} +- {se:.2g}"

        rows = [("metric", "run a", "run b", "p-value")]
        rows += [(name, shown(self.values_a[name], self.se_a[name]), shown(self.values_b[name], self.se_b[name]),
                  f"{p_value:.3g}") for name, p_value in self.p_values.items()]
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        lines += [f"{name}: {value:.6g}" for name, value in self.extra.items()]
        return "\n".join(lines)

    __str__ = __repr__


def _per_unit(values: np.ndarray, by_trial: bool) -> np.ndarray:
    """``(trial, neuron)`` values: every train is a unit, or every trial (mean over its finite trains)."""
    if not by_trial:
        return values.ravel()
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, values, 0.0).sum(axis=1) / finite.sum(axis=1)


def unit_rates(spikes: SpikeTrains, by_trial: bool = False) -> np.ndarray:
    """Mean rate (Hz) of every unit: a (trial, neuron) train, or a trial's population."""
    return _per_unit(statistics.firing_rates(spikes).values, by_trial)


def unit_cv(spikes: SpikeTrains, by_trial: bool = False) -> np.ndarray:
    """ISI CV of every unit (:func:`nsnn_sim.analysis.stats.isi_cv`; NaN below 2 intervals)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _per_unit(statistics.isi_cv(spikes).values, by_trial)


def unit_fano(spikes: SpikeTrains, window: float, by_trial: bool = False) -> np.ndarray:
    """Fano factor of each train's counts in consecutive ``window`` s windows
    (:func:`nsnn_sim.analysis.stats.fano_of_counts`, ddof = 0); NaN for a silent train."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a last, incomplete window is not counted
        counts = spikes.counts(window).values
    if counts.shape[-1] < 2:
        raise ValueError(f"fano_window={describe(window)} s leaves fewer than 2 windows after the warm-up")
    return _per_unit(statistics.fano_of_counts(counts, axis=-1), by_trial)


def _intervals(spikes: SpikeTrains):
    """Every ISI (s), with the step it starts at and the flat index of its (trial, neuron) train."""
    length, start, train = spikes.intervals()
    return length * spikes.dt, start, train


def _ks_sample(spikes: SpikeTrains, renewal: bool) -> np.ndarray:
    intervals, start, train = _intervals(spikes)
    if renewal:
        return intervals
    # one ISI per train: the first that starts after the middle of the run
    late = start >= spikes.n_steps // 2
    first = np.unique(train[late], return_index=True)[1]
    return intervals[late][first]


def _trial_permutation_ks(a: SpikeTrains, b: SpikeTrains, max_splits: int = 5000):
    """KS distance between the pooled ISIs of two runs, with a p-value from re-splitting the trials.

    In a recurrent network the ISIs of one trial are not independent draws, but the trials are:
    under the null hypothesis every split of the pooled trials into two groups of the original sizes
    is as likely as the observed one. All splits are used when there are at most ``max_splits``,
    otherwise ``max_splits`` random ones (seeded); the observed split counts as one of them.
    ISIs are whole numbers of steps, so each trial is an ISI histogram and a split costs O(bins).
    """
    from itertools import combinations

    histograms = []
    for spikes in (a, b):
        intervals, _, train = _intervals(spikes)
        steps, trial = np.rint(intervals / spikes.dt).astype(np.int64), train // spikes.n_neurons
        histograms += [np.bincount(steps[trial == t], minlength=spikes.n_steps + 1) for t in range(spikes.n_trials)]
    histograms = np.array(histograms, dtype=float)
    n_a, n_total = a.n_trials, len(histograms)
    if n_a < 2 or n_total - n_a < 2 or np.any(histograms.sum(axis=1) == 0):
        return None
    total = histograms.sum(axis=0)

    def distance(group):
        inside = histograms[list(group)].sum(axis=0)
        outside = total - inside
        return np.max(np.abs(np.cumsum(inside) / inside.sum() - np.cumsum(outside) / outside.sum()))

    observed_group = tuple(range(n_a))
    observed = distance(observed_group)
    if math.comb(n_total, n_a) <= max_splits:
        splits = list(combinations(range(n_total), n_a))
    else:
        generator = np.random.default_rng(0)
        splits = [observed_group] + [tuple(generator.choice(n_total, n_a, replace=False))
                                     for _ in range(max_splits - 1)]
    as_extreme = sum(distance(split) >= observed - 1e-12 for split in splits)

    def median(rows):
        cumulative = np.cumsum(rows.sum(axis=0))
        return float(np.searchsorted(cumulative, cumulative[-1] / 2) * a.dt)

    return median(histograms[:n_a]), median(histograms[n_a:]), float(observed), as_extreme / len(splits)


def _psth(spikes: SpikeTrains, bin_width: float, by_trial: bool):
    """Mean PSTH (Hz) over units and its SE per bin."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        counts = spikes.counts(bin_width).values.astype(float)  # (trial, neuron, time)
    rates = (counts.mean(axis=1) if by_trial else counts.reshape(-1, counts.shape[-1])) / bin_width
    return rates.mean(axis=0), rates.std(axis=0, ddof=1) / math.sqrt(rates.shape[0])


def compare(a: SpikeTrains, b: SpikeTrains, *, warmup: float = 0.0, fano_window: float = 0.1,
            by_trial: bool = False, renewal: bool = True, time_varying: bool = False,
            psth_bin: float = 0.01) -> Comparison:
    """Test whether two runs of the same model have the same statistics (module docstring).

    Parameters
    ----------
    a, b : SpikeTrains
        The two runs, same ``dt`` and ``n_steps``; independent random numbers.
    warmup : float
        Seconds discarded at the start of each trial.
    fano_window : float
        Counting window (s) of the Fano factor.
    by_trial : bool
        Trials, not trains, are the independent units (recurrent networks).
    renewal : bool
        All ISIs are independent draws (reset to a fixed value, constant input, no recurrence).
    time_varying : bool
        Also compare the PSTHs in bins of ``psth_bin`` s.
    """
    for name, run in (("a", a), ("b", b)):
        if not isinstance(run, SpikeTrains):
            raise TypeError(f"{name} must be SpikeTrains (a run's .spikes), got {type(run).__name__}")
    if a.dt != b.dt or a.n_steps != b.n_steps or a.n_neurons != b.n_neurons:
        raise ValueError(f"the runs differ in shape: {a!r} vs {b!r}")
    a.steps_per_window(fano_window, "fano_window")  # checked here, under the caller's names
    if time_varying:
        a.steps_per_window(psth_bin, "psth_bin")
    if warmup:
        a, b = a.crop(warmup), b.crop(warmup)
    result = Comparison()

    def record(name, value_a, se_a, value_b, se_b, p_value):
        result.values_a[name], result.se_a[name] = float(value_a), float(se_a)
        result.values_b[name], result.se_b[name] = float(value_b), float(se_b)
        result.p_values[name] = float(p_value)

    per_unit = {
        "rate": lambda spikes: unit_rates(spikes, by_trial),
        "cv": lambda spikes: unit_cv(spikes, by_trial),
        "fano": lambda spikes: unit_fano(spikes, fano_window, by_trial),
    }
    for name, statistic in per_unit.items():
        values_a, values_b = statistic(a), statistic(b)
        values_a, values_b = values_a[np.isfinite(values_a)], values_b[np.isfinite(values_b)]
        if values_a.size < 2 or values_b.size < 2:
            continue
        mean_a, se_a = values_a.mean(), values_a.std(ddof=1) / math.sqrt(values_a.size)
        mean_b, se_b = values_b.mean(), values_b.std(ddof=1) / math.sqrt(values_b.size)
        if se_a == 0.0 and se_b == 0.0:
            p_value = 1.0 if mean_a == mean_b else 0.0  # deterministic: identical units
        else:
            p_value = float(stats.ttest_ind(values_a, values_b, equal_var=False).pvalue)
        record(name, mean_a, se_a, mean_b, se_b, p_value)

    if by_trial:
        isi_test = _trial_permutation_ks(a, b)
    else:
        isi_a, isi_b = _ks_sample(a, renewal), _ks_sample(b, renewal)
        isi_test = None
        if isi_a.size >= 10 and isi_b.size >= 10:
            ks = stats.ks_2samp(isi_a, isi_b)
            isi_test = (float(np.median(isi_a)), float(np.median(isi_b)), float(ks.statistic), float(ks.pvalue))
    if isi_test is not None:
        median_a, median_b, statistic, p_value = isi_test
        record("isi_ks", median_a, math.nan, median_b, math.nan, p_value)
        result.extra["isi_ks_statistic"] = float(statistic)

    if time_varying:
        psth_a, psth_se_a = _psth(a, psth_bin, by_trial)
        psth_b, psth_se_b = _psth(b, psth_bin, by_trial)
        se = np.hypot(psth_se_a, psth_se_b)
        informative = se > 0
        chi2 = float(np.sum(((psth_a - psth_b)[informative] / se[informative]) ** 2))
        dof = int(informative.sum())
        correlation = float(np.corrcoef(psth_a, psth_b)[0, 1])
        # the value shown for both runs is the correlation of their PSTHs; the test is the chi2
        record("psth", correlation, math.nan, correlation, math.nan, float(stats.chi2.sf(chi2, dof)) if dof else 1.0)
        result.extra["psth_chi2_per_bin"] = float(chi2 / max(dof, 1))
    return result
