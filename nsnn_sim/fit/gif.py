"""Fit generalised integrate-and-fire (GIF) neurons: the simulator's LIF with spike-triggered adaptation currents
and a moving threshold at *given* time constants, their amplitudes fitted, so that every fit runs unchanged in
:func:`nsnn_sim.simulate` (:mod:`nsnn_sim.fit.gif_likelihood` has the equations and the gradient).

:func:`fit_gif` fits, per neuron, the covariate weights ``w``, the adaptation amplitudes ``b_k``, the threshold
jumps ``jump_j``, the membrane time constant ``tau`` and the escape scale (``sigma`` or ``delta_u``):

* **from spike trains alone** by maximum likelihood (the teacher-forced likelihood is exact: the adaptation is
  driven by the observed spikes). ``(w, b, jump, theta, scale) -> c (w, b, jump, theta, scale)``, ``c > 0``, leaves
  every ``p`` unchanged (``u`` is linear in ``w`` and ``b``: the capacitance trades off against the escape width),
  and for the hazard rule so does ``(theta, rho_0) -> (theta + delta_u log k, k rho_0)``. The hazard fit holds
  ``theta`` and ``delta_u`` and fits ``log rho_0`` (parameter ``log_rho_0``): ``log rho = log rho_0 - theta/delta_u
  + (u - sum_j jump_j R_j)/delta_u`` is then a generalised linear model in natural coordinates (for a given
  ``tau``), its intercept free on the whole line. Holding ``theta`` and fitting ``delta_u`` instead (as
  :func:`~nsnn_sim.fit.fit_escape` does) confines ``theta/delta_u`` to positive values, and with a few hundred
  spikes the maximum can lie near that boundary, ``delta_u -> inf`` (measured: 2 of 48 neurons of about 250 spikes
  ended at ``delta_u`` = 270 and 1060, truth 0.2, with every weight and amplitude as large); holding ``delta_u``
  and fitting ``theta`` meets ``theta > u_reset = 0`` (fitted thresholds from -0.41 to 2.40 in 4 neurons, truth
  1.5, the first below the model class). The escape fit, which has no such second direction, holds ``theta`` and
  fits the scale. The fitted model is the member of its equivalence class with the held values. With ``J`` time
  constants shared by currents and thresholds, the spike-history
  effect on ``u - theta_t`` of a spike ``n`` steps back, without reset, is

      h[n] = -sum_c m_c e_c^n + m_0 alpha^n,    m_c = sum_{k at c} c_k b_k + sum_{j at c} jump_j,   m_0 = sum_k c_k b_k

  with ``c_k = -P_k/(e_k - alpha)`` (``tau_k/(tau_k - tau)`` for ``method="exact"``): the ``J + 1`` combinations
  ``m_0, m_1 .. m_J`` of the ``2J`` amplitudes are what the spikes determine (:func:`spike_history_kernel`). The
  reset of ``u`` at each spike restarts the ``alpha^n`` term with the traces of the earlier spikes,
  ``sum_k c_k b_k W_k`` at the reset, so the remaining ``J - 1`` directions (how ``m_0`` splits over the time
  constants) are informed only by spikes that follow each other within ``tau_k``: fit one current and ``J``
  thresholds (``J + 1`` amplitudes, :func:`fit_gif`'s identifiable parameterisation) unless the voltage is known.
* **with a recorded membrane potential** (:func:`fit_gif` with ``voltage=``), in Pozzorini et al.'s (2015) two
  steps: (1) the subthreshold dynamics (``w``, ``b``, ``tau``) by least squares of the voltage on the teacher-forced
  ``u_free`` at the steps without a spike or dead time, linear in ``(w, b)`` for a given ``tau`` and minimised over
  ``tau`` by Brent's method (the voltage's error is taken as independent Gaussian measurement noise, its SD
  fitted); (2) the threshold (``theta``, ``jump``, the scale) by maximum likelihood on the spikes with (1)'s
  membrane. The standard errors of (2) include (1)'s uncertainty (Murphy & Topel 1985):
  ``Cov_2 = H22^-1 + H22^-1 H21 Cov_1 H12 H22^-1`` with ``H`` the Hessian of ``-log L`` of the spikes.

The optimiser, the standard errors (the observed Fisher information by central differences of the exact gradient)
and the convergence criterion (Newton decrement below :data:`~nsnn_sim.fit.estimate.NEWTON_DECREMENT` nats) are
those of :func:`~nsnn_sim.fit.fit_escape`.

References: Mensi et al. (2012), J Neurophysiol 107:1756; Pozzorini et al. (2015), PLoS Comput Biol 11:e1004275;
Murphy & Topel (1985), J Bus Econ Stat 3:370 (two-step estimators).

Examples
--------
>>> import nsnn_sim as ns
>>> from nsnn_sim.simulator.state import Adaptation, MovingThreshold
>>> model = ns.LIF(tau=0.02, firing="hazard", method="exact", dt=1e-3, adaptation=Adaptation(0.1, 0.0, 0.2),
...                moving_threshold=MovingThreshold(0.1, 0.1))
>>> [round(float(m), 4) for m in spike_history_kernel(model)[1]]  # m_0, m_(tau=0.1)
[0.25, 0.35]
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba
import numpy as np
import xarray as xr
from scipy import optimize

from nsnn_sim._core.blas import single_blas_thread
from nsnn_sim._core.validation import describe, finite_array, numeric_parameter, per_neuron, whole_number
from nsnn_sim._core.version import provenance
from nsnn_sim.fit.estimate import NEWTON_DECREMENT, FitResult, _minimize_with_restarts
from nsnn_sim.fit.gif_likelihood import (
    Infeasible,
    component_decay,
    evaluate_neuron,
    membrane,
    membrane_coefficients,
    neuron_data,
    parameter_layout,
    propagator_entry,
    reset_filter,
)
from nsnn_sim.fit.likelihood import RULES
from nsnn_sim.fit.problem import (
    GAIN_BOUNDS,
    covariate_array,
    dense_spikes,
    input_names_and_weights,
    spikes_and_covariates,
)
from nsnn_sim.simulator.neurons import LIF
from nsnn_sim.simulator.noise import spec
from nsnn_sim.simulator.state import Adaptation, MovingThreshold

__all__ = ["fit_gif", "GIFFit", "gif_log_likelihood", "spike_history_kernel", "HistoryKernel", "GROUPS"]


class HistoryKernel(NamedTuple):
    """What :func:`spike_history_kernel` returns (a named tuple: ``taus, m = ...`` unpacks it)."""

    taus: np.ndarray  #: the membrane's ``tau``, then each distinct component time constant (increasing), seconds
    amplitudes: np.ndarray  #: ``m_0`` (of ``alpha^n``), then ``m_c`` of each component time constant

#: The parameter groups of :func:`fit_gif`, in the order of the per-neuron vector.
GROUPS = ("weights", "adaptation", "moving_threshold", "threshold", "tau", "scale", "rho_0")
_VOLTAGE = ("weights", "adaptation", "tau")  # step 1; step 2 fits the rest: moving_threshold, threshold, scale


# ------------------------------------------------------------------ the problem
def _component_taus(model, name: str) -> np.ndarray:
    taus = []
    for k, component in enumerate(getattr(model, name)):
        if np.ndim(component.tau) != 0:
            raise ValueError(f"model.{name}[{k}].tau={describe(component.tau)} must be one number (the time "
                             "constants are given, shared by every neuron; the amplitudes are fitted)")
        if name == "adaptation" and np.any(np.asarray(component.a) != 0.0):
            raise ValueError(f"model.adaptation[{k}].a={describe(component.a)} must be 0: the fit's adaptation is "
                             "spike-triggered (a subthreshold coupling would make the current depend on u)")
        taus.append(float(component.tau))
    return np.array(taus)


def _check_gif_model(model) -> None:
    if not isinstance(model, LIF):
        raise TypeError(f"model must be an LIF, got {type(model).__name__} (the fitters take (model, inputs, "
                        "spikes), in the order of simulate(model, inputs))")
    if model.firing not in RULES:
        raise ValueError(f"model.firing={model.firing!r} has no exact likelihood here; allowed: {tuple(RULES)}")
    if model.firing == "escape" and spec(model.noise).deterministic:
        raise ValueError("model.noise='none' has no likelihood (every p is 0 or 1); choose a noise family")
    for name in ("u_rest", "u_reset"):
        if np.any(np.asarray(getattr(model, name)) != 0.0):
            raise ValueError(f"model.{name}={describe(getattr(model, name))}: fitting needs u_rest = u_reset = 0")
    if model.reset != "zero":
        raise ValueError(f"model.reset={model.reset!r}: the GIF fit needs reset='zero'")
    if model.synapses:
        raise ValueError(f"model.synapses={tuple(model.synapses)}: the GIF fit takes no synapses (filter the "
                         "covariates instead: nsnn_sim.fit.filtered_covariates)")
    if model.refractory == "integrate" and np.any(np.asarray(model.tau_ref) > 0):
        raise ValueError("model.refractory='integrate' with tau_ref > 0 is not supported by the GIF fit; use "
                         "refractory='clamp' (u held at 0 during the dead time)")


def _scale_name(model) -> str:
    return "delta_u" if model.firing == "hazard" else "sigma"


@dataclasses.dataclass
class GIFProblem:
    """A validated GIF fitting problem: the data, the per-neuron parameter vector (``names``, ``initial``) and
    one :class:`~nsnn_sim.fit.gif_likelihood.GIFNeuronData` per neuron."""

    model: LIF
    spikes: np.ndarray
    covariates: np.ndarray
    voltage: np.ndarray | None
    adaptation_taus: np.ndarray
    threshold_taus: np.ndarray
    names: list
    layout: dict
    initial: np.ndarray
    data: list
    codes: tuple  # (rule, family) of the spike-probability rule

    @classmethod
    def build(cls, spikes, inputs, model, voltage=None, weights=None, input_names=None) -> "GIFProblem":
        _check_gif_model(model)
        adaptation_taus = _component_taus(model, "adaptation")
        threshold_taus = _component_taus(model, "moving_threshold")
        dense, covariates = spikes_and_covariates(spikes, inputs, model)
        n_neurons, n_inputs = dense.shape[2], covariates.shape[2]
        if voltage is not None:
            voltage = finite_array("voltage", voltage)
            if voltage.ndim == 2:
                voltage = voltage[None]
            if voltage.shape != dense.shape:
                raise ValueError(f"voltage has shape {voltage.shape}; expected the spikes' (n_trials, n_steps, "
                                 f"n_neurons) = {dense.shape} (or (n_steps, n_neurons) for one trial)")
        input_names, weights = input_names_and_weights(input_names, weights, n_neurons, n_inputs)
        hazard = model.firing == "hazard"
        layout = parameter_layout(n_inputs, len(adaptation_taus), len(threshold_taus), hazard)
        names = ([f"w_{name}" for name in input_names] + [f"b_{k}" for k in range(len(adaptation_taus))]
                 + [f"jump_{j}" for j in range(len(threshold_taus))] + ["threshold", "tau", _scale_name(model)]
                 + ["log_rho_0"] * hazard)
        columns = [weights]
        columns += [per_neuron(f"adaptation[{k}].b", c.b, n_neurons)[:, None] for k, c in enumerate(model.adaptation)]
        columns += [per_neuron(f"moving_threshold[{j}].jump", c.jump, n_neurons)[:, None]
                    for j, c in enumerate(model.moving_threshold)]
        columns += [per_neuron(name, getattr(model, name), n_neurons)[:, None]
                    for name in ("threshold", "tau", _scale_name(model))]
        if hazard:
            columns.append(np.log(per_neuron("rho_0", model.rho_0, n_neurons))[:, None])
        initial = np.ascontiguousarray(np.hstack(columns))
        dead = np.rint(per_neuron("tau_ref", model.tau_ref, n_neurons) / model.dt).astype(np.int64)
        data = [neuron_data(dense[:, :, i], covariates, int(dead[i]), adaptation_taus, threshold_taus, model.dt,
                            model.method) for i in range(n_neurons)]
        codes = (RULES[model.firing], int(model.compile(1).family))
        return cls(model, dense, covariates, voltage, adaptation_taus, threshold_taus, names, layout, initial, data,
                   codes)

    @property
    def n_neurons(self) -> int:
        return self.spikes.shape[2]

    def columns(self, groups) -> np.ndarray:
        """Indices of the parameter vector of the named groups."""
        out = []
        for group in GROUPS:
            if group in groups:
                where = self.layout["log_rho_0" if group == "rho_0" else group]
                out += list(range(where.start, where.stop)) if isinstance(where, slice) else [where]
        return np.array(out, dtype=np.int64)

    def evaluate(self, i: int, theta: np.ndarray, gradient: bool = True, data=None, silence: bool = False):
        """Neuron ``i``'s ``(log L, dL/dtheta)`` (``L = -log L``) at its parameter vector ``theta``."""
        return evaluate_neuron(theta, self.data[i] if data is None else data, self.layout, self.adaptation_taus,
                               self.model.dt, self.model.method, *self.codes, gradient, silence)

    def fitted_model(self, theta: np.ndarray) -> LIF:
        """The LIF of the parameter matrix ``theta`` (neuron, parameter), ready for :func:`nsnn_sim.simulate`."""
        layout = self.layout

        def column(index):
            return theta[:, index].copy()

        adaptation = tuple(Adaptation(tau, 0.0, column(layout["adaptation"].start + k))
                           for k, tau in enumerate(self.adaptation_taus))
        thresholds = tuple(MovingThreshold(tau, column(layout["moving_threshold"].start + j))
                           for j, tau in enumerate(self.threshold_taus))
        changes = {_scale_name(self.model): column(layout["scale"])}
        if "log_rho_0" in layout:
            changes["rho_0"] = np.exp(column(layout["log_rho_0"]))
        return dataclasses.replace(self.model, tau=column(layout["tau"]), threshold=column(layout["threshold"]),
                                   adaptation=adaptation, moving_threshold=thresholds, **changes)


