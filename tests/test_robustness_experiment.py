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


def test_the_documented_defaults_are_the_sizes_run_uses():
    # the CLI help states the full and quick defaults; _sizes is what run() uses
    full, quick = robustness._sizes(False), robustness._sizes(True)
    for option, key in (("--seeds", "seeds"), ("--max-epochs", "max_epochs")):
        help_text = robustness.OPTIONS[option]["help"]
        assert f"default {full[key]}" in help_text and f"quick: {quick[key]}" in help_text
    assert f"[--seeds {full['seeds']}] [--max-epochs {full['max_epochs']}]" in robustness.__doc__
    assert f"full: {full['seeds']} seeds, up to {full['max_epochs']} epochs" in " ".join(robustness.run.__doc__.split())


def test_randman_task_has_the_documented_channels_steps_and_decay():
    sizes = robustness._sizes(True)
    data, n_hidden, gain, beta = robustness._task_data("randman", sizes, seed=3)
    assert data.x_train.shape == (10 * sizes["randman_per_class"], sizes["randman_steps"], 20)  # 20 input channels
    assert data.x_test.shape[0] == 10 * sizes["randman_per_class"]
    assert (n_hidden, gain, beta) == (sizes["randman_hidden"], 5.0, 0.9)


class _Data:
    def __init__(self, n_train=50, n_test=12):
        generator = np.random.default_rng(2)
        self.x_train, self.y_train = generator.random((n_train, 4, 3)), np.arange(n_train) % 10
        self.x_test, self.y_test = generator.random((n_test, 4, 3)), np.arange(n_test) % 10


def test_tuning_splits_80_20_and_keeps_the_first_best_rate_and_its_epoch_count(monkeypatch):
    calls = []
    curves = {0.1: [0.2, 0.6, 0.4], 0.2: [0.5, 0.6, 0.1], 0.3: [0.3, 0.7, 0.7]}

    def fake_train(network, inputs, targets, optimizer, test_inputs, test_targets, **kwargs):
        calls.append((inputs.copy(), test_inputs.copy(), optimizer.learning_rate))
        return xr.Dataset({"test_accuracy": ("epoch", curves[optimizer.learning_rate])})

    monkeypatch.setattr(robustness.learn, "train", fake_train)
    data = _Data(n_train=100)
    sizes = dict(robustness._sizes(True), learning_rates=np.array([0.1, 0.2, 0.3]), max_epochs=3)
    # 0.3 reaches 0.7 first at its second epoch; a later equal epoch does not count
    assert robustness._tune(robustness.DSNN, data, 8, 1.0, 0.5, sizes, seed=4) == (0.3, 2)
    fit, validation = calls[0][0], calls[0][1]
    assert fit.shape[0] == 80 and validation.shape[0] == 20  # int(0.8 * 100) and the rest
    rows = {row.tobytes() for row in data.x_train}
    assert {row.tobytes() for row in np.concatenate([fit, validation])} == rows  # a partition of the training set
    assert all(np.array_equal(call[0], fit) for call in calls)  # every rate tuned on the same split
    curves[0.3] = [0.3, 0.6, 0.6]  # ties at 0.6: the first rate that reached it is kept
    assert robustness._tune(robustness.DSNN, data, 8, 1.0, 0.5, sizes, seed=4) == (0.1, 2)


def test_zero_variance_differences_count_as_p_one():
    models = list(robustness.MODELS)
    values = np.random.default_rng(5).uniform(0.3, 0.7, (len(models), 6, 3))
    values[1] = values[0] + 0.02  # a constant difference: zero variance, p = 1 by the documented rule
    accuracy = xr.DataArray(values[None, :, :, None, :, None],
                            dims=("task", "model", "seed", "perturbation", "level", "n_ensembles"),
                            coords={"task": ["t"], "model": models, "perturbation": ["p"], "n_ensembles": [1]})
    _, p_holm = robustness.paired_tests(accuracy)
    np.testing.assert_array_equal(p_holm.sel(model=models[1]).values.ravel(), [np.nan, 1.0, 1.0])


def test_run_trains_each_seed_with_its_paired_seeds_and_logs_the_clean_accuracy(monkeypatch, caplog):
    built, trained = [], []

    def fake_build(model, n_inputs, n_hidden, gain, seed, beta=0.5):
        built.append((model, seed))
        return object()

    def fake_train(network, inputs, targets, seed, **kwargs):
        trained.append(seed)
        return xr.Dataset({"epoch_time": ("epoch", [0.5])})

    class _Trace:
        layers = [type("Layer", (), {"spikes": np.zeros(3)})()]

    def fake_accuracy(network, data, kind, levels, sizes, seed):  # level index 0 = clean, then perturbed
        clean = 0.9 + 0.01 * seed if kind == "deletion" else 0.8  # the log reports the first perturbation's
        return np.array([[clean, 0.95], [0.5, 0.5], [0.1, 0.1]])

    monkeypatch.setattr(robustness, "_task_data", lambda task, sizes, seed: (_Data(), 8, 1.0, 0.5))
    monkeypatch.setattr(robustness, "_tune", lambda *args: (0.01, 1))
    monkeypatch.setattr(robustness, "build_model", fake_build)
    monkeypatch.setattr(robustness, "_perturbed_accuracy", fake_accuracy)
    monkeypatch.setattr(robustness.learn, "train", fake_train)
    monkeypatch.setattr(robustness.learn, "forward", lambda *args, **kwargs: _Trace())
    with caplog.at_level("INFO", logger=robustness._log.name):
        data = robustness.run(quick=True, seed=7, tasks="digits", models="dsnn,escape")
    assert built == [(robustness.DSNN, 7), (robustness.DSNN, 8), ("NSNN escape noise", 7), ("NSNN escape noise", 8)]
    assert trained == [7, 107, 7, 107]  # seed + 100 s: the same batches for every model of a seed
    logged = [record.getMessage() for record in caplog.records]
    assert any("seed 1:" in line and "clean test accuracy 0.910 (4 passes 0.950)" in line for line in logged)
    deletion = data["accuracy"].sel(task="digits", model="NSNN escape noise", perturbation="deletion", n_ensembles=1)
    np.testing.assert_array_equal(deletion.values, [[0.9, 0.5, 0.1], [0.91, 0.5, 0.1]])
