"""Neural coding: orientation tuning curves, linear Fisher information and discrimination thresholds.

* :func:`von_mises_tuning` — the orientation tuning curve (period pi)
  ``f(s) = baseline + gain * exp(kappa * (cos(2 (s - preferred)) - 1))``.
* :func:`fit_tuning_curves` — weighted least-squares fit of that curve to every neuron's trial-mean
  responses, with standard errors, as an ``xarray.Dataset`` over ``neuron``.
* :func:`linear_fisher_information` — ``I = f'^T Sigma^-1 f'`` from the responses to two nearby
  stimuli, with the bias correction of Kanitscheider, Coen-Cagli, Kohn & Pouget (2015).
* :func:`fisher_information_by_population_size` — the same over random subsets of neurons.
* :func:`discrimination_threshold` — ``d' / sqrt(I)`` (Cramer-Rao).
* :class:`PoissonDecoder`, :class:`EmpiricalDecoder` — grid posteriors over orientation from spike
  counts (independent-Poisson or learned-histogram likelihood, flat prior), with circular posterior
  mean / SD, MAP and central credible intervals; :func:`covers`, :func:`coverage` (calibration)
  and :func:`circular_error`.

Stimuli (orientations) are in radians. Results are labelled xarray objects with dims among
``neuron``, ``population_size``; units are in ``attrs["units"]`` (``"1"`` for dimensionless
numbers). Fisher information has the units of ``1 / delta_stimulus**2``.

References
----------
Kanitscheider I, Coen-Cagli R, Kohn A, Pouget A (2015). Measuring Fisher information accurately in
correlated neural populations. PLoS Comput Biol 11(6): e1004218. doi:10.1371/journal.pcbi.1004218
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import xarray as xr
from scipy.optimize import OptimizeWarning, curve_fit

from nsnn_sim.validation import describe, float_array, numeric_parameter, whole_number
from nsnn_sim.version import provenance

__all__ = ["von_mises_tuning", "fit_tuning_curves", "linear_fisher_information",
           "fisher_information_by_population_size", "discrimination_threshold"]

TUNING_PARAMETERS = ("preferred", "kappa", "baseline", "gain")

# A stimulus whose trials all agree (e.g. all zero spikes) has a zero standard error; its weight in
# the fit is capped by flooring every SE at this fraction of the neuron's median positive SE.
_SE_FLOOR_FRACTION = 0.1
# kappa starting values are clipped to this range (a half-width of ~90 deg .. ~5 deg)
_KAPPA_START_RANGE = (0.05, 50.0)


# ------------------------------------------------------------------ tuning curves
def von_mises_tuning(stimulus, preferred, kappa, baseline, gain):
    """Orientation tuning curve: a von Mises function of period pi.

    .. math::

        f(s) = b + g \\exp\\bigl(\\kappa\\,[\\cos(2(s - s_\\mathrm{pref})) - 1]\\bigr)

    so ``f(preferred) = baseline + gain`` (the peak) and ``f(preferred + pi/2) =
    baseline + gain * exp(-2 kappa)`` (the trough). The arguments broadcast against each other
    (numpy rules, or xarray rules if any is a ``DataArray``).

    Parameters
    ----------
    stimulus : float, array or DataArray
        Orientation(s) in radians.
    preferred : float, array or DataArray
        Preferred orientation ``s_pref`` in radians.
    kappa : float, array or DataArray
        Concentration (dimensionless, >= 0): larger is narrower tuning.
    baseline : float, array or DataArray
        Response far from the preferred orientation, ``b`` (units of the response).
    gain : float, array or DataArray
        Peak response above baseline, ``g`` (units of the response).

    Returns
    -------
    numpy.ndarray, float or xarray.DataArray
        ``f(stimulus)``, with the broadcast shape of the arguments.
    """
    values = {}
    for name, value in (("stimulus", stimulus), ("preferred", preferred), ("kappa", kappa),
                        ("baseline", baseline), ("gain", gain)):
        array = float_array(name, value.values if isinstance(value, xr.DataArray) else value)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name}={describe(array)} must be finite (no NaN or inf)")
        values[name] = value.astype(np.float64) if isinstance(value, xr.DataArray) else array
    if np.any(np.asarray(values["kappa"]) < 0):
        raise ValueError(f"kappa={describe(np.asarray(values['kappa']))} must be >= 0")
    response = values["baseline"] + values["gain"] * np.exp(
        values["kappa"] * (np.cos(2.0 * (values["stimulus"] - values["preferred"])) - 1.0))
    if isinstance(response, np.ndarray) and response.ndim == 0:
        return float(response)
    return response


def _tuning_model(stimulus, preferred, kappa, baseline, gain):
    return baseline + gain * np.exp(kappa * (np.cos(2.0 * (stimulus - preferred)) - 1.0))


def _tuning_jacobian(stimulus, preferred, kappa, baseline, gain):
    """d f / d (preferred, kappa, baseline, gain), shape (n_stimuli, 4)."""
    angle = 2.0 * (stimulus - preferred)
    shape = np.exp(kappa * (np.cos(angle) - 1.0))
    return np.column_stack([gain * shape * kappa * 2.0 * np.sin(angle),
                            gain * shape * (np.cos(angle) - 1.0),
                            np.ones_like(stimulus),
                            shape])


def _responses_array(responses, stimuli):
    """``responses`` as float (stimulus, trial, neuron) values, the stimuli and the neuron labels."""
    if isinstance(responses, xr.DataArray):
        expected = {"stimulus", "trial", "neuron"}
        if set(responses.dims) != expected:
            raise ValueError(f"responses must have exactly the dims ('stimulus', 'trial', 'neuron') "
                             f"(in any order), got {responses.dims}")
        ordered = responses.transpose("stimulus", "trial", "neuron")
        values = float_array("responses", ordered.values, "an array of spike counts or rates")
        neurons = ordered["neuron"].values if "neuron" in ordered.coords else np.arange(values.shape[2])
        if stimuli is None:
            if "stimulus" not in ordered.coords:
                raise ValueError("responses has no 'stimulus' coordinate (orientations in radians); "
                                 "add one or pass stimuli")
            stimuli = ordered["stimulus"].values
        units = str(responses.attrs.get("units", ""))
    else:
        values = float_array("responses", responses, "a DataArray or array of spike counts or rates")
        if values.ndim != 3:
            raise ValueError(f"responses given as an array must have shape (stimulus, trial, neuron), "
                             f"got shape {values.shape}")
        if stimuli is None:
            raise ValueError("stimuli (orientations in radians) must be given when responses is not "
                             "a DataArray with a 'stimulus' coordinate")
        neurons = np.arange(values.shape[2])
        units = ""
    stimuli = float_array("stimuli", stimuli, "a 1-D array of orientations in radians")
    if stimuli.shape != (values.shape[0],):
        raise ValueError(f"stimuli must hold one orientation per stimulus ({values.shape[0]}), "
                         f"got shape {stimuli.shape}")
    if not np.all(np.isfinite(stimuli)) or np.any(stimuli < 0) or np.any(stimuli >= np.pi):
        raise ValueError(f"stimuli={describe(stimuli)} must be orientations in radians in [0, pi) "
                         "(convert degrees with np.deg2rad; fold with np.mod(s, np.pi))")
    if np.unique(stimuli).size != stimuli.size:
        raise ValueError(f"stimuli={describe(stimuli)} must not repeat an orientation")
    if stimuli.size < len(TUNING_PARAMETERS) + 1:
        raise ValueError(f"responses has {stimuli.size} stimuli; fitting {len(TUNING_PARAMETERS)} "
                         f"parameters needs at least {len(TUNING_PARAMETERS) + 1}")
    if values.shape[1] < 2:
        raise ValueError(f"responses has {values.shape[1]} trial(s); the standard errors of the "
                         "trial means need at least 2")
    if np.any(np.isinf(values)):
        raise ValueError("responses must not contain inf (NaN marks a missing trial)")
    return values, stimuli, neurons, units


def _starting_values(stimuli, mean):
    """Initial (preferred, kappa, baseline, gain): peak position, half-width, min, max - min."""
    low, high = float(mean.min()), float(mean.max())
    preferred = float(stimuli[np.argmax(mean)])
    # fraction of the period where the response exceeds half its range = full width at half max / pi;
    # exp(kappa (cos(2 hw) - 1)) = 1/2 at the half-width hw = fraction * pi / 2
    fraction = np.count_nonzero(mean >= low + 0.5 * (high - low)) / mean.size
    kappa = math.log(2.0) / max(1.0 - math.cos(fraction * math.pi), 1e-12)
    kappa = float(np.clip(kappa, *_KAPPA_START_RANGE))
    return preferred, kappa, max(low, 0.0), max(high - low, 0.0)


def _fit_one(stimuli, mean, sigma):
    """Best of a few least-squares fits (different starting kappas); None if all fail."""
    preferred, kappa, baseline, gain = _starting_values(stimuli, mean)
    lower = [-np.inf, 0.0, 0.0, 0.0]
    upper = [np.inf, np.inf, np.inf, np.inf]
    best = None
    for start_kappa in (kappa, kappa / 4.0, kappa * 4.0):
        start = [preferred, start_kappa, baseline, gain]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                popt, pcov = curve_fit(_tuning_model, stimuli, mean, p0=start, sigma=sigma,
                                       absolute_sigma=sigma is not None, bounds=(lower, upper),
                                       jac=_tuning_jacobian, method="trf", max_nfev=2000)
        except (RuntimeError, ValueError, np.linalg.LinAlgError):
            continue
        residual = (mean - _tuning_model(stimuli, *popt)) / (1.0 if sigma is None else sigma)
        cost = float(residual @ residual)
        if np.all(np.isfinite(popt)) and np.isfinite(cost) and (best is None or cost < best[2]):
            best = (popt, pcov, cost)
    return best


def fit_tuning_curves(responses, stimuli=None) -> xr.Dataset:
    """Fit a von Mises orientation tuning curve to every neuron's trial-mean responses.

    For each neuron, with ``m_k`` the mean response over trials to orientation ``s_k`` and
    ``se_k`` its standard error (``SD / sqrt(n_trials)``, ddof = 1), minimise

    .. math::

        \\chi^2 = \\sum_k \\left(\\frac{m_k - f(s_k)}{se_k}\\right)^2,\\qquad
        f(s) = b + g \\exp\\bigl(\\kappa\\,[\\cos(2(s - s_\\mathrm{pref})) - 1]\\bigr)

    (:func:`von_mises_tuning`) over ``s_pref`` (free, then wrapped into [0, pi)), ``kappa >= 0``,
    ``b >= 0`` and ``g >= 0``, with :func:`scipy.optimize.curve_fit` (trust-region reflective,
    analytic Jacobian). Starting values: ``s_pref`` = the orientation of the largest mean,
    ``b`` = the smallest mean, ``g`` = largest - smallest, ``kappa = ln 2 / (1 - cos(2 hw))`` from
    the half-width ``hw`` at half maximum of the data; the fit is also started from ``kappa/4`` and
    ``4 kappa`` and the lowest chi^2 is kept. Standard errors are ``sqrt(diag(C))`` with ``C`` the
    covariance ``(J^T W J)^-1`` (``absolute_sigma=True``: the SEs of the means are taken as known).
    They are valid if the model holds and the SEs of the means are well estimated (tens of trials
    or more; with ~5 trials they come out too small); ``reduced_chi_squared`` >> 1 says the model
    does not hold and the SEs are then too small.

    Every ``se_k`` is floored at 10 % of the neuron's median positive SE, so that a stimulus whose
    trials all agree (e.g. zero spikes in every trial) does not get an infinite weight. If every
    SE is zero (noise-free responses) the fit is unweighted and ``C`` is scaled by the residual
    variance. NaN responses are treated as missing trials.

    A neuron never makes this function raise: if its fit cannot be done (its trial means do not
    vary with the stimulus, too few stimuli have two or more valid trials, or the optimiser fails)
    its parameters are NaN and ``converged`` is False (one ``RuntimeWarning`` lists such neurons).
    An SE is NaN where the covariance is not finite (a parameter the data do not determine, e.g.
    ``preferred`` when ``gain = 0``).

    Parameters
    ----------
    responses : xarray.DataArray or array
        Spike counts or rates with dims ``(stimulus, trial, neuron)`` (any order). The ``stimulus``
        coordinate holds the orientations in radians in [0, pi). An array must have the shape
        ``(stimulus, trial, neuron)`` and needs ``stimuli``. At least 5 distinct stimuli and 2 trials.
    stimuli : array of float, optional
        Orientations in radians in [0, pi), one per stimulus; overrides the ``stimulus`` coordinate.

    Returns
    -------
    xarray.Dataset
        Over dim ``neuron``: ``preferred`` (rad, in [0, pi)), ``kappa`` (1), ``baseline`` and
        ``gain`` (units of ``responses``), their standard errors ``preferred_se``, ``kappa_se``,
        ``baseline_se``, ``gain_se``, ``r_squared`` (``1 - SS_res / SS_tot`` of the trial means,
        unweighted), ``reduced_chi_squared`` (``chi^2 / (n_stimuli - 4)``; NaN for an unweighted
        fit) and ``converged`` (bool). Attrs: the model, the method, the package version.

    Raises
    ------
    ValueError
        Wrong dims or shape, stimuli outside [0, pi) or repeated, fewer than 5 stimuli or 2 trials.
    TypeError
        Non-numeric responses or stimuli.
    """
    values, stimuli, neurons, units = _responses_array(responses, stimuli)
    n_stimuli, _, n_neurons = values.shape
    valid = np.isfinite(values)
    n_valid = valid.sum(axis=1)                                      # (stimulus, neuron)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=1)
        standard_error = np.nanstd(values, axis=1, ddof=1) / np.sqrt(n_valid)

    results = {name: np.full(n_neurons, np.nan) for name in TUNING_PARAMETERS}
    results.update({f"{name}_se": np.full(n_neurons, np.nan) for name in TUNING_PARAMETERS})
    results["r_squared"] = np.full(n_neurons, np.nan)
    results["reduced_chi_squared"] = np.full(n_neurons, np.nan)
    converged = np.zeros(n_neurons, dtype=bool)
    failed = []
    for neuron in range(n_neurons):
        usable = n_valid[:, neuron] >= 2
        neuron_mean, neuron_se, neuron_stimuli = (mean[usable, neuron], standard_error[usable, neuron],
                                                   stimuli[usable])
        if usable.sum() < len(TUNING_PARAMETERS) + 1:
            failed.append((neurons[neuron], "fewer than 5 stimuli with 2 or more valid trials"))
            continue
        if np.ptp(neuron_mean) == 0:
            failed.append((neurons[neuron], "its trial-mean response does not vary with the stimulus"))
            continue
        positive = neuron_se[neuron_se > 0]
        sigma = (np.maximum(neuron_se, _SE_FLOOR_FRACTION * np.median(positive)) if positive.size
                 else None)
        best = _fit_one(neuron_stimuli, neuron_mean, sigma)
        if best is None:
            failed.append((neurons[neuron], "the least-squares fit did not converge"))
            continue
        popt, pcov, cost = best
        popt = popt.copy()
        popt[0] = np.mod(popt[0], np.pi)
        if popt[0] >= np.pi:  # np.mod of a tiny negative number rounds to pi
            popt[0] = 0.0
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(pcov))
        se[~np.isfinite(se)] = np.nan
        for index, name in enumerate(TUNING_PARAMETERS):
            results[name][neuron] = popt[index]
            results[f"{name}_se"][neuron] = se[index]
        residual = neuron_mean - _tuning_model(neuron_stimuli, *popt)
        total = np.sum((neuron_mean - neuron_mean.mean()) ** 2)
        results["r_squared"][neuron] = 1.0 - residual @ residual / total
        dof = neuron_stimuli.size - len(TUNING_PARAMETERS)
        results["reduced_chi_squared"][neuron] = cost / dof if sigma is not None else np.nan
        converged[neuron] = True
    if failed:
        listed = "; ".join(f"neuron {label}: {reason}" for label, reason in failed[:10])
        more = f" (and {len(failed) - 10} more)" if len(failed) > 10 else ""
        warnings.warn(f"fit_tuning_curves: {len(failed)} of {n_neurons} neuron(s) could not be fitted "
                      f"and are NaN with converged=False: {listed}{more}", RuntimeWarning, stacklevel=2)

    units_of = {"preferred": "rad", "kappa": "1", "baseline": units, "gain": units}
    long_names = {"preferred": "preferred orientation", "kappa": "concentration",
                  "baseline": "baseline response", "gain": "peak response above baseline"}
    data_vars = {}
    for name in TUNING_PARAMETERS:
        data_vars[name] = ("neuron", results[name], {"units": units_of[name], "long_name": long_names[name]})
        data_vars[f"{name}_se"] = ("neuron", results[f"{name}_se"],
                                   {"units": units_of[name], "long_name": f"standard error of {name}"})
    data_vars["r_squared"] = ("neuron", results["r_squared"],
                              {"units": "1", "long_name": "coefficient of determination of the trial means"})
    data_vars["reduced_chi_squared"] = ("neuron", results["reduced_chi_squared"],
                                        {"units": "1", "long_name": "chi^2 / (n_stimuli - 4)"})
    data_vars["converged"] = ("neuron", converged, {"units": "1", "long_name": "the fit converged"})
    return xr.Dataset(
        data_vars, coords={"neuron": neurons},
        attrs={"model": "f(s) = baseline + gain*exp(kappa*(cos(2*(s - preferred)) - 1))",
               "method": "weighted least squares on trial means (scipy.optimize.curve_fit, trf), "
                         "sigma = SE of the trial mean, absolute_sigma=True",
               "n_stimuli": int(n_stimuli), "response_units": units,
               **provenance()})


# ------------------------------------------------------------------ linear Fisher information
def _trial_by_neuron(name: str, responses) -> tuple[np.ndarray, np.ndarray | None]:
    """``responses`` as a float (trial, neuron) array, and the neuron labels of a DataArray."""
    labels = None
    if isinstance(responses, xr.DataArray):
        if set(responses.dims) != {"trial", "neuron"}:
            raise ValueError(f"{name} must have exactly the dims ('trial', 'neuron'), got {responses.dims}")
        responses = responses.transpose("trial", "neuron")
        if "neuron" in responses.coords:
            labels = responses["neuron"].values
        responses = responses.values
    values = float_array(name, responses, "a (trial, neuron) array or DataArray of responses")
    if values.ndim != 2:
        raise ValueError(f"{name} must have shape (trial, neuron), got shape {values.shape}")
    if values.shape[1] < 1:
        raise ValueError(f"{name} has no neurons (shape {values.shape})")
    n_bad = int(np.count_nonzero(~np.isfinite(values)))
    if n_bad:
        raise ValueError(f"{name} must be finite, but {n_bad} of its {values.size} values are NaN or inf")
    return values, labels


def _two_stimuli(responses_a, responses_b, delta_stimulus):
    """Validated trial-by-neuron arrays of both stimuli, the neuron labels and delta_stimulus."""
    values_a, labels_a = _trial_by_neuron("responses_a", responses_a)
    values_b, labels_b = _trial_by_neuron("responses_b", responses_b)
    if values_a.shape[1] != values_b.shape[1]:
        raise ValueError(f"responses_a has {values_a.shape[1]} neurons but responses_b has "
                         f"{values_b.shape[1]}; both must hold the same neurons")
    if labels_a is not None and labels_b is not None and not np.array_equal(labels_a, labels_b):
        raise ValueError("responses_a and responses_b must have the same 'neuron' coordinate "
                         "(the same neurons in the same order)")
    if values_a.shape[0] != values_b.shape[0]:
        raise ValueError(f"responses_a has {values_a.shape[0]} trials but responses_b has "
                         f"{values_b.shape[0]}; the estimator needs the same number T for both stimuli")
    if values_a.shape[0] < 2:
        raise ValueError(f"responses_a has {values_a.shape[0]} trial(s); covariances need at least 2")
    delta = numeric_parameter("delta_stimulus", delta_stimulus, lower=0.0, lower_open=True)
    if np.ndim(delta):
        raise ValueError(f"delta_stimulus={describe(delta)} must be a single number, not an array")
    labels = labels_a if labels_a is not None else labels_b
    return values_a, values_b, labels, float(delta)


def _moments(values_a: np.ndarray, values_b: np.ndarray, delta: float):
    """``f' = (mean_b - mean_a) / delta`` and the pooled covariance ``(S_a + S_b) / 2`` (ddof = 1)."""
    derivative = (values_b.mean(axis=0) - values_a.mean(axis=0)) / delta
    pooled = 0.5 * (np.cov(values_a, rowvar=False, ddof=1) + np.cov(values_b, rowvar=False, ddof=1))
    return derivative, np.atleast_2d(pooled)


