"""The same models in Brian2: build them, run them, and get the results back as nsnn_sim objects.

:func:`to_brian2` writes an nsnn_sim model, its inputs and connections as Brian2 objects;
:func:`run_brian2` runs them (Cython or numpy runtime, or ``cpp_standalone``) and returns a
:class:`~nsnn_sim.simulator.results.SimulationResult`, so every analysis applies unchanged.

Translation (``i`` runs over ``n_trials * n_neurons`` Brian2 neurons; trial ``k``, neuron ``n`` is
Brian2 neuron ``k*n_neurons + n``; recurrent connections are block-diagonal over trials):

* ``LIF(method="euler")``: ``dv/dt = (u_rest + I - v)/tau + sigma*sqrt(2/tau)*xi (unless refractory)``,
  ``method="euler"`` (with ``noise="none"`` or escape firing, no ``xi`` term).
* ``NSNN`` and ``LIF(method="exact")``: the map ``v = alpha*v + gain*I + offset [+ scale*eps]`` as a
  ``run_regularly`` operation in the ``groups`` slot, one Brian2 step per model step; ``eps`` is the
  family's inverse cdf applied to ``rand()`` (Gaussian: ``randn()``). Every family's cdf and ppf
  expressions (and the Brian2 functions they call) come from its registry record
  (:class:`nsnn_sim.simulator.noise.FamilySpec`), so a registered family needs nothing here.
* Neurons with more state: the Euler LIF's synaptic currents, adaptation currents and moving threshold as
  Brian2 equations (a current into a synapse drives that synapse's equation); the exact LIF's and the NSNN's
  (traces, adaptive threshold) as their compiled one-step map of every variable, a ``run_regularly``
  operation; the threshold ``theta + threshold_weight . x`` and the spike-triggered jumps from the compiled
  vectors.
* Spike rules: ``"membrane"``: threshold ``v >= theta``; ``"escape"`` and ``"reference"``: threshold
  ``rand() < F(v - theta)``, one draw per step deciding spike and reset; the Brownian-bridge
  crossing of ``threshold_crossing="bridge"`` adds ``or rand() < exp(-2*(theta - v_before)*(theta - v)/s2)``;
  ``"hazard"``: ``rand() < 1 - exp(-rho_0*dt*exp((v - theta)/delta_u))`` (nsnn_sim evaluates the
  same probability with ``expm1``, which Brian2 lacks: the two differ by at most ~1e-16, so a shared
  uniform falls between them with probability ~1e-16 per step).
* Synaptic and Poisson inputs are applied in the ``before_thresholds`` slot (after the state update,
  before the threshold, as nsnn_sim adds them) and only to non-refractory neurons; Poisson input
  counts are exact ``Binomial(n_sources, rate*dt)`` draws (Brian2's ``PoissonInput`` switches to a
  normal approximation above 5 spikes per step).
* Refractoriness: nsnn_sim holds a neuron for ``n = round(tau_ref/dt)`` steps after the spike step;
  Brian2 evaluates ``not_refractory`` before its state update, which holds it for one step less, so
  the bridge passes ``refractory = (n + 1)*dt``.

``shared_noise=True`` replaces every random draw by the one nsnn_sim's engine makes for the same
(seed, trial, neuron, step) (as ``TimedArray`` lookups: uniforms, the family's ``ppf`` of them, or
for Gaussian membrane noise the ziggurat normals of :func:`nsnn_sim.simulator.rng.normal`), so the two
simulators can be compared spike for spike.

Examples
--------
>>> import nsnn_sim as ns
>>> from nsnn_sim.interop.brian2 import run_brian2
>>> model = ns.NSNN(beta=0.5, noise="logistic", noise_scale=0.3, firing="escape")
>>> ours = ns.simulate(model, 0.7, n_neurons=4, n_steps=50, seed=3)
>>> theirs = run_brian2(model, 0.7, n_neurons=4, n_steps=50, seed=3, shared_noise=True, target="numpy")
>>> ours.spikes == theirs.spikes
True
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from nsnn_sim._core.extras import require
from nsnn_sim._core.validation import seed_value, whole_number
from nsnn_sim.simulator import noise as noise_families
from nsnn_sim.simulator import rng
from nsnn_sim.simulator.engine import (
    _binomial,
    _binomial_table,
    _receptor_index,
    _receptor_indices,
    current_receptor_index,
    initial_membrane,
)
from nsnn_sim.simulator.network import Connections, _input_items, connect, describe_inputs, prepare_inputs
from nsnn_sim.simulator.neurons import LIF, NSNN
from nsnn_sim.simulator.results import SimulationResult
from nsnn_sim.simulator.rules import FIRING_HAZARD, FIRING_MEMBRANE, FIRING_REFERENCE, RESET_ZERO
from nsnn_sim.simulator.state import AlphaSynapse
from nsnn_sim.simulator.stimuli import ProjectedSpikes, SpikeInput
from nsnn_sim.spikes import SpikeTrains

__all__ = ["to_brian2", "run_brian2", "Brian2Model", "TARGETS"]

TARGETS = ("cython", "numpy", "cpp_standalone")

_BRIAN2 = require("brian2", "brian2")  # a clear ImportError naming the extra, at import


def _brian2():
    return _BRIAN2


# --------------------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------------------
@dataclass
class Brian2Model:
    """The Brian2 objects of one nsnn_sim model run, and what is needed to read the results back."""

    network: object
    group: object
    spike_monitor: object
    state_monitor: object | None
    n_trials: int
    n_neurons: int
    n_steps: int
    dt: float
    recorded: np.ndarray

    def run(self, report=None) -> None:
        b2 = _brian2()
        self.network.run(self.n_steps * self.dt * b2.second, report=report)

    def spikes(self) -> SpikeTrains:
        """The spikes of the finished run as SpikeTrains (neuron ``k*n_neurons + n`` -> trial k, neuron n)."""
        index = np.asarray(self.spike_monitor.i[:], dtype=np.int64)
        step = np.rint(np.asarray(self.spike_monitor.t[:] / _brian2().second) / self.dt).astype(np.int64)
        return SpikeTrains(index // self.n_neurons, index % self.n_neurons, step, dt=self.dt,
                           n_trials=self.n_trials, n_neurons=self.n_neurons, n_steps=self.n_steps)

    def state(self) -> np.ndarray | None:
        """Recorded ``v`` after reset as ``(n_trials, n_recorded, n_steps)``, as nsnn_sim records it."""
        if self.state_monitor is None:
            return None
        values = np.asarray(self.state_monitor.v[:])  # (n_trials * n_recorded, n_steps)
        return values.reshape(self.n_trials, self.recorded.size, -1)


def to_brian2(model, inputs=0.0, n_neurons: int = 1, n_steps: int = 1000, n_trials: int = 1, seed: int = 0,
              connections=None, shared_noise: bool = False, record_state=None,
              initial_state=None) -> Brian2Model:
    """Build the Brian2 objects that simulate ``model`` exactly as :func:`nsnn_sim.simulate` would.

    Parameters are those of :func:`nsnn_sim.simulate`; ``shared_noise=True`` feeds the random
    numbers nsnn_sim draws for ``seed`` into Brian2 (``TimedArray``), otherwise Brian2 draws its own
    (seeded with ``seed``). The Brian2 device and code-generation target must be set by the caller
    (:func:`run_brian2` does it).

    The population is built from the compiled neuron coefficients (``model.compile(n_neurons)``:
    ``alpha``, ``gain``, ``offset``, ``noise_scale``, ``threshold``, ``u_reset``, refractory steps)
    and the noise family's registry record (its Brian2 cdf and ppf expressions), in small steps:
    the current term, the membrane update, the spike rule, the Poisson inputs, the synapses and the
    monitors.
    """
    if not isinstance(model, (LIF, NSNN)):
        raise TypeError(f"model must be an nsnn_sim LIF or NSNN, got {type(model).__name__}")
    b2 = _brian2()
    n_neurons = whole_number("n_neurons", n_neurons)
    n_steps = whole_number("n_steps", n_steps)
    n_trials = whole_number("n_trials", n_trials)
    seed = seed_value(seed)
    if isinstance(model, LIF) and model.crossing == "substep":
        raise ValueError(
            f"threshold_crossing={model.threshold_crossing!r} runs the sub-step crossing here (a reset within the "
            "step), which has no Brian2 translation; allowed here: 'grid', 'bridge'. LIF(method='euler') is the "
            "configuration Brian2 runs spike for spike")
    compiled = model.compile(n_neurons)
    compiled_inputs = prepare_inputs(inputs, n_neurons, n_steps, n_trials, model.dt)
    initial = initial_membrane(compiled, initial_state, n_neurons, n_trials).ravel()
    recorded = (np.zeros(0, dtype=np.int64) if record_state is None
                else np.atleast_1d(np.asarray(record_state, dtype=np.int64)))

    b2.defaultclock.dt = model.dt * b2.second
    if not shared_noise:
        b2.seed(seed % (2**32))
    family = noise_families.spec(model.noise)
    parts = _Parts(b2, n_trials, n_neurons, n_steps, model.dt, seed, shared_noise,
                   {item.name: _brian2_function(b2, item) for item in family.brian2_functions})
    parts.constant("theta", compiled.threshold)
    parts.constant("u_reset", compiled.u_reset)
    parts.constant("scale", compiled.noise_scale)
    parts.equations.append("v_before : 1")
    current = _current_term(parts, compiled_inputs.current)
    has_state = getattr(model, "has_state", False)
    if has_state:
        state = model.compile_state(n_neurons, current_receptor_index(model, inputs))
        variables = _state_update(parts, model, state, _state_noise(parts, compiled, family, state), current)
    else:
        current_receptor_index(model, inputs)  # a model without state has the membrane only: checked
        _membrane_update(parts, model, compiled, family, current)
    threshold, reset, refractory = _spike_rule(parts, compiled, family)
    if has_state:
        threshold, reset = _state_spike_rule(parts, state, variables, threshold, reset)
    poisson_receptor, synapse_receptor = _receptor_indices(model, inputs, connections)
    _poisson_inputs(parts, compiled_inputs, model, poisson_receptor)

    group = b2.NeuronGroup(n_trials * n_neurons, "\n".join(parts.equations) + "\n", threshold=threshold, reset=reset,
                           refractory=refractory, method="euler", namespace=parts.namespace, name="nsnn_population")
    group.v = initial
    group.v_before = initial
    for name, (values, unit) in parts.constants.items():
        setattr(group, name, values * unit if unit is not None else values)
    objects = [group] + [group.run_regularly(code, when=when, order=order, name=name)
                         for code, when, order, name in parts.operations]
    if connections is not None:
        objects += _synapses(parts, group, connections, model, synapse_receptor)
    objects += _spike_inputs(parts, group, model, inputs)
    spike_monitor, state_monitor = _monitors(parts, group, recorded)
    objects += [spike_monitor] + ([state_monitor] if state_monitor is not None else [])
    return Brian2Model(b2.Network(*objects), group, spike_monitor, state_monitor, n_trials, n_neurons, n_steps,
                       model.dt, recorded)


@dataclass
class _Parts:
    """The pieces of the Brian2 population being built: equations, per-neuron constants (one value
    per nsnn_sim neuron, tiled over the trials), ``run_regularly`` operations and the namespace."""

    b2: object
    n_trials: int
    n_neurons: int
    n_steps: int
    dt: float
    seed: int
    shared_noise: bool
    namespace: dict
    equations: list = field(default_factory=list)
    constants: dict = field(default_factory=dict)  # name: (values of all Brian2 neurons, unit or None)
    operations: list = field(default_factory=list)  # (code, when, order, name) of run_regularly

    def constant(self, name: str, values, unit: str = "1") -> None:
        """Declare ``name : unit (constant)`` with one value per neuron (scalar or ``(n_neurons,)``)."""
        per_neuron = np.broadcast_to(np.asarray(values, dtype=np.float64), (self.n_neurons,))
        self.equations.append(f"{name} : {unit} (constant)")
        self.constants[name] = (np.tile(per_neuron, self.n_trials), None if unit == "1" else getattr(self.b2, unit))

    def stream(self, purpose: int, transform=None, kind: str = "uniform", source: int = 0) -> str:
        """nsnn_sim's draws of ``purpose`` (and noise ``source``, :func:`nsnn_sim.simulator.rng.draws`) for every
        trial as a TimedArray lookup (steps x neurons)."""
        values = np.concatenate([rng.draws(self.seed, trial, purpose, self.n_steps, self.n_neurons, kind, source)
                                 for trial in range(self.n_trials)], axis=1)
        name = {rng.MEMBRANE: "shared_membrane", rng.FIRING: "shared_firing", rng.BRIDGE: "shared_bridge"}[purpose]
        return self.timed_array(name if source == 0 else f"{name}_{source}",
                                values if transform is None else transform(values))

    def timed_array(self, name: str, values: np.ndarray) -> str:
        """``values`` (steps x Brian2 neurons) as the TimedArray ``name``; returns ``name(t, i)``."""
        self.namespace[name] = self.b2.TimedArray(np.ascontiguousarray(values), dt=self.dt * self.b2.second)
        return f"{name}(t, i)"


def _brian2_function(b2, function: noise_families.Brian2Function):
    """The Brian2 ``Function`` of a family's :class:`~nsnn_sim.simulator.noise.Brian2Function` (one
    dimensionless argument), implemented for the numpy, Cython and C++ targets."""
    brian2_function = b2.Function(function.numpy, arg_units=[1], return_unit=1)
    brian2_function.implementations.add_implementation("cython", function.cython, name=function.name)
    brian2_function.implementations.add_implementation("cpp", function.cpp, name=function.name)
    return brian2_function


def _current_term(parts: _Parts, current: np.ndarray) -> str:
    """The external current ``I(t)`` as a Brian2 term: a constant per neuron, or a TimedArray."""
    if current.strides[1] == 0:  # constant in time (a broadcast view: never expanded to steps x neurons)
        parts.equations.append("I_ext : 1 (constant)")
        parts.constants["I_ext"] = (np.concatenate([current[trial, 0, :] for trial in range(parts.n_trials)]), None)
        return "I_ext"
    return parts.timed_array("I_ta", np.concatenate([current[trial] for trial in range(parts.n_trials)], axis=1))


def _membrane_noise(parts: _Parts, compiled, family: noise_families.FamilySpec) -> tuple[str, str]:
    """``(statement, eps)``: a statement drawing what ``eps`` needs (or ""), and the Brian2 term of
    one standard (scale 1) membrane-noise value ``eps``, as nsnn_sim draws it when shared."""
    if parts.shared_noise and compiled.family == noise_families.GAUSSIAN:  # the engine draws ziggurat normals
        return "", parts.stream(rng.MEMBRANE, kind="normal")
    if parts.shared_noise:  # the standard noise values nsnn_sim adds, eps = F^-1(U; 1)
        return "", parts.stream(rng.MEMBRANE, noise_families.get(family.name, 1.0).ppf)
    if family.brian2_sample is not None:
        # drawn in a statement of its own: inside the held update (``int(not_refractory)*(...)``) Brian2's
        # numpy target rewrites the expression into a ``where`` that calls the sampler twice and
        # without its vectorisation index (a TypeError), as it once did for every Gaussian NSNN
        return f"nsnn_sample = {family.brian2_sample}\n", "nsnn_sample"
    # rand() lies in [0, 1): map it into [2**-53, 1 - 2**-52] so that every ppf is finite
    return "nsnn_uniform = rand()*(1.0 - 2.0**-52) + 2.0**-53\n", family.ppf_expression("nsnn_uniform", "1.0")


def _membrane_update(parts: _Parts, model, compiled, family: noise_families.FamilySpec, current: str) -> None:
    """The integration step with its membrane noise (``scale*eps``, if the noise enters ``u``).

    The map (NSNN, ``LIF(method="exact")``): ``v = alpha*v + gain*I + offset [+ scale*eps]`` with the
    compiled coefficients, as a ``run_regularly`` operation in the ``groups`` slot, held while refractory.
    The Euler LIF: Brian2's own ``dv/dt = (u_rest + I - v)/tau [+ sigma*sqrt(2/tau)*xi]`` (shared
    noise: ``+ scale*eps/dt``), integrated by Brian2's Euler method ``(unless refractory)``.
    """
    noisy = not family.deterministic and compiled.firing in (FIRING_MEMBRANE, FIRING_REFERENCE)
    statement, eps = _membrane_noise(parts, compiled, family) if noisy else ("", "")
    if isinstance(model, NSNN) or model.method == "exact":
        parts.equations.insert(0, "v : 1")
        for name in ("alpha", "gain", "offset"):
            parts.constant(name, getattr(compiled, name))
        update = f"alpha*v + gain*{current} + offset" + (f" + scale*({eps})" if noisy else "")
        parts.operations.append((statement + f"v = int(not_refractory)*({update}) + (1 - int(not_refractory))*v",
                                 "groups", 1, "nsnn_map"))
        return
    if noisy and parts.shared_noise:
        noise_term = f" + scale*({eps})/dt"
    else:
        noise_term = " + sigma*sqrt(2.0/tau)*xi" if noisy else ""
    parts.equations.insert(0, f"dv/dt = (u_rest + {current} - v)/tau{noise_term} : 1 (unless refractory)")
    parts.constant("tau", model.tau, unit="second")
    parts.constant("u_rest", model.u_rest)
    parts.constant("sigma", model.sigma)


def _state_noise(parts: _Parts, compiled, family: noise_families.FamilySpec, state) -> list[tuple[str, str]]:
    """``(statement, term)`` per normal ``eps_j`` of the state map, as the engine draws it
    (:func:`nsnn_sim.simulator.state.state_draws`): an NSNN's membrane noise of a non-Gaussian family is its
    ``eps_0`` (:func:`_membrane_noise`); every other ``eps_j`` is a normal of the membrane stream's source ``j``
    (shared) or Brian2's ``randn()``."""
    family_noise = (compiled.firing in (FIRING_MEMBRANE, FIRING_REFERENCE)
                    and compiled.family not in (noise_families.GAUSSIAN, noise_families.NONE))
    terms = []
    for j in range(state.noise.shape[2]):
        if family_noise and j == 0:
            terms.append(_membrane_noise(parts, compiled, family))
        else:
            terms.append(("", parts.stream(rng.MEMBRANE, kind="normal", source=j) if parts.shared_noise
                          else "randn()"))
    return terms


