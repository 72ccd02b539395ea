"""The engine's shortcuts give exactly what the plain computation gives.

* Poisson counts from a guide table (``engine._table_count``) equal the inverse-cdf search
  (``engine._binomial_lookup``) for every uniform tried, bucket edges and both table orientations included.
* One weight per spike in the spike delivery (``engine._row_weights``) only when it is that, bit for bit.
* Receptor 0 skipped in the state kernel (``engine._first_receptor``) only when nothing reaches it; a zero input
  added without a branch leaves the state's bits unchanged (``state.pack`` keeps a zero bias +0.0).
* ``_core.stack.stack_array`` and ``stack_words``: working arrays on the stack of a compiled function.
* Neurons with two variables stepped side by side (``engine._state_group_window``, ``state.pair_update``) give
  the spikes of the one-neuron-at-a-time loop (``state.state_update``), bit for bit.
"""

import numpy as np
import pytest
from numba import njit

import nsnn_sim as ns
from nsnn_sim._core.stack import stack_array, stack_words
from nsnn_sim.simulator import engine, rng
from nsnn_sim.simulator.engine import (
    GUIDE_BUCKETS,
    _binomial_lookup,
    _first_receptor,
    _poisson_tables,
    _row_weights,
    _table_count,
)
from nsnn_sim.simulator.network import CompiledConnections
from nsnn_sim.simulator.noise import NONE
from nsnn_sim.simulator.rules import FIRING_MEMBRANE, RESET_SUBTRACT, RESET_ZERO
from nsnn_sim.simulator.state import (
    PAIR_ROW,
    Adaptation,
    ExpSynapse,
    MovingThreshold,
    pair_lane,
    pair_update,
    state_update,
)


@njit(cache=True)
def _both_counts(tables, n, words):
    """(guide-table count, searched count) of each random word, for every table."""
    out = np.empty((tables.last.size, words.size, 2), dtype=np.int64)
    for table in range(tables.last.size):
        last, flip = tables.last[table], tables.flip[table]
        for k in range(words.size):
            out[table, k, 0] = _table_count(tables, table, last, flip, n, words[k])
            out[table, k, 1] = _binomial_lookup(tables.cumulative, table, last, flip, n,
                                                rng.bits_to_uniform(words[k]))
    return out


def _tables(n_sources, probabilities):
    inputs = type("Inputs", (), {"poisson_probability": np.asarray(probabilities, dtype=float).reshape(1, -1),
                                 "poisson_sources": np.array([n_sources])})
    return _poisson_tables(inputs)


@pytest.mark.parametrize("n_sources, probabilities", [
    (10_000, [1e-4, 4e-4, 3e-3, 0.0]),  # Poisson-like, rates of 1 to 30 per step, and no input
    (50, [0.02, 0.3, 0.5, 0.7, 0.98, 1.0]),  # small n, both sides of 1/2 (flipped tables), all sources
    (1, [0.25, 0.999]),
])
def test_guide_table_counts_equal_the_searched_counts(n_sources, probabilities):
    tables = _tables(n_sources, probabilities)
    generator = np.random.default_rng(5)
    shift = 64 - int(np.log2(GUIDE_BUCKETS))
    # random words, and the words at and next to every bucket's edges (the top bits change there)
    edges = np.arange(GUIDE_BUCKETS, dtype=np.uint64) << np.uint64(shift)
    words = np.concatenate([generator.integers(0, 2**64, 200_000, dtype=np.uint64, endpoint=False), edges,
                            edges - np.uint64(1), edges + np.uint64(1), edges + np.uint64(2**12)])
    counts = _both_counts(tables, np.int64(n_sources), words)
    np.testing.assert_array_equal(counts[..., 0], counts[..., 1])
    # the guide really answers most draws at once (else it would be no shortcut)
    assert (tables.guide[~tables.flip] >= 0).mean() > 0.9


def test_guide_entry_is_the_count_below_the_bucket_and_negative_where_an_entry_lies_inside():
    tables = _tables(10_000, [4e-4])
    cumulative, last = tables.cumulative[0, :tables.last[0]], tables.last[0]
    for bucket in range(GUIDE_BUCKETS):
        low, high = bucket / GUIDE_BUCKETS, (bucket + 1) / GUIDE_BUCKETS
        below = int(np.sum(cumulative < low))
        inside = bool(np.any((cumulative >= low) & (cumulative < high)))
        assert tables.guide[0, bucket] == (~below if inside else below), bucket
    assert last == tables.cumulative.shape[1] - 1


