"""Model comparison and goodness of fit for fitted spike-train models.

* :func:`homogeneous_log_likelihood` and :func:`bits_per_spike`: the held-out log-likelihood relative to a
  homogeneous Poisson model, in bits per spike, ``(log L - log L_0) / (n_spikes ln 2)`` (Pillow et al. 2008;
  Paninski, Pillow & Lewi 2007). On a grid the homogeneous model spikes in each bin with the constant
  probability ``p_0`` of the training data (the probability ``1 - exp(-lambda dt)`` of at least one Poisson event).
* :func:`compare_families`: one :func:`~nsnn_sim.fit.fit_escape` per noise family on training data, each
  scored on held-out data.
* :func:`fit_poisson_glm`: the baseline a reader recognises, a Poisson GLM with a spike-history filter
  (Truccolo et al. 2005; Pillow et al. 2008): rate ``lambda[t] = exp(k . x[t] + h . y_hist[t])``, a spike in a
  bin with the Poisson probability ``p = 1 - exp(-lambda[t] dt)`` of at least one event (the bias absorbs
  ``log dt``; a Bernoulli GLM with the complementary log-log link), fitted by maximum likelihood one neuron at a
  time by Newton's method (a concave problem).
* :func:`time_rescaling`: Brown, Barbieri, Ventura, Kass & Frank (2002), Neural Comput 14:325, with the
  discrete-time correction of Haslinger, Pipa & Brown (2010), Neural Comput 22:2477: for spike ``k`` in bin
  ``t_k``, ``tau_k = sum_{t_{k-1} < t < t_k} q_t - log(1 - r_k (1 - exp(-q_{t_k})))``, ``q_t = -log(1 - p_t)``,
  ``r_k ~ U(0, 1)``; under the model every ``tau_k ~ Exp(1)``, so ``1 - exp(-tau_k)`` is uniform (KS test).

Examples
--------
>>> from nsnn_sim.fit.compare import bits_per_spike
>>> round(float(bits_per_spike(-90.0, -100.0, 20)), 4)  # 10 nats better than Poisson over 20 spikes
0.7213
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import xarray as xr
from scipy import stats

from nsnn_sim._core.validation import describe, finite_array, whole_number
from nsnn_sim.fit.basis import filtered_covariates, raised_cosine_basis
from nsnn_sim.fit.problem import covariate_array, dense_spikes
from nsnn_sim.simulator.noise import names, spec

__all__ = ["homogeneous_log_likelihood", "bits_per_spike", "compare_families", "fit_poisson_glm", "PoissonGLM",
           "time_rescaling", "rescaled_intervals", "FamilyComparison", "TimeRescaling"]


class FamilyComparison(NamedTuple):
    """What :func:`compare_families` returns (a named tuple: ``comparison, fits = ...`` unpacks it)."""

    comparison: xr.Dataset  #: held-out log-likelihoods and bits per spike per family and neuron, the best family
    fits: dict  #: family name -> its :class:`~nsnn_sim.fit.estimate.FitResult`


class TimeRescaling(NamedTuple):
    """What :func:`time_rescaling` returns (a named tuple)."""

    statistic: float  #: the KS statistic of ``1 - exp(-tau)`` against U(0, 1)
    pvalue: float  #: its p-value (scipy.stats.kstest)
    n_intervals: int  #: the rescaled intervals
    uniform: np.ndarray  #: the sorted ``1 - exp(-tau)``, for a KS plot
    band: float  #: the 95 % KS half-width ``1.36/sqrt(n)``

_LN2 = math.log(2.0)


def homogeneous_log_likelihood(train_spikes, test_spikes) -> np.ndarray:
    """Per-neuron log-likelihood (nats) of ``test_spikes`` under a constant spike probability per bin, the
    training data's ``p_0 = n_spikes / n_bins`` (the homogeneous Poisson model on the grid)."""
    train, _ = dense_spikes(train_spikes, "train_spikes")
    test, _ = dense_spikes(test_spikes, "test_spikes")
    if train.shape[2] != test.shape[2]:
        raise ValueError(f"train_spikes has {train.shape[2]} neurons, test_spikes {test.shape[2]}")
    p0 = train.mean(axis=(0, 1))
    if np.any((p0 <= 0) | (p0 >= 1)):
        raise ValueError(f"train_spikes: neuron(s) {np.flatnonzero((p0 <= 0) | (p0 >= 1)).tolist()} never (or "
                         "always) fire: the homogeneous model has no finite likelihood")
    ones = test.sum(axis=(0, 1))
    zeros = test.shape[0] * test.shape[1] - ones
    return ones * np.log(p0) + zeros * np.log1p(-p0)


