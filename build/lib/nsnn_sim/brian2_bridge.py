"""The same models in Brian2: build them, run them, and get the results back as nsnn_sim objects.

:func:`to_brian2` writes an nsnn_sim model, its inputs and connections as Brian2 objects;
:func:`run_brian2` runs them (Cython or numpy runtime, or ``cpp_standalone``) and returns a
:class:`~nsnn_sim.spikes.SimulationResult`, so every analysis applies unchanged.

Translation (``i`` runs over ``n_trials * n_neurons`` Brian2 neurons; trial ``k``, neuron ``n`` is
Brian2 neuron ``k*n_neurons + n``; recurrent connections are block-diagonal over trials):

* ``LIF(method="euler")``: ``dv/dt = (u_rest + I - v)/tau + sigma*sqrt(2/tau)*xi (unless refractory)``,
  ``method="euler"`` (with ``noise="none"`` or escape firing, no ``xi`` term).
* ``NSNN`` and ``LIF(method="exact")``: the map ``v = alpha*v + gain*I + offset [+ scale*eps]`` as a
  ``run_regularly`` operation in the ``groups`` slot, one Brian2 step per model step; ``eps`` is the
  family's inverse cdf applied to ``rand()`` (Gaussian: ``randn()``).
* Spike rules: ``"membrane"``: threshold ``v >= theta``; ``"escape"`` and ``"reference"``: threshold
  ``rand() < F(v - theta)``, one draw per step deciding spike and reset; the Brownian-bridge
  crossing of ``threshold_crossing="bridge"`` adds ``or rand() < exp(-2*(theta - v_before)*(theta - v)/s2)``.
* Synaptic and Poisson inputs are applied in the ``before_thresholds`` slot (after the state update,
  before the threshold, as nsnn_sim adds them) and only to non-refractory neurons; Poisson input
  counts are exact ``Binomial(n_sources, rate*dt)`` draws (Brian2's ``PoissonInput`` switches to a
  normal approximation above 5 spikes per step).
* Refractoriness: nsnn_sim holds a neuron for ``n = round(tau_ref/dt)`` steps after the spike step;
  Brian2 evaluates ``not_refractory`` before its state update, which holds it for one step less, so
  the bridge passes ``refractory = (n + 1)*dt``.

``shared_noise=True`` replaces every random draw by the one nsnn_sim's engine makes for the same
(seed, trial, neuron, step) (as ``TimedArray`` lookups: uniforms, the family's ``ppf`` of them, or
for Gaussian membrane noise the ziggurat normals of :func:`nsnn_sim.rng.normal`), so the two
simulators can be compared spike for spike.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from nsnn_sim import noise as noise_families
from nsnn_sim import rng
from nsnn_sim.engine import initial_membrane
from nsnn_sim.extras import require
from nsnn_sim.network import Connections, connect, describe_inputs, prepare_inputs
from nsnn_sim.neurons import FIRING_MEMBRANE, FIRING_REFERENCE, LIF, NSNN, RESET_ZERO
from nsnn_sim.spikes import SimulationResult, SpikeTrains
from nsnn_sim.validation import whole_number

__all__ = ["to_brian2", "run_brian2", "Brian2Model", "TARGETS"]

TARGETS = ("cython", "numpy", "cpp_standalone")

_BRIAN2 = require("brian2", "brian2")  # a clear ImportError naming the extra, at import


def _brian2():
    return _BRIAN2


# --------------------------------------------------------------------------------------------------
# expressions for the noise families
# --------------------------------------------------------------------------------------------------
def _normal_cdf_function():
    """Brian2 Function ``nsnn_normal_cdf(x)``: the standard normal cdf, in numpy, Cython and C++."""
    b2 = _brian2()
    from scipy.special import ndtr

    function = b2.Function(ndtr, arg_units=[1], return_unit=1)
    function.implementations.add_implementation(
        "cython", "from libc.math cimport erfc, sqrt\n"
        "cdef double nsnn_normal_cdf(double x):\n    return 0.5 * erfc(-x / sqrt(2.0))",
        name="nsnn_normal_cdf")
    function.implementations.add_implementation(
        "cpp", "static inline double nsnn_normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }",
        name="nsnn_normal_cdf")
    return function


def _family_name(code: int) -> str:
    return next(name for name in noise_families.names() if noise_families.code_of(name) == code)


def _ppf_expression(family: int, uniform: str, scale: str) -> str:
    """Brian2 expression of ``F^-1(uniform; scale)``; ``uniform`` must lie in (0, 1)."""
    r, a = uniform, scale
    expressions = {
        noise_families.LOGISTIC: f"{a}*log({r}/(1.0 - {r}))",
        noise_families.TRIANGULAR: (f"{a}*((sqrt(2.0*{r}) - 1.0)*int({r} < 0.5)"
                                    f" + (1.0 - sqrt(2.0*(1.0 - {r})))*int({r} >= 0.5))"),
        noise_families.UNIFORM: f"{a}*(2.0*{r} - 1.0)",
        noise_families.CAUCHY: f"{a}*tan(pi*({r} - 0.5))",
        noise_families.NONE: "0.0",
    }
    return expressions[family]


def _cdf_expression(family: int, x: str, scale: str) -> str:
    """Brian2 expression of ``F(x; scale)``."""
    a = scale
    expressions = {
        noise_families.GAUSSIAN: f"nsnn_normal_cdf(({x})/{a})",
        noise_families.LOGISTIC: f"1.0/(1.0 + exp(-({x})/{a}))",
        noise_families.TRIANGULAR: (f"(int(({x}) > -{a})*int(({x}) < 0.0)*(({x}) + {a})**2/(2.0*{a}**2)"
                                    f" + int(({x}) >= 0.0)*(1.0 - clip({a} - ({x}), 0.0, {a})**2/(2.0*{a}**2)))"),
        noise_families.UNIFORM: f"clip((({x}) + {a})/(2.0*{a}), 0.0, 1.0)",
        noise_families.CAUCHY: f"(0.5 + arctan(({x})/{a})/pi)",
        noise_families.NONE: f"int(({x}) >= 0.0)",
    }
    return expressions[family]


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
        """Recorded ``v`` after reset as ``(n_trials, n_steps, n_recorded)``, as nsnn_sim records it."""
        if self.state_monitor is None:
            return None
        values = np.asarray(self.state_monitor.v[:])  # (n_trials * n_recorded, n_steps)
        return values.reshape(self.n_trials, self.recorded.size, -1).transpose(0, 2, 1).copy()


def to_brian2(model, inputs=0.0, n_neurons: int = 1, n_steps: int = 1000, n_trials: int = 1, seed: int = 0,
              connections=None, shared_noise: bool = False, record_state=None,
              initial_state=None) -> Brian2Model:
    """Build the Brian2 objects that simulate ``model`` exactly as :func:`nsnn_sim.simulate` would.

    Parameters are those of :func:`nsnn_sim.simulate`; ``shared_noise=True`` feeds the random
    numbers nsnn_sim draws for ``seed`` into Brian2 (``TimedArray``), otherwise Brian2 draws its own
    (seeded with ``seed``). The Brian2 device and code-generation target must be set by the caller
    (:func:`run_brian2` does it).
    """
    if not isinstance(model, (LIF, NSNN)):
        raise TypeError(f"model must be an nsnn_sim LIF or NSNN, got {type(model).__name__}")
    b2 = _brian2()
    n_neurons = whole_number("n_neurons", n_neurons)
    n_steps = whole_number("n_steps", n_steps)
    n_trials = whole_number("n_trials", n_trials)
    seed = whole_number("seed", seed, minimum=0, maximum=2**63 - 1)
    dt = model.dt
    compiled = model.compile(n_neurons)
    compiled_inputs = prepare_inputs(inputs, n_neurons, n_steps, n_trials, dt)
    initial = initial_membrane(compiled, initial_state, n_neurons, n_trials).ravel()
    recorded = (np.zeros(0, dtype=np.int64) if record_state is None
                else np.atleast_1d(np.asarray(record_state, dtype=np.int64)))
    total = n_trials * n_neurons

    b2.defaultclock.dt = dt * b2.second
    if not shared_noise:
        b2.seed(seed % (2**32))
    namespace = {"nsnn_normal_cdf": _normal_cdf_function()}
    tiled = lambda values: np.tile(np.asarray(values, dtype=np.float64), n_trials)  # noqa: E731
    uses_map = isinstance(model, NSNN) or model.method == "exact"
    family, firing = compiled.family, compiled.firing
    noisy_membrane = family != noise_families.NONE and firing in (FIRING_MEMBRANE, FIRING_REFERENCE)

    def stream(purpose, transform=None, kind="uniform"):
        """nsnn_sim's draws of ``purpose`` for every trial as a TimedArray lookup (steps x total)."""
        values = np.concatenate([rng.draws(seed, trial, purpose, n_steps, n_neurons, kind)
                                 for trial in range(n_trials)], axis=1)
        if transform is not None:
            values = transform(values)
        name = {rng.MEMBRANE: "shared_membrane", rng.FIRING: "shared_firing", rng.BRIDGE: "shared_bridge"}[purpose]
        namespace[name] = b2.TimedArray(values, dt=dt * b2.second)
        return f"{name}(t, i)"

    # ---- external current
    current = compiled_inputs.current
    constant_in_time = current.strides[1] == 0
    if constant_in_time:
        current_values = np.concatenate([current[trial, 0, :] for trial in range(n_trials)])
        current_term = "I_ext"
    else:
        steps_by_neuron = np.concatenate([current[trial] for trial in range(n_trials)], axis=1)
        namespace["I_ta"] = b2.TimedArray(np.ascontiguousarray(steps_by_neuron), dt=dt * b2.second)
        current_term = "I_ta(t, i)"

    # ---- the membrane update and its noise
    n_poisson = compiled_inputs.poisson_sources.size
    parameters = ["theta : 1 (constant)", "u_reset : 1 (constant)", "scale : 1 (constant)",
                  "I_ext : 1 (constant)", "v_before : 1"]
    parameters += [f"poisson_weight_{index} : 1 (constant)" for index in range(n_poisson)]
    draw_uniform = ""  # a statement drawing the uniform that eps needs, once per step
    if shared_noise and noisy_membrane and family == noise_families.GAUSSIAN:  # nsnn_sim's ziggurat normals
        eps = stream(rng.MEMBRANE, kind="normal")
    elif shared_noise and noisy_membrane:  # the standard noise values nsnn_sim adds, eps = F^-1(U; 1)
        eps = stream(rng.MEMBRANE, noise_families.get(_family_name(family), 1.0).ppf)
    elif family == noise_families.GAUSSIAN:
        eps = "randn()"
    else:
        # rand() lies in [0, 1): map it into [2**-53, 1 - 2**-52] so that every ppf is finite
        draw_uniform = "nsnn_uniform = rand()*(1.0 - 2.0**-52) + 2.0**-53\n"
        eps = _ppf_expression(family, "nsnn_uniform", "1.0")
    for index in range(n_poisson):
        probability = compiled_inputs.poisson_probability[index]
        if np.any(probability != probability[0]):
            raise ValueError("the Brian2 bridge supports one Poisson rate per input group (Brian2 draws "
                             "Binomial(n, p) with a single p); got per-neuron rates")
        namespace[f"nsnn_binomial_{index}"] = b2.BinomialFunction(
            int(compiled_inputs.poisson_sources[index]), float(probability[0]), approximate=False,
            name=f"nsnn_binomial_{index}")
    run_regularly = []
    if uses_map:
        equations = "v : 1\nalpha : 1 (constant)\ngain : 1 (constant)\noffset : 1 (constant)\n"
        update = f"alpha*v + gain*{current_term} + offset"
        if noisy_membrane:
            update += f" + scale*({eps})"
        run_regularly.append((draw_uniform if noisy_membrane else "")
                             + f"v = int(not_refractory)*({update}) + (1 - int(not_refractory))*v")
    else:
        drift = f"(u_rest + {current_term} - v)/tau"
        if noisy_membrane and shared_noise:
            noise_term = f" + scale*({eps})/dt"
        elif noisy_membrane:
            noise_term = " + sigma*sqrt(2.0/tau)*xi"
        else:
            noise_term = ""
        equations = (f"dv/dt = {drift}{noise_term} : 1 (unless refractory)\n"
                     "tau : second (constant)\nu_rest : 1 (constant)\nsigma : 1 (constant)\n")
    equations += "\n".join(parameters) + "\n"

    # ---- spike rule
    if firing == FIRING_MEMBRANE:
        threshold = "v >= theta"
        if compiled.bridge:
            draw = stream(rng.BRIDGE) if shared_noise else "rand()"
            threshold += f" or {draw} < exp(-2.0*(theta - v_before)*(theta - v)/scale**2)"
    else:
        draw = stream(rng.FIRING) if shared_noise else "rand()"
        threshold = f"{draw} < {_cdf_expression(family, 'v - theta', 'scale')}"
    reset = "v = u_reset" if compiled.reset == RESET_ZERO else "v = v - (theta - u_reset)"
    refractory = (int(compiled.refractory_steps.max()) + 1) * dt * b2.second
    if np.any(compiled.refractory_steps != compiled.refractory_steps[0]):
        equations += "ref_steps : 1 (constant)\n"
        refractory = "(ref_steps + 1)*dt"

    group = b2.NeuronGroup(total, equations, threshold=threshold, reset=reset, refractory=refractory,
                           method="euler", namespace=namespace, name="nsnn_population")
    group.v = initial
    group.v_before = initial
    group.theta = tiled(compiled.threshold)
    group.u_reset = tiled(compiled.u_reset)
    group.scale = tiled(compiled.noise_scale)
    if constant_in_time:
        group.I_ext = current_values
    if "ref_steps" in equations:
        group.ref_steps = tiled(compiled.refractory_steps)
    if uses_map:
        group.alpha = tiled(compiled.alpha)
        group.gain = tiled(compiled.gain)
        group.offset = tiled(compiled.offset)
    else:
        group.tau = tiled(np.broadcast_to(model.tau, (n_neurons,))) * b2.second
        group.u_rest = tiled(np.broadcast_to(model.u_rest, (n_neurons,)))
        group.sigma = tiled(np.broadcast_to(model.sigma, (n_neurons,)))
    objects = [group]
    if compiled.bridge:
        objects.append(group.run_regularly("v_before = v", when="before_groups", name="nsnn_v_before"))
    for code in run_regularly:
        objects.append(group.run_regularly(code, when="groups", order=1, name="nsnn_map"))

    # ---- Poisson drive: exact binomial counts, after the update, only when not refractory
    for index in range(n_poisson):
        setattr(group, f"poisson_weight_{index}", tiled(compiled_inputs.poisson_weight[index]))
        objects.append(group.run_regularly(
            f"v += nsnn_binomial_{index}()*poisson_weight_{index}*int(not_refractory)",
            when="before_thresholds", order=index, name=f"nsnn_poisson_{index}"))

    # ---- recurrent connections, block-diagonal over trials
    if connections is not None:
        synapses = (connections if isinstance(connections, Connections) else connect(connections)).compile(n_neurons)
        pre = np.repeat(np.arange(n_neurons), np.diff(synapses.indptr))
        offsets = np.repeat(np.arange(n_trials) * n_neurons, pre.size)
        connection = b2.Synapses(group, group, "w : 1", on_pre="v_post += w*int(not_refractory_post)",
                                 name="nsnn_synapses")
        if pre.size:
            connection.connect(i=np.tile(pre, n_trials) + offsets, j=np.tile(synapses.post, n_trials) + offsets)
            connection.w = np.tile(synapses.weight, n_trials)
            # in the before_thresholds slot the pathway pushes the previous step's spikes, one
            # step late: Brian2's delay is nsnn_sim's minus one step
            connection.delay = np.tile(synapses.delay - 1, n_trials) * dt * b2.second
        connection.pre.when = "before_thresholds"
        objects.append(connection)

    spike_monitor = b2.SpikeMonitor(group, name="nsnn_spikes")
    objects.append(spike_monitor)
    state_monitor = None
    if recorded.size:
        indices = (np.arange(n_trials)[:, None] * n_neurons + recorded[None, :]).ravel()
        state_monitor = b2.StateMonitor(group, "v", record=indices, when="end", name="nsnn_state")
        objects.append(state_monitor)
    network = b2.Network(*objects)
    return Brian2Model(network, group, spike_monitor, state_monitor, n_trials, n_neurons, n_steps, dt, recorded)


# --------------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------------
def run_brian2(model, inputs=0.0, n_neurons: int = 1, n_steps: int = 1000, n_trials: int = 1, seed: int = 0,
               connections=None, shared_noise: bool = False, record_state=None, initial_state=None,
               target: str = "cython", n_threads: int = 1, build_directory=None) -> SimulationResult:
    """Run ``model`` in Brian2 and return a :class:`SimulationResult` like :func:`nsnn_sim.simulate`.

    ``target`` is ``"cython"`` or ``"numpy"`` (runtime code generation) or ``"cpp_standalone"``
    (compiled C++ with ``n_threads`` OpenMP threads, built in ``build_directory`` or a temporary
    folder). ``result.wall_time`` is the time of ``Network.run`` (for ``cpp_standalone``: code
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
        wall_time=elapsed,
    )
