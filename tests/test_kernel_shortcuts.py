"""The engine's shortcuts give exactly what the plain computation gives.

* Poisson counts from a guide table (``engine._table_count``) equal the inverse-cdf search
  (``engine._binomial_lookup``) for every uniform tried, bucket edges and both table orientations included.
* One weight per spike in the spike delivery (``engine._row_weights``) only when it is that, bit for bit.
* Receptor 0 skipped in the state kernel (``engine._first_receptor``) only when nothing reaches it; a zero input
  added without a branch leaves the state's bits unchanged (``state.pack`` keeps a zero bias +0.0).
* ``_core.stack.stack_array``: a working array on the stack of a compiled function.
"""

import numpy as np
import pytest
from numba import njit

import nsnn_sim as ns
from nsnn_sim._core.stack import stack_array
from nsnn_sim.simulator import rng
from nsnn_sim.simulator.engine import (
    GUIDE_BUCKETS,
    _binomial_lookup,
    _first_receptor,
    _poisson_tables,
    _row_weights,
    _table_count,
)
from nsnn_sim.simulator.network import CompiledConnections


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
