"""The Numba kernels that run a model, and :func:`simulate`, which validates and schedules them.

Work is split into independent tasks:

* without recurrent connections, a task is one trial and a block of neurons, simulated
  neuron-major (each neuron's whole time course with its state in registers), on a pool of
  threads (the kernel releases the GIL);
* with recurrent connections, one parallel (``prange``) kernel runs all trials, ``min_delay``
  steps at a time (no spike arrives sooner): (trial, block of neurons) tasks update their neurons
  for those steps, then, after a barrier, push the spikes into a ring buffer of future inputs, each
  task owning a range of postsynaptic neurons and taking the spikes step by step in neuron order.

The hot loops never reassign an array (Numba would count references at every step), draw Gaussian
membrane noise with the ziggurat (:func:`nsnn_sim.simulator.rng.normal`) and Poisson input counts from
cumulative binomial tables built once per run.

Every random number is drawn from the counter stream of its (seed, trial, neuron, purpose)
(:mod:`nsnn_sim.simulator.rng`), and tasks are combined in a fixed order, so the result is bit-identical for
any number of threads, and trial ``k`` is the same whichever other trials are run beside it.
Spikes are recorded sparsely into per-task buffers (of the neurons ``record_spikes`` names), spike counts per
step of the populations ``record_rate`` names are accumulated in place, and the variables ``record_state`` names
are written every ``state_every`` steps into an array made before the run
(:mod:`nsnn_sim.simulator.recording`); no neurons x steps array is ever allocated otherwise.

Examples
--------
>>> from nsnn_sim import LIF, theory
>>> from nsnn_sim.simulator.engine import simulate
>>> model = LIF(tau=10e-3, noise="none", dt=1e-4)
>>> result = simulate(model, inputs=1.5, n_neurons=3, n_steps=10_000, seed=0)
>>> result.spikes.rates().values.round(1).tolist()  # Euler steps of 0.1 ms
[[90.0, 90.0, 90.0]]
>>> round(theory.noise_free_rate(1.5, tau=10e-3), 1)  # continuous time
91.0
"""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import NamedTuple

import numba
import numpy as np
from numba import literal_unroll, literally, njit, prange

from nsnn_sim._core.compile_clock import CompileClock
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.memory import require_memory
from nsnn_sim._core.progress import progress_bar, progress_enabled
from nsnn_sim._core.stack import stack_array, stack_words
from nsnn_sim._core.timesteps import seconds_to_steps
from nsnn_sim._core.validation import finite_array, seed_value, whole_number
from nsnn_sim.simulator import cluster, rng
from nsnn_sim.simulator.network import (
    CompiledConnections,
    CompiledInputs,
    Connections,
    PoissonInput,
    ProjectedSpikes,
    SpikeInput,
    _input_items,
    connect,
    current_receptor,
    describe_inputs,
    prepare_inputs,
)
from nsnn_sim.simulator.neurons import neuron_constants, neuron_update, rule_codes
from nsnn_sim.simulator.noise import NONE
from nsnn_sim.simulator.recording import Recording, compile_recording
from nsnn_sim.simulator.results import SimulationResult, state_from_kernel
from nsnn_sim.simulator.rules import CROSSING_GRID, FIRING_MEMBRANE, RESET_ZERO
from nsnn_sim.simulator.state import PAIR_ROW, pack, pair_lane, pair_update, state_draws, state_update
from nsnn_sim.spikes import SpikeTrains

__all__ = ["simulate"]

_INITIAL_CAPACITY = 1024
_MAX_ID = 2**31 - 1  # trial and neuron ids are stored as int32
_MAX_STEPS = 2**53  # steps are int64 and their times k*dt exact in float64
_BYTES_PER_NEURON = 200  # per-neuron coefficient, state, key and input arrays of one run (with margin)
# below this many neuron-steps between two barriers the recurrent kernel runs on one thread: a barrier
# costs tens of microseconds (measured: 10 neurons x 8 trials, 1-step delays, 17x faster on one thread)
_SERIAL_WORK = 4096
_COMPILING = ("compiling the simulation kernel for this model's configuration (its first use on this machine: "
              "5-30 s, then cached on disk); `nsnn-sim warmup` compiles the common configurations ahead")
_NS_PER_NEURON_STEP = 5.0  # measured: 4.9 ns per neuron-step and thread (benchmarks/results/engine_costs.md)


# --------------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _grown(buffer, count):
    """``buffer`` with twice its capacity, its first ``count`` entries kept."""
    bigger = np.empty(2 * buffer.size, dtype=buffer.dtype)
    for index in range(count):  # a loop, not a slice copy: parallel kernels inline this too
        bigger[index] = buffer[index]
    return bigger


@njit(cache=True)
def _binomial_table(n, p):
    """Cumulative Binomial(n, p) pmf for inverse-cdf draws: ``(cumulative, flip)``.

    The pmf recursion runs from ``k = 0`` (O(n*min(p, 1-p)) entries). For ``p > 1/2`` the table is
    that of ``Binomial(n, 1 - p)`` (``flip``; drawn as ``n - k`` with ``1 - u``), so ``(1 - p)**n``
    never underflows. The table ends at ``k = n`` or, beyond the mean, where the pmf no longer
    changes the sum (the rest of the tail is < 1e-16), so rounding can never run the search away.
    """
    if p <= 0.0:
        return np.ones(1), False
    if p >= 1.0:
        return np.ones(1), True
    flip = p > 0.5
    if flip:
        p = 1.0 - p
    ratio = p / (1.0 - p)
    mean = n * p
    pmf = math.exp(n * math.log1p(-p))
    cumulative = pmf
    table = np.empty(16)
    table[0] = cumulative
    k = 0
    while k < n:
        pmf *= ratio * (n - k) / (k + 1)
        if k > mean and cumulative + pmf == cumulative:
            break
        k += 1
        cumulative += pmf
        if k == table.size:
            table = _grown(table, k)
        table[k] = cumulative
    return table[:k + 1].copy(), flip


@njit(cache=True, inline="always")
def _binomial_lookup(cumulative, row, last, flip, n, u):
    """The draw of uniform ``u`` from the :func:`_binomial_table` in ``cumulative[row]`` (2-D: no
    array view is made in the hot loop), whose last index is ``last``."""
    if flip:
        u = 1.0 - u
    # the first k with u <= cumulative[k] (or last) is the number of entries below u, as the
    # cumulative sums never decrease: counted without branches, which the search mispredicted
    k = 0
    for index in range(last):
        k += u > cumulative[row, index]
    return n - k if flip else k


@njit(cache=True, inline="always")
def _table_count(tables, table, last, flip, n, bits):
    """The draw from Poisson table ``table`` (:class:`PoissonTables`) of the uniform of random word ``bits``
    (:func:`rng.bits_to_uniform`): exactly :func:`_binomial_lookup`'s. Its guide bucket is the word's top bits; most
    buckets hold no table entry and give the draw at once, the others start the search."""
    if flip:
        return _binomial_lookup(tables.cumulative, table, last, flip, n, rng.bits_to_uniform(bits))
    k = tables.guide[table, bits >> _GUIDE_SHIFT]
    if k >= 0:
        return k
    k = ~k
    u = rng.bits_to_uniform(bits)
    while k < last and u > tables.cumulative[table, k]:
        k += 1
    return k


@njit(cache=True, inline="always")
def _binomial_inverse(n, p, u):
    """The draw of uniform ``u`` from Binomial(n, p) without a table: the search of :func:`_binomial_lookup` over
    the cumulative sums of :func:`_binomial_table`, each computed by the same operations in the same order as it
    is needed, so the count is the table's bit for bit (O(count) per draw, nothing allocated): for a rate that
    changes every step."""
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
    while k < n and u > cumulative:
        pmf *= ratio * (n - k) / (k + 1)
        if k > mean and cumulative + pmf == cumulative:
            break  # the table's last entry: the draw is k
        k += 1
        cumulative += pmf
    return n - k if flip else k


@njit(cache=True)
def _binomial(n, p, u):
    """Inverse-cdf draw from Binomial(n, p) with one uniform ``u`` (see :func:`_binomial_table`)."""
    table, flip = _binomial_table(n, p)
    return _binomial_lookup(table.reshape(1, -1), 0, table.size - 1, flip, n, u)


#: Buckets of the guide table of each Poisson table (Chen & Asau 1974): a power of 2, so a uniform's bucket
#: is the top bits of its random word, exactly.
GUIDE_BUCKETS = 1024
_GUIDE_SHIFT = np.uint64(64 - 10)


class PoissonTables(NamedTuple):
    """The cumulative binomial tables of the Poisson inputs, one per distinct (group, rate*dt)."""

    index: np.ndarray  # (n_groups, n_neurons) int64: the table of group g, neuron i
    cumulative: np.ndarray  # (n_tables, longest) float64
    last: np.ndarray  # (n_tables,) int64: the last valid index of each table
    flip: np.ndarray  # (n_tables,) bool
    # (n_tables, GUIDE_BUCKETS) int64: for bucket b (uniforms in [b, b+1)/GUIDE_BUCKETS), the number k of
    # entries below b/GUIDE_BUCKETS: the draw of every uniform of the bucket if no entry lies in the bucket, else
    # stored as ~k (negative), where the search for the draw starts
    guide: np.ndarray


