"""nsnn_sim against Brian2: spike-for-spike identity with shared noise, and a few statistical checks.

Brian2 compiles Cython code on first use (about 15 s, cached afterwards): the tests are few and small.
"""

import numpy as np
import pytest
from registered_family_checks import brian2_expression_errors  # tests/

import nsnn_sim as ns
from nsnn_sim.analysis.compare import compare
from nsnn_sim.interop.brian2 import run_brian2
from nsnn_sim.simulator import noise

WEIGHTS = np.where(np.random.default_rng(1).random((12, 12)) < 0.3,
                   np.random.default_rng(2).normal(0.15, 0.3, (12, 12)), 0.0)
np.fill_diagonal(WEIGHTS, 0.0)
DELAYS = np.random.default_rng(3).integers(1, 5, (12, 12))
SINE = 0.5 + 0.3 * np.sin(np.arange(400) / 9.0)[:, None] * np.ones((1, 12))


def _assert_identical(model, inputs, n_steps, connections=None, target="cython"):
    ours = ns.simulate(model, inputs, n_neurons=12, n_steps=n_steps, n_trials=2, seed=11, connections=connections,
                       record_state=[0, 5])
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
    (ns.LIF(sigma=0.4, tau_ref=1e-3, method="euler"), 0.85, 3000),
    (ns.LIF(sigma=0.4, tau_ref=1e-3, threshold_crossing="bridge", reset="subtract", method="euler"), 0.85, 3000),
    (ns.NSNN(noise="logistic", noise_scale=0.3, firing="escape"), SINE, 400),
    (ns.NSNN(noise="triangular", noise_scale=0.6, firing="reference", reset="subtract"), SINE, 400),
])
@pytest.mark.parametrize("recurrent", [False, True])
def test_shared_noise_runs_are_identical_spike_for_spike(model, inputs, n_steps, recurrent):
    # Brian2's numpy target, but the recurrent Euler LIF on its default Cython target: each Cython case costs
    # 25-90 s of code generation in a fresh environment (the two targets run the same generated equations)
    connections = ns.connect(WEIGHTS, DELAYS * model.dt) if recurrent else None
    cython = recurrent and isinstance(model, ns.LIF) and model.threshold_crossing == "grid"
    _assert_identical(model, inputs, n_steps, connections, target="cython" if cython else "numpy")


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_hazard_firing_is_identical_spike_for_spike(method):
    # the numpy target: no Cython compile for this one small run
    model = ns.LIF(firing="hazard", rho_0=150.0, delta_u=0.15, tau_ref=1e-3, u_reset=0.2, method=method)
    _assert_identical(model, 0.85, 3000, target="numpy")


@pytest.mark.parametrize("model", [ns.LIF(sigma=0.4, tau_ref=1e-3, method="euler"),
                                   ns.NSNN(noise="logistic", noise_scale=0.3, firing="escape")])
def test_a_single_neuron_is_identical_in_brian2(model):
    """One neuron (every per-neuron array of length 1, e.g. the dead time's steps), two trials: the same spikes."""
    ours = ns.simulate(model, 0.95, n_neurons=1, n_steps=5000, n_trials=2, seed=3)
    theirs = run_brian2(model, 0.95, 1, 5000, n_trials=2, seed=3, shared_noise=True, target="numpy")
    assert len(ours.spikes) > 20 and ours.spikes == theirs.spikes


def test_substep_reset_is_refused_by_the_bridge():
    with pytest.raises(ValueError, match="substep"):
        run_brian2(ns.LIF(method="exact", threshold_crossing="substep"), 0.9, 2, 10)


def test_cpp_standalone_is_identical_too():
    model = ns.LIF(sigma=0.4, tau_ref=1e-3, method="euler")
    _assert_identical(model, 0.85, 2000, ns.connect(WEIGHTS, DELAYS * model.dt), target="cpp_standalone")


