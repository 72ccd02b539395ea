"""The demo, LIF-convergence and neuron-state experiments' computations, with the simulation stubbed: the model
and run sizes each passes to the simulator, the statistics each computes from given spike trains (recomputed
here by hand) and the theory values it stores, so no kernel is compiled."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import theory
from nsnn_sim.experiments import demo, lif_convergence, neuron_state
from nsnn_sim.simulator.state import Adaptation, ExpSynapse
from nsnn_sim.spikes import SpikeTrains


def _trains(steps: list[np.ndarray], dt: float, n_steps: int) -> SpikeTrains:
    """One trial of ``len(steps)`` neurons, neuron ``i`` spiking at the sorted steps ``steps[i]``."""
    neuron = np.concatenate([np.full(len(s), i) for i, s in enumerate(steps)]).astype(np.int64)
    step = np.concatenate(steps).astype(np.int64)
    return SpikeTrains(np.zeros_like(step), neuron, step, dt=dt, n_trials=1, n_neurons=len(steps), n_steps=n_steps)


def _random_trains(n_neurons: int, n_steps: int, probability: float, seed: int) -> list[np.ndarray]:
    """Bernoulli spikes with ``probability`` per step, one sorted step array per neuron."""
    generator = np.random.default_rng(seed)
    return [np.flatnonzero(generator.random(n_steps) < probability) for _ in range(n_neurons)]


# ---------------------------------------------------------------------------------------------------- demo


def test_demo_simulates_the_documented_model_and_stores_its_siegert_rate(monkeypatch):
    calls = []

    def fake_simulate(model, mu, **kwargs):
        calls.append((model, mu, kwargs))
        return SimpleNamespace(to_xarray=lambda: xr.Dataset(attrs={"n_steps": kwargs["n_steps"]}))

    monkeypatch.setattr(demo, "simulate", fake_simulate)
    data = demo.run(quick=True, seed=5, n_neurons=7, duration=0.25, n_trials=3)
    (model, mu, kwargs), = calls
    # the docstring's model: tau 10 ms, sigma 0.5, bridge crossing, Euler, dt = 0.1 ms, at mu = 0.9
    expected = ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, threshold_crossing="bridge", method="euler")
    assert repr(model) == repr(expected) and mu == 0.9
    # 0.25 s of 0.1 ms steps; the membrane of neurons 0-2
    assert kwargs == {"n_neurons": 7, "n_steps": 2500, "n_trials": 3, "seed": 5, "record_state": [0, 1, 2]}
    assert data.attrs["siegert_rate_hz"] == theory.siegert_rate(0.9, 0.5, 10e-3)
    assert data.attrs["mu"] == 0.9 and data.attrs["quick"] == 1 and data.attrs["n_steps"] == 2500


# ---------------------------------------------------------------------------------------------------- lif_convergence


@pytest.mark.parametrize("neuron_seconds, n_neurons", [(20, 20), (1.5, 2)])
def test_lif_convergence_measure_recomputes_the_rate_and_cv_of_the_simulated_spikes(monkeypatch, neuron_seconds,
                                                                                    n_neurons):
    dt, calls = 1e-3, []

    def fake_simulate(model, mu, n_neurons, n_steps, seed):
        calls.append((model, mu, n_neurons, n_steps, seed))
        return SimpleNamespace(spikes=_trains(_random_trains(n_neurons, n_steps, 0.05, seed), dt, n_steps))

    monkeypatch.setattr(lif_convergence.ns, "simulate", fake_simulate)
    rate, rate_se, cv, cv_se, _ = lif_convergence.measure(0.9, 0.5, 2e-3, dt, "bridge", neuron_seconds, 11)
    (model, mu, simulated_neurons, n_steps, seed), = calls
    expected = ns.LIF(tau=10e-3, sigma=0.5, tau_ref=2e-3, dt=dt, threshold_crossing="bridge", method="euler")
    assert repr(model) == repr(expected) and (mu, seed) == (0.9, 11)
    # one neuron per neuron-second (at least 2), each 1 s after the 0.1 s warm-up: 1100 steps of 1 ms
    assert (simulated_neurons, n_steps) == (n_neurons, 1100)
    steps = [s[s >= 100] for s in _random_trains(n_neurons, n_steps, 0.05, seed)]  # after the 100-step warm-up
    per_neuron = np.array([len(s) for s in steps]) / 1.0  # counted over 1000 steps of 1 ms
    np.testing.assert_allclose([rate, rate_se], [per_neuron.mean(), per_neuron.std(ddof=1) / np.sqrt(n_neurons)],
                               rtol=1e-12)
    intervals = [np.diff(s).astype(float) for s in steps]
    pooled = np.concatenate(intervals)
    np.testing.assert_allclose(cv, pooled.std() / pooled.mean(), rtol=1e-12)
    # the CV's SE: the CVs of the 10 sets of neurons i = g (mod 10), SD over sqrt(10); NaN for an empty set
    groups = [np.concatenate([intervals[i] for i in range(g, n_neurons, 10)] or [np.array([])]) for g in range(10)]
    by_group = [group.std() / group.mean() if group.size > 1 else np.nan for group in groups]
    np.testing.assert_allclose(cv_se, np.std(by_group, ddof=1) / np.sqrt(10), rtol=1e-12)


def _fake_measure(calls):
    """A stand-in for :func:`lif_convergence.measure`: the grid rate below Siegert by 2 (p + 1) sqrt(dt / 0.1 ms)
    %, the bridge rate above it by 0.1 (d + 1) %, the CV 1 % (crossing index) above Brunel's."""

    def measure(mu, sigma, tau_ref, dt, crossing, neuron_seconds, seed):
        calls.append((mu, sigma, tau_ref, dt, crossing, neuron_seconds, seed))
        p = [point[:2] for point in lif_convergence.POINTS].index((mu, sigma))
        d, c = lif_convergence.DTS.index(dt), lif_convergence.CROSSINGS.index(crossing)
        siegert = theory.siegert_rate(mu, sigma, lif_convergence.TAU, tau_ref=tau_ref)
        error = -0.02 * (p + 1) * np.sqrt(dt / 1e-4) if crossing == "grid" else 1e-3 * (d + 1)
        cv = theory.isi_cv(mu, sigma, lif_convergence.TAU, tau_ref=tau_ref) * (1 + 0.01 * c)
        return siegert * (1 + error), 0.1 * (p + 1), cv, 0.01 * (d + 1), 2.0

    return measure


