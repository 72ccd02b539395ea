"""Populations joined end to end (nsnn_sim.simulator.concatenate), exact checks that run no kernel: one population
joins to itself (a network of one population), a current constant over trials stays one trial viewed n_trials
times, and inhomogeneous Poisson drives keep each population's course in every trial."""

import numpy as np

import nsnn_sim as ns
from nsnn_sim.simulator.concatenate import concatenate_inputs, concatenate_models
from nsnn_sim.simulator.network import InhomogeneousPoissonInput, PoissonInput
from nsnn_sim.simulator.state import ExpSynapse


def test_the_joined_model_and_inputs_of_one_population_are_its_own():
    model = ns.LIF(tau=15e-3, sigma=0.3, synapses={"exc": ExpSynapse(2e-3)}, method="euler")
    assert concatenate_models([model], [3], ["E"]).to_dict() == model.to_dict()
    assert concatenate_inputs([0.7], [3], ["E"], None, 1) == 0.7
    # one neuron with a drive: the scalar form a single population's drive has
    drive = concatenate_inputs([ns.poisson_input(100.0, 0.1, 5)], [1], ["E"], None, 1)
    assert isinstance(drive, PoissonInput) and (drive.rate, drive.weight, drive.n_sources) == (100.0, 0.1, 5)


def test_a_joined_current_the_same_in_every_trial_is_one_trial_viewed_n_trials_times():
    """Currents ``(n_steps, n_k)`` join to ``(n_trials, n_steps, N)`` with a zero stride over trials (docstring of
    _joined_current): the memory of one trial, whatever n_trials."""
    e, i = np.arange(15.0).reshape(5, 3), np.full((5, 2), 0.2)
    joined = concatenate_inputs([e, i], [3, 2], ["E", "I"], 5, 4)
    assert joined.shape == (4, 5, 5) and joined.strides[0] == 0
    np.testing.assert_array_equal(joined[3], np.c_[e, i])


def test_joined_inhomogeneous_drives_keep_each_populations_course_in_every_trial():
    """E's course differs between trials (2, 5, 3), I's is one course (5, 2), a 1-D course is the same for every
    neuron: in either order they join one group ``(n_trials, n_steps, N)`` with each population's course on its
    neurons in every trial."""
    generator = np.random.default_rng(3)
    per_trial, shared = generator.uniform(0.0, 500.0, (2, 5, 3)), generator.uniform(0.0, 500.0, (5, 2))
    e, i = ns.inhomogeneous_poisson_input(per_trial, 0.1, 4), ns.inhomogeneous_poisson_input(shared, 0.2, 4)
    for order in ((e, i), (i, e)):
        sizes = [3, 2] if order[0] is e else [2, 3]
        joined = concatenate_inputs(list(order), sizes, ["A", "B"], 5, 2)
        assert isinstance(joined, InhomogeneousPoissonInput) and joined.rate.shape == (2, 5, 5)
        columns = {"e": slice(0, 3), "i": slice(3, 5)} if order[0] is e else {"i": slice(0, 2), "e": slice(2, 5)}
        np.testing.assert_array_equal(joined.rate[:, :, columns["e"]], per_trial)
        np.testing.assert_array_equal(joined.rate[:, :, columns["i"]], np.broadcast_to(shared, (2, 5, 2)))
    course = np.linspace(100.0, 500.0, 5)
    joined = concatenate_inputs([ns.inhomogeneous_poisson_input(course, 0.1, 4)], [2], ["E"], 5, 3)
    assert joined.rate.shape == (3, 5, 2)
    np.testing.assert_array_equal(joined.rate, np.broadcast_to(course[None, :, None], (3, 5, 2)))


def test_a_drive_of_one_population_keeps_per_neuron_values_and_a_shared_one_is_a_scalar():
    """Poisson drives of the same kind join into one group: on E only (I gets weight and rate 0) they stay per
    neuron; the same drive on every neuron of both becomes the scalar form. A spike input to I only has weight 0 on
    E's neurons."""
    drive = ns.poisson_input(100.0, 0.1, 5)
    joined = concatenate_inputs([drive, 0.0], [3, 2], ["E", "I"], None, 1)
    assert isinstance(joined, PoissonInput)
    np.testing.assert_array_equal(joined.weight, [0.1, 0.1, 0.1, 0.0, 0.0])
    np.testing.assert_array_equal(joined.rate, [100.0, 100.0, 100.0, 0.0, 0.0])
    both = concatenate_inputs([drive, drive], [3, 2], ["E", "I"], None, 1)
    assert (both.rate, both.weight, both.n_sources) == (100.0, 0.1, 5)
    spikes = concatenate_inputs([0.0, ns.spike_input([[0.001], [0.002]], 0.3)], [3, 2], ["E", "I"], None, 1)
    np.testing.assert_array_equal(spikes.weight, [0.0, 0.0, 0.0, 0.3, 0.3])
