"""Cue integration: combining two independent cues about one orientation (Ma et al. 2006).

Two populations (or two senses) see the same stimulus ``s``; their responses ``r_a`` and ``r_b``
are independent given ``s``. With a flat prior the posterior given both is the normalised product
of the single-cue posteriors,

.. math::

    p(s \\mid r_a, r_b) \\propto p(r_a \\mid s)\\, p(r_b \\mid s) \\propto p(s \\mid r_a)\\, p(s \\mid r_b).

Closed form
    :func:`combine_cues` -- for Gaussian posteriors the product is Gaussian with
    ``1/var = 1/var_a + 1/var_b`` and the mean weighted by the reliabilities ``1/var_i``
    (the optimal, minimum-variance combination).
Grid posteriors
    :func:`combine_posteriors` -- the product of two grid posteriors (e.g. two decoders'
    ``decode()`` results) with the same summaries as a decoder's posterior (circular mean / SD,
    MAP, central credible interval), so :func:`nsnn_sim.coding.posterior.covers` and
    :func:`nsnn_sim.coding.posterior.coverage` apply to it.

Probabilistic population codes (Ma, Beck, Latham & Pouget 2006): for independent Poisson neurons
whose tuning curves in the two populations differ only by a gain, ``f_i^b(s) = c f_i^a(s)``, the
log-likelihood of the summed counts ``r_a + r_b`` (Poisson with means ``(1 + c) f_i^a(s)``) is
``sum_i (r_a + r_b)_i log f_i^a(s) - (1 + c) sum_i f_i^a(s)`` + const, exactly the sum of the two
single-cue log-likelihoods: a population that simply adds its inputs' spikes computes the optimal
combination. (The tests check this identity with :class:`nsnn_sim.coding.decoding.PoissonDecoder`.)

Orientations are in radians, period pi; means are combined on the circle (the difference of the
two means taken the short way round, :func:`nsnn_sim.coding.posterior.circular_error`).

References
----------
Ma WJ, Beck JM, Latham PE, Pouget A (2006). Bayesian inference with probabilistic population codes.
Nat Neurosci 9(11): 1432-1438. doi:10.1038/nn1790

Examples
--------
A cue at 40 degrees with SD 2 degrees and one at 46 degrees with SD 4 degrees: the combination is
pulled towards the more reliable cue, and is more reliable than either:

>>> import numpy as np
>>> from nsnn_sim.coding.cue_integration import combine_cues
>>> mean, variance = combine_cues(np.radians(40.0), np.radians(2.0) ** 2, np.radians(46.0), np.radians(4.0) ** 2)
>>> round(float(np.degrees(mean)), 6), round(float(np.degrees(np.sqrt(variance))), 6)
(41.2, 1.788854)
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nsnn_sim._core.validation import describe, finite_values
from nsnn_sim.coding.posterior import PERIOD, _credible_level, _decoded_posterior, _grid_posterior, circular_error

__all__ = ["combine_cues", "combine_posteriors"]


def combine_cues(mean_a, variance_a, mean_b, variance_b):
    """Optimal combination of two independent Gaussian cues about an orientation.

    .. math::

        \\frac{1}{\\sigma^2} = \\frac{1}{\\sigma_a^2} + \\frac{1}{\\sigma_b^2},\\qquad
        \\hat s = \\frac{\\hat s_a / \\sigma_a^2 + \\hat s_b / \\sigma_b^2}{1/\\sigma_a^2 + 1/\\sigma_b^2}
              = \\hat s_a + e(\\hat s_b, \\hat s_a)\\,\\frac{\\sigma_a^2}{\\sigma_a^2 + \\sigma_b^2} \\bmod \\pi

    with ``e`` the circular difference (:func:`nsnn_sim.coding.posterior.circular_error`), so that two
    estimates on either side of 0 = pi are averaged the short way round. This is the mean and
    variance of the product of the two Gaussian posteriors (Ma et al. 2006), the minimum-variance
    unbiased linear combination of the two estimates.

    Parameters
    ----------
    mean_a, mean_b : float, array or xarray.DataArray
        The cues' estimates (posterior means) in radians, any real values (compared modulo pi).
    variance_a, variance_b : float, array or xarray.DataArray
        Their variances (rad^2), > 0 and finite. All four broadcast against each other.

    Returns
    -------
    mean : float, numpy.ndarray or xarray.DataArray
        The combined estimate in radians, in [0, pi).
    variance : float, numpy.ndarray or xarray.DataArray
        The combined variance (rad^2).

    Raises
    ------
    ValueError
        Non-finite means or variances, or a variance <= 0.
    TypeError
        Non-numeric arguments.
    """
    mean_a, mean_b = finite_values("mean_a", mean_a), finite_values("mean_b", mean_b)
    variance_a, variance_b = finite_values("variance_a", variance_a), finite_values("variance_b", variance_b)
    for name, value in (("variance_a", variance_a), ("variance_b", variance_b)):
        if np.any(np.asarray(value) <= 0):
            raise ValueError(f"{name}={describe(np.asarray(value))} must be > 0 (a variance in rad^2)")
    variance = 1 / (1 / variance_a + 1 / variance_b)
    mean = np.mod(mean_a + circular_error(mean_b, mean_a) * variance_a / (variance_a + variance_b), PERIOD)
    if isinstance(mean, np.ndarray) and mean.ndim == 0:
        return float(mean), float(variance)
    return mean, variance


def combine_posteriors(decoded_a: xr.Dataset, decoded_b: xr.Dataset, credible: float | None = None) -> xr.Dataset:
    """Posterior given two independent cues: the normalised product of two grid posteriors.

    .. math::

        p_k = \\frac{p^a_k\\, p^b_k}{\\sum_j p^a_j\\, p^b_j}

    trial by trial, on the grid the two share (a flat prior over the grid; the product is formed
    from the logarithms so that small masses do not underflow). The summaries (circular posterior
    mean and SD, MAP, central credible interval) are those of a decoder's ``decode()``
    (:class:`nsnn_sim.coding.decoding.PoissonDecoder`); the MAP is refined by a parabola only if both
    inputs' were (``map_refined``).

    Parameters
    ----------
    decoded_a, decoded_b : xarray.Dataset
        ``decode()`` results (or earlier combinations) on the same ``stimulus_grid``, with the
        same trials (both with a ``trial`` dim of the same length, or both single-trial).
    credible : float, optional
        Level of the credible interval, in (0, 1); default: that of ``decoded_a``.

    Returns
    -------
    xarray.Dataset
        As from ``decode()``: ``posterior``, ``posterior_mean``, ``posterior_sd``,
        ``resultant_length``, ``map_estimate``, ``credible_lower``, ``credible_upper``,
        ``credible_width``; attrs say it is a combination.

    Raises
    ------
    TypeError
        An argument that is not a ``decode()`` result.
    ValueError
        Different grids or trial counts, ``credible`` outside (0, 1), or a trial whose two
        posteriors have no grid point where both are positive (their product vanishes).
    """
    posterior_a, grid_a, one_trial_a = _decoded_posterior(decoded_a)
    posterior_b, grid_b, one_trial_b = _decoded_posterior(decoded_b)
    if grid_a.shape != grid_b.shape or not np.array_equal(grid_a, grid_b):
        raise ValueError(f"decoded_a and decoded_b must share their stimulus_grid, got {describe(grid_a)} "
                         f"and {describe(grid_b)}; build both decoders with the same grid")
    if one_trial_a != one_trial_b or posterior_a.shape != posterior_b.shape:
        raise ValueError(f"decoded_a and decoded_b must hold the same trials, got posteriors of shape "
                         f"{decoded_a['posterior'].shape} and {decoded_b['posterior'].shape}")
    credible = _credible_level("credible", decoded_a.attrs.get("credible", 0.9) if credible is None else credible)
    with np.errstate(divide="ignore"):
        log_posterior = np.log(posterior_a) + np.log(posterior_b)
    empty = np.flatnonzero(~np.isfinite(log_posterior.max(axis=1)))
    if empty.size:
        raise ValueError(f"decoded_a and decoded_b: at trial position(s) {empty[:10].tolist()} the two posteriors "
                         "have no grid point where both are positive, so their product vanishes")
    trials = decoded_a["trial"].values if "trial" in decoded_a.coords else None
    refine = bool(decoded_a.attrs.get("map_refined", 0)) and bool(decoded_b.attrs.get("map_refined", 0))
    return _grid_posterior(log_posterior, grid_a, credible, refine_map=refine, trials=trials,
                           one_trial=one_trial_a,
                           attrs={"decoder": "combine_posteriors", "combined": "normalised product of two "
                                  f"posteriors ({decoded_a.attrs.get('decoder', '?')}, "
                                  f"{decoded_b.attrs.get('decoder', '?')})"})
