"""The exact, teacher-forced log-likelihood of observed spike trains under an escape-noise neuron, and its gradient.

Given the covariates ``x[t]`` and the *observed* spikes ``s[t]`` (which decide the resets), the noise-free
potential of neuron ``i`` follows the one neuron equation (:mod:`nsnn_sim.simulator.neurons`:
:func:`~nsnn_sim.simulator.neurons.integrate` and :func:`~nsnn_sim.simulator.neurons.reset_membrane`)
deterministically::

    u_free[t]  = alpha u_after[t-1] + gain (w . x[t]) + sum_j V[i, j] s_j[t-1]        (u_after[-1] = 0)
    p[t]       = P(s[t] = 1 | u_free[t])                                           (the spike-probability rule)
    u_after[t] = reset(u_free[t], r[t]),   r[t] = s[t] or "refractory at t"

    log L = sum_{t not refractory} s[t] log p[t] + (1 - s[t]) log(1 - p[t])

NSNN: ``alpha = beta``, ``gain = 1``; LIF (``u_rest = u_reset = 0``): ``alpha = 1 - dt/tau``, ``gain = dt/tau``
(Euler) or ``alpha = exp(-dt/tau)``, ``gain = 1 - alpha`` (exact). During the ``tau_ref/dt`` steps after a spike
the LIF is frozen at ``u_reset = 0`` and cannot fire: those steps are treated as resets (``r = 1``) and leave the
likelihood out, which is exact for the zero reset.

**The spike-probability rule** is the extension point: :func:`step_probability` returns, for one step,
``(log p, log(1 - p), d log p/du, d log(1 - p)/du)``. ``RULE_ESCAPE`` (``firing="escape"``) is
``p = F(u - theta; scale)`` with the family's cdf (:mod:`nsnn_sim.simulator.noise`), ``1 - p = F(theta - u; scale)``
(every family is symmetric; no cancellation), ``d log p/du = pdf/p`` and ``d log(1 - p)/du = -pdf/(1 - p)`` (``pdf(u -
theta)``: the NDL derivative). ``RULE_HAZARD`` (``LIF(firing="hazard")``, :mod:`nsnn_sim.simulator.neurons`) is
``p = 1 - exp(-h)`` with ``h = rho dt = rho_0 dt exp((u - theta)/delta_u)``: ``log p = log(-expm1(-h))``,
``log(1 - p) = -h``, ``d log p/du = h / (delta_u expm1(h))`` and ``d log(1 - p)/du = -h/delta_u``; the scale is
``delta_u`` and ``rho_0`` is fixed (:mod:`nsnn_sim.fit.problem` says why). Both rules are location-scale in
``u - theta``, so ``d/dscale = -(u - theta)/scale * d/du`` of either log. The derivatives of the *logs* are formed
directly: the product ``(dL/dp)(dp/du)`` of the chain rule is ``exp(h) * (exp(-h) h/delta_u)`` for a silent hazard
step, ``inf * 0 = NaN`` once ``h > 709`` while ``log L = -h`` is still finite.

**The gradient** is the learner's backward pass: :func:`nsnn_sim.learn.backward.membrane_adjoint` with
``grad_spikes = dL/du_free`` per step (``L = -log L``), ``slope = 1``, the reset indicators ``r`` as the spikes
and ``detach_reset=True`` (the observed spikes do not depend on any parameter), giving ``delta[t] =
dL/du_free[t]`` through the membrane; then ``dL/d(gain w) = sum_t delta[t] x[t]``, ``dL/dV = sum_t delta[t]
s[t-1]``, ``dL/dalpha = sum_t delta[t] u_after[t-1]`` (the sums of
:func:`~nsnn_sim.learn.backward.drive_and_decay_gradients`, in loops) and ``dL/dscale = sum_t -(u - theta)/scale
* (dL/du_free)[t]`` over the steps' own terms. Every term is finite wherever ``log L`` is (and the derivative
itself representable: ``h/delta_u`` below 1.8e308).

References: Paninski (2004), Network 15:243 (concavity of point-process GLM likelihoods); Pillow et al. (2008),
Nature 454:995; Jolivet et al. (2006), J Neurophysiol 96:1049 (escape-noise neurons fitted to recordings).

Examples
--------
>>> from nsnn_sim.fit.likelihood import RULES
>>> RULES["escape"]
0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from nsnn_sim.learn.backward import membrane_adjoint
from nsnn_sim.learn.forward import delayed
from nsnn_sim.simulator.neurons import integrate, neuron_constants, reset_membrane, rule_codes
from nsnn_sim.simulator.noise import cdf, pdf

__all__ = ["RULES", "RULE_ESCAPE", "RULE_HAZARD", "step_probability", "Evaluation", "evaluate_likelihood",
           "InfeasibleSpikes"]

RULE_ESCAPE = 0
RULE_HAZARD = 1
#: firing rule of the model -> code of :func:`step_probability`
RULES = {"escape": RULE_ESCAPE, "hazard": RULE_HAZARD}


class InfeasibleSpikes(ValueError):
    """An observed spike (or silence) has probability 0 under the parameters: ``log L = -inf``."""


@njit(cache=True, inline="always")
def step_probability(rule, family, x, scale, rate):
    """``(log p, log(1 - p), d log p/du, d log(1 - p)/du)`` of one step at ``x = u_free - theta``.

    ``RULE_ESCAPE``: ``p = F(x; scale)``, ``1 - p = F(-x; scale)`` (symmetric families), ``d log p/du =
    pdf(x)/p``, ``d log(1 - p)/du = -pdf(x)/(1 - p)``.

    ``RULE_HAZARD`` (``rate = rho_0 dt``, ``scale = delta_u``): ``h = rho dt = rate exp(x/scale)``,
    ``p = 1 - exp(-h)``, so ``log p = log(-expm1(-h))``, ``log(1 - p) = -h`` (both without cancellation),
    ``d log p/du = (h/expm1(h))/scale`` (-> 0 as ``h`` -> inf, -> ``1/scale`` as ``h`` -> 0) and
    ``d log(1 - p)/du = -h/scale``: no ``inf * 0`` for any ``h``. A log that is ``-inf`` (an impossible step)
    gets the derivative 0 (the step is reported as infeasible).
    """
    if rule == RULE_HAZARD:
        hazard = rate * math.exp(x / scale)
        p = -math.expm1(-hazard)
        log_p = math.log(p) if p > 0.0 else -math.inf
        if hazard == math.inf:
            return log_p, -math.inf, 0.0, 0.0
        d_log_p = hazard / math.expm1(hazard) / scale if p > 0.0 else 0.0
        return log_p, -hazard, d_log_p, -hazard / scale
    p = cdf(family, x, scale)
    q = cdf(family, -x, scale)
    density = pdf(family, x, scale)
    log_p = math.log(p) if p > 0.0 else -math.inf
    log_q = math.log(q) if q > 0.0 else -math.inf
    return log_p, log_q, density / p if p > 0.0 else 0.0, -density / q if q > 0.0 else 0.0


@njit(cache=True, inline="always")
def _forward_neuron(compiled, rule, i, drive, jump, spikes, u_free, u_after, resets, grad_u,
                    log_likelihood, grad_scale, infeasible, log_silence):
    """Neuron ``i``'s teacher-forced forward pass (every trial, its steps in order): see :func:`_teacher_forced`."""
    n_trials, n_steps, _ = drive.shape
    codes = rule_codes(compiled)
    store = log_silence.shape[0] > 0
    constants = neuron_constants(compiled, i)
    threshold, scale, u_reset, dead_time = constants[4], constants[3], constants[5], constants[6]
    total, total_scale, first_bad = 0.0, 0.0, -1
    for b in range(n_trials):
        u = compiled.u_initial[i]
        refractory_left = 0
        for t in range(n_steps):
            observed = spikes[b, t, i]
            if refractory_left > 0:
                refractory_left -= 1
                u_free[b, t, i] = u_reset
                u = u_reset
                u_after[b, t, i] = u
                resets[b, t, i] = 1.0
                grad_u[b, t, i] = 0.0
                if store:
                    log_silence[b, t, i] = 0.0
                if observed != 0.0 and first_bad < 0:
                    first_bad = b * n_steps + t
                continue
            free = integrate(constants, u, drive[b, t, i], jump[b, t, i])
            log_p, log_q, d_log_p, d_log_q = step_probability(rule, codes[0], free - threshold, scale,
                                                              constants[7])
            if observed != 0.0:
                total += log_p
                gradient = -d_log_p
                if log_p == -math.inf and first_bad < 0:
                    first_bad = b * n_steps + t
                refractory_left = dead_time
            else:
                total += log_q
                gradient = -d_log_q
                if log_q == -math.inf and first_bad < 0:
                    first_bad = b * n_steps + t
            u_free[b, t, i] = free
            u = reset_membrane(constants, codes, free, observed)
            u_after[b, t, i] = u
            resets[b, t, i] = observed
            grad_u[b, t, i] = gradient
            if store:
                log_silence[b, t, i] = log_q
            total_scale -= (free - threshold) / scale * gradient
    log_likelihood[i] = total
    grad_scale[i] = total_scale
    infeasible[i] = first_bad


