"""Maximum-likelihood fits of escape-noise neurons to spike trains: :func:`fit_escape`, :func:`log_likelihood`.

The teacher-forced log-likelihood (:mod:`nsnn_sim.fit.likelihood`) separates over neurons: neuron ``i``'s
terms depend only on its own parameters (the couplings act through the *observed* spikes), so the joint
maximum is the set of the per-neuron maxima. Each neuron's block (:meth:`Problem.block`) is fitted on its own
by L-BFGS-B (``scipy.optimize.minimize``, with bounds, the analytic gradient); the blocks run on a pool of
``numba.get_num_threads()`` threads (the kernels release the GIL), and each block's numbers depend on its own
data only, not on the thread count or the order. The observed Fisher information, the Hessian of ``-log L``,
is exactly block diagonal (one ``k x k`` block per neuron); each block is computed by central differences of
the analytic gradient (``2k`` gradient evaluations of the one neuron). Standard errors are the square roots
of the diagonal of its inverse.
``AIC = 2k - 2 log L``, ``BIC = k log(n) - 2 log L`` with ``n`` the number of observed (non-refractory) bins.

Examples
--------
>>> import numpy as np
>>> import nsnn_sim as ns
>>> from nsnn_sim.fit.estimate import log_likelihood
>>> spikes = np.zeros((1, 200, 1)); spikes[0, ::20, 0] = 1  # (trial, step, neuron)
>>> model = ns.NSNN(firing="escape", noise="logistic", noise_scale=0.2)
>>> log_likelihood(model, np.ones((1, 200, 1)), spikes, np.array([[0.5]])).round(4)
array([-124.3533])
"""

from __future__ import annotations

import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import xarray as xr
from scipy import optimize

from nsnn_sim._core.blas import single_blas_thread
from nsnn_sim._core.version import provenance
from nsnn_sim.fit.problem import GAIN_BOUNDS, Problem, covariate_array, dense_spikes, parameter_names

__all__ = ["fit_escape", "log_likelihood", "FitResult"]


@dataclass
class FitResult:
    """The outcome of :func:`fit_escape`.

    Attributes
    ----------
    dataset : xarray.Dataset
        ``estimate``, ``se`` and ``fixed`` (neuron, parameter), ``covariance`` (neuron, parameter, parameter_2),
        ``log_likelihood``, ``aic``, ``bic``, ``n_spikes``, ``n_observations`` (neuron); attrs: the totals,
        the fitted model (JSON), the optimiser's outcome (``converged``: every neuron's Fisher information is
        positive definite and its Newton decrement below :data:`NEWTON_DECREMENT`).
    model : NSNN or LIF
        The fitted model (per-neuron decay and noise scale), ready for :func:`nsnn_sim.simulate`.
    weights : array (n_neurons, n_inputs)
        Fitted covariate weights: ``simulate(model, inputs=drive(x))``.
    couplings : array (n_neurons, n_neurons) or None
        ``V[post, pre]``: ``simulate(..., connections=couplings)`` (a bare matrix: one step of delay).
    """

    dataset: xr.Dataset
    model: object
    weights: np.ndarray
    couplings: np.ndarray | None
    problem: Problem

    def drive(self, inputs) -> np.ndarray:
        """The fitted model's input current ``w . x[t]`` per neuron, shape ``(..., n_steps, n_neurons)``."""
        covariates = np.asarray(inputs, dtype=np.float64)
        if covariates.shape[-1] != self.weights.shape[1]:
            raise ValueError(f"inputs has {covariates.shape[-1]} covariates; the fit has {self.weights.shape[1]}")
        return covariates @ self.weights.T

    def simulate(self, inputs, n_trials: int = 1, seed: int = 0):
        """``nsnn_sim.simulate`` of the fitted model with the covariates ``inputs`` ``(n_steps, n_inputs)`` or
        ``(n_trials, n_steps, n_inputs)`` (and the fitted couplings)."""
        from nsnn_sim.simulator.engine import simulate

        drive = self.drive(inputs)
        return simulate(self.model, drive, n_neurons=self.weights.shape[0], n_steps=drive.shape[-2],
                        n_trials=n_trials, seed=seed, connections=self.couplings)

    def log_likelihood(self, inputs, spikes) -> np.ndarray:
        """Per-neuron log-likelihood (nats) of other (held-out) ``inputs`` and ``spikes`` under the fit."""
        dense, _ = dense_spikes(spikes)
        if dense.shape[2] != self.weights.shape[0]:
            raise ValueError(f"spikes has {dense.shape[2]} neurons; the fit has {self.weights.shape[0]}")
        covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
        theta = self.dataset["estimate"].values
        return self.problem.evaluate(theta, gradient=False, spikes=dense, covariates=covariates)[0]

    def log_silence(self, inputs, spikes) -> np.ndarray:
        """``log(1 - p[t])`` (trial, step, neuron) of ``spikes`` under the fit, teacher forced (0 while
        refractory): the integrated intensity of :func:`~nsnn_sim.fit.compare.time_rescaling`."""
        dense, _ = dense_spikes(spikes)
        covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
        return self.problem.evaluate(self.dataset["estimate"].values, gradient=False, spikes=dense,
                                     covariates=covariates, silence=True)[1]


