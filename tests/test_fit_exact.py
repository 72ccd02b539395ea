"""Exact checks of the standard errors of nsnn_sim.fit: against the Fisher information of a neuron whose information
has a closed form, and against a finite-difference Hessian of the log-likelihood computed here.

* A memoryless escape neuron (``NSNN(beta=0)``) with logistic noise is a logistic regression: ``p_t =
  F((w . x_t - theta)/s)`` and, the logit link being canonical, the observed information in ``w`` is the
  sum ``sum_t p_t (1 - p_t) x_t x_t^T / s^2`` at every ``w``, whatever the spikes; with one constant covariate
  the maximum is ``w = theta + s logit(k/n)`` (``k`` spikes in ``n`` steps).
* Otherwise (a decay, a noise scale, couplings, the hazard rule) the Hessian of ``-log L`` at the fit's estimate
  is taken here by second differences of :func:`nsnn_sim.fit.log_likelihood` values (not of its gradient, as the
  fit does), Richardson-extrapolated, and inverted.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from likelihood_hessian import hessian_of_minus_log_likelihood

import nsnn_sim as ns
from nsnn_sim import fit
from nsnn_sim.fit.problem import parameter_names


def _logistic(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_memoryless_logistic_neuron_with_constant_drive_has_the_binomial_estimate_and_standard_error():
    """One covariate, ``x = 1``: ``w_hat = theta + s logit(k/n)``, ``SE = s/sqrt(n p (1 - p))`` (the binomial
    information through the logit link) at the fit's estimate. Tolerances: the estimate within 1e-4 SE of the
    maximum (the fit's Newton decrement bound allows 0.014 SE), the SE to 1e-7."""
    scale, n_steps = 0.2, 5000
    model = ns.NSNN(beta=0.0, noise="logistic", noise_scale=scale, firing="escape")
    x = np.ones((n_steps, 1))
    spikes = ns.simulate(model, np.full((n_steps, 2), 0.8), n_neurons=2, n_steps=n_steps, seed=1).spikes
    result = fit.fit_escape(model, x, spikes, parameters=("weights",))
    dense = spikes.to_dense()[0]
    k = dense.sum(axis=0)
    p_hat = k / n_steps
    maximum = 1.0 + scale * np.log(p_hat / (1 - p_hat))
    estimate = result.dataset["estimate"].values[:, 0]
    se = result.dataset["se"].values[:, 0]
    np.testing.assert_allclose(se, scale / np.sqrt(n_steps * p_hat * (1 - p_hat)), rtol=1e-3)  # at the maximum
    assert np.all(np.abs(estimate - maximum) < 1e-4 * se), (estimate - maximum) / se
    p = _logistic((estimate - 1.0) / scale)  # at the estimate itself
    np.testing.assert_allclose(se, scale / np.sqrt(n_steps * p * (1 - p)), rtol=1e-7)


def test_memoryless_logistic_neuron_has_the_closed_form_fisher_information_in_its_weights():
    """Three covariates (a bias and two random ones), two neurons: the fit's covariance is the inverse of
    ``sum_t p_t (1 - p_t) x_t x_t^T / s^2`` at its estimate, to 1e-7 relative to ``SE_i SE_j``."""
    scale, n_steps = 0.15, 8000
    generator = np.random.default_rng(2)
    x = np.column_stack([np.ones(n_steps), generator.normal(size=(n_steps, 2))])
    weights = np.array([[0.8, 0.1, -0.05], [0.75, -0.08, 0.12]])
    model = ns.NSNN(beta=0.0, noise="logistic", noise_scale=scale, firing="escape")
    spikes = ns.simulate(model, x @ weights.T, n_neurons=2, n_steps=n_steps, seed=3).spikes
    result = fit.fit_escape(model, x, spikes, parameters=("weights",))
    for i in range(2):
        estimate = result.dataset["estimate"].values[i]
        p = _logistic((x @ estimate - 1.0) / scale)
        information = (x * (p * (1 - p))[:, None]).T @ x / scale**2
        expected = np.linalg.inv(information)
        covariance = result.dataset["covariance"].values[i]
        norm = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
        np.testing.assert_allclose(covariance / norm, expected / norm, rtol=0, atol=1e-7)


def _data(true_model, weights, n_steps, seed, couplings=None):
    generator = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n_steps), generator.normal(size=n_steps)])
    spikes = ns.simulate(true_model, x @ weights.T, n_neurons=weights.shape[0], n_steps=n_steps, seed=seed,
                         connections=couplings).spikes
    return spikes, x


CASES = {
    "NSNN logistic, beta and scale": (
        ns.NSNN(beta=0.6, noise="logistic", noise_scale=0.15, firing="escape"), np.array([[0.45, 0.2]]), None,
        ("weights", "decay", "scale")),
    "LIF gaussian, couplings, tau and sigma": (
        ns.LIF(tau=0.01, sigma=0.1, noise="gaussian", firing="escape", dt=1e-3, tau_ref=2e-3, method="euler"),
        np.array([[1.0, 0.5], [0.9, -0.4]]), np.array([[0.0, 0.3], [0.0, 0.0]]),
        ("weights", "couplings", "decay", "scale")),
    "LIF hazard, tau and delta_u": (
        ns.LIF(tau=0.01, firing="hazard", rho_0=20.0, delta_u=0.15, dt=1e-3, tau_ref=2e-3, method="euler"),
        np.array([[1.0, 0.4]]), None, ("weights", "decay", "scale")),
}


