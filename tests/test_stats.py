"""Tests of nsnn_sim.analysis.stats against exact cases and processes with known statistics.

Statistical checks use fixed seeds and a tolerance of 4 standard errors (each SE is named where it
is computed); sample sizes make the tolerance a few percent or less of the expected value.
"""

import math
import warnings

import numpy as np
import pytest
from scipy import stats as scipy_stats

import nsnn_sim as ns
from nsnn_sim.analysis import stats


# ------------------------------------------------------------------ builders
def bernoulli_trains(p, n_trials, n_neurons, n_steps, seed, dt=1e-3):
    """Every step of every train spikes independently with probability ``p`` (a Bernoulli process;
    a Poisson process of rate p/dt for small p). Built from geometric gaps: memory O(spikes)."""
    rng = np.random.default_rng(seed)
    n_trains = n_trials * n_neurons
    expected = n_steps * p
    n_draws = int(expected + 10 * math.sqrt(expected) + 20)
    steps = np.cumsum(rng.geometric(p, size=(n_trains, n_draws)), axis=1) - 1  # first spike at step G-1
    assert np.all(steps[:, -1] >= n_steps), "not enough gaps drawn to cover the run"
    train, column = np.nonzero(steps < n_steps)
    return ns.SpikeTrains(train // n_neurons, train % n_neurons, steps[train, column], dt=dt,
                          n_trials=n_trials, n_neurons=n_neurons, n_steps=n_steps)


def trains_from_counts(counts, width, dt=1e-3):
    """Spike trains with ``counts[trial, neuron, position]`` spikes in window ``position`` of
    ``width`` steps (at the first steps of the window)."""
    n_trials, n_neurons, n_positions = counts.shape
    assert counts.max() <= width
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    within = np.arange(cell.size) - np.repeat(np.cumsum(counts.ravel()) - counts.ravel(), counts.ravel())
    trial, rest = np.divmod(cell, n_neurons * n_positions)
    neuron, position = np.divmod(rest, n_positions)
    return ns.SpikeTrains(trial, neuron, position * width + within, dt=dt, n_trials=n_trials,
                          n_neurons=n_neurons, n_steps=n_positions * width)


def regular_trains(period, n_trials=3, n_neurons=4, n_steps=1000, dt=1e-3):
    """Neuron i spikes every ``period`` steps from step i, identically in every trial."""
    trial, neuron, phase = np.meshgrid(np.arange(n_trials), np.arange(n_neurons), np.arange(0, n_steps, period),
                                       indexing="ij")
    step = (phase + neuron).ravel()
    keep = step < n_steps
    return ns.SpikeTrains(trial.ravel()[keep], neuron.ravel()[keep], step[keep], dt=dt, n_trials=n_trials,
                          n_neurons=n_neurons, n_steps=n_steps)


def empty_trains(n_trials=3, n_neurons=2, n_steps=100):
    return ns.SpikeTrains([], [], [], dt=1e-3, n_trials=n_trials, n_neurons=n_neurons, n_steps=n_steps)


def expected_fano(n_samples, width, p):
    """E[Var/mean] (ddof=0) of ``n_samples`` iid Binomial(width, p) counts, given at least one spike.

    Given the total S, the counts are multivariate hypergeometric, so Var/mean =
    (1 - 1/n) (n*width - S) / (n*width - 1) exactly; E[S] = n*width*p (P(S=0) is negligible here).
    """
    total = n_samples * width
    return (1 - 1 / n_samples) * total * (1 - p) / (total - 1)


def geometric_pair_means(p):
    """Exact E[2|I_2 - I_1| / (I_1 + I_2)] (CV2) and E[3 ((I_1 - I_2) / (I_1 + I_2))^2] (LV) for two
    iid geometric ISIs, P(I = k) = p (1-p)^(k-1).

    Each split I_1 = a, I_2 = s - a of a sum s has probability p^2 (1-p)^(s-2); over a = 1..s-1,
    sum |2a - s| = floor((s-1)^2 / 2) and sum (2a - s)^2 = s (s-1) (s-2) / 3.
    """
    s = np.arange(2, int(80 / p), dtype=float)
    weight = p**2 * (1 - p) ** (s - 2)
    return (float((weight * 2 * np.floor((s - 1) ** 2 / 2) / s).sum()),
            float((weight * (s - 1) * (s - 2) / s).sum()))


def mean_and_se(values):
    values = np.asarray(values, dtype=float).ravel()
    return values.mean(), values.std(ddof=1) / math.sqrt(values.size)


def assert_within_4se(values, expected, what):
    mean, se = mean_and_se(values)
    assert abs(mean - expected) < 4 * se, f"{what}: {mean:.5f} +- {se:.5f} (SE) vs {expected:.5f}"
    return mean, se


# ------------------------------------------------------------------ Poisson (Bernoulli with tiny p)
@pytest.fixture(scope="module")
def long_poisson():
    # 20 independent trains of 250 s at dt = 0.1 ms, p = 0.002 (20 Hz): about 5000 ISIs each, so the
    # O(1/n) bias of the per-train CV (~0.03 %) is far below the SE across trains (~0.3 %)
    return bernoulli_trains(0.002, n_trials=2, n_neurons=10, n_steps=2_500_000, seed=11, dt=1e-4)


@pytest.fixture(scope="module")
def many_trial_poisson():
    # 200 trials x 50 neurons of 1 s at dt = 0.1 ms, p = 0.002
    return bernoulli_trains(0.002, n_trials=200, n_neurons=50, n_steps=10_000, seed=12, dt=1e-4)


