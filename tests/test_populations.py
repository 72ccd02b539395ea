"""Networks of populations: connection rules (exact degrees and counts), the joined model and inputs, a
two-population network against the plain-Python transcription spike for spike (two receptors, per-synapse
delays), thread counts, Brunel's model A as before, recording (population rate, state every k steps), bad input."""

import numpy as np
import pytest
import scipy.sparse as sp

import nsnn_sim as ns
from nsnn_sim.simulator.brunel import brunel_model_a
from nsnn_sim.simulator.concatenate import concatenate_inputs, concatenate_models
from nsnn_sim.simulator.connectivity import (
    all_to_all,
    explicit,
    fixed_indegree,
    fixed_outdegree,
    normal,
    one_to_one,
    pairwise_bernoulli,
    uniform,
)
from nsnn_sim.simulator.populations import Network
from nsnn_sim.simulator.state import AlphaSynapse, ExpSynapse

from reference_model import simulate_state_reference

N_PRE, N_POST = 30, 20


def synapses(rule, n_pre=N_PRE, n_post=N_POST, seed=0):
    """The (post, pre) pairs of one projection from population "A" (n_pre) onto "B" (n_post), local ids, in the
    order the engine keeps them; and the compiled connections."""
    network = Network(seed).add("A", ns.LIF(method="euler"), n_pre).add("B", ns.LIF(method="euler"), n_post)
    network.connect("A", "B", rule, weight=0.1)
    built = network.build()
    compiled = built.connections.compile(n_pre + n_post, built.model.dt)
    pre = np.repeat(np.arange(n_pre + n_post), np.diff(compiled.indptr))
    assert np.all(pre < n_pre) and np.all(compiled.post >= n_pre)  # from A onto B only
    return compiled.post - n_pre, pre, compiled


def pairs(post, pre):
    return post.astype(np.int64) * 10**6 + pre


# ------------------------------------------------------------------ connection rules, exactly
@pytest.mark.parametrize("multapses", [False, True])
def test_fixed_indegree_gives_every_target_exactly_k_sources(multapses):
    k = 40 if multapses else 7  # with multapses k may exceed n_pre
    post, pre, _ = synapses(fixed_indegree(k, multapses=multapses))
    assert np.bincount(post, minlength=N_POST).tolist() == [k] * N_POST
    if not multapses:
        assert np.unique(pairs(post, pre)).size == post.size  # k distinct sources each
    else:
        assert np.unique(pairs(post, pre)).size < post.size  # 40 draws of 30 sources repeat (certainly)


def test_fixed_outdegree_gives_every_source_exactly_k_targets():
    post, pre, _ = synapses(fixed_outdegree(5))
    assert np.bincount(pre, minlength=N_PRE).tolist() == [5] * N_PRE
    assert np.unique(pairs(post, pre)).size == post.size


def test_one_to_one_and_all_to_all_make_exactly_their_pairs():
    post, pre, _ = synapses(one_to_one(), n_pre=N_POST)
    assert sorted(zip(post.tolist(), pre.tolist())) == [(i, i) for i in range(N_POST)]
    post, pre, _ = synapses(all_to_all())
    assert sorted(zip(post.tolist(), pre.tolist())) == [(i, j) for i in range(N_POST) for j in range(N_PRE)]


def test_explicit_matrix_keeps_its_synapses_and_weights():
    matrix = np.zeros((N_POST, N_PRE))
    matrix[[0, 3, 3, 19], [5, 0, 29, 7]] = [0.5, -1.0, 2.0, 0.25]
    for given in (matrix, sp.csr_matrix(matrix)):
        network = Network().add("A", ns.LIF(method="euler"), N_PRE).add("B", ns.LIF(method="euler"), N_POST)
        network.connect("A", "B", explicit(given))
        np.testing.assert_array_equal(network.build().connections.weights[N_PRE:, :N_PRE].toarray(), matrix)


def test_pairwise_bernoulli_count_is_binomial():
    """p*n_pre*n_post = 6000 expected synapses; SE = sqrt(n p (1 - p)) = 69.3. The tolerance 4 SE detects an error
    of (4 + 1.28) SE = 366 synapses (6.1 %) nine times in ten."""
    n_pre, n_post, p = 300, 200, 0.1
    post, pre, _ = synapses(pairwise_bernoulli(p), n_pre, n_post, seed=3)
    expected, se = p * n_pre * n_post, np.sqrt(n_pre * n_post * p * (1 - p))
    assert abs(post.size - expected) < 4 * se
    assert np.unique(pairs(post, pre)).size == post.size
    # p = 1 and p = 0 exactly: every pair, no pair
    assert synapses(pairwise_bernoulli(1.0))[0].size == N_PRE * N_POST
    assert synapses(pairwise_bernoulli(0.0))[0].size == 0


