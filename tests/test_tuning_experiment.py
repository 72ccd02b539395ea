"""The orientation-tuning experiment's computations with the simulation and the curve fits stubbed: the models, drives,
run sizes and seeds it simulates, and every number it stores recomputed here from the stub's counts (tuning means
and SDs, Fano factors, binned noise correlations, the Fisher information of the responsive neurons and the
discrimination threshold), so no kernel is compiled. The end-to-end run is
test_tuning_experiment_recovers_preferences_and_information in tests/test_experiments.py.
"""

from __future__ import annotations

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import coding
from nsnn_sim.experiments import tuning

NAMES = ["NSNN gaussian membrane", "NSNN logistic escape", "DSNN", "DSNN + input noise"]


def _drive_by_hand(orientation, preferred: np.ndarray) -> np.ndarray:
    """The von Mises drive per step: 0.15 + 0.5 exp(2 [cos 2 (s - s_pref) - 1])."""
    return 0.15 + 0.5 * np.exp(2.0 * (np.cos(2 * (np.asarray(orientation)[..., None] - preferred)) - 1))


def _fake_counts(n_trials: int, n_neurons: int, orientation: float, seed: int) -> np.ndarray:
    """Poisson counts of mean 1000 x the drive, every 9th neuron silent (no variance: left out of the Fisher
    information)."""
    rate = 1000 * _drive_by_hand(orientation, (np.arange(n_neurons) + 0.5) * np.pi / n_neurons)
    rate[::9] = 0.0
    return np.random.default_rng(seed).poisson(rate, (n_trials, n_neurons)).astype(float)


@pytest.fixture
def stubbed(monkeypatch):
    """simulate_counts and fit_tuning_curves replaced: the calls (and the counts returned) are recorded."""
    calls = SimpleNamespace(counts=[], fits=[])

    def fake_simulate_counts(name, model, orientation, preferred, n_trials, window, seed):
        counts = _fake_counts(n_trials, preferred.size, orientation, seed)
        calls.counts.append(dict(name=name, model=model.to_dict(), orientation=orientation, preferred=preferred,
                                 n_trials=n_trials, window=window, seed=seed, counts=counts))
        return counts

    def fake_fit(responses):
        calls.fits.append(responses)
        mean = responses.mean(("stimulus", "trial"))
        return xr.Dataset({"preferred": mean, "kappa": mean + len(calls.fits), "converged": mean > 0},
                          attrs={"method": "stub"})

    monkeypatch.setattr(tuning, "simulate_counts", fake_simulate_counts)
    monkeypatch.setattr(tuning.coding, "fit_tuning_curves", fake_fit)
    return calls


def test_models_are_the_documented_nsnns_with_beta_one_half():
    for level in (0.4, 0.25):
        expected = [ns.NSNN(beta=0.5, noise="gaussian", noise_scale=level, dt=1e-3),
                    ns.NSNN(beta=0.5, noise="logistic", noise_scale=level / 1.6, firing="escape", dt=1e-3),
                    ns.NSNN(beta=0.5, noise="none", dt=1e-3), ns.NSNN(beta=0.5, noise="none", dt=1e-3)]
        models = tuning.models(level)
        assert list(models) == NAMES
        assert [model.to_dict() for model in models.values()] == [model.to_dict() for model in expected]
    assert tuning.models()["NSNN gaussian membrane"].to_dict()["noise_scale"] == 0.4  # the default noise


@pytest.mark.parametrize("name", ["NSNN logistic escape", "DSNN + input noise"])
def test_simulate_counts_counts_after_the_warm_up_of_the_drive_or_the_jittered_noisy_drive(monkeypatch, name):
    calls, preferred, seed = [], (np.arange(6) + 0.5) * np.pi / 6, 9

    class FakeSpikes:
        def crop(self, start):
            calls.append(("crop", start))
            return SimpleNamespace(counts=lambda: SimpleNamespace(values=np.full((3, 6), 7.0)))

    def fake_simulate(model, inputs, **kwargs):
        calls.append((model, inputs, kwargs))
        return SimpleNamespace(spikes=FakeSpikes())

    monkeypatch.setattr(tuning.ns, "simulate", fake_simulate)
    model = tuning.models()[name]
    counts = tuning.simulate_counts(name, model, 0.7, preferred, n_trials=3, window=0.25, seed=seed)
    np.testing.assert_array_equal(counts, np.full((3, 6), 7.0))
    (simulated, inputs, kwargs), crop = calls
    # 0.1 s warm-up + 0.25 s window of 1 ms steps; the counts after the warm-up
    assert simulated is model and kwargs == {"n_neurons": 6, "n_steps": 350, "n_trials": 3, "seed": seed}
    assert crop == ("crop", 0.1)
    if name == "DSNN + input noise":  # the orientation jittered per trial (SD 2 degrees), then N(0, 0.2) per step
        generator = np.random.default_rng(seed)
        jitter = generator.normal(0.0, np.deg2rad(2.0), 3)
        noise = generator.normal(0.0, 0.2, (3, 350, 6))
        np.testing.assert_allclose(inputs, _drive_by_hand(0.7 + jitter, preferred)[:, None, :] + noise, rtol=1e-12)
    else:  # the same drive at every step and trial
        np.testing.assert_allclose(inputs, _drive_by_hand(0.7, preferred), rtol=1e-12)