def _poisson_tables(inputs) -> PoissonTables:
    """Tables for every distinct (group, probability): the per-step draw is then a short search."""
    n_groups, n_neurons = inputs.poisson_probability.shape
    index = np.zeros((n_groups, n_neurons), dtype=np.int64)
    tables, flips = [], []
    for group in range(n_groups):
        values, inverse = np.unique(inputs.poisson_probability[group], return_inverse=True)
        index[group] = len(tables) + inverse.ravel()
        for probability in values:
            table, flip = _binomial_table(np.int64(inputs.poisson_sources[group]), float(probability))
            tables.append(table)
            flips.append(flip)
    longest = max([table.size for table in tables], default=1)
    cumulative = np.ones((max(1, len(tables)), longest))
    for row, table in enumerate(tables):
        cumulative[row, :table.size] = table
    last = np.array([table.size - 1 for table in tables] or [0], dtype=np.int64)
    guide = np.empty((cumulative.shape[0], GUIDE_BUCKETS), dtype=np.int64)
    edges = np.arange(GUIDE_BUCKETS + 1) / GUIDE_BUCKETS
    for row in range(cumulative.shape[0]):
        below = np.searchsorted(cumulative[row, :last[row]], edges, side="left")
        guide[row] = np.where(below[:-1] == below[1:], below[:-1], ~below[:-1])
    return PoissonTables(index, cumulative, last, np.array(flips or [False], dtype=np.bool_), guide)


@njit(cache=True, inline="always")
def _course_count(inputs, group, trial, i, step, u):
    """The count of Poisson group ``group`` (a rate that changes in time) to neuron ``i`` of ``trial`` at
    ``step`` for uniform ``u``: drawn from this step's ``rate*dt`` (:func:`_binomial_inverse`, the same count a
    table of that probability gives)."""
    row, strides = inputs.poisson_course_row[group], inputs.poisson_course_strides
    probability = inputs.poisson_course[row * strides[0] + trial * strides[1] + step * strides[2] + i * strides[3]]
    return _binomial_inverse(inputs.poisson_sources[group], probability, u)


@njit(cache=True, inline="always")
def _poisson_group(inputs, tables, group, trial, i, step, poisson_keys, key_row):
    """Input of Poisson group ``group`` to neuron ``i`` of ``trial`` at ``step``; its keys are
    ``poisson_keys[key_row]``. A constant rate reads its table, a rate that changes in time draws from this
    step's ``rate*dt`` (:func:`_course_count`)."""
    bits = rng.bits(poisson_keys[key_row, group], step)
    if inputs.poisson_course_row[group] >= 0:
        count = _course_count(inputs, group, trial, i, step, rng.bits_to_uniform(bits))
    else:
        table = tables.index[group, i]
        count = _table_count(tables, table, tables.last[table], tables.flip[table], inputs.poisson_sources[group],
                             bits)
    return count * inputs.poisson_weight[group, i]


#: Random words drawn ahead by :func:`_add_poisson_window` (on the stack; measured: 6.0 -> 5.3 ns per
#: neuron-step for the iaf_psc_exp equivalent with its Poisson drive, one thread; 32 to 256 the same)
_WORDS = 64


@njit(cache=True, inline="always")
def _add_poisson_window(inputs, tables, group, trial, i, first_step, steps_now, key, out, column):
    """Add the input of Poisson group ``group`` (stream ``key``) to neuron ``i`` of ``trial`` at step
    ``first_step + offset`` to ``out[offset, column]``, ``offset < steps_now``: the counts of
    :func:`_poisson_group`, added in the same order, with what is constant over the window read once."""
    n, weight = inputs.poisson_sources[group], inputs.poisson_weight[group, i]
    if inputs.poisson_course_row[group] >= 0:
        for offset in range(steps_now):
            step = first_step + offset
            out[offset, column] += _course_count(inputs, group, trial, i, step, rng.uniform(key, step)) * weight
        return
    table = tables.index[group, i]
    last, flip = tables.last[table], tables.flip[table]
    words = stack_words(_WORDS)
    for chunk in range(0, steps_now, _WORDS):  # the random words first, a chunk at a time: the hash vectorises
        size = min(_WORDS, steps_now - chunk)
        for k in range(size):
            words[k] = rng.bits(key, first_step + chunk + k)
        for k in range(size):
            out[chunk + k, column] += _table_count(tables, table, last, flip, n, words[k]) * weight


@njit(cache=True, inline="always")
def _lone_group(inputs, tables, poisson_keys, key_row, i):
    """``(one_table, key, table, last, flip, n_sources, weight)``: whether neuron ``i``'s Poisson input is one group
    of constant rate (the common drive; its keys are ``poisson_keys[key_row]``), and then what its draws need
    (:func:`_table_count`), read once for a loop over steps instead of at every step; else ``one_table`` is
    False (the rest placeholders)."""
    if poisson_keys.shape[1] != 1 or inputs.poisson_course_row[0] >= 0:
        return False, np.uint64(0), 0, 0, False, 0, 0.0
    table = tables.index[0, i]
    return (True, poisson_keys[key_row, 0], table, tables.last[table], tables.flip[table], inputs.poisson_sources[0],
            inputs.poisson_weight[0, i])


@njit(cache=True, inline="always")
def _poisson_jump(inputs, tables, trial, i, step, poisson_keys, key_row):
    """Input of the Poisson groups to neuron ``i`` of ``trial`` at ``step``; its keys are ``poisson_keys[key_row]``."""
    jump = 0.0
    for group in range(poisson_keys.shape[1]):
        jump += _poisson_group(inputs, tables, group, trial, i, step, poisson_keys, key_row)
    return jump


@njit(cache=True, inline="always")
def _first_event(inputs, trial, i, step):
    """``(first, last)``: the spike-input events of neuron ``i`` of ``trial`` from ``step`` on are
    ``first:last`` of ``inputs.event_*`` (sorted by step)."""
    row = trial if inputs.event_indptr.shape[0] > 1 else 0
    last = inputs.event_indptr[row, i + 1]
    return _lower_bound(inputs.event_step, inputs.event_indptr[row, i], last, step), last


@njit(cache=True, inline="always")
def _neuron_keys(seed, trial, neuron, n_groups, poisson_keys):
    for group in range(n_groups):
        poisson_keys[group] = rng._key(seed, trial, neuron, rng.POISSON + group)
    return rng.neuron_keys(seed, trial, neuron)


