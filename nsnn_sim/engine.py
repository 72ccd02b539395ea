"""The Numba kernels that run a model, and :func:`simulate`, which validates and schedules them.

Work is split into independent tasks run on a pool of threads (the kernels release the GIL):

* without recurrent connections, a task is one trial and a block of neurons, simulated
  neuron-major (each neuron's whole time course with its state in registers);
* with recurrent connections, a task is one trial, simulated step by step; spikes are pushed into a
  ring buffer of future inputs in neuron order.

Every random number is drawn from the counter stream of its (seed, trial, neuron, purpose)
(:mod:`nsnn_sim.rng`), and tasks are combined in a fixed order, so the result is bit-identical for
any number of threads, and trial ``k`` is the same whichever other trials are run beside it.
Spikes are recorded sparsely into per-task buffers; no neurons x steps array is ever allocated
unless ``record_state`` asks for one.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

from nsnn_sim import rng
from nsnn_sim.neurons import neuron_constants, neuron_step, rule_codes
from nsnn_sim.network import Connections, connect, describe_inputs, prepare_inputs
from nsnn_sim.spikes import SimulationResult, SpikeTrains
from nsnn_sim.validation import float_array, whole_number

__all__ = ["simulate"]

_INITIAL_CAPACITY = 1024
_MAX_SEED = 2**63 - 1
_MAX_ID = 2**31 - 1  # trial and neuron ids are stored as int32


# --------------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _binomial(n, p, u):
    """Inverse-cdf draw from Binomial(n, p) with one uniform ``u`` (pmf recursion, O(n*min(p, 1-p))).

    For ``p > 1/2`` it draws ``n - Binomial(n, 1 - p)`` with ``1 - u``, so ``(1 - p)**n`` never
    underflows; should rounding leave the cumulative sum just below ``u``, the search stops in the
    tail where the pmf no longer changes the sum.
    """
    if p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    flip = p > 0.5
    if flip:
        p = 1.0 - p
        u = 1.0 - u
    ratio = p / (1.0 - p)
    mean = n * p
    pmf = math.exp(n * math.log1p(-p))
    cumulative = pmf
    k = 0
    while u > cumulative and k < n:
        pmf *= ratio * (n - k) / (k + 1)
        if k > mean and cumulative + pmf == cumulative:
            break  # beyond the mode and below the sum's resolution: the rest of the tail is < 1e-16
        k += 1
        cumulative += pmf
    return n - k if flip else k


@njit(cache=True, inline="always")
def _poisson_jump(inputs, i, step, poisson_keys):
    jump = 0.0
    for group in range(poisson_keys.size):
        probability = inputs.poisson_probability[group, i]
        if probability > 0.0:
            count = _binomial(inputs.poisson_sources[group], probability,
                              rng.uniform(poisson_keys[group], step))
            jump += count * inputs.poisson_weight[group, i]
    return jump


@njit(cache=True, inline="always")
def _empty_spike_buffers():
    """Growable (neuron, step) buffers for one task and their fill count."""
    return np.empty(_INITIAL_CAPACITY, dtype=np.int32), np.empty(_INITIAL_CAPACITY, dtype=np.int64), 0


@njit(cache=True, inline="always")
def _append_spike(neurons, steps, count, neuron, step):
    """Append (neuron, step) at ``count``, doubling the buffers when full."""
    if count == neurons.size:
        bigger_neurons = np.empty(2 * count, dtype=neurons.dtype)
        bigger_steps = np.empty(2 * count, dtype=steps.dtype)
        bigger_neurons[:count] = neurons
        bigger_steps[:count] = steps
        neurons, steps = bigger_neurons, bigger_steps
    neurons[count] = neuron
    steps[count] = step
    return neurons, steps, count + 1


@njit(cache=True, inline="always")
def _neuron_keys(seed, trial, neuron, n_groups, poisson_keys):
    for group in range(n_groups):
        poisson_keys[group] = rng._key(seed, trial, neuron, rng.POISSON + group)
    return (rng._key(seed, trial, neuron, rng.MEMBRANE),
            rng._key(seed, trial, neuron, rng.FIRING),
            rng._key(seed, trial, neuron, rng.BRIDGE))


@njit(cache=True, nogil=True)
def _run_block(p, inputs, initial, seed, trial, start, stop, n_steps, record_column, state):
    """Neurons ``start:stop`` of one trial, no recurrence. Returns spike (neuron, step), neuron-major."""
    neurons, steps, count = _empty_spike_buffers()
    n_groups = inputs.poisson_sources.size
    poisson_keys = np.empty(n_groups, dtype=np.uint64)
    codes = rule_codes(p)
    current = inputs.current
    for i in range(start, stop):
        keys = _neuron_keys(seed, trial, i, n_groups, poisson_keys)
        constants = neuron_constants(p, i)
        u = initial[trial, i]
        refractory_left = 0
        column = record_column[i]
        for step in range(n_steps):
            jump = _poisson_jump(inputs, i, step, poisson_keys) if n_groups > 0 else 0.0
            u, refractory_left, spike = neuron_step(constants, codes, u, refractory_left,
                                                    current[trial, step, i], jump, step, keys)
            if spike:
                neurons, steps, count = _append_spike(neurons, steps, count, i, step)
            if column >= 0:
                state[trial, step, column] = u
    return neurons[:count].copy(), steps[:count].copy()


@njit(cache=True, nogil=True)
def _run_trial_connected(p, inputs, initial, synapses, seed, trial, n_neurons, n_steps, record_column, state):
    """One trial of a recurrent network, step by step. Returns spike (neuron, step), step-major."""
    neurons, steps, count = _empty_spike_buffers()
    n_groups = inputs.poisson_sources.size
    keys = np.empty((n_neurons, 3), dtype=np.uint64)
    poisson_keys = np.empty((n_neurons, n_groups), dtype=np.uint64)
    for i in range(n_neurons):
        keys[i, 0], keys[i, 1], keys[i, 2] = _neuron_keys(seed, trial, i, n_groups, poisson_keys[i])
    codes = rule_codes(p)
    u = initial[trial].copy()
    refractory_left = np.zeros(n_neurons, dtype=np.int64)
    ring_length = min(synapses.max_delay, n_steps) + 1  # longer delays arrive after the run
    arriving = np.zeros((ring_length, n_neurons))
    for step in range(n_steps):
        row = step % ring_length
        for i in range(n_neurons):
            jump = arriving[row, i]
            arriving[row, i] = 0.0
            if n_groups > 0:
                jump += _poisson_jump(inputs, i, step, poisson_keys[i])
            u[i], refractory_left[i], spike = neuron_step(
                neuron_constants(p, i), codes, u[i], refractory_left[i], inputs.current[trial, step, i],
                jump, step, (keys[i, 0], keys[i, 1], keys[i, 2]))
            if spike:
                neurons, steps, count = _append_spike(neurons, steps, count, i, step)
                for synapse in range(synapses.indptr[i], synapses.indptr[i + 1]):
                    arrival = step + synapses.delay[synapse]
                    if arrival < n_steps:
                        arriving[arrival % ring_length, synapses.post[synapse]] += synapses.weight[synapse]
            column = record_column[i]
            if column >= 0:
                state[trial, step, column] = u[i]
    return neurons[:count].copy(), steps[:count].copy()


# --------------------------------------------------------------------------------------------------
# simulate
# --------------------------------------------------------------------------------------------------
def simulate(model, inputs=0.0, n_neurons: int = 1, n_steps: int = 1000, n_trials: int = 1,
             seed: int = 0, connections=None, record_state=None, initial_state=None,
             n_threads: int | None = None) -> SimulationResult:
    """Simulate ``n_trials`` independent trials of a population of ``n_neurons`` model neurons.

    Each step of each neuron applies the one neuron equation (:func:`nsnn_sim.neurons.neuron_step`)::

        u <- alpha*u + gain*I(t) + offset + J(t) [+ noise];  s <- fire(u);  u <- reset(u, s)

    with ``I`` from ``inputs`` and ``J`` the Poisson and recurrent spikes arriving this step.

    Parameters
    ----------
    model : NSNN or LIF
        The neuron model (scalar or per-neuron parameters).
    inputs : float, array, PoissonInput or list
        Current ``I(t)``: scalar, ``(n_neurons,)``, ``(n_steps, n_neurons)`` or
        ``(n_trials, n_steps, n_neurons)``; and/or :func:`nsnn_sim.poisson_input` drives.
    n_neurons, n_steps, n_trials : int
        Population size, steps per trial (of ``model.dt`` seconds), trials; each >= 1.
    seed : int
        Integer in [0, 2**63): the result depends only on (model, inputs, connections, seed).
    connections : Connections, array or scipy.sparse matrix, optional
        Recurrent weights ``W[post, pre]``; a bare matrix means a delay of 1 step
        (:func:`nsnn_sim.connect` sets other delays).
    record_state : array of int, optional
        Indices of the neurons whose ``u`` (after reset) is recorded at every step.
    initial_state : float or array, optional
        ``u`` before the first step: scalar, ``(n_neurons,)`` or ``(n_trials, n_neurons)``
        (default: ``u_rest`` for the LIF, 0 for the NSNN).
    n_threads : int, optional
        Worker threads (default: Numba's thread count, ``NUMBA_NUM_THREADS``); the result does not
        depend on it.

    Returns
    -------
    SimulationResult
        ``.spikes`` (:class:`SpikeTrains`), ``.state`` ``(n_trials, n_steps, n_recorded)`` or None.
    """
    if not hasattr(model, "compile"):
        raise TypeError(f"model must be a neuron model (NSNN or LIF), got {type(model).__name__}")
    n_neurons = whole_number("n_neurons", n_neurons, maximum=_MAX_ID)
    n_steps = whole_number("n_steps", n_steps)
    n_trials = whole_number("n_trials", n_trials, maximum=_MAX_ID)
    seed = whole_number("seed", seed, minimum=0, maximum=_MAX_SEED)
    n_threads = _threads(n_threads)
    compiled = model.compile(n_neurons)
    compiled_inputs = prepare_inputs(inputs, n_neurons, n_steps, n_trials, model.dt)
    initial = initial_membrane(compiled, initial_state, n_neurons, n_trials)
    synapses = _compile_connections(connections, n_neurons)
    recorded = _recorded_neurons(record_state, n_neurons)
    record_column = np.full(n_neurons, -1, dtype=np.int64)
    record_column[recorded] = np.arange(recorded.size)
    state = np.zeros((n_trials, n_steps, recorded.size)) if recorded.size else np.zeros((0, 0, 0))

    seed_u64 = np.uint64(seed)
    if synapses is None:
        tasks = [(trial, start, stop) for trial in range(n_trials)
                 for start, stop in _blocks(n_neurons, n_trials, n_threads)]

        def run(task):
            trial, start, stop = task
            return _run_block(compiled, compiled_inputs, initial, seed_u64, np.int64(trial), np.int64(start),
                              np.int64(stop), np.int64(n_steps), record_column, state)
    else:
        tasks = [(trial, 0, n_neurons) for trial in range(n_trials)]

        def run(task):
            trial = task[0]
            neurons, steps = _run_trial_connected(
                compiled, compiled_inputs, initial, synapses, seed_u64, np.int64(trial), np.int64(n_neurons),
                np.int64(n_steps), record_column, state)
            order = np.lexsort((steps, neurons))
            return neurons[order], steps[order]

    start_time = time.perf_counter()
    if n_threads == 1 or len(tasks) == 1:
        outputs = [run(task) for task in tasks]
    else:
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            outputs = list(pool.map(run, tasks))
    wall_time = time.perf_counter() - start_time

    trial_ids = np.concatenate([np.full(out[0].size, task[0], dtype=np.int32)
                                for task, out in zip(tasks, outputs)])
    spikes = SpikeTrains(
        trial=trial_ids,
        neuron=np.concatenate([out[0] for out in outputs]),
        step=np.concatenate([out[1] for out in outputs]),
        dt=model.dt, n_trials=n_trials, n_neurons=n_neurons, n_steps=n_steps,
        assume_sorted=True,
    )
    return SimulationResult(
        spikes=spikes,
        state=state if recorded.size else None,
        state_neurons=recorded,
        model=model,
        seed=seed,
        inputs_description=describe_inputs(inputs),
        connections_description=_describe_connections(synapses, n_neurons),
        wall_time=wall_time,
    )


def initial_membrane(compiled, initial_state, n_neurons: int, n_trials: int) -> np.ndarray:
    """``u`` before the first step as an ``(n_trials, n_neurons)`` float64 array (possibly a view)."""
    if initial_state is None:
        return np.broadcast_to(compiled.u_initial, (n_trials, n_neurons))
    array = float_array("initial_state", initial_state)
    allowed = {0: (), 1: (n_neurons,), 2: (n_trials, n_neurons)}
    if array.ndim not in allowed or array.shape != allowed[array.ndim]:
        raise ValueError(f"initial_state has shape {array.shape}; allowed: scalar, (n_neurons,) = ({n_neurons},) "
                         f"or (n_trials, n_neurons) = ({n_trials}, {n_neurons})")
    if not np.all(np.isfinite(array)):
        raise ValueError("initial_state must be finite (no NaN or inf)")
    return np.broadcast_to(array, (n_trials, n_neurons))


def _blocks(n_neurons: int, n_trials: int, n_threads: int) -> list[tuple[int, int]]:
    """Split the neurons of one trial into blocks: enough tasks overall to keep threads busy."""
    tasks_wanted = 8 * n_threads
    blocks_per_trial = max(1, min(n_neurons // 64, math.ceil(tasks_wanted / n_trials)))
    edges = np.linspace(0, n_neurons, blocks_per_trial + 1).astype(np.int64)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _compile_connections(connections, n_neurons):
    if connections is None:
        return None
    if not isinstance(connections, Connections):
        connections = connect(connections)
    return connections.compile(n_neurons)


def _describe_connections(synapses, n_neurons) -> str:
    if synapses is None:
        return "none"
    return (f"{synapses.post.size} synapses among {n_neurons} neurons, delays "
            f"{int(synapses.delay.min()) if synapses.delay.size else 0}-{synapses.max_delay} steps")


def _threads(value) -> int:
    if value is None:
        return int(numba.config.NUMBA_NUM_THREADS) or (os.cpu_count() or 1)
    return whole_number("n_threads", value)


def _recorded_neurons(record_state, n_neurons: int) -> np.ndarray:
    if record_state is None:
        return np.zeros(0, dtype=np.int64)
    if isinstance(record_state, (bool, np.bool_, str)):
        raise TypeError(f"record_state must be an array of neuron indices, got {record_state!r}")
    indices = np.atleast_1d(np.asarray(record_state))
    if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
        raise TypeError(f"record_state must be a 1-D array of integer neuron indices, got {record_state!r}")
    if indices.size and (indices.min() < 0 or indices.max() >= n_neurons):
        raise ValueError(f"record_state indices must lie in [0, {n_neurons}), got {indices.min()}..{indices.max()}")
    if np.unique(indices).size != indices.size:
        raise ValueError("record_state indices must be unique")
    return indices.astype(np.int64)
