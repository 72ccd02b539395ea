"""Inputs and connections of a population: currents, Poisson drive, recurrent weights with delays.

* Current ``I(t)`` (membrane units, multiplied by the model's ``gain``): a scalar, a per-neuron array
  ``(n_neurons,)``, a time-varying array ``(n_steps, n_neurons)`` or a per-trial array
  ``(n_trials, n_steps, n_neurons)``. It is broadcast to ``(n_trials, n_steps, n_neurons)`` as a
  zero-stride view, so a constant input costs no memory. A 2-D array with ``n_steps == n_neurons`` is
  read as ``(n_steps, n_neurons)`` with a warning (its orientation cannot be told from its shape); a
  3-D array says which axis is which and warns nothing.
* :func:`current_input` ``(values, receptor)``: such a current into a receptor of the model, ``"delta"`` (the
  membrane, as a plain current) or a synapse, whose current it drives (:mod:`nsnn_sim.simulator.state`: ``tau_r
  dI_r/dt = -I_r + I(t)``).
* :func:`poisson_input` ``(rate, weight, n_sources)``: each neuron receives ``n_sources`` independent
  Poisson spike trains of ``rate`` Hz; each input spike adds ``weight`` to ``u`` (a jump, not scaled
  by ``gain``). Per step the number of input spikes is ``Binomial(n_sources, rate*dt)``, as in
  Brian2's ``PoissonInput``.
* :func:`inhomogeneous_poisson_input` ``(rate, weight, n_sources)``: the same with a rate per step,
  ``Binomial(n_sources, r_i(k dt) dt)`` at step ``k`` (``rate`` ``(n_steps,)``, ``(n_steps, n_neurons)`` or
  ``(n_trials, n_steps, n_neurons)``).
* :func:`~nsnn_sim.simulator.stimuli.spike_input` ``(times, weight)``: given spike times, each an input of
  ``weight`` at its step (:mod:`nsnn_sim.simulator.stimuli`).
* :func:`connect` ``(weights, delay)``: recurrent weights ``W[post, pre]`` (dense array or
  ``scipy.sparse``), and a synaptic delay in seconds (a time with units accepted; scalar or per synapse;
  default one step of the model's ``dt``), a whole number ``d = delay/dt >= 1`` of steps
  (:func:`nsnn_sim._core.timesteps.seconds_to_steps`: a delay off the grid is refused, naming the nearest
  whole-step values). A spike of ``pre`` at step ``t`` adds ``W[post, pre]`` to ``u[post]`` at step ``t + d``.
  The delay becomes steps when :func:`nsnn_sim.simulate` knows ``dt``; a plain number of a second or more
  warns (:class:`nsnn_sim._core.units.UnitWarning`), as it is likely meant in milliseconds or steps.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.simulator.network import connect, poisson_input
>>> drive = poisson_input(rate=20.0, weight=0.1, n_sources=50)
>>> drive
PoissonInput(rate=array(20.), weight=array(0.1), n_sources=50, receptor=None)
>>> connections = connect(np.array([[0.0, 0.5], [-0.5, 0.0]]), delay=2e-4)
>>> connections
Connections(weights=array([[ 0. ,  0.5],
       [-0.5,  0. ]]), delay=0.0002, receptor=None)
>>> connections.compile(2, dt=1e-4).delay  # two steps of 0.1 ms
array([2, 2])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numba import njit

from nsnn_sim._core.messages import warn_at_caller
from nsnn_sim._core.timesteps import seconds_to_steps
from nsnn_sim._core.units import has_units, warn_read_as_seconds
from nsnn_sim._core.validation import describe, distinct_values, finite_array, numeric_parameter, si_value, whole_number
from nsnn_sim.simulator.stimuli import (
    ProjectedSpikes,
    SpikeInput,
    compile_events,
    receptor_name,
    spike_input,
)

__all__ = ["CurrentInput", "current_input", "PoissonInput", "poisson_input", "InhomogeneousPoissonInput",
           "inhomogeneous_poisson_input", "SpikeInput", "spike_input", "Connections", "connect", "prepare_inputs",
           "CompiledInputs", "CompiledConnections"]

# Inversion of the binomial pmf costs O(mean) per draw; beyond this mean per step, a Gaussian
# current (the diffusion approximation) is the right model and far cheaper.
MAX_POISSON_MEAN_PER_STEP = 100.0

#: The most sources a Poisson input may have: counts are int64 in the kernels, and every integer up to
#: 2**53 is exact in the float64 arithmetic of n_sources * rate * dt.
MAX_SOURCES = 2**53


@dataclass(frozen=True, eq=False)
class CurrentInput:
    """A current ``I(t)`` into ``receptor``: ``values`` as a plain current (a scalar, ``(n_neurons,)``, ``(n_steps,
    n_neurons)`` or ``(n_trials, n_steps, n_neurons)``, membrane units), ``receptor`` a name of the model's
    receptors: ``"delta"`` is the membrane (the same as passing ``values`` alone), a synapse ``r`` is driven as
    ``tau_r dI_r/dt = -I_r + I(t)`` (alpha: ``y_r``; an NSNN's trace takes ``I`` as an input each step), so a
    constant current moves ``u`` to the same level either way. A run takes one current, into one receptor."""

    values: object
    receptor: str

    def __post_init__(self):
        if isinstance(self.values, (CurrentInput, *INPUT_ITEMS)):
            raise TypeError(f"current_input values must be a current (a number or an array), got "
                            f"{type(self.values).__name__}")
        if not isinstance(self.receptor, str):
            raise TypeError(f"current_input receptor must name a receptor (a string such as 'delta' or 'exc'), got "
                            f"{self.receptor!r}")

    def __repr__(self) -> str:
        values = f"array(shape={np.shape(self.values)})" if np.ndim(self.values) else repr(self.values)
        return f"CurrentInput({values}, receptor={self.receptor!r})"

    def describe(self) -> dict:
        return {"current": _describe_current(self.values), "receptor": self.receptor}


def current_input(values, receptor: str) -> CurrentInput:
    """A current into a receptor of the model (see :class:`CurrentInput`)."""
    return CurrentInput(values, receptor)


def current_values(item):
    """The current of an input item that is a current: a :class:`CurrentInput`'s values, or the item itself."""
    return item.values if isinstance(item, CurrentInput) else item


def current_receptor(inputs) -> str:
    """The receptor the current of ``inputs`` enters: a :class:`CurrentInput`'s, else ``"delta"`` (the membrane)."""
    targets = [item.receptor for item in _input_items(inputs) if isinstance(item, CurrentInput)]
    return targets[0] if targets else "delta"


@dataclass(frozen=True, eq=False)
class PoissonInput:
    """External Poisson drive: ``n_sources`` trains of ``rate`` Hz, each spike an input of ``weight``.

    ``rate`` may carry units (Brian2 ``20*Hz``, ``quantities`` ``20*pq.Hz``): converted to Hz; ``weight`` is
    in membrane units (dimensionless), a voltage is refused with the conversion to use. ``receptor`` names
    the model's synapse the spikes arrive at (:class:`nsnn_sim.simulator.state.ExpSynapse`; a weight means
    the charge of a jump of ``u`` by ``weight``); ``None`` means the model's only synapse, or a jump of ``u``
    for a model without synapses; ``"delta"`` is always a jump of ``u``.
    """

    rate: float | np.ndarray
    weight: float | np.ndarray
    n_sources: int
    receptor: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "rate", self._checked_rate(si_value("rate", self.rate, "Hz")))
        object.__setattr__(self, "weight", np.asarray(numeric_parameter("weight", self.weight)))
        object.__setattr__(self, "n_sources", whole_number("n_sources", self.n_sources, maximum=MAX_SOURCES))
        receptor_name("receptor", self.receptor)

    @staticmethod
    def _checked_rate(rate) -> np.ndarray:
        if np.ndim(rate) > 1:
            raise ValueError(f"rate has shape {np.shape(rate)}; a constant rate is a scalar or one per neuron: give "
                             "a rate that changes in time to inhomogeneous_poisson_input(rates, weight, n_sources)")
        return np.asarray(numeric_parameter("rate", rate, lower=0.0))

    def describe(self) -> dict:
        described = {"rate": np.asarray(self.rate).tolist(), "weight": np.asarray(self.weight).tolist(),
                     "n_sources": self.n_sources}
        return described if self.receptor is None else {**described, "receptor": self.receptor}


