"""The learner: exact gradients of the mean-field network, NDL against Monte Carlo, the simulator runs
the trained network exactly, training learns, data generators, perturbations, errors."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from nsnn_sim import learn, noise
from nsnn_sim.learn.losses import cross_entropy

FAMILY_SCALES = {"gaussian": 0.4, "logistic": 0.25, "triangular": 0.8, "uniform": 0.6, "cauchy": 0.2}


def _two_layer_recurrent(reset: str, readout: learn.Readout, second_firing: str = "membrane") -> learn.Network:
    n_second = readout.n_outputs + 1 if readout.kind == "membrane" else 3
    layers = [learn.SpikingLayer(6, noise="gaussian", noise_scale=0.5, recurrent=True, reset=reset, detach_reset=False,
                                 learn_beta=True, learn_threshold=True),
              learn.SpikingLayer(n_second, noise="logistic", noise_scale=0.3, firing=second_firing, recurrent=True,
                                 reset=reset, detach_reset=False, learn_beta=True, learn_threshold=True)]
    return learn.Network(5, layers, readout, weight_gain=2.0, seed=3)


@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("readout", [learn.Readout("count", scale=0.3),
                                     learn.Readout("membrane", n_outputs=3, reduce="mean"),
                                     learn.Readout("membrane", n_outputs=3, reduce="max")],
                         ids=["count", "membrane-mean", "membrane-max"])
def test_mean_field_bptt_equals_finite_differences(reset, readout):
    """(a) Mean-field forward pass: BPTT gradient = central finite differences to 1e-6 relative,
    2 recurrent layers x 12 steps, for every parameter (weights, recurrent weights, per-neuron beta and
    threshold, readout) and the input. Finite differences: the 4th-order central stencil along a random
    direction per parameter array (truncation ~h^4 = 1e-12, rounding ~1e-13 / h = 1e-10)."""
    network = _two_layer_recurrent(reset, readout)
    generator = np.random.default_rng(1)
    x = generator.random((4, 12, 5))
    labels = np.array([0, 1, 2, 1])
    trace = learn.forward(network, x, mean_field=True)
    _, grad_outputs = cross_entropy(trace.outputs, labels)
    grads = learn.backward(network, trace, grad_outputs, input_gradient=True)

    def directional(name, direction, h=1e-3):
        def loss(epsilon):
            if name == "input":
                return cross_entropy(learn.forward(network, x + epsilon * direction, mean_field=True).outputs, labels)[0]
            shifted = network.copy()
            shifted.parameters[name] = network.parameters[name] + epsilon * direction
            return cross_entropy(learn.forward(shifted, x, mean_field=True).outputs, labels)[0]
        return (8 * (loss(h) - loss(-h)) - (loss(2 * h) - loss(-2 * h))) / (12 * h)

    for name in list(network.parameters) + ["input"]:
        shape = x.shape if name == "input" else network.parameters[name].shape
        direction = generator.normal(size=shape)
        numeric = directional(name, direction)
        analytic = np.sum(grads[name] * direction)
        assert abs(analytic - numeric) <= 1e-6 * abs(numeric), (name, analytic, numeric)
        assert abs(numeric) > 1e-4, name  # the check is not vacuous


def test_detached_reset_differs_from_the_exact_gradient():
    network = _two_layer_recurrent("zero", learn.Readout("count"))
    detached = learn.Network(5, [learn.SpikingLayer(**{**layer.__dict__, "detach_reset": True})
                                 for layer in network.layers], network.readout, 2.0, 3)
    x = np.random.default_rng(2).random((3, 10, 5))
    grads = []
    for net in (network, detached):
        trace = learn.forward(net, x, mean_field=True)
        grads.append(learn.backward(net, trace, cross_entropy(trace.outputs, np.array([0, 1, 2]))[1])["0.W"])
    assert not np.allclose(grads[0], grads[1])


@pytest.mark.parametrize("family", list(FAMILY_SCALES))
def test_ndl_gradient_equals_derivative_of_expected_loss(family):
    """(b) One escape-noise step, loss linear in the spikes L = sum_k c_k s_k: the NDL gradient
    c_k pdf(u_k - theta) x_j equals d E[L] / d W_kj, checked against the score-function Monte Carlo
    estimate E[L * d log P(s) / d W] over n = 200,000 stochastic forward passes of the learner
    (SE from the sample SD of the estimator; tolerance 4 SE)."""
    scale = FAMILY_SCALES[family]
    network = learn.Network(3, [learn.SpikingLayer(2, noise=family, noise_scale=scale, firing="escape")],
                            learn.Readout("count"), weight_gain=1.0, seed=4)
    network.parameters["0.W"][:] = [[0.5, 0.3, 0.1], [0.4, -0.4, 0.6]]  # u - theta = -0.2 and +0.1
    coefficients = np.array([1.0, -2.0])
    x = np.array([[[1.0, 0.5, 1.5]]])
    n = 200_000
    inputs = np.repeat(x, n, axis=0)
    trace = learn.forward(network, inputs, seed=11)
    spikes = trace.layers[0].spikes[:, 0, :]
    u_free = trace.layers[0].u_free[0, 0]
    probability = noise.get(family, scale).cdf(u_free - 1.0)
    density = noise.get(family, scale).pdf(u_free - 1.0)
    # firing really is Bernoulli(F(u - theta)): 4 binomial SE
    assert np.all(np.abs(spikes.mean(axis=0) - probability) < 4 * np.sqrt(probability * (1 - probability) / n))
    grads = learn.backward(network, trace, np.broadcast_to(coefficients / n, (n, 2)))
    ndl = grads["0.W"]
    np.testing.assert_allclose(ndl, np.outer(coefficients * density, x[0, 0]), rtol=1e-12)
    loss = spikes @ coefficients
    score = (spikes - probability) / (probability * (1 - probability)) * density  # d log P / d u_k
    estimates = loss[:, None, None] * score[:, :, None] * x[0, 0][None, None, :]
    monte_carlo = estimates.mean(axis=0)
    standard_error = estimates.std(axis=0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(monte_carlo - ndl) < 4 * standard_error), (monte_carlo, ndl, standard_error)
    assert np.all(standard_error < 0.05 * np.abs(ndl))  # precise enough to detect a 20 % error


@pytest.mark.parametrize("firing", ["escape", "membrane"])
def test_simulator_runs_the_trained_network_spike_for_spike(firing):
    """The same weights and seed in nsnn_sim.simulate (one call per layer, recurrent weights with a
    one-step delay) give bit-identical spikes and outputs to the learner's forward pass."""
    layers = [learn.SpikingLayer(12, beta=0.8, noise="gaussian", noise_scale=0.3, firing=firing, recurrent=True),
              learn.SpikingLayer(5, beta=0.6, noise="triangular", noise_scale=0.5, firing=firing, reset="subtract")]
    network = learn.Network(7, layers, learn.Readout("membrane", n_outputs=3), weight_gain=3.0, seed=8)
    network.parameters["0.beta"][:] = np.linspace(0.5, 0.95, 12)  # heterogeneous, as after learning
    network.parameters["1.threshold"][:] = np.linspace(0.7, 1.3, 5)
    x = (np.random.default_rng(3).random((6, 40, 7)) < 0.1).astype(float)
    trace = learn.forward(network, x, seed=21)
    simulated = learn.simulate_network(network, x, seed=21)
    for layer_trace, spikes in zip(trace.layers, simulated.spikes):
        assert layer_trace.spikes.sum() > 20
        np.testing.assert_array_equal(layer_trace.spikes, spikes)
    np.testing.assert_array_equal(trace.outputs, simulated.outputs)
    other = learn.simulate_network(network, x, seed=22)
    assert not np.array_equal(other.spikes[0], simulated.spikes[0])


