"""Source populations of a Network (spike generators, Poisson sources with a constant rate or a time course) and
spike / inhomogeneous inputs of its populations: their spikes arrive through the projections' weights, delays and
receptors exactly as the transcription delivers them; the Poisson source's rule; trials split as on a cluster; bad
input refused."""

import numpy as np
import pytest
from test_populations import dense_connections

import nsnn_sim as ns
from nsnn_sim import Network, all_to_all, fixed_indegree, one_to_one, pairwise_bernoulli
from nsnn_sim.simulator import cluster, engine, rng
from nsnn_sim.simulator.state import ExpSynapse
from nsnn_sim.simulator.stimuli import PoissonSource, ProjectedSpikes, SpikeGenerator

from reference_model import Course, simulate_state_reference

DT = 2e-4
N_STEPS = 300


def network_with_sources(seed=4):
    """E (4 neurons) and I (3) with two exponential-synapse receptors and different parameters, E -> I on "exc"
    and I -> E on "inh" with different delays; a spike generator onto I ("inh", 2 steps), a Poisson source with a
    time course onto E and I ("exc", 3 steps), an inhomogeneous Poisson input on E and a spike input on I."""
    t = np.arange(N_STEPS) * DT
    e = ns.LIF(sigma=0.25, dt=DT, tau=10e-3, tau_ref=6e-4, method="exact",
               synapses={"exc": ExpSynapse(2e-3), "inh": ExpSynapse(5e-3)})
    i = ns.LIF(sigma=0.25, dt=DT, tau=6e-3, tau_ref=4e-4, threshold=0.9, u_reset=-0.1, method="exact",
               synapses={"exc": ExpSynapse(1e-3), "inh": ExpSynapse(4e-3)})
    course = 400.0 + 350.0 * np.sin(2 * np.pi * 30.0 * t)
    network = Network(seed)
    network.add("E", e, 4, inputs=[0.9, ns.inhomogeneous_poisson_input(course, 0.05, 8, receptor="exc")])
    network.add("I", i, 3, inputs=[0.5, ns.spike_input([[20 * DT, 150 * DT], [], [60 * DT]], 0.4, receptor="exc")])
    network.add("gen", SpikeGenerator([[10 * DT, 11 * DT, 200 * DT], [50 * DT], [0.0, 120 * DT]]), 3)
    network.add("noise", PoissonSource(np.broadcast_to(course[:, None] * np.r_[1.0, 0.5], (N_STEPS, 2)),
                                       time_course=True), 2)
    network.connect("E", "I", fixed_indegree(2), weight=0.3, delay=5 * DT, receptor="exc")
    network.connect("I", "E", all_to_all(), weight=-0.2, delay=3 * DT, receptor="inh")
    network.connect("gen", "I", one_to_one(), weight=-0.25, delay=2 * DT, receptor="inh")
    network.connect("noise", "E", all_to_all(), weight=0.15, delay=3 * DT, receptor="exc")
    network.connect("noise", "I", pairwise_bernoulli(0.7), weight=np.array([[0.2, 0.1]] * 3), delay=4 * DT,
                    receptor="exc")
    return network


