"""The GIF fit (nsnn_sim.fit.gif): its likelihood and gradient against a plain-numpy transcription of the simulator's
documented equations and against finite differences, its membrane against the simulator's, and small fits.

The transcription (:func:`transcribed_log_likelihood`) shares nothing with the package: it writes the linear
system of nsnn_sim.simulator.state's docstring (``u``, one ``w_k`` per adaptation current, one ``q_j`` per threshold
component) as a matrix, steps it with ``scipy.linalg.expm(A dt)`` (``method="exact"``) or ``1 + A dt`` (Euler) in the
documented order (propagate, fire on ``theta + sum q``, reset ``u`` and add the jumps, hold ``u`` while refractory),
and sums the log-probabilities in complex arithmetic, so that its complex-step derivative
``Im f(theta + i h)/h`` (``h = 1e-30``: no cancellation) is the exact gradient to rounding.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from likelihood_hessian import hessian_of_minus_log_likelihood
from scipy import linalg, special

import nsnn_sim as ns
from nsnn_sim import fit
from nsnn_sim.fit.gif import GIFProblem, fit_gif, spike_history_kernel
from nsnn_sim.fit.gif_likelihood import membrane, propagator_entry
from nsnn_sim.simulator.state import Adaptation, MovingThreshold

DT = 1e-3
ADAPTATION_TAUS = (0.1, 0.02)  # the second equals the membrane's tau: the t exp(-t/tau) case
THRESHOLD_TAUS = (0.01, 0.1)


def _model(firing="hazard", method="exact", tau_ref=0.0, noise="logistic"):
    extra = {"rho_0": 30.0, "delta_u": 0.25} if firing == "hazard" else {"sigma": 0.3, "noise": noise}
    return ns.LIF(tau=0.02, firing=firing, method=method, dt=DT, tau_ref=tau_ref,
                  adaptation=tuple(Adaptation(tau, 0.0, 0.0) for tau in ADAPTATION_TAUS),
                  moving_threshold=tuple(MovingThreshold(tau, 0.0) for tau in THRESHOLD_TAUS), **extra)


def _data(seed=0, n_trials=2, n_steps=250, rate=0.06, dead=0):
    generator = np.random.default_rng(seed)
    spikes = (generator.random((n_trials, n_steps)) < rate).astype(float)
    if dead:  # no spike within the dead time of another
        for b in range(n_trials):
            last = -10**9
            for t in range(n_steps):
                if spikes[b, t] and t - last <= dead:
                    spikes[b, t] = 0.0
                elif spikes[b, t]:
                    last = t
    x = np.concatenate([np.ones((n_trials, n_steps, 1)), generator.normal(size=(n_trials, n_steps, 2))], axis=2)
    return spikes, x


THETA = np.array([1.1, 0.4, -0.3, 0.35, 0.15, 0.5, 0.12, 1.0, 0.02, 0.25, np.log(30.0)])  # w (3), b (2), jump (2),
# theta, tau, scale, log rho_0 (hazard only)


def _theta(firing):
    return THETA if firing == "hazard" else THETA[:-1]


def transcribed_log_likelihood(theta, spikes, x, firing, method, noise, dead):
    """The documented model, stepped in (complex) numpy: ``log L`` of one neuron's spikes (trial, step)."""
    n_inputs, n_a, n_q = x.shape[2], len(ADAPTATION_TAUS), len(THRESHOLD_TAUS)
    w = theta[:n_inputs]
    b = theta[n_inputs:n_inputs + n_a]
    jump = theta[n_inputs + n_a:n_inputs + n_a + n_q]
    threshold, tau, scale = theta[7], theta[8], theta[9]
    n = 1 + n_a + n_q
    A = np.zeros((n, n), dtype=complex)
    A[0, 0] = -1.0 / tau
    for k, tau_k in enumerate(ADAPTATION_TAUS):  # tau du/dt = -u + I - w_k, tau_k dw_k/dt = -w_k
        A[0, 1 + k], A[1 + k, 1 + k] = -1.0 / tau, -1.0 / tau_k
    for j, tau_j in enumerate(THRESHOLD_TAUS):
        A[1 + n_a + j, 1 + n_a + j] = -1.0 / tau_j
    g = np.zeros(n, dtype=complex)
    g[0] = 1.0 / tau
    held_A = A.copy()
    held_A[0, :] = 0.0
    held_g = np.zeros(n, dtype=complex)

    def one_step(A, g):
        if method == "euler":
            return np.eye(n) + A * DT, g * DT
        big = np.zeros((n + 1, n + 1), dtype=complex)  # [[A, g], [0, 0]]: P and int_0^dt expm(A s) ds g
        big[:n, :n], big[:n, n] = A, g
        exponential = linalg.expm(big * DT)
        return exponential[:n, :n], exponential[:n, n]

    free_map, held_map = one_step(A, g), one_step(held_A, held_g)
    spike_jump = np.concatenate([[0.0], b, jump])
    total = 0.0
    for trial in range(spikes.shape[0]):
        state = np.zeros(n, dtype=complex)
        left = 0
        for t in range(spikes.shape[1]):
            P, drive = held_map if left > 0 else free_map
            state = P @ state + drive * (x[trial, t] @ w)
            if left > 0:
                left -= 1
                continue
            z = state[0] - (threshold + np.sum(state[1 + n_a:]))
            if firing == "hazard":
                hazard = np.exp(theta[10]) * DT * np.exp(z / scale)
                log_p, log_q = np.log(1.0 - np.exp(-hazard)), -hazard
            elif noise == "logistic":
                log_p, log_q = -np.log1p(np.exp(-z / scale)), -np.log1p(np.exp(z / scale))
            else:
                log_p = np.log(0.5 * special.erfc(-z / (scale * np.sqrt(2.0))))
                log_q = np.log(0.5 * special.erfc(z / (scale * np.sqrt(2.0))))
            if spikes[trial, t]:
                total = total + log_p
                state[0] = 0.0
                state = state + spike_jump
                left = dead
            else:
                total = total + log_q
    return total


