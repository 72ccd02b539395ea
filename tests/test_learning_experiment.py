"""The learning experiment's computations with the training, evaluation and simulation stubbed: the task, networks,
seeds and training settings it passes to :func:`nsnn_sim.learn.train` and :func:`nsnn_sim.learn.evaluate`, the
perturbation levels, and the tuning fit's numbers recomputed here from the stub's spikes (rates, their SE, the
responses given to fit_tuning_curves), so no kernel is compiled and nothing is trained. The end-to-end run is
test_learning_experiment_runs_at_a_tiny_size_and_draws_its_figure in tests/test_experiments.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from nsnn_sim import learn
from nsnn_sim.experiments import learning

SEED = 9


def _history(network, epochs, optimizer, loss, batch_size, seed):
    """A training history whose every number encodes the seed and the epoch."""
    epoch = np.arange(1, epochs + 1)
    values = {"loss": 1.0 / (seed + epoch), "accuracy": (seed % 7 + epoch) / 100.0,
              "test_accuracy": (seed % 11 + 2 * epoch) / 100.0, "epoch_time": 0.01 * (seed % 5 + epoch)}
    return xr.Dataset({key: ("epoch", value) for key, value in values.items()}, coords={"epoch": epoch},
                      attrs={"network": network.config_json(), "optimizer": type(optimizer).__name__,
                             "learning_rate": optimizer.learning_rate, "loss_function": loss,
                             "batch_size": batch_size})


def _accuracy(seed, inputs, membrane_noise=0.0, engine="learner"):
    """A deterministic accuracy of the evaluation's seed, inputs, membrane noise and engine."""
    return (seed % 97 + float(np.sum(inputs)) % 13 + 3 * membrane_noise + (engine == "simulator")) / 200.0


def _fake_spikes(inputs, seed):
    """(trial, step, neuron) spikes of 16 neurons: Bernoulli(0.05 + 0.02 x the trial's mean input)."""
    generator = np.random.default_rng(seed)
    p = 0.05 + 0.02 * inputs.mean(axis=(1, 2))
    return (generator.random((inputs.shape[0], inputs.shape[1], 16)) < p[:, None, None]).astype(float)


@pytest.fixture
def stubbed(monkeypatch):
    calls = {"train": [], "evaluate": [], "simulate": [], "fit": [], "randman": [], "gradient": [], "attack": []}
    real_randman = learn.randman

    def fake_randman(**kwargs):
        calls["randman"].append(kwargs)
        return real_randman(**kwargs)

    def fake_train(network, inputs, targets, loss="cross_entropy", epochs=10, batch_size=32, optimizer=None, seed=0,
                   test_inputs=None, test_targets=None, progress=True):
        calls["train"].append(dict(config=network.config(), inputs=inputs, targets=targets, loss=loss, epochs=epochs,
                                   batch_size=batch_size, learning_rate=optimizer.learning_rate,
                                   optimizer=type(optimizer).__name__, seed=seed, test_inputs=test_inputs,
                                   test_targets=test_targets, progress=progress))
        return _history(network, epochs, optimizer, loss, batch_size, seed)

    def fake_evaluate(network, inputs, targets, seed=0, membrane_noise=0.0, engine="learner"):
        calls["evaluate"].append(dict(network=network, inputs=inputs, seed=seed, membrane_noise=membrane_noise,
                                      engine=engine))
        return _Evaluation(_accuracy(seed, inputs, membrane_noise, engine))

    def fake_gradient(network, x, y, seed=0, n_samples=1):
        calls["gradient"].append(dict(network=network, seed=seed, n_samples=n_samples))
        return np.full(x.shape, float(seed))

    def fake_attack(network, x, y, epsilon, gradient=None):
        calls["attack"].append(dict(epsilon=epsilon, gradient=gradient))
        return x + epsilon * np.sign(gradient)

    def fake_simulate_network(network, inputs, seed=0):
        calls["simulate"].append(dict(config=network.config(), inputs=inputs, seed=seed))
        return _Simulated([_fake_spikes(inputs, seed)])

    def fake_fit(responses):
        calls["fit"].append(responses)
        mean = responses.mean(("stimulus", "trial")).values
        return xr.Dataset({"preferred": ("neuron", mean), "preferred_se": ("neuron", mean / 10),
                           "r_squared": ("neuron", 1 - mean)})

    monkeypatch.setattr(learn, "randman", fake_randman)
    monkeypatch.setattr(learn, "train", fake_train)
    monkeypatch.setattr(learn, "evaluate", fake_evaluate)
    monkeypatch.setattr(learn, "input_gradient", fake_gradient)
    monkeypatch.setattr(learn, "gradient_sign_attack", fake_attack)
    monkeypatch.setattr(learn, "simulate_network", fake_simulate_network)
    monkeypatch.setattr(learning, "fit_tuning_curves", fake_fit)
    return calls