def test_drawn_weights_and_delays_follow_their_distributions_per_synapse():
    network = Network(seed=4).add("A", ns.LIF(dt=1e-4, method="euler"), 50).add("B", ns.LIF(dt=1e-4, method="euler"),
                                                                                40)
    network.connect("A", "B", all_to_all(), weight=normal(0.2, 0.05), delay=uniform(1e-4, 1.0e-3))
    compiled = network.build().connections.compile(90, dt=1e-4)
    # 2000 weights: mean SE = 0.05/sqrt(2000) = 1.1e-3; 4 SE detects a shift of 5.9e-3 nine times in ten
    assert abs(compiled.weight.mean() - 0.2) < 4 * 0.05 / np.sqrt(2000)
    assert set(compiled.delay.tolist()) == set(range(1, 11))  # round(d/dt) of d in [dt, 10 dt)


def test_generation_is_seeded_and_later_projections_leave_earlier_ones():
    def build(seed, extra):
        network = Network(seed).add("A", ns.LIF(method="euler"), 40).add("B", ns.LIF(method="euler"), 30)
        network.connect("A", "B", pairwise_bernoulli(0.3), weight=0.1)
        if extra:
            network.connect("B", "A", fixed_indegree(3), weight=0.2)
        return network.build().connections.weights

    first = build(1, False)
    assert (build(1, False) != first).nnz == 0 and (build(2, False) != first).nnz > 0
    assert (build(1, True)[40:, :40] != first[40:, :40]).nnz == 0


# ------------------------------------------------------------------ the joined model and inputs
def test_joined_model_holds_each_population_parameters():
    e = ns.LIF(tau=20e-3, tau_ref=2e-3, synapses={"exc": ExpSynapse(2e-3), "inh": AlphaSynapse(5e-3)}, method="euler")
    i = ns.LIF(tau=10e-3, tau_ref=1e-3, synapses={"exc": ExpSynapse(1e-3), "inh": AlphaSynapse(5e-3)}, method="euler")
    joined = concatenate_models([e, i], [3, 2], ["E", "I"])
    assert joined.tau.tolist() == [20e-3] * 3 + [10e-3] * 2
    assert joined.synapses["exc"].tau.tolist() == [2e-3] * 3 + [1e-3] * 2
    assert joined.synapses["inh"].tau == 5e-3 and joined.sigma == 0.5  # equal everywhere: still one value
    np.testing.assert_array_equal(joined.compile(5).alpha, np.r_[e.compile(3).alpha, i.compile(2).alpha])


def test_joined_inputs_put_each_population_drive_on_its_neurons():
    drive = ns.poisson_input(100.0, 0.1, 5)
    joined = concatenate_inputs([[0.5, drive], np.array([1.0, 2.0])], [3, 2], ["E", "I"], None, 1)
    current, group = joined
    assert current.tolist() == [0.5, 0.5, 0.5, 1.0, 2.0]
    assert group.rate.tolist() == [100.0] * 3 + [0.0] * 2 and group.n_sources == 5
    varying = concatenate_inputs([np.ones((4, 3)), 0.2], [3, 2], ["E", "I"], 4, 2)
    assert varying.shape == (2, 4, 5) and varying[1, 3].tolist() == [1.0] * 3 + [0.2] * 2


# ------------------------------------------------------------------ runs
DT = 2e-4


SYNAPSES_E = {"exc": ExpSynapse(2e-3, 0.2), "inh": AlphaSynapse(4e-3)}


def two_population_network(seed=3):
    """E (5 neurons) and I (3), different parameters; E -> E, I on "exc" and I -> E on "inh", drawn delays."""
    synapses_i = {"exc": ExpSynapse(1e-3, 0.2), "inh": AlphaSynapse(4e-3)}
    network = Network(seed)
    network.add("E", ns.LIF(sigma=0.3, dt=DT, tau=np.linspace(8e-3, 12e-3, 5), tau_ref=6e-4, synapses=SYNAPSES_E,
                            method="euler"),
                5, inputs=1.05)
    network.add("I", ns.LIF(sigma=0.3, dt=DT, tau=6e-3, tau_ref=4e-4, u_reset=-0.1, synapses=synapses_i,
                            method="euler"), 3,
                inputs=[0.5, ns.poisson_input(700.0, 0.06, 10, receptor="exc")])
    for target in ("E", "I"):
        network.connect("E", target, pairwise_bernoulli(0.6), weight=normal(0.3, 0.1), delay=uniform(DT, 5 * DT),
                        receptor="exc")
    network.connect("I", "E", all_to_all(), weight=-0.05, delay=3 * DT, receptor="inh")
    return network