def test_a_network_with_sources_matches_the_transcription():
    """The spikes of the sources reach their targets after the projection's delay, into its receptor, as the
    transcription delivers them (source spike -> synapse -> step + delay), beside recurrent, inhomogeneous Poisson
    and spike inputs: spike for spike, every trial."""
    network, n_trials = network_with_sources(), 2
    built = network.build(N_STEPS, n_trials, seed=7)
    result = network.simulate(n_steps=N_STEPS, n_trials=n_trials, seed=7)
    n, receptors = built.n_neurons, built.model.receptors
    weights, delays, synapse_receptor = dense_connections(built)
    t = np.arange(N_STEPS) * DT
    course = 400.0 + 350.0 * np.sin(2 * np.pi * 30.0 * t)
    current = np.broadcast_to(np.r_[[0.9] * 4, [0.5] * 3], (n_trials, N_STEPS, n))
    poisson = [(8, Course(np.c_[np.broadcast_to(course[:, None], (N_STEPS, 4)), np.zeros((N_STEPS, 3))]),
                np.r_[[0.05] * 4, [0.0] * 3], receptors.index("exc"))]
    spike_inputs = [("times", [[], [], [], [], [20, 150], [], [60]], np.r_[[0.0] * 4, [0.4] * 3],
                     receptors.index("exc"))]
    projected = [item for item in built.inputs if isinstance(item, ProjectedSpikes)]
    assert len(projected) == 3
    for item in projected:
        source_spikes = [(None if item.spikes.n_trials == 1 else int(trial), int(neuron), int(step))
                         for trial, neuron, step in zip(item.spikes.trial, item.spikes.neuron, item.spikes.step)]
        synapses = list(zip(item.post.tolist(), item.pre.tolist(), item.weight.tolist(), item.delay.tolist()))
        spike_inputs.append(("projected", source_spikes, synapses, receptors.index(item.receptor)))
    generator = network.source_spikes("gen", n_steps=N_STEPS)
    assert generator.step.tolist() == [10, 11, 200, 50, 0, 120] and generator.n_trials == 1
    assert len(network.source_spikes("noise", n_steps=N_STEPS, n_trials=n_trials, seed=7)) > 50  # 72 expected
    spikes, _ = simulate_state_reference(built.model, current, n, N_STEPS, n_trials, 7, poisson=poisson,
                                         weights=weights, delays=delays, synapse_receptor=synapse_receptor,
                                         spike_inputs=spike_inputs)
    assert len(spikes) > 40
    ours = result.spikes
    assert sorted(zip(ours.trial.tolist(), ours.neuron.tolist(), ours.step.tolist())) == spikes


def test_a_generator_spike_moves_its_target_by_the_weight_after_the_delay():
    """No noise, no drive: the target's u is exactly 0 until the generator's spike plus the delay, then exactly
    the weight."""
    network = Network(0).add("E", ns.LIF(noise="none", u_rest=0.0, dt=1e-4, method="euler"), 2)
    network.add("gen", SpikeGenerator([[5e-4], [9e-4]]), 2)
    network.connect("gen", "E", one_to_one(), weight=0.375, delay=3e-4)
    built = network.build(20, 1)
    state = ns.simulate(built.model, built.inputs, n_neurons=2, n_steps=20, seed=0,
                        record_state=[0, 1]).state[0].T  # (step, neuron)
    assert np.all(state[:8, 0] == 0.0) and state[8, 0] == 0.375
    assert np.all(state[:12, 1] == 0.0) and state[12, 1] == 0.375


def test_a_poisson_source_spikes_where_its_uniform_is_below_rate_dt():
    """Exactly the rule: neuron j spikes at step k iff draw k of stream (seed, trial, j, SOURCE + s) < r_j dt (s:
    the source's index among the Poisson sources); and its rate within 4 SE. SE: sqrt(n p (1 - p)) = 70.5 spikes
    of n = 10^6 draws at p = 0.005, so the test detects a rate error of (4 + 1.28) SE = 7.4 % nine times in ten."""
    rates = np.r_[[20.0] * 100, [80.0] * 100]
    network = Network(0).add("E", ns.LIF(method="euler"), 1).add("other", PoissonSource(10.0), 3)
    network.add("noise", PoissonSource(rates), 200)
    spikes = network.source_spikes("noise", n_steps=5000, n_trials=2, seed=11)
    for trial in (0, 1):
        fired = rng.draws(11, trial, rng.SOURCE + 1, 5000, 200) < rates * 1e-4
        mine = spikes.trial == trial
        assert sorted(zip(spikes.step[mine].tolist(), spikes.neuron[mine].tolist())) == sorted(
            zip(*[index.tolist() for index in np.nonzero(fired)]))
    expected, count = 5000 * 1e-4 * rates.sum(), np.sum(spikes.trial == 0)
    assert abs(count - expected) < 4 * np.sqrt(expected * (1 - 0.005))