def test_poisson_rates(long_poisson):
    p, spikes = 0.002, long_poisson
    rates = stats.firing_rates(spikes)
    assert rates.dims == ("trial", "neuron") and rates.attrs["units"] == "Hz"
    # SE of the mean rate: binomial count SD sqrt(n p (1-p)) / (n dt), over 20 independent trains (0.32 %):
    # power, a rate error of (4 + 1.28) SE = 1.7 % is detected nine times in ten. Above 1 %: the counting itself
    # is exact below (a sub-interval) and in test_psth_of_a_known_pattern and
    # test_stationary_rate_counts_after_the_warm_up_with_the_se_over_trains
    se = math.sqrt(spikes.n_steps * p * (1 - p)) / spikes.duration / math.sqrt(rates.size)
    assert abs(float(rates.mean()) - p / spikes.dt) < 4 * se
    # a sub-interval counts only its own spikes
    half = stats.firing_rates(spikes, t_start=50.0, t_stop=150.0)
    keep = (spikes.step >= 500_000) & (spikes.step < 1_500_000)
    assert float(half.sum()) * 100.0 == pytest.approx(keep.sum())


def test_poisson_isi_irregularity(long_poisson):
    p = 0.002
    # geometric ISIs: CV = sqrt(1 - p) exactly; SE = SD of the per-train values / sqrt(20), measured
    # 0.27 % (CV), 0.17 % (CV2), 0.31 % (LV): power, errors of (4 + 1.28) SE = 1.4 %, 0.91 %, 1.6 % are detected
    # nine times in ten. Above 1 %: the three statistics are exact by hand in test_isi_statistics_by_hand and
    # against numpy in test_pooled_isi_cv_and_cv_of_intervals_against_numpy
    assert_within_4se(stats.isi_cv(long_poisson).values, math.sqrt(1 - p), "CV")
    cv2_expected, lv_expected = geometric_pair_means(p)
    assert cv2_expected == pytest.approx(1, abs=0.01) and lv_expected == pytest.approx(1, abs=0.01)
    assert_within_4se(stats.cv2(long_poisson).values, cv2_expected, "CV2")
    assert_within_4se(stats.lv(long_poisson).values, lv_expected, "LV")


def test_poisson_fano_across_trials(many_trial_poisson):
    p, spikes = 0.002, many_trial_poisson
    fano = stats.fano_factor(spikes, [0.01, 0.1], across="trials")
    assert fano.dims == ("neuron", "window") and fano.sizes == {"neuron": 50, "window": 2}
    np.testing.assert_allclose(fano["window"].values, [0.01, 0.1])
    for column, width in enumerate((100, 1000)):
        # SE = SD across the 50 independent neurons / sqrt(50), measured 0.13 % and 0.42 % of the value: power,
        # an error of (4 + 1.28) SE = 0.71 % and 2.2 % is detected nine times in ten, so a ddof change (x 200/199,
        # +0.5 %) may pass here; the exact test test_fano_across_trials_is_the_ddof_0_variance_over_the_mean_exactly
        # catches it
        assert_within_4se(fano.values[:, column], expected_fano(spikes.n_trials, width, p), f"Fano {width}")


def test_poisson_fano_across_windows(long_poisson):
    p = 0.002
    fano = stats.fano_factor(long_poisson, 0.01, across="windows")  # 25 000 windows of 100 steps
    # SE = SD across the 20 neurons (each averages its 2 trials) / sqrt(20), measured 0.20 %: power, a Fano error
    # of (4 + 1.28) SE = 1.06 % is detected nine times in ten (a ddof change, x 25000/24999, is caught by the exact
    # tests test_fano_across_trials_is_the_ddof_0_variance_over_the_mean_exactly and
    # test_fano_of_counts_states_its_ddof_and_agrees_with_fano_factor instead)
    assert_within_4se(fano.values[:, 0], expected_fano(25_000, 100, p), "Fano across windows")


# ------------------------------------------------------------------ Bernoulli with large p, from the simulator
@pytest.fixture(scope="module")
def escape_bernoulli():
    # NSNN with beta = 0 and escape firing: u = I at every step, so every step spikes independently
    # with p = Phi((I - theta) / sigma) = Phi(-0.5)
    model = ns.NSNN(beta=0.0, firing="escape", threshold=1.2, noise="gaussian", noise_scale=0.4)
    result = ns.simulate(model, inputs=1.0, n_neurons=20, n_steps=100_000, n_trials=1, seed=5)
    return result.spikes, float(scipy_stats.norm.cdf(-0.5))