def dense_connections(built):
    """``(weights, delays, receptor indices)`` of a built network's connections as dense ``[post, pre]`` arrays."""
    n = built.n_neurons
    compiled = built.connections.compile(n, built.model.dt)
    names, index = built.connections.receptor_codes()
    pre = np.repeat(np.arange(n), np.diff(compiled.indptr))
    weights, delays, receptors = np.zeros((n, n)), np.ones((n, n), dtype=int), np.zeros((n, n), dtype=int)
    weights[compiled.post, pre], delays[compiled.post, pre] = compiled.weight, compiled.delay
    receptors[compiled.post, pre] = [built.model.receptors.index(names[k]) for k in index]
    return weights, delays, receptors


def test_two_populations_match_the_transcription_spike_for_spike():
    network = two_population_network()
    built = network.build()
    n_steps, n_trials, n = 300, 2, built.n_neurons
    result = network.simulate(n_steps=n_steps, n_trials=n_trials, seed=7, record_state={"E": np.arange(5),
                                                                                       "I": np.arange(3)})
    weights, delays, receptors = dense_connections(built)
    assert set(receptors[weights != 0].tolist()) == {1, 2}  # both receptors in use
    current = np.broadcast_to(np.r_[[1.05] * 5, [0.5] * 3], (n_trials, n_steps, n))
    poisson = [(10, np.r_[[0.0] * 5, [700.0] * 3], np.r_[[0.0] * 5, [0.06] * 3], 1)]
    spikes, state = simulate_state_reference(built.model, current, n, n_steps, n_trials, 7, poisson=poisson,
                                             weights=weights, delays=delays, synapse_receptor=receptors)
    assert len(spikes) > 40
    assert sorted(zip(result.spikes.trial.tolist(), result.spikes.neuron.tolist(), result.spikes.step.tolist())) \
        == spikes
    state = state.transpose(0, 2, 1)  # the transcription's (trial, time, neuron) as (trial, neuron, time)
    np.testing.assert_allclose(result.state("E").values, state[:, :5], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.state("I").values, state[:, 5:], rtol=0, atol=1e-9)


@pytest.mark.parametrize("kind", ["delta synapses (Brunel)", "two receptors"])
def test_the_same_spikes_for_one_and_two_threads(kind):
    if kind == "two receptors":
        network = two_population_network()
        network.add("X", ns.LIF(sigma=0.3, dt=DT, tau_ref=6e-4, synapses=SYNAPSES_E, method="euler"), 80,
                    inputs=0.95)  # 2 blocks
        network.connect("X", "I", fixed_outdegree(2), weight=0.2, delay=2 * DT, receptor="exc")
    else:
        network = brunel_model_a(n_excitatory=160, epsilon=0.1, j=0.5, seed=2).network
    runs = [network.simulate(n_steps=400, seed=5, n_threads=threads).spikes for threads in (1, 2)]
    assert len(runs[0]) > 50 and runs[0] == runs[1]


def brunel_before_the_network_api(n_excitatory, epsilon, j, g, seed):
    """The wiring brunel_model_a drew before it was built with Network: for each neuron, C_E distinct excitatory
    sources (numpy's choice without replacement), then for each neuron C_I distinct inhibitory ones."""
    n_inhibitory = n_excitatory // 4
    n_neurons = n_excitatory + n_inhibitory
    c_e, c_i = max(1, round(epsilon * n_excitatory)), max(1, round(epsilon * n_inhibitory))
    generator = np.random.default_rng(seed)
    pre_e = np.array([generator.choice(n_excitatory, size=c_e, replace=False) for _ in range(n_neurons)])
    pre_i = n_excitatory + np.array([generator.choice(n_inhibitory, size=c_i, replace=False)
                                     for _ in range(n_neurons)])
    post = np.repeat(np.arange(n_neurons), c_e + c_i)
    weight = np.tile(np.r_[[j] * c_e, [-g * j] * c_i], n_neurons)
    return sp.csr_matrix((weight, (post, np.concatenate([pre_e, pre_i], axis=1).ravel())), shape=(n_neurons,) * 2)


