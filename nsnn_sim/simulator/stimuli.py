"""Spike inputs: given spike times, each spike an input of a weight into a receptor of its target neuron.

* :func:`spike_input` ``(times, weight, receptor=None)``: neuron ``i`` receives an input of ``weight[i]`` at each
  of its spike times ``times[i]`` (seconds, units accepted; or a :class:`~nsnn_sim.spikes.SpikeTrains`, e.g. from
  :meth:`~nsnn_sim.spikes.SpikeTrains.from_neo`, whose neuron ``i`` drives neuron ``i``). An input of weight ``w``
  at step ``k`` enters exactly as a Poisson input spike or a recurrent spike arriving at ``k`` does: ``u <- u + w``
  after the step's update for a jump of ``u``, or ``I_r <- I_r + w tau/tau_r`` for an exponential synapse ``r``
  (:mod:`nsnn_sim.simulator.state`), where NEST's ``spike_generator`` and Brian2's ``SpikeGeneratorGroup``
  deliver it. Times are turned into steps by the project's one rule
  (:func:`nsnn_sim._core.timesteps.seconds_to_steps`): a time off the grid of ``dt`` is refused naming it, unless
  ``off_grid="nearest"`` (``rint(t/dt)``, as NEST's ``spike_generator`` with ``allow_offgrid_times``); a time
  at or after the run's end is refused. Spike times must be sorted (non-decreasing); a time given twice is two
  inputs.
* :class:`ProjectedSpikes`: the spikes of a source population (:class:`~nsnn_sim.simulator.populations.Network`'s
  spike generators and Poisson sources) sent through synapses ``(post, pre, weight, delay)``: a spike of source
  ``j`` at step ``s`` is an input of ``weight`` to ``post`` at step ``s + delay`` (dropped beyond the run, as
  recurrent spikes are).

Both compile into events (:func:`compile_events`): for each (trial, neuron) the steps of its inputs, their
weights and the input item each came from (its receptor). The kernels add a neuron's events of a step after
its recurrent and Poisson inputs, in the order of the items in ``inputs``, then of the source neurons, then of
the spike times. The events of an input that is the same in every trial are stored once.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.simulator.stimuli import spike_input
>>> spike_input([[0.001, 0.003], []], weight=0.5)
SpikeInput(2 trains, 2 spikes, weight=0.5, receptor=None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nsnn_sim._core.messages import describe
from nsnn_sim._core.timesteps import seconds_to_steps
from nsnn_sim._core.validation import finite_array, numeric_parameter, si_value
from nsnn_sim.simulator import rng
from nsnn_sim.spikes import SpikeTrains

__all__ = ["SpikeInput", "spike_input", "ProjectedSpikes", "SpikeGenerator", "PoissonSource"]

OFF_GRID = ("refuse", "nearest")


def receptor_name(name: str, value) -> str | None:
    """``value`` if it can name a receptor (None, or a string); ``TypeError`` otherwise."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be the name of a receptor (a string) or None, got {value!r}")
    return value


def spike_times(name: str, trains) -> tuple[np.ndarray, ...]:
    """``trains`` (a sequence of spike-time arrays, one per neuron; seconds or times with units) as read-only
    float64 arrays, each finite, ``>= 0`` and sorted; ``ValueError``/``TypeError`` naming ``name[i]`` otherwise."""
    if isinstance(trains, np.ndarray) and trains.dtype != object and trains.ndim == 2:
        trains = list(trains)  # one row per neuron
    if not isinstance(trains, (list, tuple, np.ndarray)) or (
            isinstance(trains, np.ndarray) and (trains.dtype != object or trains.ndim != 1)):
        raise TypeError(f"{name} must be a list of spike-time arrays (one per neuron, seconds) or a SpikeTrains, "
                        f"got {describe(trains)}")
    checked = []
    for index, train in enumerate(trains):
        label = f"{name}[{index}]"
        values = finite_array(label, si_value(label, train, "s"), "a 1-D array of spike times (seconds)")
        if values.ndim != 1:
            raise ValueError(f"{label} must be a 1-D array of spike times (one neuron's train; [] for none), got "
                             f"shape {values.shape}")
        if values.size and values.min() < 0:
            raise ValueError(f"{label}={describe(values)} must be >= 0 s (the run starts at 0)")
        if np.any(np.diff(values) < 0):
            where = int(np.flatnonzero(np.diff(values) < 0)[0])
            raise ValueError(f"{label} must be sorted (non-decreasing): {values[where]!r} s is followed by "
                             f"{values[where + 1]!r} s")
        values.setflags(write=False)
        checked.append(values)
    if not checked:
        raise ValueError(f"{name} must hold at least one spike train (one per neuron)")
    return tuple(checked)