def test_bernoulli_large_p(escape_bernoulli):
    spikes, p = escape_bernoulli
    # Power (measured SEs; (4 + 1.28) SE is detected nine times in ten): mean ISI 0.11 % -> 0.56 %; P(I = 1, 2, 3)
    # 0.19, 0.24, 0.31 % -> 1.0, 1.3, 1.6 %; CV, CV2, LV 0.11, 0.07, 0.11 % -> 0.56, 0.36, 0.60 %; Fano (10 and 50
    # steps) 0.25, 0.51 % -> 1.3, 2.7 %. The exact checks of the same properties: the escape step against a
    # transcription (test_engine.py), the train's statistics in closed form (bernoulli_train against direct sums
    # over the geometric and binomial laws, test_theory_exact.py) and the estimators by hand (this file).
    # ISIs are geometric: mean dt/p; SE = SD of geometric (sqrt(1-p)/p steps) / sqrt(number of ISIs)
    isi = spikes.isi().values / spikes.dt
    assert abs(isi.mean() - 1 / p) < 4 * math.sqrt(1 - p) / p / math.sqrt(isi.size)
    for k in (1, 2, 3):  # P(I = k) = p (1-p)^(k-1); SE of a frequency sqrt(q (1-q) / n)
        q = p * (1 - p) ** (k - 1)
        assert abs(np.mean(isi == k) - q) < 4 * math.sqrt(q * (1 - q) / isi.size)
    # per-neuron values; SE = SD across the 20 independent neurons / sqrt(20)
    assert_within_4se(stats.isi_cv(spikes).values, math.sqrt(1 - p), "CV")
    cv2_expected, lv_expected = geometric_pair_means(p)
    assert_within_4se(stats.cv2(spikes).values, cv2_expected, "CV2")
    assert_within_4se(stats.lv(spikes).values, lv_expected, "LV")
    fano = stats.fano_factor(spikes, [0.01, 0.05], across="windows")
    for column, width in enumerate((10, 50)):
        assert_within_4se(fano.values[:, column], expected_fano(100_000 // width, width, p), f"Fano {width}")


# ------------------------------------------------------------------ regular trains
def test_regular_train_has_zero_irregularity_and_fano():
    spikes = regular_trains(period=10)
    for statistic in (stats.isi_cv, stats.cv2, stats.lv):
        np.testing.assert_array_equal(statistic(spikes).values, 0.0)
    for across in ("trials", "windows"):
        np.testing.assert_array_equal(stats.fano_factor(spikes, [0.01, 0.02, 0.05], across=across).values, 0.0)
    # a 15-step window holds 1 and 2 spikes alternately (33 of each in 66 windows): Var/mean = 0.25/1.5
    np.testing.assert_allclose(stats.fano_factor(spikes, 0.015, across="windows").values, 1 / 6, rtol=1e-12)


def test_isi_statistics_by_hand():
    # ISIs 2, 4, 4 steps (dt = 1 ms): mean 10/3, SD sqrt(8/9); CV2 = mean(2*2/6, 0) = 1/3;
    # LV = 3/2 * ((2-4)/6)^2 = 1/6
    spikes = ns.SpikeTrains([0, 0, 0, 0], [0] * 4, [0, 2, 6, 10], dt=1e-3, n_trials=1, n_neurons=1, n_steps=20)
    assert float(stats.isi_cv(spikes)[0, 0]) == pytest.approx(math.sqrt(8 / 9) / (10 / 3), rel=1e-12)
    assert float(stats.cv2(spikes)[0, 0]) == pytest.approx(1 / 3, rel=1e-12)
    assert float(stats.lv(spikes)[0, 0]) == pytest.approx(1 / 6, rel=1e-12)


# ------------------------------------------------------------------ PSTH
def test_psth_of_a_known_pattern():
    # neuron 0 spikes at step 5 in all 4 trials; neuron 1 at step 15 in trials 0 and 1 (dt = 1 ms)
    spikes = ns.SpikeTrains([0, 1, 2, 3, 0, 1], [0, 0, 0, 0, 1, 1], [5, 5, 5, 5, 15, 15], dt=1e-3,
                            n_trials=4, n_neurons=2, n_steps=100)
    population = stats.psth(spikes, 0.01)
    assert population.dims == ("time",) and population.attrs["units"] == "Hz"
    np.testing.assert_allclose(population["time"].values, np.arange(10) * 0.01)
    # 4 spikes / (4 trials * 2 neurons * 0.01 s) = 50 Hz; 2 / (8 * 0.01) = 25 Hz
    np.testing.assert_allclose(population.values, [50, 25] + [0] * 8)
    per_neuron = stats.psth(spikes, 0.01, per_neuron=True)
    assert per_neuron.dims == ("neuron", "time")
    np.testing.assert_allclose(per_neuron.values[:, :2], [[100, 0], [0, 50]])
    np.testing.assert_allclose(stats.psth(spikes, 0.01, neurons=[1]).values[:2], [0, 50])
    with pytest.warns(UserWarning, match="last 1 steps"):
        assert stats.psth(spikes, 0.003).sizes["time"] == 33


def test_psth_smoothing_keeps_a_constant_rate_and_has_the_stated_kernel():
    # both neurons spike every 2nd step: 5 spikes per 10-step bin, 500 Hz in every bin
    constant = regular_trains(period=2, n_neurons=2, n_steps=400)
    np.testing.assert_array_equal(stats.psth(constant, 0.01).values, 500.0)
    smoothed = stats.psth(constant, 0.01, smoothing=0.02)
    np.testing.assert_allclose(smoothed.values, 500.0, rtol=1e-12)
    # one spike in the middle bin becomes a Gaussian of SD 0.02 s = 2 bins, truncated at 4 SD = 8 bins
    single = ns.SpikeTrains([0], [0], [200], dt=1e-3, n_trials=1, n_neurons=1, n_steps=400)
    offsets = np.arange(-8, 9)
    kernel = np.exp(-0.5 * (offsets / 2.0) ** 2)
    expected = np.zeros(40)
    expected[20 + offsets] = 100.0 * kernel / kernel.sum()  # 1 spike / 0.01 s = 100 Hz before smoothing
    np.testing.assert_allclose(stats.psth(single, 0.01, smoothing=0.02).values, expected, atol=1e-12)


# ------------------------------------------------------------------ count correlations
def test_count_correlations_of_constructed_counts():
    # counts N_0 = S + X_0 + m_p, N_1 = S + X_1, N_2 = X_2 + m_p, neuron 3 silent; S ~ Poisson(1) shared,
    # X_i ~ Poisson(1) private, m_p = p % 3 a stimulus-locked mean (identical in every trial).
    # Noise correlations: rho_01 = 1/2, rho_02 = rho_12 = 0 (m_p is removed with the position means).
    rng = np.random.default_rng(3)
    n_trials, n_positions = 200, 200
    shared = rng.poisson(1.0, (n_trials, 1, n_positions))
    private = rng.poisson(1.0, (n_trials, 3, n_positions))
    locked = np.arange(n_positions) % 3
    counts = np.zeros((n_trials, 4, n_positions), dtype=np.int64)
    counts[:, 0] = shared[:, 0] + private[:, 0] + locked
    counts[:, 1] = shared[:, 0] + private[:, 1]
    counts[:, 2] = private[:, 2] + locked
    spikes = trains_from_counts(counts, width=50)
    correlation = stats.count_correlations(spikes, 0.05)
    assert correlation.dims == ("neuron", "neuron_2")
    values = correlation.values
    # exact: the Pearson correlation of the pooled deviations from each position's trial mean
    deviations = (counts[:, :3] - counts[:, :3].mean(axis=0)).transpose(1, 0, 2).reshape(3, -1)
    np.testing.assert_allclose(values[:3, :3], np.corrcoef(deviations), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(np.diag(values)[:3], 1.0)
    assert np.all(np.isnan(values[3])) and np.all(np.isnan(values[:, 3]))
    np.testing.assert_array_equal(values, values.T)
    # statistical: SE of a correlation over n = 40 000 pooled samples is (1 - rho^2) / sqrt(n), 0.0038 at 1/2 and
    # 0.005 at 0: power, an error of (4 + 1.28) SE = 0.020 (4.0 % of 1/2) and 0.026 is detected nine times in ten;
    # the estimator is exact above (against numpy on the same deviations)
    n = n_trials * n_positions
    assert abs(values[0, 1] - 0.5) < 4 * (1 - 0.25) / math.sqrt(n)
    assert abs(values[0, 2]) < 4 / math.sqrt(n) and abs(values[1, 2]) < 4 / math.sqrt(n)


# ------------------------------------------------------------------ distances
def test_victor_purpura_by_hand():
    # {0.1} vs {0.3}: moving costs q * 0.2; deleting + inserting costs 2
    assert stats.victor_purpura_distance([0.1], [0.3], 2.0) == pytest.approx(0.4)
    assert stats.victor_purpura_distance([0.1], [0.3], 20.0) == pytest.approx(2.0)
    # {0.1, 0.5} vs {0.2}, q = 5: move 0.1 -> 0.2 (0.5) and delete 0.5 (1) = 1.5; q = 0: count difference 1
    assert stats.victor_purpura_distance([0.5, 0.1], [0.2], 5.0) == pytest.approx(1.5)
    assert stats.victor_purpura_distance([0.1, 0.5], [0.2], 0.0) == pytest.approx(1.0)
    # {0.1, 0.2} vs {0.2, 0.3}: q = 5 moves both (0.5 + 0.5 = 1); q = 15 keeps 0.2 and deletes 0.1 and
    # inserts 0.3 (2) rather than moving both (1.5 + 1.5 = 3)
    assert stats.victor_purpura_distance([0.1, 0.2], [0.2, 0.3], 5.0) == pytest.approx(1.0)
    assert stats.victor_purpura_distance([0.1, 0.2], [0.2, 0.3], 15.0) == pytest.approx(2.0)
    assert stats.victor_purpura_distance([], [0.1, 0.2, 0.3], 1.0) == 3.0
    assert stats.victor_purpura_distance([], [], 1.0) == 0.0


def test_van_rossum_by_hand_and_against_the_integral():
    tau = 0.01
    # one spike against none: (1/tau) int_0^inf exp(-2t/tau) dt = 1/2
    assert stats.van_rossum_distance([0.3], [], tau) == pytest.approx(math.sqrt(0.5))
    # {0} vs {d}: D^2 = 1 - exp(-d/tau); d = tau ln 2 gives 1/2
    assert stats.van_rossum_distance([0.0], [tau * math.log(2)], tau) == pytest.approx(math.sqrt(0.5))
    # {0, tau ln 2} vs {}: D^2 = (1/2)(2 + 2 * 1/2) = 3/2
    assert stats.van_rossum_distance([0.0, tau * math.log(2)], [], tau) == pytest.approx(math.sqrt(1.5))
    assert stats.van_rossum_distance([0.1, 0.2], [0.2, 0.1], tau) == 0.0
    # the definition, integrated numerically on a fine grid
    times_a, times_b = np.array([0.01, 0.035, 0.04]), np.array([0.02, 0.05])
    grid = np.linspace(0.0, 0.3, 300_001)

    def trace(times):
        return (np.exp(-(grid[:, None] - times) / tau) * (grid[:, None] >= times)).sum(axis=1)

    squared = np.trapezoid((trace(times_a) - trace(times_b)) ** 2, grid) / tau
    assert stats.van_rossum_distance(times_a, times_b, tau) == pytest.approx(math.sqrt(squared), rel=1e-4)


def _pair_sums_van_rossum(times_a, times_b, tau, coefficient):
    """The O(n*m) definition, D^2 = c [sum_ij e^{-|a_i-a_j|/tau} + sum_ij e^{-|b_i-b_j|/tau}
    - 2 sum_ij e^{-|a_i-b_j|/tau}]."""
    def overlap(x, y):
        return np.exp(-np.abs(np.subtract.outer(np.asarray(x, float), np.asarray(y, float))) / tau).sum()

    return math.sqrt(max(coefficient * (overlap(times_a, times_a) + overlap(times_b, times_b)
                                        - 2 * overlap(times_a, times_b)), 0.0))


def test_van_rossum_in_one_pass_equals_the_sums_over_all_pairs():
    """Houghton & Kreuz's one pass over the merged trains against the O(n*m) pair sums, on trains in any
    order, with shared spikes, empty trains and kernels narrow and wide against the gaps."""
    generator = np.random.default_rng(5)
    cases = [([], []), ([0.3], []), ([], [0.1, 0.2]), ([0.2, 0.1, 0.2], [0.2, 0.05])]
    for _ in range(40):
        a = generator.uniform(0, 1, generator.integers(0, 60))
        b = np.concatenate([generator.uniform(0, 1, generator.integers(0, 60)), a[:generator.integers(0, 5)]])
        cases.append((generator.permutation(a), generator.permutation(b)))
    for tau in (1e-4, 0.01, 0.3, 30.0):
        for times_a, times_b in cases:
            for convention, coefficient in (("nsnn_sim", 0.5), ("elephant", 1.0)):
                expected = _pair_sums_van_rossum(times_a, times_b, tau, coefficient)
                ours = stats.van_rossum_distance(times_a, times_b, tau, convention=convention)
                assert ours == pytest.approx(expected, rel=1e-12, abs=1e-12 * math.sqrt(len(times_a) + len(times_b)))


def test_van_rossum_of_two_million_spike_trains_takes_linear_time_and_no_extra_memory():
    """Two trains of 10^6 spikes (the pair sums would need 8 TB): in a fresh process, after a first call has
    compiled (or loaded) the kernel, the distance and pairwise_distances over two such trials; the peak
    resident memory may rise by less than 100 MB (the trains themselves are made before)."""
    import json
    import subprocess
    import sys

    code = """
import json, time
import numpy as np
import nsnn_sim as ns
from nsnn_sim import stats

def resident(field):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(field))

generator = np.random.default_rng(0)
a, b = (np.cumsum(generator.exponential(1e-3, 10**6)) for _ in range(2))
steps = np.sort(generator.choice(10**7, 2 * 10**6, replace=False).reshape(2, -1), axis=1).ravel()
trains = ns.SpikeTrains(np.repeat([0, 1], 10**6), np.zeros(2 * 10**6, int), steps, dt=1e-6, n_trials=2,
                        n_neurons=1, n_steps=10**7)
stats.van_rossum_distance(a[:10], b[:10], 0.01)
stats.pairwise_distances(ns.SpikeTrains([0], [0], [1], 1e-6, 2, 1, 10), "van_rossum", 0.01, 0)
out = {}
for name, call in (("van_rossum_distance", lambda: stats.van_rossum_distance(a, b, 0.01)),
                   ("pairwise_distances", lambda: stats.pairwise_distances(trains, "van_rossum", 0.01, 0))):
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # the peak resident size (VmHWM) starts again from the present one
    before, start = resident("VmRSS:"), time.perf_counter()
    call()
    out[name] = (time.perf_counter() - start, resident("VmHWM:") - before)
print(json.dumps(out))
"""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    measured = json.loads(completed.stdout.splitlines()[-1])
    print("\n" + ", ".join(f"{name}: {seconds:.3f} s, peak memory +{rise / 1e6:.1f} MB"
                           for name, (seconds, rise) in measured.items()))
    for seconds, rise in measured.values():
        assert rise < 100e6
        assert seconds < 10.0  # 0.02 s measured; the pair sums would take hours (a loose check of the order)


def test_pairwise_distances_across_trials():
    spikes = ns.SpikeTrains([0, 0, 1, 2, 2, 2], [0, 0, 0, 0, 0, 1], [10, 50, 30, 10, 50, 5], dt=1e-3,
                            n_trials=3, n_neurons=2, n_steps=100)
    trains = [[0.01, 0.05], [0.03], [0.01, 0.05]]
    for metric, function, parameter in (("victor_purpura", stats.victor_purpura_distance, 30.0),
                                        ("van_rossum", stats.van_rossum_distance, 0.01)):
        matrix = stats.pairwise_distances(spikes, metric, parameter, neuron=0)
        assert matrix.dims == ("trial", "trial_2")
        expected = [[function(a, b, parameter) for b in trains] for a in trains]
        np.testing.assert_allclose(matrix.values, expected, rtol=1e-12)
        assert matrix.values[0, 2] == 0.0
    # against a second run of equal duration: rows are trials of spikes, columns trials of other
    other = ns.SpikeTrains([1], [0], [30], dt=1e-3, n_trials=2, n_neurons=1, n_steps=100)
    cross = stats.pairwise_distances(spikes, "victor_purpura", 30.0, neuron=0, other=other)
    np.testing.assert_allclose(cross.values, [[2, 1.6], [1, 0], [2, 1.6]])
    with pytest.raises(ValueError, match="metric="):
        stats.pairwise_distances(spikes, "euclid", 1.0, neuron=0)
    with pytest.raises(ValueError, match="neuron="):
        stats.pairwise_distances(spikes, "van_rossum", 0.01, neuron=2)
    with pytest.raises(ValueError, match="tau"):
        stats.pairwise_distances(spikes, "van_rossum", 0.0, neuron=0)


def test_distances_need_equal_durations():
    spikes = ns.SpikeTrains([0], [0], [10], dt=1e-3, n_trials=1, n_neurons=1, n_steps=100)
    longer = ns.SpikeTrains([0], [0], [10], dt=1e-3, n_trials=1, n_neurons=1, n_steps=200)
    with pytest.raises(ValueError, match="duration"):
        stats.pairwise_distances(spikes, "victor_purpura", 1.0, neuron=0, other=longer)
    # equal durations at different dt are comparable (times are in seconds)
    finer = ns.SpikeTrains([0], [0], [20], dt=5e-4, n_trials=1, n_neurons=1, n_steps=200)
    assert float(stats.pairwise_distances(spikes, "victor_purpura", 1.0, neuron=0, other=finer)[0, 0]) == 0.0


# ------------------------------------------------------------------ reliability
def test_reliability_of_identical_trials_is_one():
    spikes = regular_trains(period=7, n_trials=5, n_neurons=3)
    # neuron 3 of a wider population is silent: NaN
    wide = ns.SpikeTrains(spikes.trial, spikes.neuron, spikes.step, dt=spikes.dt, n_trials=5, n_neurons=4,
                          n_steps=spikes.n_steps)
    values = stats.reliability(wide, 0.002)
    assert values.dims == ("neuron",)
    np.testing.assert_allclose(values.values[:3], 1.0, rtol=1e-12)
    assert np.isnan(values.values[3])


def test_reliability_matches_the_filtered_trains():
    # cosine similarities of Gaussian-filtered trains computed on a fine grid, beyond the run's edges
    times = [np.array([0.010, 0.030]), np.array([0.012, 0.050, 0.051]), np.array([0.029])]
    spikes = ns.SpikeTrains(np.repeat([0, 1, 2], [2, 3, 1]), np.zeros(6, dtype=int),
                            np.round(np.concatenate(times) / 1e-3).astype(int), dt=1e-3, n_trials=3,
                            n_neurons=1, n_steps=60)
    sigma = 0.004
    grid = np.linspace(-0.1, 0.2, 60_001)
    filtered = [np.exp(-0.5 * ((grid[:, None] - train) / sigma) ** 2).sum(axis=1) for train in times]
    cosine = [filtered[a] @ filtered[b] / np.linalg.norm(filtered[a]) / np.linalg.norm(filtered[b])
              for a, b in ((0, 1), (0, 2), (1, 2))]
    assert float(stats.reliability(spikes, sigma)[0]) == pytest.approx(np.mean(cosine), rel=1e-9)


def test_reliability_of_independent_trials_is_near_zero():
    # 20 independent trials per neuron, each a Bernoulli(p = 0.01) process conditioned on N = 20 spikes
    # (N distinct uniform steps of n = 2000); fixing N removes the sqrt(N) ratio bias. With
    # w(m) = exp(-(m dt)^2 / (4 sigma^2)): E[s_a.s_b] = N^2 sum_m (n-|m|) w(m) / n^2 and
    # E[|s_a|^2] = N + N(N-1) sum_{m != 0} (n-|m|) w(m) / (n(n-1)); R ~ their ratio (~0.066).
    rng = np.random.default_rng(8)
    n_trials, n_neurons, n_steps, n_spikes, sigma, dt = 20, 60, 2000, 20, 0.002, 1e-3
    steps = np.argsort(rng.random((n_trials * n_neurons, n_steps)), axis=1)[:, :n_spikes]
    train = np.repeat(np.arange(n_trials * n_neurons), n_spikes)
    spikes = ns.SpikeTrains(train // n_neurons, train % n_neurons, steps.ravel(), dt=dt, n_trials=n_trials,
                            n_neurons=n_neurons, n_steps=n_steps)
    lag = np.arange(-n_steps + 1, n_steps)
    weighted = (n_steps - np.abs(lag)) * np.exp(-((lag * dt) ** 2) / (4 * sigma**2))
    cross = n_spikes**2 * weighted.sum() / n_steps**2
    auto = n_spikes + n_spikes * (n_spikes - 1) * (weighted.sum() - n_steps) / (n_steps * (n_steps - 1))
    # SE = SD across the 60 independent neurons / sqrt(60), measured 0.72 % of the value: power, an error of
    # (4 + 1.28) SE = 3.8 % is detected nine times in ten. Above 1 %: the estimator is exact against the filtered
    # trains in test_reliability_matches_the_filtered_trains
    assert_within_4se(stats.reliability(spikes, sigma).values, cross / auto, "reliability")


# ------------------------------------------------------------------ edge cases
def test_empty_spike_trains_give_zeros_or_nan_with_a_warning():
    spikes = empty_trains()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # defined values: no warning
        np.testing.assert_array_equal(stats.firing_rates(spikes).values, 0.0)
        np.testing.assert_array_equal(stats.psth(spikes, 0.01).values, 0.0)
        np.testing.assert_array_equal(stats.pairwise_distances(spikes, "van_rossum", 0.01, neuron=0).values, 0.0)
    undefined = {
        "isi_cv": lambda: stats.isi_cv(spikes), "cv2": lambda: stats.cv2(spikes), "lv": lambda: stats.lv(spikes),
        "fano_factor": lambda: stats.fano_factor(spikes, [0.01, 0.02]),
        "count_correlation": lambda: stats.count_correlations(spikes, 0.01),
        "reliability": lambda: stats.reliability(spikes, 0.005),
    }
    for name, compute in undefined.items():
        with pytest.warns(RuntimeWarning, match=name):
            values = compute().values
        assert values.size and np.all(np.isnan(values)), name


def test_fano_across_trials_is_the_ddof_0_variance_over_the_mean_exactly():
    """Hand-counted trains, so a ddof change (x n/(n-1)) or any other slip is an exact failure."""
    # 4 trials, 1 neuron, two 5-step windows: counts [1, 3, 0, 2] and [2, 2, 2, 0]
    steps = {0: [0, 5, 6], 1: [1, 2, 3, 7, 8], 2: [5, 9], 3: [0, 4]}
    trial = [k for k, values in steps.items() for _ in values]
    step = [value for values in steps.values() for value in values]
    spikes = ns.SpikeTrains(trial, [0] * len(step), step, dt=1e-3, n_trials=4, n_neurons=1, n_steps=10)
    # window 1: mean 1.5, variance 1.25 -> 5/6; window 2: mean 1.5, variance 0.75 -> 1/2; mean of the two 2/3
    assert float(stats.fano_factor(spikes, 0.005, across="trials")[0, 0]) == pytest.approx(2 / 3, rel=1e-12)
    np.testing.assert_allclose(stats.fano_of_counts([[1, 2], [3, 2], [0, 2], [2, 0]]), [5 / 6, 1 / 2], rtol=1e-12)


def test_a_train_with_one_spike():
    spikes = ns.SpikeTrains([0], [0], [3], dt=1e-3, n_trials=1, n_neurons=1, n_steps=8)
    assert float(stats.firing_rates(spikes)[0, 0]) == pytest.approx(125.0)
    for statistic in (stats.isi_cv, stats.cv2, stats.lv):
        with pytest.warns(RuntimeWarning):
            assert np.isnan(float(statistic(spikes)[0, 0]))
    # counts [1, 0, 0, 0] in 2-step windows: mean 1/4, variance 3/16, Fano 3/4
    assert float(stats.fano_factor(spikes, 0.002, across="windows")[0, 0]) == pytest.approx(0.75)
    with pytest.warns(RuntimeWarning, match="fewer than 2 trials"):
        stats.fano_factor(spikes, 0.002, across="trials")
    assert stats.van_rossum_distance(spikes.time, [], 0.01) == pytest.approx(math.sqrt(0.5))
    with pytest.warns(RuntimeWarning):  # one trial: no pair of trials
        assert np.isnan(float(stats.reliability(spikes, 0.002)[0]))
    # two trials, only one of them with a spike: still fewer than 2 trials with spikes
    two = ns.SpikeTrains([0], [0], [3], dt=1e-3, n_trials=2, n_neurons=1, n_steps=8)
    with pytest.warns(RuntimeWarning):
        assert np.isnan(float(stats.reliability(two, 0.002)[0]))


def test_windows_longer_than_the_run():
    spikes = regular_trains(period=10, n_steps=100)
    with pytest.warns(RuntimeWarning, match="windows=0.2 s is longer than the run"):
        fano = stats.fano_factor(spikes, [0.01, 0.2], across="windows")
    np.testing.assert_array_equal(fano.values[:, 0], 0.0)
    assert np.all(np.isnan(fano.values[:, 1]))
    with pytest.warns(RuntimeWarning, match="longer than the run"):
        assert np.all(np.isnan(stats.count_correlations(spikes, 0.2).values))
    with pytest.raises(ValueError, match="bin_width=0.2 s is longer than the run"):
        stats.psth(spikes, 0.2)
    with pytest.raises(ValueError, match="t_stop=0.2"):
        stats.firing_rates(spikes, t_stop=0.2)


@pytest.mark.parametrize("bad", [0.0015, 0.0, -0.01, float("nan")])
def test_invalid_windows_name_the_parameter_and_value(bad):
    spikes = regular_trains(period=10, n_steps=100)
    for parameter, call in (("windows", lambda: stats.fano_factor(spikes, [0.01, bad])),
                            ("window", lambda: stats.count_correlations(spikes, bad)),
                            ("bin_width", lambda: stats.psth(spikes, bad))):
        with pytest.raises(ValueError, match=rf"{parameter}={bad!r}"):
            call()


def test_invalid_arguments():
    spikes = regular_trains(period=10, n_steps=100)
    with pytest.raises(ValueError, match="t_start=0.0015"):
        stats.firing_rates(spikes, t_start=0.0015)
    with pytest.raises(ValueError, match="t_stop=0.01 s must be later"):
        stats.firing_rates(spikes, t_start=0.02, t_stop=0.01)
    with pytest.raises(ValueError, match="across="):
        stats.fano_factor(spikes, 0.01, across="neurons")
    with pytest.raises(ValueError, match="smoothing"):
        stats.psth(spikes, 0.01, smoothing=-1.0)
    with pytest.raises(ValueError, match="neurons="):
        stats.psth(spikes, 0.01, neurons=[7])
    with pytest.raises(ValueError, match="sigma"):
        stats.reliability(spikes, 0.0)
    with pytest.raises(ValueError, match="cost"):
        stats.victor_purpura_distance([0.1], [0.2], -1.0)
    with pytest.raises(ValueError, match="times_a"):
        stats.van_rossum_distance([[0.1]], [0.2], 0.01)
    with pytest.raises(TypeError, match="SpikeTrains"):
        stats.isi_cv(np.zeros(3))


# ------------------------------------------------------------------ one estimator, one home
def test_pooled_isi_cv_and_cv_of_intervals_against_numpy():
    spikes = bernoulli_trains(0.05, n_trials=4, n_neurons=3, n_steps=3000, seed=11)
    length, _, train = spikes.intervals()
    trial, neuron = np.divmod(train, spikes.n_neurons)
    per_neuron = stats.isi_cv(spikes, pool="trials").values
    for i in range(spikes.n_neurons):
        values = length[neuron == i].astype(float)
        assert per_neuron[i] == pytest.approx(values.std() / values.mean(), rel=1e-13)
    everything = float(stats.isi_cv(spikes, pool="all"))
    assert everything == pytest.approx(length.std() / length.mean(), rel=1e-13)
    per_train = stats.isi_cv(spikes).values
    assert per_train[2, 1] == pytest.approx(length[train == 2 * 3 + 1].std() / length[train == 2 * 3 + 1].mean(),
                                            rel=1e-13)
    assert np.isnan(stats.cv_of_intervals([1.0, 2.0, 3.0], groups=[0, 1, 1], n_groups=3)[[0, 2]]).all()
    with pytest.raises(ValueError, match="pool='neurons' is not allowed"):
        stats.isi_cv(spikes, pool="neurons")
    with pytest.raises(ValueError, match="outside"):
        stats.cv_of_intervals([1.0, 2.0], groups=[0, 3], n_groups=2)


def test_fano_of_counts_states_its_ddof_and_agrees_with_fano_factor():
    counts = np.random.default_rng(4).poisson(3.0, size=(50, 6, 4))  # (trial, neuron, position)
    for ddof in (0, 1):
        expected = counts.var(axis=0, ddof=ddof) / counts.mean(axis=0)
        np.testing.assert_allclose(stats.fano_of_counts(counts, axis=0, ddof=ddof), expected, rtol=1e-13)
    # the spike-train entry point is the same estimator: mean over positions of the per-position Fano
    spikes = trains_from_counts(counts, width=10)
    np.testing.assert_allclose(stats.fano_factor(spikes, 0.01, across="trials").values[:, 0],
                               stats.fano_of_counts(counts, axis=0).mean(axis=1), rtol=1e-13)
    with pytest.raises(ValueError, match="ddof=2"):
        stats.fano_of_counts(counts, ddof=2)


def test_correlations_of_counts_equal_count_correlations_and_numpy():
    generator = np.random.default_rng(9)
    shared = generator.poisson(2.0, size=(80, 1, 3))
    counts = shared + generator.poisson(2.0, size=(80, 4, 3))  # (trial, neuron, position), correlated
    spikes = trains_from_counts(counts, width=20)
    from_spikes = stats.count_correlations(spikes, 0.02).values
    np.testing.assert_allclose(stats.correlations_of_counts(counts), from_spikes, rtol=1e-12)
    one_position = counts[:, :, 0]
    np.testing.assert_allclose(stats.correlations_of_counts(one_position), np.corrcoef(one_position, rowvar=False),
                               rtol=1e-12)


def test_the_cv_and_fano_of_the_experiments_the_brian2_comparison_and_the_sweep_are_those_of_stats():
    """One set of trains: every place that shows a CV or a Fano factor returns what ``stats`` returns
    (same estimator, same number)."""
    from nsnn_sim.analysis import compare as crossval
    from nsnn_sim.experiments import crossval_brian2, variability
    from nsnn_sim.sweep import lif_statistics

    model = ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, threshold_crossing="bridge", method="euler")
    spikes = ns.simulate(model, 0.9, n_neurons=30, n_steps=12000, n_trials=6, seed=2).spikes
    pooled = stats.isi_cv(spikes, pool="trials").values
    np.testing.assert_array_equal(variability.pooled_cv(spikes)[0], pooled)
    np.testing.assert_array_equal(variability.cv_and_se(spikes)[0], pooled)
    np.testing.assert_array_equal(variability.fano_and_se(spikes.crop(0.2), 1.0)[0],
                                  stats.fano_factor(spikes.crop(0.2), [1.0], across="trials").values[:, 0])
    np.testing.assert_array_equal(crossval.unit_cv(spikes), stats.isi_cv(spikes).values.ravel())
    counts = spikes.counts(0.05).values
    np.testing.assert_array_equal(crossval.unit_fano(spikes, 0.05), stats.fano_of_counts(counts, axis=-1).ravel())
    # the sweep task simulates 200 neurons x 1 s with n_threads=1 and drops 50 ms
    swept = lif_statistics(0.9, 0.5, seed=5, n_neurons=20, duration=0.3)
    again = ns.simulate(model, 0.9, n_neurons=20, n_steps=3000, seed=5).spikes.crop(0.05)
    assert float(swept["cv"]) == float(stats.isi_cv(again, pool="all"))
    assert float(swept["rate"]) == float(stats.firing_rates(again).mean())  # per second of the 0.25 s kept
    # the Brian2 grid's theory column (CV against Brunel's) is the pooled CV of stats
    checks = crossval_brian2.theory_checks(model, 0.9, [spikes])
    assert checks["cv"][0] == float(stats.isi_cv(stats.stationary_part(spikes), pool="all"))
    assert checks["rate"][0] == stats.stationary_rate(spikes)[0]  # and its rate column the stationary protocol


def test_stationary_rate_counts_after_the_warm_up_with_the_se_over_trains():
    spikes = ns.SpikeTrains(trial=[0, 0, 0, 0], neuron=[0, 0, 1, 1], step=[5, 50, 60, 70], dt=0.01, n_trials=1,
                            n_neurons=2, n_steps=100)
    rate, se = ns.stats.stationary_rate(spikes, warmup=0.1)  # steps 10..99: 1 and 2 spikes in 0.9 s
    assert rate == pytest.approx(1.5 / 0.9) and se == pytest.approx(np.std([1 / 0.9, 2 / 0.9], ddof=1) / np.sqrt(2))
    with pytest.raises(ValueError, match="at least 2 trains"):
        ns.stats.stationary_rate(ns.SpikeTrains([], [], [], dt=0.01, n_trials=1, n_neurons=1, n_steps=100))
