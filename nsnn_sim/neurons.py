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
  :func:`nsnn_sim.rng.normal` of the membrane stream; other families apply their ``ppf`` to the
  stream's uniform.
* ``"escape"``: ``u`` stays noise-free; ``s ~ Bernoulli(F(u - theta; scale))`` with the family's
  cdf ``F``. One uniform draw decides both spike and reset.
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
>>> from nsnn_sim.neurons import LIF, NSNN
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

from nsnn_sim import noise as noise_families
from nsnn_sim.noise import GAUSSIAN, NONE, below_cdf, cdf, ppf
from nsnn_sim.rng import normal, uniform
from nsnn_sim.validation import describe, numeric_parameter, per_neuron, si_value

__all__ = ["NSNN", "LIF", "CompiledNeurons", "neuron_step", "neuron_update", "mean_field_step", "integrate",
           "reset_membrane", "neuron_constants", "rule_codes", "model_from_dict"]

FIRING_MEMBRANE, FIRING_ESCAPE, FIRING_REFERENCE = 0, 1, 2
RESET_ZERO, RESET_SUBTRACT = 0, 1
_FIRING_CODES = {"membrane": FIRING_MEMBRANE, "escape": FIRING_ESCAPE, "reference": FIRING_REFERENCE}
_RESET_CODES = {"zero": RESET_ZERO, "subtract": RESET_SUBTRACT}


class CompiledNeurons(NamedTuple):
    """Per-neuron arrays of the one neuron equation (see the module docstring), length ``n_neurons``.

    ``noise_scale`` is the scale of the per-step noise: the membrane increment's scale for
    ``firing="membrane"`` and ``"reference"``, the escape scale for ``"escape"``.
    """

    alpha: np.ndarray
    gain: np.ndarray
    offset: np.ndarray
    noise_scale: np.ndarray
    threshold: np.ndarray
    u_reset: np.ndarray
    u_initial: np.ndarray
    refractory_steps: np.ndarray  # int64
    family: int
    firing: int
    reset: int
    bridge: bool


