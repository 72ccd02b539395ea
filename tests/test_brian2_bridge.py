"""nsnn_sim against Brian2: spike-for-spike identity with shared noise, and a few statistical checks.

Brian2 compiles Cython code on first use (about 15 s, cached afterwards): the tests are few and small.
"""

import numpy as np
import pytest
from registered_family_checks import brian2_expression_errors, shared_noise_identity  # tests/

import nsnn_sim as ns
from nsnn_sim import noise
from nsnn_sim.brian2_bridge import run_brian2
from nsnn_sim.crossval import compare

WEIGHTS = np.where(np.random.default_rng(1).random((12, 12)) < 0.3,
                   np.random.default_rng(2).normal(0.15, 0.3, (12, 12)), 0.0)
np.fill_diagonal(WEIGHTS, 0.0)
DELAYS = np.random.default_rng(3).integers(1, 5, (12, 12))
SINE = 0.5 + 0.3 * np.sin(np.arange(400) / 9.0)[:, None] * np.ones((1, 12))


def _assert_identical(model, inputs, n_steps, connections=None, target="cython"):
    ours = ns.simulate(model, inputs, 12, n_steps, n_trials=2, seed=11, connections=connections, record_state=[0, 5])
    theirs = run_brian2(model, inputs, 12, n_steps, n_trials=2, seed=11, connections=connections, shared_noise=True,
                        record_state=[0, 5], target=target)
    assert len(ours.spikes) > 50
    if ours.spikes != theirs.spikes:  # print the membrane values at the first mismatch
        a = set(zip(ours.spikes.trial, ours.spikes.neuron, ours.spikes.step))
        b = set(zip(theirs.spikes.trial, theirs.spikes.neuron, theirs.spikes.step))
        raise AssertionError(f"spikes differ: only nsnn_sim {sorted(a - b)[:5]}, only Brian2 {sorted(b - a)[:5]}")
    # same spikes; membranes equal to rounding (Brian2's Euler step orders the operations differently)
    np.testing.assert_allclose(ours.state, theirs.state, rtol=0, atol=1e-12)
    return len(ours.spikes)


@pytest.mark.parametrize("model, inputs, n_steps", [
    (ns.LIF(sigma=0.4, tau_ref=1e-3), 0.85, 3000),
    (ns.LIF(sigma=0.4, tau_ref=1e-3, threshold_crossing="bridge", reset="subtract"), 0.85, 3000),
    (ns.NSNN(noise="logistic", noise_scale=0.3, firing="escape"), SINE, 400),
    (ns.NSNN(noise="triangular", noise_scale=0.6, firing="reference", reset="subtract"), SINE, 400),
])
@pytest.mark.parametrize("recurrent", [False, True])
def test_shared_noise_runs_are_identical_spike_for_spike(model, inputs, n_steps, recurrent):
    connections = ns.connect(WEIGHTS, DELAYS) if recurrent else None
    _assert_identical(model, inputs, n_steps, connections)


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_hazard_firing_is_identical_spike_for_spike(method):
    # the numpy target: no Cython compile for this one small run
    model = ns.LIF(firing="hazard", rho_0=150.0, delta_u=0.15, tau_ref=1e-3, u_reset=0.2, method=method)
    _assert_identical(model, 0.85, 3000, target="numpy")


def test_substep_reset_is_refused_by_the_bridge():
    with pytest.raises(ValueError, match="substep"):
        run_brian2(ns.LIF(method="exact", threshold_crossing="substep"), 0.9, 2, 10)


def test_cpp_standalone_is_identical_too():
    _assert_identical(ns.LIF(sigma=0.4, tau_ref=1e-3), 0.85, 2000, ns.connect(WEIGHTS, DELAYS), target="cpp_standalone")


@pytest.mark.parametrize("model, inputs, n_neurons, n_steps, renewal, time_varying", [
    (ns.LIF(sigma=0.5, tau_ref=1e-3), 0.9, 300, 10_000, True, False),
    (ns.NSNN(noise="logistic", noise_scale=0.2, firing="escape"), 0.4, 400, 1000, True, False),
    (ns.NSNN(noise="uniform", noise_scale=0.4, firing="reference", reset="subtract"),
     0.4 + 0.15 * np.sin(np.arange(1000) / 40.0)[:, None] * np.ones((1, 400)), 400, 1000, False, True),
])
def test_independent_runs_agree_statistically(model, inputs, n_neurons, n_steps, renewal, time_varying):
    ours = ns.simulate(model, inputs, n_neurons, n_steps, seed=1).spikes
    theirs = run_brian2(model, inputs, n_neurons, n_steps, seed=2).spikes
    result = compare(ours, theirs, warmup=0.05 * (model.dt / 1e-4 if model.dt < 1e-3 else 1), renewal=renewal,
                     time_varying=time_varying)
    # 3 conditions x up to 5 tests: Bonferroni at family alpha 0.05 -> 0.05 / 15 per test
    assert result.smallest_p() > 0.05 / 15, result.p_values
    # the test has power: the rates are known to better than 1.5 % (SE over units)
    assert result.se_a["rate"] / result.values_a["rate"] < 0.015