class _Evaluation:
    def __init__(self, accuracy):
        self.accuracy = accuracy


class _Simulated:
    def __init__(self, spikes):
        self.spikes = spikes


def test_tuning_fit_trains_the_documented_population_and_measures_it_in_simulate(stubbed):
    data = learning.tuning_fit(True, SEED, epochs=4)
    task = learn.tuning_task(n_neurons=16, n_orientations=16, n_steps=100)
    (train,) = stubbed["train"]
    # 16 Gaussian NSNN neurons (beta 0.5, noise SD 0.4, escape), weight gain 1, count readout / 100 steps
    config = train["config"]
    assert (config["n_inputs"], config["weight_gain"], config["seed"]) == (task.inputs.shape[2], 1.0, SEED)
    (layer,) = config["layers"]
    assert (layer["n_neurons"], layer["beta"], layer["noise"], layer["noise_scale"], layer["firing"]) == (
        16, 0.5, "gaussian", 0.4, "escape")
    assert (config["readout"]["kind"], config["readout"]["scale"]) == ("count", 0.01)
    # 16 orientations repeated 8 times, MSE, Adam 0.01, batch 16
    np.testing.assert_array_equal(train["inputs"], np.tile(task.inputs, (8, 1, 1)))
    np.testing.assert_array_equal(train["targets"], np.tile(task.targets, (8, 1)))
    assert (train["loss"], train["epochs"], train["batch_size"], train["optimizer"], train["learning_rate"],
            train["seed"]) == ("mse", 4, 16, "Adam", 0.01, SEED)
    # 50 trials per orientation (quick), each orientation's trials together, simulated with seed + 1
    (simulated,) = stubbed["simulate"]
    np.testing.assert_array_equal(simulated["inputs"], np.repeat(task.inputs, 50, axis=0))
    assert simulated["seed"] == SEED + 1 and simulated["config"] == config
    counts = _fake_spikes(simulated["inputs"], SEED + 1).sum(axis=1).reshape(16, 50, 16)
    np.testing.assert_allclose(data["simulated_probability"], counts.mean(axis=1) / 100, rtol=1e-12)
    np.testing.assert_allclose(data["simulated_probability_se"], counts.std(axis=1, ddof=1) / np.sqrt(50) / 100,
                               rtol=1e-12)
    (responses,) = stubbed["fit"]
    assert responses.dims == ("stimulus", "trial", "neuron")
    np.testing.assert_allclose(responses.values, counts / 100, rtol=1e-12)
    np.testing.assert_array_equal(responses["stimulus"], task.orientations)
    mean = (counts / 100).mean(axis=(0, 1))
    np.testing.assert_allclose(data["fitted_preferred"], mean, rtol=1e-12)
    np.testing.assert_allclose(data["fitted_preferred_se"], mean / 10, rtol=1e-12)
    np.testing.assert_allclose(data["fitted_r_squared"], 1 - mean, rtol=1e-12)
    np.testing.assert_array_equal(data["target_probability"], task.targets)
    np.testing.assert_array_equal(data["target_preferred"], task.preferred)
    np.testing.assert_allclose(data["fit_loss"], 1.0 / (SEED + np.arange(1, 5)), rtol=1e-15)
    assert (data.attrs["tuning_n_trials"], data.attrs["tuning_n_train"]) == (50, 128)
    assert (data.attrs["tuning_kappa"], data.attrs["tuning_baseline"], data.attrs["tuning_gain"]) == (
        task.attrs["kappa"], task.attrs["baseline"], task.attrs["gain"])
    assert json.loads(data.attrs["tuning_network"]) == config
    assert (data.attrs["tuning_learning_rate"], data.attrs["tuning_batch_size"]) == (0.01, 16)


