"""The variability experiment's computations with the simulator stubbed: the models, drives, sizes and seeds of
its four parts passed to :func:`nsnn_sim.simulate`, and the numbers it stores recomputed here from the stub's
spike trains (pooled ISI CVs and their SE over groups of trials, Fano factors and their jackknife SE, rates,
reliability, van Rossum distances), the frozen Ornstein-Uhlenbeck input by its recursion, and run()'s comparison
with Brunel's CV, so no kernel is compiled. The end-to-end run is
test_variability_experiment_matches_theory_and_draws_its_figure in tests/test_experiments.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import nsnn_sim as ns
from nsnn_sim.analysis import stats
from nsnn_sim.experiments import variability

SEED = 5


def _fake_spikes(n_neurons: int, n_steps: int, n_trials: int, dt: float, seed: int) -> ns.SpikeTrains:
    """Deterministic spikes: a Poisson number per train (mean 5-40 per second, its own per neuron), at
    distinct uniformly drawn steps."""
    generator = np.random.default_rng(seed)
    per_second = generator.uniform(5.0, 40.0, n_neurons)
    counts = generator.poisson(np.broadcast_to(per_second * n_steps * dt, (n_trials, n_neurons)))
    trial, neuron = np.repeat(np.arange(n_trials), n_neurons), np.tile(np.arange(n_neurons), n_trials)
    trial, neuron = np.repeat(trial, counts.ravel()), np.repeat(neuron, counts.ravel())
    key = np.unique((trial * n_neurons + neuron) * n_steps + generator.integers(0, n_steps, trial.size))
    train, step = np.divmod(key, n_steps)
    trial, neuron = np.divmod(train, n_neurons)
    return ns.SpikeTrains(trial, neuron, step, dt=dt, n_trials=n_trials, n_neurons=n_neurons, n_steps=n_steps)


@pytest.fixture
def stubbed(monkeypatch):
    calls = []

    class Result:
        def __init__(self, spikes):
            self.spikes = spikes

    def fake_simulate(model, drive, n_neurons, n_steps, n_trials=1, seed=0):
        calls.append(dict(model=model, drive=np.array(drive), n_neurons=n_neurons, n_steps=n_steps,
                          n_trials=n_trials, seed=seed))
        return Result(_fake_spikes(n_neurons, n_steps, n_trials, model.dt, seed))

    monkeypatch.setattr(ns, "simulate", fake_simulate)
    return calls


def _trials(spikes: ns.SpikeTrains, kept: np.ndarray) -> ns.SpikeTrains:
    """The trials ``kept`` (a boolean per trial) renumbered 0, 1, ..."""
    chosen = kept[spikes.trial]
    renumber = np.cumsum(kept) - 1
    return ns.SpikeTrains(renumber[spikes.trial[chosen]], spikes.neuron[chosen], spikes.step[chosen], dt=spikes.dt,
                          n_trials=int(kept.sum()), n_neurons=spikes.n_neurons, n_steps=spikes.n_steps)


def _cv_and_se_by_hand(spikes, groups=10):
    """CV with trials pooled, and the SD (ddof 1) of the CVs of the groups trial % 10 over sqrt(10)."""
    group = np.arange(spikes.n_trials) % groups
    per_group = np.array([stats.isi_cv(_trials(spikes, group == g), pool="trials").values for g in range(groups)])
    return stats.isi_cv(spikes, pool="trials").values, np.nanstd(per_group, axis=0, ddof=1) / np.sqrt(groups)


def _fano_by_hand(counts):
    """Var/mean (ddof 0) across trials per window position, averaged over positions: (neuron,)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(counts.var(axis=0) / counts.mean(axis=0), axis=-1)


def _fano_and_se_by_hand(spikes, window, groups=10):
    counts = spikes.counts(window=window).values
    group = np.arange(spikes.n_trials) % groups
    left_out = np.array([_fano_by_hand(counts[group != g]) for g in range(groups)])
    se = np.sqrt((groups - 1) / groups * np.sum((left_out - left_out.mean(axis=0)) ** 2, axis=0))
    return _fano_by_hand(counts), se


def test_the_cv_and_fano_helpers_are_the_pooled_cv_and_the_jackknifed_fano_factor():
    spikes = _fake_spikes(3, 4000, 30, 1e-3, 8)
    cv, cv_se = variability.cv_and_se(spikes)
    np.testing.assert_allclose(cv, _cv_and_se_by_hand(spikes)[0], rtol=1e-12)
    np.testing.assert_allclose(cv_se, _cv_and_se_by_hand(spikes)[1], rtol=1e-12)
    for window in (0.1, 1.0):
        fano, fano_se = variability.fano_and_se(spikes, window)
        expected, expected_se = _fano_and_se_by_hand(spikes, window)
        np.testing.assert_allclose(fano, expected, rtol=1e-12)
        np.testing.assert_allclose(fano_se, expected_se, rtol=1e-12)


