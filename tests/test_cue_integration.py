"""Tests of nsnn_sim.coding.cue_integration: the optimal combination of two cues (closed form) and the
product of grid posteriors, which for Poisson populations with proportional tuning equals the
posterior of the summed counts (Ma, Beck, Latham & Pouget 2006).

The checks are identities, exact up to rounding and the grid discretisation (each tolerance says
which); the only random draws are spike counts with fixed seeds.
"""

import math

import numpy as np
import pytest
import xarray as xr

from nsnn_sim.coding import cue_integration, decoding, posterior, tuning


def gaussian_posteriors(grid, means, sds):
    """A decode()-like Dataset of wrapped Gaussian posteriors (period pi), one trial per (mean, sd)."""
    offsets = grid[None, :] - np.asarray(means)[:, None] + np.pi * np.arange(-2, 3)[:, None, None]
    density = np.exp(-0.5 * (offsets / np.asarray(sds)[:, None]) ** 2).sum(axis=0)
    masses = density / density.sum(axis=1, keepdims=True)
    return xr.Dataset({"posterior": (("trial", "stimulus_grid"), masses)},
                      coords={"stimulus_grid": grid, "trial": np.arange(len(means))},
                      attrs={"credible": 0.9, "decoder": "gaussian", "map_refined": 1})


def test_combine_cues_is_the_inverse_variance_weighted_combination():
    """1/var = 1/var_a + 1/var_b and mean = (m_a/var_a + m_b/var_b) / (1/var_a + 1/var_b), computed
    here on the line (means away from the wrap), and the short way round across 0 = pi."""
    mean_a, mean_b = np.radians([40.0, 100.0, 179.0]), np.radians([46.0, 90.0, 183.0])  # 183 deg = 3 deg
    var_a, var_b = np.radians([2.0, 5.0, 1.0]) ** 2, np.radians([4.0, 5.0, 3.0]) ** 2
    mean, variance = cue_integration.combine_cues(mean_a, var_a, np.mod(mean_b, np.pi), var_b)
    expected_variance = 1 / (1 / var_a + 1 / var_b)
    expected_mean = np.mod((mean_a / var_a + mean_b / var_b) * expected_variance, np.pi)
    np.testing.assert_allclose(variance, expected_variance, rtol=1e-14)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-13)
    assert np.degrees(mean[2]) == pytest.approx(179.4)          # between 179 and 3 deg, not near 90
    single_mean, single_variance = cue_integration.combine_cues(0.5, 0.01, 0.5, 0.01)
    assert isinstance(single_mean, float) and single_variance == pytest.approx(0.005)
    assert single_mean == pytest.approx(0.5)


def test_product_of_gaussian_grid_posteriors_has_the_closed_form_mean_and_variance():
    """Two wrapped Gaussian posteriors on a 0.05 deg grid (SDs 1-4 deg, so the wrapped tails and the
    discretisation errors are far below 1e-9): their normalised product has the circular mean and
    the SD^2 of combine_cues (the closed form), to 1e-9 relative; one pair straddles 0 = pi."""
    grid = np.arange(3600) * np.pi / 3600
    means_a, means_b = np.radians([80.0, 20.0, 178.5]), np.radians([84.0, 21.0, 2.0])
    sds_a, sds_b = np.radians([2.0, 1.0, 3.0]), np.radians([3.0, 4.0, 1.5])
    combined = cue_integration.combine_posteriors(gaussian_posteriors(grid, means_a, sds_a),
                                                  gaussian_posteriors(grid, means_b, sds_b))
    mean, variance = cue_integration.combine_cues(means_a, sds_a ** 2, means_b, sds_b ** 2)
    np.testing.assert_allclose(combined["posterior_sd"].values ** 2, variance, rtol=1e-9)
    np.testing.assert_allclose(posterior.circular_error(combined["posterior_mean"].values, mean), 0.0, atol=1e-11)
    np.testing.assert_allclose(combined["posterior"].sum("stimulus_grid"), 1.0)
    assert combined.attrs["decoder"] == "combine_posteriors" and list(combined["trial"].values) == [0, 1, 2]
    # the central 90 % interval of a Gaussian is mean +- 1.6449 SD; spreading each mass uniformly over
    # its cell (h = 0.05 deg) makes the CDF piecewise linear, exact to O((h / sd)^2) <= 3e-3 here
    np.testing.assert_allclose(combined["credible_width"].values, 2 * 1.6448536 * np.sqrt(variance), rtol=3e-3)
    assert bool(posterior.covers(combined.isel(trial=2), 0.0))