def log_likelihood(model, inputs, spikes, weights, couplings=None, gradient: bool = False):
    """The exact teacher-forced log-likelihood of ``spikes`` under an escape-noise ``model``.

    ``log L = sum_t s[t] log p[t] + (1 - s[t]) log(1 - p[t])``, ``p[t] = F(u_free[t] - theta; scale)``, with the
    observed spikes deciding the resets (:mod:`nsnn_sim.fit.likelihood`).

    Parameters
    ----------
    model : NSNN or LIF with ``firing="escape"``
    inputs : array (n_steps, n_inputs) or (n_trials, n_steps, n_inputs)
        Covariates ``x[t]``; neuron ``i`` receives ``weights[i] . x[t]``.
    spikes : SpikeTrains or array (n_steps, n_neurons) or (n_trials, n_steps, n_neurons) of 0 and 1
    weights : array (n_neurons, n_inputs)
    couplings : array (n_neurons, n_neurons), optional
        ``V[post, pre]``, one step of delay.
    gradient : bool
        Also return the gradient of ``log L`` (a dict: ``"weights"``, ``"couplings"``, the decay ``"beta"``
        or ``"tau"``, the scale ``"noise_scale"`` or ``"sigma"``; per neuron).

    Returns
    -------
    log_likelihood : array (n_neurons,)
        Nats, per neuron.
    gradient : dict
        Only with ``gradient=True``.

    Raises
    ------
    ValueError
        Shapes that do not match, non-binary spikes, a model without an exact likelihood, or parameters
        that give an observed spike ``p = 0`` (or an observed silence ``p = 1``): ``log L = -inf``.
    """
    groups = ("weights",) + (("couplings",) if couplings is not None else ())
    decay, scale = parameter_names(model)
    problem = Problem.build(spikes, inputs, model, groups + (decay, scale), weights=weights, couplings=couplings)
    values, grad = problem.evaluate(problem.initial, gradient=gradient)
    if not gradient:
        return values
    out, start = {}, 0
    for group, width in (("weights", problem.n_inputs), ("couplings", problem.n_neurons), (decay, 1), (scale, 1)):
        if group in problem.groups:
            block = -grad[:, start:start + width]
            out[group] = block[:, 0] if width == 1 and group in (decay, scale) else block
            start += width
    return values, out


def _hessian(problem: Problem, theta: np.ndarray, bounds: list, relative_step: float,
             parallel: bool = False) -> np.ndarray:
    """Per-neuron Hessian of ``-log L`` (n_neurons, k, k): central differences of the analytic gradient,
    slot ``j`` of every neuron at once (the likelihood separates over neurons), clipped into the bounds;
    the columns of fixed entries (:meth:`Problem.fixed`) are 0."""
    n_neurons, k = theta.shape
    hessian = np.empty((n_neurons, k, k))
    scale = np.maximum(np.abs(theta), problem.typical())
    fixed = problem.fixed()
    for j in range(k):
        step = np.where(fixed[:, j], 0.0, relative_step * scale[:, j])
        lower, upper = bounds[j]
        plus, minus = theta.copy(), theta.copy()
        plus[:, j] = theta[:, j] + step if upper is None else np.minimum(theta[:, j] + step, upper)
        minus[:, j] = theta[:, j] - step if lower is None else np.maximum(theta[:, j] - step, lower)
        grad_plus = problem.evaluate(plus, parallel=parallel)[1]
        grad_minus = problem.evaluate(minus, parallel=parallel)[1]
        width = np.where(fixed[:, j], 1.0, plus[:, j] - minus[:, j])
        hessian[:, :, j] = np.where(fixed[:, j, None], 0.0, (grad_plus - grad_minus) / width[:, None])
    hessian[np.broadcast_to(fixed[:, :, None], hessian.shape)] = 0.0
    return 0.5 * (hessian + hessian.transpose(0, 2, 1))


