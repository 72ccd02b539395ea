"""Orientation tuning curves: the von Mises model, its derivative and least-squares fits.

Model
    :func:`von_mises_tuning` -- the orientation tuning curve (period pi)
    ``f(s) = baseline + gain * exp(kappa * (cos(2 (s - preferred)) - 1))``, and
    :func:`von_mises_tuning_derivative`, its analytic derivative ``f'(s)``.
Fits
    :func:`fit_tuning_curves` -- weighted least-squares fit of that curve to every neuron's
    trial-mean responses, with standard errors, as an ``xarray.Dataset`` over ``neuron``;
    :data:`TUNING_PARAMETERS` names its fitted parameters in the order the model takes them.

Orientations are in radians (folded into ``[0, pi)`` where a set of stimuli is expected; checked by
:func:`nsnn_sim._core.validation.orientation_grid`). The Fisher information of such curves is in
:mod:`nsnn_sim.coding.fisher`, decoding with them in :mod:`nsnn_sim.coding.decoding`.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.coding.tuning import von_mises_tuning
>>> von_mises_tuning(np.array([0.0, np.pi / 4, np.pi / 2]), 0.0, 1.0, 2.0, 10.0).round(4)
array([12.    ,  5.6788,  3.3534])
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import xarray as xr
from scipy.optimize import OptimizeWarning, curve_fit

from nsnn_sim._core.validation import describe, finite_values, float_array, orientation_grid
from nsnn_sim._core.version import provenance

__all__ = ["TUNING_PARAMETERS", "von_mises_tuning", "von_mises_tuning_derivative", "fit_tuning_curves"]

TUNING_PARAMETERS = ("preferred", "kappa", "baseline", "gain")

# A stimulus whose trials all agree (e.g. all zero spikes) has a zero standard error; its weight in
# the fit is capped by flooring every SE at this fraction of the neuron's median positive SE.
_SE_FLOOR_FRACTION = 0.1
# kappa starting values are clipped to this range (a half-width of ~90 deg .. ~5 deg)
_KAPPA_START_RANGE = (0.05, 50.0)


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
    return _scalar_or_array(_tuning_model(**_curve_arguments(stimulus, preferred, kappa, baseline, gain)))


def von_mises_tuning_derivative(stimulus, preferred, kappa, baseline, gain):
    """Derivative with respect to the stimulus of :func:`von_mises_tuning`.

    .. math::

        f'(s) = -2 g \\kappa \\sin\\bigl(2(s - s_\\mathrm{pref})\\bigr)
                \\exp\\bigl(\\kappa\\,[\\cos(2(s - s_\\mathrm{pref})) - 1]\\bigr)

    (the baseline does not enter). Used for the Poisson Fisher information
    ``sum_i f_i'(s)^2 / f_i(s)`` (:func:`nsnn_sim.coding.fisher.poisson_fisher_information`).

    Parameters
    ----------
    stimulus, preferred, kappa, baseline, gain
        As for :func:`von_mises_tuning` (they broadcast the same way).

    Returns
    -------
    numpy.ndarray, float or xarray.DataArray
        ``f'(stimulus)`` in units of the response per radian.

    Examples
    --------
    >>> import numpy as np
    >>> float(von_mises_tuning_derivative(0.0, 0.0, 1.0, 2.0, 10.0)) == 0.0     # flat at the peak
    True
    >>> round(float(von_mises_tuning_derivative(np.pi / 4, 0.0, 1.0, 2.0, 10.0)), 6)   # -2 g kappa e^-kappa
    -7.357589
    """
    return _scalar_or_array(_tuning_slope(**_curve_arguments(stimulus, preferred, kappa, baseline, gain)))


def _curve_arguments(stimulus, preferred, kappa, baseline, gain) -> dict:
    """The arguments of a tuning curve as finite float64 values (DataArrays kept), ``kappa >= 0``."""
    values = {name: finite_values(name, value) for name, value in
              (("stimulus", stimulus), ("preferred", preferred), ("kappa", kappa), ("baseline", baseline),
               ("gain", gain))}
    if np.any(np.asarray(values["kappa"]) < 0):
        raise ValueError(f"kappa={describe(np.asarray(values['kappa']))} must be >= 0")
    return values


def _scalar_or_array(result):
    """A float for a 0-d numpy result, the array or DataArray otherwise."""
    if isinstance(result, np.ndarray) and result.ndim == 0:
        return float(result)
    return result


def _tuning_model(stimulus, preferred, kappa, baseline, gain):
    return baseline + gain * np.exp(kappa * (np.cos(2.0 * (stimulus - preferred)) - 1.0))


def _tuning_slope(stimulus, preferred, kappa, baseline, gain):
    """d f / d stimulus (the baseline does not enter)."""
    angle = 2.0 * (stimulus - preferred)
    return -2.0 * gain * kappa * np.sin(angle) * np.exp(kappa * (np.cos(angle) - 1.0))


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
    stimuli = orientation_grid("stimuli", stimuli, size=values.shape[0], minimum_size=len(TUNING_PARAMETERS) + 1,
                               purpose=f"fitting {len(TUNING_PARAMETERS)} parameters")
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