def test_evaluate_in_learner_and_simulator_agree():
    network = learn.Network(10, [learn.SpikingLayer(20, noise="logistic", noise_scale=0.2)], learn.Readout("count"),
                            weight_gain=4.0, seed=1)
    x = (np.random.default_rng(5).random((30, 20, 10)) < 0.2).astype(float)
    labels = np.arange(30) % 20
    a = learn.evaluate(network, x, labels, seed=3, batch_size=7)
    b = learn.evaluate(network, x, labels, seed=3, batch_size=7, engine="simulator")
    np.testing.assert_array_equal(a["outputs"], b["outputs"])


@pytest.fixture(scope="module")
def small_randman():
    return learn.randman(n_classes=4, n_inputs=16, n_steps=30, n_train=40, n_test=40, seed=2)


def test_training_learns_randman_and_records_history(small_randman):
    """A Gaussian NSNN trained with NDL classifies a 4-class Randman far above chance (0.25): accuracy
    > 0.45 on 160 test patterns is > 6 binomial SE (0.034 at chance) above chance."""
    data = small_randman
    network = learn.Network(16, [learn.SpikingLayer(40, beta=0.9, noise="gaussian", noise_scale=0.3)],
                            learn.Readout("membrane", n_outputs=4), weight_gain=5.0, seed=0)
    history = learn.train(network, data.x_train, data.y_train, epochs=8, batch_size=16, optimizer=learn.Adam(1e-2),
                          seed=1, test_inputs=data.x_test, test_targets=data.y_test, progress=False)
    assert isinstance(history, xr.Dataset)
    assert history.sizes["epoch"] == 8
    assert np.all(history["epoch_time"] > 0) and history["epoch_time"].attrs["units"] == "s"
    assert history["test_accuracy"][-1] > 0.45
    assert history["loss"][-1] < history["loss"][0]
    assert "network" in history.attrs and history.attrs["seed"] == 1