def _state_update(parts: _Parts, model, state, eps: list[tuple[str, str]], current: str) -> list[str]:
    """The linear state of a neuron with more state (:mod:`nsnn_sim.simulator.state`; ``state`` its compiled maps,
    ``eps`` :func:`_state_noise`'s draws); returns the names of its variables after ``v``.

    ``LIF(method="euler")``: Brian2's own equations, integrated by its Euler method::

        dv/dt = (u_rest + I + sum_r I_r - sum_k w_k - v)/tau [+ noise] : 1 (unless refractory)   (clamp)
        dI_r/dt = -I_r/tau_r [+ noise]   (alpha: dy_r/dt = -y_r/tau_r [+ noise], dI_r/dt = (y_r - I_r)/tau_r)
        dw_k/dt = (a_k*(v - u_rest) - w_k)/tau_w_k,   dq_j/dt = -q_j/tau_q_j

    (a current into synapse ``r``: ``(I - I_r)/tau_r``, or ``(I - y_r)/tau_r``, in place of ``I`` in ``v``'s
    equation) with white noise ``xi`` per source (Brian2's draws) or, shared, ``L_j*eps_j/dt`` with nsnn_sim's
    normals of source ``j``. ``LIF(method="exact")`` and the NSNN with traces: the compiled one-step map (free, or
    held while refractory) as a ``run_regularly`` operation, as for the exact membrane alone.
    """
    per_neuron = lambda values: values[state.set_of]  # noqa: E731 - one value per neuron from the sets
    names = ["v", *model.state_variables[1:]]
    if isinstance(model, LIF):
        parts.constant("tau", model.tau, unit="second")
        parts.constant("u_rest", model.u_rest)
        for name, synapse in model.synapses.items():
            parts.constant(f"tau_{name}", synapse.tau, unit="second")
    if isinstance(model, NSNN) or model.method == "exact":
        for name in names:
            parts.equations.insert(0, f"{name} : 1")
        lines = []
        for a, name in enumerate(names):
            terms = []
            for prefix, source in (("free", ""), ("held", "held_")):
                P, bias = getattr(state, f"{source}propagator"), getattr(state, f"{source}bias")
                drive, noise = getattr(state, f"{source}drive"), getattr(state, f"{source}noise")
                parts.constant(f"{prefix}_bias_{a}", per_neuron(bias[:, a]))
                parts.constant(f"{prefix}_drive_{a}", per_neuron(drive[:, a]))
                total = [f"{prefix}_bias_{a}", f"{prefix}_drive_{a}*{current}"]
                for b, other in enumerate(names):
                    parts.constant(f"{prefix}_P_{a}_{b}", per_neuron(P[:, a, b]))
                    total.append(f"{prefix}_P_{a}_{b}*{other}")
                for j in range(noise.shape[2]):
                    parts.constant(f"{prefix}_L_{a}_{j}", per_neuron(noise[:, a, j]))
                    total.append(f"{prefix}_L_{a}_{j}*nsnn_eps_{j}")
                terms.append(" + ".join(total))
            lines.append(f"nsnn_new_{a} = int(not_refractory)*({terms[0]}) + (1 - int(not_refractory))*({terms[1]})")
        draws = "".join(f"{statement}nsnn_eps_{j} = {term}\n" for j, (statement, term) in enumerate(eps))
        updates = "\n".join(lines) + "\n" + "\n".join(f"{name} = nsnn_new_{a}" for a, name in enumerate(names))
        parts.operations.append((draws + updates, "groups", 1, "nsnn_state_map"))
        return names[1:]
    noise = state.noise[:, :, :]  # euler: L = B*sqrt(dt), one column per source
    noise_terms = {name: "" for name in names}
    for j in range(noise.shape[2]):
        target = int(np.flatnonzero(np.any(noise[:, :, j] != 0, axis=0))[0])
        parts.constant(f"noise_{j}", per_neuron(noise[:, target, j]))  # L = B*sqrt(dt): the step's SD
        noise_terms[names[target]] += (f" + noise_{j}*{eps[j][1]}/dt" if parts.shared_noise
                                       else f" + noise_{j}*xi_{j}/sqrt(dt)")
    driven = [name for a, name in enumerate(names) if np.any(state.drive[:, a] != 0)]  # where the current enters
    drive = {name: f"{current} - " if name in driven else "-" for name in names}
    inputs = "".join(f" + I_{name}" for name in model.synapses)
    adaptation = "".join(f" - w_{k}" for k in range(len(model.adaptation)))
    held = " (unless refractory)" if model.refractory == "clamp" else ""
    membrane_current = f" + {current}" if "v" in driven else ""
    equations = [f"dv/dt = (u_rest{membrane_current}{inputs}{adaptation} - v)/tau{noise_terms['v']} : 1{held}"]
    for name, synapse in model.synapses.items():
        if isinstance(synapse, AlphaSynapse):
            equations.append(f"dy_{name}/dt = ({drive[f'y_{name}']}y_{name})/tau_{name}{noise_terms[f'y_{name}']} : 1")
            equations.append(f"dI_{name}/dt = (y_{name} - I_{name})/tau_{name} : 1")
        else:
            equations.append(f"dI_{name}/dt = ({drive[f'I_{name}']}I_{name})/tau_{name}{noise_terms[f'I_{name}']} : 1")
    for k, component in enumerate(model.adaptation):
        parts.constant(f"a_{k}", component.a)
        parts.constant(f"tau_w_{k}", component.tau, unit="second")
        equations.append(f"dw_{k}/dt = (a_{k}*(v - u_rest) - w_{k})/tau_w_{k} : 1")
    for j, component in enumerate(model.moving_threshold):
        parts.constant(f"tau_q_{j}", component.tau, unit="second")
        equations.append(f"dq_{j}/dt = -q_{j}/tau_q_{j} : 1")
    parts.equations[:0] = equations
    return names[1:]