def test_tuning_fit_trains_300_epochs_and_simulates_200_trials_by_default(stubbed):
    learning.tuning_fit(False, SEED)
    assert stubbed["train"][0]["epochs"] == 300 and stubbed["simulate"][0]["inputs"].shape[0] == 16 * 200


def test_run_trains_every_model_on_the_documented_randman_task_with_its_seeds(stubbed):
    seeds, epochs = 2, 3
    data = learning.run(quick=True, seed=SEED, epochs=epochs, seeds=seeds, patterns=4)
    assert stubbed["randman"] == [dict(n_classes=10, n_inputs=20, n_steps=50, n_train=4, n_test=4, manifold_dim=1,
                                       alpha=2.0, seed=SEED)]
    task = learn.randman(n_classes=10, n_inputs=20, n_steps=50, n_train=4, n_test=4, manifold_dim=1, alpha=2.0,
                         seed=SEED)
    # matched spread 0.3: logistic s = 0.3 sqrt 3 / pi, triangular half-width 0.3 sqrt 6, uniform 0.3 sqrt 3,
    # Cauchy's half-IQR that of the Gaussian (0.3 x 1.3489795 / 2)
    scales = {"DSNN (surrogate)": ("none", 0.0), "NSNN gaussian": ("gaussian", 0.3),
              "NSNN logistic": ("logistic", 0.3 * np.sqrt(3) / np.pi),
              "NSNN triangular": ("triangular", 0.3 * np.sqrt(6)),
              "NSNN uniform": ("uniform", 0.3 * np.sqrt(3)), "NSNN cauchy": ("cauchy", 0.3 * 1.3489795 / 2)}
    assert learning.MODELS == scales
    assert list(data["model"].values) == list(scales)
    trainings = stubbed["train"][:-1]  # the last is the tuning fit's
    assert len(trainings) == len(scales) * seeds
    for index, call in enumerate(trainings):
        m, s = divmod(index, seeds)
        noise, scale = list(scales.values())[m]
        reference = learning.build_network(noise, scale, seed=SEED + s)
        assert call["config"] == reference.config() and call["config"]["seed"] == SEED + s
        (layer,) = call["config"]["layers"]
        assert (layer["n_neurons"], layer["beta"], layer["threshold"], layer["firing"], layer["reset"]) == (
            100, 0.9, 1.0, "escape", "zero")
        assert (layer["noise"], layer["surrogate"], layer["surrogate_scale"]) == (noise, "gaussian", 0.3)
        assert layer["noise_scale"] == (scale if noise != "none" else 0.4)
        assert (call["loss"], call["epochs"], call["batch_size"], call["optimizer"], call["learning_rate"]) == (
            "cross_entropy", epochs, 32, "Adam", 0.01)
        assert call["seed"] == SEED + 100 * s and call["progress"] is False
        for key, value in (("inputs", task.x_train), ("targets", task.y_train), ("test_inputs", task.x_test),
                           ("test_targets", task.y_test)):
            np.testing.assert_array_equal(call[key], value)
        history = _history(reference, epochs, learn.Adam(0.01), "cross_entropy", 32, SEED + 100 * s)
        np.testing.assert_array_equal(data["test_accuracy"].values[m, s], history["test_accuracy"])
        np.testing.assert_array_equal(data["train_accuracy"].values[m, s], history["accuracy"])
        # the first epoch includes compilation: the mean of epochs 2+
        assert data["epoch_time"].values[m, s] == pytest.approx(history["epoch_time"].values[1:].mean(), rel=1e-12)
    np.testing.assert_array_equal(data["epoch"], np.arange(1, epochs + 1))
    np.testing.assert_array_equal(data["seed"], np.arange(seeds))
    np.testing.assert_array_equal(data["noise_scale"], [scale for _, scale in scales.values()])
    assert (data.attrs["n_train"], data.attrs["n_test"], data.attrs["epochs"], data.attrs["seed"]) == (
        task.y_train.size, task.y_test.size, epochs, SEED)
    assert (data.attrs["learning_rate"], data.attrs["batch_size"], data.attrs["optimizer"]) == (0.01, 32, "Adam")
    assert json.loads(data.attrs["network"]) == learning.build_network("gaussian", 0.3, 0).config()


