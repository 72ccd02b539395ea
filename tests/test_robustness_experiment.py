"""The robustness experiment: Holm's correction and the paired tests on known inputs; the quick run end to
end with its figure (slow)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from nsnn_sim.experiments import robustness


def test_holm_matches_a_worked_example_and_keeps_nan():
    # p = (0.01, 0.04, 0.03, nan): sorted 0.01, 0.03, 0.04 -> 3 * 0.01, max(0.03, 2 * 0.03), max(0.06, 1 * 0.04)
    adjusted = robustness.holm([0.01, 0.04, 0.03, np.nan])
    np.testing.assert_allclose(adjusted[:3], [0.03, 0.06, 0.06], rtol=1e-12)
    assert np.isnan(adjusted[3])
    np.testing.assert_allclose(robustness.holm([0.2, 0.9]), [0.4, 0.9], rtol=1e-12)
    np.testing.assert_array_equal(robustness.holm([0.6, 0.7]), [1.0, 1.0])


def test_paired_tests_find_a_real_paired_advantage_and_not_an_absent_one():
    generator = np.random.default_rng(0)
    models, n_seeds, n_levels = list(robustness.MODELS), 10, 4
    base = generator.uniform(0.3, 0.7, (n_seeds, n_levels))  # seed effects shared by the paired models
    values = np.repeat(base[None], len(models), axis=0) + generator.normal(0, 0.002, (len(models), n_seeds, n_levels))
    values[1, :, 1:] += 0.05  # the official NSNN is better at every nonzero level (25 SE of the paired noise)
    values[2, :, 1:] -= 0.05  # the membrane-noise NSNN is worse
    accuracy = xr.DataArray(values[None, :, :, None, :, None], dims=("task", "model", "seed", "perturbation", "level",
                                                                     "n_ensembles"),
                            coords={"task": ["t"], "model": models, "perturbation": ["p"], "n_ensembles": [1]})
    difference, p_holm = robustness.paired_tests(accuracy)
    official, membrane, escape = (p_holm.sel(task="t", perturbation="p", n_ensembles=1, model=m).values
                                  for m in models[1:])
    assert np.isnan(official[0]) and np.all(official[1:] < 1e-6) and np.all(membrane[1:] < 1e-6)
    assert np.all(difference.sel(model=models[1]).values[..., 1:] > 0.04)
    assert np.all(escape[1:] > 0.01)  # no real difference: not significant after Holm
    assert np.all(np.isnan(p_holm.sel(model=robustness.DSNN)))


@pytest.mark.slow
def test_quick_robustness_experiment_runs_and_draws_its_figure(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    data = robustness.run(quick=True)
    accuracy = data["accuracy"]
    assert np.isnan(accuracy.sel(task="randman", perturbation="l2")).all()
    assert np.isfinite(accuracy.sel(task="digits", perturbation="l2")).all()
    clean = accuracy.sel(task="digits", perturbation="deletion", level=0, n_ensembles=1)
    assert float(clean.min()) > 0.5  # far above chance (0.1) after the quick training
    figure = robustness.figure(data)
    assert len([ax for ax in figure.axes if ax.has_data()]) == 13
    assert len(robustness.summary(data)) == 2 + 13 + 2


def test_runs_of_separate_models_merge_into_the_paired_comparison_and_bad_subsets_raise():
    generator = np.random.default_rng(1)

    def fake(model):
        values = generator.uniform(0.2, 0.9, (1, 1, 6, 1, 3, 1))
        return xr.Dataset({"accuracy": (("task", "model", "seed", "perturbation", "level", "n_ensembles"), values)},
                          coords={"task": ["digits"], "model": [model], "perturbation": ["fgsm"], "n_ensembles": [1],
                                  "level_value": (("perturbation", "level"), [[0.0, 0.1, 0.2]])},
                          attrs={"wall_time_s": 2.0})

    parts = [fake(robustness.DSNN), fake("NSNN escape noise")]
    merged = robustness.merge_runs(parts)
    assert list(merged["model"].values) == [robustness.DSNN, "NSNN escape noise"] and merged.attrs["wall_time_s"] == 4
    difference, p_holm = robustness.paired_tests(merged["accuracy"])
    np.testing.assert_array_equal(merged["p_holm"].values, p_holm.values)
    np.testing.assert_allclose(merged["difference"].sel(model="NSNN escape noise").values.ravel(),
                               (parts[1]["accuracy"].values - parts[0]["accuracy"].values).mean(axis=2).ravel())
    with pytest.raises(ValueError, match="models"):
        robustness.run(quick=True, models="dsnn,bogus")
    with pytest.raises(ValueError, match="tasks"):
        robustness.run(quick=True, tasks="cifar")
