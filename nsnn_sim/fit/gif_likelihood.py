"""The teacher-forced likelihood of a generalised integrate-and-fire (GIF) neuron: the simulator's LIF with
spike-triggered adaptation currents and a moving threshold, and its exact gradient.

The neuron is ``ns.LIF(firing="escape" or "hazard", u_rest=0, u_reset=0, reset="zero", adaptation=(Adaptation(tau_k,
0, b_k), ...), moving_threshold=(MovingThreshold(tau_j, jump_j), ...))`` (:mod:`nsnn_sim.simulator.state`). With
``a_k = 0`` each adaptation current decays on its own and jumps by ``b_k`` at a spike, so its unit trace depends on
the observed spikes only. In the simulator's order within a step (propagate the state, fire on the propagated
state, reset ``u`` and add the jumps) the noise-free membrane of a neuron given its observed spikes is::

    u_free[t]  = alpha u_after[t-1] + gain (w . x[t]) + sum_k b_k P_k W_k[t-1]          (u_after[-1] = 0)
    theta_t    = theta + sum_j jump_j R_j[t]
    p[t]       = F(u_free[t] - theta_t; scale)       (escape)   or   1 - exp(-rho_0 dt exp((u_free - theta_t)/delta_u))
    u_after[t] = 0 after a spike or while refractory ("clamp": u held at u_reset = 0), else u_free[t]

with the unit traces ``W_k[t] = e_k W_k[t-1] + s[t]`` (after step ``t``'s jump) and ``R_j[t] = r_j (R_j[t-1] + s[t-1])``
(the threshold of step ``t`` before its own jump), ``e_k``, ``r_j`` the components' decays per step and ``P_k`` the
propagator's entry from ``w_k`` to ``u``: ``method="exact"`` (``v = dt/tau``, ``v_k = dt/tau_k``)::

    alpha = exp(-v),  gain = 1 - alpha,  e_k = exp(-v_k),  P_k = -v exp(-v) phi(v - v_k),  phi(d) = expm1(d)/d

(the (0, k) entry of ``expm(A dt)`` for ``tau du/dt = -u - w_k``, ``tau_k dw_k/dt = -w_k``, finite at ``tau_k =
tau``); ``method="euler"``: ``alpha = 1 - v``, ``gain = v``, ``e_k = 1 - v_k``, ``P_k = -v``. The log-likelihood
sums ``s log p + (1 - s) log(1 - p)`` over the steps that are not refractory (:func:`nsnn_sim.fit.likelihood.
step_probability` gives each step's logs and their derivatives in ``x = u_free - theta_t``).

**Gradient.** ``u_free`` is the reset filter of the drive ``d[t] = gain (w . x[t]) + sum_k b_k P_k W_k[t-1]``
(:func:`reset_filter`); with ``g[t] = dL/dx[t]`` (``L = -log L``) the adjoint is ``delta[t] = g[t] + (1 - r[t])
alpha delta[t+1]`` (``r`` the resets: spikes and refractory steps; :func:`adjoint_filter`), and::

    dL/dw_i   = gain sum_t delta[t] x_i[t]          dL/db_k   = P_k sum_t delta[t] W_k[t-1]
    dL/djump_j = -sum_t g[t] R_j[t]                 dL/dtheta = -sum_t g[t]
    dL/dscale = -sum_t g[t] x[t]/scale              dL/dz     = A dalpha/dz + B dgain/dz + sum_k b_k C_k dP_k/dz

with ``A = sum_t delta[t] u_after[t-1]``, ``B = sum_t delta[t] (w . x[t])``, ``C_k = sum_t delta[t] W_k[t-1]`` and
``z = log(gain)`` the membrane's coordinate of :mod:`nsnn_sim.fit.problem`. Exact: ``v = -log(1 - e^z)``,
``dv/dz = gain/alpha``, ``dalpha/dz = -gain``, ``dP_k/dv = -exp(-v) (phi (1 - v) + v phi'(v - v_k))``; Euler:
``v = e^z``, ``dalpha/dz = -v``, ``dP_k/dz = -v``. The gradient with respect to ``tau`` is ``dL/dz dz/dtau``.

Examples
--------
>>> import numpy as np
>>> round(float(propagator_entry(np.array([0.1]), 0.1, "exact")[0][0]), 12)  # tau_k = tau: -v exp(-v)
-0.090483741804
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy import signal

from nsnn_sim.fit.likelihood import RULE_HAZARD, step_probability

__all__ = ["GIFNeuronData", "neuron_data", "reset_filter", "adjoint_filter", "step_terms",
           "propagator_entry", "membrane_coefficients", "component_decay", "evaluate_neuron",
           "parameter_layout", "membrane", "Infeasible"]


# ------------------------------------------------------------------ the filters (Numba)
@njit(cache=True, nogil=True)
def reset_filter(alpha, source, resets, held):
    """``y[b, t, m] = (1 - held[b, t]) (alpha y_after[b, t-1, m] + source[b, t, m])``, ``y_after = (1 - resets) y``
    (``y_after[b, -1] = 0``): the teacher-forced membrane of the drive ``source`` (one column per drive)."""
    n_trials, n_steps, n_columns = source.shape
    out = np.empty_like(source)
    for b in range(n_trials):
        for m in range(n_columns):
            after = 0.0
            for t in range(n_steps):
                value = 0.0 if held[b, t] else alpha * after + source[b, t, m]
                out[b, t, m] = value
                after = 0.0 if resets[b, t] else value
    return out


@njit(cache=True, nogil=True)
def adjoint_filter(alpha, grad, resets):
    """``delta[b, t] = grad[b, t] + (1 - resets[b, t]) alpha delta[b, t+1]`` (``delta[b, n_steps] = 0``): the
    adjoint of :func:`reset_filter` (``grad`` is 0 on held steps, which are resets)."""
    n_trials, n_steps = grad.shape
    out = np.empty_like(grad)
    for b in range(n_trials):
        following = 0.0
        for t in range(n_steps - 1, -1, -1):
            value = grad[b, t] + (0.0 if resets[b, t] else alpha * following)
            out[b, t] = value
            following = value
    return out


@njit(cache=True, nogil=True)
def step_terms(rule, family, x, spikes, held, scale, rate):
    """Per step the log-probability of the observed outcome, ``g = dL/dx`` (``L = -log L``) and ``log(1 - p)``
    (0 on held steps, which leave the likelihood out). Returns ``(log_terms, g, log_silence, first_bad)``,
    ``first_bad`` the flat index of the first step of probability 0 (-1 if none)."""
    n_trials, n_steps = x.shape
    terms, grad, silence = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    first_bad = -1
    for b in range(n_trials):
        for t in range(n_steps):
            if held[b, t]:
                if spikes[b, t] != 0.0 and first_bad < 0:
                    first_bad = b * n_steps + t
                continue
            log_p, log_q, d_log_p, d_log_q = step_probability(rule, family, x[b, t], scale, rate)
            if spikes[b, t] != 0.0:
                terms[b, t], grad[b, t] = log_p, -d_log_p
            else:
                terms[b, t], grad[b, t] = log_q, -d_log_q
            silence[b, t] = log_q
            if terms[b, t] == -math.inf and first_bad < 0:
                first_bad = b * n_steps + t
    return terms, grad, silence, first_bad


# ------------------------------------------------------------------ coefficients
def _phi(d):
    """``expm1(d)/d`` and its derivative ``(d e^d - e^d + 1)/d^2``, by series for ``|d| < 1e-4``."""
    d = np.asarray(d, dtype=np.float64)
    small = np.abs(d) < 1e-4
    safe = np.where(small, 1.0, d)
    value = np.where(small, 1.0 + d / 2.0 + d * d / 6.0, np.expm1(safe) / safe)
    slope = np.where(small, 0.5 + d / 3.0 + d * d / 8.0, (safe * np.exp(safe) - np.expm1(safe)) / safe**2)
    return value, slope


def propagator_entry(v_k: np.ndarray, v: float, method: str):
    """``(P_k, dP_k/dz)`` of the adaptation components ``v_k = dt/tau_k`` and the membrane's ``v = dt/tau``
    (module docstring)."""
    v_k = np.asarray(v_k, dtype=np.float64)
    if method == "euler":
        return np.full(v_k.shape, -v), np.full(v_k.shape, -v)
    value, slope = _phi(v - v_k)
    entry = -v * math.exp(-v) * value
    d_v = -math.exp(-v) * (value * (1.0 - v) + v * slope)
    gain = -math.expm1(-v)
    return entry, d_v * gain / (1.0 - gain)


def membrane_coefficients(tau: float, dt: float, method: str):
    """``(alpha, gain, v, dalpha/dz, dgain/dz, dz/dtau)`` of the membrane, ``v = dt/tau``, ``z = log(gain)``."""
    v = dt / tau
    if method == "euler":
        return 1.0 - v, v, v, -v, v, -1.0 / tau
    gain = -math.expm1(-v)
    alpha = 1.0 - gain
    # z = log(1 - exp(-v)): dz/dtau = (alpha/gain) dv/dtau = -(alpha/gain) v/tau
    return alpha, gain, v, -gain, gain, -(alpha / gain) * v / tau


def component_decay(taus, dt: float, method: str) -> np.ndarray:
    """Per-step decay of a linear component of time constant ``tau_c``: ``exp(-dt/tau_c)`` or ``1 - dt/tau_c``."""
    v = dt / np.asarray(taus, dtype=np.float64)
    return 1.0 - v if method == "euler" else np.exp(-v)


# ------------------------------------------------------------------ one neuron's data
class GIFNeuronData:
    """One neuron's parameter-independent arrays: its spikes, held (refractory) steps, resets, the covariates,
    the adaptation traces ``W_k[t-1]`` (trial, step, K) and the threshold traces ``R_j[t]`` (trial, step, J)."""

    def __init__(self, spikes, held, covariates, adaptation_traces, threshold_traces):
        self.spikes = spikes
        self.held = held
        self.resets = ((spikes != 0.0) | held)
        self.covariates = covariates
        self.adaptation_traces = adaptation_traces
        self.threshold_traces = threshold_traces


def _held_steps(spikes: np.ndarray, dead_time: int) -> np.ndarray:
    """``held[b, t]``: step ``t`` lies within ``dead_time`` steps after an observed spike."""
    held = np.zeros(spikes.shape, dtype=np.bool_)
    for lag in range(1, dead_time + 1):
        held[:, lag:] |= spikes[:, :-lag] != 0.0
    return held


def _unit_traces(spikes: np.ndarray, decays: np.ndarray) -> np.ndarray:
    """``T[b, t, c] = decay_c (T[b, t-1, c] + s[b, t-1])`` (``T[b, 0] = 0``): a unit-jump trace at step ``t``
    after propagation, before step ``t``'s own jump (trial, step, component)."""
    out = np.zeros(spikes.shape + (len(decays),))
    previous = np.zeros_like(spikes)
    previous[:, 1:] = spikes[:, :-1]
    for c, decay in enumerate(decays):
        # T[t] = decay T[t-1] + decay s[t-1]
        out[:, :, c] = signal.lfilter([decay], [1.0, -decay], previous, axis=1)
    return out