def test_the_frozen_input_is_the_ornstein_uhlenbeck_recursion():
    """x_0 = 0, x_k = a x_(k-1) + sqrt(1 - a^2) xi_k with a = exp(-dt/5 ms): SD 1, correlation time 5 ms."""
    x = variability.frozen_input(300, 1e-3, 4)
    xi = np.random.default_rng(4).normal(0.0, 1.0, 300)
    a = np.exp(-1e-3 / 5e-3)
    expected = np.zeros(300)
    for k in range(1, 300):
        expected[k] = a * expected[k - 1] + np.sqrt(1 - a * a) * xi[k]
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-15)


def test_lif_part_simulates_the_documented_grid_and_stores_its_statistics(stubbed):
    data = variability.lif_part(True, SEED)
    mus, sigmas = np.linspace(0.5, 1.5, 8), np.array([0.2, 0.35, 0.5])
    np.testing.assert_array_equal(data["mu"], mus)
    np.testing.assert_array_equal(data["sigma"], sigmas)
    (call,) = stubbed
    model = call["model"]
    assert (model.tau, model.dt, model.threshold_crossing) == (10e-3, 1e-4, "bridge")
    np.testing.assert_array_equal(model.sigma, np.repeat(sigmas, 8))  # neuron s * 8 + m: (sigma_s, mu_m)
    np.testing.assert_array_equal(call["drive"], np.tile(mus, 3))
    # the stationary protocol's 0.1 s warm-up, then 1 s (quick)
    assert (call["n_neurons"], call["n_steps"], call["n_trials"], call["seed"]) == (24, 11000, 100, SEED)
    spikes = _fake_spikes(24, 11000, 100, 1e-4, SEED).crop(0.1)
    cv, cv_se = _cv_and_se_by_hand(spikes)
    fano, fano_se = _fano_and_se_by_hand(spikes, 1.0)
    for name, values in (("lif_cv", cv), ("lif_cv_se", cv_se), ("lif_fano", fano), ("lif_fano_se", fano_se)):
        np.testing.assert_allclose(data[name].values.ravel(), values, rtol=1e-12)
    rate = np.bincount(spikes.neuron, minlength=24) / (100 * 1.0)
    np.testing.assert_allclose(data["lif_rate"].values.ravel(), rate, rtol=1e-12)
    fine = np.linspace(0.5, 1.5, 60)
    np.testing.assert_array_equal(data["mu_theory"], fine)
    for index, sigma in enumerate(sigmas):
        for column in (0, 23, 59):
            assert data["lif_theory_cv"].values[index, column] == ns.theory.isi_cv(fine[column], sigma, 10e-3)
            assert data["lif_theory_rate"].values[index, column] == ns.theory.siegert_rate(fine[column], sigma, 10e-3)


def test_nsnn_part_runs_every_family_and_firing_rule_and_the_dsnn(stubbed):
    data = variability.nsnn_part(True, SEED)
    drives = np.linspace(0.2, 1.0, 9)
    np.testing.assert_array_equal(data["drive"], drives)
    expected = [(f"{family} {firing}", family, scale, firing) for family, scale in
                (("gaussian", 0.4), ("logistic", 0.4), ("triangular", 0.6), ("uniform", 0.4), ("cauchy", 0.2))
                for firing in ("membrane", "escape")]
    assert list(data["model"].values) == [name for name, *_ in expected] + ["deterministic (DSNN)"]
    assert len(stubbed) == 11
    for index, call in enumerate(stubbed):
        model = call["model"]
        assert (model.beta, model.dt) == (0.5, 1e-3)
        if index < 10:
            _, family, scale, firing = expected[index]
            assert (model.noise, model.noise_scale, model.firing) == (family, scale, firing)
        else:
            assert model.noise == "none"
        np.testing.assert_array_equal(call["drive"], drives)
        assert (call["n_neurons"], call["n_steps"], call["n_trials"], call["seed"]) == (9, 1200, 100, SEED + index)
        spikes = _fake_spikes(9, 1200, 100, 1e-3, SEED + index).crop(0.2)
        cv, cv_se = _cv_and_se_by_hand(spikes)
        fano, fano_se = _fano_and_se_by_hand(spikes, 1.0)
        for name, values in (("nsnn_cv", cv), ("nsnn_cv_se", cv_se), ("nsnn_fano", fano), ("nsnn_fano_se", fano_se),
                             ("nsnn_rate", np.bincount(spikes.neuron, minlength=9) / 100.0)):
            np.testing.assert_allclose(data[name].values[index], values, rtol=1e-12)


