"""Exact checks of nsnn_sim.analysis.compare on small hand-made runs: every expected value is computed here
from the documented definition (module docstring of :mod:`nsnn_sim.analysis.compare`), not by the module's
helpers. Deterministic and cheap; they are the mutation run's selection for the module (tools/mutation.py)."""

from itertools import combinations

import numpy as np
import pytest
from scipy import stats

from nsnn_sim.analysis import compare as comparison
from nsnn_sim.analysis.compare import unit_cv, unit_rates
from nsnn_sim.spikes import SpikeTrains

DT = 1e-3


def compare(a, b, **options):
    """:func:`nsnn_sim.analysis.compare.compare` with Fano windows of 10 steps (the runs here are short)."""
    return comparison.compare(a, b, fano_window=10 * DT, **options)


def _run(trains, n_steps):
    """SpikeTrains from ``trains[trial][neuron]`` = the steps of that train's spikes."""
    events = [(trial, neuron, step) for trial, row in enumerate(trains) for neuron, steps in enumerate(row)
              for step in steps]
    trial, neuron, step = (np.array(column, dtype=np.int64) for column in zip(*events))
    return SpikeTrains(trial, neuron, step, dt=DT, n_trials=len(trains), n_neurons=len(trains[0]), n_steps=n_steps)


def _regular(n_spikes, period):
    return [period * k for k in range(n_spikes)]


def test_per_trial_units_are_the_means_over_the_trials_finite_trains():
    """``by_trial``: a unit is a trial, its value the mean over that trial's trains with a finite value."""
    run = _run([[[1, 5], [2, 3, 4, 9], [7]], [[], [10, 20, 30, 40], [0, 1, 3, 6]]], n_steps=100)
    counts = np.array([[2, 4, 1], [0, 4, 4]])
    np.testing.assert_allclose(unit_rates(run), counts.ravel() / 0.1, rtol=1e-12)
    np.testing.assert_allclose(unit_rates(run, by_trial=True), counts.mean(axis=1) / 0.1, rtol=1e-12)
    # CV = SD / mean of the ISIs (ddof=0), NaN for fewer than 2 ISIs: trial 0 has one finite train, trial 1 two
    cv = [np.std(isi) / np.mean(isi) for isi in ([1, 1, 5], [10, 10, 10], [1, 2, 3])]
    np.testing.assert_allclose(unit_cv(run, by_trial=True), [cv[0], (cv[1] + cv[2]) / 2], rtol=1e-12)


def test_units_identical_within_each_run_give_p_one_for_equal_means_and_zero_otherwise():
    """Units without spread (SE 0 in both runs) are compared exactly: p = 1 if the means agree, else 0."""
    five, six = _run([[_regular(5, 10)] * 4], n_steps=100), _run([[_regular(6, 10)] * 4], n_steps=100)
    assert compare(five, five).p_values["rate"] == 1.0
    different = compare(five, six)
    assert (different.values_a["rate"], different.values_b["rate"]) == (pytest.approx(50.0), pytest.approx(60.0))
    assert different.se_a["rate"] == different.se_b["rate"] == 0.0
    assert different.p_values["rate"] == 0.0


def test_the_isi_ks_test_needs_ten_intervals_in_each_run_and_is_scipys_two_sample_test():
    """Renewal trains: every ISI enters the KS test, which is made only with >= 10 ISIs in each run."""
    a_steps = [[[0, 3, 5, 12, 14], [1, 2, 9, 10, 30, 44, 47]]]  # 4 + 6 = 10 ISIs
    b_steps = [[[0, 4, 11, 13, 23], [5, 6, 8, 18, 19, 40, 45]]]
    a, b = _run(a_steps, n_steps=50), _run(b_steps, n_steps=50)
    isi_a, isi_b = (np.concatenate([np.diff(steps) for steps in run[0]]) * DT for run in (a_steps, b_steps))
    assert isi_a.size == isi_b.size == 10
    result = compare(a, b)
    expected = stats.ks_2samp(isi_a, isi_b)
    assert result.p_values["isi_ks"] == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.extra["isi_ks_statistic"] == pytest.approx(expected.statistic, rel=1e-12)
    assert (result.values_a["isi_ks"], result.values_b["isi_ks"]) == (np.median(isi_a), np.median(isi_b))
    nine = _run([[a_steps[0][0], a_steps[0][1][:-1]]], n_steps=50)
    assert "isi_ks" not in compare(nine, b).p_values and "isi_ks" not in compare(b, nine).p_values


def _isi_per_trial(trains):
    return [np.concatenate([np.diff(steps) for steps in row]) * DT for row in trains]