# ------------------------------------------------------------------ spike likelihood: optimiser and Hessian
def _spike_fit(problem: GIFProblem, i: int, start: np.ndarray, free: np.ndarray, options: dict):
    """Maximise neuron ``i``'s spike log-likelihood over the entries ``free`` of its vector from ``start``
    (L-BFGS-B with restarts; ``z = log(gain)`` for ``tau``, ``log`` of the scale). Returns ``(theta, solution)``."""
    layout = problem.layout
    is_tau = free == layout["tau"]
    is_scale = free == layout["scale"]
    dt, method = problem.model.dt, problem.model.method

    def to_theta(z):
        theta = start.copy()
        values = z.copy()
        values[is_scale] = np.exp(z[is_scale])
        if is_tau.any():
            gain = math.exp(float(z[is_tau][0]))
            values[is_tau] = dt / gain if method == "euler" else -dt / math.log1p(-gain)
        theta[free] = values
        return theta

    z0 = start[free].copy()
    z0[is_scale] = np.log(z0[is_scale])
    if is_tau.any():
        z0[is_tau] = math.log(membrane_coefficients(float(start[layout["tau"]]), dt, method)[1])
    value0 = -problem.evaluate(i, start, gradient=False)[0]
    barrier = 10.0 * max(1.0, abs(value0))
    best = [value0, z0.copy()]
    evaluations = [0]

    def objective(z):
        evaluations[0] += 1
        theta = to_theta(z)
        try:
            value, grad = problem.evaluate(i, theta)
        except Infeasible:
            return barrier, np.zeros_like(z)
        value = -value
        if not value < barrier:
            return barrier, np.zeros_like(z)
        if value < best[0]:
            best[:] = [value, z.copy()]
        grad = grad[free]
        grad[is_scale] *= theta[layout["scale"]]
        if is_tau.any():
            grad[is_tau] /= membrane_coefficients(float(theta[layout["tau"]]), dt, method)[5]
        return value, grad

    bounds = [(float(np.log(GAIN_BOUNDS[0])), float(np.log(GAIN_BOUNDS[1]))) if tau else (None, None)
              for tau in is_tau]
    solution = _minimize_with_restarts(objective, z0, bounds, options)
    solution.n_evaluations = evaluations[0]
    if not solution.fun <= best[0]:
        solution.x, solution.fun = best[1], best[0]
    return to_theta(solution.x), solution


