"""A current into a synapse (``ns.current_input(values, receptor)``): the closed form of the filtered response, the
plain-Python transcription spike for spike, trials split as on a cluster, networks, bad input before any kernel."""

import numpy as np
import pytest
from test_state_engine import MODELS

import nsnn_sim as ns
from nsnn_sim.simulator import cluster
from nsnn_sim.simulator.concatenate import concatenate_inputs
from nsnn_sim.simulator.state import AlphaSynapse, ExpSynapse

from reference_model import simulate_nsnn_state_reference, simulate_state_reference

N_NEURONS, N_STEPS, N_TRIALS = 6, 300, 2


def _spike_list(spikes):
    return sorted(zip(spikes.trial.tolist(), spikes.neuron.tolist(), spikes.step.tolist()))


@pytest.mark.parametrize("tau_syn", [3e-3, 10e-3], ids=["tau_syn < tau", "tau_syn = tau"])
def test_a_constant_current_into_an_exponential_synapse_follows_the_closed_form(tau_syn):
    """``tau_r dI_r/dt = -I_r + I``, ``tau du/dt = -u + I_r`` from rest: ``I_r = I (1 - e^(-t/tau_r))`` and
    ``u = I [1 - (tau e^(-t/tau) - tau_r e^(-t/tau_r))/(tau - tau_r)]`` (at ``tau_r = tau``: ``I [1 - (1 + t/tau)
    e^(-t/tau)]``), sampled after each step (``t = (k + 1) dt``); the exact method is exact for a constant
    current, so the engine equals the closed form to rounding."""
    tau, dt, level = 10e-3, 1e-4, 0.8
    model = ns.LIF(tau=tau, tau_syn=tau_syn, noise="none", threshold=10.0, dt=dt, method="exact")
    result = ns.simulate(model, ns.current_input(level, "syn"), n_steps=400, record_state={"u": [0], "I_syn": [0]})
    t = dt * np.arange(1, 401)
    synaptic = level * -np.expm1(-t / tau_syn)
    if tau_syn == tau:
        membrane = level * (1.0 - (1.0 + t / tau) * np.exp(-t / tau))
    else:
        membrane = level * (1.0 - (tau * np.exp(-t / tau) - tau_syn * np.exp(-t / tau_syn)) / (tau - tau_syn))
    np.testing.assert_allclose(result.variable("I_syn").values[0, 0], synaptic, rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.variable("u").values[0, 0], membrane, rtol=1e-11, atol=1e-15)
    # the same current on the membrane reaches the same level, without the synapse's delay
    direct = ns.simulate(model, level, n_steps=400, record_state={"u": [0], "I_syn": [0]})
    assert np.all(direct.variable("I_syn").values == 0.0)
    np.testing.assert_allclose(direct.variable("u").values[0, 0], -level * np.expm1(-t / tau), rtol=1e-12)