def fit_escape(model, inputs, spikes, parameters=("weights", "decay", "scale"), *, weights=None, couplings=None,
               input_names=None, max_iterations: int = 1000, tolerance: float = 1e-10,
               hessian_step: float = 1e-4) -> FitResult:
    """Fit an escape-noise NSNN or LIF to observed spike trains by maximum likelihood.

    Maximises the exact teacher-forced log-likelihood (:func:`log_likelihood`) over the per-neuron
    parameters named in ``parameters`` with L-BFGS-B (analytic gradient: the learner's backward pass), then
    computes standard errors from the observed Fisher information (module docstring). Parameters not
    fitted keep the values of ``model`` (and of ``weights``, ``couplings``); the threshold is always fixed.

    Parameters
    ----------
    model : NSNN or LIF with ``firing="escape"`` and any noise family
        The initial values (and the fixed ones); an LIF needs ``u_rest = u_reset = 0``.
    inputs : array (n_steps, n_inputs) or (n_trials, n_steps, n_inputs)
        Covariates ``x[t]`` (e.g. :func:`~nsnn_sim.fit.basis.filtered_covariates` for a stimulus filter);
        neuron ``i`` receives the current ``w_i . x[t]``.
    spikes : SpikeTrains or array (n_steps, n_neurons) or (n_trials, n_steps, n_neurons) of 0 and 1
        The observed spikes: ``(model, inputs, spikes)`` in the order of ``simulate(model, inputs)`` and of
        ``learn.train(network, inputs, targets)``.
    parameters : tuple of str
        From ``"weights"``, ``"couplings"``, the decay (``"beta"`` for the NSNN, ``"tau"`` for the LIF) and the
        noise scale (``"noise_scale"``, ``"sigma"``); ``"decay"`` and ``"scale"`` stand for the model's names.
    weights, couplings : array, optional
        Initial (or fixed) weights ``(n_neurons, n_inputs)`` (default 0) and couplings ``V[post, pre]``.
    input_names : list of str, optional
        Names of the covariates (parameters ``w_<name>``).
    max_iterations, tolerance : int, float
        L-BFGS-B's ``maxiter`` and ``ftol`` (``gtol`` is ``tolerance`` too).
    hessian_step : float
        Relative step of the finite differences of the gradient.

    Notes
    -----
    The LIF's ``tau`` is optimised as ``z = log(1 - alpha)`` (``alpha`` the decay per step), kept in
    ``1e-6 <= alpha <= 1 - 1e-12`` (:data:`~nsnn_sim.fit.problem.GAIN_BOUNDS`; ``tau >= dt/13.8`` with
    ``method="exact"``, ``tau >= dt (1 + 1e-6)`` with Euler). In ``tau`` itself the gradient is exactly 0 wherever
    ``alpha = exp(-dt/tau)`` underflows, a flat region an overshooting step can fall into and never leave; in
    ``z`` it is ``-(1 - alpha) d log L/d alpha``, which stays of the size of ``d log L/d alpha`` down to the
    bound, and ``z ~ log(dt/tau)`` for ``tau >> dt`` (scale-free, as ``log tau``). The noise scale is optimised
    as its logarithm.

    Returns
    -------
    FitResult
        ``.dataset`` (estimates, SEs, log-likelihood, AIC, BIC), ``.model``, ``.weights``, ``.couplings``.

    Raises
    ------
    ValueError, TypeError
        Bad shapes, non-binary spikes, a model without an exact likelihood, unknown parameter names, or an
        initial point with an impossible observed step (``p = 0`` at a spike): before any optimisation.
    """
    started = time.perf_counter()
    decay, scale = parameter_names(model)
    if isinstance(parameters, str):
        parameters = (parameters,)
    parameters = tuple({"decay": decay, "scale": scale}.get(name, name) for name in parameters)
    problem = Problem.build(spikes, inputs, model, parameters, weights=weights, couplings=couplings,
                            input_names=input_names)
    if "couplings" in problem.groups and np.any(problem.initial[problem.fixed()] != 0):
        raise ValueError("couplings: the diagonal (a neuron's coupling from itself) must be 0 when the couplings "
                         "are fitted (it is held there: the reset is the model's own spike history)")
    problem.evaluate(problem.initial, gradient=False)  # an impossible start raises here, clearly
    options = {"maxiter": max_iterations, "ftol": tolerance, "gtol": tolerance, "maxcor": 20}
    blocks = [problem.block(i) for i in range(problem.n_neurons)]
    n_threads = max(1, min(int(numba.get_num_threads()), problem.n_neurons))
    # one BLAS thread while the blocks run: L-BFGS-B's and the Hessian's small BLAS calls from several threads
    # into a threaded OpenBLAS spin and wait on each other (measured: a 4-neuron fit took 68 s instead of 0.8 s)
    with single_blas_thread(), ThreadPoolExecutor(max_workers=n_threads) as pool:
        outcomes = list(pool.map(lambda block: _fit_block(block[0], options, hessian_step), blocks))
    k = len(problem.names)
    theta, covariance = np.empty((problem.n_neurons, k)), np.full((problem.n_neurons, k, k), np.nan)
    for i, ((block_theta, block_covariance, _, smallest), (_, take)) in enumerate(zip(outcomes, blocks)):
        theta[i] = block_theta[take]
        covariance[i] = block_covariance[np.ix_(take, take)]
        if smallest is not None:
            warnings.warn(f"neuron {i}: the observed Fisher information is not positive definite (smallest "
                          f"eigenvalue {smallest:.3g}); its standard errors are NaN: the parameters are "
                          "not identifiable from these spikes (too few spikes, or a parameter at a bound)",
                          RuntimeWarning, stacklevel=2)
    values, _ = problem.evaluate(theta, gradient=False)
    solutions = [outcome[2] for outcome in outcomes]
    result_model, result_weights, result_couplings = problem.unpack(theta)
    return FitResult(_dataset(problem, theta, covariance, values, solutions, time.perf_counter() - started,
                              result_model),
                     result_model, result_weights, result_couplings, problem)


