"""Neuron models: the discrete NSNN map and the continuous LIF, both compiled to one neuron equation.

Every model reduces to the same per-step rule for the membrane state ``u`` of neuron ``i``
(DESIGN.md section 3), implemented once in :func:`neuron_step`::

    u <- alpha*u + gain*I(t) + offset + J(t) [+ scale*eps(t)]    integrate (J: synaptic / Poisson jumps)
    s <- fire(u)                                                   spike rule, set by ``firing``
    u <- u_reset          if reset == "zero"                       reset
    u <- u - (theta - u_reset)  if reset == "subtract"

Spike rules (``firing=``):

* ``"membrane"``: the noise ``scale*eps``, ``eps`` from the noise family, enters ``u`` and stays;
  ``s = H(u - theta)`` (a spike when ``u >= theta``). Gaussian ``eps`` is the ziggurat draw
  :func:`nsnn_sim.simulator.rng.normal` of the membrane stream; other families apply their ``ppf`` to the
  stream's uniform.
* ``"escape"``: ``u`` stays noise-free; ``s ~ Bernoulli(F(u - theta; scale))`` with the family's
  cdf ``F``. One uniform draw decides both spike and reset.
* ``"hazard"`` (LIF only): ``u`` stays noise-free; ``s ~ Bernoulli(1 - exp(-rho(u)*dt))`` with the
  exponential escape rate ``rho(u) = rho_0*exp((u - theta)/delta_u)``: a spike process of rate
  ``rho(u(t))`` that does not depend on ``dt``. With ``refractory="integrate"`` (the membrane integrating
  during the dead time) it is NEST's ``pp_psc_delta`` with ``c_1 = 0``, ``c_2 = rho_0*exp(-theta/delta_u)``,
  ``c_3 = 1/delta_u``, ``with_reset``; with the default ``"clamp"`` it is NEST's ``gif_psc_exp`` without
  kernels (docs: NEST's models). One uniform draw decides both spike and reset.
* ``"reference"`` (NSNN only): reproduces the official PyTorch code of Ma, Yan & Tang (2023): the
  noise is added to ``u`` *and* a Bernoulli with the cdf of the already-noisy ``u`` is drawn, so the
  effective firing probability is the cdf of the sum of two noise draws (Gaussian: scale
  ``sqrt(2)*sigma``). It exists to compare against the published code.
* ``noise="none"``: the deterministic LIF / DSNN, ``s = H(u - theta)``.

After a spike, a neuron with ``refractory_steps = n`` is frozen at its value after reset (``u_reset``,
or the remainder of a subtractive reset) and cannot fire for the next ``n`` steps (a dead time of
``n*dt``); inputs arriving meanwhile are lost.

The models are immutable and validated on construction; every numeric parameter may be a scalar or a
per-neuron array (a heterogeneous population). ``model.compile(n_neurons)`` returns the per-neuron
arrays of the rule above as a :class:`CompiledNeurons`.

Examples
--------
>>> from nsnn_sim.simulator.neurons import LIF, NSNN
>>> lif = LIF(tau=10e-3, sigma=0.5, dt=1e-4, method="euler")
>>> compiled = lif.compile(3)
>>> float(compiled.alpha[0]), round(float(compiled.noise_scale[0]), 6)
(0.99, 0.070711)
>>> nsnn = NSNN(beta=0.5, noise="logistic", noise_scale=0.4, firing="escape").compile(2)
>>> float(nsnn.alpha[0]), float(nsnn.gain[0])
(0.5, 1.0)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np
from numba import njit

from nsnn_sim._core.messages import warn_at_caller
from nsnn_sim._core.timesteps import seconds_to_steps
from nsnn_sim._core.units import UnitWarning, has_units, warn_read_as_seconds
from nsnn_sim._core.validation import describe, numeric_parameter, per_neuron, si_value
from nsnn_sim.simulator import noise as noise_families
from nsnn_sim.simulator.noise import GAUSSIAN, NONE, below_cdf, cdf, ppf
from nsnn_sim.simulator.rng import normal, uniform
from nsnn_sim.simulator.rules import (
    _CROSSING_CODES,
    _FIRING_CODES,
    _RESET_CODES,
    CROSSING_BRIDGE,
    CROSSING_GRID,
    CROSSING_SUBSTEP,
    FIRING_ESCAPE,
    FIRING_HAZARD,
    FIRING_MEMBRANE,
    RESET_ZERO,
)
from nsnn_sim.simulator.state import (
    Adaptation,
    CompiledState,
    ExpSynapse,
    MovingThreshold,
    compile_nsnn_state,
    compile_state,
    component_from_dict,
    component_to_dict,
    nsnn_variable_names,
    variable_names,
)

__all__ = ["NSNN", "LIF", "CompiledNeurons", "neuron_step", "neuron_update", "mean_field_step", "integrate",
           "reset_membrane", "neuron_constants", "rule_codes", "model_from_dict"]

# counters of the bridge stream's extra draws at a sub-step crossing: step + k*2**56 lies beyond every
# step (< 2**53), so these never meet the per-step crossing draws
_SUBSTEP_COUNTERS = (np.uint64(1 << 56), np.uint64(2 << 56), np.uint64(3 << 56))


class CompiledNeurons(NamedTuple):
    """Per-neuron arrays of the one neuron equation (see the module docstring), length ``n_neurons``.

    ``noise_scale`` is the scale of the per-step noise: the membrane increment's scale for
    ``firing="membrane"`` and ``"reference"``, the escape scale for ``"escape"``, ``delta_u`` for
    ``"hazard"``. ``hazard_rate`` is ``rho_0*dt``, the hazard per step at threshold (``"hazard"``
    only; 0 otherwise).
    """

    alpha: np.ndarray
    gain: np.ndarray
    offset: np.ndarray
    noise_scale: np.ndarray
    threshold: np.ndarray
    u_reset: np.ndarray
    u_initial: np.ndarray
    refractory_steps: np.ndarray  # int64
    hazard_rate: np.ndarray
    family: int
    firing: int
    reset: int
    bridge: int  # threshold crossing: CROSSING_GRID, CROSSING_BRIDGE or CROSSING_SUBSTEP


@njit(cache=True, inline="always")
def neuron_constants(p, i):
    """Neuron ``i``'s coefficients of :class:`CompiledNeurons` ``p`` as a tuple, to keep in registers:
    ``(alpha, gain, offset, noise_scale, threshold, u_reset, refractory_steps, hazard_rate)``."""
    return (p.alpha[i], p.gain[i], p.offset[i], p.noise_scale[i], p.threshold[i], p.u_reset[i],
            p.refractory_steps[i], p.hazard_rate[i])


@njit(cache=True)
def hazard_probability(constants, u):
    """Spike probability of one step of ``firing="hazard"``: ``1 - exp(-rho_0*dt*exp((u - theta)/delta_u))``."""
    return -math.expm1(-constants[7] * math.exp((u - constants[4]) / constants[3]))


@njit(cache=True, inline="always")
def rule_codes(p):
    """The population's rule codes ``(family, firing, reset, bridge)``."""
    return p.family, p.firing, p.reset, p.bridge