@pytest.mark.parametrize("model, inputs, n_neurons, n_steps, renewal, time_varying", [
    (ns.LIF(sigma=0.5, tau_ref=1e-3, method="euler"), 0.9, 300, 10_000, True, False),
    (ns.NSNN(noise="logistic", noise_scale=0.2, firing="escape"), 0.4, 400, 1000, True, False),
    (ns.NSNN(noise="uniform", noise_scale=0.4, firing="reference", reset="subtract"),
     0.4 + 0.15 * np.sin(np.arange(1000) / 40.0)[:, None] * np.ones((1, 400)), 400, 1000, False, True),
])
def test_independent_runs_agree_statistically(model, inputs, n_neurons, n_steps, renewal, time_varying):
    ours = ns.simulate(model, inputs, n_neurons=n_neurons, n_steps=n_steps, seed=1).spikes
    # Brian2's numpy target (no Cython code generation); the crossval_brian2 experiment runs the Cython target
    theirs = run_brian2(model, inputs, n_neurons, n_steps, seed=2, target="numpy").spikes
    result = compare(ours, theirs, warmup=0.05 * (model.dt / 1e-4 if model.dt < 1e-3 else 1), renewal=renewal,
                     time_varying=time_varying)
    # 3 conditions x up to 5 tests: Bonferroni at family alpha 0.05 -> 0.05 / 15 per test, |z| > 2.94.
    # Power: the rate difference's SE is ~0.6 % for the LIF (a 5 % drive change is 6 SE, next test), so
    # a rate difference above ~1.7 % fails, and one of (2.94 + 1.28) SE = 2.5 % nine times in ten; a 2 % error
    # in Brian2's noise amplitude moves the LIF rate by only 1.3 % (Siegert at mu = 0.9, sigma = 0.5 vs 0.51):
    # that is caught exactly instead, by
    # test_brian2_own_noise_of_the_euler_lif_has_the_documented_amplitude_exactly and, for every
    # family's ppf, test_brian2_own_membrane_noise_is_the_family_ppf_of_its_uniforms_exactly
    assert result.smallest_p() > 0.05 / 15, result.p_values
    # the test has power: the rates are known to better than 1.5 % (SE over units)
    assert result.se_a["rate"] / result.values_a["rate"] < 0.015


def test_statistical_comparison_detects_a_five_percent_change_in_drive():
    model = ns.LIF(sigma=0.5, tau_ref=1e-3, method="euler")
    ours = ns.simulate(model, 0.9, n_neurons=300, n_steps=10_000, seed=1).spikes
    shifted = run_brian2(model, 0.9 * 1.05, 300, 10_000, seed=2, target="numpy").spikes
    # a 5 % drive change moves the rate by about 3.5 %, 6 SE: detected at the Bonferroni level above
    assert compare(ours, shifted, warmup=0.05).p_values["rate"] < 0.05 / 15


NOISY = [record.name for record in noise.specs() if not record.deterministic]