@dataclass(frozen=True, eq=False)
class SpikeInput:
    """Given spike times as inputs (module docstring): ``times[i]`` drive neuron ``i`` with ``weight`` (scalar or
    one per neuron, membrane units as for :class:`~nsnn_sim.simulator.network.PoissonInput`) into ``receptor``."""

    times: object  # tuple of float64 arrays (seconds), or a SpikeTrains
    weight: float | np.ndarray = 1.0
    receptor: str | None = None
    off_grid: str = "refuse"

    def __post_init__(self):
        receptor_name("receptor", self.receptor)
        if self.off_grid not in OFF_GRID:
            raise ValueError(f"off_grid={self.off_grid!r}; allowed: {OFF_GRID}")
        if not isinstance(self.times, SpikeTrains):
            object.__setattr__(self, "times", spike_times("times", self.times))
        object.__setattr__(self, "weight", np.asarray(numeric_parameter("weight", self.weight)))

    @property
    def n_trains(self) -> int:
        return self.times.n_neurons if isinstance(self.times, SpikeTrains) else len(self.times)

    def __repr__(self) -> str:
        count = len(self.times) if isinstance(self.times, SpikeTrains) else sum(train.size for train in self.times)
        weight = float(self.weight) if self.weight.ndim == 0 else f"array(shape={self.weight.shape})"
        return f"SpikeInput({self.n_trains} trains, {count} spikes, weight={weight}, receptor={self.receptor!r})"

    def describe(self) -> dict:
        described = {"spike_input": repr(self)}
        return described if self.off_grid == "refuse" else {**described, "off_grid": self.off_grid}

    def events(self, n_neurons: int, n_steps: int, n_trials: int, dt: float,
               label: str = "spike_input") -> tuple[np.ndarray, ...]:
        """``(trial, neuron, step, weight)`` of every input (``trial = -1``: every trial), in the order of
        the neurons, then of the times; ``ValueError`` naming ``label``'s times for trains that do not fit the run."""
        if self.n_trains != n_neurons:
            raise ValueError(f"{label} times has {self.n_trains} spike trains but n_neurons={n_neurons} (one "
                             "train per neuron: give an empty array to a neuron without input spikes)")
        weight = np.broadcast_to(_per_target(f"{label} weight", self.weight, n_neurons), (n_neurons,))
        if isinstance(self.times, SpikeTrains):
            trial, neuron, step = _train_steps(self.times, n_steps, n_trials, dt, label)
        else:
            neuron = np.repeat(np.arange(n_neurons, dtype=np.int64), [train.size for train in self.times])
            times = np.concatenate(self.times)
            step = (np.asarray(seconds_to_steps(f"{label} times", times, dt, off_grid=self.off_grid),
                               dtype=np.int64).reshape(-1) if times.size else np.zeros(0, dtype=np.int64))
            late = step >= n_steps
            if np.any(late):
                raise ValueError(f"{label} times={describe(times[late])} s of neurons "
                                 f"{describe(neuron[late])} lie outside the run of {n_steps} steps of dt={dt!r} s "
                                 f"(times must be < {n_steps * dt!r} s)")
            trial = np.full(step.size, -1, dtype=np.int64)
        return trial, neuron, step, weight[neuron]


def _per_target(name: str, values: np.ndarray, n_neurons: int) -> np.ndarray:
    if values.ndim == 1 and values.size != n_neurons:
        raise ValueError(f"{name} has {values.size} values but n_neurons={n_neurons}")
    return values


