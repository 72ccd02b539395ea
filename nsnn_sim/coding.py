"""Neural coding: orientation tuning curves, linear Fisher information and discrimination thresholds.

* :func:`von_mises_tuning` — the orientation tuning curve (period pi)
  ``f(s) = baseline + gain * exp(kappa * (cos(2 (s - preferred)) - 1))``.
* :func:`fit_tuning_curves` — weighted least-squares fit of that curve to every neuron's trial-mean
  responses, with standard errors, as an ``xarray.Dataset`` over ``neuron``.
* :func:`linear_fisher_information` — ``I = f'^T Sigma^-1 f'`` from the responses to two nearby
  stimuli, with the bias correction of Kanitscheider, Coen-Cagli, Kohn & Pouget (2015).
* :func:`fisher_information_by_population_size` — the same over random subsets of neurons.
* :func:`discrimination_threshold` — ``d' / sqrt(I)`` (Cramer-Rao).

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

from nsnn_sim.spikes import package_version
from nsnn_sim.validation import describe, float_array, numeric_parameter, whole_number

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
               "nsnn_sim_version": package_version()})


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
               "nsnn_sim_version": package_version()})


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
               "n_subsets": int(n_subsets), "seed": int(seed), "nsnn_sim_version": package_version()})


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