@pytest.mark.parametrize("hessian_step, tolerance", [(1e-4, 2e-4), (1e-5, 2e-6)])
@pytest.mark.parametrize("case", list(CASES))
def test_standard_errors_are_the_inverse_of_a_finite_difference_hessian_of_the_log_likelihood(case, hessian_step,
                                                                                              tolerance):
    """The fit's covariance per neuron against the inverse of the Hessian of ``-log L`` taken here from
    log-likelihood values (steps 5e-3 of each parameter's magnitude, Richardson-extrapolated; between steps of 2e-3
    and 5e-3 this reference moves by < 1e-6, with rounding spikes of a few 1e-6 at some smaller steps). The fit
    differentiates its analytic gradient by central differences of relative step ``hessian_step``, an O(step^2)
    error: measured up to 5e-5 relative to
    ``SE_i SE_j`` at the default 1e-4 (tolerance 2e-4) and up to 5e-7 at 1e-5 (tolerance 2e-6)."""
    true_model, weights, couplings, parameters = CASES[case]
    spikes, x = _data(true_model, weights, 6000, seed=4, couplings=couplings)
    result = fit.fit_escape(true_model, x, spikes, parameters, weights=weights, hessian_step=hessian_step,
                            couplings=None if couplings is None else np.zeros_like(couplings))
    data = result.dataset
    decay, scale = parameter_names(true_model)
    names = list(data.parameter.values)
    dense = spikes.to_dense()
    n_inputs, n_neurons = x.shape[1], weights.shape[0]
    for i in range(n_neurons):
        free = ~data["fixed"].values[i]
        estimate = data["estimate"].values[i]

        def total(theta, i=i, estimate=estimate, free=free):
            """Neuron i's log-likelihood at ``theta`` (its free parameters): the neuron alone, or, with couplings,
            row i of the population's (it separates over neurons; the other rows take the same parameters)."""
            full = estimate.copy()
            full[free] = theta
            values = dict(zip(names, full))
            model = dataclasses.replace(true_model, **{decay: values[decay], scale: values[scale]})
            if couplings is None:
                return float(fit.log_likelihood(model, x, dense[:, :, i:i + 1], full[None, :n_inputs])[0])
            matrix = np.zeros((n_neurons, n_neurons))
            matrix[i] = full[n_inputs:n_inputs + n_neurons]
            return float(fit.log_likelihood(model, x, dense, np.tile(full[:n_inputs], (n_neurons, 1)), matrix)[i])

        theta = estimate[free]
        hessian = hessian_of_minus_log_likelihood(total, theta, 5e-3 * np.maximum(np.abs(theta), 0.01))
        expected = np.linalg.inv(hessian)
        covariance = data["covariance"].values[i][np.ix_(free, free)]
        norm = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
        np.testing.assert_allclose(covariance / norm, expected / norm, rtol=0, atol=tolerance)


def test_fitted_model_reports_the_standard_errors_square_roots_of_the_covariance_diagonal():
    spikes, x = _data(CASES["NSNN logistic, beta and scale"][0], np.array([[0.45, 0.2]]), 3000, seed=5)
    data = fit.fit_escape(CASES["NSNN logistic, beta and scale"][0], x, spikes).dataset
    np.testing.assert_array_equal(data["se"].values, np.sqrt(np.diagonal(data["covariance"].values, axis1=1, axis2=2)))
    assert math.isfinite(float(data["se"].max()))