def test_training_is_reproducible_and_learned_parameters_stay_valid(small_randman):
    data = small_randman

    def run():
        layer = learn.SpikingLayer(20, noise="uniform", noise_scale=0.5, learn_beta=True, learn_threshold=True)
        network = learn.Network(16, [layer], learn.Readout("membrane", n_outputs=4), weight_gain=5.0, seed=4)
        learn.train(network, data.x_train[:64], data.y_train[:64], epochs=2, optimizer=learn.SGD(0.5, momentum=0.9),
                    seed=9, progress=False)
        return network

    first, second = run(), run()
    for name in first.parameters:
        np.testing.assert_array_equal(first.parameters[name], second.parameters[name])
    assert not np.all(first.parameters["0.beta"] == 0.5)  # learned
    assert np.all((first.parameters["0.beta"] >= 0) & (first.parameters["0.beta"] <= 1))
    assert np.all(first.parameters["0.threshold"] >= 1e-3)


def test_network_save_and_load_round_trip(tmp_path):
    network = _two_layer_recurrent("zero", learn.Readout("membrane", n_outputs=2))
    network.save(tmp_path / "net.npz")
    loaded = learn.Network.load(tmp_path / "net.npz")
    assert loaded.config() == network.config()
    for name, value in network.parameters.items():
        np.testing.assert_array_equal(loaded.parameters[name], value)


def test_randman_patterns():
    data = learn.randman(n_classes=3, n_inputs=10, n_steps=40, n_train=20, n_test=10, step_fraction=0.5, seed=7)
    again = learn.randman(n_classes=3, n_inputs=10, n_steps=40, n_train=20, n_test=10, step_fraction=0.5, seed=7)
    np.testing.assert_array_equal(data.x_train, again.x_train)
    assert data.x_train.shape == (60, 40, 10) and data.x_test.shape == (30, 40, 10)
    assert np.array_equal(np.bincount(data.y_train), [20, 20, 20])
    # every channel fires exactly once, in the first step_fraction of the pattern
    np.testing.assert_array_equal(data.x_train.sum(axis=1), 1.0)
    assert not data.x_train[:, 20:].any()
    # each class has its own manifold: class-mean spike times differ
    times = np.argmax(data.x_train, axis=1)
    means = np.array([times[data.y_train == c].mean(axis=0) for c in range(3)])
    assert np.abs(means[0] - means[1]).max() > 3
    different = learn.randman(n_classes=3, n_inputs=10, n_steps=40, n_train=20, n_test=10, seed=8)
    assert not np.array_equal(different.x_train, data.x_train)


