"""The Brunel-states experiment's computations with the simulator stubbed: the networks, seeds, lengths and
initial states it passes to :func:`simulate` (the four states of Brunel's Fig. 8 and the AI state's feed-forward
control), and every number it stores recomputed here from the stub's spike trains (rates and their SE over rate
windows, ISI CVs, the shared spectral density and the synchrony index, the mean-field theory, the rasters' padding),
so no kernel is compiled. The end-to-end runs are the simulation tests of tests/test_brunel_states.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim import theory
from nsnn_sim.analysis import stats
from nsnn_sim.analysis.spectral import power_spectrum
from nsnn_sim.experiments import brunel_states
from nsnn_sim.simulator.brunel import brunel_model_a

N_E, EPSILON, DURATION, SEED = 40, 0.5, 0.8, 11
N = N_E + N_E // 4
DT = 1e-4
# Fig. 8's panels: (label, g, eta)
FIG8 = {"A": ("SR", 3.0, 2.0), "B": ("SI fast", 6.0, 4.0), "C": ("AI", 5.0, 2.0), "D": ("SI slow", 4.5, 0.9)}


def _fake_spikes(n_neurons: int, n_steps: int, seed: int) -> ns.SpikeTrains:
    """Deterministic spikes: each neuron at its own rate (5-60 Hz), independent Bernoulli steps."""
    generator = np.random.default_rng(seed)
    rates = generator.uniform(5.0, 60.0, n_neurons)
    fired = generator.random((n_steps, n_neurons)) < rates * DT
    step, neuron = np.nonzero(fired)
    return ns.SpikeTrains(np.zeros(step.size, dtype=np.int64), neuron, step, dt=DT, n_trials=1,
                          n_neurons=n_neurons, n_steps=n_steps)


class _Result:
    def __init__(self, spikes):
        self.spikes = spikes


@pytest.fixture
def stubbed(monkeypatch):
    calls = {"networks": [], "simulate": []}

    def recording_model_a(*args, **kwargs):
        calls["networks"].append((args, kwargs))
        return brunel_model_a(*args, **kwargs)

    def fake_simulate(model, inputs, n_neurons, n_steps, seed, connections=None, initial_state=None,
                      n_threads=None):
        calls["simulate"].append(dict(inputs=inputs, n_neurons=n_neurons, n_steps=n_steps, seed=seed,
                                      connections=connections, initial_state=initial_state, n_threads=n_threads))
        return _Result(_fake_spikes(n_neurons, n_steps, seed))

    monkeypatch.setattr(brunel_states, "brunel_model_a", recording_model_a)
    monkeypatch.setattr(brunel_states, "simulate", fake_simulate)
    return calls


@pytest.fixture
def data(stubbed):
    return brunel_states.run(n_excitatory=N_E, epsilon=EPSILON, duration=DURATION, seed=SEED, n_threads=1)


def _in_degrees_by_hand(connections) -> tuple[int, int]:
    weights = connections.weights.toarray()
    return int(np.count_nonzero(weights[0] > 0)), int(np.count_nonzero(weights[0] < 0))


def test_the_states_are_brunels_fig8_panels_with_model_a():
    assert brunel_states.STATES == FIG8
    assert (brunel_states.TAU, brunel_states.THRESHOLD, brunel_states.RESET, brunel_states.TAU_REF) == (
        20e-3, 20.0, 10.0, 2e-3)
    assert (brunel_states.J, brunel_states.DELAY, brunel_states.DT) == (0.1, 1.5e-3, DT)
    assert brunel_states.SYNCHRONY_THRESHOLD == 0.2 and brunel_states.THEORY_TOLERANCE == 0.05


def test_run_simulates_the_four_states_and_the_control_with_their_seeds_and_lengths(stubbed, data):
    # the four networks (seed + 10 i), then the control's 40-neuron network (its model only)
    networks = stubbed["networks"]
    assert len(networks) == 5
    for index, (name, (args, kwargs)) in enumerate(zip(FIG8, networks)):
        _, g, eta = FIG8[name]
        assert args == (N_E,)
        assert kwargs == dict(epsilon=EPSILON, j=0.1, g=g, eta=eta, delay=1.5e-3, dt=DT, seed=SEED + 10 * index)
    assert networks[4] == ((40,), dict(j=0.1, g=5.0, eta=2.0, delay=1.5e-3, dt=DT))
    calls = stubbed["simulate"]
    assert len(calls) == 5
    for index, (name, call) in enumerate(zip(FIG8, calls[:4])):
        state_seed = SEED + 10 * index
        duration = 0.6 if name == "A" else DURATION  # SR capped at REGULAR_DURATION
        assert call["n_neurons"] == N and call["n_steps"] == round(duration / DT) and call["seed"] == state_seed + 2
        assert call["n_threads"] == 1 and call["connections"] is not None
        # membranes uniform in [V_r, theta], drawn from seed + 1
        np.testing.assert_array_equal(call["initial_state"],
                                      np.random.default_rng(state_seed + 1).uniform(10.0, 20.0, N))
    control = calls[4]
    assert control["n_neurons"] == 2000 and control["n_steps"] == round(DURATION / DT)
    assert control["seed"] == SEED + 100 and control["connections"] is None
    np.testing.assert_array_equal(control["initial_state"],
                                  np.random.default_rng(SEED + 100).uniform(10.0, 20.0, 2000))
    np.testing.assert_array_equal(data["duration"], [0.6, DURATION, DURATION, DURATION])
    np.testing.assert_array_equal(data["g"], [3.0, 6.0, 5.0, 4.5])
    np.testing.assert_array_equal(data["eta"], [2.0, 4.0, 2.0, 0.9])
    assert list(data["label"].values) == ["SR", "SI fast", "AI", "SI slow"]


def test_the_control_drives_the_model_a_neuron_with_poisson_trains_at_the_mean_field_rate(stubbed, data):
    c_e, c_i = _in_degrees_by_hand(stubbed["simulate"][2]["connections"])
    assert (data.attrs["c_e"], data.attrs["c_i"]) == (c_e, c_i) == (round(EPSILON * N_E), round(EPSILON * N_E / 4))
    nu = float(data["theory_rate"].sel(state="C"))
    nu_ext = 2.0 * 20.0 / (0.1 * c_e * 20e-3)  # eta nu_thr, nu_thr = theta/(J C_E tau)
    excitatory, inhibitory = stubbed["simulate"][4]["inputs"]
    assert excitatory.rate == pytest.approx(nu_ext + nu, rel=1e-14) and excitatory.weight == 0.1
    assert excitatory.n_sources == c_e
    assert inhibitory.rate == pytest.approx(nu, rel=1e-14) and inhibitory.weight == pytest.approx(-0.5, rel=1e-14)
    assert inhibitory.n_sources == c_i
    spikes = _fake_spikes(2000, round(DURATION / DT), SEED + 100)
    stationary = stats.stationary_part(spikes, 0.2)
    rate, rate_se = stats.stationary_rate(spikes, 0.2)
    cv = stats.isi_cv(stationary).values.ravel()
    assert data.attrs["control_rate"] == pytest.approx(rate, rel=1e-12)
    assert data.attrs["control_rate_se"] == pytest.approx(rate_se, rel=1e-12)
    assert data.attrs["control_cv"] == pytest.approx(np.nanmean(cv), rel=1e-12)


def test_run_stores_the_rates_cvs_and_shared_spectra_of_the_spike_trains(stubbed, data):
    assert data.attrs["n_neurons"] == N
    for name, call in zip(FIG8, stubbed["simulate"][:4]):
        row = data.sel(state=name)
        spikes = _fake_spikes(N, call["n_steps"], call["seed"])
        stationary = stats.stationary_part(spikes, 0.2)
        # the population rate per neuron in 0.1 s windows after the warm-up: mean and SD/sqrt(windows)
        per_window = round(0.1 / DT)
        windows = stationary.step // per_window
        counts = np.bincount(windows, minlength=stationary.n_steps // per_window) / (N * 0.1)
        assert float(row.rate) == pytest.approx(counts.mean(), rel=1e-12)
        assert float(row.rate_se) == pytest.approx(counts.std(ddof=1) / math.sqrt(counts.size), rel=1e-12)
        cv = stats.isi_cv(stationary).values.ravel()
        cv = cv[np.isfinite(cv)]
        assert float(row.cv) == pytest.approx(cv.mean(), rel=1e-12)
        assert float(row.cv_se) == pytest.approx(cv.std(ddof=1) / math.sqrt(cv.size), rel=1e-12)
        # R(f) = S_pop(f) / (2 N nu); the index is its largest value at f >= 10 Hz, per neuron
        spectrum = power_spectrum(spikes, bin_width=5e-4, segment=0.2, t_start=0.2, pool="neurons")
        scale = 2 * N * counts.mean()
        np.testing.assert_allclose(row.shared, spectrum.power.values / scale, rtol=1e-12)
        np.testing.assert_allclose(row.shared_se, spectrum.power_se.values / scale, rtol=1e-12)
        frequency = spectrum.frequency.values
        shared = np.where(frequency >= 10.0, spectrum.power.values / scale, -np.inf)
        peak = int(np.argmax(shared))
        assert float(row.peak_frequency) == frequency[peak]
        assert float(row.synchrony) == pytest.approx(shared[peak] / N, rel=1e-12)
        assert float(row.synchrony_se) == pytest.approx(spectrum.power_se.values[peak] / scale / N, rel=1e-12)
    np.testing.assert_array_equal(data["frequency"], spectrum.frequency.values)


def test_run_stores_the_mean_field_rate_input_and_cv(stubbed, data):
    c_e, c_i = _in_degrees_by_hand(stubbed["simulate"][0]["connections"])
    for name, (_, g, eta) in FIG8.items():
        row = data.sel(state=name)
        rate = theory.brunel_rate(g, eta, j=0.1, c_e=c_e, c_i=c_i, tau=20e-3, threshold=20.0, u_reset=10.0,
                                  tau_ref=2e-3)
        mu, sigma_b = theory.brunel_input(rate, g, eta, j=0.1, c_e=c_e, c_i=c_i, tau=20e-3, threshold=20.0)
        assert float(row.theory_rate) == pytest.approx(rate, rel=1e-12)
        assert (float(row.theory_mu), float(row.theory_sigma_b)) == pytest.approx((mu, sigma_b), rel=1e-12)
        # isi_cv's sigma is sigma_B / sqrt 2
        cv = theory.isi_cv(mu, sigma_b / math.sqrt(2.0), tau=20e-3, threshold=20.0, u_reset=10.0, tau_ref=2e-3)
        assert float(row.theory_cv) == pytest.approx(cv, rel=1e-12)


def test_run_stores_the_last_shown_seconds_and_the_padded_rasters(stubbed, data):
    assert data.sizes["shown_time"] == round(0.2 / 5e-4)
    np.testing.assert_allclose(data["shown_time"], 5e-4 * np.arange(400), rtol=1e-15)
    lengths = []
    for index, (name, call) in enumerate(zip(FIG8, stubbed["simulate"][:4])):
        row = data.sel(state=name)
        spikes = _fake_spikes(N, call["n_steps"], call["seed"])
        first = call["n_steps"] - round(0.2 / DT)
        shown = spikes.step >= first
        trace = np.bincount((spikes.step[shown] - first) // 5, minlength=400) / (N * 5e-4)
        np.testing.assert_allclose(row.trace, trace, rtol=1e-12)
        generator = np.random.default_rng(SEED + 10 * index + 1)
        generator.uniform(10.0, 20.0, N)  # the initial state comes first from the same stream
        neurons = np.sort(generator.choice(N, 50, replace=False))
        chosen = shown & np.isin(spikes.neuron, neurons)
        n_shown = int(chosen.sum())
        lengths.append(n_shown)
        np.testing.assert_allclose(row.raster_time.values[:n_shown], spikes.step[chosen] * DT - (call["n_steps"] * DT
                                   - 0.2), atol=1e-12)
        np.testing.assert_array_equal(row.raster_row.values[:n_shown], np.searchsorted(neurons, spikes.neuron[chosen]))
        # padding: no time (NaN) and row -1
        assert np.isnan(row.raster_time.values[n_shown:]).all() and (row.raster_row.values[n_shown:] == -1).all()
    assert data.sizes["spike"] == max(lengths) and min(lengths) < max(lengths)


def test_run_stores_the_design_in_its_attributes(data):
    attrs = data.attrs
    assert (attrs["quick"], attrs["seed"], attrs["n_excitatory"], attrs["epsilon"]) == (0, SEED, N_E, EPSILON)
    assert (attrs["duration_s"], attrs["warmup_s"], attrs["dt_s"], attrs["delay_s"], attrs["j"]) == (
        DURATION, 0.2, DT, 1.5e-3, 0.1)
    assert (attrs["bin_s"], attrs["segment_s"], attrs["synchrony_threshold"], attrs["theory_tolerance"]) == (
        5e-4, 0.2, 0.2, 0.05)