def test_statistical_comparison_detects_a_five_percent_change_in_drive():
    model = ns.LIF(sigma=0.5, tau_ref=1e-3)
    ours = ns.simulate(model, 0.9, 300, 10_000, seed=1).spikes
    shifted = run_brian2(model, 0.9 * 1.05, 300, 10_000, seed=2).spikes
    # a 5 % drive change moves the rate by about 3.5 %, 6 SE: detected at the Bonferroni level above
    assert compare(ours, shifted, warmup=0.05).p_values["rate"] < 0.05 / 15


NOISY = [record.name for record in noise.specs() if not record.deterministic]


@pytest.mark.parametrize("name", NOISY)
def test_every_registered_family_has_brian2_expressions_equal_to_scipy(name):
    errors = brian2_expression_errors(name)
    assert all(error < 1e-12 for error in errors.values()), errors


@pytest.mark.parametrize("name", NOISY)
@pytest.mark.parametrize("firing", ["escape", "reference"])
def test_every_registered_family_is_identical_in_brian2_with_shared_noise(name, firing):
    n_spikes, identical = shared_noise_identity(name, firing)
    assert n_spikes > 50 and identical, (name, firing, n_spikes)


def test_bridge_rejects_what_brian2_cannot_express():
    with pytest.raises(ValueError, match="one Poisson rate"):
        run_brian2(ns.NSNN(), [0.1, ns.poisson_input(np.linspace(1, 5, 4), 0.1, 3)], 4, 10)
    with pytest.raises(ValueError, match="target='gpu' is not allowed"):
        run_brian2(ns.NSNN(), 0.1, 4, 10, target="gpu")
    with pytest.raises(TypeError, match="model must be an nsnn_sim LIF or NSNN"):
        run_brian2("LIF", 0.1, 4, 10)


def test_brian2_own_noise_of_the_euler_lif_has_the_documented_amplitude_exactly():
    """Brian2's own noise (no shared noise), numpy target: ``brian2.seed(seed)`` seeds numpy's
    ``RandomState``, from which the Euler-Maruyama step draws ``randn(N)`` once per step. With the
    threshold out of reach, ``(v[t] - v[t-1] - dt*(u_rest + I - v[t-1])/tau) / (sigma*sqrt(2*dt/tau))``
    must reproduce that sequence to rounding: an exact check of the drift and of the amplitude
    ``sigma*sqrt(2/tau)`` (a 2 % amplitude error is a 2e-2 relative error here), with per-neuron
    tau, sigma, u_rest != 0 and an initial_state."""
    n_neurons, n_steps, dt, seed = 20, 200, 1e-4, 7
    tau, sigma = np.linspace(5e-3, 15e-3, n_neurons), np.linspace(0.1, 0.4, n_neurons)
    u_rest, drive, initial = 0.2, 0.5, np.linspace(-0.5, 0.5, n_neurons)
    model = ns.LIF(sigma=sigma, dt=dt, tau=tau, threshold=100.0, u_rest=u_rest)
    result = run_brian2(model, drive, n_neurons, n_steps, seed=seed, target="numpy",
                        record_state=np.arange(n_neurons), initial_state=initial)
    v = np.asarray(result.state)[0]
    before = np.vstack([initial[None, :], v[:-1]])
    increments = (v - before - dt * (u_rest + drive - before) / tau) / (sigma * np.sqrt(2 * dt / tau))
    expected = np.random.RandomState(seed).randn(n_steps, n_neurons)
    np.testing.assert_allclose(increments, expected, rtol=1e-9, atol=1e-9)


def test_brian2_run_without_record_state_records_no_state():
    """record_state=None records no membrane (no StateMonitor), as in nsnn_sim.simulate."""
    result = run_brian2(ns.LIF(sigma=0.3), 0.9, 3, 20, n_trials=2, seed=1, target="numpy")
    assert result.state is None
    recorded = run_brian2(ns.LIF(sigma=0.3), 0.9, 3, 20, n_trials=2, seed=1, record_state=[1], target="numpy")
    assert recorded.state.shape == (2, 20, 1)