@njit(cache=True, parallel=True)
def _teacher_forced(compiled, rule, drive, jump, spikes, u_free, u_after, resets, grad_u,
                    log_likelihood, grad_scale, infeasible, log_silence):
    """Forward pass with the observed spikes deciding the resets, every (trial, neuron) in parallel.

    Writes ``u_free``, ``u_after``, ``resets`` and, per step, the step's own ``grad_u = dL/du_free``
    (``L = -log L``); per neuron ``log_likelihood``, ``grad_scale = dL/dscale`` and the first infeasible
    flat index ``trial * n_steps + step`` (``-1`` if none). Each neuron's sums run over its own steps in
    order, so the result does not depend on the thread count.
    """
    for i in prange(drive.shape[2]):
        _forward_neuron(compiled, rule, i, drive, jump, spikes, u_free, u_after, resets, grad_u,
                        log_likelihood, grad_scale, infeasible, log_silence)


@njit(cache=True, nogil=True)
def _teacher_forced_serial(compiled, rule, drive, jump, spikes, u_free, u_after, resets, grad_u,
                           log_likelihood, grad_scale, infeasible, log_silence):
    """:func:`_teacher_forced` on the calling thread, without the GIL (the block fits of
    :mod:`nsnn_sim.fit.estimate` run one neuron per thread)."""
    for i in range(drive.shape[2]):
        _forward_neuron(compiled, rule, i, drive, jump, spikes, u_free, u_after, resets, grad_u,
                        log_likelihood, grad_scale, infeasible, log_silence)