def _state_spike_rule(parts: _Parts, state, variables: list[str], threshold: str, reset: str) -> tuple[str, str]:
    """The spike rule of :func:`_spike_rule` with the moving threshold ``theta + sum_a threshold_weight_a*x_a`` in
    place of ``theta``, and the spike-triggered jumps ``x_a += spike_jump_a`` after the reset (the compiled
    ``state``'s vectors: the LIF's ``q_j`` and ``w_k += b_k``, the NSNN's ``q_0``)."""
    names = ["v", *variables]
    moving, jumps = "", ""
    for a, name in enumerate(names):
        weight, jump = state.threshold_weight[state.set_of, a], state.spike_jump[state.set_of, a]
        if np.any(weight != 0.0):
            parts.constant(f"theta_weight_{a}", weight)
            moving += f" + theta_weight_{a}*{name}"
        if np.any(jump != 0.0):
            parts.constant(f"spike_jump_{a}", jump)
            jumps += f"\n{name} += spike_jump_{a}"
    parts.equations.append(f"theta_now = theta{moving} : 1")
    threshold = re.sub(r"\btheta\b", "theta_now", threshold)
    reset = re.sub(r"\btheta\b", "theta_now", reset)
    return threshold, reset + jumps


def _spike_rule(parts: _Parts, compiled, family: noise_families.FamilySpec):
    """``(threshold, reset, refractory)`` of the NeuronGroup.

    ``"membrane"``: ``v >= theta`` (Brownian bridge: ``or rand() < exp(-2*(theta - v_before)*(theta - v)/scale**2)``,
    ``v_before`` saved in the ``before_groups`` slot); ``"escape"`` and ``"reference"``:
    ``rand() < F(v - theta; scale)`` with the family's Brian2 cdf; ``"hazard"``:
    ``rand() < 1 - exp(-hazard_rate*exp((v - theta)/scale))`` (``hazard_rate = rho_0*dt``,
    ``scale = delta_u``). Reset ``v = u_reset`` or
    ``v = v - (theta - u_reset)``. nsnn_sim holds a neuron ``n`` steps after its spike step, Brian2
    one step less (it tests ``not_refractory`` before the update): ``refractory = (n + 1)*dt``.
    """
    if compiled.firing == FIRING_MEMBRANE:
        threshold = "v >= theta"
        if compiled.bridge:
            draw = parts.stream(rng.BRIDGE) if parts.shared_noise else "rand()"
            threshold += f" or {draw} < exp(-2.0*(theta - v_before)*(theta - v)/scale**2)"
            parts.operations.insert(0, ("v_before = v", "before_groups", 0, "nsnn_v_before"))
    elif compiled.firing == FIRING_HAZARD:
        parts.constant("hazard_rate", compiled.hazard_rate)
        draw = parts.stream(rng.FIRING) if parts.shared_noise else "rand()"
        threshold = f"{draw} < 1.0 - exp(-hazard_rate*exp((v - theta)/scale))"
    else:
        draw = parts.stream(rng.FIRING) if parts.shared_noise else "rand()"
        threshold = f"{draw} < {family.cdf_expression('v - theta', 'scale')}"
    reset = "v = u_reset" if compiled.reset == RESET_ZERO else "v = v - (theta - u_reset)"
    steps = compiled.refractory_steps
    if np.any(steps != steps[0]):
        parts.constant("ref_steps", steps)
        return threshold, reset, "(ref_steps + 1)*dt"
    return threshold, reset, (int(steps.max()) + 1) * parts.dt * parts.b2.second