def neuron_data(spikes: np.ndarray, covariates: np.ndarray, dead_time: int, adaptation_taus, threshold_taus,
                dt: float, method: str) -> GIFNeuronData:
    """:class:`GIFNeuronData` of a neuron whose spikes are ``spikes`` (trial, step): the adaptation trace at
    step ``t`` is ``W_k[t-1] = e_k W_k[t-2] + s[t-1]`` (after step ``t-1``'s jump)."""
    spikes = np.ascontiguousarray(spikes, dtype=np.float64)
    e = component_decay(adaptation_taus, dt, method)
    previous = np.zeros_like(spikes)
    previous[:, 1:] = spikes[:, :-1]
    adaptation = np.zeros(spikes.shape + (len(e),))
    for k, decay in enumerate(e):
        adaptation[:, :, k] = signal.lfilter([1.0], [1.0, -decay], previous, axis=1)
    threshold = _unit_traces(spikes, component_decay(threshold_taus, dt, method))
    return GIFNeuronData(spikes, _held_steps(spikes, dead_time), covariates, adaptation, threshold)


def parameter_layout(n_inputs: int, n_adaptation: int, n_thresholds: int, hazard: bool) -> dict:
    """Slices of the per-neuron parameter vector: ``weights``, ``adaptation``, ``moving_threshold``, then the
    single entries ``threshold``, ``tau``, ``scale`` and (the hazard rule) ``log_rho_0``, the log of ``rho_0`` in
    Hz: the intercept of the hazard's log-linear predictor, its Wald intervals symmetric on the scale it is
    determined on."""
    a, j = n_inputs + n_adaptation, n_inputs + n_adaptation + n_thresholds
    layout = {"weights": slice(0, n_inputs), "adaptation": slice(n_inputs, a), "moving_threshold": slice(a, j),
              "threshold": j, "tau": j + 1, "scale": j + 2}
    if hazard:
        layout["log_rho_0"] = j + 3
    return layout