def test_the_trial_permutation_ks_test_counts_the_splits_as_extreme_as_the_observed_one():
    """``by_trial``: the KS distance of the pooled ISIs of the runs' trials, its p-value the fraction of the
    splits of the pooled trials into groups of the original sizes (here all 20) whose distance is >= the
    observed one; the values are the runs' median ISIs (odd counts here, so the median is one ISI)."""
    a_steps = [[[0, 2, 4, 7], [1, 3]], [[0, 2, 5], [10, 12, 14]], [[3, 5, 7, 9], [0, 1, 4]]]  # 5 + 4 + 5 ISIs
    b_steps = [[[0, 3, 7], [2, 6, 10]], [[0, 4, 9, 12], [1, 4]], [[5, 8, 10], [0, 3, 8, 10]]]  # 4 + 4 + 5 ISIs
    per_trial = _isi_per_trial(a_steps) + _isi_per_trial(b_steps)

    def distance(group):
        inside = np.concatenate([per_trial[t] for t in group])
        outside = np.concatenate([per_trial[t] for t in range(6) if t not in group])
        return stats.ks_2samp(inside, outside).statistic

    observed = distance((0, 1, 2))
    splits = list(combinations(range(6), 3))
    expected_p = sum(distance(split) >= observed - 1e-12 for split in splits) / len(splits)
    assert 0 < expected_p < 1
    result = compare(_run(a_steps, n_steps=20), _run(b_steps, n_steps=20), by_trial=True)
    assert result.extra["isi_ks_statistic"] == pytest.approx(observed, rel=1e-12)
    assert result.p_values["isi_ks"] == pytest.approx(expected_p, rel=1e-12)
    assert result.values_a["isi_ks"] == pytest.approx(np.median(np.concatenate(per_trial[:3])), rel=1e-12)
    assert result.values_b["isi_ks"] == pytest.approx(np.median(np.concatenate(per_trial[3:])), rel=1e-12)


def test_the_trial_permutation_ks_test_with_random_splits_includes_the_observed_one():
    """8 + 8 trials have C(16, 8) = 12870 splits, more than the 5000 used: the observed split and 4999 random
    ones. Same ISIs in every trial: every split is as extreme, p = 1. ISIs of 2 steps in a against 3 in b: only
    the observed split and its complement reach the distance 1, so p = (1 + k) / 5000 with k the random draws
    that hit one of those 2 of the 12870 splits (k ~ Poisson(4999 * 2 / 12870 = 0.78); p < 0.01 needs k >= 49)."""
    two, three = [[_regular(6, 2)]] * 8, [[_regular(6, 3)]] * 8
    same = compare(_run(two, n_steps=20), _run(two, n_steps=20), by_trial=True)
    assert (same.extra["isi_ks_statistic"], same.p_values["isi_ks"]) == (0.0, 1.0)
    apart = compare(_run(two, n_steps=20), _run(three, n_steps=20), by_trial=True)
    assert apart.extra["isi_ks_statistic"] == 1.0
    as_extreme = apart.p_values["isi_ks"] * 5000
    assert as_extreme == pytest.approx(round(as_extreme), abs=1e-9) and 1 <= round(as_extreme) < 50


@pytest.mark.parametrize("by_trial", [False, True])
def test_the_psth_chi2_and_correlation_from_their_definitions(by_trial):
    """Population PSTH = mean over units of each unit's rate (Hz) in bins; ``chi2 = sum_b (m_a - m_b)^2 /
    (se_a^2 + se_b^2)`` over the bins with a nonzero SE (SE = SD (ddof=1) over units / sqrt(units)), one degree
    of freedom each; the value shown is the Pearson correlation of the two PSTHs."""
    bin_steps, n_bins = 10, 5
    a_steps = [[[0, 5, 12, 31], [3, 14, 15, 33, 37]], [[1, 2, 22, 35], [11, 25, 27]], [[4, 24, 36], [6, 8, 30]]]
    b_steps = [[[2, 13, 21, 29], [7, 16, 32]], [[9, 18, 23, 38], [0, 17]], [[1, 19, 20, 34, 39], [12, 26]]]
    # bin 4 (steps 40-49) has no spikes: its SE is 0 and it does not count

    def rates(trains):  # (unit, bin) in Hz
        counts = np.array([[np.bincount(np.array(steps) // bin_steps, minlength=n_bins) for steps in row]
                           for row in trains]) / (bin_steps * DT)
        return counts.mean(axis=1) if by_trial else counts.reshape(-1, n_bins)

    rates_a, rates_b = rates(a_steps), rates(b_steps)
    mean_a, mean_b = rates_a.mean(axis=0), rates_b.mean(axis=0)
    se_a = np.sqrt(((rates_a - mean_a) ** 2).sum(axis=0) / (len(rates_a) - 1) / len(rates_a))
    se_b = np.sqrt(((rates_b - mean_b) ** 2).sum(axis=0) / (len(rates_b) - 1) / len(rates_b))
    variance = se_a**2 + se_b**2
    informative = variance > 0
    assert informative.sum() == n_bins - 1
    chi2 = np.sum((mean_a - mean_b)[informative] ** 2 / variance[informative])
    centred_a, centred_b = mean_a - mean_a.mean(), mean_b - mean_b.mean()
    correlation = (centred_a @ centred_b) / np.sqrt((centred_a @ centred_a) * (centred_b @ centred_b))
    assert abs(correlation) < 0.99

    n_steps = n_bins * bin_steps
    result = compare(_run(a_steps, n_steps), _run(b_steps, n_steps), time_varying=True,
                     psth_bin=bin_steps * DT, by_trial=by_trial)
    assert result.extra["psth_chi2_per_bin"] == pytest.approx(chi2 / (n_bins - 1), rel=1e-12)
    assert result.p_values["psth"] == pytest.approx(stats.chi2.sf(chi2, n_bins - 1), rel=1e-12)
    assert result.values_a["psth"] == result.values_b["psth"] == pytest.approx(correlation, rel=1e-12)