@pytest.mark.parametrize("quick, neuron_seconds", [(True, 300), (False, 2000)])
def test_lif_convergence_run_stores_the_design_the_theory_and_logs_the_grid_slope(monkeypatch, caplog, quick,
                                                                                 neuron_seconds):
    calls = []
    monkeypatch.setattr(lif_convergence, "measure", _fake_measure(calls))
    with caplog.at_level(logging.INFO, logger=lif_convergence._log.name):
        data = lif_convergence.run(quick=quick, seed=4)
    points, dts, crossings = lif_convergence.POINTS, lif_convergence.DTS, lif_convergence.CROSSINGS
    assert calls == [(mu, s, r, dt, c, neuron_seconds, 4) for mu, s, r in points for dt in dts for c in crossings]
    # the documented design: three (mu, sigma, tau_ref) points, dt 0.1, 0.03, 0.01 ms, grid and bridge, tau 10 ms
    assert points == [(0.6, 0.3, 0.0), (0.9, 0.5, 0.0), (1.2, 0.2, 2.1e-3)] and dts == [1e-4, 3e-5, 1e-5]
    assert list(data["crossing"].values) == ["grid", "bridge"] and list(data["dt"].values) == dts
    assert data.attrs["tau"] == 10e-3 and data.attrs["neuron_seconds"] == neuron_seconds
    assert data.attrs["quick"] == int(quick) and data.attrs["seed"] == 4
    for name, column in (("mu", 0), ("sigma", 1), ("tau_ref", 2)):
        assert data[name].values.tolist() == [point[column] for point in points]
    assert data["rate"].dims == ("condition", "dt", "crossing")
    np.testing.assert_array_equal(data["cv_se"].values, np.broadcast_to([[0.01], [0.02], [0.03]], (3, 3, 2)))
    for p, (mu, s, r) in enumerate(points):
        siegert = theory.siegert_rate(mu, s, 10e-3, tau_ref=r)
        assert data["siegert_rate"].values[p] == siegert
        assert data["brunel_cv"].values[p] == theory.isi_cv(mu, s, 10e-3, tau_ref=r)
        for d, dt in enumerate(dts):  # Siegert with the threshold raised by the grid shift
            shifted = theory.siegert_rate(mu, s, 10e-3, threshold=1 + theory.grid_threshold_shift(s, dt, 10e-3),
                                          tau_ref=r)
            assert data["predicted_grid_rate"].values[p, d] == shifted
        # the log: the grid error in %, its log-log slope against dt (1/2 by construction) and the bridge error
        grid = 100 * (data["rate"].values[p, :, 0] / siegert - 1)
        np.testing.assert_allclose(grid, -2 * (p + 1) * np.sqrt(np.array(dts) / 1e-4), rtol=1e-9)
        line = next(record.getMessage() for record in caplog.records
                    if record.getMessage().startswith(data["condition"].values[p] + ":"))
        assert f"grid error {np.round(grid, 2)} % (log-log slope 0.50)" in line
        assert f"bridge error {np.round([0.1, 0.2, 0.3], 2)} %" in line


# ---------------------------------------------------------------------------------------------------- neuron_state