def _input_code(model, receptor: int, amount: str, post: str = "") -> str:
    """The statements adding an input of weight ``amount`` to ``receptor``: ``v += amount`` while not refractory for
    a jump of ``u`` (always, with ``refractory="integrate"``); for a LIF's synapse its first variable ``+= amount``
    times the charge normalisation ``tau/tau_r`` (:mod:`nsnn_sim.simulator.state`), refractory or not; for an
    NSNN's trace the trace and ``v`` (the trace joins this step's ``u``). ``post="_post"`` names the variables
    from a ``Synapses`` object."""
    if receptor == 0:
        integrating = getattr(model, "refractory", "clamp") == "integrate"
        return f"v{post} += {amount}*" + ("1.0" if integrating else f"int(not_refractory{post})")
    name = model.receptors[receptor]
    if isinstance(model, NSNN):
        return f"I_{name}{post} += {amount}\nv{post} += {amount}"
    first = "y" if isinstance(model.synapses[name], AlphaSynapse) else "I"
    return f"{first}_{name}{post} += {amount}*(tau{post}/tau_{name}{post})"


def _poisson_inputs(parts: _Parts, compiled_inputs, model, receptors) -> None:
    """Poisson drive: exact ``Binomial(n_sources, rate*dt)`` counts times the weight, added after the
    update (``before_thresholds`` slot) to the target of their receptor (:func:`_input_code`), as nsnn_sim
    adds them. With shared noise the counts are nsnn_sim's own (:func:`_shared_poisson_counts`), so per-neuron
    rates work too; otherwise Brian2 draws them (one rate per group)."""
    for index in range(compiled_inputs.poisson_sources.size):
        probability = compiled_inputs.poisson_probability[index]
        if parts.shared_noise:
            count = parts.timed_array(f"poisson_count_{index}", _shared_poisson_counts(parts, compiled_inputs, index))
        else:
            if compiled_inputs.poisson_course_row[index] >= 0:
                raise ValueError("an inhomogeneous Poisson input needs shared_noise=True in the Brian2 bridge (its "
                                 "counts are nsnn_sim's draws at each step's rate)")
            if np.any(probability != probability[0]):
                raise ValueError("the Brian2 bridge supports one Poisson rate per input group (Brian2 draws "
                                 "Binomial(n, p) with a single p) unless shared_noise=True; got per-neuron rates")
            parts.namespace[f"nsnn_binomial_{index}"] = parts.b2.BinomialFunction(
                int(compiled_inputs.poisson_sources[index]), float(probability[0]), approximate=False,
                name=f"nsnn_binomial_{index}")
            count = f"nsnn_binomial_{index}()"
        parts.constant(f"poisson_weight_{index}", compiled_inputs.poisson_weight[index])
        code = _input_code(model, int(receptors[index]), f"nsnn_input_{index}")
        parts.operations.append((f"nsnn_input_{index} = {count}*poisson_weight_{index}\n{code}",
                                 "before_thresholds", index, f"nsnn_poisson_{index}"))