def bits_per_spike(log_likelihood, baseline_log_likelihood, n_spikes) -> np.ndarray:
    """``(log L - log L_0) / (n_spikes ln 2)``: information per spike beyond the homogeneous model (bits).
    Arrays broadcast (e.g. per neuron); sum them first for the population figure."""
    n_spikes = np.asarray(n_spikes, dtype=np.float64)
    if np.any(n_spikes <= 0):
        raise ValueError("n_spikes must be > 0 (bits per spike of a silent neuron are undefined)")
    return (np.asarray(log_likelihood) - np.asarray(baseline_log_likelihood)) / (n_spikes * _LN2)


def compare_families(model, train_inputs, train_spikes, test_inputs, test_spikes, families=None,
                     parameters=("weights", "decay", "scale"), **options) -> FamilyComparison:
    """Fit ``model`` with each noise family on the training data and score each on the held-out data.

    The initial scale of each family has the interquartile range of ``model``'s noise (so the Cauchy family
    starts comparably).

    Returns
    -------
    FamilyComparison
        ``comparison`` (xarray.Dataset): ``log_likelihood`` and ``bits_per_spike`` (family, neuron) on the test
        data, the population ``bits_per_spike_total`` (family), ``aic_train`` (family, neuron), the best family
        (attrs); ``fits``: family name -> FitResult.
    """
    import dataclasses

    from nsnn_sim.fit.estimate import fit_escape

    families = [name for name in names() if not spec(name).deterministic] if families is None else list(families)
    baseline = homogeneous_log_likelihood(train_spikes, test_spikes)
    n_spikes = dense_spikes(test_spikes, "test_spikes")[0].sum(axis=(0, 1))
    scale_name = "noise_scale" if type(model).__name__ == "NSNN" else "sigma"
    iqr = 2.0 * spec(model.noise).ppf(0.75, 1.0) * np.asarray(getattr(model, scale_name))
    held_out, aic, fits = [], [], {}
    for family in families:
        start = dataclasses.replace(model, noise=family, **{scale_name: spec(family).scale_for_iqr(iqr)})
        fitted = fit_escape(start, train_inputs, train_spikes, parameters, **options)
        fits[family] = fitted
        held_out.append(fitted.log_likelihood(test_inputs, test_spikes))
        aic.append(fitted.dataset["aic"].values)
    held_out = np.array(held_out)
    total = (held_out.sum(axis=1) - baseline.sum()) / (n_spikes.sum() * _LN2)
    data = xr.Dataset(
        {"log_likelihood": (("family", "neuron"), held_out, {"units": "nats", "data": "held out"}),
         "bits_per_spike": (("family", "neuron"), bits_per_spike(held_out, baseline[None], n_spikes[None]),
                            {"units": "bits/spike"}),
         "bits_per_spike_total": ("family", total, {"units": "bits/spike"}),
         "aic_train": (("family", "neuron"), np.array(aic)),
         "baseline_log_likelihood": ("neuron", baseline, {"units": "nats"})},
        coords={"family": families, "neuron": np.arange(held_out.shape[1])},
        attrs={"best_family": families[int(np.argmax(total))]})
    return FamilyComparison(data, fits)