def _spike_hessian(problem: GIFProblem, i: int, theta: np.ndarray, columns: np.ndarray, relative_step: float):
    """The Hessian of neuron ``i``'s ``-log L`` in the entries ``columns`` (natural coordinates): central
    differences of the exact gradient, steps relative to ``max(|theta|, 1)`` (``tau``: to ``tau``)."""
    hessian = np.empty((columns.size, columns.size))
    for a, j in enumerate(columns):
        size = abs(theta[j]) if j == problem.layout["tau"] else max(abs(theta[j]), 1.0)
        step = relative_step * size
        plus, minus = theta.copy(), theta.copy()
        plus[j] += step
        minus[j] -= step
        hessian[:, a] = (problem.evaluate(i, plus)[1][columns] - problem.evaluate(i, minus)[1][columns]) / (2 * step)
    return 0.5 * (hessian + hessian.T)


#: Newton steps (with the finite-difference Hessian the standard errors need anyway) taken after L-BFGS-B when
#: its point is short of the convergence criterion: L-BFGS-B can stop on "relative reduction of f" with a Newton
#: decrement of a few 1e-3 nats (measured: 3 of 240 GIF neurons).
MAX_NEWTON_STEPS = 5


def _newton_step(problem: GIFProblem, i: int, theta: np.ndarray, free: np.ndarray, step: np.ndarray, value: float):
    """``theta - step`` on the entries ``free``, halved until the log-likelihood rises (at most 30 times; a
    step that leaves the feasible set counts as no rise); ``theta`` itself if none does."""
    size = 1.0
    for _ in range(30):
        trial = theta.copy()
        trial[free] -= size * step
        if trial[problem.layout["tau"]] > 0 and trial[problem.layout["scale"]] > 0:
            try:
                if problem.evaluate(i, trial, gradient=False)[0] > value:
                    return trial
            except Infeasible:
                pass
        size *= 0.5
    return theta