CASES = [("hazard", "exact", "logistic", 0), ("hazard", "euler", "logistic", 0), ("escape", "exact", "logistic", 2),
         ("escape", "euler", "gaussian", 0), ("escape", "exact", "gaussian", 3)]


@pytest.mark.parametrize("firing, method, noise, dead", CASES)
def test_likelihood_and_gradient_equal_the_numpy_transcription(firing, method, noise, dead):
    """log L to 1e-12 and every entry of the gradient to 1e-10 relative to the largest (complex step of the
    transcription), with a dead time or without, both methods, the hazard and two escape families."""
    model = _model(firing, method, tau_ref=dead * DT, noise=noise)
    spikes, x = _data(seed=len(firing) + dead, dead=dead)
    problem = GIFProblem.build(spikes[:, :, None], x, model)
    theta = _theta(firing).copy()
    value, grad = problem.evaluate(0, theta)
    expected = transcribed_log_likelihood(theta.astype(complex), spikes, x, firing, method, noise, dead).real
    assert abs(value - expected) < 1e-12 * abs(expected)
    complex_step = np.empty_like(theta)
    for j in range(theta.size):
        shifted = theta.astype(complex)
        shifted[j] += 1e-30j
        value = transcribed_log_likelihood(shifted, spikes, x, firing, method, noise, dead)
        complex_step[j] = -value.imag / 1e-30
    np.testing.assert_allclose(grad, complex_step, rtol=0, atol=1e-10 * np.abs(complex_step).max())


def test_gradient_equals_central_differences():
    """Every entry to 1e-6 of the largest (steps 1e-6 of each value: the truncation error is ~1e-12 relative)."""
    model = _model("hazard", "exact")
    spikes, x = _data(seed=5)
    problem = GIFProblem.build(spikes[:, :, None], x, model)
    grad = problem.evaluate(0, THETA)[1]
    differences = np.empty_like(THETA)
    for j in range(THETA.size):
        step = 1e-6 * abs(THETA[j])
        plus, minus = THETA.copy(), THETA.copy()
        plus[j] += step
        minus[j] -= step
        differences[j] = -(problem.evaluate(0, plus, False)[0] - problem.evaluate(0, minus, False)[0]) / (2 * step)
    np.testing.assert_allclose(grad, differences, rtol=0, atol=1e-6 * np.abs(differences).max())


@pytest.mark.parametrize("method", ["exact", "euler"])
def test_propagator_entries_are_the_simulators(method):
    """``P_k`` (adaptation -> u) and the decays are the simulator's compiled propagator's, to 1e-13."""
    components = (Adaptation(0.1, 0.0, 0.3), Adaptation(0.02, 0.0, 0.1), Adaptation(0.0200001, 0.0, 0.1))
    model = dataclasses.replace(_model(method=method), adaptation=components)
    propagator = model.compile_state(1).propagator[0]
    entry = propagator_entry(DT / np.array([0.1, 0.02, 0.0200001]), DT / 0.02, method)[0]
    np.testing.assert_allclose(entry, propagator[0, 1:4], rtol=1e-13, atol=0)