def _check_trials_for(n_trials: int, n_neurons: int, bias_corrected: bool, name: str) -> None:
    if bias_corrected and 2 * n_trials - n_neurons - 3 <= 0:
        raise ValueError(
            f"{name}: the bias-corrected estimator needs 2T - N - 3 > 0, i.e. more trials per stimulus "
            f"than about half the neurons (T > (N + 3)/2); got T={n_trials} trials and N={n_neurons} "
            f"neurons (2T - N - 3 = {2 * n_trials - n_neurons - 3}). Record more trials or use fewer "
            "neurons")
    if not bias_corrected and 2 * n_trials - 2 < n_neurons:
        raise ValueError(
            f"{name}: the pooled covariance of N={n_neurons} neurons from T={n_trials} trials per "
            f"stimulus has rank at most 2T - 2 = {2 * n_trials - 2} < N and cannot be inverted; "
            "record more trials or use fewer neurons")


def _information(derivative: np.ndarray, covariance: np.ndarray, n_trials: int, delta: float,
                 bias_corrected: bool, name: str = "responses_a, responses_b") -> float:
    """Naive ``f'^T S^-1 f'`` or its bias-corrected version (Kanitscheider et al. 2015, Eq. 2)."""
    n_neurons = derivative.size
    try:
        factor = np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        variances = np.diag(covariance)
        constant = np.flatnonzero(variances <= 0)
        hint = (f" (neurons at positions {constant[:10].tolist()} never vary across trials)"
                if constant.size else " (some neurons' responses are linearly dependent)")
        raise ValueError(f"{name}: the pooled covariance is singular{hint}; drop such neurons") from None
    whitened = np.linalg.solve(factor, derivative)        # L^-1 f', so |.|^2 = f'^T S^-1 f'
    naive = float(whitened @ whitened)
    if not bias_corrected:
        return naive
    return (naive * (2 * n_trials - n_neurons - 3) / (2 * n_trials - 2)
            - 2.0 * n_neurons / (n_trials * delta ** 2))