def _covariance(hessian: np.ndarray):
    """``(covariance, smallest)``: the inverse of a positive definite Hessian, else NaNs and the smallest
    eigenvalue of ``D^-1/2 H D^-1/2`` (``D`` its diagonal: the test does not depend on the parameters' units, which
    differ by orders of magnitude, e.g. ``tau`` in seconds against a weight)."""
    diagonal = np.diagonal(hessian)
    if not (np.all(np.isfinite(hessian)) and np.all(diagonal > 0)):
        return np.full_like(hessian, np.nan), float(np.nan if not np.all(np.isfinite(diagonal)) else diagonal.min())
    norm = np.sqrt(np.outer(diagonal, diagonal))
    scaled = hessian / norm
    eigenvalues = np.linalg.eigvalsh(scaled)
    if eigenvalues.min() > 1e-12 * eigenvalues.max():
        return np.linalg.inv(scaled) / norm, None
    return np.full_like(hessian, np.nan), float(eigenvalues.min())


def _decrement(gradient: np.ndarray, covariance: np.ndarray) -> float:
    """The Newton decrement ``g^T H^-1 g / 2`` (nats)."""
    return 0.5 * float(gradient @ covariance @ gradient)


# ------------------------------------------------------------------ voltage: step 1
def _voltage_design(problem: GIFProblem, i: int, theta: np.ndarray, with_tangent: bool):
    """The teacher-forced ``u_free`` (trial, step) of neuron ``i`` as a linear function of ``(w, b)`` at
    ``theta``'s ``tau``: the design (trial, step, n_inputs + K) and, if asked, ``du_free/dtau``."""
    data, layout, dt, method = problem.data[i], problem.layout, problem.model.dt, problem.model.method
    alpha, gain, v, d_alpha, d_gain, dz_dtau = membrane_coefficients(float(theta[layout["tau"]]), dt, method)
    entry, entry_dz = propagator_entry(dt / problem.adaptation_taus, v, method)
    source = np.concatenate([gain * data.covariates, data.adaptation_traces * entry], axis=2)
    design = reset_filter(alpha, np.ascontiguousarray(source), data.resets, data.held)
    if not with_tangent:
        return design, None
    u_free = membrane(theta, data, layout, problem.adaptation_taus, dt, method)[0]
    previous = np.zeros_like(u_free)
    previous[:, 1:] = np.where(data.resets[:, :-1], 0.0, u_free[:, :-1])
    tangent_source = (d_alpha * previous + d_gain * (data.covariates @ theta[layout["weights"]])
                      + data.adaptation_traces @ (theta[layout["adaptation"]] * entry_dz))
    tangent = reset_filter(alpha, tangent_source[:, :, None], data.resets, data.held)[:, :, 0]
    return design, tangent * dz_dtau