@njit(cache=True, nogil=True, _nrt=False)
def _neuron_steps(p, inputs, tables, codes, constants, keys, poisson_keys, trial, i, u, refractory_left, step,
                  n_steps, column, every, state, keep, group, rate_counts, spike_steps, count):
    """Neuron ``i`` from ``step`` on, its state in registers, until the run ends or ``spike_steps``
    is full. Returns ``(u, refractory_left, step, count)``. A spike is stored if ``keep`` and counted in
    ``rate_counts[group, step]`` if ``group >= 0``; ``u`` goes to ``state[trial, step // every, column]`` at every
    ``every``-th step if ``column >= 0``.

    Compiled on its own, not inlined into :func:`_run_block`: Numba inlines by copying the callee's IR, at a
    cost that grows with the square of its size, and the step function is most of the kernel (measured: 40 %
    of the kernel's first compilation went to that copy). It allocates nothing, so it runs without reference
    counting (``_nrt=False``), and no array is reassigned in the loop.
    """
    n_groups = poisson_keys.shape[1]
    drive = inputs.current[trial, :, i]
    capacity = spike_steps.size
    event, last_event = _first_event(inputs, trial, i, step)
    while step < n_steps and count < capacity:
        jump = _poisson_jump(inputs, tables, trial, i, step, poisson_keys, 0) if n_groups > 0 else 0.0
        while event < last_event and inputs.event_step[event] == step:  # spike inputs, after the Poisson groups
            jump += inputs.event_weight[event]
            event += 1
        _, _, u, refractory_left, spike = neuron_update(constants, codes, u, refractory_left, drive[step], jump,
                                                        step, keys)
        if spike:
            if keep:
                spike_steps[count] = step
                count += 1
            if group >= 0:
                rate_counts[group, step] += 1
        if column >= 0 and step % every == 0:
            state[trial, step // every, column] = u
        step += 1
    return u, refractory_left, step, count


@njit(cache=True, nogil=True)
def _run_block(p, inputs, tables, initial, seed, first_trial, trial, start, stop, n_steps, record_column, every, state,
               keep, group_of, n_groups):
    """Neurons ``start:stop`` of trial ``trial`` of the arrays (trial ``first_trial + trial`` of the random
    streams), no recurrence, neuron-major (each neuron's whole time course with its state in registers).
    Returns (stored spikes per neuron, their steps neuron-major, the block's spikes per step of each of the
    ``n_groups`` rate groups ``(n_groups, n_steps)`` int32). Only neurons with ``keep[i]`` store spikes; ``u`` of
    neuron ``i`` is written to ``state[trial, step // every, record_column[i]]`` at every ``every``-th step."""
    spike_steps = np.empty(_INITIAL_CAPACITY, dtype=np.int64)
    spike_counts = np.zeros(stop - start, dtype=np.int64)
    rate_counts = np.zeros((n_groups, n_steps), dtype=np.int32)
    # np.int64(0), not 0: a literal argument would compile _neuron_steps a second time, for Literal[int](0)
    count = np.int64(0)
    poisson_keys = np.empty((1, inputs.poisson_sources.size), dtype=np.uint64)
    codes = rule_codes(p)
    for i in range(start, stop):
        keys = _neuron_keys(seed, first_trial + trial, i, poisson_keys.shape[1], poisson_keys[0])
        constants = neuron_constants(p, i)
        u = initial[trial, i]
        refractory_left = np.int64(0)
        step = np.int64(0)
        first = count
        while True:
            u, refractory_left, step, count = _neuron_steps(
                p, inputs, tables, codes, constants, keys, poisson_keys, trial, i, u, refractory_left, step, n_steps,
                record_column[i], every, state, keep[i], group_of[i], rate_counts, spike_steps, count)
            if step == n_steps:
                break
            spike_steps = _grown(spike_steps, count)
        spike_counts[i - start] = count - first
    return spike_counts, spike_steps[:count].copy(), rate_counts


@njit(cache=True, inline="always")
def _spike_counts(n_trials, window, n_blocks):
    """Zeros ``(n_trials, window, n_blocks)``: the spikes of each (trial, step, block) of a window. Each block's
    counts lie together in memory: the blocks' threads count spikes of the same steps, and counts side by side
    would share cache lines between the cores."""
    return np.zeros((n_trials, n_blocks, window), dtype=np.int64).transpose(0, 2, 1)


@njit(cache=True, inline="always")
def _lower_bound(values, first, last, target):
    """The first index in ``first:last`` of sorted ``values`` whose value is >= ``target``."""
    while first < last:
        middle = (first + last) // 2
        if values[middle] < target:
            first = middle + 1
        else:
            last = middle
    return first


@njit(cache=True, inline="always")
def _block_synapses(indptr, post, pre, n_blocks, start, stop):
    """``(first, last)``: the synapses of ``pre`` onto the block of posts ``start:stop`` (CSR ``indptr``, ``post``;
    the row of ``pre`` is sorted by post; with one block, the whole row)."""
    first, last = indptr[pre], indptr[pre + 1]
    if n_blocks > 1:
        first = _lower_bound(post, first, last, start)
        last = _lower_bound(post, first, last, stop)
    return first, last


@njit(cache=True, inline="always")
def _append_window(fired, n_fired, first_step, steps_now, n_neurons, keep, group_of, rate_counts, out_trial,
                   out_neuron, out_step, count):
    """Record the spikes of one window of the recurrent kernels (``fired``: block ``b``'s spikes of each step
    listed from its first neuron, ``n_fired[trial, offset, b]`` of them): each is counted in
    ``rate_counts[trial, group_of[i], step]`` (if its neuron ``i`` has a group) and, if ``keep[i]``, appended to
    the output buffers in (trial, step, block, order of firing) order, the buffers grown when needed. Returns the
    buffers and the new count."""
    n_trials, n_blocks = n_fired.shape[0], n_fired.shape[2]
    total = 0
    for trial in range(n_trials):
        for offset in range(steps_now):
            for block in range(n_blocks):
                start = block * n_neurons // n_blocks
                for k in range(n_fired[trial, offset, block]):
                    i = fired[trial, offset, start + k]
                    total += keep[i]
                    if group_of[i] >= 0:
                        rate_counts[trial, group_of[i], first_step + offset] += 1
    while count + total > out_step.size:
        out_trial, out_neuron = _grown(out_trial, count), _grown(out_neuron, count)
        out_step = _grown(out_step, count)
    for trial in range(n_trials):
        for offset in range(steps_now):
            for block in range(n_blocks):
                start = block * n_neurons // n_blocks
                for k in range(n_fired[trial, offset, block]):
                    if keep[fired[trial, offset, start + k]]:
                        out_trial[count] = trial
                        out_neuron[count] = fired[trial, offset, start + k]
                        out_step[count] = first_step + offset
                        count += 1
    return out_trial, out_neuron, out_step, count


@njit(cache=True, nogil=True, _nrt=False)
def _block_window(p, codes, inputs, tables, poisson_keys, keys, u, refractory_left, trial, start, stop, block,
                  first_step, steps_now, first_row, arriving, fired, n_fired, record_column, every, state,
                  deterministic):
    """Neurons ``start:stop`` (block ``block``) of ``trial`` through one window of :func:`_run_connected`, one
    after the other (:func:`_neuron_window`). Compiled apart from the parallel region, so that the neurons of a
    block cost one call, not one each (a call hands over every array of the inputs; measured on Brunel's model A,
    12,500 neurons, one thread: 4.0 s -> 2.8 s).

    ``deterministic`` (a literal: :func:`_deterministic`, one compiled version each) marks the deterministic LIF
    (no noise, a spike when ``u`` reaches the threshold on the grid), whose rule codes are then constants: the
    compiler drops the other rules' code, and the few values the step needs stay in registers (measured on the
    same network: 2.1 s -> 1.9 s).
    """
    if literally(deterministic):
        codes = (NONE, FIRING_MEMBRANE, codes[2], CROSSING_GRID)
    for i in range(start, stop):
        _neuron_window(p, codes, inputs, tables, poisson_keys, keys, u, refractory_left, trial, i, start, block,
                       first_step, steps_now, first_row, arriving, fired, n_fired, record_column[i], every, state)


@njit(cache=True, inline="always")
def _neuron_window(p, codes, inputs, tables, poisson_keys, keys, u, refractory_left, trial, i, start, block,
                   first_step, steps_now, first_row, arriving, fired, n_fired, column, every, state):
    """Neuron ``i`` of ``trial`` through one window of :func:`_run_connected`: ``u`` and ``refractory_left``
    updated in place, its input taken from the ring buffer ``arriving``, its spikes listed in ``fired`` for its
    block; ``u`` goes to ``state[trial, step // every, column]`` at every ``every``-th step if ``column >= 0``.

    Inlined into :func:`_block_window`, compiled apart from the parallel region (Numba would copy the step
    function's IR into it, see :func:`_neuron_steps`) and without reference counting (it allocates nothing, and
    every array it is handed outlives the call).
    """
    n_groups = inputs.poisson_sources.size
    n_neurons = u.shape[1]
    ring_length = arriving.shape[1]
    constants = neuron_constants(p, i)
    neuron_keys = (keys[trial, i, 0], keys[trial, i, 1], keys[trial, i, 2])
    u_i, refractory_i = u[trial, i], refractory_left[trial, i]
    row = first_row
    event, last_event = _first_event(inputs, trial, i, first_step)
    one_table, key, table, last, flip, n_sources, weight = _lone_group(inputs, tables, poisson_keys,
                                                                       trial * n_neurons + i, i)
    for offset in range(steps_now):
        step = first_step + offset
        jump = arriving[trial, row, i]
        arriving[trial, row, i] = 0.0
        if one_table:
            jump += _table_count(tables, table, last, flip, n_sources, rng.bits(key, step)) * weight
        elif n_groups > 0:
            jump += _poisson_jump(inputs, tables, trial, i, step, poisson_keys, trial * n_neurons + i)
        while event < last_event and inputs.event_step[event] == step:  # spike inputs, after the Poisson groups
            jump += inputs.event_weight[event]
            event += 1
        _, _, u_i, refractory_i, spike = neuron_update(constants, codes, u_i, refractory_i,
                                                       inputs.current[trial, step, i], jump, step, neuron_keys)
        if spike:
            fired[trial, offset, start + n_fired[trial, offset, block]] = i
            n_fired[trial, offset, block] += 1
        if column >= 0 and step % every == 0:
            state[trial, step // every, column] = u_i
        row = row + 1 if row + 1 < ring_length else 0
    u[trial, i], refractory_left[trial, i] = u_i, refractory_i


@njit(cache=True, nogil=True, _nrt=False)
def _deliver(indptr, post, weight, row_weight, delay, min_delay, same_delay, fired, n_fired, arriving, trial, block,
             n_blocks, n_neurons, n_steps, first_step, steps_now, first_row):
    """Phase 2 of a window of :func:`_run_connected` for the posts of ``block`` of ``trial``: the weights of the
    window's spikes, step by step and in neuron order, added to the ring buffer ``arriving``. When all synapses
    share one delay and each neuron's outgoing synapses one weight (``row_weight``, :func:`_row_weights`; empty
    otherwise), a spike reads only the indices of its posts. Compiled apart from the parallel region and without
    reference counting (every array it is handed outlives the call)."""
    rows_alike = row_weight.size > 0
    ring_length = arriving.shape[1]
    start, stop = block * n_neurons // n_blocks, (block + 1) * n_neurons // n_blocks
    for offset in range(steps_now):
        step = first_step + offset
        row = (first_row + offset) % ring_length
        for source in range(n_blocks):
            source_start = source * n_neurons // n_blocks
            for k in range(n_fired[trial, offset, source]):
                pre = fired[trial, offset, source_start + k]
                first, last = _block_synapses(indptr, post, pre, n_blocks, start, stop)
                if same_delay:  # one target row for all synapses: no per-synapse delay
                    if step + min_delay < n_steps:
                        target = row + min_delay
                        if target >= ring_length:
                            target -= ring_length
                        if rows_alike:  # and one weight per spike: 4 bytes of synapse data per event, not 12
                            pre_weight = row_weight[pre]
                            for synapse in range(first, last):
                                arriving[trial, target, post[synapse]] += pre_weight
                        else:
                            for synapse in range(first, last):
                                arriving[trial, target, post[synapse]] += weight[synapse]
                    continue
                for synapse in range(first, last):
                    synapse_delay = delay[synapse]
                    if step + synapse_delay < n_steps:  # then delay < ring_length: one wrap at most
                        target = row + synapse_delay
                        if target >= ring_length:
                            target -= ring_length
                        arriving[trial, target, post[synapse]] += weight[synapse]


@njit(cache=True, nogil=True, parallel=True)
def _run_connected(p, inputs, tables, initial, synapses, row_weight, seed, first_trial, n_trials, n_neurons, n_steps,
                   n_blocks, record_column, every, state, keep, group_of, rate_counts, deterministic):
    """All trials of a recurrent network. Returns the stored spikes' (trial, neuron, step) arrays, unsorted (the
    recording as in :func:`_run_block`, the rate counts into ``rate_counts[trial, group, step]``). Trial ``k`` of
    the arrays draws the random streams of trial ``first_trial + k`` (a slice of a longer run, see
    :func:`_simulate`).

    No spike reaches a neuron earlier than ``window = min_delay`` steps after it was emitted, so
    the run advances ``window`` steps at a time, in two parallel phases over (trial, block of
    neurons) tasks with a barrier between:

    1. update: each neuron of the block runs the ``window`` steps with its state in registers
       (the one neuron equation, fed by the ring buffer of arriving input), listing its spikes per
       step and block;
    2. push: the task that owns the posts ``block`` of ``trial`` adds the weights of that trial's
       spikes, taken step by step and in neuron order, to the ring buffer entries of its posts.

    Every ring-buffer entry thus receives its additions in one fixed order (step, then presynaptic
    neuron), as in a serial loop, whatever the number of threads or blocks: bit-identical results.
    """
    n_groups = inputs.poisson_sources.size
    keys = np.empty((n_trials, n_neurons, 3), dtype=np.uint64)
    poisson_keys = np.empty((n_trials * n_neurons, n_groups), dtype=np.uint64)
    for task in prange(n_trials * n_neurons):
        trial, i = task // n_neurons, task % n_neurons
        keys[trial, i, 0], keys[trial, i, 1], keys[trial, i, 2] = _neuron_keys(
            seed, first_trial + trial, i, n_groups, poisson_keys[task])
    codes = rule_codes(p)
    u = np.empty((n_trials, n_neurons))
    u[:] = initial
    refractory_left = np.zeros((n_trials, n_neurons), dtype=np.int64)
    window = max(1, min(synapses.min_delay, n_steps))
    same_delay = synapses.min_delay == synapses.max_delay
    # a spike of the window [t0, t0 + window) arrives in [t0 + window, t0 + window + max_delay)
    ring_length = min(synapses.max_delay, n_steps) + window
    arriving = np.zeros((n_trials, ring_length, n_neurons))
    fired = np.empty((n_trials, window, n_neurons), dtype=np.int32)  # block b lists from its first neuron
    n_fired = _spike_counts(n_trials, window, n_blocks)
    out_trial = np.empty(_INITIAL_CAPACITY, dtype=np.int32)
    out_neuron = np.empty(_INITIAL_CAPACITY, dtype=np.int32)
    out_step = np.empty(_INITIAL_CAPACITY, dtype=np.int64)
    count = 0
    for first_step in range(0, n_steps, window):
        steps_now = min(window, n_steps - first_step)
        first_row = first_step % ring_length
        for task in prange(n_trials * n_blocks):
            trial, block = task // n_blocks, task % n_blocks
            start, stop = block * n_neurons // n_blocks, (block + 1) * n_neurons // n_blocks
            for offset in range(steps_now):
                n_fired[trial, offset, block] = 0
            _block_window(p, codes, inputs, tables, poisson_keys, keys, u, refractory_left, trial, start, stop, block,
                          first_step, steps_now, first_row, arriving, fired, n_fired, record_column, every, state,
                          literally(deterministic))
        for task in prange(n_trials * n_blocks):
            trial, block = task // n_blocks, task % n_blocks
            # post indices unsigned: the compiler then adds no wrap-around of negative indices to every event
            _deliver(synapses.indptr, synapses.post.view(np.uint32), synapses.weight, row_weight, synapses.delay,
                     synapses.min_delay, same_delay, fired, n_fired, arriving, trial, block, n_blocks, n_neurons,
                     n_steps, first_step, steps_now, first_row)
        out_trial, out_neuron, out_step, count = _append_window(
            fired, n_fired, first_step, steps_now, n_neurons, keep, group_of, rate_counts, out_trial, out_neuron,
            out_step, count)
    return out_trial[:count].copy(), out_neuron[:count].copy(), out_step[:count].copy()


@njit(cache=True, nogil=True, _nrt=False)
def _state_block_window(p, packed, set_of, n_noise, clamp, codes, inputs, tables, poisson_receptor, first_receptor,
                        poisson_keys, keys, x, scratch, draws, refractory_left, trial, start, stop, block, first_step,
                        steps_now, first_row, connected, arriving, fired, n_fired, record, state, deterministic, pair,
                        rows, group_draws, grouped):
    """Neurons ``start:stop`` (block ``block``) of ``trial`` through one window of :func:`_run_state`, one after
    the other (:func:`_state_neuron_window`), in one call (a call hands over every array of the inputs); when
    ``grouped`` (:func:`_grouped`), :data:`_GROUP` at a time (:func:`_state_group_window`, with the work arrays
    ``rows`` and ``group_draws``) and the remainder one at a time. ``deterministic`` and ``pair`` are literals (one
    compiled version each): a deterministic neuron's rule codes as constants (:func:`_block_window`); ``pair``,
    the commonest state (:func:`_state_neuron_window`), and only its version holds the grouped loop (``grouped``
    is not a literal: a version of its own would compile the parallel kernel once more for each kind of input).
    """
    if literally(deterministic):
        codes = (NONE, FIRING_MEMBRANE, codes[2], codes[3])
    grouped_stop = start
    if literally(pair):
        if grouped:
            grouped_stop = start + (stop - start) // _GROUP * _GROUP
        for first in range(start, grouped_stop, _GROUP):
            _state_group_window(p, packed, set_of, codes, inputs, tables, poisson_receptor, first_receptor,
                                poisson_keys, keys, x, rows, group_draws, refractory_left, trial, first, start, block,
                                first_step, steps_now, first_row, connected, arriving, fired, n_fired, clamp)
    for i in range(grouped_stop, stop):
        refractory_left[trial, i] = _state_neuron_window(
            p, packed[set_of[i]], n_noise, clamp, codes, inputs, tables, poisson_receptor, first_receptor,
            poisson_keys, keys, x[trial, i], scratch, draws, refractory_left[trial, i], trial, i, start, block,
            first_step, steps_now, first_row, connected, arriving, fired, n_fired, record, state, literally(pair))


@njit(cache=True, inline="always")
def _state_neuron_window(p, c, n_noise, clamp, codes, inputs, tables, poisson_receptor, first_receptor, poisson_keys,
                         keys, x_i, scratch, draws, refractory_i, trial, i, start, block, first_step, steps_now,
                         first_row, connected, arriving, fired, n_fired, record, state, pair):
    """Neuron ``i`` of ``trial`` through one window of :func:`_run_state`: ``x_i`` updated in place, its spikes
    listed in ``fired`` for its block; returns its remaining dead time.

    Inlined into :func:`_state_block_window`, compiled apart from the parallel region and without reference
    counting (``_nrt=False``: it allocates nothing, and every array it is handed outlives the call): Numba would
    otherwise count the references of the arrays handed to the inlined step functions at every step, an atomic
    operation on memory both cores share (measured: 2x slower on one thread, no gain from the second).
    """
    # the commonest state (a membrane and one synaptic current, adaptation or threshold) with literal sizes and
    # no noise: the compiler unrolls the update, and the two variables, in arrays on the stack, stay in registers
    # (measured: 1.7x faster unrolled, then 21 -> 18 ns per neuron-step with the Poisson input on one thread in
    # registers); compiled only for models that have it (pair is a literal)
    if pair:  # n_noise == 0 and x_i.size == 2
        x_local, scratch_local = stack_array(2), stack_array(2)
        x_local[0], x_local[1] = x_i[0], x_i[1]
        refractory_i = _state_steps(2, 0, p, c, clamp, codes, inputs, tables, poisson_receptor, first_receptor,
                                    poisson_keys, keys, x_local, scratch_local, draws, refractory_i, trial, i, start,
                                    block, first_step, steps_now, first_row, connected, arriving, fired, n_fired,
                                    record, state)
        x_i[0], x_i[1] = x_local[0], x_local[1]
        return refractory_i
    return _state_steps(x_i.size, n_noise, p, c, clamp, codes, inputs, tables, poisson_receptor, first_receptor,
                        poisson_keys, keys, x_i, scratch, draws, refractory_i, trial, i, start, block, first_step,
                        steps_now, first_row, connected, arriving, fired, n_fired, record, state)


@njit(cache=True, inline="always")
def _window_draws(n_noise, codes, inputs, tables, poisson_receptor, poisson_keys, keys, draws, trial, i, first_step,
                  steps_now, first_row, connected, arriving):
    """Neuron ``i``'s inputs and random numbers of one window of :func:`_run_state` into ``draws`` (row ``offset``
    for step ``first_step + offset``, :func:`state_update`'s layout): what arrived, then each Poisson group in turn
    (the order of the additions of the one-neuron loop), then the spike inputs, then the noise and firing draws."""
    n_neurons, n_receptors = keys.shape[1], arriving.shape[2]
    ring_length = arriving.shape[1]
    for r in range(n_receptors):  # receptor by receptor: a row at a time the zeros became a library call each
        row = first_row
        for offset in range(steps_now):
            if connected:
                draws[offset, r] = arriving[trial, row, r, i]
                arriving[trial, row, r, i] = 0.0
            else:
                draws[offset, r] = 0.0
            row = row + 1 if row + 1 < ring_length else 0
    for group in range(poisson_receptor.size):
        key = poisson_keys[trial * n_neurons + i, group]
        _add_poisson_window(inputs, tables, group, trial, i, first_step, steps_now, key, draws, poisson_receptor[group])
    event, last_event = _first_event(inputs, trial, i, first_step)
    while event < last_event and inputs.event_step[event] < first_step + steps_now:
        draws[inputs.event_step[event] - first_step, inputs.event_receptor[event]] += inputs.event_weight[event]
        event += 1
    key_membrane, key_firing = keys[trial, i, 0], keys[trial, i, 1]
    for offset in range(steps_now):
        state_draws(draws, offset, n_receptors, n_noise, first_step + offset, key_membrane, key_firing, codes)


@njit(cache=True, inline="always")
def _state_steps(n, n_noise, p, c, clamp, codes, inputs, tables, poisson_receptor, first_receptor, poisson_keys, keys,
                 x_i, scratch, draws, refractory_i, trial, i, start, block, first_step, steps_now, first_row, connected,
                 arriving, fired, n_fired, record, state):
    """The step loop of :func:`_state_neuron_window`. ``record`` is ``(pointer, entries, every)``: at every
    ``every``-th step, each recorded variable of the neuron (rows ``pointer[i]:pointer[i + 1]`` of ``entries``:
    variable index, column) goes to ``state[trial, step // every, column]``."""
    pointer, entries, every = record
    record_first, record_last = pointer[i], pointer[i + 1]
    constants = neuron_constants(p, i)
    n_receptors = arriving.shape[2]
    _window_draws(n_noise, codes, inputs, tables, poisson_receptor, poisson_keys, keys, draws, trial, i, first_step,
                  steps_now, first_row, connected, arriving)
    drive = inputs.current[trial, :, i]
    for offset in range(steps_now):
        step = first_step + offset
        refractory_i, spike = state_update(c, n, n_noise, clamp, x_i, scratch, refractory_i, drive[step], draws, offset,
                                           n_receptors, constants, codes, first_receptor)
        if spike:
            fired[trial, offset, start + n_fired[trial, offset, block]] = i
            n_fired[trial, offset, block] += 1
        if record_last > record_first and step % every == 0:
            for entry in range(record_first, record_last):
                for a in range(n):  # constant indices of x_i, which may then stay in registers
                    if a == entries[entry, 0]:
                        state[trial, step // every, entries[entry, 1]] = x_i[a]
    return refractory_i


#: Neurons stepped side by side by :func:`_state_group_window`: one neuron's step is a chain of dependent
#: multiply-adds that waits for the last step's, and the steps of four neurons overlap (measured, the
#: iaf_psc_exp equivalent with a constant current, one thread: 5.0 -> 3.8 ns per neuron-step).
_GROUP = 4
_LANES = tuple(range(_GROUP))
_GROUP_VARIABLES = 2 * _GROUP


@njit(cache=True, inline="always")
def _state_group_window(p, packed, set_of, codes, inputs, tables, poisson_receptor, first_receptor, poisson_keys, keys,
                        x, rows, group_draws, refractory_left, trial, first, start, block, first_step, steps_now,
                        first_row, connected, arriving, fired, n_fired, clamp):
    """Neurons ``first:first + _GROUP`` of ``trial`` (two variables each, at most two receptors, no noise, the
    membrane rule: :func:`_grouped`) through one window of :func:`_run_state`, side by side: their inputs first,
    neuron ``j``'s into ``group_draws[j]`` (:func:`_window_draws`, as one at a time), their rows of ``packed`` into
    ``rows`` (:func:`~nsnn_sim.simulator.state.pair_lane`), then :func:`_group_steps`."""
    n_receptors = arriving.shape[2]
    for j in range(_GROUP):
        i = first + j
        _window_draws(0, codes, inputs, tables, poisson_receptor, poisson_keys, keys, group_draws[j], trial, i,
                      first_step, steps_now, first_row, connected, arriving)
        pair_lane(packed[set_of[i]], n_receptors, p.threshold[i], p.u_reset[i], rows, j, _GROUP)
    _group_steps(clamp, codes[2] == RESET_ZERO, first_receptor, n_receptors, x, refractory_left, p.refractory_steps,
                 rows, inputs.current[trial], group_draws, trial, first, start, block, first_step, steps_now, fired,
                 n_fired)


@njit(cache=True, nogil=True, _nrt=False)
def _group_steps(clamp, reset_zero, first_receptor, n_receptors, x, refractory_left, refractory_steps, rows, current,
                 group_draws, trial, first, start, block, first_step, steps_now, fired, n_fired):
    """The step loop of :func:`_state_group_window`: at each step, each of the neurons in turn
    (:func:`~nsnn_sim.simulator.state.pair_update`, :func:`~nsnn_sim.simulator.state.state_update`'s step bit for
    bit), its spikes listed in neuron order as one at a time. Compiled apart (the window's many arrays would
    crowd the registers), with the loop over the neurons written out (``literal_unroll``): their variables and
    dead times (as floats: whole numbers, exact) stay in registers."""
    xs, left, steps = stack_array(_GROUP_VARIABLES), stack_array(_GROUP), stack_array(_GROUP)
    for j in range(_GROUP):
        xs[2 * j], xs[2 * j + 1] = x[trial, first + j, 0], x[trial, first + j, 1]
        left[j], steps[j] = refractory_left[trial, first + j], refractory_steps[first + j]
    for offset in range(steps_now):
        for j in literal_unroll(_LANES):
            left[j], spike = pair_update(rows, j, _GROUP, clamp, xs, left[j], current[first_step + offset, first + j],
                                         group_draws, offset, n_receptors, first_receptor, steps[j], reset_zero)
            if spike:
                fired[trial, offset, start + n_fired[trial, offset, block]] = first + j
                n_fired[trial, offset, block] += 1
    for j in range(_GROUP):
        x[trial, first + j, 0], x[trial, first + j, 1] = xs[2 * j], xs[2 * j + 1]
        refractory_left[trial, first + j] = np.int64(left[j])


@njit(cache=True, nogil=True, parallel=True)
def _run_state(p, cs, packed, inputs, tables, poisson_receptor, first_receptor, initial, synapses, synapse_receptor,
               seed, first_trial, n_trials, n_neurons, n_steps, n_blocks, record_pointer, record_entries, every, state,
               keep, group_of, rate_counts, deterministic, pair, grouped):
    """All trials of a population of neurons with more state (:mod:`nsnn_sim.simulator.state`), with or
    without recurrent connections. Returns the stored spikes' (trial, neuron, step) arrays, unsorted. Neuron
    ``i``'s recorded variables are rows ``record_pointer[i]:record_pointer[i + 1]`` of ``record_entries``
    (:class:`nsnn_sim.simulator.recording.Recording`); spikes are stored and counted as in :func:`_run_connected`.

    The schedule is :func:`_run_connected`'s (an unconnected population has no ring buffer), with
    the state vector of each neuron kept in a small array and the ring buffer split by receptor: every entry
    still receives its additions in one fixed order, so the result is bit-identical for any thread count. Trial
    ``k`` of the arrays draws the random streams of trial ``first_trial + k``.
    """
    n_groups = inputs.poisson_sources.size
    n_receptors = cs.receptor.shape[1]
    n_variables = cs.propagator.shape[1]
    n_noise, clamp = cs.noise.shape[2], cs.clamp
    keys = np.empty((n_trials, n_neurons, 3), dtype=np.uint64)
    poisson_keys = np.empty((n_trials * n_neurons, n_groups), dtype=np.uint64)
    x = np.empty((n_trials, n_neurons, n_variables))
    for task in prange(n_trials * n_neurons):
        trial, i = task // n_neurons, task % n_neurons
        keys[trial, i, 0], keys[trial, i, 1], keys[trial, i, 2] = _neuron_keys(
            seed, first_trial + trial, i, n_groups, poisson_keys[task])
        for a in range(n_variables):
            x[trial, i, a] = cs.initial[cs.set_of[i], a]
        x[trial, i, 0] = initial[trial, i]
    codes = rule_codes(p)
    record = (record_pointer, record_entries, every)
    refractory_left = np.zeros((n_trials, n_neurons), dtype=np.int64)
    connected = synapses.post.size > 0
    window = max(1, min(synapses.min_delay, n_steps))
    # without connections nothing arrives: no ring, so memory does not grow with the window
    ring_length = min(synapses.max_delay, n_steps) + window if connected else 1
    arriving = np.zeros((n_trials, ring_length if connected else 0, n_receptors, n_neurons))
    fired = np.empty((n_trials, window, n_neurons), dtype=np.int32)
    n_fired = _spike_counts(n_trials, window, n_blocks)
    out_trial = np.empty(_INITIAL_CAPACITY, dtype=np.int32)
    out_neuron = np.empty(_INITIAL_CAPACITY, dtype=np.int32)
    out_step = np.empty(_INITIAL_CAPACITY, dtype=np.int64)
    count = 0
    for first_step in range(0, n_steps, window):
        steps_now = min(window, n_steps - first_step)
        first_row = first_step % ring_length
        for task in prange(n_trials * n_blocks):
            trial, block = task // n_blocks, task % n_blocks
            start, stop = block * n_neurons // n_blocks, (block + 1) * n_neurons // n_blocks
            scratch = np.empty(n_variables)
            draws = np.empty((steps_now, n_receptors + n_noise + 1))
            group_draws = np.empty((_GROUP if grouped else 0, steps_now, n_receptors))  # no noise, no firing draw
            rows = np.empty(PAIR_ROW * _GROUP if grouped else 0)
            for offset in range(steps_now):
                n_fired[trial, offset, block] = 0
            _state_block_window(p, packed, cs.set_of, n_noise, clamp, codes, inputs, tables, poisson_receptor,
                                first_receptor, poisson_keys, keys, x, scratch, draws, refractory_left, trial, start,
                                stop, block, first_step, steps_now, first_row, connected, arriving, fired, n_fired,
                                record, state, literally(deterministic), literally(pair), rows, group_draws,
                                grouped)
        if connected:
            for task in prange(n_trials * n_blocks):
                trial, block = task // n_blocks, task % n_blocks
                start, stop = block * n_neurons // n_blocks, (block + 1) * n_neurons // n_blocks
                for offset in range(steps_now):
                    step = first_step + offset
                    row = (first_row + offset) % ring_length
                    for source in range(n_blocks):
                        source_start = source * n_neurons // n_blocks
                        for k in range(n_fired[trial, offset, source]):
                            first, last = _block_synapses(synapses.indptr, synapses.post,
                                                          fired[trial, offset, source_start + k], n_blocks, start,
                                                          stop)
                            for synapse in range(first, last):
                                delay = synapses.delay[synapse]
                                if step + delay < n_steps:
                                    target = row + delay
                                    if target >= ring_length:
                                        target -= ring_length
                                    arriving[trial, target, synapse_receptor[synapse], synapses.post[synapse]] += (
                                        synapses.weight[synapse])
        out_trial, out_neuron, out_step, count = _append_window(
            fired, n_fired, first_step, steps_now, n_neurons, keep, group_of, rate_counts, out_trial, out_neuron,
            out_step, count)
    return out_trial[:count].copy(), out_neuron[:count].copy(), out_step[:count].copy()


# --------------------------------------------------------------------------------------------------
# simulate
# --------------------------------------------------------------------------------------------------
def simulate(model, inputs=0.0, *, n_neurons: int = 1, n_steps: int | None = None, duration=None, n_trials: int = 1,
             seed: int = 0, connections=None, record_state=None, initial_state=None, state_every: int = 1,
             record_spikes=True, record_rate=None, n_threads: int | None = None, progress: bool | None = None,
             client=None, trials_per_task: int | None = None) -> SimulationResult:
    """Simulate ``n_trials`` independent trials of a population of ``n_neurons`` model neurons.

    Each step of each neuron applies the one neuron equation (:func:`nsnn_sim.simulator.neurons.neuron_step`)::

        u <- alpha*u + gain*I(t) + offset + J(t) [+ noise];  s <- fire(u);  u <- reset(u, s)

    with ``I`` from ``inputs`` and ``J`` the Poisson and recurrent spikes arriving this step.

    Parameters
    ----------
    model : NSNN or LIF
        The neuron model (scalar or per-neuron parameters).
    inputs : float, array, PoissonInput, SpikeInput or list
        Current ``I(t)``: scalar, ``(n_neurons,)``, ``(n_steps, n_neurons)`` or
        ``(n_trials, n_steps, n_neurons)``; and/or :func:`nsnn_sim.poisson_input` and
        :func:`nsnn_sim.inhomogeneous_poisson_input` drives and :func:`nsnn_sim.spike_input` spike inputs (``J`` adds
        a step's recurrent arrivals, then the Poisson groups in order, then the spike inputs in order).
    n_neurons, n_steps, n_trials : int
        Population size, steps per trial (of ``model.dt`` seconds; default 1000), trials; each >= 1. Every
        argument after ``inputs`` is keyword-only.
    duration : float or time with units, optional
        The trial's length in seconds instead of ``n_steps``: a whole number of steps of ``model.dt``
        (:func:`nsnn_sim._core.timesteps.seconds_to_steps`).
    seed : int
        Integer in [0, 2**63): the result depends only on (model, inputs, connections, seed).
    connections : Connections, array or scipy.sparse matrix, optional
        Recurrent weights ``W[post, pre]``; a bare matrix means a delay of one step (``model.dt``);
        :func:`nsnn_sim.connect` sets other delays, in seconds.
    record_state : array of int or dict, optional
        Indices of the neurons whose ``u`` (after reset) is recorded, or ``{variable: neuron indices}`` for any
        of the model's variables (``model.state_variables``: ``u``, synaptic currents ``I_r`` (alpha: also
        ``y_r``), adaptation currents ``w_k``, moving threshold components ``q_j``), each after the step's
        update, reset and spike-triggered jumps.
    initial_state : float or array, optional
        ``u`` before the first step: scalar, ``(n_neurons,)`` or ``(n_trials, n_neurons)``
        (default: ``u_rest`` for the LIF, 0 for the NSNN).
    state_every : int
        Record the state at steps ``0, k, 2k, ...`` only (``k = state_every >= 1``, default 1: every step),
        written by the kernels into an array of ``ceil(n_steps/k)`` samples.
    record_spikes : bool or array of int
        Whose spikes the result keeps: ``True`` (all, the default), ``False`` (none) or neuron indices; the others
        are never stored (they still reach their targets).
    record_rate : True or dict, optional
        Count spikes per step in the kernels: ``True`` (all neurons, one population ``"all"``) or ``{name: neuron
        indices}`` of disjoint populations; the counts need no spike list (``record_spikes=False`` keeps none),
        and ``result.population_rate()`` divides them by ``n_k*dt``.
    n_threads : int, optional
        Worker threads (default: Numba's thread count, ``NUMBA_NUM_THREADS``); the result does not
        depend on it. By default a recurrent network with less than 4096 neuron-steps of work between
        two synchronisations (``n_trials * n_neurons * min_delay``) runs on one thread, which is faster.
    progress : bool, optional
        A progress bar over the (trial, block) tasks of an unconnected population (a recurrent
        network runs as one kernel, without a bar). Default: shown when the run is predicted to take
        more than 2 s (about 5 ns per neuron-step and thread), never under CI
        (:func:`nsnn_sim._core.progress.progress_enabled`). With ``client``: a bar over the tasks.
    client : distributed.Client, optional
        Spread the trials over this dask.distributed cluster (needs the extra ``sweep``), as tasks of
        ``trials_per_task`` consecutive trials each; the merged result equals the local run's bit for bit, and a
        task lost with its worker runs again (:mod:`nsnn_sim.simulator.cluster`).
    trials_per_task : int, optional
        Trials per task of ``client``, in [1, n_trials] (default: the trials split evenly over the cluster's
        worker threads).

    Returns
    -------
    SimulationResult
        ``.spikes`` (:class:`SpikeTrains` of the recorded neurons), ``.state`` ``(n_trials, n_columns,
        ceil(n_steps/k))`` (the axis order of spike counts, :data:`nsnn_sim.simulator.results.STATE_DIMS`) or None
        (column ``c``: variable ``.state_variables[c]`` of neuron ``.state_neurons[c]``; ``.variable(name)`` as a
        DataArray), ``.rate_counts`` ``(n_trials, n_populations, n_steps)`` or None (``.population_rate()`` in Hz).
        With ``client``, ``run_time`` and ``compile_time`` are the sums over the tasks (worker-seconds, not the
        wall-clock time of the call).

    Examples
    --------
    >>> import nsnn_sim as ns
    >>> model = ns.LIF(sigma=0.3, tau_syn=2e-3)
    >>> result = ns.simulate(model, [0.5, ns.poisson_input(800.0, 0.1, 10)], n_neurons=100, n_steps=1000,
    ...                      record_state={"u": [0, 1], "I_syn": [0]}, state_every=10, record_spikes=False,
    ...                      record_rate={"first": range(50), "second": range(50, 100)})
    >>> result.variable("I_syn").shape, len(result.spikes), result.population_rate().dims
    ((1, 1, 100), 0, ('population', 'trial', 'time'))
    """
    arguments = dict(n_neurons=n_neurons, n_steps=n_steps, duration=duration, n_trials=n_trials, seed=seed,
                     connections=connections, record_state=record_state, initial_state=initial_state,
                     state_every=state_every, record_spikes=record_spikes, record_rate=record_rate,
                     n_threads=n_threads, progress=progress)
    if client is None and trials_per_task is None:
        return _simulate(model, inputs, **arguments)
    return _simulate_on_client(client, trials_per_task, model, inputs, **arguments)


def _simulate(model, inputs, *, n_neurons, n_steps, duration, n_trials, seed, connections, record_state,
              initial_state, n_threads, progress, state_every=1, record_spikes=True, record_rate=None,
              first_trial: int = 0) -> SimulationResult:
    """:func:`simulate` on this machine. Trial ``k`` of the arrays (inputs, ``initial_state``, the result) draws
    the random streams of trial ``first_trial + k``: trials ``a:b`` of a run are the run of ``n_trials = b - a``
    trials from ``first_trial = a`` with the inputs of those trials (how :func:`_simulate_on_client` splits one)."""
    n_neurons, n_steps, n_trials, seed = _checked_sizes(model, n_neurons, n_steps, duration, n_trials, seed)
    automatic_threads, n_threads = n_threads is None, _threads(n_threads)
    _require_run_memory(n_neurons, n_steps, n_trials, record_state, state_every, record_rate)
    show_progress = progress_enabled(progress, _announced_seconds(n_neurons, n_steps, n_trials, n_threads))
    with CompileClock(announce=_COMPILING) as clock:  # first calls compile kernels or load them from Numba's cache
        run = _compiled(model, inputs, connections, initial_state, n_neurons, n_steps, n_trials,
                        (record_state, state_every, record_spikes, record_rate))
        recording = run.recording
        n_columns = len(recording.variables)
        state = np.zeros((n_trials, recording.n_samples, n_columns)) if n_columns else np.zeros((0, 0, 0))
        rate_counts = np.zeros((n_trials, len(recording.groups), n_steps), dtype=np.int32)  # no bytes without groups
        tables = _poisson_tables(run.inputs)
        compiling_before_run, start_time = clock.seconds, time.perf_counter()
        if (run.synapses is not None and automatic_threads
                and n_trials * n_neurons * run.synapses.min_delay < _SERIAL_WORK):
            n_threads = 1  # a barrier of the recurrent kernel would cost more than the work between two
        if getattr(model, "has_state", False):
            trial_ids, neurons, steps = _run_with_state(
                run.neurons, model.compile_state(n_neurons, run.current_receptor), run.inputs, tables, run.receptors,
                run.initial, run.synapses, np.uint64(seed), first_trial, n_trials, n_neurons, n_steps, n_threads,
                recording, state, rate_counts)
        else:
            trial_ids, neurons, steps = _run(run.neurons, run.inputs, tables, run.initial, run.synapses,
                                             np.uint64(seed), first_trial, n_trials, n_neurons, n_steps, n_threads,
                                             recording, state, rate_counts, show_progress)
        run_time = time.perf_counter() - start_time - (clock.seconds - compiling_before_run)
    spikes = SpikeTrains(trial=trial_ids, neuron=neurons, step=steps, dt=model.dt, n_trials=n_trials,
                         n_neurons=n_neurons, n_steps=n_steps, assume_sorted=True)
    return SimulationResult(
        spikes=spikes,
        state=state_from_kernel(state) if n_columns else None,
        state_neurons=recording.neurons,
        model=model,
        seed=seed,
        inputs_description=describe_inputs(inputs),
        connections_description=_describe_connections(run.synapses, n_neurons),
        run_time=max(run_time, 0.0),
        compile_time=clock.seconds,
        state_variables=recording.variables,
        state_every=recording.every,
        spike_neurons=recording.spike_neurons,
        rate_counts=rate_counts if recording.groups else None,
        rate_populations=recording.groups,
        rate_sizes=recording.group_sizes,
    )


def _checked_sizes(model, n_neurons, n_steps, duration, n_trials, seed) -> tuple[int, int, int, int]:
    """``(n_neurons, n_steps, n_trials, seed)`` of :func:`simulate` checked (and the model's type)."""
    if isinstance(model, type):
        raise TypeError(f"model must be a neuron model instance, got the class {model.__name__}: call it, "
                        f"e.g. model={model.__name__}()")
    if not hasattr(model, "compile"):
        raise TypeError(f"model must be a neuron model (NSNN or LIF), got {type(model).__name__}")
    n_neurons = whole_number("n_neurons", n_neurons, maximum=_MAX_ID)
    n_steps = _trial_steps(n_steps, duration, model.dt)
    n_trials = whole_number("n_trials", n_trials, maximum=_MAX_ID)
    return n_neurons, n_steps, n_trials, seed_value(seed)


def _require_run_memory(n_neurons: int, n_steps: int, n_trials: int, record_state, state_every,
                        record_rate) -> None:
    """``MemoryError`` before a run whose per-neuron arrays, recorded state and rate counts cannot fit in memory
    (checked before the recording is parsed, which makes per-neuron arrays)."""
    every = whole_number("state_every", state_every)
    if isinstance(record_state, dict):
        recorded_count = sum(np.size(value) for value in record_state.values())
    else:
        recorded_count = 0 if record_state is None else np.size(record_state)
    n_groups = len(record_rate) if isinstance(record_rate, dict) else int(record_rate is True)
    samples = (n_steps - 1) // every + 1
    require_memory(_BYTES_PER_NEURON * n_neurons * n_trials + 8.0 * n_trials * samples * recorded_count
                   + 4.0 * n_trials * n_steps * n_groups,
                   f"simulate(n_neurons={n_neurons}, n_steps={n_steps}, n_trials={n_trials}, "
                   f"{recorded_count} neuron variables in record_state every {every} steps, {n_groups} populations "
                   "in record_rate)")


def _announced_seconds(n_neurons: int, n_steps: int, n_trials: int, n_threads: int) -> float:
    """The run's predicted seconds (about 5 ns per neuron-step and thread); a run predicted to take longer than
    :data:`_LONG_RUN_SECONDS` is announced in the log."""
    predicted_seconds = _NS_PER_NEURON_STEP * 1e-9 * n_neurons * n_steps * n_trials / n_threads
    if predicted_seconds > _LONG_RUN_SECONDS:
        _LOGGER.warning("simulate(n_neurons=%d, n_steps=%d, n_trials=%d) will take about %.3g hours on %d "
                        "thread(s) (predicted from the engine's speed; interrupt with Ctrl-C)", n_neurons, n_steps,
                        n_trials, predicted_seconds / 3600.0, n_threads)
    return predicted_seconds


class _Compiled(NamedTuple):
    """The arguments of :func:`simulate` in the kernels' form."""

    neurons: object  # the model's compiled parameters
    inputs: CompiledInputs
    initial: np.ndarray  # (n_trials, n_neurons) u before the first step
    synapses: CompiledConnections | None
    recording: Recording
    receptors: tuple  # see _receptor_indices
    current_receptor: int  # the receptor index the current enters (0: the membrane)


def _compiled(model, inputs, connections, initial_state, n_neurons, n_steps, n_trials, to_record) -> _Compiled:
    """Check the model, inputs, connections and recording (``to_record``: ``record_state, state_every,
    record_spikes, record_rate``) of :func:`simulate` and compile them (no kernel runs)."""
    compiled = model.compile(n_neurons)
    compiled_inputs = prepare_inputs(inputs, n_neurons, n_steps, n_trials, model.dt)
    return _Compiled(compiled, with_spike_receptors(model, inputs, compiled_inputs),
                     initial_membrane(compiled, initial_state, n_neurons, n_trials),
                     _compile_connections(connections, n_neurons, model.dt),
                     compile_recording(model, n_neurons, n_steps, *to_record),
                     _receptor_indices(model, inputs, connections), current_receptor_index(model, inputs))


def _simulate_on_client(client, trials_per_task, model, inputs, **arguments) -> SimulationResult:
    """:func:`simulate` with ``client``: every argument checked here, then runs of consecutive trials as tasks
    of the cluster, each from its first trial's random streams (:func:`_simulate`), merged in trial order."""
    cluster.check_client(client, trials_per_task)
    n_neurons, n_steps, n_trials, seed = _checked_sizes(model, arguments["n_neurons"], arguments["n_steps"],
                                                        arguments["duration"], n_trials=arguments["n_trials"],
                                                        seed=arguments["seed"])
    if arguments["n_threads"] is not None:
        _threads(arguments["n_threads"])
    to_record = tuple(arguments[name] for name in ("record_state", "state_every", "record_spikes", "record_rate"))
    _require_run_memory(n_neurons, n_steps, n_trials, to_record[0], to_record[1], to_record[3])  # merged here
    _compiled(model, inputs, arguments["connections"], arguments["initial_state"], n_neurons, n_steps, n_trials,
              to_record)
    worker_threads = cluster.worker_threads(client)
    show_progress = progress_enabled(arguments["progress"],
                                     _announced_seconds(n_neurons, n_steps, n_trials, worker_threads))
    chunks = cluster.trial_chunks(n_trials, trials_per_task, worker_threads)
    shared, tasks = cluster.split_trials(dict(arguments, model=model, inputs=inputs, n_steps=n_steps, duration=None,
                                              progress=False), chunks)
    results = cluster.run_tasks(client, _simulate, shared, tasks, chunks, show_progress)
    return cluster.merged(results, describe_inputs(inputs))


def _trial_steps(n_steps, duration, dt: float) -> int:
    """The steps of a trial from ``n_steps`` or ``duration`` (seconds), not both; 1000 if neither is given."""
    if duration is None:
        return whole_number("n_steps", 1000 if n_steps is None else n_steps, maximum=_MAX_STEPS)
    if n_steps is not None:
        raise ValueError(f"give n_steps={n_steps!r} or duration={duration!r}, not both")
    steps = seconds_to_steps("duration", duration, dt)
    if steps < 1:
        raise ValueError(f"duration={duration!r} is shorter than one step of dt={dt!r} s")
    return steps


def _run(compiled, compiled_inputs, tables, initial, synapses, seed_u64, first_trial, n_trials, n_neurons, n_steps,
         n_threads, recording, state, rate_counts, show_progress):
    """Run the kernels (unconnected: (trial, block) tasks on the thread pool; connected: the
    parallel kernel); returns the sorted ``(trial, neuron, step)`` arrays of the stored spikes, the state and the
    rate counts ``(n_trials, n_groups, n_steps)`` filled in place."""
    every = np.int64(recording.every)
    if synapses is None:
        tasks = [(trial, start, stop) for trial in range(n_trials)
                 for start, stop in _blocks(n_neurons, n_trials, n_threads)]
        counts_lock = threading.Lock()

        def run(task):
            trial, start, stop = task
            counts, steps, block_rates = _run_block(
                compiled, compiled_inputs, tables, initial, seed_u64, np.int64(first_trial), np.int64(trial),
                np.int64(start), np.int64(stop), np.int64(n_steps), recording.column, every, state, recording.keep,
                recording.group_of, np.int64(len(recording.groups)))
            with counts_lock:  # integer sums: exact in any order; each block's counts freed at once
                rate_counts[trial] += block_rates
            return counts, steps

        bar = progress_bar(len(tasks), show_progress, "simulate", "task")
        if n_threads == 1 or len(tasks) == 1:
            outputs = []
            for task in tasks:
                outputs.append(run(task))
                bar.update(1)
        else:
            futures = [_thread_pool(n_threads).submit(run, task) for task in tasks]
            for future in as_completed(futures):
                bar.update(1)
            outputs = [future.result() for future in futures]  # in task order, whatever order they ended in
        bar.close()
        return _gather_blocks(tasks, outputs)
    else:
        # (trial, block) tasks: one block per trial when the trials share the threads evenly
        n_blocks = 1 if n_trials % n_threads == 0 else max(1, min(n_threads, n_neurons // 32))
        previous_threads = numba.get_num_threads()
        numba.set_num_threads(min(n_threads, int(numba.config.NUMBA_NUM_THREADS)))
        try:
            trial_ids, neurons, steps = _run_connected(
                compiled, compiled_inputs, tables, initial, synapses, _row_weights(synapses), seed_u64,
                np.int64(first_trial),
                np.int64(n_trials), np.int64(n_neurons), np.int64(n_steps), np.int64(n_blocks), recording.column, every,
                state, recording.keep, recording.group_of, rate_counts, _deterministic(compiled))
        finally:
            numba.set_num_threads(previous_threads)
        order = np.lexsort((steps, neurons, trial_ids))
        return trial_ids[order], neurons[order], steps[order]


def _deterministic(compiled) -> bool:
    """Whether the population is the deterministic LIF (no noise, the membrane rule on the grid; its
    :class:`CompiledNeurons`' rule codes), for which the kernels compile a version with the codes as constants."""
    return bool(compiled.family == NONE and compiled.firing == FIRING_MEMBRANE and compiled.bridge == CROSSING_GRID)


def _row_weights(synapses) -> np.ndarray:
    """The one weight of each neuron's outgoing synapses (0 for a neuron without), or an empty array when some
    neuron's synapses differ in weight or the delays differ (then :func:`_deliver` reads every synapse's
    weight). Brunel's networks have one weight per neuron: excitatory J, inhibitory -g J."""
    counts = np.diff(synapses.indptr)
    if synapses.min_delay != synapses.max_delay or synapses.weight.size == 0:
        return np.zeros(0)
    first = synapses.weight[np.minimum(synapses.indptr[:-1], synapses.weight.size - 1)]
    if not np.array_equal(np.repeat(first, counts).view(np.int64), synapses.weight.view(np.int64)):  # bit for bit
        return np.zeros(0)
    return np.where(counts > 0, first, 0.0)


#: neuron-steps per window of an unconnected population with more state (the spike buffer's size, int32 each)
_UNCONNECTED_WINDOW_WORK = 2**22


def _run_with_state(compiled, compiled_state, compiled_inputs, tables, receptors, initial, synapses, seed_u64,
                    first_trial, n_trials, n_neurons, n_steps, n_threads, recording, state, rate_counts):
    """Run :func:`_run_state` (windows of :data:`_UNCONNECTED_WINDOW_WORK` neuron-steps without connections);
    sorted arrays of the stored spikes, the state and rate counts filled in place."""
    poisson_receptor, synapse_receptor = receptors
    if synapses is None:  # windows of about 2**22 neuron-steps: the spike buffer stays small at any length
        window = max(1, min(n_steps, _UNCONNECTED_WINDOW_WORK // (n_trials * n_neurons)))
        synapses = CompiledConnections(np.zeros(n_neurons + 1, dtype=np.int64), np.zeros(0, dtype=np.int32),
                                       np.zeros(0), np.zeros(0, dtype=np.int64), 1, window)
    synapse_receptor = np.ascontiguousarray(np.broadcast_to(synapse_receptor, synapses.post.size), dtype=np.int64)
    n_blocks = 1 if n_trials % n_threads == 0 else max(1, min(n_threads, n_neurons // 32))
    pair = _pair(compiled_state)
    previous_threads = numba.get_num_threads()
    numba.set_num_threads(min(n_threads, int(numba.config.NUMBA_NUM_THREADS)))
    try:
        trial_ids, neurons, steps = _run_state(
            compiled, compiled_state, pack(compiled_state), compiled_inputs, tables, poisson_receptor,
            _first_receptor(poisson_receptor, synapse_receptor, compiled_inputs.event_receptor), initial,
            synapses, synapse_receptor, seed_u64, np.int64(first_trial), np.int64(n_trials), np.int64(n_neurons),
            np.int64(n_steps), np.int64(n_blocks), recording.pointer, recording.entries, np.int64(recording.every),
            state, recording.keep, recording.group_of, rate_counts, _deterministic(compiled), pair,
            _grouped(compiled, compiled_state, recording))
    finally:
        numba.set_num_threads(previous_threads)
    order = np.lexsort((steps, neurons, trial_ids))
    return trial_ids[order], neurons[order], steps[order]


def _pair(compiled_state) -> bool:
    """Whether the state is the commonest, a membrane and one more variable without noise
    (:func:`_state_neuron_window`)."""
    return bool(compiled_state.noise.shape[2] == 0 and compiled_state.propagator.shape[1] == 2)


def _grouped(compiled, compiled_state, recording) -> bool:
    """Whether :func:`_run_state` steps the neurons in groups (:func:`_state_group_window`): the commonest state
    (:func:`_pair`) with at most two receptors and the membrane rule (:func:`nsnn_sim.simulator.state.pair_update`),
    and no variable recorded."""
    return (_pair(compiled_state) and compiled_state.receptor.shape[1] <= 2 and _deterministic(compiled)
            and recording.entries.size == 0)


def _first_receptor(*targeted: np.ndarray) -> np.int64:
    """1 when nothing in the run (Poisson groups, synapses, spike inputs: the receptor indices ``targeted``)
    reaches receptor 0, the membrane's own, whose additions the kernel may then skip; else 0."""
    return np.int64(0 if any((np.asarray(indices) == 0).any() for indices in targeted) else 1)


def _receptor_indices(model, inputs, connections) -> tuple[np.ndarray, int | np.ndarray]:
    """The receptor index of every Poisson input group and of the connections (0: a jump of ``u``), checked
    against the model's receptors before any kernel runs: one index for all synapses, or one per synapse (in
    the order of ``Connections.compile``) when they target several receptors."""
    available = getattr(model, "receptors", ("delta",))

    def index(name, what):
        return _receptor_index(available, name, what)

    groups = [item for item in _input_items(inputs) if isinstance(item, PoissonInput)]
    poisson = np.array([index(item.receptor, f"poisson_input #{k}") for k, item in enumerate(groups)],
                       dtype=np.int64)
    if connections is None:
        return poisson, 0
    names, per_synapse = (connections.receptor_codes() if isinstance(connections, Connections)
                          else ((None,), None))
    codes = np.array([index(name, "connections") for name in names], dtype=np.int64)
    if per_synapse is None or np.all(codes == codes[0]):
        return poisson, int(codes[0])
    return poisson, codes[per_synapse]


def _receptor_index(available: tuple, name, what: str) -> int:
    """The index of receptor ``name`` among the model's ``available`` ones (``None``: the only synapse, or the
    jump of ``u``); ``ValueError`` naming ``what`` when it cannot be told or the model lacks it."""
    if name is None:
        if len(available) > 2:
            raise ValueError(f"{what} must name a receptor: the model has several, {available}")
        return len(available) - 1
    if name not in available:
        raise ValueError(f"{what}: receptor={name!r} is not one of the model's receptors {available}")
    return available.index(name)


def current_receptor_index(model, inputs) -> int:
    """The index among the model's receptors of the one the current enters (0: the membrane), checked before any
    kernel runs (:func:`nsnn_sim.current_input`)."""
    return _receptor_index(getattr(model, "receptors", ("delta",)), current_receptor(inputs), "current_input")


def with_spike_receptors(model, inputs, compiled_inputs: CompiledInputs) -> CompiledInputs:
    """``compiled_inputs`` with each spike-input event's receptor index (checked against the model's receptors)
    in place of the index of its spike input."""
    available = getattr(model, "receptors", ("delta",))
    items = [item for item in _input_items(inputs) if isinstance(item, (SpikeInput, ProjectedSpikes))]
    codes = np.array([_receptor_index(available, item.receptor, f"spike input #{k}") for k, item in enumerate(items)],
                     dtype=np.int64)
    return compiled_inputs._replace(event_receptor=codes[compiled_inputs.event_receptor])


def initial_membrane(compiled, initial_state, n_neurons: int, n_trials: int) -> np.ndarray:
    """``u`` before the first step as an ``(n_trials, n_neurons)`` float64 array (possibly a view)."""
    if initial_state is None:
        return np.broadcast_to(compiled.u_initial, (n_trials, n_neurons))
    array = finite_array("initial_state", initial_state)
    allowed = {0: (), 1: (n_neurons,), 2: (n_trials, n_neurons)}
    if array.ndim not in allowed or array.shape != allowed[array.ndim]:
        raise ValueError(f"initial_state has shape {array.shape}; allowed: scalar, (n_neurons,) = ({n_neurons},) "
                         f"or (n_trials, n_neurons) = ({n_trials}, {n_neurons})")
    return np.broadcast_to(array, (n_trials, n_neurons))


def _gather_blocks(tasks, outputs):
    """Concatenate the blocks' (spike counts per neuron, spike steps) into (trial, neuron, step)
    arrays, freeing each block's buffer as soon as it is copied (peak memory: the spikes once)."""
    total = sum(out[1].size for out in outputs)
    trial_ids = np.empty(total, dtype=np.int32)
    neurons = np.empty(total, dtype=np.int32)
    steps = np.empty(total, dtype=np.int64)
    filled = 0
    for index, (trial, start, stop) in enumerate(tasks):
        counts, block_steps = outputs[index]
        outputs[index] = None
        end = filled + block_steps.size
        trial_ids[filled:end] = trial
        neurons[filled:end] = np.repeat(np.arange(start, stop, dtype=np.int32), counts)
        steps[filled:end] = block_steps
        filled = end
    return trial_ids, neurons, steps


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _thread_pool(n_threads: int) -> ThreadPoolExecutor:
    """A process-wide pool of ``n_threads`` worker threads, created on first use and kept (starting
    threads anew costs about a millisecond per call, a few percent of a small simulation)."""
    with _POOLS_LOCK:
        if n_threads not in _POOLS:
            _POOLS[n_threads] = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix=f"nsnn_sim-{n_threads}")
        return _POOLS[n_threads]


def _blocks(n_neurons: int, n_trials: int, n_threads: int) -> list[tuple[int, int]]:
    """Split the neurons of one trial into blocks: enough tasks overall to keep threads busy."""
    tasks_wanted = 8 * n_threads
    blocks_per_trial = max(1, min(n_neurons // 32, math.ceil(tasks_wanted / n_trials)))
    edges = np.linspace(0, n_neurons, blocks_per_trial + 1).astype(np.int64)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _compile_connections(connections, n_neurons, dt):
    """The kernels' synapses of ``connections`` (a bare matrix: delays of one step), delays in steps of ``dt``."""
    if connections is None:
        return None
    if not isinstance(connections, Connections):
        connections = connect(connections)
    return connections.compile(n_neurons, dt)


def _describe_connections(synapses, n_neurons) -> str:
    if synapses is None:
        return "none"
    return (f"{synapses.post.size} synapses among {n_neurons} neurons, delays "
            f"{int(synapses.delay.min()) if synapses.delay.size else 0}-{synapses.max_delay} steps")


#: A run predicted to take longer than this is announced (log warning) before it starts.
_LONG_RUN_SECONDS = 600.0
_LOGGER = get_logger(__name__)

#: More threads than this would only queue on the cores (and a million of them hangs the pool's start-up).
_MAX_THREADS = 1024


def _threads(value) -> int:
    if value is None:
        return int(numba.config.NUMBA_NUM_THREADS) or (os.cpu_count() or 1)
    return whole_number("n_threads", value, maximum=_MAX_THREADS)