def test_responsive_keeps_the_neurons_that_vary_at_both_stimuli():
    a = np.array([[1.0, 2, 3, 0], [2, 2, 4, 0], [3, 2, 5, 1]])
    b = np.array([[1.0, 5, 3, 2], [2, 6, 3, 2], [4, 7, 3, 3]])
    kept_a, kept_b = tuning.responsive(a, b)  # neuron 1 is constant at a, neuron 2 at b
    np.testing.assert_array_equal(kept_a, a[:, [0, 3]])
    np.testing.assert_array_equal(kept_b, b[:, [0, 3]])


@pytest.mark.parametrize("quick, n_neurons, n_trials, window, fisher_trials",
                         [(True, 100, 50, 0.5, 150), (False, 200, 100, 1.0, 300)])
def test_run_simulates_the_documented_design_with_its_seeds(stubbed, quick, n_neurons, n_trials, window,
                                                            fisher_trials):
    seed = 2
    data = tuning.run(quick=quick, seed=seed)
    orientations = np.arange(16) * np.pi / 16  # 16 stimuli k pi / 16
    preferred = (np.arange(n_neurons) + 0.5) * np.pi / n_neurons  # preferences tiling [0, pi)
    models = tuning.models()
    # the tuning runs: every model at every stimulus, seeded seed + 1000 m + s
    expected = [(name, models[name].to_dict(), orientation, n_trials, seed + 1000 * m + s)
                for m, name in enumerate(NAMES) for s, orientation in enumerate(orientations)]
    # the Fisher runs of the noisy models at pi/2 -+ 1 degree (seeds + 77 + m and + 99 + m), then the gaussian NSNN
    # at the noise levels (seeds + 500 + k and + 600 + k)
    low, high = np.pi / 2 - np.deg2rad(1.0), np.pi / 2 + np.deg2rad(1.0)
    for m, name in enumerate([NAMES[0], NAMES[1], NAMES[3]]):
        expected += [(name, models[name].to_dict(), low, fisher_trials, seed + 77 + m),
                     (name, models[name].to_dict(), high, fisher_trials, seed + 99 + m)]
    levels = [0.2, 0.3, 0.4, 0.6, 0.8]
    for k, level in enumerate(levels):
        model = tuning.models(level)["NSNN gaussian membrane"].to_dict()
        expected += [("NSNN", model, low, fisher_trials, seed + 500 + k),
                     ("NSNN", model, high, fisher_trials, seed + 600 + k)]
    assert len(stubbed.counts) == len(expected)
    for call, (name, model, orientation, trials, call_seed) in zip(stubbed.counts, expected):
        assert (call["name"], call["model"], call["n_trials"], call["seed"]) == (name, model, trials, call_seed)
        assert call["window"] == window
        np.testing.assert_allclose(call["orientation"], orientation, rtol=1e-15)
        np.testing.assert_allclose(call["preferred"], preferred, rtol=1e-15)
    np.testing.assert_allclose(data["stimulus"], orientations, rtol=1e-15)
    np.testing.assert_allclose(data["preferred_true"], preferred, rtol=1e-15)
    assert list(data["model"].values) == NAMES and list(data["fisher_model"].values) == [NAMES[0], NAMES[1], NAMES[3]]
    np.testing.assert_array_equal(data["population_size"], [5, 10, 20, 50, 100] + ([200] if not quick else []))
    np.testing.assert_array_equal(data["noise_level"], levels)
    assert (data.attrs["n_trials"], data.attrs["window_s"], data.attrs["fisher_trials"]) == (n_trials, window,
                                                                                             fisher_trials)
    assert data.attrs["seed"] == seed and data.attrs["quick"] == int(quick)
    assert data.attrs["fisher_reference_rad"] == np.pi / 2 and data.attrs["fisher_delta_rad"] == np.deg2rad(2.0)
    np.testing.assert_allclose(data.attrs["fisher_stimuli_rad"], [low, high], rtol=1e-15)
    assert json.loads(data.attrs["models"]) == {name: model.to_dict() for name, model in models.items()}