def _voltage_fit(problem: GIFProblem, i: int, start: np.ndarray):
    """Step 1 for neuron ``i``: least squares of the voltage on ``u_free`` over ``(w, b)`` (linear) and ``tau``
    (Brent on ``z = log(gain)``). Returns ``(theta, covariance over the step-1 columns, voltage SD, decrement)``."""
    data, layout, dt, method = problem.data[i], problem.layout, problem.model.dt, problem.model.method
    observed = ~data.resets
    voltage = problem.voltage[:, :, i][observed]
    linear = problem.columns(("weights", "adaptation"))

    def solve(theta):
        design = _voltage_design(problem, i, theta, False)[0][observed]
        coefficients = np.linalg.lstsq(design, voltage, rcond=None)[0]
        return coefficients, float(np.sum((voltage - design @ coefficients) ** 2))

    def at_z(z):
        theta = start.copy()
        gain = math.exp(z)
        theta[layout["tau"]] = dt / gain if method == "euler" else -dt / math.log1p(-gain)
        return theta

    z0 = math.log(membrane_coefficients(float(start[layout["tau"]]), dt, method)[1])
    upper = min(z0 + 4.0, math.log(GAIN_BOUNDS[1]))
    result = optimize.minimize_scalar(lambda z: solve(at_z(z))[1], bounds=(max(z0 - 6.0, math.log(GAIN_BOUNDS[0])),
                                      upper), method="bounded", options={"xatol": 1e-10})
    theta = at_z(result.x)
    theta[linear] = solve(theta)[0]
    design, tangent = _voltage_design(problem, i, theta, True)
    jacobian = np.column_stack([design[observed], tangent[observed]])
    residual = voltage - design[observed] @ theta[linear]
    n, k = residual.size, jacobian.shape[1]
    variance = float(residual @ residual) / (n - k)
    information = jacobian.T @ jacobian / variance
    covariance = _covariance(information)[0]
    gradient = jacobian.T @ residual / variance
    return theta, covariance, math.sqrt(variance), _decrement(gradient, covariance), n - k


# ------------------------------------------------------------------ one neuron, both modes
def _fit_neuron(problem: GIFProblem, i: int, groups: tuple, options: dict, hessian_step: float):
    """Neuron ``i``'s estimates, covariance (parameter, parameter; 0 for held entries), training ``log L`` and
    outcome ``(converged, message, extras)``."""
    k = len(problem.names)
    covariance = np.zeros((k, k))
    extras = {}
    start = problem.initial[i].copy()
    messages = []
    if problem.voltage is not None:
        start, step1_cov, voltage_sd, decrement1, dof = _voltage_fit(problem, i, start)
        step1 = problem.columns(_VOLTAGE)
        covariance[np.ix_(step1, step1)] = step1_cov
        extras = {"voltage_sd": voltage_sd, "voltage_sd_se": voltage_sd / math.sqrt(2.0 * dof)}
        converged1 = bool(decrement1 < NEWTON_DECREMENT and np.all(np.isfinite(step1_cov)))
        messages.append(f"voltage step: Newton decrement {decrement1:.2g} nats")
    else:
        step1, step1_cov, converged1 = np.zeros(0, dtype=np.int64), None, True
    free = problem.columns(groups)
    theta, solution = _spike_fit(problem, i, start, free, options)
    # the Hessian over the spike step's columns and, with a voltage, the step-1 columns (Murphy-Topel)
    both = np.concatenate([free, step1])
    for polish in range(MAX_NEWTON_STEPS + 1):
        try:
            hessian = _spike_hessian(problem, i, theta, both, hessian_step)
        except Infeasible:
            hessian = np.full((both.size, both.size), np.nan)
        inverse, smallest = _covariance(hessian[:free.size, :free.size])
        value, gradient = problem.evaluate(i, theta)
        if smallest is not None:
            break
        decrement = _decrement(gradient[free], inverse)
        if decrement < NEWTON_DECREMENT or polish == MAX_NEWTON_STEPS:
            break
        theta = _newton_step(problem, i, theta, free, inverse @ gradient[free], value)
    spike_cov = inverse
    if step1.size and smallest is None:
        h21 = hessian[:free.size, free.size:]
        spike_cov = inverse + inverse @ h21 @ step1_cov @ h21.T @ inverse
    covariance[np.ix_(free, free)] = spike_cov
    if smallest is None:
        converged = converged1 and decrement < NEWTON_DECREMENT
        messages.append(f"{solution.message}; {polish} Newton steps after it; Newton decrement {decrement:.2g} nats")
    else:
        converged = False
        messages.append(f"the observed Fisher information is not positive definite (smallest eigenvalue "
                        f"{smallest:.3g} of its correlation form): not identifiable from these data")
    extras.update(n_iterations=int(solution.nit), n_restarts=int(getattr(solution, "n_restarts", 0)),
                  n_evaluations=int(solution.n_evaluations), smallest=smallest)
    return theta, covariance, value, converged, "; ".join(messages), extras


