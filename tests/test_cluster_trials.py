"""Trials of one simulation on a dask.distributed cluster (``simulate(client=...)``): the merged result equals the
local run bit for bit, a killed worker's trials are run again, bad arguments are refused before anything runs."""

import os
import signal
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp

import nsnn_sim as ns
from nsnn_sim.simulator import cluster, engine
from nsnn_sim.simulator.brunel import brunel_model_a
from nsnn_sim.simulator.state import ExpSynapse

distributed = pytest.importorskip("distributed")

N_NEURONS, N_STEPS, N_TRIALS = 40, 300, 5


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each (one LocalCluster for the module: starting one takes seconds)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env={"NUMBA_NUM_THREADS": "1"}) as local_cluster, \
            distributed.Client(local_cluster) as connected:
        yield connected


def _recurrent(seed=4, receptor=None):
    weights = sp.random(N_NEURONS, N_NEURONS, density=0.2, random_state=seed, format="csr") * 0.4
    delays = weights.copy()
    delays.data = np.random.default_rng(seed).integers(2, 5, delays.data.size) * 1e-4  # 2-4 steps of dt = 0.1 ms
    return ns.connect(weights, delays, receptor=receptor)


def _per_trial_current(mean=0.8):
    return np.random.default_rng(7).normal(mean, 0.3, (N_TRIALS, N_STEPS, N_NEURONS))


def _per_trial_spike_trains():
    """Input spike trains that differ between trials: about 8 spikes per trial and neuron, at steps of the run."""
    rng = np.random.default_rng(9)
    n_spikes = N_TRIALS * N_NEURONS * 8
    return ns.SpikeTrains(trial=rng.integers(0, N_TRIALS, n_spikes), neuron=rng.integers(0, N_NEURONS, n_spikes),
                          step=rng.integers(0, N_STEPS, n_spikes), dt=1e-4, n_trials=N_TRIALS, n_neurons=N_NEURONS,
                          n_steps=N_STEPS)


def _runs():
    """(name, model, arguments of simulate): the three kernels (unconnected, recurrent, neurons with more state),
    each with per-trial currents, a Poisson drive and recorded membranes (the state kernel: variables every 7 steps,
    the spikes of half the neurons and the counts of two populations); and every input that differs between trials
    at once: a current into a synapse, an inhomogeneous Poisson rate and spike trains, each per trial."""
    per_trial_start = np.random.default_rng(8).uniform(0.0, 0.9, (N_TRIALS, N_NEURONS))
    common = dict(n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=11, record_state=[0, 3, 39],
                  n_threads=1)
    return [
        ("unconnected", ns.LIF(sigma=0.5, dt=1e-4, method="euler"),
         dict(common, inputs=[_per_trial_current(), ns.poisson_input(300.0, 0.05, 10)])),
        ("recurrent", ns.LIF(sigma=0.4, dt=1e-4, method="euler"),
         dict(common, inputs=(ns.poisson_input(200.0, 0.05, 10), _per_trial_current(0.6)), connections=_recurrent(),
              initial_state=per_trial_start)),
        ("state", ns.LIF(sigma=0.3, dt=1e-4, synapses={"exc": ExpSynapse(2e-3)}, method="euler"),
         dict(common, inputs=[_per_trial_current(0.7), ns.poisson_input(300.0, 0.3, 10, receptor="exc")],
              connections=_recurrent(receptor="exc"), record_state={"u": [0, 3], "I_exc": [39]}, state_every=7,
              record_spikes=np.arange(20), record_rate={"low": np.arange(20), "high": np.arange(20, 40)})),
        ("per-trial sources", ns.LIF(sigma=0.3, dt=1e-4, synapses={"exc": ExpSynapse(2e-3), "inh": ExpSynapse(5e-3)},
                                     method="euler"),
         dict(common, inputs=[ns.current_input(_per_trial_current(0.9), "exc"),
                              ns.inhomogeneous_poisson_input(np.random.default_rng(10).uniform(
                                  0.0, 600.0, (N_TRIALS, N_STEPS, N_NEURONS)), 0.2, 10, receptor="exc"),
                              ns.spike_input(_per_trial_spike_trains(), -0.3, receptor="inh")],
              record_state={"u": [0, 3], "I_inh": [39]})),
    ]