def test_fano_window_part_counts_in_the_documented_windows(stubbed):
    data = variability.fano_window_part(True, SEED)
    windows = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
    np.testing.assert_array_equal(data["window"], windows)
    assert len(stubbed) == 5
    drives = [0.9, 0.7, 0.4, 0.4, 0.6]
    for index, (call, drive) in enumerate(zip(stubbed, drives)):
        assert float(call["drive"]) == drive
        dt = call["model"].dt
        assert (call["n_neurons"], call["n_steps"], call["n_trials"], call["seed"]) == (
            1, round(2.2 / dt), 100, SEED + 50 + index)
        spikes = _fake_spikes(1, round(2.2 / dt), 100, dt, SEED + 50 + index).crop(0.2)
        by_window = np.array([_fano_and_se_by_hand(spikes, window) for window in windows])[:, :, 0]
        np.testing.assert_allclose(data["fano_window"].values[index], by_window[:, 0], rtol=1e-12)
        np.testing.assert_allclose(data["fano_window_se"].values[index], by_window[:, 1], rtol=1e-12)
        assert data["fano_window_cv_squared"].values[index] == pytest.approx(
            stats.isi_cv(spikes, pool="trials").values[0] ** 2, rel=1e-12)
    sigmas = [stubbed[0]["model"].sigma, stubbed[1]["model"].sigma]
    assert np.all(np.asarray(sigmas).ravel() == [0.35, 0.5])


def test_reliability_part_drives_the_nsnn_with_constant_and_frozen_input_at_each_noise_level(stubbed):
    data = variability.reliability_part(True, SEED)
    levels = [0.0, 0.05, 0.1, 0.2]
    np.testing.assert_array_equal(data["noise_level"], levels)
    inputs = {"constant": np.full(1000, 0.12 + 0.02), "frozen": 0.12 + 0.1 * variability.frozen_input(1000, 1e-3, SEED)}
    np.testing.assert_allclose(data["input_current"], np.array(list(inputs.values())), rtol=1e-15)
    np.testing.assert_allclose(data["input_time"], 1e-3 * np.arange(1000), rtol=1e-15)
    assert data.attrs == {"reliability_n_trials": 30, "nsnn_beta": 0.9}
    assert len(stubbed) == 8
    calls = iter(stubbed)
    for c, (condition, drive) in enumerate(inputs.items()):
        for n, level in enumerate(levels):
            call = next(calls)
            model = call["model"]
            assert (model.beta, model.dt) == (0.9, 1e-3)
            if level == 0:  # the DSNN
                assert model.noise == "none"
            else:
                assert (model.noise, model.noise_scale) == ("gaussian", level)
            np.testing.assert_array_equal(call["drive"], drive[:, None])
            seed = SEED + 100 + int(level * 1000)
            assert (call["n_neurons"], call["n_steps"], call["n_trials"], call["seed"]) == (1, 1000, 30, seed)
            spikes = _fake_spikes(1, 1000, 30, 1e-3, seed)
            assert data["reliability"].values[c, n] == float(stats.reliability(spikes, 0.003).values[0])
            matrix = stats.pairwise_distances(spikes, "van_rossum", 0.005, 0).values
            assert data["van_rossum_between_trials"].values[c, n] == pytest.approx(
                matrix.sum() / (30 * 29), rel=1e-12)  # the mean off the diagonal
            counts = spikes.counts(window=0.1).values[:, 0]
            assert data["fano_100ms"].values[c, n] == pytest.approx(_fano_by_hand(counts[:, None])[0], rel=1e-12)
            key = f"raster_{condition}_{level:g}"
            np.testing.assert_array_equal(data[f"{key}_trial"], spikes.trial)
            np.testing.assert_array_equal(data[f"{key}_time"], spikes.time)


def _part(**variables):
    return lambda quick, seed: xr.Dataset(variables, coords={"sigma": [0.2, 0.5], "mu": [0.8, 1.2]})


def test_run_compares_the_lif_cv_with_brunels_and_counts_a_point_precise_below_125_permille(monkeypatch):
    """lif_cv_precise: SE/CV < 1.25 % strictly (4 SE below 5 %); the deviation |CV/theory - 1|."""
    cv = np.array([[1.0, 0.5], [0.8, 0.25]])
    se = np.array([[0.0125, 0.00624], [0.01, 0.0125 * 0.25]])  # exactly 1.25 %, below, 1.25 %, 1.25 %
    monkeypatch.setattr(variability, "lif_part", _part(lif_cv=(("sigma", "mu"), cv), lif_cv_se=(("sigma", "mu"), se)))
    monkeypatch.setattr(variability, "nsnn_part", lambda quick, seed: xr.Dataset())
    monkeypatch.setattr(variability, "fano_window_part", lambda quick, seed: xr.Dataset())
    monkeypatch.setattr(variability, "reliability_part", lambda quick, seed: xr.Dataset(
        {"reliability": (("input", "noise_level"), np.zeros((1, 1)))}, coords={"input": ["c"], "noise_level": [0]}))
    data = variability.run(quick=True, seed=SEED)
    np.testing.assert_array_equal(data["lif_cv_precise"], [[False, True], [se[1, 0] / 0.8 < 0.0125, False]])
    theory = np.array([[ns.theory.isi_cv(mu, sigma, 10e-3) for mu in (0.8, 1.2)] for sigma in (0.2, 0.5)])
    np.testing.assert_allclose(data["lif_cv_relative_deviation"], np.abs(cv / theory - 1), rtol=1e-12)
    assert (data.attrs["seed"], data.attrs["quick"], data.attrs["lif_tau"]) == (SEED, 1, 10e-3)