def _fit_block(problem: Problem, options: dict, hessian_step: float):
    """One neuron's maximum-likelihood fit (a one-neuron :class:`Problem`, :meth:`Problem.block`): L-BFGS-B
    on its parameters, then its observed Fisher information. Runs on any thread (the kernels release the
    GIL); the numbers depend on the neuron's data only. Returns ``(theta, covariance, solution, smallest)``
    with ``smallest`` the smallest eigenvalue of a Fisher information that is not positive definite (else None)."""
    values, _ = problem.evaluate(problem.initial, gradient=False, parallel=False)
    to_theta, from_theta, chain, scaled_bounds = _internal_coordinates(problem)
    shape = problem.initial.shape
    # a trial point of the line search with an impossible step (p = 0 at a spike), or one whose -log L lies
    # far above the start's, gets the same value far above the start's (an "extreme barrier"): the line
    # search backtracks from it. Without the cap an astronomically large finite value (e.g. -log L = 5e50 at
    # a hazard neuron's tau = dt) makes the cubic backtracking take a vanishing step, and L-BFGS-B then stops
    # on "relative reduction of f" far from the maximum.
    barrier = 10.0 * max(1.0, abs(float(values.sum())))
    evaluations = [0]
    best = [-float(values.sum()), from_theta(problem.initial).ravel()]  # the best feasible point evaluated

    def objective(z):
        evaluations[0] += 1
        theta = to_theta(z.reshape(shape))
        try:
            values, grad = problem.evaluate(theta, parallel=False, log_gain=True)
        except ValueError:
            return barrier, np.zeros_like(z)
        value = -float(values.sum())
        if not value < barrier:
            return barrier, np.zeros_like(z)
        if value < best[0]:
            best[:] = [value, z.copy()]
        return value, (grad * chain(theta)).ravel()

    solution = _minimize_with_restarts(objective, best[1].copy(), scaled_bounds, options)
    solution.n_evaluations = evaluations[0]
    if not solution.fun <= best[0]:  # L-BFGS-B stopped on a barrier point: keep the best feasible one
        solution.x, solution.fun, solution.success = best[1], best[0], False
        solution.message = f"{solution.message}; stopped on an impossible point, the best feasible one is kept"
    theta = to_theta(solution.x.reshape(shape))
    try:
        hessian = _hessian(problem, theta, problem.bounds(), hessian_step)[0]
    except ValueError:  # a difference step leaves the feasible set (a maximum at its edge): no SEs
        hessian = np.full((shape[1], shape[1]), np.nan)
    covariance = np.full_like(hessian, np.nan)
    free = np.flatnonzero(~problem.fixed()[0])
    block = hessian[np.ix_(free, free)]
    eigenvalues = np.linalg.eigvalsh(block) if np.all(np.isfinite(block)) else np.array([np.nan])
    smallest = None
    if eigenvalues.min() > 1e-12 * np.abs(eigenvalues).max():  # False for NaN
        covariance[:] = 0.0  # fixed entries: known exactly
        covariance[np.ix_(free, free)] = np.linalg.inv(block)
        gradient = problem.evaluate(theta, parallel=False)[1][0, free]
        decrement = 0.5 * float(gradient @ covariance[np.ix_(free, free)] @ gradient)
        solution.success = decrement < NEWTON_DECREMENT
        solution.message = f"{solution.message}; Newton decrement {decrement:.2g} nats"
    else:
        smallest = float(eigenvalues.min())
        solution.success = False
    return theta[0], covariance, solution, smallest