def _train_steps(spikes: SpikeTrains, n_steps: int, n_trials: int, dt: float, label: str = "spike_input"):
    """``(trial, neuron, step)`` of a SpikeTrains input checked against the run (``trial = -1`` when it has one
    trial: the same input in every trial)."""
    if abs(spikes.dt - dt) > 1e-9 * dt:
        raise ValueError(f"{label} times is a SpikeTrains with dt={spikes.dt!r} s but the model's dt={dt!r} s "
                         "(make it on the model's grid: SpikeTrains.from_neo(..., dt=model.dt))")
    if spikes.n_trials not in (1, n_trials):
        raise ValueError(f"{label} times has {spikes.n_trials} trials; allowed: 1 (the same input in every "
                         f"trial) or n_trials={n_trials}")
    if len(spikes) and spikes.step.max() >= n_steps:
        raise ValueError(f"{label} times has spikes at step {int(spikes.step.max())}, outside the run of "
                         f"{n_steps} steps (time {spikes.step.max() * dt!r} s >= {n_steps * dt!r} s)")
    trial = np.full(len(spikes), -1, dtype=np.int64) if spikes.n_trials == 1 else spikes.trial.astype(np.int64)
    return trial, spikes.neuron.astype(np.int64), spikes.step.astype(np.int64)


def spike_input(times, weight=1.0, receptor: str | None = None, off_grid: str = "refuse") -> SpikeInput:
    """Given spike times as inputs of ``weight`` into ``receptor`` (module docstring; :class:`SpikeInput`)."""
    return SpikeInput(times, weight, receptor, off_grid)


@dataclass(frozen=True, eq=False)
class ProjectedSpikes:
    """The spikes of a source population (``spikes``: ``n_neurons`` sources; one trial, the same in every trial,
    or one per trial) sent through synapses ``post[s] <- pre[s]`` of ``weight[s]`` and ``delay[s]`` whole steps
    (>= 0) into ``receptor``; built by :class:`~nsnn_sim.simulator.populations.Network` for its sources. The
    arguments are trusted (the network checked them)."""

    spikes: SpikeTrains
    post: np.ndarray
    pre: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    receptor: str | None = None

    def __repr__(self) -> str:
        return (f"ProjectedSpikes({len(self.spikes)} spikes of {self.spikes.n_neurons} sources, {self.post.size} "
                f"synapses, receptor={self.receptor!r})")

    def describe(self) -> dict:
        return {"projected_spikes": repr(self)}

    def events(self, n_neurons: int, n_steps: int, n_trials: int, dt: float) -> tuple[np.ndarray, ...]:
        """``(trial, neuron, step, weight)`` of every input the source spikes cause within the run, in the order
        of the spikes (trial, source, step), then of the synapses."""
        trial, source, step = _train_steps(self.spikes, n_steps, n_trials, dt)
        order = np.argsort(self.pre, kind="stable")
        starts = np.searchsorted(self.pre[order], np.arange(self.spikes.n_neurons + 1))
        fan = np.diff(starts)[source]  # synapses per spike
        spike = np.repeat(np.arange(source.size), fan)
        first = np.repeat(starts[source] - np.concatenate([[0], np.cumsum(fan)[:-1]]), fan)
        synapse = order[first + np.arange(spike.size)]
        arrival = step[spike] + self.delay[synapse]
        kept = arrival < n_steps
        return (trial[spike][kept], self.post[synapse][kept].astype(np.int64), arrival[kept],
                np.asarray(self.weight, dtype=np.float64)[synapse][kept])


class CompiledEvents(NamedTuple):
    """The events of all spike inputs, sorted by (trial row, neuron, step, item): those of trial row ``r``,
    neuron ``i`` are ``indptr[r, i]:indptr[r, i + 1]`` (one row when no input depends on the trial)."""

    indptr: np.ndarray  # (n_rows, n_neurons + 1) int64
    step: np.ndarray  # int64
    weight: np.ndarray  # float64
    item: np.ndarray  # int64: the index of the event's input among the spike inputs