def linear_fisher_information(responses_a, responses_b, delta_stimulus: float,
                              bias_corrected: bool = True) -> xr.DataArray:
    """Linear Fisher information of a population about a stimulus, from two nearby stimuli.

    With ``T`` trials of ``N`` neurons at stimulus ``s`` (``responses_a``) and at
    ``s + delta_stimulus`` (``responses_b``),

    .. math::

        \\hat f' = \\frac{\\bar r_b - \\bar r_a}{\\delta s},\\qquad
        \\hat\\Sigma = \\tfrac12 (S_a + S_b),\\qquad
        \\hat I = \\hat f'^{\\mathsf T} \\hat\\Sigma^{-1} \\hat f'

    with ``S_a``, ``S_b`` the sample covariances (ddof = 1). This naive ``I`` is biased upwards.
    With ``bias_corrected=True`` (default) the result is the bias-corrected estimator of
    Kanitscheider, Coen-Cagli, Kohn & Pouget (2015), their Eq. 2 (the direct estimator
    ``I_bc``; numbering as cited by implementations built on the authors' CRCNS code):

    .. math::

        \\hat I_\\mathrm{bc} = \\hat I\\,\\frac{2T - N - 3}{2T - 2} - \\frac{2N}{T\\,\\delta s^2}

    It is unbiased for Gaussian responses with a stimulus-independent covariance: ``(2T - 2)
    Sigma_hat`` is Wishart with ``2T - 2`` degrees of freedom, so ``E[Sigma_hat^-1] =
    Sigma^-1 (2T - 2)/(2T - N - 3)``; ``f'_hat = f' + e`` with ``e ~ N(0, 2 Sigma / (T ds^2))``
    independent of ``Sigma_hat``, so ``E[f'_hat^T Sigma^-1 f'_hat] = I + 2N / (T ds^2)``. Hence
    ``E[I_hat] = (I + 2N/(T ds^2)) (2T - 2)/(2T - N - 3)``, which the formula inverts. Its variance
    is Eq. 19 of the paper. ``I_bc`` can be negative when the true information is small.

    Parameters
    ----------
    responses_a, responses_b : array or xarray.DataArray
        Responses (spike counts or rates) with shape / dims ``(trial, neuron)``, the same ``T``
        trials and ``N`` neurons (in the same order) for both stimuli; finite.
    delta_stimulus : float
        The stimulus difference ``ds > 0`` (e.g. radians).
    bias_corrected : bool
        Apply the Kanitscheider et al. (2015) correction (needs ``2T - N - 3 > 0``).

    Returns
    -------
    xarray.DataArray
        0-d, the information in units of ``1 / delta_stimulus**2``; attrs give ``n_trials``,
        ``n_neurons``, ``delta_stimulus``, ``bias_corrected`` and the naive estimate
        ``naive_information``. ``float(result)`` gives the number.

    Raises
    ------
    ValueError
        ``2T - N - 3 <= 0`` with the correction (or ``2T - 2 < N`` without), different neuron or
        trial counts, ``delta_stimulus <= 0``, non-finite responses, a singular pooled covariance.
    """
    values_a, values_b, _, delta = _two_stimuli(responses_a, responses_b, delta_stimulus)
    bias_corrected = bool(bias_corrected)
    n_trials, n_neurons = values_a.shape
    _check_trials_for(n_trials, n_neurons, bias_corrected, "responses_a, responses_b")
    derivative, covariance = _moments(values_a, values_b, delta)
    naive = _information(derivative, covariance, n_trials, delta, False)
    information = _information(derivative, covariance, n_trials, delta, bias_corrected)
    return xr.DataArray(
        information, name="linear_fisher_information",
        attrs={"units": "1/stimulus_unit^2", "n_trials": int(n_trials), "n_neurons": int(n_neurons),
               "delta_stimulus": delta, "bias_corrected": int(bias_corrected),
               "naive_information": naive,
               "estimator": ("I_naive*(2T-N-3)/(2T-2) - 2N/(T*delta^2), Kanitscheider et al. (2015) Eq. 2"
                             if bias_corrected else "f'^T Sigma^-1 f' (naive plug-in)"),
               **provenance()})