@pytest.mark.parametrize("name", NOISY)
def test_every_registered_family_has_brian2_expressions_equal_to_scipy(name):
    errors = brian2_expression_errors(name)
    assert all(error < 1e-12 for error in errors.values()), errors


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
    model = ns.LIF(sigma=sigma, dt=dt, tau=tau, threshold=100.0, u_rest=u_rest, method="euler")
    result = run_brian2(model, drive, n_neurons, n_steps, seed=seed, target="numpy",
                        record_state=np.arange(n_neurons), initial_state=initial)
    v = np.asarray(result.state)[0].T  # (time, neuron)
    before = np.vstack([initial[None, :], v[:-1]])
    increments = (v - before - dt * (u_rest + drive - before) / tau) / (sigma * np.sqrt(2 * dt / tau))
    expected = np.random.RandomState(seed).randn(n_steps, n_neurons)
    np.testing.assert_allclose(increments, expected, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ heterogeneous populations, numpy target
N_SMALL = 12  # neurons; 2 trials of 300 steps: a fraction of a second per run on Brian2's numpy target


def _spread(low, high):
    return np.linspace(low, high, N_SMALL)


_LIF_SPREAD = dict(tau=_spread(5e-3, 15e-3), sigma=_spread(0.2, 0.45), u_rest=_spread(-0.3, 0.2),
                   u_reset=_spread(-0.5, 0.3), threshold=_spread(0.9, 1.2), tau_ref=np.rint(_spread(0, 8)) * 1e-3,
                   dt=1e-3)
_HAZARD_SPREAD = dict(rho_0=_spread(150.0, 400.0), delta_u=_spread(0.1, 0.25))
_PER_TRIAL = np.array([_spread(-0.4, 0.8), _spread(0.6, -0.2)])  # initial_state per (trial, neuron)


@pytest.mark.parametrize("model, initial_state, boost", [
    (ns.LIF(reset="subtract", method="euler", **_LIF_SPREAD), _spread(-0.4, 0.8), 0.0),
    (ns.LIF(threshold_crossing="bridge", method="euler", **_LIF_SPREAD), _PER_TRIAL, 0.0),
    (ns.LIF(method="exact", threshold_crossing="grid", reset="subtract", **_LIF_SPREAD), 0.3, 0.0),
    (ns.LIF(firing="escape", noise="logistic", reset="subtract", method="euler", **_LIF_SPREAD), _PER_TRIAL, 0.0),
    (ns.LIF(firing="hazard", method="exact", reset="subtract", **_HAZARD_SPREAD, **_LIF_SPREAD), _PER_TRIAL, 0.0),
    (ns.LIF(firing="hazard", method="euler", **_HAZARD_SPREAD, **_LIF_SPREAD), None, 0.0),
    (ns.LIF(noise="none", reset="subtract", method="euler", **_LIF_SPREAD), _PER_TRIAL,
     0.5),  # no noise: more drive to fire
], ids=["euler-subtract", "euler-bridge", "exact", "euler-escape", "exact-hazard", "euler-hazard", "none"])
def test_heterogeneous_lif_is_identical_in_brian2_with_shared_noise(model, initial_state, boost):
    """Every per-neuron LIF parameter distinct (tau, sigma, u_rest, u_reset != 0, threshold, tau_ref
    from 0 to 8 steps: Brian2's per-neuron ``(ref_steps + 1)*dt``; rho_0, delta_u), each LIF spike
    rule, both integration schemes (Brian2's Euler equation and the exact map) and ``initial_state``:
    the same spikes and membranes as nsnn_sim, spike for spike (Brian2's numpy target)."""
    drive = _spread(0.7, 1.1) + boost + 0.3 * np.sin(np.arange(300) / 7.0)[:, None]
    _assert_identical_small(model, drive, initial_state)


@pytest.mark.parametrize("name", NOISY)
@pytest.mark.parametrize("firing", ["membrane", "escape", "reference"])
def test_heterogeneous_nsnn_of_every_family_is_identical_in_brian2_with_shared_noise(name, firing):
    """Per-neuron beta, threshold and noise scale, the subtractive reset and a per-trial
    ``initial_state``, for every registered family and NSNN spike rule: Brian2 fed nsnn_sim's draws
    (the family's Brian2 cdf expression decides escape and reference spikes) gives the same spikes
    and membranes."""
    scale = noise.spec(name).scale_for_sd(0.4) * _spread(0.6, 1.4)
    model = ns.NSNN(beta=_spread(0.0, 0.9), threshold=_spread(0.8, 1.3), noise=name, noise_scale=scale,
                    firing=firing, reset="subtract")
    drive = _spread(0.2, 0.6) + 0.3 * np.sin(np.arange(300) / 7.0)[:, None]
    _assert_identical_small(model, drive, _PER_TRIAL)


@pytest.mark.slow  # 61 s with a cold Cython cache at load 8 on 2 cores, 1.3 s warm: make test-slow
def test_gaussian_cdf_function_of_the_cython_target_is_identical():
    """The Gaussian cdf is a Brian2 ``Function`` with its own Cython implementation (``0.5*erfc(-x/sqrt 2)``),
    which the numpy-target tests never run (they use its numpy implementation, scipy's ndtr): one
    heterogeneous escape NSNN on the Cython target (compiled once, cached by Brian2) is identical too."""
    scale = 0.4 * _spread(0.6, 1.4)
    model = ns.NSNN(beta=_spread(0.0, 0.9), threshold=_spread(0.8, 1.3), noise="gaussian", noise_scale=scale,
                    firing="escape", reset="subtract")
    drive = _spread(0.2, 0.6) + 0.3 * np.sin(np.arange(300) / 7.0)[:, None]
    _assert_identical_small(model, drive, _PER_TRIAL, target="cython")


def _assert_identical_small(model, drive, initial_state, target="numpy"):
    kwargs = dict(n_neurons=N_SMALL, n_steps=drive.shape[0], n_trials=2, seed=11, record_state=np.arange(N_SMALL),
                  initial_state=initial_state)
    ours = ns.simulate(model, drive, **kwargs)
    theirs = run_brian2(model, drive, shared_noise=True, target=target, **kwargs)
    per_neuron = np.bincount(ours.spikes.neuron, minlength=N_SMALL)
    assert per_neuron.min() >= 3, per_neuron  # every neuron's parameters take part
    assert ours.spikes == theirs.spikes
    # Brian2 orders the Euler step's operations differently: equal to rounding
    np.testing.assert_allclose(ours.state, theirs.state, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", NOISY)
def test_brian2_own_membrane_noise_is_the_family_ppf_of_its_uniforms_exactly(name):
    """Brian2's own noise (no shared noise), numpy target: ``brian2.seed(seed)`` seeds numpy's global
    ``RandomState``, from which the NSNN map draws ``rand(N)`` once per step and applies the family's
    Brian2 ppf expression to ``rand()*(1 - 2**-52) + 2**-53`` (Gaussian: ``randn(N)``). A numpy replay
    of the NSNN equation (per-neuron beta, threshold, scale; subtractive reset) with scipy's ppf of
    that sequence must give Brian2's spikes and membranes: every family's Brian2 ppf expression in a
    run, checked exactly (a 2 % error in the ppf or the scale is a 2e-2 relative error per step)."""
    n_steps, n_trials, seed = 300, 2, 5
    n_total = n_trials * N_SMALL
    scale = noise.spec(name).scale_for_sd(0.4) * _spread(0.6, 1.4)
    beta, threshold = _spread(0.0, 0.9), _spread(0.8, 1.3)
    model = ns.NSNN(beta=beta, threshold=threshold, noise=name, noise_scale=scale, reset="subtract")
    drive = _spread(0.2, 0.6)
    result = run_brian2(model, drive, N_SMALL, n_steps, n_trials, seed=seed, target="numpy",
                        record_state=np.arange(N_SMALL), initial_state=_PER_TRIAL)
    random = np.random.RandomState(seed)
    if name == "gaussian":
        eps = random.randn(n_steps, n_total)
    else:
        eps = noise.spec(name).scipy_reference(1.0).ppf(random.rand(n_steps, n_total) * (1.0 - 2.0**-52) + 2.0**-53)
    tiled = [np.tile(value, n_trials) for value in (beta, threshold, scale, drive)]
    v, expected_v, expected_spikes = _PER_TRIAL.ravel().copy(), np.empty((n_steps, n_total)), []
    for step in range(n_steps):
        v = tiled[0] * v + tiled[3] + tiled[2] * eps[step]
        fired = v >= tiled[1]
        v = np.where(fired, v - tiled[1], v)
        expected_v[step] = v
        expected_spikes += [(i // N_SMALL, i % N_SMALL, step) for i in np.flatnonzero(fired)]
    theirs = result.spikes
    assert len(expected_spikes) > 100
    assert sorted(zip(theirs.trial.tolist(), theirs.neuron.tolist(), theirs.step.tolist())) == sorted(expected_spikes)
    state = expected_v.reshape(n_steps, n_trials, N_SMALL).transpose(1, 2, 0)  # (trial, neuron, time)
    # Cauchy draws reach 1e15 (tan near its pole): a relative tolerance of 1e-9 of each step's largest term
    magnitude = np.abs(state) + np.abs(eps.reshape(n_steps, n_trials, N_SMALL).transpose(1, 2, 0)) + 1.0
    assert np.all(np.abs(np.asarray(result.state) - state) <= 1e-9 * magnitude)


def test_brian2_run_without_record_state_records_no_state():
    """record_state=None records no membrane (no StateMonitor), as in nsnn_sim.simulate."""
    result = run_brian2(ns.LIF(sigma=0.3, method="euler"), 0.9, 3, 20, n_trials=2, seed=1, target="numpy")
    assert result.state is None
    recorded = run_brian2(ns.LIF(sigma=0.3, method="euler"), 0.9, 3, 20, n_trials=2, seed=1, record_state=[1],
                          target="numpy")
    assert recorded.state.shape == (2, 1, 20)  # (trial, neuron, time)