def _shared_poisson_counts(parts: _Parts, compiled_inputs, index: int) -> np.ndarray:
    """The input counts nsnn_sim's engine draws for Poisson group ``index`` (steps x Brian2 neurons): the
    inverse cdf of ``Binomial(n_sources, rate*dt)`` (:func:`nsnn_sim.simulator.engine._binomial_table`) at the
    uniforms of the group's stream, counted as the engine counts them."""
    n_sources = int(compiled_inputs.poisson_sources[index])
    counts = np.empty((parts.n_steps, parts.n_trials * parts.n_neurons))
    row = compiled_inputs.poisson_course_row[index]
    for trial in range(parts.n_trials):
        uniforms = rng.draws(parts.seed, trial, rng.POISSON + index, parts.n_steps, parts.n_neurons)
        if row >= 0:  # a rate per step: the inverse cdf at each step's rate*dt
            strides = compiled_inputs.poisson_course_strides
            course = compiled_inputs.poisson_course[row * strides[0] + trial * strides[1]
                                                    + np.arange(parts.n_steps)[:, None] * strides[2]
                                                    + np.arange(parts.n_neurons)[None, :] * strides[3]]
            counts[:, trial * parts.n_neurons:(trial + 1) * parts.n_neurons] = [
                [_binomial(np.int64(n_sources), float(course[step, neuron]), float(uniforms[step, neuron]))
                 for neuron in range(parts.n_neurons)] for step in range(parts.n_steps)]
            continue
        for neuron in range(parts.n_neurons):
            probability = float(compiled_inputs.poisson_probability[index, neuron])
            table, flip = _binomial_table(np.int64(n_sources), probability)
            u = 1.0 - uniforms[:, neuron] if flip else uniforms[:, neuron]
            below = np.searchsorted(table[:-1], u, side="left")  # entries of the table below u
            counts[:, trial * parts.n_neurons + neuron] = n_sources - below if flip else below
    return counts