def test_neuron_state_models_are_the_documented_lif_with_white_or_filtered_noise_or_adaptation():
    common = dict(tau=20e-3, tau_ref=2e-3, dt=1e-4, method="exact")  # tau 20 ms, dead time 2 ms, exact
    white = ns.LIF(sigma=0.4, threshold_crossing="substep", **common)
    assert repr(neuron_state._model()) == repr(white)
    assert repr(neuron_state._model(tau_syn=0.0, b=0.0)) == repr(white)
    filtered = ns.LIF(noise="none", synapses={"syn": ExpSynapse(5e-3, 0.4)}, **common)
    assert repr(neuron_state._model(tau_syn=5e-3)) == repr(filtered)
    for b in (0.01, 0.02, 0.1):  # tau_w 100 ms
        adapted = ns.LIF(sigma=0.4, adaptation=Adaptation(0.1, 0.0, b), **common)
        assert repr(neuron_state._model(b=b)) == repr(adapted)


@pytest.mark.parametrize("probability, n_windows", [(0.001, 2), (0.0055, 5)])
def test_neuron_state_statistics_recompute_the_rate_and_the_fano_factor_of_long_windows(probability, n_windows):
    # 20 neurons, 11 s of 0.1 ms steps: 10 s after the 1 s warm-up at about 10 or 55 Hz, so 1 or 5
    # windows of 100 mean intervals (the first raised to the minimum of 2)
    dt, n_steps, n_neurons = 1e-4, 110_000, 20
    raw = _random_trains(n_neurons, n_steps, probability, 3)
    statistics = neuron_state._statistics(_trains(raw, dt, n_steps))
    steps = [s[s >= 10_000] - 10_000 for s in raw]
    per_neuron = np.array([len(s) for s in steps]) / 10.0
    rate = per_neuron.mean()
    np.testing.assert_allclose([statistics["rate"], statistics["rate_se"]],
                               [rate, per_neuron.std(ddof=1) / np.sqrt(n_neurons)], rtol=1e-12)
    assert max(2, int(10.0 * rate / 100)) == n_windows
    width = 100_000 // n_windows
    assert statistics["fano_window"] == width * dt
    counts = np.array([np.bincount(s // width, minlength=n_windows + 1)[:n_windows] for s in steps])
    fano = counts.var(axis=1, ddof=1) / counts.mean(axis=1)
    np.testing.assert_allclose([statistics["fano"], statistics["fano_se"]],
                               [fano.mean(), fano.std(ddof=1) / np.sqrt(n_neurons)], rtol=1e-12)
    assert statistics["rho"].shape == statistics["rho_se"].shape == (15,)  # lags 1-15


def test_neuron_state_run_simulates_each_condition_with_its_seed_and_stores_its_theory_rate(monkeypatch):
    calls = []

    def fake_simulate(model, mu, n_neurons, n_steps, seed):
        calls.append((repr(model), mu, n_neurons, n_steps, seed))
        return SimpleNamespace(spikes=seed)

    def fake_statistics(seed):  # the simulation's seed stands in for its spikes
        return {"rate": 10.0 + seed, "rho": np.full(15, 0.01 * seed), "rho_se": np.zeros(15)} | dict.fromkeys(
            ("rate_se", "cv", "cv_se", "fano", "fano_se", "fano_limit", "fano_limit_se", "fano_window"), 0.5)

    monkeypatch.setattr(neuron_state, "simulate", fake_simulate)
    monkeypatch.setattr(neuron_state, "_statistics", fake_statistics)
    data = neuron_state.run(quick=True, seed=30, n_neurons=9, duration=2.5, tau_syn=(0.0, 5e-3),
                            adaptation_b=(0.0, 0.05))
    models = [neuron_state._model(), neuron_state._model(tau_syn=5e-3), neuron_state._model(),
              neuron_state._model(b=0.05)]
    # one seed per condition; 2.5 s of 0.1 ms steps at mu = 0.9
    assert calls == [(repr(model), 0.9, 9, 25_000, 30 + index) for index, model in enumerate(models)]
    assert data["sweep"].values.tolist() == ["tau_syn", "tau_syn", "adaptation_b", "adaptation_b"]
    assert data["value"].values.tolist() == [0.0, 5e-3, 0.0, 0.05]
    np.testing.assert_array_equal(data["rate"].values, [40.0, 41.0, 42.0, 43.0])
    assert data["lag"].values.tolist() == list(range(1, 16))
    np.testing.assert_array_equal(data["rho"].values[:, 0], [0.3, 0.31, 0.32, 0.33])
    expected = [theory.fourcaud_brunel_rate(0.9, 0.4, tau_syn, tau=20e-3, tau_ref=2e-3) for tau_syn in (0.0, 5e-3)]
    expected += [theory.adapted_rate(0.9, 0.4, b=b, tau_w=0.1, tau=20e-3, tau_ref=2e-3) for b in (0.0, 0.05)]
    np.testing.assert_array_equal(data["theory_rate"].values, expected)
    assert data.attrs["n_neurons"] == 9 and data.attrs["duration_s"] == 2.5 and data.attrs["seed"] == 30
