"""``stats.isi_serial_correlation`` against a direct computation of its definition, to rounding: the pooled
``rho_k``, the CV, the long-window Fano limit and their jackknife SEs over trains, on irregular trains of different
lengths (some with too few intervals for a lag), so that every sum, pair and leave-one-out term is checked."""

import math

import numpy as np

from nsnn_sim import SpikeTrains
from nsnn_sim.analysis import stats


def _trains(seed=3):
    """Spike trains of 3 trials x 4 neurons with 0 to 30 spikes each (gamma-like intervals, serially correlated)."""
    rng = np.random.default_rng(seed)
    trial, neuron, step = [], [], []
    for t in range(3):
        for n in range(4):
            count = int(rng.integers(0, 31)) if (t, n) != (1, 2) else 2  # one train with a single interval
            intervals = 1 + rng.gamma(2.0, 6.0, count).astype(int)
            intervals[1::2] += 3  # alternate long and short: a negative rho_1
            times = np.cumsum(intervals)
            times = times[times < 2000]
            trial += [t] * times.size
            neuron += [n] * times.size
            step += times.tolist()
    return SpikeTrains(trial=np.array(trial), neuron=np.array(neuron), step=np.array(step), dt=1e-3, n_trials=3,
                       n_neurons=4, n_steps=2000)


def _direct(per_train, max_lag):
    """The definition: pooled mean and variance (ddof 0) of all intervals, rho_k = mean over within-train pairs k
    apart of (a - m)(b - m), divided by the variance; cv = sd/mean; Fano limit cv^2 (1 + 2 sum rho)."""
    pooled = np.concatenate(per_train) if per_train else np.zeros(0)
    m = pooled.mean()
    v = ((pooled - m) ** 2).mean()
    rho = []
    for k in range(1, max_lag + 1):
        terms = [(x[i] - m) * (x[i + k] - m) for x in per_train for i in range(len(x) - k)]
        rho.append(sum(terms) / len(terms) / v)
    cv = math.sqrt(v) / m
    return np.array(rho), cv, cv**2 * (1.0 + 2.0 * sum(rho))


def _jackknife(values):
    values = np.asarray(values)
    n = values.shape[0]
    return np.sqrt((n - 1) / n * ((values - values.mean(axis=0)) ** 2).sum(axis=0))


def test_serial_correlation_equals_its_definition_and_its_jackknife_to_rounding():
    spikes = _trains()
    per_train = [np.diff(spikes.step[(spikes.trial == t) & (spikes.neuron == n)]).astype(float)
                 for t in range(3) for n in range(4)]
    max_lag = 3
    result = stats.isi_serial_correlation(spikes, max_lag=max_lag)
    rho, cv, limit = _direct([x for x in per_train if x.size], max_lag)
    np.testing.assert_allclose(result["rho"].values, rho, rtol=1e-12)
    assert math.isclose(float(result["cv"]), cv, rel_tol=1e-12)
    assert math.isclose(float(result["fano_limit"]), limit, rel_tol=1e-12)
    assert result["n_intervals"].values.tolist() == [sum(max(x.size - k, 0) for x in per_train)
                                                     for k in range(1, max_lag + 1)]
    # the jackknife leaves out, one at a time, each train holding at least one pair at lag 1
    holding = [index for index, x in enumerate(per_train) if x.size >= 2]
    assert 5 <= len(holding) < len(per_train)
    left_out = [_direct([x for index, x in enumerate(per_train) if index != out and x.size], max_lag)
                for out in holding]
    np.testing.assert_allclose(result["rho_se"].values, _jackknife([entry[0] for entry in left_out]), rtol=1e-10)
    assert math.isclose(float(result["cv_se"]), float(_jackknife([entry[1] for entry in left_out])), rel_tol=1e-10)
    assert math.isclose(float(result["fano_limit_se"]), float(_jackknife([entry[2] for entry in left_out])),
                        rel_tol=1e-10)
    assert result["rho"].values[0] < -0.05  # the alternation is there


def test_serial_correlation_of_one_train_has_no_standard_error():
    steps = np.cumsum([10, 30] * 20)
    spikes = SpikeTrains(np.zeros(40, int), np.zeros(40, int), steps, dt=1e-3, n_trials=1, n_neurons=1, n_steps=1000)
    result = stats.isi_serial_correlation(spikes, max_lag=2)
    rho, cv, limit = _direct([np.diff(steps).astype(float)], 2)
    np.testing.assert_allclose(result["rho"].values, rho, rtol=1e-12)
    assert rho[0] < -0.999 and rho[1] > 0.999  # alternating intervals (39 of them: the mean is not quite 20)
    assert math.isclose(float(result["cv"]), cv, rel_tol=1e-12)
    assert math.isclose(float(result["fano_limit"]), limit, rel_tol=1e-12)
    assert np.all(np.isnan(result["rho_se"].values)) and math.isnan(float(result["cv_se"]))
    assert math.isnan(float(result["fano_limit_se"]))