@njit(cache=True, nogil=True)
def _drive(covariates, weights):
    """``w_i . x[b, t]`` (trial, step, neuron), in plain loops: the fit's covariate products are far too small
    for a threaded BLAS, which on a busy machine costs a hundred times more than the loop (measured: 12 ms
    against 0.1 ms for 10^5 steps x 8 covariates on 2 loaded cores)."""
    n_trials, n_steps, n_inputs = covariates.shape
    out = np.zeros((n_trials, n_steps, weights.shape[0]))
    for b in range(n_trials):
        for t in range(n_steps):
            for i in range(weights.shape[0]):
                total = 0.0
                for k in range(n_inputs):
                    total += weights[i, k] * covariates[b, t, k]
                out[b, t, i] = total
    return out


@njit(cache=True, nogil=True)
def _covariate_and_decay_sums(delta, covariates, u_after):
    """``sum_{b,t} delta[t] x[t]^T`` (neuron, input) and ``sum_{b,t} delta[t] u_after[t-1]`` (``u_after[-1] = 0``):
    the gradients of ``u_free[t] = alpha u_after[t-1] + gain (w . x[t]) + ...`` with respect to ``gain w`` and
    ``alpha`` (:func:`nsnn_sim.learn.backward.drive_and_decay_gradients`, in loops: see :func:`_drive`)."""
    n_trials, n_steps, n_neurons = delta.shape
    n_inputs = covariates.shape[2]
    grad_weights, grad_alpha = np.zeros((n_neurons, n_inputs)), np.zeros(n_neurons)
    for b in range(n_trials):
        for t in range(n_steps):
            for i in range(n_neurons):
                d = delta[b, t, i]
                for k in range(n_inputs):
                    grad_weights[i, k] += d * covariates[b, t, k]
                if t > 0:
                    grad_alpha[i] += d * u_after[b, t - 1, i]
    return grad_weights, grad_alpha


@dataclass
class Evaluation:
    """One evaluation of the teacher-forced likelihood.

    ``log_likelihood`` per neuron (nats); ``u_free`` and ``p`` (trial, step, neuron); and, if asked,
    the gradients of ``-log L`` per neuron: ``weights`` (n_neurons, n_inputs) with respect to the
    covariate weights ``w`` (membrane units), ``couplings`` (n_neurons, n_neurons) ``V[post, pre]``,
    ``alpha`` and ``gain`` (per neuron; the model's decay maps onto them) and ``scale``; ``log_silence``
    ``log(1 - p[t])`` if asked.
    """

    log_likelihood: np.ndarray
    u_free: np.ndarray
    grad_weights: np.ndarray | None = None
    grad_couplings: np.ndarray | None = None
    grad_alpha: np.ndarray | None = None
    grad_gain: np.ndarray | None = None
    grad_scale: np.ndarray | None = None
    log_silence: np.ndarray | None = None