class Infeasible(ValueError):
    """An observed step has probability 0 under the parameters (``args``: trial, step, whether a spike)."""


def membrane(theta: np.ndarray, data: GIFNeuronData, layout: dict, adaptation_taus, dt: float, method: str):
    """The teacher-forced ``u_free`` (trial, step) of parameters ``theta`` and its pieces: ``(u_free, drive_w,
    alpha, gain, P, dP/dz, coefficients)`` with ``drive_w = w @ x`` (trial, step)."""
    coefficients = membrane_coefficients(float(theta[layout["tau"]]), dt, method)
    alpha, gain, v = coefficients[:3]
    entry, entry_dz = propagator_entry(dt / np.asarray(adaptation_taus, dtype=np.float64), v, method)
    drive_w = data.covariates @ theta[layout["weights"]]
    drive = gain * drive_w + data.adaptation_traces @ (theta[layout["adaptation"]] * entry)
    u_free = reset_filter(alpha, drive[:, :, None], data.resets, data.held)[:, :, 0]
    return u_free, drive_w, alpha, gain, entry, entry_dz, coefficients


def evaluate_neuron(theta: np.ndarray, data: GIFNeuronData, layout: dict, adaptation_taus, dt: float, method: str,
                    rule: int, family: int, gradient: bool = True, silence: bool = False):
    """``(log L, dL/dtheta)`` of one neuron (``L = -log L``; the ``tau`` entry is the derivative in ``tau``), or
    ``(log L, log(1 - p))`` with ``silence=True``; raises :class:`Infeasible` at a step of probability 0. The
    hazard's ``log rho_0`` is an entry of ``theta``: ``log h = log rho_0 + log dt + x/delta_u``, so
    ``dL/dlog rho_0 = delta_u sum_t g[t]``."""
    u_free, drive_w, alpha, gain, entry, entry_dz, coefficients = membrane(theta, data, layout, adaptation_taus, dt,
                                                                           method)
    threshold = theta[layout["threshold"]] + data.threshold_traces @ theta[layout["moving_threshold"]]
    scale = float(theta[layout["scale"]])
    x = u_free - threshold
    rate = math.exp(float(theta[layout["log_rho_0"]])) * dt if rule == RULE_HAZARD else 0.0
    terms, grad_x, log_silence, first_bad = step_terms(rule, family, x, data.spikes, data.held, scale, rate)
    if first_bad >= 0:
        trial, step = divmod(first_bad, x.shape[1])
        raise Infeasible(trial, step, bool(data.spikes[trial, step]), float(x[trial, step]))
    value = float(terms.sum())
    if silence:
        return value, log_silence
    if not gradient:
        return value, None
    delta = adjoint_filter(alpha, grad_x, data.resets)
    grad = np.empty_like(theta)
    grad[layout["weights"]] = gain * np.tensordot(delta, data.covariates, axes=([0, 1], [0, 1]))
    per_trace = np.tensordot(delta, data.adaptation_traces, axes=([0, 1], [0, 1]))
    grad[layout["adaptation"]] = entry * per_trace
    grad[layout["moving_threshold"]] = -np.tensordot(grad_x, data.threshold_traces, axes=([0, 1], [0, 1]))
    grad[layout["threshold"]] = -grad_x.sum()
    grad[layout["scale"]] = -float(np.sum(grad_x * x)) / scale
    if rule == RULE_HAZARD:
        grad[layout["log_rho_0"]] = scale * float(grad_x.sum())
    u_after = np.where(data.resets, 0.0, u_free)
    sum_alpha = float(np.sum(delta[:, 1:] * u_after[:, :-1]))
    sum_gain = float(np.sum(delta * drive_w))
    _, _, _, d_alpha, d_gain, dz_dtau = coefficients
    d_z = sum_alpha * d_alpha + sum_gain * d_gain + float(np.sum(theta[layout["adaptation"]] * per_trace * entry_dz))
    grad[layout["tau"]] = d_z * dz_dtau
    return value, grad
