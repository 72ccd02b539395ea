"""Posteriors over orientation on a grid: circular summaries, credible intervals and calibration.

The decoders (:mod:`nsnn_sim.coding.decoding`) and cue integration (:mod:`nsnn_sim.coding.cue_integration`)
return a posterior over a grid of orientations (period pi) as an ``xarray.Dataset`` with the
masses ``posterior`` (dims ``trial``, ``stimulus_grid``), the circular mean and SD, the MAP
estimate and a central credible interval. This module holds what works on such a result.

Errors
    :func:`circular_error` -- the signed difference of two orientations, wrapped into
    ``[-pi/2, pi/2)``.
Calibration
    :func:`covers` -- whether each trial's credible interval holds the true stimulus;
    :func:`coverage` -- the fraction that do, at several nominal levels (a calibration curve).

:data:`PERIOD` (pi) is the period of an orientation.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.coding.posterior import circular_error
>>> np.degrees(circular_error(np.radians([179.0, 1.0]), np.radians(1.0))).round(6)
array([-2.,  0.])
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nsnn_sim._core.validation import ORIENTATION_PERIOD, describe, finite_values, float_array, numeric_parameter
from nsnn_sim._core.version import provenance

__all__ = ["PERIOD", "circular_error", "covers", "coverage"]

#: The period of an orientation (radians).
PERIOD = ORIENTATION_PERIOD


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

    Examples
    --------
    >>> import numpy as np
    >>> round(float(circular_error(0.1, np.pi - 0.1)), 6)       # 0.2 rad the short way round, not pi - 0.2
    0.2
    """
    values = [finite_values("estimate", estimate), finite_values("truth", truth)]
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


def _grid_posterior(log_posterior: np.ndarray, grid: np.ndarray, credible: float, *, refine_map: bool,
                    trials, one_trial: bool, attrs: dict) -> xr.Dataset:
    """The posterior Dataset of (trial, grid) log-posteriors (flat prior, any additive constant per
    trial): the normalised masses and their summaries, as documented in ``_GridDecoder.decode``.

    ``refine_map`` fits a parabola to the log-posterior at its maximum and its two neighbours
    (for a continuous stimulus on a uniform grid; offset clipped to half a grid step).
    """
    shifted = log_posterior - log_posterior.max(axis=1, keepdims=True)
    posterior = np.exp(shifted)
    posterior /= posterior.sum(axis=1, keepdims=True)

    resultant = posterior @ np.exp(2j * grid)
    mean = np.mod(0.5 * np.angle(resultant), PERIOD)
    length = np.clip(np.abs(resultant), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        sd = 0.5 * np.sqrt(-2.0 * np.log(length))

    n_grid = grid.size
    best = np.argmax(shifted, axis=1)
    estimate = grid[best].copy()
    if refine_map and n_grid >= 3:
        rows = np.arange(shifted.shape[0])
        below, centre, above = (shifted[rows, (best - 1) % n_grid], shifted[rows, best],
                                shifted[rows, (best + 1) % n_grid])
        curvature = below - 2.0 * centre + above
        with np.errstate(invalid="ignore", divide="ignore"):
            offset = np.where(curvature < 0, 0.5 * (below - above) / curvature, 0.0)
        estimate += np.clip(np.nan_to_num(offset), -0.5, 0.5) * (PERIOD / n_grid)
    estimate = np.mod(estimate, PERIOD)
    lower, upper, width = _central_interval(posterior, grid, credible)

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
    coords = {"stimulus_grid": ("stimulus_grid", grid, radians)}
    if trials is not None:
        coords["trial"] = trials
    decoded = xr.Dataset(data_vars, coords=coords, attrs={
        "credible": credible,
        "credible_interval": "central (equal-tailed) circular interval, cut at the cell of "
                             "smallest posterior mass; mass spread uniformly over grid cells",
        "prior": "flat over stimulus_grid", "period": PERIOD,
        "map_refined": int(bool(refine_map)), **attrs, **provenance()})
    return decoded.isel(trial=0, drop=True) if one_trial else decoded


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
    truth = finite_values(name, source, "orientations in radians, one per trial")
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