def test_product_of_posteriors_equals_the_posterior_of_summed_poisson_counts():
    """Ma et al. (2006): independent Poisson populations with tuning f (contrast 1) and 0.4 f
    (contrast 0.4). The posterior from the summed counts (decoder built from 1.4 f) equals the
    normalised product of the two single-population posteriors, to rounding (1e-9 relative on every
    mass above 1e-12). With a different tuning width in the second population it does not."""
    rng = np.random.default_rng(2006)
    preferred, stimuli = np.arange(24) * np.pi / 24, rng.uniform(0, np.pi, 200)

    def curves(scale, kappa=1.5):
        return lambda grid: scale * tuning.von_mises_tuning(grid[:, None], preferred, kappa, 1.0, 8.0)

    strong, weak = (rng.poisson(scale * tuning.von_mises_tuning(stimuli[:, None], preferred, 1.5, 1.0, 8.0))
                    for scale in (1.0, 0.4))
    decoded_strong = decoding.PoissonDecoder(curves(1.0)).decode(strong)
    decoded_weak = decoding.PoissonDecoder(curves(0.4)).decode(weak)
    combined = cue_integration.combine_posteriors(decoded_strong, decoded_weak)
    summed = decoding.PoissonDecoder(curves(1.4)).decode(strong + weak)
    masses, expected = combined["posterior"].values, summed["posterior"].values
    large = expected > 1e-12
    np.testing.assert_allclose(masses[large], expected[large], rtol=1e-9)
    np.testing.assert_allclose(masses[~large], expected[~large], atol=1e-12)
    for name in ("posterior_mean", "posterior_sd", "map_estimate", "credible_lower", "credible_width"):
        np.testing.assert_allclose(combined[name].values, summed[name].values, rtol=1e-8, atol=1e-10,
                                   err_msg=name)
    assert combined.attrs["map_refined"] == 1
    # the product is sharper than either cue (posterior variances add as inverses, up to grid effects)
    assert np.all(combined["posterior_sd"] < decoded_strong["posterior_sd"])

    # negative control: the identity needs proportional tuning; a narrower second population breaks it
    narrow = decoding.PoissonDecoder(curves(0.4, kappa=4.0)).decode(weak)
    mismatched = cue_integration.combine_posteriors(decoded_strong, narrow)
    assert np.max(np.abs(mismatched["posterior"].values - expected)) > 1e-3


def test_combine_posteriors_errors_name_the_problem():
    grid = np.arange(90) * np.pi / 90
    first = gaussian_posteriors(grid, [0.5, 1.0], [0.05, 0.05])
    with pytest.raises(ValueError, match="stimulus_grid"):
        cue_integration.combine_posteriors(first, gaussian_posteriors(grid[:60] * 1.5, [0.5, 1.0], [0.05, 0.05]))
    with pytest.raises(ValueError, match="same trials"):
        cue_integration.combine_posteriors(first, gaussian_posteriors(grid, [0.5], [0.05]))
    with pytest.raises(ValueError, match="credible"):
        cue_integration.combine_posteriors(first, first, credible=1.0)
    with pytest.raises(TypeError, match="decoded"):
        cue_integration.combine_posteriors(first["posterior"], first)
    disjoint = first.copy(deep=True)
    disjoint["posterior"].values[:] = 0.0
    disjoint["posterior"].values[:, 45] = 1.0
    lonely = first.copy(deep=True)
    lonely["posterior"].values[:] = 0.0
    lonely["posterior"].values[:, 0] = 1.0
    with pytest.raises(ValueError, match=r"trial position\(s\) \[0, 1\].*product vanishes"):
        cue_integration.combine_posteriors(disjoint, lonely)
    single = cue_integration.combine_posteriors(first.isel(trial=0, drop=True), first.isel(trial=0, drop=True))
    assert "trial" not in single.dims and single["posterior_sd"] == pytest.approx(0.05 / math.sqrt(2), rel=1e-6)


def test_combine_cues_errors_name_the_parameter():
    with pytest.raises(ValueError, match=r"variance_b=.*> 0"):
        cue_integration.combine_cues(0.1, 0.01, 0.2, 0.0)
    with pytest.raises(ValueError, match="mean_a.*finite"):
        cue_integration.combine_cues(np.nan, 0.01, 0.2, 0.01)
    with pytest.raises(TypeError, match="variance_a"):
        cue_integration.combine_cues(0.1, "wide", 0.2, 0.01)


def test_the_combination_takes_its_credible_level_and_map_refinement_from_both_decodes():
    """Without a ``credible`` attribute the level is 0.9; the MAP is refined only when both decodes were (an attribute
    missing counts as not refined): compared with _grid_posterior's output for the same product."""
    grid = np.arange(60) * np.pi / 60
    a, b = gaussian_posteriors(grid, [0.8], [0.2]), gaussian_posteriors(grid, [0.9], [0.3])
    product = np.log(a["posterior"].values) + np.log(b["posterior"].values)
    for refined_a, refined_b in [(1, 1), (1, 0), (0, 1), (None, 1), (1, None)]:
        first, second = a.copy(), b.copy()
        for decoded, refined in ((first, refined_a), (second, refined_b)):
            decoded.attrs.pop("credible")
            if refined is None:
                decoded.attrs.pop("map_refined")
            else:
                decoded.attrs["map_refined"] = refined
        combined = cue_integration.combine_posteriors(first, second)
        expected = posterior._grid_posterior(product, grid, 0.9, refine_map=refined_a == refined_b == 1,
                                             trials=np.arange(1), one_trial=False, attrs={})
        assert combined.attrs["credible"] == 0.9 and combined.attrs["map_refined"] == int(refined_a == refined_b == 1)
        np.testing.assert_array_equal(combined["map_estimate"].values, expected["map_estimate"].values)
        np.testing.assert_array_equal(combined["credible_width"].values, expected["credible_width"].values)