def test_run_evaluates_and_perturbs_each_trained_network_with_its_seeds(stubbed):
    seeds = 2
    data = learning.run(quick=True, seed=SEED, epochs=2, seeds=seeds, patterns=4)
    task = learn.randman(n_classes=10, n_inputs=20, n_steps=50, n_train=4, n_test=4, manifold_dim=1, alpha=2.0,
                         seed=SEED)
    x = task.x_test
    levels = {"deletion": [0.0, 0.05, 0.1, 0.2, 0.3], "insertion": [0.0, 0.05, 0.1, 0.2, 0.3],
              "membrane_noise": [0.0, 0.1, 0.2, 0.4, 0.8], "epsilon": [0.0, 0.002, 0.005, 0.01, 0.02]}
    for name, values in levels.items():
        np.testing.assert_array_equal(data[name], values)
    per_network = 2 + 4 * 5  # learner, simulator, then the four perturbations at five levels
    evaluations = stubbed["evaluate"]
    assert len(evaluations) == 6 * seeds * per_network
    for m in range(len(learning.MODELS)):
        for s in range(seeds):
            calls = evaluations[(m * seeds + s) * per_network:][:per_network]
            learner, simulator, *perturbed = calls
            assert (learner["seed"], learner["engine"]) == (1000 + s, "learner")
            assert (simulator["seed"], simulator["engine"]) == (2000 + s, "simulator")
            assert data["learner_accuracy"].values[m, s] == _accuracy(1000 + s, x)
            assert data["simulator_accuracy"].values[m, s] == _accuracy(2000 + s, x, engine="simulator")
            assert all(call["seed"] == 3000 + s and call["engine"] == "learner" for call in perturbed)
            gradient = stubbed["gradient"][m * seeds + s]
            assert gradient["seed"] == 3000 + s and gradient["n_samples"] == (1 if m == 0 else 4)
            expected = {
                "deletion": [_accuracy(3000 + s, learn.delete_spikes(x, p, 3000 + s)) for p in levels["deletion"]],
                "insertion": [_accuracy(3000 + s, learn.insert_spikes(x, p, 3000 + s)) for p in levels["insertion"]],
                "membrane": [_accuracy(3000 + s, x, membrane_noise=v) for v in levels["membrane_noise"]],
                "adversarial": [_accuracy(3000 + s, x + eps * np.sign(3000.0 + s)) for eps in levels["epsilon"]]}
            for kind, values in expected.items():
                np.testing.assert_allclose(data[f"{kind}_accuracy"].values[m, s], values, rtol=1e-12)
            assert [call["membrane_noise"] for call in perturbed[10:15]] == levels["membrane_noise"]