@dataclass
class PoissonGLM:
    """A fitted Poisson GLM with spike history (:func:`fit_poisson_glm`): ``coefficients`` (neuron, feature),
    ``feature_names``, the history ``basis`` (n_lags, n_basis), the training ``log_likelihood`` per neuron, and
    per neuron whether its fit ``converged`` (Newton decrement below :data:`GLM_DECREMENT`) and its number of
    Newton ``n_iterations``."""

    coefficients: np.ndarray
    feature_names: list
    basis: np.ndarray
    log_likelihood_train: np.ndarray
    converged: np.ndarray | None = None
    n_iterations: np.ndarray | None = None

    def neuron_design(self, spikes: np.ndarray, covariates: np.ndarray) -> np.ndarray:
        """Features ``(n_trials, n_steps, n_features)`` of one neuron whose spikes are ``spikes`` ``(n_trials,
        n_steps)``: the covariates, then its own filtered spike history (lags >= 1)."""
        history = filtered_covariates(spikes[:, :, None], self.basis, first_lag=1)  # (trials, steps, n_basis)
        return np.concatenate([covariates, history], axis=2)

    def design(self, spikes: np.ndarray, covariates: np.ndarray) -> np.ndarray:
        """Features ``(n_trials, n_steps, n_neurons, n_features)``: :meth:`neuron_design` of every neuron."""
        return np.stack([self.neuron_design(spikes[:, :, i], covariates) for i in range(spikes.shape[2])], axis=2)

    def log_likelihood(self, inputs, spikes) -> np.ndarray:
        """Per-neuron log-likelihood (nats) of (held-out) ``inputs`` and ``spikes``."""
        dense, _ = dense_spikes(spikes)
        covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
        return _glm_terms(self.coefficients, self.design(dense, covariates), dense)[0]

    def log_silence(self, inputs, spikes) -> np.ndarray:
        """``log(1 - p[t]) = -lambda[t] dt`` per (trial, step, neuron), for :func:`time_rescaling`."""
        dense, _ = dense_spikes(spikes)
        covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
        return -np.exp(np.einsum("btif,if->bti", self.design(dense, covariates), self.coefficients))


def _cloglog_terms(eta, spikes):
    """Per bin ``log P(s | eta)`` of the Poisson-probability Bernoulli model and its first two derivatives in
    ``eta``: ``mu = exp(eta)``, ``log p = log(1 - exp(-mu))``, ``log(1 - p) = -mu``;
    ``d/d eta = s mu/expm1(mu) - (1 - s) mu`` and ``-d^2/d eta^2 = s r (mu/(1 - exp(-mu)) - 1) + (1 - s) mu``
    with ``r = mu/expm1(mu)`` (both >= 0: the log-likelihood is concave in ``eta``)."""
    mu = np.exp(np.minimum(eta, 700.0))
    spiking = spikes > 0
    with np.errstate(over="ignore"):  # mu / expm1(mu) -> 0 for large mu (expm1 overflows to inf: exactly 0)
        ratio = mu / np.expm1(mu)
    log_p = np.log(-np.expm1(-mu))
    terms = np.where(spiking, log_p, -mu)
    d_eta = np.where(spiking, ratio, -mu)
    curvature = np.where(spiking, ratio * np.maximum(mu / -np.expm1(-mu) - 1.0, 0.0), mu)
    return terms, d_eta, curvature


def _glm_terms(coefficients, design, spikes):
    """Per-neuron ``log L`` and ``d log L / d coefficients`` (:func:`_cloglog_terms`) of a population."""
    terms, d_eta, _ = _cloglog_terms(np.einsum("btif,if->bti", design, coefficients), spikes)
    return terms.sum(axis=(0, 1)), np.einsum("bti,btif->if", d_eta, design)


#: A neuron's GLM fit has converged when the Newton decrement ``g^T H^+ g / 2`` (the log-likelihood one more
#: Newton step would gain) is below this many nats.
GLM_DECREMENT = 1e-10
#: Below this Newton decrement (nats) the full Newton step is taken without a line search.
PURE_NEWTON = 1e-6