def compile_events(items: list, n_neurons: int, n_steps: int, n_trials: int, dt: float) -> CompiledEvents:
    """The events of ``items`` (:class:`SpikeInput` and :class:`ProjectedSpikes`) for the kernels."""
    parts = [item.events(n_neurons, n_steps, n_trials, dt) for item in items]
    per_trial = any(np.any(part[0] >= 0) for part in parts)
    n_rows = n_trials if per_trial else 1
    rows, neurons, steps, weights, sources = [], [], [], [], []
    for index, (trial, neuron, step, weight) in enumerate(parts):
        if per_trial:  # an event of every trial is repeated in each trial's row
            shared = trial < 0
            copies = np.where(shared, n_rows, 1)
            trial = np.where(np.repeat(shared, copies), _each_trial(copies, n_rows), np.repeat(trial, copies))
            neuron, step, weight = np.repeat(neuron, copies), np.repeat(step, copies), np.repeat(weight, copies)
        rows.append(np.maximum(trial, 0))
        neurons.append(neuron)
        steps.append(step)
        weights.append(weight)
        sources.append(np.full(step.size, index, dtype=np.int64))
    row, neuron, step, weight, item = (np.concatenate(column) if column else np.zeros(0, dtype=dtype) for column, dtype
                                       in ((rows, np.int64), (neurons, np.int64), (steps, np.int64),
                                           (weights, np.float64), (sources, np.int64)))
    # stable: events of one (row, neuron, step) keep the order of the items, then of their sources
    order = np.lexsort((step, neuron, row))
    cell = row * n_neurons + neuron
    indptr = np.zeros(n_rows * n_neurons + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=n_rows * n_neurons), out=indptr[1:])
    rows_indptr = np.empty((n_rows, n_neurons + 1), dtype=np.int64)
    for r in range(n_rows):
        rows_indptr[r] = indptr[r * n_neurons:(r + 1) * n_neurons + 1]
    return CompiledEvents(rows_indptr, np.ascontiguousarray(step[order]), np.ascontiguousarray(weight[order]),
                          np.ascontiguousarray(item[order]))


def _each_trial(copies: np.ndarray, n_rows: int) -> np.ndarray:
    """For events repeated ``copies`` times (``n_rows`` for a shared event, else 1): the trial of each copy."""
    offsets = np.arange(copies.sum()) - np.repeat(np.cumsum(copies) - copies, copies)
    return offsets.astype(np.int64)


def trials_of_events(item, first: int, stop: int):
    """A spike input of trials ``first:stop`` (for :mod:`nsnn_sim.simulator.cluster`): a per-trial SpikeTrains
    sliced, trials renumbered from 0; otherwise ``item`` itself."""
    spikes = item.times if isinstance(item, SpikeInput) else item.spikes
    if not isinstance(spikes, SpikeTrains) or spikes.n_trials == 1:
        return item
    mine = (spikes.trial >= first) & (spikes.trial < stop)
    sliced = SpikeTrains(spikes.trial[mine] - first, spikes.neuron[mine], spikes.step[mine], spikes.dt, stop - first,
                         spikes.n_neurons, spikes.n_steps, assume_sorted=True)
    if isinstance(item, SpikeInput):
        return SpikeInput(sliced, item.weight, item.receptor, item.off_grid)
    return ProjectedSpikes(sliced, item.post, item.pre, item.weight, item.delay, item.receptor)


def is_per_trial(item) -> bool:
    """Whether a spike input holds different spikes per trial (a SpikeTrains of several trials)."""
    spikes = item.times if isinstance(item, SpikeInput) else getattr(item, "spikes", None)
    return isinstance(spikes, SpikeTrains) and spikes.n_trials > 1


@dataclass(frozen=True, eq=False)
class SpikeGenerator:
    """A source population of a :class:`~nsnn_sim.simulator.populations.Network` whose neuron ``j`` spikes at
    ``times[j]`` (seconds, units accepted, sorted; or a :class:`~nsnn_sim.spikes.SpikeTrains` of one trial, the
    same in every trial, or of ``n_trials`` trials), as NEST's ``spike_generator`` and Brian2's
    ``SpikeGeneratorGroup``: ``net.add("stim", SpikeGenerator(times), len(times))``. Its spikes reach the targets
    of its projections after their delays (:class:`ProjectedSpikes`); times are snapped to the step by the rule of
    :func:`spike_input` (``off_grid``)."""

    times: object
    off_grid: str = "refuse"

    def __post_init__(self):
        if self.off_grid not in OFF_GRID:
            raise ValueError(f"off_grid={self.off_grid!r}; allowed: {OFF_GRID}")
        if not isinstance(self.times, SpikeTrains):
            object.__setattr__(self, "times", spike_times("times", self.times))

    @property
    def size(self) -> int:
        return self.times.n_neurons if isinstance(self.times, SpikeTrains) else len(self.times)

    def spikes(self, size: int, n_steps: int, n_trials: int, dt: float, seed: int, index: int) -> SpikeTrains:
        """The generator's spikes in a run of ``n_trials`` trials of ``n_steps`` steps (one trial when they are
        the same in every trial); ``seed`` and ``index`` are unused (nothing is drawn)."""
        trial, neuron, step, _ = SpikeInput(self.times, 0.0, None, self.off_grid).events(size, n_steps, n_trials, dt,
                                                                                          "SpikeGenerator")
        per_trial = bool(np.any(trial >= 0))
        return SpikeTrains(np.maximum(trial, 0), neuron, step, dt, n_trials if per_trial else 1, self.size, n_steps)