def _connections(indptr, weight, delay):
    indptr = np.asarray(indptr, dtype=np.int64)
    post = np.zeros(indptr[-1], dtype=np.int32)
    delay = np.asarray(delay, dtype=np.int64)
    return CompiledConnections(indptr, post, np.asarray(weight, dtype=float), delay, int(delay.max()),
                               int(delay.min()))


def test_row_weights_only_when_every_neuron_has_one_weight_and_one_delay():
    alike = _connections([0, 2, 2, 5], [0.1, 0.1, -0.5, -0.5, -0.5], [3] * 5)
    np.testing.assert_array_equal(_row_weights(alike), [0.1, 0.0, -0.5])
    assert _row_weights(_connections([0, 2, 2, 5], [0.1, 0.2, -0.5, -0.5, -0.5], [3] * 5)).size == 0
    assert _row_weights(_connections([0, 2, 2, 5], [0.1, 0.1, -0.5, -0.5, -0.5], [3, 3, 3, 4, 3])).size == 0
    # equal as numbers is not enough: -0.0 and 0.0 would change the sign of a zero sum
    assert _row_weights(_connections([0, 2], [0.0, -0.0], [1, 1])).size == 0


def test_recurrent_runs_equal_with_and_without_row_weights():
    """A network whose neurons each have one weight, delivered through row weights, against the same network with
    one weight changed by a hair (every synapse read on its own): the same spikes until the changed synapse's
    neuron first fires, the first run bit for bit equal to itself with one and two threads."""
    model = ns.LIF(tau=10e-3, threshold=1.0, u_reset=0.0, tau_ref=2e-3, dt=1e-4, method="exact", noise="none")
    generator = np.random.default_rng(3)
    n = 60
    weights = np.where(generator.random((n, n)) < 0.2, 1.0, 0.0) * np.where(np.arange(n) < 45, 0.08, -0.3)
    drive = ns.poisson_input(2.0, 0.05, 1000)
    runs = [ns.simulate(model, drive, n_neurons=n, n_steps=3000, seed=2, n_threads=threads,
                        connections=ns.connect(weights, delay=1e-3)) for threads in (1, 2)]
    assert runs[0].spikes.step.size > 100
    for field in ("neuron", "step"):
        np.testing.assert_array_equal(getattr(runs[0].spikes, field), getattr(runs[1].spikes, field))
    compiled = ns.connect(weights, delay=1e-3).compile(n, 1e-4)
    assert _row_weights(compiled).size == n
    varied = weights.copy()
    post, pre = np.argwhere(weights != 0)[0]
    varied[post, pre] *= 1 + 1e-15  # every synapse read on its own; nothing else changes
    assert _row_weights(ns.connect(varied, delay=1e-3).compile(n, 1e-4)).size == 0
    other = ns.simulate(model, drive, n_neurons=n, n_steps=3000, seed=2, connections=ns.connect(varied, delay=1e-3))
    first_spike = runs[0].spikes.step[runs[0].spikes.neuron == pre].min()
    before = runs[0].spikes.step <= first_spike + 10  # the changed weight acts only once pre fires, after the delay
    before_other = other.spikes.step <= first_spike + 10
    np.testing.assert_array_equal(runs[0].spikes.neuron[before], other.spikes.neuron[before_other])
    np.testing.assert_array_equal(runs[0].spikes.step[before], other.spikes.step[before_other])


def test_first_receptor_is_one_only_when_nothing_reaches_receptor_zero():
    none = np.zeros(0, dtype=np.int64)
    assert _first_receptor(np.array([1, 2]), none, none) == 1
    assert _first_receptor(np.array([1]), np.array([2, 0]), none) == 0
    assert _first_receptor(none, none, np.array([0])) == 0
    assert _first_receptor(none, none, none) == 1


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_a_zero_bias_is_packed_as_positive_zero(method):
    from nsnn_sim.simulator.state import ExpSynapse, pack

    model = ns.LIF(tau=10e-3, u_rest=-0.0, threshold=1.0, dt=1e-4, method=method, noise="none",
                   synapses={"exc": ExpSynapse(2e-3)})
    compiled = model.compile_state(3, 0)
    assert method == "exact" or np.signbit(compiled.bias).any()  # Euler's bias c*dt keeps the sign of -0.0
    packed = pack(compiled)
    d = compiled.propagator.shape[1]
    bias = packed[:, d * d:d * d + d]
    assert np.all(bias == 0.0) and not np.any(np.signbit(bias))