# ------------------------------------------------------------------ the public entry points
@dataclasses.dataclass
class GIFFit:
    """The outcome of :func:`fit_gif`.

    Attributes
    ----------
    dataset : xarray.Dataset
        ``estimate``, ``se``, ``fixed`` (neuron, parameter), ``covariance`` (neuron, parameter, parameter_2),
        ``log_likelihood`` (training spikes, nats), ``n_spikes``, with a voltage ``voltage_sd`` and its SE;
        attrs: ``converged`` (every neuron's Newton decrements below the criterion), ``mode``, the model JSON.
    model : LIF
        The fitted neuron (per-neuron amplitudes, ``tau``, threshold and scale): ``simulate(model,
        inputs=fit.drive(x))`` runs it.
    weights : array (n_neurons, n_inputs)
    problem : GIFProblem
    """

    dataset: xr.Dataset
    model: LIF
    weights: np.ndarray
    problem: GIFProblem

    drive = FitResult.drive

    def _per_neuron(self, spikes, inputs, silence: bool):
        dense, _ = dense_spikes(spikes)
        if dense.shape[2] != self.weights.shape[0]:
            raise ValueError(f"spikes has {dense.shape[2]} neurons; the fit has {self.weights.shape[0]}")
        covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
        problem, model = self.problem, self.problem.model
        theta = self.dataset["estimate"].values
        out = []
        for i in range(dense.shape[2]):
            dead = int(round(float(per_neuron("tau_ref", model.tau_ref, dense.shape[2])[i]) / model.dt))
            data = neuron_data(dense[:, :, i], covariates, dead, problem.adaptation_taus, problem.threshold_taus,
                               model.dt, model.method)
            out.append(problem.evaluate(i, theta[i], gradient=False, data=data, silence=silence))
        if silence:
            return np.stack([entry[1] for entry in out], axis=2)
        return np.array([entry[0] for entry in out])

    def log_likelihood(self, inputs, spikes) -> np.ndarray:
        """Per-neuron log-likelihood (nats) of other (held-out) ``inputs`` and ``spikes`` under the fit."""
        return self._per_neuron(spikes, inputs, False)

    def log_silence(self, inputs, spikes) -> np.ndarray:
        """``log(1 - p[t])`` (trial, step, neuron), teacher forced (0 while refractory): for
        :func:`~nsnn_sim.fit.time_rescaling`."""
        return self._per_neuron(spikes, inputs, True)

    def kernel(self) -> xr.Dataset:
        """The identifiable spike-history amplitudes of every neuron (:func:`spike_history_kernel`) with their
        SEs (delta method, the derivative by central differences)."""
        theta = self.dataset["estimate"].values
        covariance = np.nan_to_num(self.dataset["covariance"].values, nan=0.0)
        problem = self.problem
        values, errors = [], []
        for i in range(theta.shape[0]):
            def amplitudes(row):
                return spike_history_kernel(problem.fitted_model(row[None]), neuron=0)[1]

            centre = amplitudes(theta[i])
            jacobian = np.empty((centre.size, theta.shape[1]))
            for j in range(theta.shape[1]):
                step = 1e-6 * max(abs(theta[i, j]), 1e-3)
                plus, minus = theta[i].copy(), theta[i].copy()
                plus[j] += step
                minus[j] -= step
                jacobian[:, j] = (amplitudes(plus) - amplitudes(minus)) / (2 * step)
            values.append(centre)
            errors.append(np.sqrt(np.einsum("ij,jk,ik->i", jacobian, covariance[i], jacobian)))
        taus = spike_history_kernel(problem.fitted_model(theta[:1]), neuron=0)[0]
        terms = ["m_0 (tau)"] + [f"m_{c + 1} ({tau:g} s)" for c, tau in enumerate(taus[1:])]
        return xr.Dataset({"amplitude": (("neuron", "term"), np.array(values)),
                           "se": (("neuron", "term"), np.array(errors)), "tau": ("term", taus)},
                          coords={"neuron": np.arange(theta.shape[0]), "term": terms})