def _synapses(parts: _Parts, group, connections, model, receptor) -> list:
    """Recurrent connections, block-diagonal over trials, to the target of their receptor
    (:func:`_input_code`; a jump of ``u``: ``v_post += w`` unless refractory): one ``Synapses`` per receptor
    (``receptor``: one index for all synapses, or one per synapse in the order of ``Connections.compile``)."""
    b2, n_trials, n_neurons = parts.b2, parts.n_trials, parts.n_neurons
    connections = connections if isinstance(connections, Connections) else connect(connections)
    synapses = connections.compile(n_neurons, parts.dt)
    pre = np.repeat(np.arange(n_neurons), np.diff(synapses.indptr))
    codes = np.broadcast_to(receptor, pre.shape)
    objects = []
    targets = np.unique(codes) if pre.size else [int(np.max(receptor))]
    for code in targets:
        mine = codes == code
        name = "nsnn_synapses" if len(targets) == 1 else f"nsnn_synapses_{code}"
        connection = b2.Synapses(group, group, "w : 1", on_pre=_input_code(model, int(code), "w", post="_post"),
                                 name=name)
        if mine.any():
            offsets = np.repeat(np.arange(n_trials) * n_neurons, int(mine.sum()))
            connection.connect(i=np.tile(pre[mine], n_trials) + offsets,
                               j=np.tile(synapses.post[mine], n_trials) + offsets)
            connection.w = np.tile(synapses.weight[mine], n_trials)
            # in the before_thresholds slot the pathway pushes the previous step's spikes, one
            # step late: Brian2's delay is nsnn_sim's minus one step
            connection.delay = np.tile(synapses.delay[mine] - 1, n_trials) * parts.dt * b2.second
        connection.pre.when = "before_thresholds"
        objects.append(connection)
    return objects