@njit(cache=True, inline="always")
def integrate(constants, u, drive, jump):
    """The noise-free integration ``alpha*u + gain*drive + offset + jump`` of :func:`neuron_step`."""
    alpha, gain, offset = constants[0], constants[1], constants[2]
    return alpha * u + gain * drive + offset + jump


@njit(cache=True, inline="always")
def reset_membrane(constants, codes, u, spike):
    """``u`` after the reset, for a spike indicator ``spike`` (0 or 1, or a probability in [0, 1]).

    ``zero``: ``u*(1 - s) + u_reset*s``; ``subtract``: ``u - (theta - u_reset)*s``. For ``s`` in {0, 1}
    both are exact (``u`` or ``u_reset``, ``u`` or ``u - (theta - u_reset)``); the mean-field network
    (:func:`mean_field_step`) applies them to the firing probability.
    """
    threshold, u_reset = constants[4], constants[5]
    if codes[2] == RESET_ZERO:
        return u * (1.0 - spike) + u_reset * spike
    return u - (threshold - u_reset) * spike


@njit(cache=True, inline="always")
def inverse_gaussian(mean, shape, normal_draw, uniform_draw):
    """An inverse-Gaussian ``IG(mean, shape)`` variate from one standard normal and one uniform
    (Michael, Schucany & Haas 1976), in a cancellation-free form: with ``w = mean*N^2/(2*shape)``,
    ``x = mean/(1 + w + sqrt(w*(2 + w)))``, returned if ``U <= mean/(mean + x)``, else ``mean^2/x``.
    ``mean = inf`` gives the Levy limit ``shape/N^2``."""
    y = normal_draw * normal_draw
    if math.isinf(mean):
        return shape / y
    w = mean * y / (2.0 * shape)
    x = mean / (1.0 + w + math.sqrt(w * (2.0 + w)))
    if uniform_draw <= mean / (mean + x):
        return x
    return mean / x * mean