def _binned_correlation_by_hand(counts: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """counts (stimulus, trial, neuron): the Pearson correlation of every pair per stimulus, averaged over the
    stimuli where defined, then over the pairs whose circular preference difference is in each of 9 equal bins of
    [0, pi/2]."""
    per_stimulus = []
    for stimulus in counts:
        with np.errstate(invalid="ignore", divide="ignore"):
            per_stimulus.append(np.corrcoef(stimulus.T))
    with warnings.catch_warnings():  # a silent neuron's correlations are NaN at every stimulus
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        correlation = np.nanmean(np.array(per_stimulus), axis=0)
    n = preferred.size
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    edges = np.linspace(0, np.pi / 2, 10)
    binned = np.full(9, np.nan)
    for b in range(9):
        values = []
        for i, j in pairs:
            difference = abs(preferred[i] - preferred[j])
            difference = min(difference, np.pi - difference)
            if edges[b] <= difference < edges[b + 1]:
                values.append(correlation[i, j])
        binned[b] = np.nanmean(values)
    return binned


def test_run_stores_the_statistics_of_the_simulated_counts(stubbed):
    seed = 2
    data = tuning.run(quick=True, seed=seed)
    preferred = (np.arange(100) + 0.5) * np.pi / 100
    counts = np.array([call["counts"] for call in stubbed.counts[:64]]).reshape(4, 16, 50, 100)
    with np.errstate(invalid="ignore", divide="ignore"):  # the silent neurons' Fano factors are NaN
        fano = counts.var(axis=2) / counts.mean(axis=2)
    np.testing.assert_allclose(data["tuning_mean"], counts.mean(axis=2) / 0.5, rtol=1e-12)  # Hz in the 0.5 s window
    np.testing.assert_allclose(data["tuning_sd"], counts.std(axis=2) / 0.5, rtol=1e-12)
    np.testing.assert_allclose(data["fano"], fano, rtol=1e-12)
    assert np.isnan(data["fano"].values[..., ::9]).all()
    assert data["tuning_mean"].dims == ("model", "stimulus", "neuron")
    np.testing.assert_allclose(data["preference_difference"], (np.arange(9) + 0.5) * np.pi / 18, rtol=1e-14)
    for m in range(4):
        np.testing.assert_allclose(data["noise_correlation"].values[m], _binned_correlation_by_hand(counts[m],
                                                                                                    preferred),
                                   rtol=1e-10, atol=1e-14)
    # the fits: one per model of its (stimulus, trial, neuron) counts, merged as fit_*
    assert len(stubbed.fits) == 4
    for m, (name, responses) in enumerate(zip(NAMES, stubbed.fits)):
        assert responses.dims == ("stimulus", "trial", "neuron")
        np.testing.assert_array_equal(responses.values, counts[m])
        np.testing.assert_allclose(responses["stimulus"], np.arange(16) * np.pi / 16, rtol=1e-15)
        np.testing.assert_array_equal(data["fit_kappa"].sel(model=name), counts[m].mean(axis=(0, 1)) + m + 1)


def test_run_stores_the_fisher_information_of_the_responsive_neurons(stubbed):
    seed = 2
    data = tuning.run(quick=True, seed=seed)
    delta = np.deg2rad(2.0)
    fisher_calls = stubbed.counts[64:70]
    responsive = np.arange(100) % 9 != 0  # the stub's every 9th neuron is silent: 88 left
    sizes = [5, 10, 20, 50, 100]
    for f in range(3):
        a, b = (fisher_calls[2 * f + i]["counts"][:, responsive] for i in (0, 1))
        curve = coding.fisher_information_by_population_size(a, b, delta, [5, 10, 20, 50], n_subsets=20, seed=seed)
        np.testing.assert_array_equal(data["fisher_information"].values[f], [*curve.values, np.nan])
        np.testing.assert_array_equal(data["fisher_information_sd"].values[f], [*curve["sd"].values, np.nan])
    np.testing.assert_array_equal(data["population_size"], sizes)
    np.testing.assert_array_equal(data["fisher_responsive_neurons"], [88, 88, 88])
    assert np.all(data["fisher_information"].values[:, :4] > 0)  # the stub's tuned counts: every threshold finite
    np.testing.assert_allclose(data["discrimination_threshold"],
                               np.rad2deg(1 / np.sqrt(data["fisher_information"].values)), rtol=1e-12)
    for k in range(5):
        a, b = (stubbed.counts[70 + 2 * k + i]["counts"][:, responsive] for i in (0, 1))
        information = float(coding.linear_fisher_information(a, b, delta))
        assert data["fisher_information_noise"].values[k] == information


def test_run_leaves_the_callers_warning_filters_as_they_were(stubbed):
    # the run silences numpy's "Mean of empty slice" for its correlations only
    before = list(warnings.filters)
    tuning.run(quick=True, seed=2)
    assert warnings.filters == before