def _spike_inputs(parts: _Parts, group, model, inputs) -> list:
    """Spike inputs as Brian2 ``SpikeGeneratorGroup`` s and ``Synapses``: a given spike train per neuron
    (:func:`nsnn_sim.spike_input`) is a generator neuron per target, connected one to one with its weight and no
    delay; a network source's spikes (:class:`~nsnn_sim.simulator.stimuli.ProjectedSpikes`) a generator neuron per
    source, connected by its synapses with their weights and delays; each block-diagonal over the trials. The
    generators spike in the ``start`` slot and the pathways deliver in ``before_thresholds``, so a spike of step
    ``s`` through a delay of ``d`` steps is added at step ``s + d`` after the update, where nsnn_sim adds it."""
    b2, n_trials, n_neurons = parts.b2, parts.n_trials, parts.n_neurons
    available = getattr(model, "receptors", ("delta",))
    items = [item for item in _input_items(inputs) if isinstance(item, (SpikeInput, ProjectedSpikes))]
    objects = []
    for index, item in enumerate(items):
        if isinstance(item, SpikeInput):
            trial, source, step, weight = item.events(n_neurons, n_steps=parts.n_steps, n_trials=n_trials, dt=parts.dt)
            n_sources, post, pre, delay = n_neurons, np.arange(n_neurons), np.arange(n_neurons), np.zeros(n_neurons)
            weight = np.broadcast_to(item.weight, (n_neurons,))
        else:
            spikes = item.spikes
            trial = np.full(len(spikes), -1) if spikes.n_trials == 1 else spikes.trial.astype(np.int64)
            source, step = spikes.neuron.astype(np.int64), spikes.step
            n_sources, post, pre, weight, delay = spikes.n_neurons, item.post, item.pre, item.weight, item.delay
        shared = trial < 0  # the same spikes in every trial: one copy per trial
        trials = np.concatenate([np.repeat(np.arange(n_trials), int(shared.sum())), trial[~shared]])
        sources = np.concatenate([np.tile(source[shared], n_trials), source[~shared]])
        steps = np.concatenate([np.tile(step[shared], n_trials), step[~shared]])
        generator = b2.SpikeGeneratorGroup(n_trials * n_sources, trials * n_sources + sources,
                                           steps * parts.dt * b2.second, when="start",
                                           name=f"nsnn_spike_input_{index}")
        receptor = _receptor_index(available, item.receptor, f"spike input #{index}")
        connection = b2.Synapses(generator, group, "w : 1", on_pre=_input_code(model, receptor, "w", post="_post"),
                                 name=f"nsnn_spike_input_synapses_{index}")
        offsets = np.repeat(np.arange(n_trials), np.size(post))
        connection.connect(i=np.tile(pre, n_trials) + offsets * n_sources,
                           j=np.tile(post, n_trials) + offsets * n_neurons)
        connection.w = np.tile(np.asarray(weight, dtype=np.float64), n_trials)
        connection.delay = np.tile(np.asarray(delay, dtype=np.float64), n_trials) * parts.dt * b2.second
        connection.pre.when = "before_thresholds"
        objects += [generator, connection]
    return objects