# inlined: the default LIF runs it at every step (as a call it costs that kernel 20 % of its speed, measured)
@njit(cache=True, inline="always")
def substep_crossing(constants, u_previous, u, drive, step, key_bridge):
    """Did the Ornstein-Uhlenbeck path cross ``theta`` in this step, and ``u`` at the step's end if so.

    For ``threshold_crossing="substep"``. Returns ``(spike, u_end)``. Everything is computed from the
    compiled ``alpha``, ``gain``, ``offset`` and per-step variance ``s2``, so for the Euler scheme it is
    the rule of the OU process whose exact step that chain is (``tau' = -dt/ln(alpha)``,
    ``sigma'^2 = s2/(1 - alpha^2)``).

    Derivation. With ``m = u_rest + I`` and the free membrane SD ``sigma``, the exact OU step is
    ``u(t) - m = exp(-t/tau)*(u0 - m + W(v(t)))``, ``W`` a standard Brownian motion run on the clock
    ``v(t) = sigma^2*(exp(2t/tau) - 1)`` (the time change of REFERENCES.md). The flat threshold
    becomes the moving boundary ``u0 - m + W(v) >= (theta - m)*sqrt(1 + v/sigma^2)``. Over one step
    ``v`` runs to ``V = s2/alpha^2`` (``alpha = exp(-dt/tau)``, ``s2 = sigma^2*(1 - alpha^2)`` the
    per-step variance); replacing the boundary by its chord (an error ``O((dt/tau)^2)*|theta - m|``)
    leaves a Brownian bridge and a straight line, whose distance runs from ``a = theta - u0`` to
    ``b = (theta - u1)/alpha``. Then

    * crossing probability (``a, b > 0``): ``P = exp(-2*a*b/V) = exp(-2*alpha*(theta - u0)*(theta - u1)/s2)``
      (today's ``"bridge"`` rule has no factor ``alpha``: the Brownian-bridge formula, exact as dt -> 0);
    * crossing clock ``v_c``, given a crossing (also for ``b <= 0``, a crossing seen on the grid): its
      density is ``∝ v^(-3/2) exp(-a^2/(2v)) (V - v)^(-1/2) exp(-b^2/(2(V - v)))`` (first passage
      to ``a`` times the bridge's return to ``b``); with ``w = v/(V - v)`` it is
      ``∝ w^(-3/2) exp(-a^2/(2Vw) - b^2 w/(2V))``, an inverse Gaussian ``IG(mean a/|b|, shape a^2/V)``
      (:func:`inverse_gaussian`), and ``v_c = V*w/(1 + w)``;
    * crossing time ``t_c = (tau/2)*ln(1 + v_c/sigma^2)``: as a fraction of the step
      ``f = ln(1 + (alpha^-2 - 1)*w/(1 + w)) / (2*dt/tau)``.

    The neuron resets to ``u_reset`` at ``t_c`` (the path is at ``theta`` there, so the subtractive
    reset gives ``u_reset`` too) and integrates the rest ``r = (1 - f)*dt`` exactly:
    ``u_end = m + (u_reset - m)*exp(-r/tau) + sigma*sqrt(1 - exp(-2r/tau))*N``. The draws: the
    crossing uniform at counter ``step``, then the normal and uniform of ``w`` and the normal of the
    rest at ``step + k*2**56`` (``k = 1, 2, 3``) of the neuron's bridge stream. Synaptic or Poisson
    jumps in the step are taken as part of the end point ``u1`` (approximate, as for ``"bridge"``)
    and are lost if the neuron resets in the step.
    """
    alpha, gain, offset, variance, threshold, u_reset = (constants[0], constants[1], constants[2],
                                                         constants[3] * constants[3], constants[4], constants[5])
    a = threshold - u_previous
    b = (threshold - u) / alpha
    if u < threshold:
        if variance <= 0.0 or a <= 0.0:
            return False, u
        if uniform(key_bridge, step) >= math.exp(-2.0 * alpha * (threshold - u_previous) * (threshold - u) / variance):
            return False, u
    log_alpha = math.log(alpha)  # -dt/tau
    if a <= 0.0:
        fraction = 0.0
    else:
        clock = variance / (alpha * alpha)  # V
        mean = a / abs(b) if b != 0.0 else math.inf
        w = inverse_gaussian(mean, a * a / clock, normal(key_bridge, np.uint64(step) + _SUBSTEP_COUNTERS[0]),
                             uniform(key_bridge, np.uint64(step) + _SUBSTEP_COUNTERS[1]))
        share = 1.0 / (1.0 + 1.0 / w)  # w/(1 + w), also for w = inf
        fraction = min(1.0, math.log1p(math.expm1(-2.0 * log_alpha) * share) / (-2.0 * log_alpha))
    decay = math.exp(log_alpha * (1.0 - fraction))  # exp(-r/tau)
    target = (gain * drive + offset) / (1.0 - alpha)  # m
    free_variance = variance / (1.0 - alpha * alpha)  # sigma^2
    spread = math.sqrt(free_variance * -math.expm1(2.0 * log_alpha * (1.0 - fraction)))
    return True, target + (u_reset - target) * decay + spread * normal(key_bridge,
                                                                       np.uint64(step) + _SUBSTEP_COUNTERS[2])


@njit(cache=True, inline="always")
def neuron_update(constants, codes, u, refractory_left, drive, jump, step, keys):
    """One step of the neuron equation (module docstring) for one neuron, with its intermediate values.

    Parameters are those of :func:`neuron_step`.

    Returns
    -------
    u_free : float
        The noise-free integrated potential ``alpha*u + gain*I + offset + J`` (NaN while refractory):
        the potential whose firing probability is ``F(u_free - theta)``, where NDL takes its gradient.
    u_fire : float
        The potential the spike rule looked at: ``u_free`` plus the membrane noise, if any.
    u, refractory_left, spike : float, int, bool
        As returned by :func:`neuron_step`.
    """
    threshold, scale = constants[4], constants[3]
    family, firing, reset, bridge = codes
    key_membrane, key_firing, key_bridge = keys
    if refractory_left > 0:
        return math.nan, u, u, refractory_left - 1, False
    u_previous = u
    u_free = integrate(constants, u, drive, jump)
    u = u_free
    if firing == FIRING_ESCAPE:
        spike = below_cdf(family, uniform(key_firing, step), u - threshold, scale)
    elif firing == FIRING_HAZARD:
        spike = uniform(key_firing, step) < hazard_probability(constants, u)
    else:
        if family == GAUSSIAN:  # the ziggurat (nsnn_sim.simulator.rng.normal), about 5x cheaper than ppf(uniform)
            u += normal(key_membrane, step) * scale
        elif family != NONE:
            u += ppf(family, uniform(key_membrane, step), 1.0) * scale
        if firing == FIRING_MEMBRANE and bridge == CROSSING_SUBSTEP:
            spike, u_end = substep_crossing(constants, u_previous, u, drive, step, key_bridge)
            if spike:  # reset at the crossing time, the rest of the step integrated (substep_crossing)
                return u_free, u, u_end, constants[6], True
        if firing == FIRING_MEMBRANE:
            spike = u >= threshold
            if not spike and bridge == CROSSING_BRIDGE:
                # Brownian bridge: probability that the path crossed theta between the grid points
                # (with synaptic or Poisson jumps in the step the path is not Brownian: approximate)
                variance = scale * scale
                if variance > 0.0:
                    crossing = math.exp(-2.0 * (threshold - u_previous) * (threshold - u) / variance)
                    spike = uniform(key_bridge, step) < crossing
        else:
            spike = below_cdf(family, uniform(key_firing, step), u - threshold, scale)
    u_fire = u
    if spike:
        u = reset_membrane(constants, codes, u, 1.0)
        refractory_left = constants[6]
    return u_free, u_fire, u, refractory_left, spike