@njit(cache=True)
def _stack_sum(values):
    work = stack_array(3)
    for k in range(3):
        work[k] = values[k] * 2.0
    return work[0] + work[1] + work[2], work.size


def test_stack_array_is_a_working_array_of_its_literal_size():
    total, size = _stack_sum(np.array([1.0, 2.0, 3.5]))
    assert (total, size) == (13.0, 3)


@njit(cache=True)
def _stack_words_xor(values):
    work = stack_words(2)
    work[0], work[1] = values[0], values[1]
    return work[0] ^ work[1], work.size


def test_stack_words_hold_whole_64_bit_words():
    top = np.uint64(2**63 + 5)
    assert _stack_words_xor(np.array([top, np.uint64(3)], dtype=np.uint64)) == (top ^ np.uint64(3), 2)


@njit(cache=True)
def _both_steps(rows, flags, values, lanes):
    """For each case: (state_update's x, refractory, spike) and pair_update's, from the same numbers; ``rows[k]`` a
    row of pack (2 variables, 2 receptors), ``flags[k]`` (n_receptors, first_receptor, clamp, reset_zero,
    refractory_left, refractory_steps), ``values[k]`` (x0, x1, current, weight 0, weight 1, threshold, u_reset)."""
    n_cases = rows.shape[0]
    out = np.empty((n_cases, 2, 4))
    x, scratch, xs = np.empty(2), np.empty(2), np.zeros(2 * lanes)
    lane_rows = np.zeros(PAIR_ROW * lanes)
    draws, lane_draws = np.zeros((1, 3)), np.zeros((lanes, 1, 3))
    for k in range(n_cases):
        n_receptors, first_receptor, clamp, reset_zero, left, steps = flags[k]
        x0, x1, current, weight0, weight1, threshold, u_reset = values[k]
        length = 16 + 2 * n_receptors + 4  # the row of a model with n_receptors receptors
        c = np.concatenate((rows[k, :16 + 2 * n_receptors], rows[k, 20:24]))[:length]
        lane = k % lanes
        constants = (0.0, 0.0, 0.0, 1.0, threshold, u_reset, steps, 0.0)
        codes = (NONE, FIRING_MEMBRANE, RESET_ZERO if reset_zero else RESET_SUBTRACT, 0)
        x[0], x[1] = x0, x1
        draws[0, 0], draws[0, 1] = weight0, weight1
        left_after, spike = state_update(c, 2, 0, clamp, x, scratch, left, current, draws, 0, n_receptors,
                                         constants, codes, first_receptor)
        out[k, 0, 0], out[k, 0, 1], out[k, 0, 2], out[k, 0, 3] = x[0], x[1], left_after, spike
        pair_lane(c, n_receptors, threshold, u_reset, lane_rows, lane, lanes)
        xs[2 * lane], xs[2 * lane + 1] = x0, x1
        lane_draws[lane, 0, 0], lane_draws[lane, 0, 1] = weight0, weight1
        left_after, spike = pair_update(lane_rows, lane, lanes, clamp, xs, float(left), current, lane_draws, 0,
                                        n_receptors, first_receptor, float(steps), reset_zero == 1)
        out[k, 1, 0], out[k, 1, 1], out[k, 1, 2], out[k, 1, 3] = xs[2 * lane], xs[2 * lane + 1], left_after, spike
    return out


def test_pair_update_is_state_update_bit_for_bit():
    """Random maps, states and inputs, every branch (held or free, clamp or integrate, one or two receptors,
    receptor 0 skipped or not, either reset, spike or none: about half the free cases fire): the same bits."""
    generator = np.random.default_rng(12)
    n_cases = 40_000
    rows = generator.normal(0.0, 1.0, (n_cases, 24))
    rows[:, 4:8] = np.where(generator.random((n_cases, 4)) < 0.2, 0.0, rows[:, 4:8])  # zero biases and drives
    flags = np.stack([generator.integers(1, 3, n_cases), generator.integers(0, 2, n_cases),
                      generator.integers(0, 2, n_cases), generator.integers(0, 2, n_cases),
                      np.where(generator.random(n_cases) < 0.3, generator.integers(1, 4, n_cases), 0),
                      generator.integers(0, 5, n_cases)], axis=1).astype(np.int64)
    values = generator.normal(0.0, 1.0, (n_cases, 7))
    values[:, 3:5] = np.where(generator.random((n_cases, 2)) < 0.5, 0.0, values[:, 3:5])  # no input
    out = _both_steps(rows, flags, values, 4)
    fired = out[:, 0, 3] == 1
    assert 0.3 < fired[flags[:, 4] == 0].mean() < 0.7
    np.testing.assert_array_equal(out[:, 0].view(np.int64), out[:, 1].view(np.int64))