@dataclass(frozen=True, eq=False)
class PoissonSource:
    """A source population of a :class:`~nsnn_sim.simulator.populations.Network` of independent Poisson spike
    trains: neuron ``j`` spikes at step ``k`` when the uniform ``U_jk`` of its stream is below ``r_j(k) dt``
    (a Bernoulli process, at most one spike a step, as Brian2's ``PoissonGroup``: ``rand() < rates*dt``), where
    ``U_jk`` is draw ``k`` of the stream ``(seed, trial, j, rng.SOURCE + s)`` (``s``: the source's index among the
    network's Poisson sources; ``seed``: the seed of the dynamics). Its targets share its spikes (unlike
    :func:`~nsnn_sim.simulator.network.poisson_input`, whose trains are each neuron's own).

    ``rate`` (Hz, units accepted, ``>= 0``, ``rate*dt <= 1``) is a scalar or one per neuron ``(size,)``; with
    ``time_course=True`` it has a time axis: ``(n_steps,)`` for every neuron, ``(n_steps, size)`` or ``(n_trials,
    n_steps, size)`` (NEST's ``inhomogeneous_poisson_generator``, Brian2's ``PoissonGroup`` with a ``TimedArray``).
    """

    rate: object
    time_course: bool = False

    def __post_init__(self):
        rate = finite_array("rate", si_value("rate", self.rate, "Hz"), "rates (Hz)")
        allowed = (1, 2, 3) if self.time_course else (0, 1)
        if rate.ndim not in allowed:
            raise ValueError(f"rate has shape {rate.shape}; allowed with time_course={self.time_course}: "
                             + ("(n_steps,), (n_steps, size) or (n_trials, n_steps, size)" if self.time_course
                                else "a scalar or one rate per neuron (size,); a rate that changes in time needs "
                                     "time_course=True"))
        if np.any(rate < 0):
            raise ValueError(f"rate={describe(rate)} must be >= 0 Hz")
        rate.setflags(write=False)
        object.__setattr__(self, "rate", rate)

    def probabilities(self, size: int, n_steps: int, n_trials: int, dt: float) -> np.ndarray:
        """``rate*dt`` as ``(n_trials or 1, n_steps or 1, size)``; ``ValueError`` for a wrong shape or above 1."""
        rate = self.rate
        if not self.time_course:
            shaped = _per_target("PoissonSource rate", rate, size).reshape(1, 1, -1)
        elif rate.ndim == 1:
            if rate.size != n_steps:
                raise ValueError(f"PoissonSource rate has {rate.size} values; a 1-D time course has n_steps={n_steps}")
            shaped = rate.reshape(1, n_steps, 1)
        else:
            allowed = (n_steps, size) if rate.ndim == 2 else (n_trials, n_steps, size)
            if rate.shape != allowed:
                raise ValueError(f"PoissonSource rate has shape {rate.shape}; allowed: {allowed} (time course "
                                 f"{'(n_steps, size)' if rate.ndim == 2 else '(n_trials, n_steps, size)'})")
            shaped = rate.reshape(1, *allowed) if rate.ndim == 2 else rate
        if np.max(shaped, initial=0.0) * dt > 1.0:
            raise ValueError(f"PoissonSource rate {np.max(shaped):g} Hz is above 1/dt = {1 / dt:g} Hz")
        return shaped * dt

    def spikes(self, size: int, n_steps: int, n_trials: int, dt: float, seed: int, index: int) -> SpikeTrains:
        """The source's spikes in every trial of a run (the class docstring)."""
        probability = self.probabilities(size, n_steps, n_trials, dt)
        trials, neurons, steps = [], [], []
        for trial in range(n_trials):
            uniforms = rng.draws(seed, trial, rng.SOURCE + index, n_steps, size)
            step, neuron = np.nonzero(uniforms < probability[min(trial, probability.shape[0] - 1)])
            trials.append(np.full(step.size, trial, dtype=np.int64))
            neurons.append(neuron)
            steps.append(step)
        return SpikeTrains(np.concatenate(trials), np.concatenate(neurons), np.concatenate(steps), dt, n_trials, size,
                           n_steps)


#: the source populations a Network may hold
SOURCES = (SpikeGenerator, PoissonSource)