@njit(cache=True, inline="always")
def neuron_step(constants, codes, u, refractory_left, drive, jump, step, keys):
    """One step of the neuron equation (module docstring) for one neuron.

    Parameters
    ----------
    constants : tuple
        :func:`neuron_constants` of the neuron.
    codes : tuple
        :func:`rule_codes` of the population.
    u, refractory_left : float, int
        State after the previous step.
    drive : float
        External current ``I(t)`` in membrane units (multiplied by ``gain``).
    jump : float
        Synaptic and Poisson input arriving this step, added to ``u`` as it is.
    step : int
        The step index, the counter of the random streams.
    keys : tuple of uint64
        Keys of the neuron's (membrane, firing, bridge) streams (:func:`nsnn_sim.simulator.rng.stream_key`).

    Returns
    -------
    u, refractory_left, spike : float, int, bool
        ``u`` after integrate, fire and reset.
    """
    _, _, u, refractory_left, spike = neuron_update(constants, codes, u, refractory_left, drive, jump, step, keys)
    return u, refractory_left, spike


@njit(cache=True, inline="always")
def mean_field_step(constants, codes, u, drive, jump):
    """One step of the mean-field network: the spike replaced by its probability.

    ``u_free = alpha*u + gain*I + offset + J``; ``p = F(u_free - theta; scale)`` (the firing
    probability of the ``"membrane"`` and ``"escape"`` rules, the noise's mean 0 left out of ``u``;
    :func:`hazard_probability` for ``"hazard"``);
    ``u <- reset(u_free, p)`` with :func:`reset_membrane`. No refractoriness. Returns
    ``(u_free, p, u)``. It is the deterministic network whose exact gradient the NDL rule computes
    (:mod:`nsnn_sim.learn`); for ``noise="none"`` ``p`` is the step ``H(u_free - theta)``.
    """
    u_free = integrate(constants, u, drive, jump)
    if codes[1] == FIRING_HAZARD:
        probability = hazard_probability(constants, u_free)
    else:
        probability = cdf(codes[0], u_free - constants[4], constants[3])
    return u_free, probability, reset_membrane(constants, codes, u_free, probability)