def evaluate_likelihood(compiled, rule: int, covariates: np.ndarray, spikes: np.ndarray, weights: np.ndarray,
                        couplings: np.ndarray | None, gradient: bool = True, silence: bool = False,
                        parallel: bool = True, presynaptic: np.ndarray | None = None) -> Evaluation:
    """The log-likelihood (and gradient) of validated inputs (see :func:`nsnn_sim.fit.log_likelihood`).

    Parameters
    ----------
    compiled : CompiledNeurons
        The model's one-equation coefficients (``u_rest = u_reset = 0``, escape firing).
    rule : int
        A code of :data:`RULES`.
    covariates : array (n_trials, n_steps, n_inputs)
    spikes : array (n_trials, n_steps, n_neurons) of 0.0 / 1.0
    weights : array (n_neurons, n_inputs)
        ``w``: the drive of neuron ``i`` is ``w[i] . x[t]`` (multiplied by the model's gain).
    couplings : array (n_neurons, n_presynaptic) or None
        ``V[post, pre]``, one step of delay.
    silence : bool
        Also keep ``log(1 - p[t])`` per step (``Evaluation.log_silence``; 0 while refractory).
    parallel : bool
        Neurons in parallel (Numba threads), or all on the calling thread with the GIL released (the same
        numbers: each neuron's sums run in the same order either way).
    presynaptic : array (n_trials, n_steps, n_presynaptic), optional
        The spikes the couplings act on, already delayed by one step; default ``spikes`` delayed (the
        recorded neurons themselves; a block of :meth:`nsnn_sim.fit.problem.Problem.block` passes all of them).

    Raises
    ------
    InfeasibleSpikes
        A step has probability 0 (an observed spike with ``p = 0`` or a silence with ``p = 1``).
    """
    n_trials, n_steps, n_neurons = spikes.shape
    drive = _drive(covariates, np.ascontiguousarray(weights))
    previous = delayed(spikes) if presynaptic is None else presynaptic
    jump = _drive(previous, np.ascontiguousarray(couplings)) if couplings is not None else np.zeros_like(drive)
    u_free, u_after, resets, grad_u = (np.empty_like(drive) for _ in range(4))
    log_likelihood, grad_scale = np.empty(n_neurons), np.empty(n_neurons)
    infeasible = np.empty(n_neurons, dtype=np.int64)
    log_silence = np.empty_like(drive) if silence else np.empty((0, 0, 0))
    kernel = _teacher_forced if parallel else _teacher_forced_serial
    kernel(compiled, rule, drive, jump, spikes, u_free, u_after, resets, grad_u, log_likelihood,
                    grad_scale, infeasible, log_silence)
    if np.any(infeasible >= 0):
        neuron = int(np.flatnonzero(infeasible >= 0)[0])
        trial, step = divmod(int(infeasible[neuron]), n_steps)
        what = "an observed spike has p = 0" if spikes[trial, step, neuron] else "an observed silence has p = 1"
        raise InfeasibleSpikes(neuron, trial, step, what, float(u_free[trial, step, neuron]))
    result = Evaluation(log_likelihood, u_free, log_silence=log_silence if silence else None)
    if not gradient:
        return result
    # slope 1: grad_u is already dL/du_free of each step's own term (the product dL/dp * dp/du overflows)
    delta, _ = membrane_adjoint(grad_u, np.ones_like(grad_u), resets, u_free, compiled.alpha, compiled.threshold,
                                reset="subtract" if compiled.reset == 1 else "zero", detach_reset=True)
    grad_effective, grad_alpha = _covariate_and_decay_sums(delta, covariates, u_after)
    # u_free = alpha u + gain (w . x) + offset + jump: d/dw = gain d/d(gain w), d/dgain = sum_k w_k d/d(gain w)_k
    result.grad_weights = compiled.gain[:, None] * grad_effective
    result.grad_gain = (grad_effective * weights).sum(axis=1)
    result.grad_alpha = grad_alpha
    result.grad_scale = grad_scale
    if couplings is not None:
        result.grad_couplings = _covariate_and_decay_sums(delta, previous, u_after)[0]
    return result