def test_spike_deletion_and_insertion_rates():
    """Deleted fraction within 4 binomial SE of p; inserted count within 4 SE of p x original count."""
    patterns = np.zeros((200, 50, 20))
    patterns[:, ::5, :] = 1.0  # 2000 spikes per pattern, 400,000 in all
    n = patterns.sum()
    for p in (0.1, 0.3):
        kept = learn.delete_spikes(patterns, p, seed=1).sum()
        assert abs((n - kept) / n - p) < 4 * np.sqrt(p * (1 - p) / n)
        added = learn.insert_spikes(patterns, p, seed=1).sum() - n
        assert abs(added - p * n) < 4 * np.sqrt(p * n)
    np.testing.assert_array_equal(learn.delete_spikes(patterns, 0.0), patterns)
    assert learn.delete_spikes(patterns, 1.0).sum() == 0
    assert set(np.unique(learn.insert_spikes(patterns, 0.2))) <= {0.0, 1.0}


def test_gradient_sign_attack_increases_the_loss(small_randman):
    data = small_randman
    network = learn.Network(16, [learn.SpikingLayer(30, noise="none", surrogate="gaussian", surrogate_scale=0.3)],
                            learn.Readout("membrane", n_outputs=4), weight_gain=5.0, seed=0)
    learn.train(network, data.x_train, data.y_train, epochs=3, optimizer=learn.Adam(1e-2), progress=False)
    clean = learn.evaluate(network, data.x_test, data.y_test)["loss"]
    attacked = learn.gradient_sign_attack(network, data.x_test, data.y_test, 0.2)
    assert learn.evaluate(network, attacked, data.y_test)["loss"] > clean
    np.testing.assert_array_equal(learn.gradient_sign_attack(network, data.x_test, data.y_test, 0.0), data.x_test)


def test_tuning_task_fit_reduces_error():
    task = learn.tuning_task(n_neurons=4, n_orientations=8, n_steps=50)
    network = learn.Network(task.inputs.shape[2], [learn.SpikingLayer(4, noise="gaussian", noise_scale=0.4)],
                            learn.Readout("count", scale=1 / 50), weight_gain=1.0, seed=2)
    before = learn.forward(network, task.inputs, mean_field=True).outputs
    learn.train(network, np.tile(task.inputs, (4, 1, 1)), np.tile(task.targets, (4, 1)), loss="mse", epochs=40,
                batch_size=8, optimizer=learn.Adam(0.01), progress=False)
    after = learn.forward(network, task.inputs, mean_field=True).outputs
    assert np.sqrt(np.mean((after - task.targets) ** 2)) < 0.3 * np.sqrt(np.mean((before - task.targets) ** 2))


def test_adam_and_sgd_minimise_a_quadratic():
    for optimizer in (learn.Adam(0.1), learn.SGD(0.1, momentum=0.5)):
        parameters = {"w": np.array([3.0, -2.0])}
        for _ in range(300):
            optimizer.step(parameters, {"w": 2 * (parameters["w"] - 1.0)}, ["w"])
        np.testing.assert_allclose(parameters["w"], 1.0, atol=1e-3)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_neurons": 0}, "n_neurons"),
    ({"n_neurons": 3, "beta": 1.5}, "beta"),
    ({"n_neurons": 3, "threshold": -1.0}, "threshold"),
    ({"n_neurons": 3, "noise": "laplace"}, "noise"),
    ({"n_neurons": 3, "firing": "reference"}, "firing"),
    ({"n_neurons": 3, "noise_scale": -0.1}, "noise_scale"),
    ({"n_neurons": 3, "surrogate": "none"}, "surrogate"),
    ({"n_neurons": 3, "surrogate_scale": 0.0}, "surrogate_scale"),
])
def test_bad_layers_raise(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        learn.SpikingLayer(**kwargs)


def test_bad_inputs_raise():
    network = learn.Network(4, [learn.SpikingLayer(3)])
    with pytest.raises(ValueError, match="inputs"):
        learn.forward(network, np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="finite"):
        learn.forward(network, np.full((2, 5, 4), np.nan))
    with pytest.raises(ValueError, match="labels"):
        cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="loss"):
        learn.train(network, np.zeros((2, 5, 4)), np.zeros(2, dtype=int), loss="hinge")
    with pytest.raises(ValueError, match="engine"):
        learn.evaluate(network, np.zeros((2, 5, 4)), np.zeros(2, dtype=int), engine="torch")
    with pytest.raises(ValueError, match="n_outputs"):
        learn.Readout("membrane")
    with pytest.raises(ValueError, match="learning_rate"):
        learn.Adam(-1.0)