def test_brunel_model_a_through_the_api_gives_the_spikes_of_before():
    net = brunel_model_a(n_excitatory=200, epsilon=0.1, j=0.5, g=5.0, eta=2.0, seed=11)
    before = ns.connect(brunel_before_the_network_api(200, 0.1, 0.5, 5.0, 11), delay=15 * net.model.dt)
    for field, value in before.compile(250, net.model.dt)._asdict().items():
        np.testing.assert_array_equal(value, getattr(net.connections.compile(250, net.model.dt), field), err_msg=field)
    common = dict(n_neurons=250, n_steps=1500, seed=3)
    then = ns.simulate(net.model, net.inputs, connections=before, **common).spikes
    assert len(then) > 500
    assert ns.simulate(net.model, net.inputs, connections=net.connections, **common).spikes == then
    labelled = net.network.simulate(n_steps=1500, seed=3)
    assert labelled.spikes == then and labelled.population("I").n_neurons == 50


def test_initial_state_per_population_is_the_joined_array():
    network = two_population_network()
    u_e = np.linspace(-0.5, 0.9, 5)
    by_population = network.simulate(n_steps=200, n_trials=2, seed=6, initial_state={"E": u_e})
    joined = network.simulate(n_steps=200, n_trials=2, seed=6, initial_state=np.r_[u_e, [0.0] * 3])
    assert by_population.spikes == joined.spikes
    assert by_population.spikes != network.simulate(n_steps=200, n_trials=2, seed=6).spikes


# ------------------------------------------------------------------ recording
def test_population_rate_is_the_spike_count_of_each_step():
    network = two_population_network()
    result = network.simulate(n_steps=400, n_trials=2, seed=1)
    rate = result.population_rate()
    for name, size in (("E", 5), ("I", 3)):
        spikes = result.population(name)
        counts = np.zeros((2, 400))
        np.add.at(counts, (spikes.trial, spikes.step), 1)
        assert counts.sum() > 20 and spikes.neuron.max() < size
        np.testing.assert_array_equal(rate.sel(population=name).values * size * DT, counts)


def test_state_every_k_steps_is_every_kth_value_of_the_full_recording():
    network = two_population_network()
    record = {"I": [2, 0], "E": [4]}
    full = network.simulate(n_steps=200, seed=2, record_state=record)
    every = network.simulate(n_steps=200, seed=2, record_state=record, state_every=7, record_spikes=["I"])
    for name in ("E", "I"):
        np.testing.assert_array_equal(every.state(name).values, full.state(name).values[:, :, ::7])
        assert every.state(name)["time"].values.tolist() == (np.arange(0, 200, 7) * DT).tolist()
    assert every.state("I")["neuron"].values.tolist() == [2, 0]
    assert every.population("I") == full.population("I")
    with pytest.raises(ValueError, match="population='E': its spikes were not recorded"):
        every.population("E")
    np.testing.assert_array_equal(every.spike_counts, full.spike_counts)  # counted before the spikes are dropped


def test_record_spikes_stores_the_named_populations_spikes_only():
    """All populations kept: every spike, ``spike_neurons`` None (all); ``["I"]``: I's neurons' spikes and no other
    neuron's are stored, ``spike_neurons`` I's span."""
    network = two_population_network()
    full = network.simulate(n_steps=300, seed=2)
    assert full.result.spike_neurons is None and full.recorded_spikes == ("E", "I")
    only_i = network.simulate(n_steps=300, seed=2, record_spikes=["I"])
    np.testing.assert_array_equal(only_i.result.spike_neurons, [5, 6, 7])
    in_i = full.spikes.neuron >= 5
    assert 0 < in_i.sum() < len(full.spikes)  # both populations fired
    assert only_i.spikes.neuron.tolist() == full.spikes.neuron[in_i].tolist()
    assert only_i.spikes.step.tolist() == full.spikes.step[in_i].tolist()


def test_the_state_of_a_population_whose_first_neuron_alone_is_recorded():
    network = two_population_network()
    result = network.simulate(n_steps=50, seed=2, record_state={"E": [0], "I": [0]})
    for name, column in (("E", 0), ("I", 1)):
        state = result.state(name)
        assert state["neuron"].values.tolist() == [0]
        np.testing.assert_array_equal(state.values[:, 0], result.result.state[:, column])