def poisson_input(rate, weight, n_sources: int, receptor: str | None = None) -> PoissonInput:
    """External Poisson drive (see :class:`PoissonInput`); ``rate`` and ``weight`` may be per neuron. A rate that
    changes in time is :func:`inhomogeneous_poisson_input`'s."""
    return PoissonInput(rate, weight, n_sources, receptor)


@dataclass(frozen=True, eq=False)
class InhomogeneousPoissonInput(PoissonInput):
    """Poisson drive whose rate changes in time: ``n_sources`` trains of rate ``r_i(t)`` Hz at neuron ``i``.

    At step ``k`` neuron ``i`` receives ``Binomial(n_sources, r_i(k dt) dt)`` input spikes, each adding ``weight``
    (as :class:`PoissonInput`: the rate is read once per step, as Brian2's ``PoissonInput`` with a ``TimedArray``
    rate and NEST's ``inhomogeneous_poisson_generator`` read it). ``rate`` (Hz, units accepted, >= 0, and
    ``rate*dt <= 1``) has a time axis always, so its shape says which axis is which:

    * ``(n_steps,)``: one time course for every neuron (never per neuron: a constant per-neuron rate is
      :func:`poisson_input`'s);
    * ``(n_steps, n_neurons)``: one course per neuron (read as such even when ``n_steps == n_neurons``, with
      the warning a current of that shape gets);
    * ``(n_trials, n_steps, n_neurons)``: one course per trial and neuron (sliced by trial on a cluster).

    The draws use the same stream and the same inverse-cdf search as a constant rate, so a course that is
    constant gives exactly the spikes of :func:`poisson_input` at that rate.
    """

    @staticmethod
    def _checked_rate(rate) -> np.ndarray:
        rates = finite_array("rate", rate, "an array of rates (Hz) with a time axis")
        if rates.ndim not in (1, 2, 3):
            raise ValueError(f"rate has shape {rates.shape}; an inhomogeneous rate is (n_steps,), (n_steps, "
                             "n_neurons) or (n_trials, n_steps, n_neurons): give a constant rate to poisson_input")
        if np.any(distinct_values(rates) < 0):
            raise ValueError(f"rate={describe(rates)} must be >= 0 Hz")
        rates.setflags(write=False)
        return rates

    def __repr__(self) -> str:
        return (f"InhomogeneousPoissonInput(rate=array(shape={self.rate.shape}), weight={self.weight!r}, "
                f"n_sources={self.n_sources}, receptor={self.receptor!r})")

    def describe(self) -> dict:
        return {"rate": f"array(shape={self.rate.shape}, mean={self.rate.mean():g} Hz)",
                "weight": np.asarray(self.weight).tolist(), "n_sources": self.n_sources,
                **({} if self.receptor is None else {"receptor": self.receptor})}

    def course(self, n_neurons: int, n_steps: int, n_trials: int) -> np.ndarray:
        """The rate as ``(1 or n_trials, n_steps, 1 or n_neurons)`` (a view); ``ValueError`` for a wrong shape."""
        if self.rate.ndim == 1:
            if self.rate.size != n_steps:
                raise ValueError(f"inhomogeneous_poisson_input rate has {self.rate.size} values; a 1-D rate is a "
                                 f"time course of n_steps={n_steps} values (the same for every neuron)")
            return self.rate.reshape(1, n_steps, 1)
        allowed = {2: (n_steps, n_neurons), 3: (n_trials, n_steps, n_neurons)}[self.rate.ndim]
        if self.rate.shape != allowed:
            raise ValueError(f"inhomogeneous_poisson_input rate has shape {self.rate.shape}; allowed: (n_steps,) = "
                             f"({n_steps},), (n_steps, n_neurons) = ({n_steps}, {n_neurons}) or (n_trials, n_steps, "
                             f"n_neurons) = ({n_trials}, {n_steps}, {n_neurons})")
        view = _current_view(self.rate, n_neurons, n_steps, n_trials, "inhomogeneous_poisson_input rate")
        return view[:1] if self.rate.ndim == 2 else view