RUNS = {name: (model, arguments) for name, model, arguments in _runs()}
_LOCAL = {}


def _local(name):
    """The local run of ``RUNS[name]`` (computed once)."""
    if name not in _LOCAL:
        model, arguments = RUNS[name]
        _LOCAL[name] = ns.simulate(model, **arguments)
    return _LOCAL[name]


def _assert_identical(result, local):
    assert result.spikes == local.spikes
    np.testing.assert_array_equal(result.state, local.state)  # bit for bit: no tolerance
    np.testing.assert_array_equal(result.state_neurons, local.state_neurons)
    assert result.state_variables == local.state_variables and result.state_every == local.state_every
    np.testing.assert_array_equal(result.spike_neurons, local.spike_neurons)
    if local.rate_counts is not None:
        np.testing.assert_array_equal(result.rate_counts, local.rate_counts)
    assert (result.seed, result.inputs_description, result.connections_description) == (
        local.seed, local.inputs_description, local.connections_description)


@pytest.mark.parametrize("name", list(RUNS))
def test_trials_from_their_first_trial_equal_those_trials_of_the_whole_run(name):
    """The engine's part (no cluster): trials 1..3 run alone from ``first_trial=1`` are trials 1..3 of the run."""
    model, arguments = RUNS[name]
    local = _local(name)
    part = dict(arguments, inputs=cluster.trials_of(arguments["inputs"], 1, 4), n_trials=3, duration=None,
                initial_state=cluster.trials_of_initial_state(arguments.get("initial_state"), 1, 4),
                connections=arguments.get("connections"), progress=False)
    result = engine._simulate(model, first_trial=1, **part)
    in_part = (local.spikes.trial >= 1) & (local.spikes.trial < 4)
    assert in_part.sum() > 100 and in_part.sum() < len(local.spikes)  # trials 1..3 fired, and others did too
    np.testing.assert_array_equal(result.spikes.trial, local.spikes.trial[in_part] - 1)
    np.testing.assert_array_equal(result.spikes.neuron, local.spikes.neuron[in_part])
    np.testing.assert_array_equal(result.spikes.step, local.spikes.step[in_part])
    np.testing.assert_array_equal(result.state, local.state[1:4])
    if local.rate_counts is not None:
        np.testing.assert_array_equal(result.rate_counts, local.rate_counts[1:4])


@pytest.mark.parametrize("name, trials_per_task", [("unconnected", None), ("unconnected", 2), ("recurrent", 1),
                                                   ("recurrent", 3), ("state", None),
                                                   ("per-trial sources", 2)])
def test_trials_on_two_workers_equal_the_local_run_bit_for_bit(client, name, trials_per_task):
    model, arguments = RUNS[name]
    result = ns.simulate(model, client=client, trials_per_task=trials_per_task, **arguments)
    _assert_identical(result, _local(name))
    assert result.run_time > 0.0 and result.compile_time >= 0.0  # sums over the tasks


def test_a_network_of_populations_on_two_workers_equals_its_local_run(client):
    """Brunel's model A (``Network.simulate`` passes ``client`` on): spikes and population rates, for a split of
    one trial per task and per-trial initial membranes."""
    network = brunel_model_a(n_excitatory=160, epsilon=0.1, j=0.5, seed=2).network
    start = {"E": np.random.default_rng(3).uniform(0.0, 0.9, (3, 160))}
    local = network.simulate(n_steps=400, n_trials=3, seed=5, initial_state=start, n_threads=1)
    result = network.simulate(n_steps=400, n_trials=3, seed=5, initial_state=start, n_threads=1, client=client,
                              trials_per_task=1)
    assert len(local.spikes) > 100 and result.spikes == local.spikes
    np.testing.assert_array_equal(result.spike_counts, local.spike_counts)


def test_trials_split_evenly_over_the_worker_threads_by_default():
    assert cluster.trial_chunks(5, None, 2) == [(0, 3), (3, 5)]
    assert cluster.trial_chunks(5, 2, 2) == [(0, 2), (2, 4), (4, 5)]
    assert cluster.trial_chunks(1, None, 8) == [(0, 1)]