def spike_history_kernel(model, neuron: int = 0) -> HistoryKernel:
    """The identifiable combinations of a GIF's spike-history amplitudes (module docstring).

    Returns :class:`HistoryKernel` ``(taus, m)``: ``taus[0]`` is the membrane's ``tau`` and ``m[0] = sum_k c_k b_k``
    the amplitude of ``alpha^n``; then, for each distinct component time constant (increasing),
    ``m_c = sum_{k at c} c_k b_k + sum_{j at c} jump_j``, with ``c_k = -P_k/(e_k - alpha)``. The effect of a spike
    on ``u - theta_t`` ``n`` steps later, without reset, is ``-sum_c m_c e_c^n + m_0 alpha^n``.
    """
    _check_gif_model(model)
    neuron = whole_number("neuron", neuron, minimum=0)
    adaptation_taus = _component_taus(model, "adaptation")
    threshold_taus = _component_taus(model, "moving_threshold")
    tau = float(per_neuron("tau", model.tau, neuron + 1)[neuron])
    alpha, _, v = membrane_coefficients(tau, model.dt, model.method)[:3]
    decays = component_decay(adaptation_taus, model.dt, model.method)
    if np.any(np.isclose(decays, alpha, rtol=1e-12, atol=0.0)):
        raise ValueError(f"model.adaptation: a time constant equal to tau={tau:g} s has the kernel n alpha^n, "
                         "not a sum of exponentials; no combination is defined")
    entry = propagator_entry(model.dt / adaptation_taus, v, model.method)[0]
    c = -entry / (decays - alpha)
    b = np.array([float(per_neuron("b", component.b, neuron + 1)[neuron]) for component in model.adaptation])
    jumps = np.array([float(per_neuron("jump", component.jump, neuron + 1)[neuron])
                      for component in model.moving_threshold])
    distinct = np.unique(np.concatenate([adaptation_taus, threshold_taus]))
    amplitudes = [float(np.sum(c * b))]
    for tau_c in distinct:
        amplitudes.append(float(np.sum((c * b)[adaptation_taus == tau_c]) + np.sum(jumps[threshold_taus == tau_c])))
    return HistoryKernel(np.concatenate([[tau], distinct]), np.array(amplitudes))


def gif_log_likelihood(model, inputs, spikes, weights) -> np.ndarray:
    """The exact teacher-forced log-likelihood (nats, per neuron) of ``spikes`` under the GIF ``model`` with the
    covariate weights ``weights`` (n_neurons, n_inputs) (:mod:`nsnn_sim.fit.gif_likelihood`)."""
    problem = GIFProblem.build(spikes, inputs, model, weights=weights)
    return np.array([problem.evaluate(i, problem.initial[i], gradient=False)[0] for i in range(problem.n_neurons)])


def _groups(parameters, voltage, model) -> tuple:
    hazard = getattr(model, "firing", None) == "hazard"
    if parameters is None:
        if voltage is not None:
            return ("moving_threshold", "threshold", "scale")
        return ("weights", "adaptation", "moving_threshold", "tau", "rho_0" if hazard else "scale")
    if isinstance(parameters, str):
        parameters = (parameters,)
    allowed = ("moving_threshold", "threshold", "scale") if voltage is not None else GROUPS[:6] + ("rho_0",) * hazard
    parameters = tuple(parameters)
    for name in parameters:
        if name not in allowed:
            where = " with a voltage (step 2)" if voltage is not None else ""
            raise ValueError(f"parameters contains {name!r}; allowed{where}: {allowed}")
    if not parameters or len(set(parameters)) != len(parameters):
        raise ValueError(f"parameters={parameters!r} must name each of {allowed} at most once, at least one")
    return parameters