# --------------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------------
def _choice(name, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; allowed: {tuple(allowed)}")
    return value


def _check_pair(lower_name, lower, upper_name, upper):
    if np.any(np.asarray(upper) <= np.asarray(lower)):
        raise ValueError(
            f"{upper_name}={describe(upper)} must be > {lower_name}={describe(lower)} for every neuron"
        )


def _plain(value):
    """A parameter as JSON: arrays as lists, state components as dicts (:func:`component_to_dict`), recursively."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {name: _plain(item) for name, item in value.items()}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return component_to_dict(value)
    return value


def _from_plain(value):
    """The inverse of :func:`_plain` for one parameter."""
    if isinstance(value, dict):
        if "kind" in value:
            return component_from_dict(value)
        return {name: _from_plain(item) for name, item in value.items()}
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return tuple(_from_plain(item) for item in value)
        return np.asarray(value)
    return value


class _Model:
    """Shared behaviour of the neuron models: parameters, serialisation."""

    kind: str

    def parameters(self) -> dict:
        """All parameters as plain Python values (arrays as lists), for provenance and JSON."""
        out = {}
        for item in fields(self):
            if not item.init:
                continue
            out[item.name] = _plain(getattr(self, item.name))
        return out

    def to_dict(self) -> dict:
        """``{"kind": ..., **parameters}``; :func:`model_from_dict` inverts it exactly."""
        return {"kind": self.kind, **self.parameters()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        # components (adaptation, thresholds) as themselves; per-neuron arrays summarised
        def shown_value(name, plain):
            value = getattr(self, name)
            if isinstance(value, tuple):
                return repr(value)
            return describe(plain) if isinstance(plain, list) else repr(plain)

        shown = ", ".join(f"{k}={shown_value(k, v)}" for k, v in self.parameters().items())
        return f"{type(self).__name__}({shown})"


# --------------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class NSNN(_Model):
    """Discrete noisy spiking neuron of Ma, Yan & Tang (2023).

    ``u[t] = beta*u[t-1] + I[t] + eps[t]``, then fire (``firing``), then reset (``reset``), with
    ``eps`` from the noise family ``noise`` at scale ``noise_scale`` and reset value 0.
    In the one neuron equation: ``alpha = beta``, ``gain = 1``, ``offset = 0``, ``u_reset = 0``.

    Parameters
    ----------
    beta : float or array
        Membrane decay per step, in [0, 1] (the official code's tau = 2 gives 0.5).
    threshold : float or array
        Firing threshold ``theta`` > 0 (the reset value).
    noise : str
        Noise family (:func:`nsnn_sim.simulator.noise.names`), or ``"none"`` for the deterministic DSNN.
    noise_scale : float or array
        The family's scale (Gaussian sigma, logistic s, triangular / uniform half-width a, Cauchy
        gamma); ignored for ``noise="none"``.
    firing : {"membrane", "escape", "reference"}
        Spike rule (module docstring).
    reset : {"zero", "subtract"}
        ``u <- 0`` or ``u <- u - theta`` after a spike.
    dt : float
        Duration of one step in seconds, used only to put times and rates in SI units (1 ms); a Brian2 or
        ``quantities`` time is converted to seconds.
    synapses : dict, optional
        Synaptic traces, receptor name -> decay per step ``alpha_r`` in [0, 1] (snnTorch's ``Synaptic``):
        ``i_r <- alpha_r*i_r + J_r``, ``u <- beta*u + sum_r i_r + I + eps`` (an input joins its trace and the same
        step's ``u``). Inputs name their receptor (``poisson_input(..., receptor=)``); ``"delta"`` goes to ``u``.
    threshold_decay, threshold_jump : float or array
        An adaptive threshold ``theta + q``: ``q <- threshold_decay*q`` every step and ``q <- q + threshold_jump``
        after a spike, so the step after a spike sees ``threshold_decay*threshold_jump`` (e-prop's
        ``a <- rho*a + s`` with ``beta_a*a`` is ``threshold_jump = beta_a/rho``).
    """

    beta: float | np.ndarray = 0.5
    threshold: float | np.ndarray = 1.0
    noise: str = "gaussian"
    noise_scale: float | np.ndarray = 0.4
    firing: str = "membrane"
    reset: str = "zero"
    dt: float = 1e-3
    synapses: dict | None = None
    threshold_decay: float | np.ndarray = 0.0
    threshold_jump: float | np.ndarray = 0.0
    kind: str = field(default="NSNN", init=False, repr=False)

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("beta", numeric_parameter("beta", self.beta, lower=0.0, upper=1.0))
        synapses = {} if self.synapses is None else self.synapses
        if not isinstance(synapses, dict):
            raise TypeError(f"synapses must be a dict of receptor name -> decay per step in [0, 1], got {synapses!r}")
        for name in synapses:
            _receptor_name(name)
        set_("synapses", {name: numeric_parameter(f"synapses[{name!r}]", decay, lower=0.0, upper=1.0)
                          for name, decay in synapses.items()})
        set_("threshold_decay", numeric_parameter("threshold_decay", self.threshold_decay, lower=0.0, upper=1.0))
        set_("threshold_jump", numeric_parameter("threshold_jump", self.threshold_jump))
        set_("threshold", numeric_parameter("threshold", self.threshold, lower=0.0, lower_open=True))
        noise_families.code_of(self.noise, "noise")
        set_("noise_scale", noise_families.check_scale("noise_scale", self.noise_scale, self.noise))
        _choice("firing", self.firing, ("membrane", "escape", "reference"))
        _choice("reset", self.reset, _RESET_CODES)
        _set_time_step(self)

    @property
    def has_state(self) -> bool:
        """Whether the neuron carries synaptic traces or an adaptive threshold (:mod:`nsnn_sim.simulator.state`)."""
        return bool(self.synapses) or np.any(np.asarray(self.threshold_jump) != 0.0)

    @property
    def receptors(self) -> tuple[str, ...]:
        """The names inputs may target: ``"delta"`` (straight into ``u``) and every synaptic trace."""
        return ("delta", *self.synapses)

    @property
    def state_variables(self) -> tuple[str, ...]:
        """The names of the neuron's variables, which ``simulate(record_state={name: neurons})`` records: ``u``;
        with more state also a trace ``I_r`` per receptor and the threshold component ``q_0``."""
        return nsnn_variable_names(self.synapses) if self.has_state else ("u",)

    def compile_state(self, n_neurons: int, current_receptor: int = 0) -> CompiledState:
        """The discrete map of the traces and the threshold (:func:`nsnn_sim.simulator.state.compile_nsnn_state`);
        the current joins receptor ``current_receptor`` (an index of :attr:`receptors`; 0: ``u``)."""
        membrane_noise = self.firing in ("membrane", "reference") and self.noise != "none"
        return compile_nsnn_state(n_neurons, self.beta, self.noise_scale if membrane_noise else 0.0, self.synapses,
                                  self.threshold_decay, self.threshold_jump, current_receptor)

    def compile(self, n_neurons: int) -> CompiledNeurons:
        """Per-neuron arrays of the one neuron equation for ``n_neurons`` neurons."""
        zeros = np.zeros(n_neurons)
        return CompiledNeurons(
            alpha=per_neuron("beta", self.beta, n_neurons),
            gain=np.ones(n_neurons),
            offset=zeros.copy(),
            noise_scale=per_neuron("noise_scale", self.noise_scale, n_neurons),
            threshold=per_neuron("threshold", self.threshold, n_neurons),
            u_reset=zeros.copy(),
            u_initial=zeros.copy(),
            refractory_steps=np.zeros(n_neurons, dtype=np.int64),
            hazard_rate=zeros.copy(),
            family=noise_families.code_of(self.noise),
            firing=_FIRING_CODES[self.firing],
            reset=_RESET_CODES[self.reset],
            bridge=CROSSING_GRID,
        )


@dataclass(frozen=True, eq=False, repr=False)
class LIF(_Model):
    """Continuous leaky integrate-and-fire neuron with white membrane noise.

    ``tau du/dt = -(u - u_rest) + I(t) + sigma*sqrt(2*tau)*xi(t)``, with ``I`` in membrane units
    (``R*I``): a constant input ``mu`` drives the noise-free membrane to ``u_rest + mu``. ``sigma`` is
    the stationary SD of the free membrane (Brian2's ``sigma*sqrt(2/tau)*xi``; Brunel's
    ``sigma_B = sqrt(2)*sigma``). Time step ``dt``; in the one neuron equation:

    * ``method="euler"`` (Euler-Maruyama, as Brian2): ``alpha = 1 - dt/tau``, ``gain = dt/tau``,
      ``offset = u_rest*dt/tau``, membrane noise scale ``sigma*sqrt(2*dt/tau)``;
    * ``method="exact"`` (exact Ornstein-Uhlenbeck step): ``alpha = exp(-dt/tau)``,
      ``gain = 1 - alpha``, ``offset = u_rest*(1 - alpha)``, noise scale ``sigma*sqrt(1 - alpha**2)``.

    With ``firing="membrane"`` the membrane noise is Gaussian (``noise="gaussian"``) or absent
    (``"none"``). With ``firing="escape"`` the membrane is noise-free and each step fires with
    probability ``F(u - theta; sigma)`` for any noise family: a per-step (hence ``dt``-dependent)
    escape probability, exactly as in the NSNN. With ``firing="hazard"`` the membrane is noise-free
    (``noise`` and ``sigma`` are not used) and the neuron fires at the instantaneous rate
    ``rho(u) = rho_0*exp((u - theta)/delta_u)``: a spike in a step with probability
    ``1 - exp(-rho(u)*dt)``, the exact probability of a Poisson event of rate ``rho(u)`` in ``dt``,
    so the spike process converges as ``dt -> 0`` (:func:`nsnn_sim.theory.hazard_renewal` gives its
    rate and ISI CV for constant input, in discrete and in continuous time).

    ``threshold_crossing="bridge"`` (membrane Gaussian noise only) also fires when the path crossed
    the threshold between two sub-threshold grid values ``u0``, ``u1``, with the Brownian-bridge
    probability ``exp(-2*(theta - u0)*(theta - u1)/s2)``, ``s2`` the per-step noise variance; it
    removes the ``O(sqrt(dt))`` low bias of checking the threshold only on the grid. The neuron is
    still reset at the end of the step, which lengthens every ISI by about ``dt/2`` (a rate bias of
    about ``-rate*dt/2``). ``threshold_crossing="substep"`` removes that too: it uses the
    Ornstein-Uhlenbeck bridge's crossing probability, draws the crossing time
    within the step, resets there and integrates the rest of the step exactly
    (:func:`substep_crossing`); the dead time ``tau_ref`` then counts from the crossing time (the
    neuron runs the rest of its crossing step first and is then held for ``tau_ref``, which is the
    same for an input constant over the dead time). The spike is recorded in its step. With
    ``method="euler"`` the grid values are exactly those of an OU process with ``tau' = -dt/ln(1 - dt/tau)``
    and ``sigma'^2 = sigma^2/(1 - dt/(2*tau))`` (:func:`nsnn_sim.theory.euler_equivalent_ou`), and
    ``"substep"`` is that process's bridge: the Euler neuron then has exactly the continuous-time
    statistics of the modified OU, Euler's own error isolated from the crossing rule's.

    Parameters
    ----------
    tau : float or array
        Membrane time constant (s), > 0. Times (``tau``, ``tau_ref``, ``dt``) may carry units (a Brian2
        ``Quantity`` such as ``10*ms`` or a ``quantities`` array): they are converted to seconds, and a wrong
        dimension raises ``UnitError`` (:mod:`nsnn_sim._core.units`).
    threshold, u_rest, u_reset : float or array
        Threshold, resting and reset potential (membrane units, dimensionless); ``threshold > u_reset``.
        A voltage is refused: divide by the threshold-to-reset voltage first.
    tau_ref : float or array
        Absolute refractory period (s), >= 0, rounded to a whole number of steps.
    sigma : float or array
        Stationary membrane SD (membrane firing) or escape scale (escape firing); > 0 unless
        ``noise="none"``.
    noise : str
        ``"gaussian"`` or ``"none"`` for membrane firing; any family for escape firing.
    dt : float
        Time step (s), > 0; ``dt < tau`` for Euler.
    method : {"exact", "euler"}
        ``"exact"`` (the default) integrates the subthreshold membrane exactly; ``"euler"`` is Brian2's scheme.
    firing : {"membrane", "escape", "hazard"}
    reset : {"zero", "subtract"}
        ``u <- u_reset`` or ``u <- u - (threshold - u_reset)``.
    threshold_crossing : {"auto", "grid", "bridge", "substep"}
        ``"auto"`` (the default) is ``"substep"`` where it applies (``method="exact"``, Gaussian membrane
        noise, a membrane alone) and ``"grid"`` elsewhere; :attr:`crossing` names the rule chosen. The
        defaults thus match continuous-time theory (the Siegert rate); ``LIF(method="euler")`` is the
        configuration Brian2 runs spike for spike (Euler steps, the threshold checked on the grid).
    rho_0 : float or array
        ``firing="hazard"``: the escape rate at threshold (Hz), > 0.
    delta_u : float or array
        ``firing="hazard"``: the width of the exponential escape rate (membrane units), > 0.
    """

    tau: float | np.ndarray = 10e-3
    threshold: float | np.ndarray = 1.0
    u_rest: float | np.ndarray = 0.0
    u_reset: float | np.ndarray = 0.0
    tau_ref: float | np.ndarray = 0.0
    sigma: float | np.ndarray = 0.5
    noise: str = "gaussian"
    dt: float = 1e-4
    method: str = "exact"
    firing: str = "membrane"
    reset: str = "zero"
    threshold_crossing: str = "auto"
    rho_0: float | np.ndarray = 100.0
    delta_u: float | np.ndarray = 0.1
    tau_syn: float | np.ndarray | None = None
    synapses: dict | None = None
    adaptation: object = ()
    moving_threshold: object = ()
    refractory: str = "clamp"
    kind: str = field(default="LIF", init=False, repr=False)

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        plain = [name for name in ("tau", "dt", "tau_ref") if not has_units(getattr(self, name))]
        set_("tau", numeric_parameter("tau", si_value("tau", self.tau, "s"), lower=0.0, lower_open=True))
        _set_time_step(self)
        for name in ("threshold", "u_rest", "u_reset"):
            set_(name, numeric_parameter(name, getattr(self, name)))
        _check_pair("u_reset", self.u_reset, "threshold", self.threshold)
        set_("tau_ref", numeric_parameter("tau_ref", si_value("tau_ref", self.tau_ref, "s"), lower=0.0))
        seconds_to_steps("tau_ref", self.tau_ref, self.dt)
        _warn_unlikely_seconds(self, plain)
        _choice("method", self.method, ("euler", "exact"))
        _choice("firing", self.firing, ("membrane", "escape", "hazard"))
        set_("rho_0", numeric_parameter("rho_0", si_value("rho_0", self.rho_0, "Hz"), lower=0.0, lower_open=True))
        set_("delta_u", numeric_parameter("delta_u", self.delta_u, lower=0.0, lower_open=True))
        _choice("reset", self.reset, _RESET_CODES)
        _choice("threshold_crossing", self.threshold_crossing, ("auto", *_CROSSING_CODES))
        noise_families.code_of(self.noise, "noise")
        if self.firing in ("membrane", "hazard") and self.noise not in ("gaussian", "none"):
            raise ValueError(
                f"noise={self.noise!r} with firing='membrane': LIF membrane noise is Gaussian white "
                "noise; allowed: ('gaussian', 'none'), or use firing='escape' for other families"
            )
        if self.threshold_crossing not in ("grid", "auto") and not (
            self.firing == "membrane" and self.noise == "gaussian"
        ):
            raise ValueError(
                f"threshold_crossing={self.threshold_crossing!r} needs firing='membrane' and noise='gaussian' "
                f"(got firing={self.firing!r}, noise={self.noise!r})"
            )
        set_("sigma", noise_families.check_scale("sigma", numeric_parameter("sigma", self.sigma, lower=0.0),
                                                 self.noise))
        _set_state_components(self)
        if self.method == "euler" and np.any(np.asarray(self.tau) <= self.dt):
            raise ValueError(
                f"dt={self.dt!r} must be < tau={describe(self.tau)} with method='euler' "
                "(use a smaller dt, or method='exact')"
            )

    @property
    def has_state(self) -> bool:
        """Whether the neuron carries more than ``u`` (synapses, adaptation, a moving threshold) or integrates
        during its dead time: it then runs as a linear system (:mod:`nsnn_sim.simulator.state`)."""
        return any((bool(self.synapses), bool(self.adaptation), bool(self.moving_threshold),
                    self.refractory == "integrate"))

    @property
    def crossing(self) -> str:
        """The threshold-crossing rule the neuron runs: ``threshold_crossing``, with ``"auto"`` resolved to
        ``"substep"`` for the exact method with Gaussian membrane noise on a membrane alone, and to ``"grid"``
        otherwise (Euler, Brian2's scheme; no membrane noise; escape or hazard firing; more state)."""
        if self.threshold_crossing != "auto":
            return self.threshold_crossing
        substep = (self.method == "exact" and self.firing == "membrane" and self.noise == "gaussian"
                   and not self.has_state)
        return "substep" if substep else "grid"

    @property
    def receptors(self) -> tuple[str, ...]:
        """The names inputs may target: ``"delta"`` (a jump of ``u``) and every synapse, in that order."""
        return ("delta", *self.synapses)

    @property
    def state_variables(self) -> tuple[str, ...]:
        """The names of the neuron's variables, which ``simulate(record_state={name: neurons})`` records: ``u``,
        then per synapse ``I_r`` (alpha: ``y_r, I_r``), per adaptation current ``w_k``, per moving threshold
        component ``q_j`` (:func:`nsnn_sim.simulator.state.variable_names`)."""
        return variable_names(self.synapses, len(self.adaptation), len(self.moving_threshold))

    def compile_state(self, n_neurons: int, current_receptor: int = 0) -> CompiledState:
        """The one-step maps of the linear state (:func:`nsnn_sim.simulator.state.compile_state`); the current
        enters receptor ``current_receptor`` (an index of :attr:`receptors`; 0: the membrane)."""
        membrane_noise = self.firing == "membrane" and self.noise == "gaussian"
        return compile_state(n_neurons, self.dt, self.method, self.refractory == "clamp", self.tau, self.u_rest,
                             self.sigma if membrane_noise else 0.0, self.synapses, self.adaptation,
                             self.moving_threshold, current_receptor)

    def compile(self, n_neurons: int) -> CompiledNeurons:
        """Per-neuron arrays of the one neuron equation for ``n_neurons`` neurons."""
        tau = per_neuron("tau", self.tau, n_neurons)
        sigma = per_neuron("sigma", self.sigma, n_neurons)
        u_rest = per_neuron("u_rest", self.u_rest, n_neurons)
        if self.method == "euler":
            gain = self.dt / tau
            alpha = 1.0 - gain
            membrane_scale = sigma * np.sqrt(2.0 * gain)
        else:
            alpha = np.exp(-self.dt / tau)
            gain = -np.expm1(-self.dt / tau)
            membrane_scale = sigma * np.sqrt(1.0 - alpha * alpha)
        tau_ref = per_neuron("tau_ref", self.tau_ref, n_neurons)
        hazard = self.firing == "hazard"
        return CompiledNeurons(
            alpha=alpha,
            gain=gain,
            offset=gain * u_rest,
            noise_scale=(per_neuron("delta_u", self.delta_u, n_neurons) if hazard
                         else sigma if self.firing == "escape" else membrane_scale),
            threshold=per_neuron("threshold", self.threshold, n_neurons),
            u_reset=per_neuron("u_reset", self.u_reset, n_neurons),
            u_initial=u_rest,
            refractory_steps=np.asarray(seconds_to_steps("tau_ref", tau_ref, self.dt), dtype=np.int64),
            hazard_rate=per_neuron("rho_0", self.rho_0, n_neurons) * self.dt if hazard else np.zeros(n_neurons),
            family=noise_families.NONE if hazard else noise_families.code_of(self.noise),
            firing=_FIRING_CODES[self.firing],
            reset=_RESET_CODES[self.reset],
            bridge=_CROSSING_CODES[self.crossing],
        )


def _receptor_name(name) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name == "delta":
        raise ValueError(f"synapses: receptor name {name!r} must be an identifier other than 'delta' "
                         "(the name of a jump of u)")


def _set_state_components(model) -> None:
    """Validate and store a LIF's synapses (``tau_syn`` is short for one exponential synapse ``"syn"``),
    adaptation currents, moving threshold and refractory mode (:mod:`nsnn_sim.simulator.state`)."""
    set_ = lambda name, value: object.__setattr__(model, name, value)  # noqa: E731
    synapses = model.synapses
    if model.tau_syn is not None:
        if synapses:
            raise ValueError("give tau_syn (one exponential synapse) or synapses={...}, not both")
        synapses = {"syn": ExpSynapse(model.tau_syn)}
    if synapses is None:
        synapses = {}
    if not isinstance(synapses, dict):
        raise TypeError(f"synapses must be a dict of receptor name -> ExpSynapse or AlphaSynapse, got {synapses!r}")
    for name, synapse in synapses.items():
        _receptor_name(name)
        if not isinstance(synapse, ExpSynapse):
            raise TypeError(f"synapses[{name!r}] must be an ExpSynapse or AlphaSynapse, got {synapse!r}")
    set_("tau_syn", None)
    set_("synapses", dict(synapses))
    for name, kind in (("adaptation", Adaptation), ("moving_threshold", MovingThreshold)):
        value = getattr(model, name)
        components = (value,) if isinstance(value, kind) else tuple(value) if value is not None else ()
        for component in components:
            if not isinstance(component, kind):
                raise TypeError(f"{name} must be a {kind.__name__} or a sequence of them, got {component!r}")
        set_(name, components)
    _choice("refractory", model.refractory, ("clamp", "integrate"))
    if model.has_state and model.threshold_crossing not in ("grid", "auto"):
        raise ValueError(
            f"threshold_crossing={model.threshold_crossing!r} holds for a membrane alone (a 1-D Ornstein-Uhlenbeck "
            "process); with synapses, adaptation, a moving threshold or refractory='integrate' use 'grid'")


def _set_time_step(model) -> None:
    """Validate and store ``model.dt``: one positive number of seconds (a time with units is converted)."""
    dt = numeric_parameter("dt", si_value("dt", model.dt, "s"), lower=0.0, lower_open=True)
    if np.ndim(dt) != 0:
        raise ValueError(f"dt must be a scalar, got an array of shape {np.shape(dt)}")
    object.__setattr__(model, "dt", dt)


#: plain numbers above these cannot be meant in seconds for a LIF: a membrane time constant or dead time over
#: a second, a step over 10 ms (times with units are taken as given)
_UNLIKELY_SECONDS = {"tau": 1.0, "tau_ref": 1.0, "dt": 10e-3}


def _warn_unlikely_seconds(model, plain: list) -> None:
    """Warn (once per call site) about a plain-number time of ``model`` that cannot be meant in seconds: one of
    :data:`_UNLIKELY_SECONDS` exceeded, or a step ``dt >= tau``. Names the assumption and the fix."""
    warned = set()
    for name in plain:
        if np.max(getattr(model, name)) > _UNLIKELY_SECONDS[name]:
            warned.add(name)
            warn_read_as_seconds(name, getattr(model, name))
    if "dt" in plain and not warned and model.dt >= np.min(model.tau):
        warn_at_caller(f"dt={model.dt!r} s is not shorter than tau={describe(model.tau)} s: times are in seconds "
                       f"(dt=0.1e-3 or 0.1*ms for a tenth of a millisecond)", UnitWarning)


_MODELS = {"NSNN": NSNN, "LIF": LIF}


def model_from_dict(data: dict):
    """Rebuild a model from :meth:`to_dict` output (lists become per-neuron arrays)."""
    if not isinstance(data, dict):
        raise TypeError(f"model_from_dict needs a dict (the output of model.to_dict()), got {type(data).__name__}")
    data = dict(data)
    kind = data.pop("kind", None)
    if kind not in _MODELS:
        raise ValueError(f"kind={kind!r} is not a neuron model; allowed: {tuple(_MODELS)}")
    return _MODELS[kind](**{name: _from_plain(value) for name, value in data.items()})


def model_from_json(text: str):
    """Inverse of ``model.to_json()``."""
    return model_from_dict(json.loads(text))