@pytest.mark.parametrize("shape", [(40,), (40, 3), (2, 40, 3)], ids=["one course", "per neuron", "per trial"])
def test_a_poisson_source_with_a_time_course_spikes_where_its_uniform_is_below_the_steps_rate_dt(shape):
    """The same rule with a rate per step: neuron j spikes at step k of trial t iff its draw is below r_j(k) dt, for
    a course shared by every neuron, one per neuron, and one per trial and neuron."""
    rates = np.random.default_rng(4).uniform(0.0, 3000.0, shape)
    spikes = PoissonSource(rates, time_course=True).spikes(3, 40, 2, 1e-4, seed=6, index=2)
    full = np.broadcast_to(rates if rates.ndim == 3 else rates.reshape(1, 40, -1), (2, 40, 3))
    for trial in (0, 1):
        fired = rng.draws(6, trial, rng.SOURCE + 2, 40, 3) < full[trial] * 1e-4
        mine = spikes.trial == trial
        assert fired.sum() > 5
        assert sorted(zip(spikes.step[mine].tolist(), spikes.neuron[mine].tolist())) == sorted(
            zip(*[index.tolist() for index in np.nonzero(fired)]))


def test_trials_split_as_on_a_cluster_equal_the_whole_run():
    """The sources' per-trial spikes and the per-trial inputs are sliced by trial for a cluster's tasks: every
    split equals the whole run, bit for bit."""
    network, n_trials = network_with_sources(), 3
    built = network.build(N_STEPS, n_trials, seed=2)
    arguments = dict(n_neurons=built.n_neurons, n_steps=N_STEPS, duration=None, n_trials=n_trials, seed=2,
                     connections=built.connections, record_state=None, initial_state=None, n_threads=1, progress=False)
    whole = engine._simulate(built.model, built.inputs, **arguments)
    assert len(whole.spikes) > 60
    for chunks in ([(0, 1), (1, 3)], [(0, 1), (1, 2), (2, 3)]):
        shared, tasks = cluster.split_trials(dict(arguments, model=built.model, inputs=built.inputs), chunks)
        merged = cluster.merged([engine._simulate(**shared, **task) for task in tasks], "")
        assert merged.spikes == whole.spikes


def test_bad_sources_are_refused_naming_the_parameter():
    network = Network(0).add("E", ns.LIF(method="euler"), 3).add("gen", SpikeGenerator([[0.001], []]), 2)
    with pytest.raises(ValueError, match="target='gen' is a source"):
        network.connect("E", "gen", all_to_all(), weight=0.1)
    with pytest.raises(ValueError, match="size=3 but the SpikeGenerator"):
        Network(0).add("gen", SpikeGenerator([[0.001], []]), 3)
    with pytest.raises(ValueError, match="inputs of population 'gen'"):
        Network(0).add("gen", PoissonSource(5.0), 3, inputs=0.5)
    with pytest.raises(ValueError, match="record_spikes: 'gen' is a source"):
        network.simulate(n_steps=10, record_spikes=["gen"])
    with pytest.raises(ValueError, match="rate has shape.*time_course=True"):
        PoissonSource(np.ones((10, 2)))
    with pytest.raises(ValueError, match="rate=.*>= 0"):
        PoissonSource(-1.0)
    network.add("noise", PoissonSource(np.ones(19), time_course=True), 2).connect("noise", "E", all_to_all(),
                                                                                 weight=1.0)
    with pytest.raises(ValueError, match="PoissonSource rate has 19 values"):
        network.simulate(n_steps=20)
    with pytest.raises(ValueError, match=r"times\[0\] must be sorted"):
        SpikeGenerator([[0.002, 0.001]])
    late = Network(0).add("E", ns.LIF(method="euler"), 1).add("gen", SpikeGenerator([[0.5]]), 1)
    with pytest.raises(ValueError, match="SpikeGenerator times.*outside the run"):
        late.connect("gen", "E", all_to_all(), weight=0.1).simulate(n_steps=10)
