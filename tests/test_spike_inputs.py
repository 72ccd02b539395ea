"""Inhomogeneous Poisson inputs and spike inputs: the engine against the plain-Python transcription spike for
spike (delta LIF and NSNN, the recurrent kernel, a LIF with exponential-synapse receptors, an NSNN with traces),
the exact size and step of a spike input, constant courses bit-identical to constant rates, trials split as on a
cluster, and bad input refused before any kernel runs."""

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim.simulator import cluster, engine
from nsnn_sim.simulator.state import ExpSynapse

from reference_model import (
    Course,
    simulate_nsnn_state_reference,
    simulate_reference,
    simulate_state_reference,
)

N_NEURONS, N_STEPS, N_TRIALS = 5, 240, 2


def _spike_list(spikes):
    return sorted(zip(spikes.trial.tolist(), spikes.neuron.tolist(), spikes.step.tolist()))


def _courses(dt):
    """Three rate courses (Hz) of every shape: (n_steps,), (n_steps, n_neurons), (n_trials, n_steps, n_neurons)."""
    t = np.arange(N_STEPS) * dt
    shared = 300.0 + 250.0 * np.sin(2 * np.pi * 40.0 * t)
    per_neuron = np.where((np.arange(N_STEPS)[:, None] // 30) % 2 == 0, np.linspace(100.0, 900.0, N_NEURONS), 50.0)
    per_trial = np.random.default_rng(3).uniform(0.0, 800.0, (N_TRIALS, N_STEPS, N_NEURONS))
    return shared, per_neuron, per_trial


def _stimulus(dt):
    """Spike times on the grid (seconds) for each neuron, with a repeat (two inputs at one step) and an input at
    step 0; and their steps for the transcription."""
    steps = [[0, 17, 17, 90], [], [5, 6, 7, 8, 150], [200], [33, 34, 120, 239]]
    return [np.array(train) * dt for train in steps], steps


def _inputs_and_reference(dt, receptors=("delta",), spike_receptor=0):
    shared, per_neuron, per_trial = _courses(dt)
    weights = np.linspace(0.03, 0.09, N_NEURONS)
    times, steps = _stimulus(dt)
    spike_weights = np.linspace(0.2, 0.4, N_NEURONS)
    inputs = [ns.inhomogeneous_poisson_input(shared, 0.05, 10, receptor=receptors[-1]),
              ns.poisson_input(500.0, weights, 8, receptor=receptors[0]),
              ns.inhomogeneous_poisson_input(per_neuron, weights, 6, receptor=receptors[0]),
              ns.inhomogeneous_poisson_input(per_trial, 0.04, 5, receptor=receptors[-1]),
              ns.spike_input(times, spike_weights, receptor=receptors[spike_receptor]),
              ns.spike_input([times[(i + 1) % N_NEURONS] for i in range(N_NEURONS)], -0.1,
                             receptor=receptors[-1])]
    last = len(receptors) - 1
    poisson = [(10, Course(shared), 0.05, last), (8, 500.0, weights, 0), (6, Course(per_neuron), weights, 0),
               (5, Course(per_trial), 0.04, last)]
    spike_inputs = [("times", steps, spike_weights, spike_receptor),
                    ("times", [steps[(i + 1) % N_NEURONS] for i in range(N_NEURONS)], -0.1, last)]
    return inputs, poisson, spike_inputs


def _recurrent(connected, seed, sd):
    """``(weights, delays)``: half the pairs connected with normal(0.1, sd) weights and delays of 1-4 steps, or
    ``(None, None)``."""
    if not connected:
        return None, None
    rng = np.random.default_rng(seed)
    weights = np.where(rng.random((N_NEURONS, N_NEURONS)) < 0.5, rng.normal(0.1, sd, (N_NEURONS,) * 2), 0.0)
    return weights, rng.integers(1, 5, size=(N_NEURONS, N_NEURONS))


def _current():
    return 0.7 + 0.2 * np.sin(np.arange(N_STEPS) / 9.0)[None, :, None] * np.ones((N_TRIALS, 1, N_NEURONS))


@pytest.mark.parametrize("model", [
    ns.LIF(sigma=0.3, dt=2e-4, tau_ref=6e-4, tau=np.linspace(8e-3, 14e-3, N_NEURONS), method="euler"),
    ns.LIF(sigma=0.25, dt=2e-4, method="exact", threshold_crossing="bridge", reset="subtract"),
    ns.NSNN(noise="logistic", noise_scale=0.3, firing="escape", beta=np.linspace(0.3, 0.9, N_NEURONS)),
], ids=["delta LIF euler", "delta LIF exact bridge", "NSNN escape"])
@pytest.mark.parametrize("connected", [False, True], ids=["unconnected", "recurrent"])
def test_delta_neurons_match_the_transcription(model, connected):
    """Every rate shape, a constant group between them, two spike inputs (repeats, step 0, the last step), with
    and without recurrent connections: the engine's spikes equal the transcription's, its membrane to 1e-12."""
    inputs, poisson, spike_inputs = _inputs_and_reference(model.dt)
    current = _current() * (0.5 if model.kind == "NSNN" else 1.0)
    weights, delays = _recurrent(connected, seed=1, sd=0.2)
    result = ns.simulate(model, [current, *inputs], n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=4,
                         connections=None if weights is None else ns.connect(weights, delays * model.dt),
                         record_state=np.arange(N_NEURONS))
    spikes, state = simulate_reference(model, current, N_NEURONS, N_STEPS, N_TRIALS, 4, weights, delays,
                                       poisson=[group[:3] for group in poisson], spike_inputs=spike_inputs)
    assert len(spikes) > 60
    assert _spike_list(result.spikes) == spikes
    np.testing.assert_allclose(np.swapaxes(result.state, 1, 2), state, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("connected", [False, True], ids=["unconnected", "recurrent"])
def test_lif_with_synaptic_receptors_matches_the_transcription(connected):
    """A LIF with two exponential-synapse receptors (and delta inputs): inhomogeneous Poisson inputs and spike
    inputs into each receptor, recurrent connections into one: the state kernel equals the transcription."""
    model = ns.LIF(sigma=0.3, dt=2e-4, method="exact", tau_ref=6e-4,
                   synapses={"exc": ExpSynapse(np.linspace(1e-3, 3e-3, N_NEURONS)), "inh": ExpSynapse(4e-3)})
    receptors = model.receptors  # ("delta", "exc", "inh")
    inputs, poisson, spike_inputs = _inputs_and_reference(model.dt, receptors, spike_receptor=1)
    current = _current()
    weights, delays = _recurrent(connected, seed=2, sd=0.3)
    result = ns.simulate(model, [current, *inputs], n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=6,
                         connections=None if weights is None else ns.connect(weights, delays * model.dt,
                                                                             receptor="inh"),
                         record_state=np.arange(N_NEURONS))
    spikes, state = simulate_state_reference(model, current, N_NEURONS, N_STEPS, N_TRIALS, 6, poisson=poisson,
                                             weights=weights, delays=delays, synapse_receptor=2,
                                             spike_inputs=spike_inputs)
    assert len(spikes) > 60
    assert _spike_list(result.spikes) == spikes
    np.testing.assert_allclose(np.swapaxes(result.state, 1, 2), state, rtol=0, atol=1e-9)


def test_nsnn_with_traces_matches_the_transcription():
    model = ns.NSNN(noise="gaussian", noise_scale=0.3, synapses={"exc": np.linspace(0.3, 0.9, N_NEURONS)},
                    threshold_decay=0.9, threshold_jump=0.2)
    inputs, poisson, spike_inputs = _inputs_and_reference(model.dt, model.receptors, spike_receptor=1)
    current = 0.5 * _current()
    result = ns.simulate(model, [current, *inputs], n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=8,
                         record_state=np.arange(N_NEURONS))
    spikes, state = simulate_nsnn_state_reference(model, current, N_NEURONS, N_STEPS, N_TRIALS, 8, poisson=poisson,
                                                  spike_inputs=spike_inputs)
    assert len(spikes) > 60
    assert _spike_list(result.spikes) == spikes
    np.testing.assert_allclose(np.swapaxes(result.state, 1, 2), state, rtol=0, atol=1e-9)


def test_the_draw_without_a_table_is_the_tables():
    """:func:`engine._binomial_inverse` equals the table lookup bit for bit for every count: 40 probabilities from
    1e-9 to 1 - 1e-9 (both sides of 1/2: the flipped tables) and 0 and 1, n from 1 to 2000, 2000 uniforms each,
    including the extremes of the streams' uniforms (2**-53, 1 - 2**-53)."""
    uniforms = np.r_[2.0**-53, 1 - 2.0**-53, np.random.default_rng(0).random(1998)]
    for n in (1, 2, 7, 50, 400, 2000):
        for p in np.r_[0.0, 1.0, np.geomspace(1e-9, 0.5, 20), 1 - np.geomspace(1e-9, 0.49, 20)]:
            if n * min(p, 1 - p) > 100:
                continue  # beyond MAX_POISSON_MEAN_PER_STEP: never drawn
            for u in uniforms:
                assert engine._binomial_inverse(np.int64(n), p, u) == engine._binomial(np.int64(n), p, u), (n, p, u)


@pytest.mark.parametrize("model", [ns.LIF(sigma=0.3, dt=2e-4, method="euler"), ns.LIF(sigma=0.3, dt=2e-4,
                                                                                      tau_syn=2e-3, method="euler")],
                         ids=["delta", "exp synapse"])
@pytest.mark.parametrize("connected", [False, True], ids=["unconnected", "recurrent"])
def test_a_constant_course_is_a_constant_rate_bit_for_bit(model, connected):
    """An inhomogeneous input whose course is constant gives exactly the spikes of poisson_input at that rate (and
    an empty spike input changes nothing), in every kernel."""
    connections = ns.connect(np.full((N_NEURONS, N_NEURONS), 0.05) - 0.05 * np.eye(N_NEURONS),
                             2 * model.dt) if connected else None
    rates = np.linspace(300.0, 900.0, N_NEURONS)
    constant = [0.8, ns.poisson_input(rates, 0.06, 10)]
    varying = [0.8, ns.inhomogeneous_poisson_input(np.broadcast_to(rates, (N_STEPS, N_NEURONS)), 0.06, 10),
               ns.spike_input([[]] * N_NEURONS, 1.0)]
    runs = [ns.simulate(model, inputs, n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=9,
                        connections=connections, record_state=np.arange(N_NEURONS)) for inputs in (constant, varying)]
    assert len(runs[0].spikes) > 50
    assert runs[0].spikes == runs[1].spikes
    np.testing.assert_array_equal(runs[0].state, runs[1].state)
    # one course for every neuron (a 1-D rate) is the constant rate too
    one_course = [ns.simulate(model, [0.8, drive], n_neurons=N_NEURONS, n_steps=N_STEPS, seed=9,
                              connections=connections).spikes
                  for drive in (ns.poisson_input(600.0, 0.06, 10),
                                ns.inhomogeneous_poisson_input(np.full(N_STEPS, 600.0), 0.06, 10))]
    assert len(one_course[0]) > 20 and one_course[0] == one_course[1]


@pytest.mark.parametrize("connected", [False, True], ids=["unconnected", "recurrent"])
def test_a_spike_input_moves_u_by_its_weight_at_its_step(connected):
    """No noise, no drive, u_rest = 0: u stays exactly 0 until the input's step, where it is exactly the weight
    (then it decays by alpha per step); a second input of the same step adds exactly."""
    model = ns.LIF(noise="none", u_rest=0.0, dt=1e-4, tau=10e-3, method="euler")
    w, k = 0.3125, 37
    inputs = [ns.spike_input([[k * 1e-4], [k * 1e-4, k * 1e-4]], w)]
    connections = ns.connect(np.zeros((2, 2)), 3 * model.dt) if connected else None
    state = ns.simulate(model, inputs, n_neurons=2, n_steps=60, seed=0, connections=connections,
                        record_state=[0, 1]).state[0].T  # (step, neuron)
    assert np.all(state[:k] == 0.0)
    assert state[k, 0] == w and state[k, 1] == 2 * w
    alpha = model.compile(2).alpha[0]
    assert state[k + 1, 0] == alpha * w


def test_a_spike_input_into_a_synapse_jumps_its_current_by_the_charge_normalised_weight():
    """Into an exponential synapse (exact method): u is still exactly 0 at the input's step (the current jumps by
    ``w tau/tau_syn`` after the update) and one step later equals the propagator's ``P[u, I]`` times that jump."""
    model = ns.LIF(noise="none", u_rest=0.0, dt=1e-4, tau=10e-3, tau_syn=2e-3, method="exact")
    w, k = 0.25, 11
    state = ns.simulate(model, ns.spike_input([[k * 1e-4]], w), n_neurons=1, n_steps=20, seed=0,
                        record_state=[0]).state[0, 0, :]
    assert np.all(state[:k + 1] == 0.0)
    propagator = model.compile_state(1).propagator[0]
    np.testing.assert_allclose(state[k + 1], propagator[0, 1] * w * 10e-3 / 2e-3, rtol=1e-15)
    assert state[k + 1] > 0


def test_spike_inputs_from_spike_trains_and_off_grid_times():
    """A SpikeTrains of one trial drives every trial alike, one of n_trials trials each trial its own; times off
    the grid are refused, or rounded to the nearest step with off_grid="nearest"."""
    model = ns.LIF(noise="none", u_rest=0.0, dt=1e-4, method="euler")
    trains = ns.SpikeTrains([0, 1], [0, 0], [3, 5], dt=1e-4, n_trials=2, n_neurons=1, n_steps=10)
    state = ns.simulate(model, ns.spike_input(trains, 0.5), n_neurons=1, n_steps=10, n_trials=2, seed=0,
                        record_state=[0]).state[:, 0, :]
    assert state[0, 3] == 0.5 and state[0, 2] == 0.0 and state[1, 5] == 0.5 and state[1, 4] == 0.0
    with pytest.raises(ValueError, match="spike_input times.*whole number of steps"):
        ns.simulate(model, ns.spike_input([[0.00034]], 0.5), n_neurons=1, n_steps=10, seed=0)
    nearest = ns.simulate(model, ns.spike_input([[0.00034]], 0.5, off_grid="nearest"), n_neurons=1, n_steps=10,
                          seed=0, record_state=[0]).state[0, 0, :]
    assert nearest[3] == 0.5 and nearest[2] == 0.0


def test_trials_split_as_on_a_cluster_equal_the_whole_run():
    """Per-trial rates and per-trial spike trains are sliced by trial for a cluster's tasks: every split of the
    trials (run with their own first trial, as a worker runs them) equals the whole run, bit for bit."""
    model = ns.LIF(sigma=0.3, dt=2e-4, tau_syn=2e-3, method="euler")
    n_trials = 3
    rates = np.random.default_rng(0).uniform(0, 900.0, (n_trials, N_STEPS, N_NEURONS))
    trains = ns.SpikeTrains([0, 1, 2, 2], [0, 1, 2, 4], [10, 20, 30, 40], dt=2e-4, n_trials=n_trials,
                            n_neurons=N_NEURONS, n_steps=N_STEPS)
    inputs = [0.8, ns.inhomogeneous_poisson_input(rates, 0.06, 10), ns.spike_input(trains, 0.5)]
    arguments = dict(n_neurons=N_NEURONS, n_steps=N_STEPS, duration=None, n_trials=n_trials, seed=5, connections=None,
                     record_state=[0, 4], initial_state=None, n_threads=1, progress=False)
    whole = engine._simulate(model, inputs, **arguments)
    assert len(whole.spikes) > 30
    for chunks in ([(0, 1), (1, 3)], [(0, 2), (2, 3)], [(0, 1), (1, 2), (2, 3)]):
        shared, tasks = cluster.split_trials(dict(arguments, model=model, inputs=inputs), chunks)
        assert "inputs" not in shared
        parts = [engine._simulate(**shared, **task) for task in tasks]
        merged = cluster.merged(parts, "")
        assert merged.spikes == whole.spikes
        np.testing.assert_array_equal(merged.state, whole.state)


def test_bad_inputs_are_refused_before_any_kernel_runs(engine_kernels_forbidden):
    model, two = ns.LIF(method="euler"), ns.LIF(synapses={"exc": ExpSynapse(2e-3), "inh": ExpSynapse(5e-3)},
                                                method="euler")
    cases = [
        (model, ns.inhomogeneous_poisson_input(np.ones(11), 0.1, 2), "rate has 11 values"),
        (model, ns.inhomogeneous_poisson_input(np.ones((10, 4)), 0.1, 2), r"rate has shape \(10, 4\)"),
        (model, ns.inhomogeneous_poisson_input(np.ones((2, 10, 3)), 0.1, 2), r"rate has shape \(2, 10, 3\)"),
        (model, ns.inhomogeneous_poisson_input(np.r_[np.ones(9), 2e4], 0.1, 2), "above 1/dt"),
        (model, ns.spike_input([[0.001]] * 3, 0.1), "outside the run"),
        (model, ns.spike_input([[0.0001]] * 2, 0.1), "n_neurons=3"),
        (model, ns.spike_input([[0.0001]] * 3, 0.1, receptor="exc"), "receptor='exc'"),
        (two, ns.spike_input([[0.0001]] * 3, 0.1), "must name a receptor"),
        (two, ns.inhomogeneous_poisson_input(np.ones(10), 0.1, 2, receptor="nmda"), "receptor='nmda'"),
    ]
    for which, inputs, match in cases:
        with pytest.raises(ValueError, match=match):
            ns.simulate(which, inputs, n_neurons=3, n_steps=10, seed=0)
    with pytest.raises(ValueError, match="rate=.*>= 0"):
        ns.inhomogeneous_poisson_input(np.r_[1.0, -1.0], 0.1, 2)
    with pytest.raises(ValueError, match=r"times\[0\] must be sorted"):
        ns.spike_input([[0.002, 0.001]], 0.1)
    with pytest.raises(ValueError, match=r"times\[0\].*finite"):
        ns.spike_input([[np.nan]], 0.1)


def test_prepared_poisson_groups_and_the_description_of_the_inputs():
    """prepare_inputs (no kernel): a constant-rate group has course row -1 and its probability ``rate*dt``, a
    varying one its row of the stacked courses; the limit on the mean count per step uses a course's highest rate
    (0.5 Hz x 1.5e6 sources x 1e-4 s = 75 is allowed, 0.7 Hz: 105 > 100 is not); describe_inputs names a scalar
    current by its value and an array by its shape and mean."""
    from nsnn_sim.simulator.network import MAX_POISSON_MEAN_PER_STEP, describe_inputs, prepare_inputs

    course = np.r_[np.zeros(5), np.full(5, 0.5)]
    items = [ns.poisson_input(20.0, 0.1, 3), ns.inhomogeneous_poisson_input(course, 0.2, 1_500_000),
             ns.poisson_input(np.array([1.0, 2.0]), 0.3, 4), ns.inhomogeneous_poisson_input(2 * course, 0.1, 2)]
    prepared = prepare_inputs(items, 2, 10, 1, 1e-4)
    np.testing.assert_array_equal(prepared.poisson_course_row, [-1, 0, -1, 1])
    np.testing.assert_array_equal(prepared.poisson_probability, [[2e-3, 2e-3], [0, 0], [1e-4, 2e-4], [0, 0]])
    np.testing.assert_array_equal(prepared.poisson_sources, [3, 1_500_000, 4, 2])
    assert 1_500_000 * 0.5 * 1e-4 <= MAX_POISSON_MEAN_PER_STEP
    with pytest.raises(ValueError, match="n_sources\\*rate\\*dt = 105"):
        prepare_inputs([ns.inhomogeneous_poisson_input(1.4 * course, 0.2, 1_500_000)], 2, 10, 1, 1e-4)
    assert describe_inputs(0.5) == "current=0.5"
    assert describe_inputs(np.full((10, 2), 0.25)) == "current array shape=(10, 2) mean=0.25"