MAX_RESTARTS = 20
#: A neuron's fit has converged when its Fisher information is positive definite and the Newton decrement
#: ``g^T H^-1 g / 2`` (the log-likelihood one more Newton step would gain) is below this many nats: the
#: estimate then lies within about ``sqrt(2 * 1e-4) = 0.014`` standard errors of the maximum. L-BFGS-B's own
#: flag is not used: it reports success on "relative reduction of f" short of the maximum, and failure of a
#: line search at the maximum itself.
NEWTON_DECREMENT = 1e-4


def _minimize_with_restarts(objective, start: np.ndarray, bounds: list, options: dict):
    """L-BFGS-B from ``start``, restarted from where it stopped (with its curvature memory cleared) until a
    restart no longer lowers the objective by more than ``options["ftol"]`` relative (at most
    :data:`MAX_RESTARTS` times). A line search that meets the extreme barrier backtracks to a vanishing step,
    and L-BFGS-B then reports "relative reduction of f" far from the maximum (seen with the hazard rule, whose
    ``exp((u - theta)/delta_u)`` makes ``-log L`` grow steeply: 186 nats short of the maximum at 967 spikes);
    a restart from that point goes on. Returns the last solution, with ``n_restarts`` and the total ``nit``."""
    solution = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    iterations, restarts = solution.nit, 0
    while restarts < MAX_RESTARTS:
        again = optimize.minimize(objective, solution.x, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
        improvement = solution.fun - again.fun
        if not improvement >= 0.0:  # also for NaN: keep the better point
            break
        solution, restarts, iterations = again, restarts + 1, iterations + again.nit
        if not improvement > options["ftol"] * max(1.0, abs(again.fun)):
            break
    solution.nit, solution.n_restarts = iterations, restarts
    return solution


def _internal_coordinates(problem: Problem):
    """The optimiser's coordinates: ``log`` of the noise scale (a positive scale parameter; its steps stay
    sensible), ``z = log(1 - alpha)`` for the LIF's time constant (:meth:`Problem.log_gain`: no flat region at
    small ``tau``, see :data:`~nsnn_sim.fit.problem.GAIN_BOUNDS`), the parameters themselves otherwise.
    Returns ``(to_theta, from_theta, chain, bounds)``: the gradient in ``z`` is ``chain(theta)`` times the one
    of :meth:`Problem.evaluate` with ``log_gain=True`` (elementwise; ``d theta/dz`` for the scale, 1 else)."""
    is_log = np.array([name == problem.scale for name in problem.names])
    is_tau = np.array([name == "tau" for name in problem.names])
    fixed = problem.fixed()

    def to_theta(z):  # the fixed entries exactly as given (no round trip through z)
        theta = np.where(is_log, np.exp(np.where(is_log, z, 0.0)), z)
        if is_tau.any():
            theta = np.where(is_tau, problem.tau_of_log_gain(np.where(is_tau, z, -1.0)), theta)
        return np.where(fixed, problem.initial, theta)

    def from_theta(theta):
        z = np.where(is_log, np.log(np.where(is_log, theta, 1.0)), theta)
        return np.where(is_tau, problem.log_gain(np.where(is_tau, theta, 1.0)), z) if is_tau.any() else z

    def chain(theta):
        return np.where(is_log, theta, 1.0)

    bounds = []
    start = from_theta(problem.initial)
    for i in range(problem.n_neurons):
        for j, (lower, upper) in enumerate(problem.bounds()):
            if fixed[i, j]:
                bounds.append((float(start[i, j]), float(start[i, j])))
            elif is_tau[j]:  # z decreases with tau
                bounds.append(tuple(float(np.log(gain)) for gain in GAIN_BOUNDS))
            elif is_log[j]:
                bounds.append((None if lower is None else float(np.log(lower)),
                               None if upper is None else float(np.log(upper))))
            else:
                bounds.append((lower, upper))
    return to_theta, from_theta, chain, bounds


def _dataset(problem: Problem, theta, covariance, values, solutions, seconds, model) -> xr.Dataset:
    n_parameters = len(problem.names) - problem.fixed().sum(axis=1)
    n_observations = _observations(problem, model)
    n_spikes = problem.spikes.sum(axis=(0, 1))
    aic = 2 * n_parameters - 2 * values
    bic = n_parameters * np.log(n_observations) - 2 * values
    standard_error = np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))
    coords = {"neuron": np.arange(problem.n_neurons), "parameter": problem.names, "parameter_2": problem.names}
    data = xr.Dataset(
        {
            "estimate": (("neuron", "parameter"), theta),
            "se": (("neuron", "parameter"), standard_error),
            "covariance": (("neuron", "parameter", "parameter_2"), covariance),
            "fixed": (("neuron", "parameter"), problem.fixed(), {"meaning": "held at its value, SE 0"}),
            "log_likelihood": ("neuron", values, {"units": "nats"}),
            "aic": ("neuron", aic),
            "bic": ("neuron", bic),
            "n_spikes": ("neuron", n_spikes),
            "n_observations": ("neuron", n_observations),
        },
        coords=coords,
        attrs={"model": model.to_json(), "noise": model.noise, "firing": model.firing,
               "parameters": ",".join(problem.groups), "log_likelihood_total": float(values.sum()),
               "aic_total": float(aic.sum()), "bic_total": float(bic.sum()),
               "converged": int(all(solution.success for solution in solutions)),
               "message": next((f"neuron {i}: {solution.message}" for i, solution in enumerate(solutions)
                                if not solution.success), str(solutions[0].message)),
               "n_iterations": int(max(solution.nit for solution in solutions)),
               "n_iterations_total": int(sum(solution.nit for solution in solutions)),
               "n_evaluations": int(sum(solution.n_evaluations for solution in solutions)),
               "n_restarts_total": int(sum(getattr(solution, "n_restarts", 0) for solution in solutions)),
               "seconds": float(seconds), **provenance()},
    )
    return data


def _observations(problem: Problem, model) -> np.ndarray:
    """Bins that enter the likelihood per neuron: all, less the refractory steps after each spike."""
    n_trials, n_steps, n_neurons = problem.spikes.shape
    dead = np.rint(np.asarray(getattr(model, "tau_ref", 0.0)) / model.dt) * np.ones(n_neurons)
    out = np.full(n_neurons, float(n_trials * n_steps))
    trial, step, neuron = np.nonzero(problem.spikes)
    np.add.at(out, neuron, -np.minimum(dead[neuron], n_steps - 1 - step))  # the dead time ends with the trial
    return out