def fisher_information_by_population_size(responses_a, responses_b, delta_stimulus: float, sizes,
                                          n_subsets: int = 50, seed: int = 0,
                                          bias_corrected: bool = True) -> xr.DataArray:
    """Linear Fisher information of random sub-populations, as a function of their size.

    For each size ``n`` in ``sizes``, ``n_subsets`` subsets of ``n`` neurons are drawn uniformly at
    random (without replacement within a subset) and :func:`linear_fisher_information` of each is
    computed from the same ``f'_hat`` and pooled covariance restricted to the subset:
    ``I_n = mean over subsets of f'_S^T Sigma_SS^-1 f'_S`` (bias-corrected with ``N = n`` by
    default). When ``n`` is the whole population there is one subset and ``sd`` is 0.

    Subsets of size ``n`` are drawn from ``numpy.random.default_rng([seed, n])``: the result for a
    size depends only on ``seed`` and ``n``, not on the other sizes asked for.

    Parameters
    ----------
    responses_a, responses_b, delta_stimulus, bias_corrected
        As for :func:`linear_fisher_information`.
    sizes : sequence of int
        Population sizes, each in ``[1, N]`` (and ``2T - n - 3 > 0`` with the bias correction).
    n_subsets : int
        Random subsets per size (>= 1).
    seed : int
        Seed of the subset draws (>= 0).

    Returns
    -------
    xarray.DataArray
        Dim ``population_size`` (coordinate = ``sizes``): the mean information over subsets, in
        units of ``1 / delta_stimulus**2``, with the coordinate ``sd`` (same dim) holding the SD
        over subsets (ddof = 1; 0 for a single subset). The subsets overlap, so ``sd`` describes
        the spread between sub-populations, not the error of the mean.
    """
    values_a, values_b, _, delta = _two_stimuli(responses_a, responses_b, delta_stimulus)
    bias_corrected = bool(bias_corrected)
    n_trials, n_neurons = values_a.shape
    n_subsets = whole_number("n_subsets", n_subsets, minimum=1)
    seed = whole_number("seed", seed, minimum=0)
    sizes_array = np.atleast_1d(np.asarray(sizes))
    if sizes_array.ndim != 1 or sizes_array.size == 0 or sizes_array.dtype.kind not in "iu":
        raise TypeError(f"sizes must be a non-empty 1-D sequence of integers, got {sizes!r}")
    if np.unique(sizes_array).size != sizes_array.size:
        raise ValueError(f"sizes={sizes_array.tolist()} must not repeat a size")
    for size in sizes_array:
        whole_number("sizes", int(size), minimum=1, maximum=n_neurons)
        try:
            _check_trials_for(n_trials, int(size), bias_corrected, "sizes")
        except ValueError as error:
            raise ValueError(f"sizes contains {int(size)}: {error}") from None

    derivative, covariance = _moments(values_a, values_b, delta)
    means, sds = np.empty(sizes_array.size), np.empty(sizes_array.size)
    for index, size in enumerate(sizes_array.astype(int)):
        if size == n_neurons:
            subsets = [np.arange(n_neurons)]
        else:
            rng = np.random.default_rng([seed, size])
            subsets = [rng.choice(n_neurons, size=size, replace=False) for _ in range(n_subsets)]
        estimates = np.array([_information(derivative[subset], covariance[np.ix_(subset, subset)],
                                           n_trials, delta, bias_corrected, "responses_a, responses_b")
                              for subset in subsets])
        means[index] = estimates.mean()
        sds[index] = estimates.std(ddof=1) if estimates.size > 1 else 0.0
    return xr.DataArray(
        means, dims=("population_size",),
        coords={"population_size": sizes_array.astype(np.int64),
                "sd": ("population_size", sds, {"units": "1/stimulus_unit^2",
                                                "long_name": "SD over random subsets"})},
        name="linear_fisher_information",
        attrs={"units": "1/stimulus_unit^2", "n_trials": int(n_trials), "n_neurons": int(n_neurons),
               "delta_stimulus": delta, "bias_corrected": int(bias_corrected),
               "n_subsets": int(n_subsets), "seed": int(seed), **provenance()})


# ------------------------------------------------------------------ discrimination
def discrimination_threshold(fisher_information, d_prime: float = 1.0):
    """Stimulus difference discriminable at sensitivity ``d'`` given Fisher information ``I``.

    .. math::

        \\delta s_\\mathrm{thr} = \\frac{d'}{\\sqrt{I}}

    An unbiased estimator of ``s`` has SD ``>= 1/sqrt(I)`` (Cramer-Rao), so two stimuli ``ds``
    apart are discriminated with ``d' = ds sqrt(I)`` at best. NaN where ``I <= 0`` or ``I`` is NaN
    (a bias-corrected estimate can be <= 0); 0 where ``I`` is inf.

    Parameters
    ----------
    fisher_information : float, array or xarray.DataArray
        Fisher information, in units of ``1 / stimulus_unit**2``.
    d_prime : float
        Sensitivity index defining the threshold (> 0; default 1).

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        The threshold in stimulus units, shaped like ``fisher_information`` (a DataArray keeps
        its dims and their coordinates, with ``attrs["units"] = "stimulus_unit"``).
    """
    d_prime = numeric_parameter("d_prime", d_prime, lower=0.0, lower_open=True)
    if np.ndim(d_prime):
        raise ValueError(f"d_prime={describe(d_prime)} must be a single number, not an array")
    source = fisher_information
    values = float_array("fisher_information",
                         source.values if isinstance(source, xr.DataArray) else source,
                         "a number, an array or a DataArray of Fisher information")
    with np.errstate(invalid="ignore", divide="ignore"):
        threshold = np.where(values > 0, d_prime / np.sqrt(np.where(values > 0, values, 1.0)), np.nan)
    if isinstance(source, xr.DataArray):
        coords = {dim: source[dim] for dim in source.dims if dim in source.coords}
        return xr.DataArray(threshold, dims=source.dims, coords=coords,
                            name="discrimination_threshold",
                            attrs={"units": "stimulus_unit", "d_prime": float(d_prime)})
    return float(threshold) if threshold.ndim == 0 else threshold


# ------------------------------------------------------------------ decoders
# Bayesian decoders of an orientation (period pi) from one population's spike counts. Both build a
# log-likelihood over a grid of stimuli; the flat prior, posterior, circular summaries and credible
# intervals are shared (_GridDecoder.decode).
__all__ += ["PoissonDecoder", "EmpiricalDecoder", "circular_error", "covers", "coverage"]

PERIOD = np.pi
# decode() processes trials in chunks so that a (chunk, neuron, stimulus_grid) work array stays small
_DECODE_CHUNK_ELEMENTS = 2_000_000


def circular_error(estimate, truth):
    """Signed error of an orientation estimate, wrapped into one period.

    .. math::

        e = \\bigl((\\hat s - s + \\pi/2) \\bmod \\pi\\bigr) - \\pi/2 \\;\\in\\; [-\\pi/2, \\pi/2)

    i.e. the difference of two orientations (period pi) taken the short way round.

    Parameters
    ----------
    estimate, truth : float, array or xarray.DataArray
        Orientations in radians (any real values; they are compared modulo pi). They broadcast
        against each other (numpy rules, or xarray rules if either is a ``DataArray``).

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        The error in radians, in [-pi/2, pi/2), with the broadcast shape.
    """
    values = []
    for name, value in (("estimate", estimate), ("truth", truth)):
        array = float_array(name, value.values if isinstance(value, xr.DataArray) else value)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name}={describe(array)} must be finite (no NaN or inf)")
        values.append(value.astype(np.float64) if isinstance(value, xr.DataArray) else array)
    error = np.mod(values[0] - values[1] + 0.5 * PERIOD, PERIOD) - 0.5 * PERIOD
    if isinstance(error, np.ndarray) and error.ndim == 0:
        return float(error)
    if isinstance(error, xr.DataArray):
        error.attrs = {"units": "rad", "long_name": "circular error (period pi)"}
    return error