def _recorded(truth, w, n_steps, seed):
    """Covariates ``(1, white noise)``, a 2-neuron simulation of ``truth`` with the drive ``x . w`` and its ``u``
    recorded, and that ``u`` with measurement noise of SD 0.05."""
    generator = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n_steps), generator.normal(size=n_steps)])
    run = ns.simulate(truth, np.tile(x @ w, (2, 1)).T, n_neurons=2, n_steps=n_steps, seed=seed + 1,
                      record_state=[0, 1])
    voltage = np.swapaxes(run.state, 1, 2)  # the fitter's (n_trials, n_steps, n_neurons), as its spikes and inputs
    return x, run, voltage + 0.05 * generator.normal(size=voltage.shape)


def test_teacher_forced_membrane_is_the_simulators_and_the_fitted_model_runs(monkeypatch):
    """Data from the simulator with its state (dead time 2 ms): the likelihood's ``u_free`` equals the recorded
    ``u`` at every step without a spike or dead time to 1e-12, at the true parameters; the fit converges and its
    model (per-neuron amplitudes) runs in ``ns.simulate`` whose recorded ``u`` is again the fit's membrane."""
    truth = dataclasses.replace(
        _model("hazard", "exact", tau_ref=2 * DT),
        adaptation=(Adaptation(0.1, 0.0, 0.3),),
        moving_threshold=(MovingThreshold(0.01, 0.4), MovingThreshold(0.1, 0.2)))
    n_steps = 20_000
    w = np.array([1.3, 0.6])
    x, run, _ = _recorded(truth, w, n_steps, seed=3)
    problem = GIFProblem.build(run.spikes, x, truth, weights=np.tile(w, (2, 1)))
    for i in range(2):
        u_free = membrane(problem.initial[i], problem.data[i], problem.layout, problem.adaptation_taus, DT, "exact")[0]
        free = ~problem.data[i].resets
        np.testing.assert_allclose(u_free[free], run.state[:, i, :][free], rtol=0, atol=1e-12)
    start = dataclasses.replace(truth, adaptation=(Adaptation(0.1, 0.0, 0.0),),
                                moving_threshold=(MovingThreshold(0.01, 0.0), MovingThreshold(0.1, 0.0)))
    calls = []  # every evaluation of the optimiser's objective, counted here: the dataset reports their number
    minimize = fit.gif._minimize_with_restarts
    monkeypatch.setattr(fit.gif, "_minimize_with_restarts", lambda objective, *rest: minimize(
        lambda z: (calls.append(1), objective(z))[1], *rest))
    result = fit_gif(start, x, run.spikes)
    assert result.dataset.attrs["converged"] == 1, result.dataset.attrs["message"]
    assert result.dataset.attrs["n_evaluations"] == len(calls) > 0
    # time rescaling's log(1 - p): with log p = log(1 - exp(log(1 - p))) at the spikes it sums to log L
    silence = result.log_silence(x, run.spikes)
    spikes = run.spikes.to_dense()
    with np.errstate(divide="ignore"):  # log(1 - exp(0)) on the dead-time steps, which np.where discards
        total = np.where(spikes == 1, np.log(-np.expm1(silence)), silence).sum(axis=(0, 1))
    np.testing.assert_allclose(total, result.dataset["log_likelihood"].values, rtol=1e-9)
    assert 0.0 <= fit.time_rescaling(silence, spikes).pvalue <= 1.0
    rerun = ns.simulate(result.model, result.drive(x), n_neurons=2, n_steps=n_steps, seed=9, record_state=[0, 1])
    again = GIFProblem.build(rerun.spikes, x, truth)
    for i in range(2):
        theta = result.dataset["estimate"].values[i]
        u_free = membrane(theta, again.data[i], again.layout, again.adaptation_taus, DT, "exact")[0]
        free = ~again.data[i].resets
        np.testing.assert_allclose(u_free[free], rerun.state[:, i, :][free], rtol=0, atol=1e-12)