_N_SIDE_BY_SIDE = 71  # two blocks on two threads (35 and 36 neurons): groups of engine._GROUP and a remainder


def _side_by_side_cases():
    generator = np.random.default_rng(11)
    n = _N_SIDE_BY_SIDE
    tau = generator.uniform(8e-3, 12e-3, n)
    swing = np.sin(np.arange(3000) / 40.0)[None, :, None] * generator.uniform(0.5, 1.5, (3, 1, n))
    synapse = dict(threshold=1.0, u_reset=0.1, tau_ref=1e-3, dt=1e-4, method="exact", noise="none")

    def inputs(current, receptor, rate, weight):
        # the same kinds of input in every case (one compiled kernel): a current per trial and neuron, a Poisson
        # drive, spike inputs
        return [current + 0.3 * swing, ns.poisson_input(rate, weight, 5, receptor=receptor),
                ns.spike_input([[0.01 + 0.003 * k] for k in range(n)], 0.5, receptor=receptor)]

    exp_synapse = {"exc": ExpSynapse(2e-3)}
    return {
        # heterogeneous; input to both receptors (receptor 0 too)
        "exp synapse, clamp": (
            ns.LIF(tau=tau, synapses={"exc": ExpSynapse(generator.uniform(1e-3, 3e-3, n))}, **synapse),
            [*inputs(0.6, "exc", 1500.0, 0.04), ns.poisson_input(800.0, 0.03, 3)], None),
        "exp synapse, integrate, subtract, euler": (
            ns.LIF(tau=10e-3, synapses=exp_synapse, refractory="integrate", reset="subtract",
                   **{**synapse, "method": "euler"}), inputs(0.5, "exc", 2000.0, 0.05), None),
        "adaptation": (ns.LIF(tau=tau, adaptation=Adaptation(0.05, generator.uniform(0.0, 0.5, n), 0.1), **synapse),
                       inputs(1.3, "delta", 1000.0, 0.05), None),
        "moving threshold, integrate": (
            ns.LIF(tau=10e-3, moving_threshold=MovingThreshold(0.05, 0.2), refractory="integrate", **synapse),
            inputs(1.2, "delta", 1000.0, 0.05), None),
        "connected exp synapses": (
            ns.LIF(tau=10e-3, synapses=exp_synapse, **synapse), inputs(0.0, "exc", 2000.0, 0.06),
            ns.connect(np.where(generator.random((n, n)) < 0.3, 0.05, 0.0), delay=1e-3, receptor="exc")),
    }


@pytest.mark.parametrize("name", list(_side_by_side_cases()))
def test_neurons_stepped_side_by_side_equal_one_at_a_time(name, monkeypatch):
    """Three trials of 71 neurons on two threads: the grouped kernel (taken: checked) against the same run with it
    switched off, spike for spike."""
    model, inputs, connections = _side_by_side_cases()[name]
    grouped = []
    decide = engine._grouped
    monkeypatch.setattr(engine, "_grouped", lambda *args: grouped.append(decide(*args)) or grouped[-1])
    arguments = dict(n_neurons=_N_SIDE_BY_SIDE, n_steps=3000, n_trials=3, seed=6, n_threads=2,
                     connections=connections)
    side_by_side = ns.simulate(model, inputs, **arguments)
    assert grouped == [True]
    monkeypatch.setattr(engine, "_grouped", lambda *args: False)
    one_at_a_time = ns.simulate(model, inputs, **arguments)
    assert side_by_side.spikes.step.size > 1000
    for field in ("trial", "neuron", "step"):
        np.testing.assert_array_equal(getattr(side_by_side.spikes, field), getattr(one_at_a_time.spikes, field))