def _fit_glm_neuron(design: np.ndarray, spikes: np.ndarray, start: np.ndarray, max_iterations: int):
    """One neuron's maximum-likelihood coefficients by Newton's method with a backtracking (Armijo) line search:
    ``H delta = g`` with ``g`` the gradient of ``log L`` and ``H = X^T diag(-d^2 log L/d eta^2) X`` (solved by
    least squares: a direction the data do not determine gets no step). Returns ``(coefficients, log L,
    converged, n_iterations)``; converged when the Newton decrement is below :data:`GLM_DECREMENT`."""
    features = design.reshape(-1, design.shape[-1])
    spikes = spikes.reshape(-1)

    def evaluate(coefficients):
        terms, d_eta, curvature = _cloglog_terms(features @ coefficients, spikes)
        return float(np.sum(terms)), features.T @ d_eta, curvature

    coefficients = start.copy()
    value, gradient, curvature = evaluate(coefficients)
    for iteration in range(max_iterations + 1):
        hessian = features.T @ (curvature[:, None] * features)
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        decrement = float(gradient @ step)  # g^T H^+ g >= 0
        if not decrement / 2 > GLM_DECREMENT or iteration == max_iterations:
            return coefficients, value, bool(decrement / 2 <= GLM_DECREMENT), iteration
        size = 1.0
        while True:
            trial = coefficients + size * step
            trial_value, trial_gradient, trial_curvature = evaluate(trial)
            # near the maximum (decrement < 1e-6 nats) the full step is taken: the gain it brings is then
            # close to the rounding of log L, and the quadratic model is exact to far better than that
            if trial_value >= value + 0.25 * size * decrement or decrement / 2 < PURE_NEWTON:
                break
            size *= 0.5
            if size < 1e-10:  # no ascent along the Newton direction
                return coefficients, value, False, iteration
        coefficients, value, gradient, curvature = trial, trial_value, trial_gradient, trial_curvature
    raise AssertionError("unreachable")


def fit_poisson_glm(inputs, spikes, n_history_basis: int = 4, history_steps: int = 30,
                    max_iterations: int = 100) -> PoissonGLM:
    """Fit a Poisson GLM with a spike-history filter to each neuron (module docstring).

    The neurons are independent given the covariates and their own histories, so each is fitted on its own
    (:func:`_fit_glm_neuron`: Newton's method, its own stopping rule): the result for a neuron does not
    depend on the others fitted with it.

    Parameters
    ----------
    inputs : array (n_steps, n_inputs) or (n_trials, n_steps, n_inputs)
        Covariates (include a constant column for the baseline rate).
    spikes : SpikeTrains or array (n_steps, n_neurons) or (n_trials, n_steps, n_neurons) of 0 and 1
    n_history_basis, history_steps : int
        The history filter: :func:`~nsnn_sim.fit.basis.raised_cosine_basis` ``(n_history_basis, history_steps)``
        at lags ``1 .. history_steps``.
    max_iterations : int
        Newton iterations per neuron, >= 1 (a fit typically converges in 5 to 15).

    Returns
    -------
    PoissonGLM
        With ``converged`` and ``n_iterations`` per neuron.

    Warns
    -----
    RuntimeWarning
        Naming the neurons whose fit did not converge within ``max_iterations``.
    """
    dense, _ = dense_spikes(spikes)
    covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
    n_history_basis = whole_number("n_history_basis", n_history_basis)
    history_steps = whole_number("history_steps", history_steps, minimum=max(4, n_history_basis))
    max_iterations = whole_number("max_iterations", max_iterations)
    basis = raised_cosine_basis(n_history_basis, history_steps)
    names_ = [f"k_{j}" for j in range(covariates.shape[2])] + [f"h_{b}" for b in range(n_history_basis)]
    n_neurons = dense.shape[2]
    glm = PoissonGLM(np.zeros((n_neurons, len(names_))), names_, basis, np.zeros(n_neurons),
                     np.zeros(n_neurons, dtype=bool), np.zeros(n_neurons, dtype=np.int64))
    rate = np.clip(dense.mean(axis=(0, 1)), 1e-6, 1 - 1e-6)
    constant = np.flatnonzero(np.all(covariates == covariates[0, 0], axis=(0, 1)) & (covariates[0, 0] != 0))
    for i in range(n_neurons):
        start = np.zeros(len(names_))
        if constant.size:  # start at the homogeneous rate
            start[constant[0]] = np.log(-np.log1p(-rate[i])) / covariates[0, 0, constant[0]]
        design = glm.neuron_design(dense[:, :, i], covariates)
        (glm.coefficients[i], glm.log_likelihood_train[i], glm.converged[i],
         glm.n_iterations[i]) = _fit_glm_neuron(design, dense[:, :, i], start, max_iterations)
    if not glm.converged.all():
        warnings.warn(f"fit_poisson_glm: the fit of neuron(s) {np.flatnonzero(~glm.converged).tolist()} did not "
                      f"converge in max_iterations={max_iterations} Newton steps (see PoissonGLM.converged)",
                      RuntimeWarning, stacklevel=2)
    return glm


