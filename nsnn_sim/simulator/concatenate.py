"""Populations joined end to end: one model with per-neuron parameters, one set of inputs.

A network of populations runs as one population of ``N = sum n_k`` neurons (population ``k`` holds the neurons
``offset_k : offset_k + n_k``), so it runs on the engine's kernels unchanged:

* :func:`concatenate_models`: the populations' models must be of one class (all :class:`LIF` or all
  :class:`NSNN`) and share everything that is one value for a whole run: ``dt``, ``method``, the firing rule,
  noise family, reset, threshold-crossing and refractory modes, and the structure of their state (the same
  receptor names with the same synapse kinds, as many adaptation currents and threshold components). Numeric
  parameters may differ: they become per-neuron arrays (a parameter equal in every population stays a scalar).
  A mix is refused with a ``ValueError`` naming the parameter and each population's value.
* :func:`concatenate_inputs`: each population's current becomes its columns of one current; its Poisson drives
  join the network's Poisson groups, the ``j``-th drive of every population in one group when their
  kind (constant or inhomogeneous), ``n_sources`` and ``receptor`` agree (rate and weight 0 for the neurons of
  populations without it; an inhomogeneous group's course is ``(n_trials or 1, n_steps, N)``); its spike inputs
  become spike inputs of the joined population (no trains, weight 0, for the other populations' neurons).

Examples
--------
>>> from nsnn_sim.simulator.neurons import LIF
>>> from nsnn_sim.simulator.concatenate import concatenate_models
>>> model = concatenate_models([LIF(tau=20e-3), LIF(tau=10e-3)], [2, 1], ["E", "I"])
>>> model.tau.tolist()
[0.02, 0.02, 0.01]
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass

import numpy as np

from nsnn_sim._core.validation import per_neuron
from nsnn_sim.simulator.network import (
    INPUT_ITEMS,
    CurrentInput,
    InhomogeneousPoissonInput,
    PoissonInput,
    _broadcast_neurons,
    _current_view,
    _input_items,
    current_values,
)
from nsnn_sim.simulator.stimuli import SpikeInput
from nsnn_sim.spikes import SpikeTrains

__all__ = ["concatenate_models", "concatenate_inputs"]


def concatenate_models(models: list, sizes: list[int], names: list[str]):
    """One model of the class of ``models`` whose neuron ``offset_k + i`` is neuron ``i`` of ``models[k]``
    (``sizes[k]`` neurons, population ``names[k]``); ``ValueError`` naming what differs if they cannot join."""
    first = models[0]
    for name, model in zip(names, models):
        if type(model) is not type(first):
            raise ValueError(f"population {name!r} has a {type(model).__name__} model and population {names[0]!r} "
                             f"a {type(first).__name__}: the populations of a network share one model class")
    parameters = {item.name: _join(item.name, [getattr(model, item.name) for model in models], sizes, names)
                  for item in fields(first) if item.init}
    return type(first)(**parameters)


def _differs(path: str, values: list, names: list[str]) -> ValueError:
    shown = ", ".join(f"{name!r}: {value!r}" for name, value in zip(names, values))
    return ValueError(f"{path} differs between populations ({shown}): the populations of a network share dt, "
                      "method, firing rule, noise family, reset and the kinds of their synapses, adaptation and "
                      "threshold components; only numeric parameters may differ")


def _join(path: str, values: list, sizes: list[int], names: list[str]):
    """One parameter of the joined model (recursively through synapse dicts and state components)."""
    first = values[0]
    if isinstance(first, dict):
        if any(not isinstance(value, dict) or list(value) != list(first) for value in values):
            raise _differs(f"{path} (receptor names)", [list(value) for value in values], names)
        return {key: _join(f"{path}[{key!r}]", [value[key] for value in values], sizes, names) for key in first}
    if isinstance(first, tuple):
        if any(len(value) != len(first) for value in values):
            raise _differs(f"{path} (number of components)", [len(value) for value in values], names)
        return tuple(_join(f"{path}[{index}]", [value[index] for value in values], sizes, names)
                     for index in range(len(first)))
    if is_dataclass(first):
        if any(type(value) is not type(first) for value in values):
            raise _differs(f"{path} (kind)", [type(value).__name__ for value in values], names)
        return type(first)(**{item.name: _join(f"{path}.{item.name}", [getattr(value, item.name) for value in values],
                                               sizes, names) for item in fields(first) if item.init})
    if first is None or isinstance(first, (str, bool)) or path == "dt":
        if any(value != first for value in values):
            raise _differs(path, values, names)
        return first
    if all(np.ndim(value) == 0 for value in values) and all(value == first for value in values):
        return first
    return np.concatenate([per_neuron(f"{path} of population {name!r}", value, size)
                           for value, size, name in zip(values, sizes, names)])


def concatenate_inputs(inputs: list, sizes: list[int], names: list[str], n_steps: int | None, n_trials: int):
    """The inputs of the joined population (a current and Poisson drives, as :func:`nsnn_sim.simulate` takes):
    ``inputs[k]`` is population ``names[k]``'s (anything :func:`nsnn_sim.simulate` accepts for its
    ``sizes[k]`` neurons). ``n_steps`` may be ``None`` when no population has a time-varying current."""
    items = [_input_items(value) for value in inputs]
    currents = [[item for item in group if item is not None and not isinstance(item, INPUT_ITEMS)]
                for group in items]
    for name, group in zip(names, currents):
        if len(group) > 1:
            raise ValueError(f"inputs of population {name!r} may hold at most one current array (add them first)")
    current = _joined_current([current_values(group[0]) if group else 0.0 for group in currents], sizes, names,
                              n_steps, n_trials)
    receptor = _joined_current_receptor([group[0] for group in currents if group], names)
    if receptor != "delta":
        current = CurrentInput(current, receptor)
    drives = _joined_drives([[item for item in group if isinstance(item, PoissonInput)] for group in items], sizes,
                            names, n_steps, n_trials)
    stimuli = [_joined_spike_input(item, population, sizes) for population, group in enumerate(items)
               for item in group if isinstance(item, SpikeInput)]
    items = ([current] if np.ndim(current) or current != 0.0 else []) + drives + stimuli
    return items[0] if len(items) == 1 else items or current


def _joined_current_receptor(currents: list, names: list[str]) -> str:
    """The one receptor the populations' currents enter (a plain current: ``"delta"``, the membrane); a
    ``ValueError`` when they name different receptors (one run takes one current)."""
    receptors = {current.receptor if isinstance(current, CurrentInput) else "delta" for current in currents}
    if len(receptors) > 1:
        raise ValueError(f"the populations' currents enter different receptors {sorted(receptors)}: a run of the "
                         f"network {names} takes one current, into one receptor")
    return receptors.pop() if receptors else "delta"


def _joined_current(values: list, sizes: list[int], names: list[str], n_steps: int | None, n_trials: int):
    """A scalar when every population's current is one number, else ``(N,)``, else ``(n_trials, n_steps, N)``
    (a zero-stride view over trials when no population's current depends on the trial)."""
    if all(np.ndim(value) == 0 for value in values):
        if all(value == values[0] for value in values):
            return values[0]
    if all(np.ndim(value) <= 1 for value in values):
        return np.concatenate([np.array(_current_view(value, size, 1, 1, f"inputs of population {name!r}")[0, 0])
                               for value, size, name in zip(values, sizes, names)])
    if n_steps is None:
        raise ValueError("a time-varying current needs n_steps (the network was built without it)")
    views = [_current_view(value, size, n_steps, n_trials, f"inputs of population {name!r}")
             for value, size, name in zip(values, sizes, names)]
    if all(np.ndim(value) <= 2 for value in values):  # the same for every trial: one trial, viewed n_trials times
        joined = np.concatenate([view[0] for view in views], axis=1)
        return np.broadcast_to(joined, (n_trials, *joined.shape))
    return np.concatenate(views, axis=2)


def _joined_drives(drives: list[list[PoissonInput]], sizes: list[int], names: list[str], n_steps: int | None,
                   n_trials: int) -> list[PoissonInput]:
    """Poisson groups of the joined population: the ``j``-th drive of each population joins the ``j``-th group
    of its (kind, ``n_sources``, ``receptor``)."""
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n_neurons = int(offsets[-1])
    groups: list[dict] = []
    for population, own in enumerate(drives):
        used = set()
        for drive in own:
            varying = isinstance(drive, InhomogeneousPoissonInput)
            kind = (varying, drive.n_sources, drive.receptor)
            index = next((k for k, group in enumerate(groups) if group["kind"] == kind and k not in used), None)
            if index is None:
                if varying and n_steps is None:
                    raise ValueError("an inhomogeneous Poisson input needs n_steps (the network was built without it)")
                rate_shape = (n_trials if drive.rate.ndim == 3 else 1, n_steps, n_neurons) if varying else n_neurons
                groups.append({"kind": kind, "rate": np.zeros(rate_shape), "weight": np.zeros(n_neurons),
                               "covered": np.zeros(n_neurons, dtype=bool)})
                index = len(groups) - 1
            used.add(index)
            part = slice(offsets[population], offsets[population + 1])
            group = groups[index]
            label = f"of population {names[population]!r}"
            if varying:
                course = drive.course(sizes[population], n_steps, n_trials)
                group["rate"] = _with_trials(group["rate"], course.shape[0])
                group["rate"][:, :, part] = course
            else:
                group["rate"][part] = _broadcast_neurons(f"poisson_input rate {label}", drive.rate, sizes[population])
            group["weight"][part] = _broadcast_neurons(f"poisson_input weight {label}", drive.weight,
                                                       sizes[population])
            group["covered"][part] = True
    # a course of every trial as a 3-D view (a 2-D course would be read with a warning when n_steps == N)
    return [(InhomogeneousPoissonInput(np.broadcast_to(group["rate"], (n_trials, *group["rate"].shape[1:])),
                                       _compact(group["weight"], group["covered"]), *group["kind"][1:])
             if group["kind"][0] else
             PoissonInput(_compact(group["rate"], group["covered"]), _compact(group["weight"], group["covered"]),
                          *group["kind"][1:])) for group in groups]


def _with_trials(rate: np.ndarray, n_trials: int) -> np.ndarray:
    """A joined course ``(1 or n, n_steps, N)`` with at least ``n_trials`` rows (its one row repeated)."""
    return rate if rate.shape[0] >= n_trials else np.repeat(rate, n_trials, axis=0)


def _joined_spike_input(item: SpikeInput, population: int, sizes: list[int]) -> SpikeInput:
    """Population ``population``'s spike input as one of the joined population (its trains at its neurons, none
    and weight 0 elsewhere); ``ValueError`` when its trains are not one per neuron."""
    offset, total = int(np.sum(sizes[:population])), int(np.sum(sizes))
    if item.n_trains != sizes[population]:
        raise ValueError(f"spike_input times has {item.n_trains} spike trains but population #{population} has "
                         f"{sizes[population]} neurons (one train per neuron)")
    weight = np.zeros(total)
    weight[offset:offset + sizes[population]] = np.broadcast_to(item.weight, (sizes[population],))
    times = item.times
    if isinstance(times, SpikeTrains):
        times = SpikeTrains(times.trial, times.neuron + offset, times.step, times.dt, times.n_trials, total,
                            times.n_steps)
    else:
        empty = (np.zeros(0),)
        times = empty * offset + times + empty * (total - offset - sizes[population])
    return SpikeInput(times, _compact(weight, np.ones(total, dtype=bool)), item.receptor, item.off_grid)


def _compact(values: np.ndarray, covered: np.ndarray):
    """``values`` as one scalar when every neuron has the drive and the same value (the form a single
    population's drive has), else the per-neuron array."""
    if covered.all() and np.all(values == values[0]):
        return values[0]
    return values