@pytest.mark.parametrize("hessian_step, tolerance", [(1e-4, 5e-4), (1e-5, 1e-5)])
def test_standard_errors_are_the_inverse_of_a_finite_difference_hessian_of_the_log_likelihood(hessian_step, tolerance):
    """The spike fit's covariance per neuron against the inverse of the Hessian of ``-log L`` taken here from
    log-likelihood values (``GIFProblem.evaluate`` without its gradient; steps 1e-3 of each parameter's magnitude,
    Richardson-extrapolated: between steps 2e-3 and 1e-3 this reference moves by < 5e-7), for an escape GIF with a
    short membrane time constant (5 ms, 5 steps: a step in ``tau`` that is not relative to ``tau`` shows). The fit
    takes central differences of its exact gradient, an O(step^2) error, measured relative to ``SE_i SE_j`` at
    2.0e-4 for the default step 1e-4 (tolerance 5e-4) and 2.5e-6 at 1e-5 (tolerance 1e-5)."""
    truth = dataclasses.replace(_model("escape", "exact", noise="logistic"), tau=0.005, sigma=0.2,
                                adaptation=(Adaptation(0.1, 0.0, 0.3),), moving_threshold=(MovingThreshold(0.01, 0.4),))
    x, run, _ = _recorded(truth, np.array([1.6, 0.8]), 8000, seed=21)
    result = fit_gif(truth, x, run.spikes, weights=np.tile([1.6, 0.8], (2, 1)), hessian_step=hessian_step)
    data, problem = result.dataset, result.problem
    assert data.attrs["converged"] == 1, data.attrs["message"]
    for i in range(2):
        free = ~data["fixed"].values[i]
        estimate = data["estimate"].values[i]

        def total(theta, i=i, estimate=estimate, free=free):
            full = estimate.copy()
            full[free] = theta
            return float(problem.evaluate(i, full, gradient=False)[0])

        theta = estimate[free]
        expected = np.linalg.inv(hessian_of_minus_log_likelihood(total, theta, 1e-3 * np.maximum(np.abs(theta), 0.01)))
        covariance = data["covariance"].values[i][np.ix_(free, free)]
        norm = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
        np.testing.assert_allclose(covariance / norm, expected / norm, rtol=0, atol=tolerance)


def test_without_components_the_likelihood_is_fit_escapes():
    """A LIF without adaptation or moving threshold: the GIF likelihood equals :func:`nsnn_sim.fit.log_likelihood`'s
    (the existing teacher-forced kernel) to 1e-12, with a dead time."""
    model = ns.LIF(tau=0.015, firing="hazard", method="exact", dt=DT, tau_ref=2e-3, rho_0=40.0, delta_u=0.3)
    spikes, x = _data(seed=7, dead=2)
    spikes = np.stack([spikes, _data(seed=8, dead=2)[0]], axis=2)
    weights = np.array([[1.0, 0.3, -0.2], [0.9, -0.1, 0.4]])
    expected = fit.log_likelihood(model, x, spikes, weights)
    np.testing.assert_allclose(fit.gif_log_likelihood(model, x, spikes, weights), expected, rtol=1e-12)


def test_spike_history_kernel_is_the_response_to_one_spike():
    """The combined kernel ``-sum_c m_c e_c^n + m_0 alpha^n`` equals the effect of one spike on ``u - theta_t``
    in the transcription without reset (``u`` not reset: the spike's jumps only), to 1e-12, for ``n = 1..200``."""
    model = dataclasses.replace(_model(), adaptation=(Adaptation(0.1, 0.0, 0.3), Adaptation(0.05, 0.0, -0.2)),
                                moving_threshold=(MovingThreshold(0.01, 0.4), MovingThreshold(0.1, 0.2)))
    taus, m = spike_history_kernel(model)
    n = np.arange(1, 201)
    kernel = m[0] * np.exp(-n * DT / taus[0]) - sum(m[c] * np.exp(-n * DT / taus[c]) for c in range(1, len(taus)))
    P = model.compile_state(1).propagator[0]
    state = np.array([0.0, 0.3, -0.2, 0.4, 0.2])  # just after a spike at rest: the jumps
    response = []
    for _ in n:
        state = P @ state
        response.append(state[0] - state[3:].sum())
    np.testing.assert_allclose(kernel, response, rtol=0, atol=1e-12)