def test_only_per_trial_inputs_are_sliced():
    current, poisson = np.arange(24.0).reshape(4, 3, 2), ns.poisson_input(10.0, 0.1, 2)
    tail = cluster.trials_of((poisson, current), 1, 3)
    assert isinstance(tail, tuple) and tail[0] is poisson
    np.testing.assert_array_equal(tail[1], current[1:3])
    shared = np.ones((3, 2))
    assert cluster.trials_of(shared, 1, 3) is shared and cluster.trials_of(0.5, 0, 1) == 0.5
    both = [shared, poisson]
    assert cluster.trials_of(both, 1, 3) is both
    per_neuron = shared[0]
    assert cluster.trials_of_initial_state(per_neuron, 1, 3) is per_neuron
    np.testing.assert_array_equal(cluster.trials_of_initial_state(current[:, 0], 1, 3), current[1:3, 0])


def test_the_shared_arguments_are_apart_from_each_tasks_trials():
    current, start = np.arange(24.0).reshape(4, 3, 2), np.zeros(2)
    shared, tasks = cluster.split_trials(dict(inputs=current, initial_state=start, seed=1, n_trials=4),
                                         [(0, 3), (3, 4)])
    assert shared == dict(initial_state=start, seed=1)
    assert [(task["first_trial"], task["n_trials"]) for task in tasks] == [(0, 3), (3, 1)]
    np.testing.assert_array_equal(tasks[1]["inputs"], current[3:])
    shared, tasks = cluster.split_trials(dict(inputs=0.5, initial_state=current[:, 0]), [(0, 2), (2, 4)])
    assert shared == dict(inputs=0.5) and np.array_equal(tasks[1]["initial_state"], current[2:, 0])


class _Nthreads:
    """Stands for a client in :func:`cluster.worker_threads`, which asks it only ``nthreads()``."""

    def __init__(self, threads):
        self.threads = threads

    def nthreads(self):
        return self.threads


def test_worker_threads_are_the_sum_over_the_workers_and_at_least_one():
    assert cluster.worker_threads(_Nthreads({"tcp://a": 1})) == 1
    assert cluster.worker_threads(_Nthreads({"tcp://a": 2, "tcp://b": 3})) == 5
    assert cluster.worker_threads(_Nthreads({})) == 1  # no worker yet: one task per trial run is still planned


def test_the_merge_of_one_task_is_its_result():
    local = _local("state")
    merged = cluster.merged([local], local.inputs_description)
    _assert_identical(merged, local)
    assert (merged.run_time, merged.compile_time) == (local.run_time, local.compile_time)


def _tasks(n_tasks):
    return [dict(n_trials=1, first_trial=first) for first in range(n_tasks)], [(k, k + 1) for k in range(n_tasks)]


class _Bar:
    """Records what run_tasks does with its progress bar."""

    def __init__(self, total, enabled, desc, unit):
        self.total, self.done, self.closed = total, 0, False

    def update(self, n):
        self.done += n

    def close(self):
        self.closed = True


def test_run_tasks_returns_the_results_in_task_order_and_advances_the_bar_once_per_task(client, monkeypatch):
    bars = []
    monkeypatch.setattr(cluster, "progress_bar", lambda *args: bars.append(_Bar(*args)) or bars[-1])

    def first_of(n_trials, first_trial, offset):
        return first_trial + offset

    tasks, chunks = _tasks(4)
    assert cluster.run_tasks(client, first_of, dict(offset=10), tasks, chunks, True) == [10, 11, 12, 13]
    assert [(bar.total, bar.done, bar.closed) for bar in bars] == [(4, 4, True)]


def test_a_task_that_raises_ends_run_tasks_with_its_error(client):
    def fails_at_trial_2(n_trials, first_trial):
        if first_trial == 2:
            raise ArithmeticError(f"trial {first_trial} failed")
        return first_trial

    tasks, chunks = _tasks(3)
    with pytest.raises(ArithmeticError, match="trial 2 failed"):
        cluster.run_tasks(client, fails_at_trial_2, {}, tasks, chunks, False)