def fit_gif(model, inputs, spikes, *, voltage=None, parameters=None, weights=None, input_names=None,
            max_iterations: int = 1000, tolerance: float = 1e-10, hessian_step: float = 1e-4) -> GIFFit:
    """Fit GIF neurons (the LIF with spike-triggered adaptation and a moving threshold) by maximum likelihood.

    Parameters
    ----------
    model : LIF
        ``firing="escape"`` or ``"hazard"``, ``u_rest = u_reset = 0``, ``reset="zero"``, no synapses; its
        ``adaptation`` (``Adaptation(tau_k, 0, b_k)``) and ``moving_threshold`` (``MovingThreshold(tau_j, jump_j)``)
        give the time constants (one number each, fixed) and the initial amplitudes; ``tau``, ``threshold`` and
        the scale the initial (or fixed) values.
    inputs : array (n_steps, n_inputs) or (n_trials, n_steps, n_inputs)
        Covariates ``x[t]``; neuron ``i`` receives the current ``w_i . x[t]`` (membrane units).
    spikes : SpikeTrains or array (n_steps, n_neurons) or (n_trials, n_steps, n_neurons) of 0 and 1
        The observed spikes: ``(model, inputs, spikes)`` as ``simulate(model, inputs)`` produces them.
    voltage : array, optional
        The recorded membrane potential (membrane units, the dense spikes' shape ``(n_trials, n_steps, n_neurons)``;
        a recorded ``result.state`` is ``np.swapaxes(result.state, 1, 2)``): the two-step fit (module docstring).
    parameters : tuple of str, optional
        The groups fitted by maximum likelihood on the spikes, from :data:`GROUPS` (``"rho_0"``, fitted as
        ``log_rho_0``, for the hazard rule only); default, from spikes alone, ``weights``, ``adaptation``,
        ``moving_threshold``, ``tau`` and ``rho_0`` (hazard) or ``scale`` (escape): the identifiable ones (module
        docstring); with a voltage from
        ``("moving_threshold", "threshold", "scale")``, default all three (step 1 always fits ``weights``,
        ``adaptation`` and ``tau``).
    weights : array (n_neurons, n_inputs), optional
        Initial weights (default 0).
    input_names : list of str, optional
    max_iterations, tolerance, hessian_step
        As :func:`~nsnn_sim.fit.fit_escape`.

    Returns
    -------
    GIFFit

    Raises
    ------
    ValueError, TypeError
        Before any kernel runs: bad shapes, non-binary spikes, a voltage that is not finite or of another shape, a
        model the fit does not cover (naming the field), unknown parameter groups; then an impossible initial
        point (an observed spike with ``p = 0``).
    """
    started = time.perf_counter()
    groups = _groups(parameters, voltage, model)
    max_iterations = whole_number("max_iterations", max_iterations)
    tolerance = numeric_parameter("tolerance", tolerance, lower=0.0, lower_open=True)
    hessian_step = numeric_parameter("hessian_step", hessian_step, lower=0.0, upper=0.1, lower_open=True)
    problem = GIFProblem.build(spikes, inputs, model, voltage=voltage, weights=weights, input_names=input_names)
    for i in range(problem.n_neurons):
        try:
            problem.evaluate(i, problem.initial[i], gradient=False)
        except Infeasible as error:
            trial, step, spike, x = error.args
            raise ValueError(f"log-likelihood is -inf at the initial parameters: neuron {i}, trial {trial}, step "
                             f"{step} ({'a spike with p = 0' if spike else 'a silence with p = 1'}, u - theta_t = "
                             f"{x:.6g}); start from a larger {_scale_name(model)} or check tau_ref") from None
    options = {"maxiter": max_iterations, "ftol": tolerance, "gtol": tolerance, "maxcor": 20}
    n_threads = max(1, min(int(numba.get_num_threads()), problem.n_neurons))
    with single_blas_thread(), ThreadPoolExecutor(max_workers=n_threads) as pool:
        outcomes = list(pool.map(lambda i: _fit_neuron(problem, i, groups, options, hessian_step),
                                 range(problem.n_neurons)))
    for i, outcome in enumerate(outcomes):
        if outcome[5]["smallest"] is not None:
            warnings.warn(f"neuron {i}: {outcome[4]}; its standard errors are NaN", RuntimeWarning, stacklevel=2)
    theta = np.array([outcome[0] for outcome in outcomes])
    fitted = problem.fitted_model(theta)
    return GIFFit(_dataset(problem, groups, outcomes, fitted, time.perf_counter() - started), fitted,
                  theta[:, problem.layout["weights"]].copy(), problem)


def _dataset(problem: GIFProblem, groups, outcomes, fitted, seconds) -> xr.Dataset:
    theta = np.array([outcome[0] for outcome in outcomes])
    covariance = np.array([outcome[1] for outcome in outcomes])
    free = problem.columns(groups if problem.voltage is None else tuple(groups) + _VOLTAGE)
    fixed = np.ones(theta.shape, dtype=bool)
    fixed[:, free] = False
    names = problem.names
    data = {"estimate": (("neuron", "parameter"), theta),
            "se": (("neuron", "parameter"), np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))),
            "covariance": (("neuron", "parameter", "parameter_2"), covariance),
            "fixed": (("neuron", "parameter"), fixed, {"meaning": "held at its value, SE 0"}),
            "log_likelihood": ("neuron", np.array([outcome[2] for outcome in outcomes]), {"units": "nats"}),
            "n_spikes": ("neuron", problem.spikes.sum(axis=(0, 1)))}
    if problem.voltage is not None:
        data["voltage_sd"] = ("neuron", np.array([outcome[5]["voltage_sd"] for outcome in outcomes]))
        data["voltage_sd_se"] = ("neuron", np.array([outcome[5]["voltage_sd_se"] for outcome in outcomes]))
    return xr.Dataset(data, coords={"neuron": np.arange(theta.shape[0]), "parameter": names, "parameter_2": names},
                      attrs={"model": fitted.to_json(), "firing": fitted.firing,
                             "mode": "spikes" if problem.voltage is None else "voltage, then spikes",
                             "parameters": ",".join(groups),
                             "converged": int(all(outcome[3] for outcome in outcomes)),
                             "message": next((f"neuron {i}: {outcome[4]}" for i, outcome in enumerate(outcomes)
                                              if not outcome[3]), outcomes[0][4]),
                             "n_iterations": int(max(outcome[5]["n_iterations"] for outcome in outcomes)),
                             "n_iterations_total": int(sum(outcome[5]["n_iterations"] for outcome in outcomes)),
                             "n_evaluations": int(sum(outcome[5]["n_evaluations"] for outcome in outcomes)),
                             "n_restarts_total": int(sum(outcome[5]["n_restarts"] for outcome in outcomes)),
                             "seconds": float(seconds), **provenance()})