def _credible_level(name: str, value) -> float:
    level = numeric_parameter(name, value, lower=0.0, upper=1.0, lower_open=True, upper_open=True)
    if np.ndim(level):
        raise ValueError(f"{name}={describe(level)} must be a single number in (0, 1), not an array")
    return float(level)


def _cell_widths(grid: np.ndarray) -> np.ndarray:
    """Widths of the periodic Voronoi cells of a sorted grid on [0, pi): from the midpoint with the
    previous point to the midpoint with the next one (pi / K for a uniform grid)."""
    following = np.roll(grid, -1)
    following[-1] += PERIOD
    gaps = following - grid                                    # gap to the next point, > 0
    return 0.5 * (gaps + np.roll(gaps, 1))


def _central_interval(posterior: np.ndarray, grid: np.ndarray, level: float):
    """Equal-tailed circular credible interval of a grid posterior, for each row.

    The posterior mass ``p_k`` of grid point ``s_k`` is spread uniformly over its cell (so the CDF
    is piecewise linear). The circle is cut at the lower edge of the cell of smallest posterior mass
    and the interval runs from the ``(1 - level)/2`` to the ``(1 + level)/2`` quantile measured
    from that cut. Returns (lower, upper, width): bounds folded into [0, pi), and the arc length
    from lower to upper (upper < lower when the interval wraps through 0).
    """
    n_rows, n_grid = posterior.shape
    widths = _cell_widths(grid)
    cut = np.argmin(posterior, axis=1)
    order = (cut[:, None] + np.arange(n_grid)) % n_grid             # cells in order from the cut
    mass = np.take_along_axis(posterior, order, axis=1)
    cell = widths[order]
    cumulative = np.cumsum(mass, axis=1)
    start = np.cumsum(cell, axis=1) - cell                          # arc position of each cell's lower edge
    rows = np.arange(n_rows)

    def quantile(probability):
        index = np.minimum(np.count_nonzero(cumulative < probability, axis=1), n_grid - 1)
        before = np.where(index > 0, cumulative[rows, index - 1], 0.0)
        inside = mass[rows, index]
        fraction = np.clip((probability - before) / np.maximum(inside, np.finfo(float).tiny), 0.0, 1.0)
        return start[rows, index] + fraction * cell[rows, index]

    low, high = quantile(0.5 * (1.0 - level)), quantile(0.5 * (1.0 + level))
    origin = grid[cut] - 0.5 * widths[cut]
    return np.mod(origin + low, PERIOD), np.mod(origin + high, PERIOD), high - low


def _inside(lower, width, truth):
    """Whether ``truth`` lies on the arc of length ``width`` starting at ``lower`` (period pi)."""
    return np.mod(truth - lower, PERIOD) <= width


