"""Networks of named populations joined by projections: :class:`Network`.

A network is built in a few lines::

    network = Network(seed=1)                                    # the seed of the wiring
    network.add("E", LIF(tau=20e-3), 800, inputs=drive)          # name, model, size, inputs
    network.add("I", LIF(tau=10e-3), 200, inputs=drive)
    network.connect("E", "I", fixed_indegree(80), weight=0.1, delay=1.5e-3)
    result = network.simulate(n_steps=5000, seed=2)              # the seed of the dynamics
    result.population("I")                                       # SpikeTrains, neuron ids 0..199
    result.population_rate()                                     # (population, trial, time) in Hz

It runs as one population of ``N = sum n_k`` neurons: the populations end to end in the order they were added
(population ``k`` holds neurons ``offset_k : offset_k + n_k``, :meth:`Network.neurons`), their models joined
into one with per-neuron parameters (:func:`nsnn_sim.simulator.concatenate.concatenate_models`: one model class,
one ``dt``, method, firing rule and state structure for all; numeric parameters may differ), all projections
into one :class:`~nsnn_sim.simulator.network.Connections` with a delay and a receptor per synapse. The spikes are
therefore exactly those of :func:`nsnn_sim.simulate` run on :meth:`Network.build`'s model, inputs and
connections, bit-identical for any thread count.

Projections
    ``connect(source, target, rule, weight, delay, receptor)`` adds the synapses of ``rule``
    (:mod:`nsnn_sim.simulator.connectivity`) from population ``source`` onto ``target``. ``weight`` (membrane
    units, the jump of ``u`` of a delta synapse, the charge of a synaptic current) and ``delay`` (seconds, a
    time with units accepted) are each a constant, an array ``(n_post, n_pre)`` read at every synapse's pair,
    an array with one value per synapse when the rule fixes their number (in the rule's order), or a seeded
    :func:`~nsnn_sim.simulator.connectivity.normal` / :func:`~nsnn_sim.simulator.connectivity.uniform`
    distribution. A given delay ``d`` must be a whole number ``d/dt`` of steps (as in :func:`nsnn_sim.connect`),
    a drawn one becomes ``round(d/dt)`` steps (nearest integer); each must be at least one step (``d >= dt``, to
    1e-9 relative). ``receptor`` names the target model's receptor (``"delta"``: a jump of
    ``u``; ``None``: its only synapse, or ``"delta"`` for a model without synapses).

Sources
    ``add(name, SpikeGenerator(times), size)`` or ``add(name, PoissonSource(rate), size)``
    (:mod:`nsnn_sim.simulator.stimuli`) adds a source population: spikes without dynamics (given, or drawn from
    the dynamics' seed), sent through its projections like any population's but taking no neurons of the run
    (:meth:`Network.neurons` and the result hold the populations of neurons only; :meth:`Network.source_spikes`
    gives a source's spikes). :meth:`Network.build` turns each projection from a source into a
    :class:`~nsnn_sim.simulator.stimuli.ProjectedSpikes` input.

Seeds
    The wiring depends only on the network's ``seed``: one :class:`numpy.random.Generator` draws the projections
    in the order they were added (for each: the rule's synapses, then drawn weights, then drawn delays), so
    adding a projection at the end leaves the earlier ones unchanged. The dynamics depend on ``simulate``'s seed.

Recording
    ``simulate(record_spikes=[...])`` keeps the spikes of the named populations only (``False``: none), the others'
    are never stored; ``record_state={name: local ids}`` records ``u`` of those neurons, ``{name: {variable: local
    ids}}`` any of the model's variables, every ``state_every`` steps; ``population_rate`` is the number of spikes
    of each population at every step, divided by ``n_k*dt``. The kernels count the spikes and write the state
    samples as they run (:mod:`nsnn_sim.simulator.recording`), so a rate-only run holds no spike list and no state
    of the steps between samples.

Examples
--------
>>> from nsnn_sim import LIF, Network, fixed_indegree, poisson_input
>>> network = Network(seed=1).add("E", LIF(tau=20e-3), 80).add("I", LIF(tau=10e-3), 20)
>>> network = network.connect("E", "I", fixed_indegree(8), weight=0.1, delay=1e-3)
>>> network.neurons("I")
slice(80, 100, None)
>>> built = network.build()
>>> built.connections.weights[80:, :80].getnnz(axis=1).tolist() == [8] * 20
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from nsnn_sim._core.units import has_units
from nsnn_sim._core.validation import describe, finite_array, neuron_indices, seed_value, si_value, whole_number
from nsnn_sim.simulator.concatenate import concatenate_inputs, concatenate_models
from nsnn_sim.simulator.connectivity import ConnectionRule, Distribution, _Explicit
from nsnn_sim.simulator.engine import simulate
from nsnn_sim.simulator.network import Connections, _input_items, delay_steps, receptor_name, warn_unlikely_delay
from nsnn_sim.simulator.results import SimulationResult
from nsnn_sim.simulator.stimuli import SOURCES, PoissonSource, ProjectedSpikes, SpikeGenerator
from nsnn_sim.spikes import SpikeTrains

__all__ = ["Network", "BuiltNetwork", "NetworkResult"]


@dataclass(frozen=True, eq=False)
class _Population:
    name: str
    model: object
    size: int
    inputs: object


@dataclass(frozen=True, eq=False)
class _Projection:
    source: str
    target: str
    rule: ConnectionRule
    weight: object  # float, array or Distribution
    delay: object  # steps (int64 array or int) or a Distribution of seconds
    receptor: str


@dataclass(frozen=True, eq=False)
class BuiltNetwork:
    """What :func:`nsnn_sim.simulate` runs for a :class:`Network`: the joined ``model``, ``inputs`` and
    ``connections`` of ``n_neurons`` neurons; population ``names[k]`` holds neurons ``offsets[k]:offsets[k+1]``."""

    model: object
    inputs: object
    connections: Connections | None  # None without projections
    names: tuple
    offsets: np.ndarray

    @property
    def n_neurons(self) -> int:
        return int(self.offsets[-1])


class Network:
    """Named populations and the projections between them (module docstring).

    Parameters
    ----------
    seed : int
        Integer in [0, 2**63): the seed of the connection rules and drawn weights and delays.
    """

    def __init__(self, seed: int = 0):
        self.seed = seed_value(seed)
        self._populations: dict[str, _Population] = {}
        self._projections: list[_Projection] = []
        self._built = None

    def __repr__(self) -> str:
        populations = ", ".join(f"{name}: {population.size}" for name, population in self._populations.items())
        return f"Network(seed={self.seed}, populations={{{populations}}}, projections={len(self._projections)})"

    @property
    def names(self) -> tuple[str, ...]:
        """The populations' names (sources included), in the order they were added."""
        return tuple(self._populations)

    def add(self, name: str, model, size: int, inputs=0.0) -> "Network":
        """Add population ``name`` of ``size`` neurons of ``model`` (an :class:`~nsnn_sim.LIF` or
        :class:`~nsnn_sim.NSNN`, scalar or per-neuron parameters) driven by ``inputs`` (anything
        :func:`nsnn_sim.simulate` takes as inputs, for this population's neurons), or a source population
        (``model`` a :class:`~nsnn_sim.simulator.stimuli.SpikeGenerator` or
        :class:`~nsnn_sim.simulator.stimuli.PoissonSource`: spikes without dynamics, sent through its projections,
        module docstring; no inputs). Returns the network."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {describe(name)}")
        if name in self._populations:
            raise ValueError(f"name={name!r}: the network already has a population of that name")
        source = isinstance(model, SOURCES)
        if not source and (isinstance(model, type) or not hasattr(model, "compile")):
            raise TypeError(f"model of population {name!r} must be a neuron model instance (LIF or NSNN) or a "
                            f"source (SpikeGenerator, PoissonSource), got {describe(model)}")
        size = whole_number("size", size, maximum=2**31 - 1)
        if source and not (inputs is None or (np.ndim(inputs) == 0 and inputs == 0.0)):
            raise ValueError(f"inputs of population {name!r}: a source population ({type(model).__name__}) takes no "
                             "inputs (its spikes are given)")
        if isinstance(model, SpikeGenerator) and model.size != size:
            raise ValueError(f"size={size} but the SpikeGenerator of population {name!r} has {model.size} spike trains")
        self._populations[name] = _Population(name, model, size, inputs)
        self._built = None
        return self

    def neurons(self, name: str) -> slice:
        """The neurons of population ``name`` in the joined population: ``offset:offset + size`` (source
        populations have none: their spikes are inputs)."""
        offset = 0
        for population in self._neuron_populations():
            if population.name == name:
                return slice(offset, offset + population.size)
            offset += population.size
        if name in self._populations:
            raise ValueError(f"population={name!r} is a source ({type(self._populations[name].model).__name__}): it "
                             "has no neurons in the run (its spikes: Network.source_spikes)")
        raise ValueError(f"population={name!r} is not one of the network's populations {self.names}")

    def _neuron_populations(self) -> list[_Population]:
        return [item for item in self._populations.values() if not isinstance(item.model, SOURCES)]

    def _sources(self) -> list[_Population]:
        return [item for item in self._populations.values() if isinstance(item.model, SOURCES)]

    def source_spikes(self, name: str, *, n_steps: int, n_trials: int = 1, seed: int = 0) -> SpikeTrains:
        """The spikes of source population ``name`` in a run of ``n_trials`` trials of ``n_steps`` steps with the
        dynamics' ``seed`` (a generator's: one trial when they are the same in every trial). A Poisson source's
        are drawn from the streams of ``seed`` (:class:`~nsnn_sim.simulator.stimuli.PoissonSource`)."""
        self._size("name", name)
        sources = self._sources()
        if name not in [item.name for item in sources]:
            raise ValueError(f"name={name!r} is not a source population of the network "
                             f"{tuple(item.name for item in sources)}")
        poisson = [item.name for item in sources if isinstance(item.model, PoissonSource)]
        population = self._populations[name]
        dt = self._dt()
        return population.model.spikes(population.size, whole_number("n_steps", n_steps, maximum=2**53),
                                       whole_number("n_trials", n_trials), dt, seed_value(seed),
                                       poisson.index(name) if name in poisson else 0)

    def _dt(self) -> float:
        neurons = self._neuron_populations()
        if not neurons:
            raise ValueError("the network has no population of neurons (only sources): add one with "
                             "network.add(name, model, size)")
        return neurons[0].model.dt

    def connect(self, source: str, target: str, rule: ConnectionRule, weight=None, delay=None,
                receptor: str | None = None) -> "Network":
        """Add the synapses of ``rule`` from population ``source`` onto ``target`` (module docstring): ``weight``
        (required unless ``rule`` is :func:`~nsnn_sim.simulator.connectivity.explicit`), ``delay`` in seconds
        (default: one step), ``receptor`` of the target's model. Everything is checked now; the synapses are
        drawn when the network is built. Returns the network."""
        n_pre, n_post = self._size("source", source), self._size("target", target)
        if not isinstance(rule, ConnectionRule):
            raise TypeError(f"rule must be a connection rule (pairwise_bernoulli(p), fixed_indegree(k), ...), "
                            f"got {describe(rule)}")
        rule.check(n_pre, n_post)
        target_model = self._populations[target].model
        if isinstance(target_model, SOURCES):
            raise ValueError(f"target={target!r} is a source population ({type(target_model).__name__}): a projection "
                             "targets a population of neurons")
        if weight is None:
            if not isinstance(rule, _Explicit):
                raise ValueError("weight is required (only an explicit(matrix) rule takes its weights from the matrix)")
            weight = rule.weights
        weight = _per_synapse("weight", weight, rule, n_pre, n_post)
        dt = target_model.dt
        delay = dt if delay is None else delay
        if not isinstance(delay, Distribution):
            seconds = _per_synapse("delay", si_value("delay", delay, "s"), rule, n_pre, n_post)
            if not has_units(delay):
                warn_unlikely_delay(seconds)
            delay = _delay_steps(seconds, dt, off_grid="refuse")
        self._projections.append(_Projection(source, target, rule, weight, delay,
                                             _receptor(receptor, target_model, target)))
        self._built = None
        return self

    def _size(self, what: str, name) -> int:
        if name not in self._populations:
            raise ValueError(f"{what}={name!r} is not one of the network's populations {self.names}")
        return self._populations[name].size

    def build(self, n_steps: int | None = None, n_trials: int = 1, seed: int = 0) -> BuiltNetwork:
        """Draw the synapses and join the populations (module docstring). ``n_steps`` and ``n_trials`` are
        needed only when a population has a time-varying current or the network has sources; ``seed`` (the
        dynamics' seed, as :meth:`simulate` takes it) draws the Poisson sources' spikes. The sources' spikes
        through their projections join the inputs as :class:`~nsnn_sim.simulator.stimuli.ProjectedSpikes`."""
        populations = self._neuron_populations()
        if not populations:
            raise ValueError("the network has no populations of neurons: add one with network.add(name, model, size)")
        names, sizes = [item.name for item in populations], [item.size for item in populations]
        if self._built is None:
            model = concatenate_models([item.model for item in populations], sizes, names)
            self._built = (model, *self._connections(model.dt))
        model, connections, projected = self._built
        inputs = concatenate_inputs([item.inputs for item in populations], sizes, names, n_steps, n_trials)
        if projected:
            if n_steps is None:
                raise ValueError("a network with source populations needs n_steps to be built (their spikes)")
            spikes = {item.name: self.source_spikes(item.name, n_steps=n_steps, n_trials=n_trials, seed=seed)
                      for item in self._sources()}
            inputs = [*_input_items(inputs)] + [ProjectedSpikes(spikes[source], *synapses)
                                                for source, synapses in projected]
        return BuiltNetwork(model, inputs, connections, tuple(names), np.concatenate([[0], np.cumsum(sizes)]))

    def _connections(self, dt: float) -> tuple[Connections | None, list]:
        """The connections among the populations of neurons, and for each projection from a source population
        ``(source, (post, pre, weight, delay, receptor))`` (``post`` in the joined population, ``pre`` the source's
        own ids). All projections draw from one generator in the order they were added."""
        generator = np.random.default_rng(self.seed)
        receptors, parts, projected = [], [], []
        for projection in self._projections:
            n_pre, n_post = self._populations[projection.source].size, self._populations[projection.target].size
            post, pre = projection.rule.draw(generator, n_pre, n_post)
            weight = _values(projection.weight, generator, post, pre)
            delay = projection.delay
            if isinstance(delay, Distribution):
                delay = _delay_steps(delay.draw(generator, post.size), dt, off_grid="nearest")
            delay = np.broadcast_to(_values(delay, generator, post, pre), post.shape)
            post = post + self.neurons(projection.target).start
            if isinstance(self._populations[projection.source].model, SOURCES):
                projected.append((projection.source, (post, pre, np.asarray(weight, dtype=np.float64),
                                                      np.asarray(delay, dtype=np.int64), projection.receptor)))
                continue
            if projection.receptor not in receptors:
                receptors.append(projection.receptor)
            parts.append((post, pre + self.neurons(projection.source).start, weight, delay,
                          np.full(post.size, receptors.index(projection.receptor))))
        if not parts:
            return None, projected
        n_neurons = sum(item.size for item in self._neuron_populations())
        post, pre, weight, delay, index = (np.concatenate(column) for column in zip(*parts))
        return Connections.from_synapses((n_neurons, n_neurons), post, pre, weight, delay, dt, tuple(receptors),
                                         index), projected

    def simulate(self, *, n_steps: int, n_trials: int = 1, seed: int = 0, record_spikes=None, record_state=None,
                 state_every: int = 1, initial_state=None, n_threads: int | None = None,
                 progress: bool | None = None, client=None, trials_per_task: int | None = None) -> "NetworkResult":
        """Run the network with :func:`nsnn_sim.simulate` (same ``n_steps``, ``n_trials``, ``seed``,
        ``initial_state`` for the joined population, ``n_threads``, ``progress``, and ``client`` and
        ``trials_per_task`` to spread the trials over a dask.distributed cluster).

        Parameters
        ----------
        record_spikes : bool or sequence of str, optional
            The populations whose spikes the result keeps (default or True: all; False: none); the others' spikes
            are never stored. Every population's spike count per step is counted by the kernels
            (:meth:`NetworkResult.population_rate`) whatever is kept.
        record_state : dict, optional
            Population name -> local neuron ids whose ``u`` is recorded, or population name -> ``{variable: local
            ids}`` for any of the model's variables (``state_variables``: ``u``, ``I_exc``, ``w_0``, ...).
        initial_state : float, array or dict, optional
            ``u`` before the first step, as :func:`nsnn_sim.simulate` takes it for the joined population, or a
            dict of population name -> scalar, ``(n_k,)`` or ``(n_trials, n_k)`` (populations not named start at
            their model's default).
        state_every : int
            Record the state at steps ``0, k, 2k, ...`` only (``k = state_every``), in the kernels.
        """
        state_every = whole_number("state_every", state_every)
        kept = self._kept_populations(record_spikes)
        recorded = _recorded_state(self, record_state)
        built = self.build(whole_number("n_steps", n_steps, maximum=2**53), whole_number("n_trials", n_trials),
                           seed_value(seed))
        spans = {name: np.arange(built.offsets[index], built.offsets[index + 1])
                 for index, name in enumerate(built.names)}
        spiking = True if kept == built.names else (
            np.concatenate([spans[name] for name in kept]) if kept else False)
        result = simulate(built.model, built.inputs, n_neurons=built.n_neurons, n_steps=n_steps, n_trials=n_trials,
                          seed=seed, connections=built.connections, record_state=recorded or None,
                          state_every=state_every, record_spikes=spiking, record_rate=spans,
                          initial_state=self._initial_state(built, initial_state, n_trials), n_threads=n_threads,
                          progress=progress, client=client, trials_per_task=trials_per_task)
        return NetworkResult(result, built.names, built.offsets, kept)

    def _kept_populations(self, record_spikes) -> tuple:
        """The populations whose spikes are kept: all for None or True, none for False, else those named."""
        neurons = tuple(item.name for item in self._neuron_populations())
        if record_spikes is None or record_spikes is True:
            return neurons
        if record_spikes is False:
            return ()
        kept = (record_spikes,) if isinstance(record_spikes, str) else tuple(record_spikes)
        for name in kept:
            self._size("record_spikes", name)
            if isinstance(self._populations[name].model, SOURCES):
                raise ValueError(f"record_spikes: {name!r} is a source population (its spikes: "
                                 "Network.source_spikes)")
        return tuple(name for name in neurons if name in kept)

    def _initial_state(self, built: BuiltNetwork, initial_state, n_trials: int):
        """``initial_state`` for the joined population: a dict of populations' values becomes ``(n_trials, N)``."""
        if not isinstance(initial_state, dict):
            return initial_state
        joined = np.array(np.broadcast_to(built.model.compile(built.n_neurons).u_initial, (n_trials, built.n_neurons)))
        for name, value in initial_state.items():
            size = self._size("initial_state", name)
            array = finite_array(f"initial_state[{name!r}]", value)
            if array.shape not in ((), (size,), (n_trials, size)):
                raise ValueError(f"initial_state[{name!r}] has shape {array.shape}; allowed: scalar, (n_k,) = "
                                 f"({size},) or (n_trials, n_k) = ({n_trials}, {size})")
            joined[:, self.neurons(name)] = array
        return joined


def _receptor(receptor, model, target: str) -> str:
    """The name of the receptor a projection onto ``target`` reaches, checked against its model."""
    receptor_name("receptor", receptor)
    available = getattr(model, "receptors", ("delta",))
    if receptor is None:
        if len(available) > 2:
            raise ValueError(f"receptor must be named: the model of population {target!r} has several, {available}")
        return available[-1]
    if receptor not in available:
        raise ValueError(f"receptor={receptor!r} is not one of the receptors of population {target!r}'s model "
                         f"{available}")
    return receptor


def _per_synapse(name: str, value, rule: ConnectionRule, n_pre: int, n_post: int):
    """A constant, an ``(n_post, n_pre)`` array, an array of one value per synapse (when the rule fixes their
    number) or a Distribution, checked; arrays as float64."""
    if isinstance(value, Distribution):
        return value
    array = finite_array(name, value, "a number, an array (n_post, n_pre), one value per synapse or a distribution")
    count = rule.count(n_pre, n_post)
    if array.ndim == 0 or array.shape == (n_post, n_pre) or (array.ndim == 1 and array.size == count):
        return array
    per_synapse = f" or ({count},) (one per synapse)" if count is not None else ""
    raise ValueError(f"{name} has shape {array.shape}; allowed: a scalar, (n_post, n_pre) = ({n_post}, {n_pre})"
                     f"{per_synapse}")


def _values(value, generator, post: np.ndarray, pre: np.ndarray) -> np.ndarray:
    """One value per synapse ``(post, pre)`` of a constant, an array or a distribution."""
    if isinstance(value, Distribution):
        return value.draw(generator, post.size)
    if np.ndim(value) == 2:
        return value[post, pre]
    return np.broadcast_to(value, post.shape)


def _delay_steps(delay, dt: float, off_grid: str):
    """Delays in seconds -> whole steps (:func:`nsnn_sim.simulator.network.delay_steps`): given ones must lie on
    the grid (``off_grid="refuse"``), drawn ones take the nearest step (``"nearest"``: they are rarely whole
    steps); an array keeps its shape."""
    delay = np.asarray(delay, dtype=np.float64)
    return delay_steps(delay.reshape(-1), dt, delay.size, off_grid=off_grid).reshape(delay.shape)


def _recorded_state(network: Network, record_state) -> dict[str, np.ndarray]:
    """Variable -> global ids of the neurons whose variable is recorded, from ``{population: local ids}`` (``u``)
    or ``{population: {variable: local ids}}``, checked (known populations and variables, local ids in range)."""
    if record_state is None:
        return {}
    if not isinstance(record_state, dict):
        raise TypeError(f"record_state must be a dict of population name -> local neuron ids (or -> a dict of "
                        f"variable -> local ids), got {describe(record_state)}")
    recorded: dict[str, list] = {}
    for name, chosen in record_state.items():
        size = network._size("record_state", name)
        span = network.neurons(name)
        variables = getattr(network._populations[name].model, "state_variables", ("u",))
        for variable, local in (chosen.items() if isinstance(chosen, dict) else [("u", chosen)]):
            label = f"record_state[{name!r}]" + (f"[{variable!r}]" if isinstance(chosen, dict) else "")
            if variable not in variables:
                raise ValueError(f"{label}: variable {variable!r} is not one of the variables of population "
                                 f"{name!r}, {variables}")
            recorded.setdefault(variable, []).append(span.start + neuron_indices(label, local, size))
    return {variable: np.concatenate(parts) for variable, parts in recorded.items()}


@dataclass(frozen=True, eq=False)
class NetworkResult:
    """What :meth:`Network.simulate` returns: the run (``result``: the joined population's
    :class:`~nsnn_sim.simulator.results.SimulationResult`, global neuron ids, the spikes of the recorded populations
    only, each population's spike counts at every step counted by the kernels, the recorded state at every
    ``state_every``-th step) and the populations' names and neuron ranges."""

    result: SimulationResult
    names: tuple
    offsets: np.ndarray
    recorded_spikes: tuple

    @property
    def spikes(self) -> SpikeTrains:
        """The spikes of the recorded populations, with the joined population's neuron ids."""
        return self.result.spikes

    @property
    def spike_counts(self) -> np.ndarray:
        """``(n_populations, n_trials, n_steps)`` int: the spikes of each population at every step."""
        return np.transpose(self.result.rate_counts, (1, 0, 2))

    @property
    def state_every(self) -> int:
        return self.result.state_every

    def _span(self, name: str) -> tuple[int, int]:
        if name not in self.names:
            raise ValueError(f"population={name!r} is not one of the network's populations {self.names}")
        index = self.names.index(name)
        return int(self.offsets[index]), int(self.offsets[index + 1])

    def population(self, name: str) -> SpikeTrains:
        """Population ``name``'s spikes, its neurons numbered ``0 .. n - 1``."""
        start, stop = self._span(name)
        if name not in self.recorded_spikes:
            raise ValueError(f"population={name!r}: its spikes were not recorded (record_spikes="
                             f"{self.recorded_spikes})")
        spikes = self.spikes
        mine = (spikes.neuron >= start) & (spikes.neuron < stop)
        return SpikeTrains(spikes.trial[mine], spikes.neuron[mine] - start, spikes.step[mine], spikes.dt,
                           spikes.n_trials, stop - start, spikes.n_steps, assume_sorted=True)

    def population_rate(self) -> xr.DataArray:
        """``(population, trial, time)``: each population's spikes in a step over ``n_k*dt`` (Hz), at every step
        (``time`` is the step's start, ``k*dt``), counted by the kernels whether or not the spikes were kept."""
        return self.result.population_rate()

    def state(self, name: str, variable: str = "u") -> xr.DataArray:
        """``(trial, neuron, time)`` (:data:`~nsnn_sim.simulator.results.STATE_DIMS`): ``variable`` (default ``u``
        after reset; any of the model's ``state_variables``) of population ``name``'s recorded neurons (local ids),
        at steps ``0, k, 2k, ...`` (``k = state_every``)."""
        start, stop = self._span(name)
        result = self.result
        mine = (result.state_neurons >= start) & (result.state_neurons < stop)
        if not np.any(mine & (np.array(result.state_variables, dtype=object) == variable)):
            raise ValueError(f"population={name!r}: no {variable!r} was recorded for it (record_state)")
        array = result.variable(variable)
        neurons = array["neuron"].values
        array = array.isel(neuron=np.flatnonzero((neurons >= start) & (neurons < stop)))
        return array.assign_coords(neuron=array["neuron"].values - start)