def test_the_voltage_fit_recovers_the_current_and_the_threshold_separately():
    """With the recorded voltage (measurement noise SD 0.05) the two-step fit converges and separates the
    adaptation current from the threshold at the same time constant (100 ms): every parameter within 4.5 SE of the
    truth (its Murphy-Topel SE; 2 neurons x 8 parameters: a wrong SE or a biased step would show as |z| >> 4), the
    voltage's SD within 4 SE of 0.05; the identifiable kernel amplitudes (``GIFFit.kernel``) of the truth within 4.5
    of their delta-method SEs."""
    truth = dataclasses.replace(
        _model("hazard", "exact"), rho_0=20.0, delta_u=0.2, adaptation=(Adaptation(0.1, 0.0, 0.3),),
        moving_threshold=(MovingThreshold(0.01, 0.5), MovingThreshold(0.1, 0.2)))
    x, run, voltage = _recorded(truth, np.array([2.5, 1.0]), 20_000, seed=11)
    start = dataclasses.replace(truth, tau=0.03, delta_u=0.3, threshold=0.8, adaptation=(Adaptation(0.1, 0.0, 0.0),),
                                moving_threshold=(MovingThreshold(0.01, 0.0), MovingThreshold(0.1, 0.0)))
    result = fit_gif(start, x, run.spikes, voltage=voltage)
    data = result.dataset
    assert data.attrs["converged"] == 1, data.attrs["message"]
    expected = np.array([2.5, 1.0, 0.3, 0.5, 0.2, 1.0, 0.02, 0.2, np.log(20.0)])
    free = ~data["fixed"].values
    z = (data["estimate"].values - expected)[free] / data["se"].values[free]
    assert np.all(np.abs(z) < 4.5), z
    assert np.all(np.abs(data["voltage_sd"].values - 0.05) < 4 * data["voltage_sd_se"].values)
    kernel = result.kernel()
    true_kernel = spike_history_kernel(truth)[1]
    assert np.all(np.abs(kernel["amplitude"].values - true_kernel) < 4.5 * kernel["se"].values)


def test_a_newton_step_is_halved_until_the_log_likelihood_rises():
    """From a point that is not the maximum, a step along the gradient of -log L (too long at first) is halved until
    log L rises: the point returned is another one, with a higher log L."""
    from nsnn_sim.fit.gif import _newton_step

    spikes, x = _data(seed=5)
    problem = GIFProblem.build(spikes[:, :, None], x, _model("hazard", "exact"))
    value, gradient = problem.evaluate(0, THETA)
    free = np.arange(THETA.size)
    moved = _newton_step(problem, 0, THETA, free, 10.0 * gradient, value)
    assert not np.array_equal(moved, THETA)
    assert problem.evaluate(0, moved, False)[0] > value


def test_phi_and_its_slope_are_expm1_over_d_and_its_derivative_near_zero():
    """``phi(d) = expm1(d)/d`` and ``phi'(d) = (d e^d - e^d + 1)/d^2``, by series below |d| = 1e-4 (the adaptation
    time constant near the membrane's): against ``expm1(d)/d`` (accurate in floats) and the series of ``phi'`` to
    five terms (``1/2 + d/3 + d^2/8 + d^3/30 + d^4/144``): below the switch to 1e-13 (the series' own error, d^3/30,
    is below 3e-14); just above it the closed form's numerator, d^2/2 from two terms of size d, carries a rounding
    error of about 2 eps/d relative (4e-12 at d = 1.1e-4), the tolerance there."""
    from nsnn_sim.fit.gif_likelihood import _phi

    d = np.array([-9e-5, -1e-5, -1e-8, 1e-8, 1e-5, 9e-5, 1.1e-4, -1.1e-4, 0.3])
    value, slope = _phi(d)
    np.testing.assert_allclose(value, np.expm1(d) / d, rtol=1e-13)
    series = 0.5 + d / 3 + d**2 / 8 + d**3 / 30 + d**4 / 144
    below, above = np.abs(d) < 1e-4, (np.abs(d) >= 1e-4) & (np.abs(d) < 1e-3)
    np.testing.assert_allclose(slope[below], series[below], rtol=1e-13)
    np.testing.assert_allclose(slope[above], series[above], rtol=4 * np.finfo(float).eps / 1e-4)
    assert slope[-1] == pytest.approx((0.3 * np.exp(0.3) - np.expm1(0.3)) / 0.09, rel=1e-14)
    assert _phi(np.zeros(1))[0][0] == 1.0 and _phi(np.zeros(1))[1][0] == 0.5