def test_a_current_into_an_alpha_synapse_drives_its_first_variable():
    """``tau_r dy/dt = -y + I``, ``tau_r dI/dt = -I + y`` from rest: ``y = I (1 - e^(-t/tau_r))`` and ``I_r = I (1 -
    (1 + t/tau_r) e^(-t/tau_r))``."""
    tau_r, dt, level = 4e-3, 1e-4, 0.5
    model = ns.LIF(synapses={"inh": AlphaSynapse(tau_r)}, noise="none", threshold=10.0, dt=dt, method="exact")
    result = ns.simulate(model, ns.current_input(level, "inh"), n_steps=300, record_state={"y_inh": [0], "I_inh": [0]})
    t = dt * np.arange(1, 301)
    np.testing.assert_allclose(result.variable("y_inh").values[0, 0], -level * np.expm1(-t / tau_r), rtol=1e-12)
    np.testing.assert_allclose(result.variable("I_inh").values[0, 0],
                               level * (1.0 - (1.0 + t / tau_r) * np.exp(-t / tau_r)), rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("name, receptor", [
    ("exp synapse, exact, clamp", "syn"),
    ("exp + alpha, euler, heterogeneous", "inh"),
    ("exp + alpha, euler, heterogeneous", "exc"),
    ("tau_syn = tau, coloured noise", "exc"),
    ("escape firing with a synapse", "syn"),
])
def test_a_current_into_a_synapse_matches_the_transcription_spike_for_spike(name, receptor):
    model = MODELS[name]
    receptors = model.receptors
    rng = np.random.default_rng(8)
    current = 1.2 + 0.4 * np.sin(np.arange(N_STEPS) / 7.0)[None, :, None] * rng.uniform(0.5, 1.5, (N_TRIALS, 1,
                                                                                                   N_NEURONS))
    groups = [(10, 700.0, rng.uniform(0.02, 0.08, N_NEURONS), r) for r in range(len(receptors))]
    inputs = [ns.current_input(current, receptor)] + [ns.poisson_input(rate, weight, n, receptor=receptors[r])
                                                      for n, rate, weight, r in groups]
    result = ns.simulate(model, inputs, n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=4,
                         record_state=np.arange(N_NEURONS))
    spikes, state = simulate_state_reference(model, current, N_NEURONS, N_STEPS, N_TRIALS, 4, poisson=groups,
                                             current_receptor=receptors.index(receptor))
    assert len(spikes) > 40
    assert _spike_list(result.spikes) == spikes
    np.testing.assert_allclose(result.state, state.transpose(0, 2, 1), rtol=0, atol=1e-9)
    membrane = ns.simulate(model, [current, *inputs[1:]], n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS,
                           seed=4, record_state=np.arange(N_NEURONS))
    assert not np.allclose(membrane.state, result.state)  # the receptor matters


@pytest.mark.parametrize("receptor", ["exc", "inh"])
def test_a_current_into_an_nsnn_trace_matches_the_transcription(receptor):
    model = ns.NSNN(noise="logistic", noise_scale=0.3, synapses={"exc": np.linspace(0.3, 0.9, N_NEURONS), "inh": 0.5},
                    threshold_decay=0.9, threshold_jump=0.3)
    current = 0.2 + 0.1 * np.sin(np.arange(N_STEPS) / 9.0)[None, :, None] * np.ones((N_TRIALS, 1, N_NEURONS))
    groups = [(5, 100.0, 0.3, r) for r in range(3)]
    inputs = [ns.current_input(current, receptor)] + [ns.poisson_input(rate, weight, n, receptor=model.receptors[r])
                                                      for n, rate, weight, r in groups]
    result = ns.simulate(model, inputs, n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=3,
                         record_state={"u": range(N_NEURONS), f"I_{receptor}": range(N_NEURONS)})
    spikes, _, variables = simulate_nsnn_state_reference(model, current, N_NEURONS, N_STEPS, N_TRIALS, 3,
                                                         poisson=groups, every_variable=True,
                                                         current_receptor=model.receptors.index(receptor))
    assert len(spikes) > 40
    assert _spike_list(result.spikes) == spikes
    trace = 1 + ("exc", "inh").index(receptor)
    np.testing.assert_allclose(result.variable(f"I_{receptor}").values, variables[..., trace].transpose(0, 2, 1),
                               rtol=0, atol=1e-12)


def test_a_per_trial_current_into_a_synapse_splits_over_trials_as_on_a_cluster():
    model = MODELS["exp synapse, exact, clamp"]
    current = np.random.default_rng(2).uniform(0.8, 1.6, (3, 200, 4))
    inputs = [ns.current_input(current, "syn"), ns.poisson_input(500.0, 0.05, 8)]
    whole = ns.simulate(model, inputs, n_neurons=4, n_steps=200, n_trials=3, seed=5)
    assert len(whole.spikes) > 20
    for first, stop in [(0, 1), (1, 3)]:
        part = cluster.trials_of(inputs, first, stop)
        assert isinstance(part[0], ns.simulator.network.CurrentInput) and part[0].receptor == "syn"
        alone = ns.simulator.engine._simulate(model, part, n_neurons=4, n_steps=200, duration=None,
                                              n_trials=stop - first, seed=5, connections=None, record_state=None,
                                              initial_state=None, n_threads=None, progress=False, first_trial=first)
        expected = [(trial - first, neuron, step) for trial, neuron, step in _spike_list(whole.spikes)
                    if first <= trial < stop]
        assert _spike_list(alone.spikes) == expected


def test_populations_joined_keep_their_currents_receptor_and_refuse_two_receptors():
    joined = concatenate_inputs([ns.current_input(0.5, "exc"), ns.current_input(np.array([0.1, 0.2]), "exc")],
                                [3, 2], ["a", "b"], None, 1)
    assert joined.receptor == "exc"
    np.testing.assert_array_equal(joined.values, [0.5, 0.5, 0.5, 0.1, 0.2])
    assert concatenate_inputs([0.5, 0.5], [3, 2], ["a", "b"], None, 1) == 0.5  # plain currents stay plain
    with pytest.raises(ValueError, match=r"different receptors \['delta', 'exc'\]"):
        concatenate_inputs([0.5, ns.current_input(0.2, "exc")], [3, 2], ["a", "b"], None, 1)


def test_bad_current_inputs_are_refused_before_any_kernel_runs(engine_kernels_forbidden):
    two = ns.LIF(synapses={"exc": ExpSynapse(2e-3), "inh": ExpSynapse(5e-3)}, method="euler")
    with pytest.raises(ValueError, match=r"current_input: receptor='gaba' is not one of the model's receptors"):
        ns.simulate(two, ns.current_input(0.5, "gaba"), n_neurons=3, n_steps=10)
    with pytest.raises(ValueError, match=r"current_input: receptor='exc' is not one of the model's receptors "
                                         r"\('delta',\)"):
        ns.simulate(ns.LIF(method="euler"), ns.current_input(0.5, "exc"), n_neurons=3, n_steps=10)
    with pytest.raises(ValueError, match="at most one current"):
        ns.simulate(two, [0.3, ns.current_input(0.5, "exc")], n_neurons=3, n_steps=10)
    with pytest.raises(ValueError, match=r"inputs has shape \(4,\)"):
        ns.simulate(two, ns.current_input(np.ones(4), "exc"), n_neurons=3, n_steps=10)
    with pytest.raises(TypeError, match="receptor must name a receptor"):
        ns.current_input(0.5, None)
    with pytest.raises(TypeError, match="values must be a current"):
        ns.current_input(ns.poisson_input(10.0, 0.1, 2), "exc")


def test_a_current_into_the_membrane_by_name_is_the_plain_current():
    model = MODELS["exp + alpha, euler, heterogeneous"]
    plain = ns.simulate(model, [1.1, ns.poisson_input(500.0, 0.05, 8, receptor="exc")], n_neurons=N_NEURONS,
                        n_steps=200, seed=1)
    named = ns.simulate(model, [ns.current_input(1.1, "delta"), ns.poisson_input(500.0, 0.05, 8, receptor="exc")],
                        n_neurons=N_NEURONS, n_steps=200, seed=1)
    assert plain.spikes == named.spikes and len(plain.spikes) > 10
    assert "CurrentInput" in named.inputs_description and "'receptor': 'delta'" in named.inputs_description