class _GridDecoder:
    """Shared part of the decoders: counts -> log-likelihood on a grid -> posterior summaries.

    Subclasses set ``grid`` (sorted orientations in [0, pi)), ``neurons`` (labels), ``_refine_map``
    and implement ``_log_likelihood(counts) -> (trial, grid)`` and ``_check_counts_values``.
    """

    grid: np.ndarray
    neurons: np.ndarray
    _refine_map: bool = False
    _name: str = "decoder"
    _provenance: dict = {}

    @property
    def n_neurons(self) -> int:
        """Number of neurons the decoder expects in ``counts``."""
        return int(self.neurons.size)

    def _check_counts_values(self, values: np.ndarray) -> None:
        """Extra checks on the counts (subclasses)."""

    def _counts(self, counts):
        """``counts`` as a float (trial, neuron) array, the trial labels, and whether it was 1-D."""
        trials = None
        if isinstance(counts, xr.DataArray):
            if set(counts.dims) not in ({"trial", "neuron"}, {"neuron"}):
                raise ValueError(f"counts must have the dims ('trial', 'neuron') or ('neuron',), "
                                 f"got {counts.dims}")
            if "neuron" in counts.coords and not np.array_equal(counts["neuron"].values, self.neurons):
                raise ValueError("counts has a 'neuron' coordinate that differs from the decoder's "
                                 f"neurons ({describe(self.neurons)}); pass the same neurons in the "
                                 "same order")
            if "trial" in counts.dims:
                counts = counts.transpose("trial", "neuron")
                if "trial" in counts.coords:
                    trials = counts["trial"].values
            counts = counts.values
        values = float_array("counts", counts, "a (trial, neuron) or (neuron,) array of spike counts")
        one_trial = values.ndim == 1
        if one_trial:
            values = values[None, :]
        if values.ndim != 2:
            raise ValueError(f"counts must have shape (trial, neuron) or (neuron,), got shape {values.shape}")
        if values.shape[1] != self.n_neurons:
            raise ValueError(f"counts has {values.shape[1]} neurons (shape {values.shape}) but the "
                             f"decoder was built for n_neurons={self.n_neurons}")
        if values.shape[0] < 1:
            raise ValueError("counts has no trials")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"counts={describe(values)} must be finite (no NaN or inf)")
        if np.any(values < 0):
            raise ValueError(f"counts={describe(values)} must be >= 0 (spike counts)")
        self._check_counts_values(values)
        return values, trials, one_trial

    def log_likelihood(self, counts) -> xr.DataArray:
        """Log-likelihood ``log p(n | s_k)`` of each trial's counts at every grid stimulus.

        Parameters
        ----------
        counts : array or xarray.DataArray
            Spike counts, shape / dims ``(trial, neuron)`` or ``(neuron,)``.

        Returns
        -------
        xarray.DataArray
            Dims ``(trial, stimulus_grid)`` (``(stimulus_grid,)`` for 1-D counts), in nats, up to a
            constant per trial.
        """
        values, trials, one_trial = self._counts(counts)
        result = self._log_likelihood_chunked(values)
        dims = ("trial", "stimulus_grid")
        coords = {"stimulus_grid": self.grid}
        if trials is not None:
            coords["trial"] = trials
        output = xr.DataArray(result, dims=dims, coords=coords, name="log_likelihood",
                              attrs={"units": "nat", "note": "up to an additive constant per trial"})
        return output.isel(trial=0, drop=True) if one_trial else output

    def _log_likelihood_chunked(self, values: np.ndarray) -> np.ndarray:
        chunk = max(1, _DECODE_CHUNK_ELEMENTS // max(1, self.n_neurons * self.grid.size))
        return np.concatenate([self._log_likelihood(values[start:start + chunk])
                               for start in range(0, values.shape[0], chunk)])

    def decode(self, counts, credible: float = 0.9) -> xr.Dataset:
        """Posterior over the stimulus grid and its summaries, for each trial.

        With a flat prior over the grid points ``s_k``, the posterior mass of ``s_k`` is

        .. math::

            p_k = \\frac{\\exp L(s_k)}{\\sum_j \\exp L(s_j)},\\qquad L(s) = \\log p(\\mathbf n \\mid s)

        Circular summaries for the period-pi orientation use the doubled angle:

        .. math::

            z = \\sum_k p_k\\, e^{2 i s_k},\\quad
            \\hat s_\\mathrm{mean} = \\tfrac12 \\arg z \\bmod \\pi,\\quad
            R = |z|,\\quad
            \\sigma = \\tfrac12 \\sqrt{-2 \\ln R}

        (``sigma`` is the circular SD of ``2s``, halved; it tends to the ordinary SD for a
        concentrated posterior). The MAP estimate (= the maximum-likelihood estimate, the prior
        being flat) is the grid point of largest ``p_k``; for the :class:`PoissonDecoder` (a
        continuous stimulus on a uniform grid) it is refined by fitting a parabola to ``L`` at
        that point and its two neighbours (offset clipped to half a grid step).

        The credible interval is the *central* (equal-tailed) circular interval at level
        ``credible``: each ``p_k`` is spread uniformly over the cell of ``s_k`` (from the
        midpoint with the previous grid point to the midpoint with the next), the circle is cut at
        the lower edge of the cell of smallest posterior mass, and the bounds are the
        ``(1 - credible)/2`` and ``(1 + credible)/2`` quantiles measured from the cut. For a
        unimodal posterior this is the usual equal-tailed interval; it is one arc, never a union.

        Parameters
        ----------
        counts : array or xarray.DataArray
            Spike counts with shape / dims ``(trial, neuron)`` or ``(neuron,)``, the neurons in
            the decoder's order (a DataArray's ``neuron`` coordinate, if any, must match); finite
            and >= 0 (integers for the :class:`EmpiricalDecoder`).
        credible : float
            Level of the credible interval, in (0, 1) (default 0.9).

        Returns
        -------
        xarray.Dataset
            Over ``trial`` (absent for 1-D counts) and ``stimulus_grid``: ``posterior`` (mass per
            grid point, sums to 1), ``posterior_mean`` and ``posterior_sd`` (rad, circular, as
            above), ``resultant_length`` ``R``, ``map_estimate`` (rad, in [0, pi)),
            ``credible_lower`` and ``credible_upper`` (rad, in [0, pi); ``upper < lower`` when the
            interval wraps through 0) and ``credible_width`` (rad, the arc from lower to upper).
            Attrs: ``credible``, the interval and prior used, the decoder, the package version.

        Raises
        ------
        ValueError
            Wrong number of neurons, negative / non-finite (or, for the empirical decoder,
            non-integer) counts, ``credible`` outside (0, 1).
        """
        credible = _credible_level("credible", credible)
        values, trials, one_trial = self._counts(counts)
        log_likelihood = self._log_likelihood_chunked(values)
        shifted = log_likelihood - log_likelihood.max(axis=1, keepdims=True)
        posterior = np.exp(shifted)
        posterior /= posterior.sum(axis=1, keepdims=True)

        resultant = posterior @ np.exp(2j * self.grid)
        mean = np.mod(0.5 * np.angle(resultant), PERIOD)
        length = np.clip(np.abs(resultant), 0.0, 1.0)
        with np.errstate(divide="ignore"):
            sd = 0.5 * np.sqrt(-2.0 * np.log(length))

        n_grid = self.grid.size
        best = np.argmax(shifted, axis=1)
        estimate = self.grid[best].copy()
        if self._refine_map and n_grid >= 3:
            rows = np.arange(values.shape[0])
            below, centre, above = (shifted[rows, (best - 1) % n_grid], shifted[rows, best],
                                    shifted[rows, (best + 1) % n_grid])
            curvature = below - 2.0 * centre + above
            with np.errstate(invalid="ignore", divide="ignore"):
                offset = np.where(curvature < 0, 0.5 * (below - above) / curvature, 0.0)
            estimate += np.clip(np.nan_to_num(offset), -0.5, 0.5) * (PERIOD / n_grid)
        estimate = np.mod(estimate, PERIOD)
        lower, upper, width = _central_interval(posterior, self.grid, credible)

        radians = {"units": "rad"}
        data_vars = {
            "posterior": (("trial", "stimulus_grid"), posterior,
                          {"units": "1", "long_name": "posterior probability of each grid stimulus"}),
            "posterior_mean": ("trial", mean, {**radians, "long_name": "circular posterior mean, "
                                               "arg(sum p exp(2is))/2 mod pi"}),
            "posterior_sd": ("trial", sd, {**radians, "long_name": "circular posterior SD, sqrt(-2 ln R)/2"}),
            "resultant_length": ("trial", length, {"units": "1", "long_name": "R = |sum p exp(2is)|"}),
            "map_estimate": ("trial", estimate, {**radians, "long_name": "maximum a posteriori "
                                                 "(= maximum likelihood) estimate"}),
            "credible_lower": ("trial", lower, {**radians, "long_name": "lower bound of the central "
                                                "credible interval"}),
            "credible_upper": ("trial", upper, {**radians, "long_name": "upper bound of the central "
                                                "credible interval (< lower if it wraps through 0)"}),
            "credible_width": ("trial", width, {**radians,
                                                "long_name": "arc length of the credible interval"}),
        }
        coords = {"stimulus_grid": ("stimulus_grid", self.grid, radians)}
        if trials is not None:
            coords["trial"] = trials
        decoded = xr.Dataset(data_vars, coords=coords, attrs={
            "decoder": self._name, "credible": credible,
            "credible_interval": "central (equal-tailed) circular interval, cut at the cell of "
                                 "smallest posterior mass; mass spread uniformly over grid cells",
            "prior": "flat over stimulus_grid", "period": PERIOD,
            "map_refined": int(bool(self._refine_map)), "n_neurons": self.n_neurons,
            **self._provenance, **provenance()})
        return decoded.isel(trial=0, drop=True) if one_trial else decoded

    def covers(self, decoded: xr.Dataset, true_stimulus, level: float | None = None):
        """Same as the module function :func:`covers`."""
        return covers(decoded, true_stimulus, level)


def _decoded_posterior(decoded) -> tuple[np.ndarray, np.ndarray, bool]:
    """The (trial, grid) posterior of a decode() result, its grid, and whether it had no trial dim."""
    if (not isinstance(decoded, xr.Dataset) or "posterior" not in decoded
            or "stimulus_grid" not in decoded.coords):
        raise TypeError(f"decoded must be the xarray.Dataset returned by a decoder's decode(), "
                        f"got {type(decoded).__name__}")
    posterior = decoded["posterior"]
    one_trial = "trial" not in posterior.dims
    if one_trial:
        posterior = posterior.expand_dims("trial")
    values = posterior.transpose("trial", "stimulus_grid").values
    return values, decoded["stimulus_grid"].values, one_trial


def _true_stimuli(true_stimulus, n_trials: int, name: str) -> np.ndarray:
    source = true_stimulus.values if isinstance(true_stimulus, xr.DataArray) else true_stimulus
    truth = float_array(name, source, "orientations in radians, one per trial")
    if not np.all(np.isfinite(truth)):
        raise ValueError(f"{name}={describe(truth)} must be finite (no NaN or inf)")
    truth = np.atleast_1d(truth)
    if truth.ndim != 1 or truth.size not in (1, n_trials):
        raise ValueError(f"{name} must hold one orientation per trial ({n_trials}) or a single one, "
                         f"got shape {np.shape(source)}")
    return np.broadcast_to(np.mod(truth, PERIOD), (n_trials,))


def covers(decoded: xr.Dataset, true_stimulus, level: float | None = None):
    """Whether each trial's credible interval contains the true stimulus.

    ``true_stimulus`` is inside the interval ``[lower, upper]`` (an arc, period pi) when
    ``(s - lower) mod pi <= width``.

    Parameters
    ----------
    decoded : xarray.Dataset
        The result of ``decode()``.
    true_stimulus : float, array or DataArray
        The true orientation(s) in radians (folded modulo pi), one per trial or one for all.
    level : float, optional
        Credible level in (0, 1); default: the interval stored in ``decoded`` (its ``credible``
        attr). Another level recomputes the central interval from ``decoded["posterior"]``.

    Returns
    -------
    bool or xarray.DataArray
        Over ``trial`` (a bool for a single-trial ``decoded``).
    """
    posterior, grid, one_trial = _decoded_posterior(decoded)
    truth = _true_stimuli(true_stimulus, posterior.shape[0], "true_stimulus")
    if level is None:
        lower = np.atleast_1d(decoded["credible_lower"].values)
        width = np.atleast_1d(decoded["credible_width"].values)
    else:
        lower, _, width = _central_interval(posterior, grid, _credible_level("level", level))
    inside = _inside(lower, width, truth)
    if one_trial:
        return bool(inside[0])
    coords = {"trial": decoded["trial"]} if "trial" in decoded.coords else {}
    return xr.DataArray(inside, dims=("trial",), coords=coords, name="covers",
                        attrs={"units": "1", "credible": float(decoded.attrs["credible"] if level is None
                                                               else level)})


def coverage(decoded: xr.Dataset, true_stimuli, levels=(0.5, 0.8, 0.9, 0.95)) -> xr.DataArray:
    """Empirical coverage of the central credible intervals at several nominal levels.

    For each level ``c`` the central interval of every trial's posterior is recomputed and

    .. math::

        \\hat c = \\frac{1}{T} \\sum_t \\mathbf 1\\bigl[s_t \\in \\mathrm{CI}_c(t)\\bigr]

    A calibrated decoder (correct likelihood, true stimuli drawn from the prior) has
    ``E[c_hat] = c``; the binomial SE ``sqrt(c (1 - c) / T)`` is returned as a coordinate. Plot
    ``c_hat`` against ``c`` for the calibration curve.

    Parameters
    ----------
    decoded : xarray.Dataset
        The result of ``decode()`` (with a ``trial`` dim, or a single trial).
    true_stimuli : array or DataArray
        True orientations in radians (folded modulo pi), one per trial.
    levels : sequence of float
        Nominal levels, each in (0, 1).

    Returns
    -------
    xarray.DataArray
        Dim ``level`` (coordinate = the nominal levels): the empirical coverage, with the
        coordinate ``se`` (binomial SE at the nominal level); attrs ``n_trials``.
    """
    posterior, grid, _ = _decoded_posterior(decoded)
    truth = _true_stimuli(true_stimuli, posterior.shape[0], "true_stimuli")
    level_values = float_array("levels", levels, "a sequence of credible levels in (0, 1)")
    level_values = np.atleast_1d(level_values)
    if level_values.ndim != 1 or level_values.size == 0:
        raise ValueError(f"levels must be a non-empty 1-D sequence, got shape {level_values.shape}")
    for value in level_values:
        _credible_level("levels", value)
    empirical = np.empty(level_values.size)
    for index, value in enumerate(level_values):
        lower, _, width = _central_interval(posterior, grid, float(value))
        empirical[index] = np.mean(_inside(lower, width, truth))
    n_trials = posterior.shape[0]
    return xr.DataArray(
        empirical, dims=("level",),
        coords={"level": level_values,
                "se": ("level", np.sqrt(level_values * (1.0 - level_values) / n_trials),
                       {"units": "1", "long_name": "binomial SE at the nominal level"})},
        name="coverage", attrs={"units": "1", "n_trials": int(n_trials),
                                "credible_interval": "central circular"})


def _orientation_grid(name: str, values) -> np.ndarray:
    grid = float_array(name, values, "orientations in radians in [0, pi)")
    if grid.ndim != 1 or not np.all(np.isfinite(grid)) or np.any(grid < 0) or np.any(grid >= PERIOD):
        raise ValueError(f"{name}={describe(grid)} must be a 1-D array of orientations in radians in "
                         "[0, pi) (fold with np.mod(s, np.pi))")
    if np.unique(grid).size != grid.size:
        raise ValueError(f"{name}={describe(grid)} must not repeat an orientation")
    return grid


def _periodic_linear_interpolation(stimuli: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` (stimulus, neuron) from ``stimuli`` to ``grid``, period pi
    (the last measured orientation joins the first plus pi)."""
    order = np.argsort(stimuli)
    stimuli, values = stimuli[order], values[order]
    nodes = np.concatenate([[stimuli[-1] - PERIOD], stimuli, [stimuli[0] + PERIOD]])
    extended = np.concatenate([values[-1:], values, values[:1]])
    index = np.clip(np.searchsorted(nodes, grid, side="right") - 1, 0, nodes.size - 2)
    weight = ((grid - nodes[index]) / (nodes[index + 1] - nodes[index]))[:, None]
    return (1.0 - weight) * extended[index] + weight * extended[index + 1]


class PoissonDecoder(_GridDecoder):
    """Bayesian decoder of orientation assuming independent Poisson spike counts.

    With ``f_i(s)`` the mean count of neuron ``i`` in the counting window at orientation ``s``,

    .. math::

        \\log p(\\mathbf n \\mid s) = \\sum_i \\bigl[n_i \\log \\tilde f_i(s) - \\tilde f_i(s)\\bigr]
            - \\sum_i \\log n_i!,
        \\qquad \\tilde f_i(s) = \\max(f_i(s), f_\\min)

    (the ``log n_i!`` term does not depend on ``s`` and is dropped). ``f_min`` (``floor``) keeps
    ``log f`` finite where a tuning curve is 0. The log-likelihood is evaluated on the uniform
    grid ``s_k = k pi / grid_size``, ``k = 0 .. grid_size - 1``; :meth:`decode` adds a flat prior.

    Measured tuning curves (a DataArray over ``stimulus``) are interpolated onto the grid
    *linearly and periodically* (period pi, between the last measured orientation and the first
    plus pi): model-free, exact at the measured orientations, but piecewise linear, so measure
    densely compared with the tuning width. For a smooth parametric curve use
    :meth:`from_tuning_fit` with the result of :func:`fit_tuning_curves` (von Mises curves).

    Parameters
    ----------
    tuning : xarray.DataArray or callable
        Mean responses with dims ``(stimulus, neuron)`` (any order) and a ``stimulus`` coordinate
        of orientations in radians in [0, pi) (at least 2, distinct), finite and >= 0; or a
        callable ``f(stimulus_grid) -> (n_grid, n_neurons)`` array of mean responses.
    window : float, optional
        Counting window in seconds: the expected count is ``tuning * window`` (tuning in Hz).
        ``None`` (default): ``tuning`` already holds mean counts per window. Required when
        ``tuning.attrs["units"]`` is ``"Hz"``.
    grid_size : int
        Number of decoding grid points over [0, pi) (default 360, a 0.5 degree step).
    floor : float
        Smallest expected count used in the likelihood, ``f_min > 0`` (default 1e-6).

    Attributes
    ----------
    grid : numpy.ndarray
        The decoding grid (rad).
    expected_counts : xarray.DataArray
        ``max(f_i(s_k), f_min)`` with dims ``(stimulus_grid, neuron)``.
    neurons : numpy.ndarray
        Neuron labels (the ``neuron`` coordinate of ``tuning``, else ``0 .. N-1``).
    """

    _refine_map = True
    _name = "PoissonDecoder"

    def __init__(self, tuning, window: float | None = None, grid_size: int = 360, floor: float = 1e-6):
        grid_size = whole_number("grid_size", grid_size, minimum=3)
        floor = numeric_parameter("floor", floor, lower=0.0, lower_open=True)
        if np.ndim(floor):
            raise ValueError(f"floor={describe(floor)} must be a single number")
        self.grid = np.arange(grid_size) * (PERIOD / grid_size)
        if isinstance(tuning, xr.DataArray):
            units = str(tuning.attrs.get("units", ""))
            if window is None and units.strip().lower() in ("hz", "1/s", "s^-1", "spikes/s"):
                raise ValueError(f"tuning is in {units!r}; give window (the counting window in seconds) "
                                 "so that tuning * window is the expected count")
            stimuli, values, neurons = self._measured(tuning)
            means = _periodic_linear_interpolation(stimuli, values, self.grid)
        elif callable(tuning):
            means = tuning(self.grid.copy())
            means = float_array("tuning", means.values if isinstance(means, xr.DataArray) else means,
                                "a callable returning an (n_grid, n_neurons) array")
            if means.ndim != 2 or means.shape[0] != grid_size or means.shape[1] < 1:
                raise ValueError(f"tuning(stimulus_grid) must return shape (n_grid={grid_size}, n_neurons), "
                                 f"got shape {means.shape}")
            neurons = np.arange(means.shape[1])
        else:
            raise TypeError(f"tuning must be an xarray.DataArray over (stimulus, neuron) or a callable, "
                            f"got {type(tuning).__name__}")
        if not np.all(np.isfinite(means)) or np.any(means < 0):
            raise ValueError(f"tuning={describe(means)} must be finite and >= 0 (mean responses)")
        if window is not None:
            window = numeric_parameter("window", window, lower=0.0, lower_open=True)
            if np.ndim(window):
                raise ValueError(f"window={describe(window)} must be a single number (seconds)")
            means = means * window
        self.window = None if window is None else float(window)
        self.floor = float(floor)
        self.neurons = np.asarray(neurons)
        self._provenance = {"window": ("none (tuning in counts per window)" if window is None
                                       else float(window)),
                            "floor": self.floor, "grid_size": int(grid_size),
                            "likelihood": "independent Poisson, sum_i n_i log f_i(s) - f_i(s)",
                            "tuning_source": ("measured, linear periodic interpolation"
                                              if isinstance(tuning, xr.DataArray) else "callable")}
        expected = np.maximum(means, self.floor)
        self._log_expected = np.ascontiguousarray(np.log(expected).T)      # (neuron, grid)
        self._total_expected = expected.sum(axis=1)                        # (grid,)
        self.expected_counts = xr.DataArray(
            expected, dims=("stimulus_grid", "neuron"),
            coords={"stimulus_grid": self.grid, "neuron": self.neurons}, name="expected_counts",
            attrs={"units": "spikes per window", "floor": self.floor})

    @staticmethod
    def _measured(tuning: xr.DataArray):
        """Validated (stimuli, values (stimulus, neuron), neuron labels) of measured tuning curves."""
        if set(tuning.dims) != {"stimulus", "neuron"}:
            raise ValueError(f"tuning must have exactly the dims ('stimulus', 'neuron'), got {tuning.dims} "
                             "(average over trials first, e.g. responses.mean('trial'))")
        if "stimulus" not in tuning.coords:
            raise ValueError("tuning has no 'stimulus' coordinate (orientations in radians in [0, pi))")
        ordered = tuning.transpose("stimulus", "neuron")
        stimuli = _orientation_grid("tuning['stimulus']", ordered["stimulus"].values)
        if stimuli.size < 2:
            raise ValueError(f"tuning has {stimuli.size} stimulus; interpolation needs at least 2")
        values = float_array("tuning", ordered.values, "mean responses (counts or rates)")
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"tuning={describe(values)} must be finite and >= 0 (mean responses)")
        neurons = ordered["neuron"].values if "neuron" in ordered.coords else np.arange(values.shape[1])
        return stimuli, values, neurons

    @classmethod
    def from_tuning_fit(cls, fit: xr.Dataset, window: float | None = None, grid_size: int = 360,
                        floor: float = 1e-6) -> "PoissonDecoder":
        """Decoder from von Mises tuning curves, e.g. the result of :func:`fit_tuning_curves`.

        ``f_i(s) = von_mises_tuning(s, preferred_i, kappa_i, baseline_i, gain_i)`` (times
        ``window`` if given) on the grid.

        Parameters
        ----------
        fit : xarray.Dataset
            Over ``neuron``: ``preferred``, ``kappa``, ``baseline``, ``gain`` (all finite; drop
            neurons with ``converged == False`` first).
        window, grid_size, floor
            As for :class:`PoissonDecoder`.
        """
        if not isinstance(fit, xr.Dataset) or any(name not in fit for name in TUNING_PARAMETERS):
            raise TypeError("fit must be an xarray.Dataset with the variables "
                            f"{TUNING_PARAMETERS} over 'neuron' (see fit_tuning_curves)")
        parameters = {name: float_array(f"fit[{name!r}]", fit[name].values) for name in TUNING_PARAMETERS}
        for name, values in parameters.items():
            if values.ndim != 1 or not np.all(np.isfinite(values)):
                raise ValueError(f"fit[{name!r}]={describe(values)} must be finite over 'neuron'; drop "
                                 "neurons whose fit did not converge (fit.where(fit.converged, drop=True))")
        neurons = fit["neuron"].values if "neuron" in fit.coords else np.arange(parameters["gain"].size)

        def curves(grid):
            return von_mises_tuning(grid[:, None], *(parameters[name] for name in TUNING_PARAMETERS))

        decoder = cls(curves, window=window, grid_size=grid_size, floor=floor)
        decoder._provenance = {**decoder._provenance, "tuning_source": "von Mises fit (from_tuning_fit)"}
        decoder.neurons = np.asarray(neurons)
        decoder.expected_counts = decoder.expected_counts.assign_coords(neuron=decoder.neurons)
        return decoder

    def _log_likelihood(self, counts: np.ndarray) -> np.ndarray:
        return counts @ self._log_expected - self._total_expected


class EmpiricalDecoder(_GridDecoder):
    """Bayesian decoder of orientation with a likelihood learned from simulated spike counts.

    For each neuron ``i`` and training stimulus ``s_k``, the count distribution is a histogram of
    the ``T_k`` training trials with additive (Laplace) smoothing ``alpha``:

    .. math::

        \\hat p_i(n \\mid s_k) = \\frac{c_{ik}(n) + \\alpha}{T_k + \\alpha (M_i + 2)},\\qquad
        n = 0, 1, \\dots, M_i, \\text{ and } n > M_i

    where ``c_ik(n)`` counts the training trials with ``n`` spikes and ``M_i`` is neuron ``i``'s
    largest training count over all stimuli; every count above ``M_i`` shares one overflow bin
    (which holds only the pseudo-count). Neurons are treated as **conditionally independent**
    given the stimulus (their joint count distribution is not learned, so noise correlations are
    ignored):

    .. math::

        \\log p(\\mathbf n \\mid s_k) = \\sum_i \\log \\hat p_i(n_i \\mid s_k)

    The decoder works on the training stimuli themselves (no interpolation): the posterior of
    :meth:`decode` is over ``stimulus_grid`` = the training orientations with a flat prior over
    them, which is the right prior when test stimuli are drawn equally often from that set. Decode
    *held-out* trials: trials used for training make the posterior over-confident.

    Parameters
    ----------
    responses : xarray.DataArray
        Spike counts (non-negative integers) with dims ``(stimulus, trial, neuron)`` (any order)
        and a ``stimulus`` coordinate of distinct orientations in radians in [0, pi) (at least 2).
        NaN marks a missing trial (not counted).
    smoothing : float
        Pseudo-count ``alpha > 0`` added to every histogram bin (default 1: Laplace's rule).

    Attributes
    ----------
    grid : numpy.ndarray
        The training orientations, sorted (rad).
    log_probability : xarray.DataArray
        ``log p_i(n | s_k)`` with dims ``(neuron, count, stimulus_grid)``; the last ``count`` of
        each neuron, ``M_i + 1``, is its overflow bin (rows above it are unused).
    max_count : xarray.DataArray
        ``M_i`` over ``neuron``.
    """

    _refine_map = False
    _name = "EmpiricalDecoder"

    def __init__(self, responses, smoothing: float = 1.0):
        smoothing = numeric_parameter("smoothing", smoothing, lower=0.0, lower_open=True)
        if np.ndim(smoothing):
            raise ValueError(f"smoothing={describe(smoothing)} must be a single number")
        if not isinstance(responses, xr.DataArray):
            raise TypeError("responses must be an xarray.DataArray with dims (stimulus, trial, neuron) "
                            f"and a 'stimulus' coordinate, got {type(responses).__name__}")
        if set(responses.dims) != {"stimulus", "trial", "neuron"}:
            raise ValueError(f"responses must have exactly the dims ('stimulus', 'trial', 'neuron') "
                             f"(in any order), got {responses.dims}")
        if "stimulus" not in responses.coords:
            raise ValueError("responses has no 'stimulus' coordinate (orientations in radians in [0, pi))")
        ordered = responses.transpose("stimulus", "trial", "neuron")
        stimuli = _orientation_grid("responses['stimulus']", ordered["stimulus"].values)
        if stimuli.size < 2:
            raise ValueError(f"responses has {stimuli.size} stimulus; decoding needs at least 2")
        values = float_array("responses", ordered.values, "spike counts (non-negative integers)")
        observed = np.isfinite(values)
        if np.any(np.isinf(values)):
            raise ValueError("responses must not contain inf (NaN marks a missing trial)")
        counts = values[observed]
        if np.any(counts < 0) or np.any(counts != np.round(counts)):
            raise ValueError(f"responses={describe(values)} must hold spike counts: non-negative integers")
        n_trials = observed.sum(axis=1)                                       # (stimulus, neuron)
        if np.any(n_trials == 0):
            raise ValueError("responses has a (stimulus, neuron) pair without any trial")

        order = np.argsort(stimuli)
        stimuli, values, observed, n_trials = stimuli[order], values[order], observed[order], n_trials[order]
        n_stimuli, _, n_neurons = values.shape
        filled = np.where(observed, values, -1.0)
        max_count = np.max(filled, axis=(0, 1)).astype(np.int64)              # (neuron,)
        max_count = np.maximum(max_count, 0)
        n_bins = int(max_count.max()) + 2                                      # 0..M, overflow
        # one bincount over the flat index ((neuron * n_stimuli + stimulus) * n_bins + count)
        stimulus_index, _, neuron_index = np.nonzero(observed)
        flat = ((neuron_index * n_stimuli + stimulus_index) * n_bins
                + values[observed].astype(np.int64))
        histogram = np.bincount(flat, minlength=n_neurons * n_stimuli * n_bins).astype(np.float64)
        histogram = histogram.reshape(n_neurons, n_stimuli, n_bins).transpose(0, 2, 1)
        bins_used = (max_count + 2)[:, None, None]                             # per neuron
        probability = (histogram + smoothing) / (n_trials.T[:, None, :] + smoothing * bins_used)
        log_probability = np.log(probability)
        # a neuron's overflow bin sits at M_i + 1; counts above it are mapped there in _log_likelihood
        self.grid = stimuli
        self.smoothing = float(smoothing)
        self.neurons = (ordered["neuron"].values if "neuron" in ordered.coords else np.arange(n_neurons))
        self._max_count = max_count
        self._provenance = {"smoothing": self.smoothing, "n_training_trials": int(n_trials.sum()),
                            "likelihood": "per-neuron count histograms with additive smoothing, "
                                          "neurons conditionally independent"}
        self._log_probability = log_probability
        self.log_probability = xr.DataArray(
            log_probability, dims=("neuron", "count", "stimulus_grid"),
            coords={"neuron": self.neurons, "count": np.arange(n_bins), "stimulus_grid": stimuli},
            name="log_probability",
            attrs={"units": "nat", "smoothing": self.smoothing,
                   "note": "count M_i + 1 is neuron i's overflow bin (all counts > M_i)"})
        self.max_count = xr.DataArray(max_count, dims=("neuron",), coords={"neuron": self.neurons},
                                      name="max_count", attrs={"units": "spikes"})

    def _check_counts_values(self, values: np.ndarray) -> None:
        if np.any(values != np.round(values)):
            raise ValueError(f"counts={describe(values)} must be whole numbers for the EmpiricalDecoder "
                             "(it looks counts up in histograms)")

    def _log_likelihood(self, counts: np.ndarray) -> np.ndarray:
        index = np.minimum(counts.astype(np.int64), self._max_count + 1)       # (trial, neuron)
        neurons = np.arange(self.n_neurons)
        return self._log_probability[neurons, index, :].sum(axis=1)            # (trial, grid)