@njit(cache=True, inline="always")
def neuron_constants(p, i):
    """Neuron ``i``'s coefficients of :class:`CompiledNeurons` ``p`` as a tuple, to keep in registers:
    ``(alpha, gain, offset, noise_scale, threshold, u_reset, refractory_steps)``."""
    return (p.alpha[i], p.gain[i], p.offset[i], p.noise_scale[i], p.threshold[i], p.u_reset[i],
            p.refractory_steps[i])


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
    else:
        if family == GAUSSIAN:  # the ziggurat (nsnn_sim.rng.normal), about 5x cheaper than ppf(uniform)
            u += normal(key_membrane, step) * scale
        elif family != NONE:
            u += ppf(family, uniform(key_membrane, step), 1.0) * scale
        if firing == FIRING_MEMBRANE:
            spike = u >= threshold
            if not spike and bridge:
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
        Keys of the neuron's (membrane, firing, bridge) streams (:func:`nsnn_sim.rng.stream_key`).

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
    probability of the ``"membrane"`` and ``"escape"`` rules, the noise's mean 0 left out of ``u``);
    ``u <- reset(u_free, p)`` with :func:`reset_membrane`. No refractoriness. Returns
    ``(u_free, p, u)``. It is the deterministic network whose exact gradient the NDL rule computes
    (:mod:`nsnn_sim.learn`); for ``noise="none"`` ``p`` is the step ``H(u_free - theta)``.
    """
    u_free = integrate(constants, u, drive, jump)
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


class _Model:
    """Shared behaviour of the neuron models: parameters, serialisation."""

    kind: str

    def parameters(self) -> dict:
        """All parameters as plain Python values (arrays as lists), for provenance and JSON."""
        out = {}
        for item in fields(self):
            if not item.init:
                continue
            value = getattr(self, item.name)
            out[item.name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out

    def to_dict(self) -> dict:
        """``{"kind": ..., **parameters}``; :func:`model_from_dict` inverts it exactly."""
        return {"kind": self.kind, **self.parameters()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={describe(v) if isinstance(v, list) else repr(v)}"
                          for k, v in self.parameters().items())
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
        Noise family (:func:`nsnn_sim.noise.names`), or ``"none"`` for the deterministic DSNN.
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
    """

    beta: float | np.ndarray = 0.5
    threshold: float | np.ndarray = 1.0
    noise: str = "gaussian"
    noise_scale: float | np.ndarray = 0.4
    firing: str = "membrane"
    reset: str = "zero"
    dt: float = 1e-3
    kind: str = field(default="NSNN", init=False, repr=False)

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("beta", numeric_parameter("beta", self.beta, lower=0.0, upper=1.0))
        set_("threshold", numeric_parameter("threshold", self.threshold, lower=0.0, lower_open=True))
        noise_families.code_of(self.noise, "noise")
        set_("noise_scale", noise_families.check_scale("noise_scale", self.noise_scale, self.noise))
        _choice("firing", self.firing, _FIRING_CODES)
        _choice("reset", self.reset, _RESET_CODES)
        _set_time_step(self)

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
            family=noise_families.code_of(self.noise),
            firing=_FIRING_CODES[self.firing],
            reset=_RESET_CODES[self.reset],
            bridge=False,
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
    escape probability, exactly as in the NSNN.

    ``threshold_crossing="bridge"`` (membrane Gaussian noise only) also fires when the path crossed
    the threshold between two sub-threshold grid values ``u0``, ``u1``, with the Brownian-bridge
    probability ``exp(-2*(theta - u0)*(theta - u1)/s2)``, ``s2`` the per-step noise variance; it
    removes the ``O(sqrt(dt))`` low bias of checking the threshold only on the grid.

    Parameters
    ----------
    tau : float or array
        Membrane time constant (s), > 0. Times (``tau``, ``tau_ref``, ``dt``) may carry units (a Brian2
        ``Quantity`` such as ``10*ms`` or a ``quantities`` array): they are converted to seconds, and a wrong
        dimension raises ``UnitError`` (:mod:`nsnn_sim.interop.units`).
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
    method : {"euler", "exact"}
    firing : {"membrane", "escape"}
    reset : {"zero", "subtract"}
        ``u <- u_reset`` or ``u <- u - (threshold - u_reset)``.
    threshold_crossing : {"grid", "bridge"}
    """

    tau: float | np.ndarray = 10e-3
    threshold: float | np.ndarray = 1.0
    u_rest: float | np.ndarray = 0.0
    u_reset: float | np.ndarray = 0.0
    tau_ref: float | np.ndarray = 0.0
    sigma: float | np.ndarray = 0.5
    noise: str = "gaussian"
    dt: float = 1e-4
    method: str = "euler"
    firing: str = "membrane"
    reset: str = "zero"
    threshold_crossing: str = "grid"
    kind: str = field(default="LIF", init=False, repr=False)

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("tau", numeric_parameter("tau", si_value("tau", self.tau, "s"), lower=0.0, lower_open=True))
        _set_time_step(self)
        for name in ("threshold", "u_rest", "u_reset"):
            set_(name, numeric_parameter(name, getattr(self, name)))
        _check_pair("u_reset", self.u_reset, "threshold", self.threshold)
        set_("tau_ref", numeric_parameter("tau_ref", si_value("tau_ref", self.tau_ref, "s"), lower=0.0))
        _whole_steps("tau_ref", self.tau_ref, self.dt)
        _choice("method", self.method, ("euler", "exact"))
        _choice("firing", self.firing, ("membrane", "escape"))
        _choice("reset", self.reset, _RESET_CODES)
        _choice("threshold_crossing", self.threshold_crossing, ("grid", "bridge"))
        noise_families.code_of(self.noise, "noise")
        if self.firing == "membrane" and self.noise not in ("gaussian", "none"):
            raise ValueError(
                f"noise={self.noise!r} with firing='membrane': LIF membrane noise is Gaussian white "
                "noise; allowed: ('gaussian', 'none'), or use firing='escape' for other families"
            )
        if self.threshold_crossing == "bridge" and not (
            self.firing == "membrane" and self.noise == "gaussian"
        ):
            raise ValueError(
                "threshold_crossing='bridge' needs firing='membrane' and noise='gaussian' "
                f"(got firing={self.firing!r}, noise={self.noise!r})"
            )
        set_("sigma", noise_families.check_scale("sigma", numeric_parameter("sigma", self.sigma, lower=0.0),
                                                 self.noise))
        if self.method == "euler" and np.any(np.asarray(self.tau) <= self.dt):
            raise ValueError(
                f"dt={self.dt!r} must be < tau={describe(self.tau)} with method='euler' "
                "(use a smaller dt, or method='exact')"
            )

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
        return CompiledNeurons(
            alpha=alpha,
            gain=gain,
            offset=gain * u_rest,
            noise_scale=sigma if self.firing == "escape" else membrane_scale,
            threshold=per_neuron("threshold", self.threshold, n_neurons),
            u_reset=per_neuron("u_reset", self.u_reset, n_neurons),
            u_initial=u_rest,
            refractory_steps=_whole_steps("tau_ref", tau_ref, self.dt),
            family=noise_families.code_of(self.noise),
            firing=_FIRING_CODES[self.firing],
            reset=_RESET_CODES[self.reset],
            bridge=self.threshold_crossing == "bridge",
        )


def _set_time_step(model) -> None:
    """Validate and store ``model.dt``: one positive number of seconds (a time with units is converted)."""
    dt = numeric_parameter("dt", si_value("dt", model.dt, "s"), lower=0.0, lower_open=True)
    if np.ndim(dt) != 0:
        raise ValueError(f"dt must be a scalar, got an array of shape {np.shape(dt)}")
    object.__setattr__(model, "dt", dt)


def _whole_steps(name: str, duration: np.ndarray, dt: float) -> np.ndarray:
    """Durations (s) as whole numbers of steps; ``ValueError`` if one is not (to 1e-9 relative)."""
    steps = duration / dt
    whole = np.rint(steps)
    if np.any(np.abs(steps - whole) > 1e-9 * np.maximum(1.0, steps)) or np.any(whole > 2**31 - 1):
        raise ValueError(f"{name}={describe(duration)} s must be a whole number of steps of dt={dt!r} s "
                         f"(below 2**31 steps)")
    return whole.astype(np.int64)


_MODELS = {"NSNN": NSNN, "LIF": LIF}


def model_from_dict(data: dict):
    """Rebuild a model from :meth:`to_dict` output (lists become per-neuron arrays)."""
    data = dict(data)
    kind = data.pop("kind", None)
    if kind not in _MODELS:
        raise ValueError(f"kind={kind!r} is not a neuron model; allowed: {tuple(_MODELS)}")
    return _MODELS[kind](**{k: np.asarray(v) if isinstance(v, list) else v for k, v in data.items()})


def model_from_json(text: str):
    """Inverse of ``model.to_json()``."""
    return model_from_dict(json.loads(text))
