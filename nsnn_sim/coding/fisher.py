"""Fisher information of population codes and the discrimination thresholds it sets.

Linear Fisher information from data
    :func:`linear_fisher_information` -- ``I = f'^T Sigma^-1 f'`` from the responses to two nearby
    stimuli, with the bias correction of Kanitscheider, Coen-Cagli, Kohn & Pouget (2015);
    :func:`fisher_information_by_population_size` -- the same over random subsets of neurons.
Fisher information of a model
    :func:`poisson_fisher_information` -- ``I(s) = T sum_i f_i'(s)^2 / f_i(s)`` of independent
    Poisson neurons with tuning curves ``f_i`` (e.g. :func:`nsnn_sim.coding.tuning.von_mises_tuning` and
    :func:`nsnn_sim.coding.tuning.von_mises_tuning_derivative`).
Discrimination
    :func:`discrimination_threshold` -- ``d' / sqrt(I)`` (Cramer-Rao).

Fisher information has the units of ``1 / stimulus_unit**2`` (``1/rad^2`` for orientations).

References
----------
Kanitscheider I, Coen-Cagli R, Kohn A, Pouget A (2015). Measuring Fisher information accurately in
correlated neural populations. PLoS Comput Biol 11(6): e1004218. doi:10.1371/journal.pcbi.1004218

Dayan P, Abbott LF (2001). Theoretical Neuroscience, MIT Press, section 3.3 (Fisher information of
independent Poisson neurons).

Examples
--------
Independent Poisson neurons with rates ``f = (10, 20)`` Hz and slopes ``f' = (5, -10)`` Hz/rad,
counted for 0.5 s: ``I = 0.5 (25/10 + 100/20) = 3.75 rad^-2``, a threshold of ``1/sqrt(I)``:

>>> from nsnn_sim.coding.fisher import discrimination_threshold, poisson_fisher_information
>>> information = poisson_fisher_information([10.0, 20.0], [5.0, -10.0], window=0.5)
>>> information
3.75
>>> round(discrimination_threshold(information), 4)
0.5164
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nsnn_sim._core.validation import describe, finite_values, float_array, numeric_parameter, seed_value, whole_number
from nsnn_sim._core.version import provenance

__all__ = ["linear_fisher_information", "fisher_information_by_population_size", "poisson_fisher_information",
           "discrimination_threshold"]


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
    seed = seed_value(seed)
    sizes_array = np.atleast_1d(np.asarray(sizes))
    if sizes_array.ndim != 1 or sizes_array.size == 0 or sizes_array.dtype.kind not in "iu":
        raise TypeError(f"sizes must be a non-empty 1-D sequence of integers, got {describe(sizes)}")
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


def poisson_fisher_information(tuning, derivative, window: float | None = None, floor: float = 0.0):
    """Fisher information about the stimulus of independent Poisson neurons.

    With ``f_i(s)`` the mean response of neuron ``i`` (a rate, or a count per window) and
    ``f_i'(s)`` its derivative with respect to the stimulus, the counts ``n_i ~ Poisson(T f_i(s))``
    in a window ``T`` carry

    .. math::

        I(s) = T \\sum_i \\frac{f_i'(s)^2}{\\max(f_i(s), f_\\min)}

    (Dayan & Abbott 2001, Eq. 3.47; the score is ``sum_i (n_i / f_i - T) f_i'``). An efficient
    unbiased decoder, e.g. maximum likelihood for many neurons, has variance ``1 / I(s)``
    (Cramer-Rao). A neuron with ``f_i = 0`` contributes 0 if its slope is 0 too and ``inf``
    otherwise, unless ``floor`` (``f_min``) is positive.

    Parameters
    ----------
    tuning : array or xarray.DataArray
        Mean responses ``f_i(s)``, finite and >= 0, with the neurons on the last axis (or a
        ``neuron`` dim); any leading axes (e.g. stimuli) are kept.
    derivative : array or xarray.DataArray
        ``f_i'(s)``, finite, broadcasting against ``tuning`` (same neuron axis / dim).
    window : float, optional
        Counting window ``T`` in seconds when ``tuning`` is a rate in Hz (> 0). ``None`` (default):
        ``tuning`` already holds mean counts per window (``T = 1``).
    floor : float
        Smallest mean response used in the denominator, ``f_min >= 0`` (default 0: none).

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        ``I(s)`` in units of ``1 / stimulus_unit**2``, the neuron axis summed out (a DataArray
        without its ``neuron`` dim if either input is a DataArray).

    Raises
    ------
    ValueError
        Negative or non-finite ``tuning``, non-finite ``derivative``, shapes that do not broadcast,
        a DataArray without a ``neuron`` dim, ``window <= 0``, ``floor < 0``.
    TypeError
        Non-numeric arguments.

    Examples
    --------
    >>> poisson_fisher_information([[4.0, 1.0], [0.0, 2.0]], [[2.0, 1.0], [0.0, 2.0]])  # 2 stimuli
    array([2., 2.])
    """
    rate = finite_values("tuning", tuning, "mean responses (an array or DataArray)")
    slope = finite_values("derivative", derivative, "the tuning curves' derivatives (an array or DataArray)")
    if np.any(np.asarray(rate) < 0):
        raise ValueError(f"tuning={describe(np.asarray(rate))} must be >= 0 (mean responses)")
    floor = numeric_parameter("floor", floor, lower=0.0)
    if np.ndim(floor):
        raise ValueError(f"floor={describe(floor)} must be a single number")
    if window is not None:
        window = numeric_parameter("window", window, lower=0.0, lower_open=True)
        if np.ndim(window):
            raise ValueError(f"window={describe(window)} must be a single number (seconds)")
    labelled = isinstance(rate, xr.DataArray) or isinstance(slope, xr.DataArray)
    for name, value in (("tuning", rate), ("derivative", slope)):
        if isinstance(value, xr.DataArray) and "neuron" not in value.dims:
            raise ValueError(f"{name} must have a 'neuron' dim, got dims {value.dims}")
    if not labelled:
        try:
            np.broadcast_shapes(rate.shape, slope.shape)
        except ValueError:
            raise ValueError(f"tuning (shape {rate.shape}) and derivative (shape {slope.shape}) must "
                             "broadcast against each other, neurons on the last axis") from None
        if np.broadcast_shapes(rate.shape, slope.shape) == ():
            raise ValueError("tuning and derivative must have a neuron axis (the last one), got scalars")
    denominator = np.maximum(rate, floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = slope ** 2 / denominator
    terms = xr.where((denominator == 0) & (slope == 0), 0.0, terms) if labelled else np.where(
        (denominator == 0) & (slope == 0), 0.0, terms)
    information = terms.sum("neuron") if labelled else terms.sum(axis=-1)
    if window is not None:
        information = information * window
    if labelled:
        return information.rename("poisson_fisher_information").assign_attrs(
            units="1/stimulus_unit^2", window=("none (tuning in counts per window)" if window is None
                                               else float(window)), floor=float(floor))
    return float(information) if np.ndim(information) == 0 else information


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