def _monitors(parts: _Parts, group, recorded: np.ndarray):
    """The SpikeMonitor, and a StateMonitor of ``v`` after reset (``when="end"``) for ``recorded``."""
    spike_monitor = parts.b2.SpikeMonitor(group, name="nsnn_spikes")
    if not recorded.size:
        return spike_monitor, None
    indices = (np.arange(parts.n_trials)[:, None] * parts.n_neurons + recorded[None, :]).ravel()
    return spike_monitor, parts.b2.StateMonitor(group, "v", record=indices, when="end", name="nsnn_state")


# --------------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------------
def run_brian2(model, inputs=0.0, n_neurons: int = 1, n_steps: int = 1000, n_trials: int = 1, seed: int = 0,
               connections=None, shared_noise: bool = False, record_state=None, initial_state=None,
               target: str = "cython", n_threads: int = 1, build_directory=None) -> SimulationResult:
    """Run ``model`` in Brian2 and return a :class:`SimulationResult` like :func:`nsnn_sim.simulate`.

    ``target`` is ``"cython"`` or ``"numpy"`` (runtime code generation) or ``"cpp_standalone"``
    (compiled C++ with ``n_threads`` OpenMP threads, built in ``build_directory`` or a temporary
    folder). ``result.run_time`` is the time of ``Network.run`` (for ``cpp_standalone``: code
    generation, compilation and the run).
    """
    if target not in TARGETS:
        raise ValueError(f"target={target!r} is not allowed; allowed: {TARGETS}")
    b2 = _brian2()
    standalone = target == "cpp_standalone"
    previous_target = b2.prefs.codegen.target
    if standalone:
        directory = build_directory or tempfile.mkdtemp(prefix="nsnn_brian2_")
        b2.set_device("cpp_standalone", directory=os.fspath(directory), build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = whole_number("n_threads", n_threads)
    else:
        b2.prefs.codegen.target = target
    try:
        built = to_brian2(model, inputs, n_neurons, n_steps, n_trials, seed, connections, shared_noise,
                          record_state, initial_state)
        start = time.perf_counter()
        built.run()
        if standalone:
            b2.device.build(directory=os.fspath(directory), compile=True, run=True)
        elapsed = time.perf_counter() - start
        spikes = built.spikes()
        state = built.state()
    finally:
        if standalone:
            b2.device.reinit()
            b2.device.activate()
            b2.set_device("runtime")
        b2.prefs.codegen.target = previous_target
    return SimulationResult(
        spikes=spikes, state=state, state_neurons=built.recorded, model=model, seed=seed,
        inputs_description=f"{describe_inputs(inputs)} (Brian2 {b2.__version__}, {target}, "
                           f"{'nsnn_sim noise' if shared_noise else 'Brian2 noise'})",
        connections_description="none" if connections is None else "recurrent (Brian2 Synapses)",
        run_time=elapsed,
    )
