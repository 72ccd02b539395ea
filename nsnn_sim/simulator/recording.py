"""What a run records, checked and put in the kernels' form: :func:`compile_recording` and :class:`Recording`.

:func:`nsnn_sim.simulate` records neuron variables, spikes and population rates, each stored by the kernels as the
run goes (nothing is recorded in full and thinned afterwards):

``record_state``
    Neuron variables: an array of neuron indices records ``u`` (after the reset) of those neurons, or a dict
    ``{variable: neuron indices}`` records each named variable of the model (``model.state_variables``: ``u``,
    a synaptic current ``I_r`` per receptor ``r`` (alpha synapses also ``y_r``), adaptation currents ``w_k``,
    moving threshold components ``q_j``) of its neurons. Column ``c`` of the result's ``state`` array is variable
    ``state_variables[c]`` of neuron ``state_neurons[c]``, columns in the order given.
``state_every``
    The state is written at steps ``0, k, 2k, ...`` only (``k = state_every >= 1``): ``ceil(n_steps/k)``
    samples, into an array of that size made before the run.
``record_spikes``
    ``True`` (every neuron's spikes), ``False`` (none) or neuron indices: the spikes of other neurons are never
    stored (they still reach their targets).
``record_rate``
    ``True`` (all neurons as one population ``"all"``) or a dict ``{population name: neuron indices}`` of
    disjoint groups: the kernels count each group's spikes at every step, ``(n_trials, n_groups, n_steps)``
    int32, whether or not the spikes are kept, so a rate-only run holds no spike list.

Examples
--------
>>> import nsnn_sim as ns
>>> model = ns.LIF(tau_syn=2e-3)
>>> spec = compile_recording(model, 10, 100, {"u": [0, 1], "I_syn": [1]}, 10, False, {"a": range(5), "b": [5, 6]})
>>> spec.variables, spec.neurons.tolist(), spec.n_samples, spec.groups, spec.group_sizes.tolist()
(('u', 'u', 'I_syn'), [0, 1, 1], 10, ('a', 'b'), [5, 2])
>>> spec.pointer.tolist()  # neuron i's columns are entries pointer[i]:pointer[i + 1]
[0, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3]
>>> spec.entries.tolist()  # (variable index in the state vector, column of the result)
[[0, 0], [0, 1], [1, 2]]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nsnn_sim._core.validation import describe, neuron_indices, whole_number

__all__ = ["Recording", "compile_recording"]


class Recording(NamedTuple):
    """A run's recording in the kernels' form (module docstring)."""

    variables: tuple  # the variable of each state column
    neurons: np.ndarray  # (n_columns,) int64: the neuron of each state column
    pointer: np.ndarray  # (n_neurons + 1,) int64: neuron i's columns are entries pointer[i]:pointer[i + 1]
    entries: np.ndarray  # (n_columns, 2) int64: (index of the variable in the state vector, column), by neuron
    column: np.ndarray  # (n_neurons,) int64: the column of neuron i's u, -1 if none (the kernels of u alone)
    every: int  # state_every
    n_samples: int  # ceil(n_steps / every)
    keep: np.ndarray  # (n_neurons,) bool: the neuron's spikes are stored
    spike_neurons: np.ndarray | None  # the neurons whose spikes are stored, None for all
    group_of: np.ndarray  # (n_neurons,) int64: the neuron's rate group, -1 if none
    groups: tuple  # the groups' names
    group_sizes: np.ndarray  # (n_groups,) int64


def compile_recording(model, n_neurons: int, n_steps: int, record_state, state_every, record_spikes,
              record_rate) -> Recording:
    """Check :func:`nsnn_sim.simulate`'s recording arguments against ``model`` (its ``state_variables``) and
    the run's size; return them as a :class:`Recording`. Raises ``TypeError``/``ValueError`` naming the
    argument before any kernel runs."""
    every = whole_number("state_every", state_every)
    variables, neurons = _state_columns(model, n_neurons, record_state)
    names = tuple(getattr(model, "state_variables", ("u",)))
    order = np.argsort(neurons, kind="stable")
    entries = np.column_stack([[names.index(name) for name in np.array(variables, dtype=object)[order]],
                               order]).astype(np.int64).reshape(-1, 2)
    pointer = np.searchsorted(neurons[order], np.arange(n_neurons + 1)).astype(np.int64)
    column = np.full(n_neurons, -1, dtype=np.int64)
    column[neurons] = np.arange(neurons.size)
    keep, spike_neurons = _kept_spikes(record_spikes, n_neurons)
    group_of, groups, sizes = _rate_groups(record_rate, n_neurons)
    return Recording(variables, neurons, pointer, entries, column, every, (n_steps - 1) // every + 1, keep,
                     spike_neurons, group_of, groups, sizes)


def _state_columns(model, n_neurons: int, record_state) -> tuple[tuple, np.ndarray]:
    """``(variable of each column, neuron of each column)`` of ``record_state``."""
    if record_state is None:
        return (), np.zeros(0, dtype=np.int64)
    if not isinstance(record_state, dict):
        neurons = neuron_indices("record_state", record_state, n_neurons)
        return ("u",) * neurons.size, neurons
    names = tuple(getattr(model, "state_variables", ("u",)))
    variables, neurons = [], []
    for name, indices in record_state.items():
        if name not in names:
            raise ValueError(f"record_state: variable {name!r} is not one of the model's variables {names}")
        chosen = neuron_indices(f"record_state[{name!r}]", indices, n_neurons)
        variables += [name] * chosen.size
        neurons.append(chosen)
    return tuple(variables), np.concatenate(neurons) if neurons else np.zeros(0, dtype=np.int64)


def _kept_spikes(record_spikes, n_neurons: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``(keep, spike_neurons)`` of ``record_spikes``: True, False or neuron indices."""
    if isinstance(record_spikes, (bool, np.bool_)):
        return np.full(n_neurons, bool(record_spikes)), None if record_spikes else np.zeros(0, dtype=np.int64)
    if record_spikes is None:
        raise TypeError("record_spikes must be True, False or an array of neuron indices, got None")
    neurons = np.sort(neuron_indices("record_spikes", record_spikes, n_neurons))
    keep = np.zeros(n_neurons, dtype=np.bool_)
    keep[neurons] = True
    return keep, neurons