def inhomogeneous_poisson_input(rate, weight, n_sources: int, receptor: str | None = None
                                ) -> InhomogeneousPoissonInput:
    """Poisson drive with a rate per step (see :class:`InhomogeneousPoissonInput`): ``rate`` is ``(n_steps,)``,
    ``(n_steps, n_neurons)`` or ``(n_trials, n_steps, n_neurons)`` Hz; ``weight`` a scalar or one per neuron."""
    return InhomogeneousPoissonInput(rate, weight, n_sources, receptor)


#: the input items beside a current (a list or tuple holding one is a combination of inputs)
INPUT_ITEMS = (PoissonInput, SpikeInput, ProjectedSpikes)


@dataclass(frozen=True, eq=False)
class Connections:
    """Recurrent connections: ``weights[post, pre]`` (dense or scipy.sparse) and ``delay`` in seconds.

    ``delay`` is ``None`` (one step of the model's ``dt``, the shortest delay), a time > 0 for all synapses,
    or per synapse: an array of times shaped like dense ``weights``, or a sparse matrix with the sparsity
    pattern of sparse ``weights`` (plain seconds). A time with units (Brian2 ``2*ms``, ``quantities``) is
    converted to seconds; a plain number of 1 s or more warns (module docstring). :meth:`compile` turns the
    delays into whole steps of ``dt`` (off the grid: ``ValueError``). Duplicate (post, pre) entries of sparse
    ``weights`` are one synapse with the summed weight.
    """

    weights: object
    delay: object = None
    receptor: str | None = None

    def __post_init__(self):
        receptor_name("receptor", self.receptor)
        weights = self.weights
        what = "a 2-D array of real numbers or a scipy.sparse matrix of them"
        if sp.issparse(weights):
            finite_array("weights", weights.data, what)  # the one rule: no complex, bool or string entries
            weights = sp.csr_matrix(weights, dtype=np.float64)
            weights.sum_duplicates()
        else:
            weights = finite_array("weights", weights, what)
        if weights.ndim != 2:
            raise ValueError(f"weights must be 2-D (n_post, n_pre), got shape {weights.shape}")
        object.__setattr__(self, "weights", weights)
        plain = not has_units(self.delay)
        object.__setattr__(self, "delay", _delay_seconds(self.delay))
        if sp.issparse(weights):
            coo = weights.tocoo()
            post, pre, weight = coo.row, coo.col, coo.data
        else:
            post, pre = np.nonzero(weights)
            weight = weights[post, pre]
        # the synapse list (validated now, before any simulation): post, pre, weight, delay (seconds)
        delays = self._synapse_delays(post, pre)
        if delays is not None:
            _check_synapse_delays(delays, plain)
        object.__setattr__(self, "_synapses", (post, pre, weight, delays))

    @classmethod
    def from_synapses(cls, shape: tuple[int, int], post, pre, weight, delay_steps, dt: float, receptors=(None,),
                      receptor_index=None) -> "Connections":
        """Connections given synapse by synapse, as :class:`nsnn_sim.simulator.populations.Network` builds them.

        ``post``, ``pre`` (int arrays), ``weight`` (float) and ``delay_steps`` (whole steps >= 1 of ``dt``
        seconds) hold one entry per synapse; synapse ``s`` targets the receptor ``receptors[receptor_index[s]]``
        (by default all target ``receptors[0]``). Synapses are kept as given: two synapses of one (post, pre) pair
        stay two (multapses), each with its own weight, delay and receptor. ``weights`` is then the sparse (CSC)
        matrix of the summed weights (for inspection), ``delay`` the per-synapse delays in seconds
        (``delay_steps*dt``) and ``receptor`` the tuple ``receptors``. The arguments are trusted (the network
        checked them); nothing is validated here.
        """
        post, pre = np.asarray(post, dtype=np.int64), np.asarray(pre, dtype=np.int64)
        index = np.zeros(post.size, dtype=np.int64) if receptor_index is None else np.asarray(receptor_index)
        # stored in the order compile() uses (by pre, then post; stable), so receptor_codes() follows it too
        order = synapse_order(post, pre, max(shape))
        post, pre, index = post[order], pre[order], index[order]
        weight, steps = np.asarray(weight, dtype=np.float64)[order], np.asarray(delay_steps, dtype=np.int64)[order]
        connections = object.__new__(cls)
        # sorted by pre, then post: the column-compressed form of W[post, pre] as it stands (no sort)
        columns = np.zeros(shape[1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(pre, minlength=shape[1]), out=columns[1:])
        weights = sp.csc_matrix((weight, post, columns), shape=shape)
        weights.sum_duplicates()
        object.__setattr__(connections, "weights", weights)
        object.__setattr__(connections, "delay", steps * dt)
        object.__setattr__(connections, "receptor", tuple(receptors))
        object.__setattr__(connections, "_synapses", (post, pre, weight, steps * dt))
        object.__setattr__(connections, "_steps", (dt, steps))  # what compile(dt) would compute, kept
        object.__setattr__(connections, "_receptor_index", index)
        object.__setattr__(connections, "_sorted", True)
        return connections

    def receptor_codes(self) -> tuple[tuple, np.ndarray | None]:
        """``(names, index)``: the receptor names the synapses target and, for connections built by
        :meth:`from_synapses`, the index into ``names`` of every synapse in the order of :meth:`compile`
        (``None``: every synapse targets ``names[0]``)."""
        index = getattr(self, "_receptor_index", None)
        return (self.receptor,) if index is None else self.receptor, index

    @property
    def shape(self) -> tuple[int, int]:
        return self.weights.shape

    def compile(self, n_neurons: int, dt: float) -> "CompiledConnections":
        """Synapses sorted by presynaptic neuron (CSR of ``W.T``), with per-synapse delays in whole steps of
        ``dt`` (:func:`delay_steps`)."""
        if self.weights.shape != (n_neurons, n_neurons):
            raise ValueError(
                f"weights has shape {self.weights.shape}; a recurrent weight matrix W[post, pre] "
                f"must have shape (n_neurons, n_neurons) = ({n_neurons}, {n_neurons})"
            )
        post, pre, weight, seconds = self._synapses
        cached = getattr(self, "_steps", None)
        delay = cached[1] if cached is not None and cached[0] == dt else delay_steps(seconds, dt, post.size)
        if not getattr(self, "_sorted", False):  # from_synapses stores them sorted already
            order = synapse_order(post, pre, n_neurons)
            post, pre, weight, delay = post[order], pre[order], weight[order], delay[order]
        indptr = np.zeros(n_neurons + 1, dtype=np.int64)
        np.cumsum(np.bincount(pre, minlength=n_neurons), out=indptr[1:])
        return CompiledConnections(
            indptr=indptr,
            post=post.astype(np.int32),
            weight=np.ascontiguousarray(weight, dtype=np.float64),
            delay=delay.astype(np.int64),
            max_delay=int(delay.max()) if delay.size else 1,
            min_delay=int(delay.min()) if delay.size else 1,
        )

    def _synapse_delays(self, post, pre) -> np.ndarray | float | None:
        """The delay of every synapse in seconds (an array), or the one delay of all of them (None or a float)."""
        if self.delay is None or np.ndim(self.delay) == 0:
            return self.delay
        if sp.issparse(self.weights):
            if not sp.issparse(self.delay) or self.delay.shape != self.weights.shape:
                raise ValueError(
                    "per-synapse delay for sparse weights must be a sparse matrix of the same shape "
                    f"{self.weights.shape} and sparsity pattern"
                )
            pattern = self.delay.tocoo()
            if np.unique(pattern.row.astype(np.int64) * pattern.shape[1] + pattern.col).size < pattern.nnz:
                raise ValueError("delay has duplicate (post, pre) entries: one delay per synapse")
            values = np.asarray(sp.csr_matrix(self.delay)[post, pre]).ravel()
        else:
            if sp.issparse(self.delay):
                raise ValueError(f"delay is a sparse matrix but weights are dense {self.weights.shape}: give "
                                 "per-synapse delays as a dense array of that shape, or make weights sparse too")
            delay = np.asarray(self.delay)
            if delay.shape != self.weights.shape:
                raise ValueError(
                    f"delay has shape {delay.shape}; per-synapse delays must have the shape of "
                    f"weights {self.weights.shape}"
                )
            values = delay[post, pre]
        return values


def synapse_order(post: np.ndarray, pre: np.ndarray, n_neurons: int) -> np.ndarray:
    """The permutation that sorts synapses by ``pre``, then ``post``, ties kept in their order: ``np.lexsort((post,
    pre))``, in O(synapses) (two counting sorts; lexsort takes 3 s for 10^7 synapses, this 0.1 s)."""
    by_post = _counting_sort(np.asarray(post, dtype=np.int64), np.int64(n_neurons),
                             np.arange(np.size(post), dtype=np.int64))
    return _counting_sort(np.asarray(pre, dtype=np.int64), np.int64(n_neurons), by_post)


@njit(cache=True)
def _counting_sort(keys, n_keys, order):
    """``order`` rearranged stably by ``keys[order]`` (each in ``[0, n_keys)``)."""
    start = np.zeros(n_keys + 1, dtype=np.int64)
    for index in order:
        start[keys[index] + 1] += 1
    for key in range(n_keys):
        start[key + 1] += start[key]
    out = np.empty_like(order)
    for index in order:
        out[start[keys[index]]] = index
        start[keys[index]] += 1
    return out


MAX_DELAY = 2**31 - 1

#: a plain-number delay of this many seconds or more warns: likely meant in milliseconds (or in steps, the unit
#: ``connect(delay=)`` took in earlier versions)
UNLIKELY_DELAY = 1.0


def _delay_seconds(delay):
    """``delay`` of :class:`Connections` as numbers of seconds: None, a float, a float64 array or a float sparse
    matrix. ``TypeError``/``ValueError`` naming ``delay`` for values that are not finite real times."""
    if delay is None:
        return None
    what = "a time in seconds or an array of them"
    if sp.issparse(delay):
        finite_array("delay", delay.data, what)  # the one rule: no complex, bool or string entries
        return delay.astype(np.float64)  # its format kept: duplicate entries are refused later, not summed
    delay = finite_array("delay", si_value("delay", delay, "s"), what)
    return float(delay) if delay.ndim == 0 else delay


def _check_synapse_delays(values, plain: bool) -> None:
    """``ValueError`` unless every synapse's delay is > 0 s; :func:`warn_unlikely_delay` if ``plain``."""
    if np.size(values) and np.min(values) <= 0:
        raise ValueError(f"delay={describe(np.min(values))} s must be > 0: a spike arrives one step later at the "
                         "soonest (delay=None: one step of dt)")
    if plain:
        warn_unlikely_delay(values)


def warn_unlikely_delay(seconds) -> None:
    """The :class:`~nsnn_sim._core.units.UnitWarning` of a plain-number delay of :data:`UNLIKELY_DELAY` or more."""
    if np.size(seconds) and np.max(seconds) >= UNLIKELY_DELAY:
        warn_read_as_seconds("delay", seconds, "; a delay of k steps is k*dt seconds (delay=None: one step)")


def delay_steps(seconds, dt: float, n_synapses: int, off_grid: str = "refuse") -> np.ndarray:
    """Delays in seconds as whole steps of ``dt``, one per synapse: ``None`` is one step; otherwise
    :func:`nsnn_sim._core.timesteps.seconds_to_steps` (``off_grid="refuse"``: a delay off the grid raises
    ``ValueError`` naming the nearest whole-step values; ``"nearest"`` rounds). ``ValueError`` unless every delay
    is at least one step (to 1e-9 relative) and at most :data:`MAX_DELAY` steps."""
    if seconds is None or n_synapses == 0:
        return np.ones(n_synapses, dtype=np.int64)
    values = np.asarray(seconds, dtype=np.float64)
    if not np.all(values / dt >= 1.0 - 1e-9):
        raise ValueError(f"delay={describe(np.min(values))} s is shorter than one step dt={dt!r} s: delays must be "
                         ">= dt (a spike arrives one step later at the soonest)")
    if np.max(values) / dt > MAX_DELAY:
        raise ValueError(f"delay={describe(np.max(values))} s is more than {MAX_DELAY} steps of dt={dt!r} s")
    if values.ndim and off_grid == "refuse":  # the message names the delay farthest from the grid, not the range
        seconds_to_steps("delay", values[np.argmax(np.abs(values / dt - np.rint(values / dt)))], dt)
    steps = seconds_to_steps("delay", values, dt, off_grid=off_grid)
    return np.broadcast_to(np.asarray(steps, dtype=np.int64), (n_synapses,))


def connect(weights, delay=None, receptor: str | None = None) -> Connections:
    """Recurrent connections ``W[post, pre]`` with ``delay`` seconds (default: one step of the model's ``dt``)
    to ``receptor`` (see :class:`Connections` for ``delay`` and :class:`PoissonInput` for ``receptor``)."""
    return Connections(weights, delay, receptor)


class CompiledConnections(NamedTuple):
    indptr: np.ndarray  # int64, n_neurons + 1: synapses of pre j are indptr[j]:indptr[j+1]
    post: np.ndarray  # int32
    weight: np.ndarray  # float64
    delay: np.ndarray  # int64, >= 1
    max_delay: int
    min_delay: int


class CompiledInputs(NamedTuple):
    current: np.ndarray  # (n_trials, n_steps, n_neurons) float64 view, possibly zero-stride
    poisson_sources: np.ndarray  # (n_groups,) int64
    poisson_probability: np.ndarray  # (n_groups, n_neurons) float64, rate*dt per step (0 for a varying group)
    poisson_weight: np.ndarray  # (n_groups, n_neurons) float64
    poisson_course_row: np.ndarray  # (n_groups,) int64: the group's row of poisson_course, -1 for a constant rate
    # rate*dt of row r, trial t, step k, neuron i: poisson_course[r*s[0] + t*s[1] + k*s[2] + i*s[3]], s the
    # element strides poisson_course_strides (0 along an axis the courses do not vary on); flat and contiguous
    # whatever the courses' shapes, so the kernels are compiled once for all of them
    poisson_course: np.ndarray  # float64, 1-D
    poisson_course_strides: np.ndarray  # (4,) int64
    event_indptr: np.ndarray  # (1 or n_trials, n_neurons + 1) int64: events of (trial, i), stimuli.CompiledEvents
    event_step: np.ndarray  # int64
    event_weight: np.ndarray  # float64
    # int64, per event: from prepare_inputs the index of its spike input among them; the engine maps it to that
    # input's receptor index (engine._receptor_indices) before any kernel runs
    event_receptor: np.ndarray


def prepare_inputs(inputs, n_neurons: int, n_steps: int, n_trials: int, dt: float) -> CompiledInputs:
    """Validate ``inputs`` and turn them into kernel arrays.

    ``inputs`` is ``None``, a current (see the module docstring) or a :class:`CurrentInput`, a
    :class:`PoissonInput` (constant or :class:`InhomogeneousPoissonInput`), a
    :class:`~nsnn_sim.simulator.stimuli.SpikeInput`, or a list or tuple holding at most one current and any number
    of the others. The receptor of a :class:`CurrentInput` is the caller's (:func:`current_receptor`).
    """
    items = _input_items(inputs)
    currents = [item for item in items if item is not None and not isinstance(item, INPUT_ITEMS)]
    poissons = [item for item in items if isinstance(item, PoissonInput)]
    if len(currents) > 1:
        raise ValueError("inputs may hold at most one current array (add them together first; currents into "
                         "different receptors cannot be combined in one run)")
    current = _current_view(current_values(currents[0]) if currents else 0.0, n_neurons, n_steps, n_trials)
    n_groups = len(poissons)
    sources = np.array([item.n_sources for item in poissons], dtype=np.int64)
    probability = np.zeros((n_groups, n_neurons))
    weight = np.zeros((n_groups, n_neurons))
    course_row = np.full(n_groups, -1, dtype=np.int64)
    courses = []
    for group, item in enumerate(poissons):
        weight[group] = _broadcast_neurons("weight", item.weight, n_neurons)
        if isinstance(item, InhomogeneousPoissonInput):
            course_row[group] = len(courses)
            courses.append(item.course(n_neurons, n_steps, n_trials))
            _check_probability(item, distinct_values(courses[-1]).max(initial=0.0) * dt, dt)
        else:
            probability[group] = _broadcast_neurons("rate", item.rate, n_neurons) * dt
            _check_probability(item, probability[group].max(), dt)
    events = compile_events([item for item in items if isinstance(item, (SpikeInput, ProjectedSpikes))], n_neurons,
                            n_steps, n_trials, dt)
    return CompiledInputs(current, sources, probability, weight, course_row,
                          *_stacked_courses(courses, n_steps, dt), *events)


def _check_probability(item: PoissonInput, highest: float, dt: float) -> None:
    """``ValueError`` when the highest ``rate*dt`` of a Poisson input is above 1 or its mean count per step above
    :data:`MAX_POISSON_MEAN_PER_STEP`."""
    if highest > 1.0:
        raise ValueError(f"Poisson rate {highest / dt:g} Hz is above 1/dt = {1 / dt:g} Hz")
    mean = item.n_sources * highest
    if mean > MAX_POISSON_MEAN_PER_STEP:
        raise ValueError(
            f"Poisson input with n_sources*rate*dt = {mean:g} spikes per step (> "
            f"{MAX_POISSON_MEAN_PER_STEP:g}): use a Gaussian current (diffusion approximation)"
        )


def _stacked_courses(courses: list, n_steps: int, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """``(flat, strides)``: the per-step probabilities ``rate*dt`` of the varying Poisson groups (each ``(1 or
    n_trials, n_steps, 1 or n_neurons)``) stacked into one contiguous array holding only the axes some group varies
    along, flattened, and its element strides over (row, trial, step, neuron), 0 along the axes it lacks."""
    shape = (max([course.shape[0] for course in courses], default=1), n_steps if courses else 1,
             max([course.shape[2] for course in courses], default=1))
    stacked = np.zeros((max(1, len(courses)), *shape))
    for row, course in enumerate(courses):
        stacked[row] = np.broadcast_to(course, shape) * dt
    strides = np.array([0 if size == 1 else stride // stacked.itemsize
                        for size, stride in zip(stacked.shape, stacked.strides)], dtype=np.int64)
    return stacked.ravel(), strides


def describe_inputs(inputs) -> str:
    """A short, human-readable description of ``inputs`` for provenance attrs."""
    items = _input_items(inputs)
    parts = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, (*INPUT_ITEMS, CurrentInput)):
            parts.append(f"{type(item).__name__}({item.describe()})")
        else:
            parts.append(_describe_current(item))
    return "; ".join(parts) if parts else "none"


def _describe_current(values) -> str:
    array = np.asarray(values)
    if array.ndim == 0:
        return f"current={float(array)!r}"
    return f"current array shape={array.shape} mean={array.mean():g}"


def _input_items(inputs) -> list:
    """A list or tuple holding an input item (:data:`INPUT_ITEMS`, or a :class:`CurrentInput`) is a combination of
    inputs; any other is one current."""
    if isinstance(inputs, (list, tuple)) and any(isinstance(item, (*INPUT_ITEMS, CurrentInput)) for item in inputs):
        return list(inputs)
    return [inputs]


def _current_view(value, n_neurons, n_steps, n_trials, name="inputs") -> np.ndarray:
    array = finite_array(name, value, "numeric (a current array) or PoissonInput", keep_view=True)
    allowed = {
        0: (),
        1: (n_neurons,),
        2: (n_steps, n_neurons),
        3: (n_trials, n_steps, n_neurons),
    }
    if array.ndim not in allowed or array.shape != allowed[array.ndim]:
        raise ValueError(
            f"{name} has shape {array.shape}; allowed: scalar, (n_neurons,) = ({n_neurons},), "
            f"(n_steps, n_neurons) = ({n_steps}, {n_neurons}) or (n_trials, n_steps, n_neurons) = "
            f"({n_trials}, {n_steps}, {n_neurons})"
        )
    if array.ndim == 2 and n_steps == n_neurons > 1:
        warn_at_caller(
            f"{name} has shape ({n_steps}, {n_neurons}) and n_steps == n_neurons: it is read as (n_steps, n_neurons), "
            "one row per time step (pass inputs.T if its rows are neurons); to say so and silence this warning, "
            f"pass a 3-D array (n_trials, n_steps, n_neurons), e.g. np.broadcast_to(inputs, ({n_trials}, {n_steps}, "
            f"{n_neurons})), a view that copies nothing")
    # always a read-only (possibly zero-stride) view: one Numba specialisation for every input shape
    return np.broadcast_to(array, (n_trials, n_steps, n_neurons))


def _broadcast_neurons(name, array, n_neurons) -> np.ndarray:
    if array.ndim == 1 and array.size != n_neurons:
        raise ValueError(f"{name} has {array.size} values but n_neurons={n_neurons}")
    return np.broadcast_to(array, (n_neurons,))


