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
  ``log dt``), fitted by maximum likelihood with L-BFGS-B (a concave problem).
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
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import optimize, stats

from nsnn_sim._core.validation import describe, finite_array, whole_number
from nsnn_sim.fit.basis import filtered_covariates, raised_cosine_basis
from nsnn_sim.fit.problem import covariate_array, dense_spikes
from nsnn_sim.simulator.noise import names, spec

__all__ = ["homogeneous_log_likelihood", "bits_per_spike", "compare_families", "fit_poisson_glm", "PoissonGLM",
           "time_rescaling", "rescaled_intervals"]

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


def compare_families(train_spikes, train_inputs, test_spikes, test_inputs, model, families=None,
                     parameters=("weights", "decay", "scale"), **options) -> tuple[xr.Dataset, dict]:
    """Fit ``model`` with each noise family on the training data and score each on the held-out data.

    The initial scale of each family has the interquartile range of ``model``'s noise (so the Cauchy family
    starts comparably).

    Returns
    -------
    comparison : xarray.Dataset
        ``log_likelihood`` and ``bits_per_spike`` (family, neuron) on the test data, the population
        ``bits_per_spike_total`` (family), ``aic_train`` (family, neuron), the best family (attrs).
    fits : dict of str -> FitResult
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
        fitted = fit_escape(train_spikes, train_inputs, start, parameters, **options)
        fits[family] = fitted
        held_out.append(fitted.log_likelihood(test_spikes, test_inputs))
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
    return data, fits


@dataclass
class PoissonGLM:
    """A fitted Poisson GLM with spike history (:func:`fit_poisson_glm`): ``coefficients`` (neuron, feature),
    ``feature_names``, the history ``basis`` (n_lags, n_basis) and the training ``log_likelihood`` per neuron."""

    coefficients: np.ndarray
    feature_names: list
    basis: np.ndarray
    log_likelihood_train: np.ndarray

    def design(self, spikes: np.ndarray, covariates: np.ndarray) -> np.ndarray:
        """Features ``(n_trials, n_steps, n_neurons, n_features)``: the covariates, then each neuron's own
        filtered spike history (lags >= 1)."""
        history = filtered_covariates(spikes, self.basis, first_lag=1)  # (trials, steps, neurons*n_basis)
        n_trials, n_steps, n_neurons = spikes.shape
        history = history.reshape(n_trials, n_steps, n_neurons, self.basis.shape[1])
        shared = np.broadcast_to(covariates[:, :, None, :], (n_trials, n_steps, n_neurons, covariates.shape[2]))
        return np.concatenate([shared, history], axis=3)

    def log_likelihood(self, spikes, inputs) -> np.ndarray:
        """Per-neuron log-likelihood (nats) of (held-out) ``spikes`` and ``inputs``."""
        dense, _ = dense_spikes(spikes)
        covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
        return _glm_terms(self.coefficients, self.design(dense, covariates), dense)[0]

    def log_silence(self, spikes, inputs) -> np.ndarray:
        """``log(1 - p[t]) = -lambda[t] dt`` per (trial, step, neuron), for :func:`time_rescaling`."""
        dense, _ = dense_spikes(spikes)
        covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
        return -np.exp(np.einsum("btif,if->bti", self.design(dense, covariates), self.coefficients))


def _glm_terms(coefficients, design, spikes):
    """Per-neuron ``log L`` and ``d log L / d coefficients`` of the Poisson-probability Bernoulli model:
    ``mu = exp(eta)``, ``log p = log(1 - exp(-mu))``, ``log(1 - p) = -mu``;
    ``d/d eta = s mu / expm1(mu) - (1 - s) mu``."""
    eta = np.einsum("btif,if->bti", design, coefficients)
    mu = np.exp(np.minimum(eta, 700.0))
    log_p = np.log(-np.expm1(-mu))
    terms = np.where(spikes > 0, log_p, -mu)
    with np.errstate(over="ignore"):  # mu / expm1(mu) -> 0 for large mu (expm1 overflows to inf: exactly 0)
        d_eta = np.where(spikes > 0, mu / np.expm1(mu), -mu)
    return terms.sum(axis=(0, 1)), np.einsum("bti,btif->if", d_eta, design)


def fit_poisson_glm(spikes, inputs, n_history_basis: int = 4, history_steps: int = 30,
                    max_iterations: int = 500) -> PoissonGLM:
    """Fit a Poisson GLM with a spike-history filter to each neuron (module docstring).

    Parameters
    ----------
    spikes : SpikeTrains or array (n_steps, n_neurons) or (n_trials, n_steps, n_neurons) of 0 and 1
    inputs : array (n_steps, n_inputs) or (n_trials, n_steps, n_inputs)
        Covariates (include a constant column for the baseline rate).
    n_history_basis, history_steps : int
        The history filter: :func:`~nsnn_sim.fit.basis.raised_cosine_basis` ``(n_history_basis, history_steps)``
        at lags ``1 .. history_steps``.
    """
    dense, _ = dense_spikes(spikes)
    covariates = covariate_array(inputs, dense.shape[0], dense.shape[1])
    n_history_basis = whole_number("n_history_basis", n_history_basis)
    history_steps = whole_number("history_steps", history_steps, minimum=max(4, n_history_basis))
    basis = raised_cosine_basis(n_history_basis, history_steps)
    names_ = [f"k_{j}" for j in range(covariates.shape[2])] + [f"h_{b}" for b in range(n_history_basis)]
    glm = PoissonGLM(np.zeros((dense.shape[2], len(names_))), names_, basis, np.zeros(dense.shape[2]))
    design = glm.design(dense, covariates)
    shape = glm.coefficients.shape
    start = np.zeros(shape)
    rate = np.clip(dense.mean(axis=(0, 1)), 1e-6, 1 - 1e-6)
    constant = np.flatnonzero(np.all(covariates == covariates[0, 0], axis=(0, 1)) & (covariates[0, 0] != 0))
    if constant.size:  # start at the homogeneous rate
        start[:, constant[0]] = np.log(-np.log1p(-rate)) / covariates[0, 0, constant[0]]

    def objective(z):
        values, grad = _glm_terms(z.reshape(shape), design, dense)
        return -float(values.sum()), -grad.ravel()

    solution = optimize.minimize(objective, start.ravel(), jac=True, method="L-BFGS-B",
                                 options={"maxiter": max_iterations, "ftol": 1e-12, "gtol": 1e-8})
    glm.coefficients = solution.x.reshape(shape)
    glm.log_likelihood_train = _glm_terms(glm.coefficients, design, dense)[0]
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


def time_rescaling(log_silence, spikes, seed: int = 0) -> dict:
    """Time-rescaling goodness of fit (Brown et al. 2002; module docstring): the KS test of the rescaled
    intervals against Exp(1).

    Returns
    -------
    dict
        ``statistic``, ``pvalue`` (scipy.stats.kstest of ``1 - exp(-tau)`` against U(0, 1)), ``n_intervals``,
        ``uniform`` (the sorted ``1 - exp(-tau)``, for a KS plot) and ``band`` (the 95 % KS half-width
        ``1.36 / sqrt(n)``).
    """
    tau = rescaled_intervals(log_silence, spikes, seed)
    if tau.size < 2:
        raise ValueError(f"time_rescaling needs at least 2 spikes, got {tau.size}")
    uniform = np.sort(-np.expm1(-tau))
    test = stats.kstest(uniform, "uniform")
    return {"statistic": float(test.statistic), "pvalue": float(test.pvalue), "n_intervals": int(tau.size),
            "uniform": uniform, "band": 1.36 / math.sqrt(tau.size)}