def test_rescaled_intervals_are_the_summed_hazard_between_spikes_plus_the_discrete_correction():
    """Brown et al. (2002) in discrete time: for spike k at step s_k after s_{k-1} (s_0 = -1), tau_k = sum of q_u over
    s_{k-1} < u < s_k, minus log(1 - r_k (1 - exp(-q_{s_k}))), with q = -log(1 - p) and r_k the seed's uniforms in
    (trial, neuron, spike) order; written out here as a loop, equal to rounding."""
    rng = np.random.default_rng(3)
    hazard = rng.uniform(0.01, 0.3, (2, 60, 3))
    spikes = (rng.random((2, 60, 3)) < 0.2).astype(float)
    spikes[1, :, 2] = 0.0  # a train without spikes contributes nothing
    got = fit.compare.rescaled_intervals(-hazard, spikes, seed=5)
    uniforms = np.random.default_rng(5)
    expected = []
    for trial in range(2):
        for neuron in range(3):
            steps = np.flatnonzero(spikes[trial, :, neuron])
            r = uniforms.random(steps.size)
            previous = -1
            for k, step in enumerate(steps):
                between = sum(hazard[trial, u, neuron] for u in range(previous + 1, step))
                expected.append(between - math.log(1.0 - r[k] * (1.0 - math.exp(-hazard[trial, step, neuron]))))
                previous = step
    assert len(expected) > 40
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_the_optimiser_restarts_at_most_max_restarts_times(monkeypatch):
    """With MAX_RESTARTS = 0 the fit is one L-BFGS-B run: the same evaluations as a direct scipy call."""
    from scipy import optimize

    from nsnn_sim.fit import estimate

    counts = []

    def objective(z):
        counts.append(1)
        return float(np.sum((z - 1.5) ** 4)), 4.0 * (z - 1.5) ** 3

    options = {"maxiter": 200, "ftol": 1e-12, "gtol": 1e-12, "maxcor": 20}
    bounds = [(None, None)] * 3
    monkeypatch.setattr(estimate, "MAX_RESTARTS", 0)
    solution = estimate._minimize_with_restarts(objective, np.zeros(3), bounds, options)
    once = len(counts)
    counts.clear()
    optimize.minimize(objective, np.zeros(3), jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    assert solution.n_restarts == 0 and once == len(counts)


def test_one_neurons_block_holds_that_neurons_values_of_every_per_neuron_parameter():
    """A fit runs neuron by neuron (``Problem.block``): the model of neuron i carries neuron i's value of every
    per-neuron array, fitted or not, as a one-element array; scalars stay."""
    from nsnn_sim.fit.problem import _one_neuron

    model = ns.LIF(firing="escape", sigma=np.array([0.2, 0.3, 0.4]), tau_ref=np.array([0.0, 2e-4, 4e-4]),
                   u_reset=np.array([0.0, -0.1, -0.2]), threshold=1.0, dt=1e-4, method="euler")
    one = _one_neuron(model, 1, 3)
    assert one.sigma.tolist() == [0.3] and one.tau_ref.tolist() == [2e-4] and one.u_reset.tolist() == [-0.1]
    assert one.threshold == 1.0


def _memoryless_problem():
    from nsnn_sim.fit.problem import Problem

    scale, n_steps = 0.2, 2000
    model = ns.NSNN(beta=0.0, noise="logistic", noise_scale=scale, firing="escape")
    x = np.ones((n_steps, 1))
    spikes = ns.simulate(model, np.full((n_steps, 1), 0.8), n_neurons=1, n_steps=n_steps, seed=4).spikes
    return model, x, spikes, Problem.build(spikes, x, model, ("weights",))


def test_an_optimiser_stopped_on_an_impossible_point_returns_the_best_feasible_point(monkeypatch):
    """When L-BFGS-B ends on a barrier point (its value above every feasible one evaluated), the block's result
    is the best feasible point it evaluated, with that point's -log L, and the message says so."""
    from scipy import optimize

    from nsnn_sim.fit import estimate

    _, _, _, problem = _memoryless_problem()
    block = problem.block(0)[0]
    tried = []

    def stopped_on_a_barrier(objective, start, bounds, options):
        for z in (start, start + 0.1, start - 0.1):  # three feasible points, then a stop above all of them
            tried.append((objective(z)[0], z.copy()))
        return optimize.OptimizeResult(x=start + 5.0, fun=max(value for value, _ in tried) + 1.0, success=True,
                                       message="stopped", nit=1, n_restarts=0)

    monkeypatch.setattr(estimate, "_minimize_with_restarts", stopped_on_a_barrier)
    theta, _, solution, _ = estimate._fit_block(block, {}, 1e-4)
    best_value, best_z = min(tried, key=lambda pair: pair[0])
    assert solution.fun == best_value and np.array_equal(solution.x, best_z)
    assert -block.evaluate(theta[None], gradient=False)[0].sum() == pytest.approx(best_value, rel=1e-12)
    assert "stopped on an impossible point, the best feasible one is kept" in solution.message


def test_a_hessian_step_outside_the_feasible_set_gives_nan_standard_errors_and_a_warning(monkeypatch):
    """A finite-difference step that leaves the feasible set (``_hessian`` raises ValueError, as at a maximum on the
    edge of it) leaves the estimate and gives NaN SEs, a warning naming the neuron and an unconverged fit."""
    from nsnn_sim.fit import estimate

    model, x, spikes, _ = _memoryless_problem()
    reference = fit.fit_escape(model, x, spikes, parameters=("weights",)).dataset

    def impossible(*args, **kwargs):
        raise ValueError("p = 0 at a spike")

    monkeypatch.setattr(estimate, "_hessian", impossible)
    with pytest.warns(RuntimeWarning, match="neuron 0: the observed Fisher information is not positive definite"):
        data = fit.fit_escape(model, x, spikes, parameters=("weights",)).dataset
    np.testing.assert_array_equal(data["estimate"].values, reference["estimate"].values)
    assert np.isnan(data["se"].values).all() and np.isnan(data["covariance"].values).all()
    assert data.attrs["converged"] == 0 and np.isfinite(reference["se"].values).all()