def test_a_task_that_kills_every_worker_it_runs_on_ends_the_call_naming_its_trials(client):
    """The scheduler gives up on a task after ``allowed-failures`` + 1 = 4 dead workers (dask's default): the call
    ends with a RuntimeError naming its trials and that count."""
    def killed(n_trials, first_trial):
        os.kill(os.getpid(), signal.SIGKILL)  # as a crash or the OOM killer would

    client.wait_for_workers(2, timeout=60)
    with pytest.raises(RuntimeError, match=r"the task of trials 3\.\.3 killed its worker 4 times"):
        cluster.run_tasks(client, killed, {}, [dict(n_trials=1, first_trial=3)], [(3, 4)], False)
    client.wait_for_workers(2, timeout=60)  # the nannies restart them for the tests after this one


def _long_run():
    """Four trials of about half a second each on one thread: a kill lands while tasks are running."""
    return ns.LIF(sigma=0.5, dt=1e-4, method="euler"), dict(inputs=0.9, n_neurons=200, n_steps=100_000, n_trials=4,
                                                            seed=2,
                                             n_threads=1)


def test_the_trials_of_a_killed_worker_are_run_again(client):
    model, arguments = _long_run()
    local = ns.simulate(model, **arguments)
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)
    killed = []

    def kill_a_busy_worker():
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            busy = [(address, key) for address, keys in client.processing().items() for key in keys
                    if "-trials-" in str(key)]
            if busy:
                address, key = busy[0]
                killed.append((pids[address], key))
                os.kill(pids[address], signal.SIGKILL)  # as a crash or the OOM killer would
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    result = ns.simulate(model, client=client, trials_per_task=1, **arguments)
    killer.join()
    assert killed  # a worker died while it ran a task of trials
    pid, key = killed[0]
    # the scheduler's transitions (source, key, from, to, ...): the killed task was sent to a worker twice
    started = [event for event in client.story(key) if event[:2] == ("scheduler", key) and event[3] == "processing"]
    assert len(started) == 2
    _assert_identical(result, local)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the tests after this one
    assert pid not in client.run(os.getpid).values()


@pytest.fixture
def nothing_runs(engine_kernels_forbidden, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a task ran before the arguments were checked")

    monkeypatch.setattr(cluster, "run_tasks", forbidden)


@pytest.mark.parametrize("arguments, error, pattern", [
    (dict(trials_per_task=0), ValueError, r"trials_per_task=0 must be in \[1, 5\]"),
    (dict(trials_per_task=6), ValueError, r"trials_per_task=6 must be in \[1, 5\]"),
    (dict(trials_per_task=2.0), TypeError, r"trials_per_task must be an integer"),
    (dict(inputs=np.zeros((4, N_STEPS, N_NEURONS))), ValueError, r"inputs has shape \(4, 300, 40\)"),
    (dict(initial_state=np.zeros((4, N_NEURONS))), ValueError, r"initial_state has shape \(4, 40\)"),
    (dict(n_threads=0), ValueError, r"n_threads=0"),
    (dict(progress="yes"), TypeError, r"progress must be"),
    (dict(n_steps=10**7, n_neurons=2000, record_state=np.arange(2000)), MemoryError, r"record_state"),
])
def test_bad_arguments_with_a_client_are_refused_before_any_task(client, nothing_runs, arguments, error, pattern):
    with pytest.raises(error, match=pattern):
        ns.simulate(ns.LIF(method="euler"), **dict(dict(inputs=0.9, n_neurons=N_NEURONS, n_steps=N_STEPS,
                                                        n_trials=N_TRIALS),
                                     client=client, **arguments))


@pytest.mark.parametrize("arguments, error, pattern", [
    (dict(client="tcp://localhost:8786"), TypeError, r"client must be a distributed.Client.*'tcp://localhost:8786'"),
    (dict(client=object()), TypeError, r"client must be a distributed.Client"),
    (dict(trials_per_task=2), ValueError, r"trials_per_task=2 needs client="),
])
def test_a_client_that_is_not_a_client_is_refused(nothing_runs, arguments, error, pattern):
    with pytest.raises(error, match=pattern):
        ns.simulate(ns.LIF(method="euler"), 0.9, n_trials=N_TRIALS, **arguments)