def test_raster_of_a_population_shows_the_chosen_neurons():
    import matplotlib.pyplot as plt

    from nsnn_sim.analysis.plotting import raster

    spikes = two_population_network().simulate(n_steps=400, n_trials=2, seed=1).population("E")
    figure, ax = plt.subplots()
    line = raster(spikes, ax, trial=1, neurons=[1, 3]).lines[0]
    chosen = (spikes.trial == 1) & np.isin(spikes.neuron, [1, 3])
    assert chosen.sum() > 3
    np.testing.assert_array_equal(line.get_ydata(), spikes.neuron[chosen])
    np.testing.assert_array_equal(line.get_xdata(), spikes.time[chosen])
    plt.close(figure)


# ------------------------------------------------------------------ bad input, before any kernel
def small():
    return Network().add("E", ns.LIF(tau_syn=2e-3, method="euler"), 10).add("I", ns.LIF(tau_syn=1e-3, method="euler"),
                                                                            4)


BAD = {
    "unknown source": (lambda: small().connect("X", "E", all_to_all(), 0.1), "source='X'"),
    "unknown target": (lambda: small().connect("E", "Y", all_to_all(), 0.1), "target='Y'"),
    "unknown receptor": (lambda: small().connect("E", "I", all_to_all(), 0.1, receptor="gaba"), "receptor='gaba'"),
    "k > n_pre without multapses": (lambda: small().connect("I", "E", fixed_indegree(5), 0.1), "k=5"),
    "k > n_post without multapses": (lambda: small().connect("E", "I", fixed_outdegree(5), 0.1), "k=5"),
    "one_to_one of unequal sizes": (lambda: small().connect("E", "I", one_to_one(), 0.1), "n_pre=10"),
    "negative delay": (lambda: small().connect("E", "I", all_to_all(), 0.1, delay=-1e-3), "delay=-0.001"),
    "delay below one step": (lambda: small().connect("E", "I", all_to_all(), 0.1, delay=0.5e-4), "delay=5e-05"),
    "drawn delay below one step": (lambda: small().connect("E", "I", all_to_all(), 0.1, delay=normal(1e-4, 1e-4))
                                   .simulate(n_steps=10), "delay="),
    "weight of the wrong shape": (lambda: small().connect("E", "I", all_to_all(), np.ones((10, 4))), "weight"),
    "delay of the wrong shape": (lambda: small().connect("E", "I", all_to_all(), 0.1, delay=np.ones(7)), "delay"),
    "no weight": (lambda: small().connect("E", "I", all_to_all()), "weight"),
    "p above 1": (lambda: pairwise_bernoulli(1.5), "p="),
    "negative k": (lambda: fixed_indegree(-1), "k="),
    "unknown population recorded": (lambda: small().simulate(n_steps=10, record_state={"Z": [0]}), "record_state='Z'"),
    "recorded id out of range": (lambda: small().simulate(n_steps=10, record_state={"I": [4]}), "record_state['I']"),
    "unknown population's spikes": (lambda: small().simulate(n_steps=10, record_spikes=["Z"]), "record_spikes='Z'"),
    "two model classes": (lambda: small().add("N", ns.NSNN(), 2).simulate(n_steps=10), "model class"),
    "two time steps": (lambda: small().add("F", ns.LIF(dt=2e-4, tau_syn=1e-3, method="euler"),
                                           2).simulate(n_steps=10), "dt differs"),
    "two methods": (lambda: small().add("F", ns.LIF(method="exact", tau_syn=1e-3), 2).simulate(n_steps=10),
                    "method differs"),
    "other receptors": (lambda: small().add("F", ns.LIF(method="euler"), 2).simulate(n_steps=10),
                        "synapses (receptor names)"),
    "duplicate population": (lambda: small().add("E", ns.LIF(method="euler"), 3), "name='E'"),
    "initial state of an unknown population": (lambda: small().simulate(n_steps=10, initial_state={"Z": 0.1}),
                                               "initial_state='Z'"),
    "initial state of the wrong shape": (lambda: small().simulate(n_steps=10, initial_state={"I": np.ones(3)}),
                                         "initial_state['I']"),
    "per-neuron rate of the wrong size": (lambda: Network().add("E", ns.LIF(method="euler"), 3,
                                                                ns.poisson_input(np.ones(2), 0.1, 2))
                                          .simulate(n_steps=10), "rate of population 'E'"),
}


@pytest.mark.parametrize("label", BAD)
def test_bad_input_is_refused_before_any_kernel_runs(label, engine_kernels_forbidden):
    call, named = BAD[label]
    with pytest.raises(ValueError) as raised:
        call()
    assert named in str(raised.value)