def _rate_groups(record_rate, n_neurons: int) -> tuple[np.ndarray, tuple, np.ndarray]:
    """``(group of each neuron, names, sizes)`` of ``record_rate``: None/False, True or a dict of disjoint groups."""
    group_of = np.full(n_neurons, -1, dtype=np.int64)
    if record_rate is None or record_rate is False:
        return group_of, (), np.zeros(0, dtype=np.int64)
    if record_rate is True:
        record_rate = {"all": np.arange(n_neurons)}
    if not isinstance(record_rate, dict) or not record_rate:
        raise TypeError(f"record_rate must be True or a non-empty dict of population name -> neuron indices, got "
                        f"{describe(record_rate)}")
    sizes = []
    for index, (name, indices) in enumerate(record_rate.items()):
        if not isinstance(name, str):
            raise TypeError(f"record_rate: population names must be strings, got {describe(name)}")
        chosen = neuron_indices(f"record_rate[{name!r}]", indices, n_neurons)
        if not chosen.size:
            raise ValueError(f"record_rate[{name!r}] is empty: a population needs at least one neuron")
        taken = chosen[group_of[chosen] >= 0]
        if taken.size:
            raise ValueError(f"record_rate[{name!r}]: neuron {taken[0]} is already in population "
                             f"{list(record_rate)[group_of[taken[0]]]!r}; the populations must be disjoint")
        group_of[chosen] = index
        sizes.append(chosen.size)
    return group_of, tuple(record_rate), np.array(sizes, dtype=np.int64)