def rescaled_intervals(log_silence, spikes, seed: int = 0) -> np.ndarray:
    """The rescaled intervals ``tau_k`` of every (trial, neuron), pooled (module docstring).

    Parameters
    ----------
    log_silence : array (n_trials, n_steps, n_neurons)
        ``log(1 - p[t])`` under the model (e.g. :meth:`FitResult.log_silence`), <= 0.
    spikes : SpikeTrains or array of 0 and 1, same shape
    seed : int
        Seed of the uniform ``r_k`` of the discrete-time correction.
    """
    dense, _ = dense_spikes(spikes)
    log_silence = finite_array("log_silence", log_silence)
    if log_silence.shape != dense.shape:
        raise ValueError(f"log_silence has shape {log_silence.shape}; the spikes {dense.shape}")
    if np.any(log_silence > 0):
        raise ValueError(f"log_silence={describe(log_silence)} must be <= 0 (the log of a probability, log(1 - p))")
    hazard = -log_silence  # q_t
    generator = np.random.default_rng(seed)
    out = []
    for b in range(dense.shape[0]):
        for i in range(dense.shape[2]):
            steps = np.flatnonzero(dense[b, :, i])
            if steps.size == 0:
                continue
            cumulative = np.concatenate([[0.0], np.cumsum(hazard[b, :, i])])  # Q[t] = sum_{u < t} q_u
            previous = np.concatenate([[-1], steps[:-1]])
            before = cumulative[steps] - cumulative[previous + 1]  # bins strictly between the spikes
            p_spike = -np.expm1(-hazard[b, steps, i])
            r = generator.random(steps.size)
            out.append(before - np.log1p(-r * p_spike))
    return np.concatenate(out) if out else np.zeros(0)


def time_rescaling(log_silence, spikes, seed: int = 0) -> TimeRescaling:
    """Time-rescaling goodness of fit (Brown et al. 2002; module docstring): the KS test of the rescaled
    intervals against Exp(1).

    Returns
    -------
    TimeRescaling
        ``statistic``, ``pvalue`` (scipy.stats.kstest of ``1 - exp(-tau)`` against U(0, 1)), ``n_intervals``,
        ``uniform`` (the sorted ``1 - exp(-tau)``, for a KS plot) and ``band`` (the 95 % KS half-width
        ``1.36 / sqrt(n)``).
    """
    tau = rescaled_intervals(log_silence, spikes, seed)
    if tau.size < 2:
        raise ValueError(f"time_rescaling needs at least 2 spikes, got {tau.size}")
    uniform = np.sort(-np.expm1(-tau))
    test = stats.kstest(uniform, "uniform")
    return TimeRescaling(float(test.statistic), float(test.pvalue), int(tau.size), uniform, 1.36 / math.sqrt(tau.size))
