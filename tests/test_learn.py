"""The learner: exact gradients of the mean-field network, NDL against Monte Carlo, the simulator runs
the trained network exactly, training learns, the official model (reference firing, same-step layers,
linear readout, step cross-entropy, ensembles), data generators, perturbations, errors.
(The sample-exact gradient of the stochastic network: tests/test_learn_gradients.py.)"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import xarray as xr
from gradient_checks import mean_field_directional_derivative

import nsnn_sim as ns
from nsnn_sim import learn
from nsnn_sim.learn.losses import cross_entropy
from nsnn_sim.learn.train import EVALUATION
from nsnn_sim.simulator import noise

FAMILY_SCALES = {"gaussian": 0.4, "logistic": 0.25, "triangular": 0.8, "uniform": 0.6, "cauchy": 0.2}


def _two_layer_recurrent(reset: str, readout: learn.Readout, second_firing: str = "membrane",
                         layer_delay: int = 1) -> learn.Network:
    n_second = readout.n_outputs + 1 if readout.kind != "count" else 3
    layers = [learn.SpikingLayer(6, noise="gaussian", noise_scale=0.5, recurrent=True, reset=reset, detach_reset=False,
                                 learn_beta=True, learn_threshold=True),
              learn.SpikingLayer(n_second, noise="logistic", noise_scale=0.3, firing=second_firing, recurrent=True,
                                 reset=reset, detach_reset=False, learn_beta=True, learn_threshold=True)]
    return learn.Network(5, layers, readout, weight_gain=2.0, seed=3, layer_delay=layer_delay)


@pytest.mark.parametrize("layer_delay", [0, 1])
@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("readout, loss", [(learn.Readout("count", scale=0.3), "cross_entropy"),
                                           (learn.Readout("membrane", n_outputs=3, reduce="mean"), "cross_entropy"),
                                           (learn.Readout("membrane", n_outputs=3, reduce="max"), "cross_entropy"),
                                           (learn.Readout("linear", n_outputs=3), "cross_entropy"),
                                           (learn.Readout("linear", n_outputs=3), "step_cross_entropy")],
                         ids=["count", "membrane-mean", "membrane-max", "linear", "linear-step"])
def test_mean_field_bptt_equals_finite_differences(reset, readout, loss, layer_delay):
    """(a) Mean-field forward pass: BPTT gradient = central finite differences to 1e-6 relative,
    2 recurrent layers x 12 steps, for every parameter (weights, recurrent weights, per-neuron beta and
    threshold, readout) and the input. Finite differences: the 4th-order central stencil along a random
    direction per parameter array (truncation ~h^4 = 1e-12, rounding ~1e-13 / h = 1e-10)."""
    network = _two_layer_recurrent(reset, readout, layer_delay=layer_delay)
    generator = np.random.default_rng(1)
    x = generator.random((4, 12, 5))
    labels = np.array([0, 1, 2, 1])
    _, grads = learn.loss_and_gradients(network, x, labels, loss=loss, mean_field=True, input_gradient=True)
    for name in list(network.parameters) + ["input"]:
        shape = x.shape if name == "input" else network.parameters[name].shape
        direction = generator.normal(size=shape)
        numeric = mean_field_directional_derivative(network, x, labels, name, direction, 1e-3, loss)
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
    reference = noise.spec(family).scipy_reference(scale)  # independent of the learner's cdf and pdf
    probability = reference.cdf(u_free - 1.0)
    density = reference.pdf(u_free - 1.0)
    # firing really is Bernoulli(F(u - theta)): 4 binomial SE (0.16-0.39 % of p, so an error of (4 + 1.28) SE =
    # 0.8-2.1 % is detected nine times in ten; exactly: the learner runs spike for spike as the simulator,
    # test_simulator_runs_the_trained_network_spike_for_spike, whose rule is the transcription's in test_engine.py)
    assert np.all(np.abs(spikes.mean(axis=0) - probability) < 4 * np.sqrt(probability * (1 - probability) / n))
    grads = learn.backward(network, trace, np.broadcast_to(coefficients / n, (n, 2)))
    ndl = grads["0.W"]
    np.testing.assert_allclose(ndl, np.outer(coefficients * density, x[0, 0]), rtol=1e-12)
    loss = spikes @ coefficients
    score = (spikes - probability) / (probability * (1 - probability)) * density  # d log P / d u_k
    estimates = loss[:, None, None] * score[:, :, None] * x[0, 0][None, None, :]
    monte_carlo = estimates.mean(axis=0)
    standard_error = estimates.std(axis=0, ddof=1) / np.sqrt(n)
    # Monte Carlo SE 0.1-0.6 % of the gradient (measured): an error of (4 + 1.28) SE = 0.5-3.2 % is detected nine
    # times in ten; above 1 %, the NDL gradient is exact against its closed form above (1e-12)
    assert np.all(np.abs(monte_carlo - ndl) < 4 * standard_error), (monte_carlo, ndl, standard_error)
    assert np.all(standard_error < 0.05 * np.abs(ndl))  # precise enough to detect a 20 % error


@pytest.mark.parametrize("readout", [learn.Readout("membrane", n_outputs=3), learn.Readout("linear", n_outputs=3)],
                         ids=["membrane-readout", "linear-readout"])
@pytest.mark.parametrize("layer_delay", [0, 1])
@pytest.mark.parametrize("firing", ["escape", "membrane", "reference"])
def test_simulator_runs_the_trained_network_spike_for_spike(firing, layer_delay, readout):
    """The same weights and seed in nsnn_sim.simulate (one call per layer, recurrent weights with a
    one-step delay, layers stacked with layer_delay) give bit-identical spikes and outputs to the
    learner's forward pass; three layers, so that the layer delay matters twice."""
    layers = [learn.SpikingLayer(12, beta=0.8, noise="gaussian", noise_scale=0.3, firing=firing, recurrent=True),
              learn.SpikingLayer(8, beta=0.5, noise="logistic", noise_scale=0.3, firing=firing, detach_reset=False),
              learn.SpikingLayer(5, beta=0.6, noise="triangular", noise_scale=0.5, firing=firing, reset="subtract")]
    network = learn.Network(7, layers, readout, weight_gain=3.0, seed=8, layer_delay=layer_delay)
    network.parameters["0.beta"][:] = np.linspace(0.5, 0.95, 12)  # heterogeneous, as after learning
    network.parameters["2.threshold"][:] = np.linspace(0.7, 1.3, 5)
    x = (np.random.default_rng(3).random((6, 40, 7)) < 0.1).astype(float)
    trace = learn.forward(network, x, seed=21)
    simulated = learn.simulate_network(network, x, seed=21)
    for layer_trace, spikes in zip(trace.layers, simulated.spikes):
        assert layer_trace.spikes.sum() > 20
        np.testing.assert_array_equal(layer_trace.spikes, spikes)
    np.testing.assert_array_equal(trace.outputs, simulated.outputs)
    if readout.kind == "linear":
        np.testing.assert_array_equal(trace.step_outputs, simulated.step_outputs)
    other = learn.simulate_network(network, x, seed=22)
    assert not np.array_equal(other.spikes[0], simulated.spikes[0])


def test_layer_delay_sets_which_step_drives_the_next_layer():
    """With layer_delay = 0 layer 1's current at step t is W_1 s_0[t]; with 1 it is W_1 s_0[t-1]
    (zero at step 0); the first layer sees the input at the same step either way."""
    x = (np.random.default_rng(6).random((3, 15, 4)) < 0.3).astype(float)
    for delay in (0, 1):
        network = learn.Network(4, [learn.SpikingLayer(6, firing="reference"), learn.SpikingLayer(3)],
                                learn.Readout("linear", n_outputs=2), weight_gain=3.0, seed=2, layer_delay=delay)
        trace = learn.forward(network, x, seed=4)
        first = trace.layers[0].spikes
        expected = first if delay == 0 else np.concatenate([np.zeros_like(first[:, :1]), first[:, :-1]], axis=1)
        np.testing.assert_array_equal(trace.layers[1].presynaptic, expected)
        np.testing.assert_allclose(trace.layers[1].drive, expected @ network.parameters["1.W"].T, rtol=1e-14)
        np.testing.assert_array_equal(trace.layers[0].presynaptic, x)


def test_reference_firing_follows_the_official_neuron():
    """Reference layer: u_fire = u_free + noise, spike ~ Bernoulli(F(u_fire - theta)), u_after = u_fire (1 - s)
    (reset to zero of the noisy potential, as models/NILIF.py). Over 100,000 samples x 3 steps the
    spike frequency in each bin of F(u_fire - theta) matches the bin's mean probability within 4
    binomial SE, and the membrane noise has the family's SD within 4 SE (SE of an SD: SD/sqrt(2n)). Power (measured
    SEs): the bins' probabilities to 0.1-2.7 % (an error of (4 + 1.28) SE = 0.5-14 % is detected nine times in
    ten), the SD to 0.13 % (0.68 %). Above 1 %: exactly, the reset rule below and the learner's firing against the
    simulator, spike for spike (test_simulator_runs_the_trained_network_spike_for_spike)."""
    layer = learn.SpikingLayer(1, beta=0.5, noise="gaussian", noise_scale=0.4, firing="reference")
    network = learn.Network(1, [layer], learn.Readout("linear", n_outputs=2), seed=0, layer_delay=0)
    network.parameters["0.W"][:] = 0.9
    n = 100_000
    trace = learn.forward(network, np.ones((n, 3, 1)), seed=5).layers[0]
    noise_draws = (trace.u_fire - trace.u_free).ravel()
    assert abs(noise_draws.std() - 0.4) < 4 * 0.4 / np.sqrt(2 * noise_draws.size)
    np.testing.assert_array_equal(trace.u_after, trace.u_fire * (1 - trace.spikes))
    probability = noise.get("gaussian", 0.4).cdf(trace.u_fire - 1.0).ravel()
    spikes = trace.spikes.ravel()
    edges = np.quantile(probability, np.linspace(0, 1, 11))
    for low, high in zip(edges[:-1], edges[1:]):
        chosen = (probability >= low) & (probability < high)
        p = probability[chosen].mean()
        assert abs(spikes[chosen].mean() - p) < 4 * np.sqrt(p * (1 - p) / chosen.sum())


def test_step_cross_entropy_is_the_mean_over_steps_of_each_steps_cross_entropy():
    generator = np.random.default_rng(0)
    logits = generator.normal(size=(5, 7, 4))
    labels = np.array([0, 3, 1, 1, 2])
    loss, grad = learn.step_cross_entropy(logits, labels)
    per_step = [cross_entropy(logits[:, t], labels) for t in range(7)]
    assert loss == pytest.approx(np.mean([value for value, _ in per_step]), rel=1e-14)
    np.testing.assert_allclose(grad, np.stack([g for _, g in per_step], axis=1) / 7, rtol=1e-13)


def test_linear_readout_gives_per_step_logits_and_their_time_average():
    network = learn.Network(4, [learn.SpikingLayer(6)], learn.Readout("linear", n_outputs=3), weight_gain=3.0, seed=1)
    x = np.random.default_rng(2).random((2, 9, 4))
    trace = learn.forward(network, x, seed=3)
    np.testing.assert_allclose(trace.step_outputs, trace.layers[0].spikes @ network.parameters["readout.W"].T,
                               rtol=1e-14)
    np.testing.assert_allclose(trace.outputs, trace.step_outputs.mean(axis=1), rtol=1e-14)


def test_loss_and_gradients_is_one_forward_pass_and_backward():
    network = _two_layer_recurrent("zero", learn.Readout("membrane", n_outputs=3))
    x = np.random.default_rng(8).random((4, 10, 5))
    labels = np.array([2, 0, 1, 1])
    value, grads = learn.loss_and_gradients(network, x, labels, seed=17)
    assert list(grads) == list(network.parameters)
    for name, gradient in grads.items():
        assert gradient.shape == network.parameters[name].shape
    trace = learn.forward(network, x, seed=17)
    expected_value, grad_outputs = cross_entropy(trace.outputs, labels)
    expected = learn.backward(network, trace, grad_outputs)
    assert value == expected_value
    for name in network.parameters:
        np.testing.assert_array_equal(grads[name], expected[name])


def test_evaluate_averages_the_outputs_of_independent_noisy_passes():
    """n_ensembles = K: the outputs are the mean of K forward passes with the seeds
    batch_seed(seed, k, batch, EVALUATION); K = 1 is the single pass; learner = simulator."""
    network = learn.Network(6, [learn.SpikingLayer(10, firing="reference", detach_reset=False)],
                            learn.Readout("linear", n_outputs=3), weight_gain=3.0, seed=5, layer_delay=0)
    x = np.random.default_rng(1).random((7, 12, 6))
    labels = np.arange(7) % 3
    single = learn.evaluate(network, x, labels, loss="step_cross_entropy", seed=4, batch_size=4)
    assert single.n_ensembles == 1
    three = learn.evaluate(network, x, labels, loss="step_cross_entropy", seed=4, batch_size=4, n_ensembles=3)
    passes = np.zeros((3, 7, 3))
    step_passes = np.zeros((3, 7, 12, 3))
    for k in range(3):
        for number, start in enumerate(range(0, 7, 4)):
            trace = learn.forward(network, x[start:start + 4], seed=learn.batch_seed(4, k, number, EVALUATION))
            passes[k, start:start + 4] = trace.outputs
            step_passes[k, start:start + 4] = trace.step_outputs
    np.testing.assert_array_equal(single.outputs, passes[0])
    np.testing.assert_allclose(three.outputs, passes.mean(axis=0), rtol=1e-14)
    assert three.loss == pytest.approx(learn.step_cross_entropy(step_passes.mean(axis=0), labels)[0], rel=1e-12)
    assert three.accuracy == np.mean(passes.mean(axis=0).argmax(axis=1) == labels)
    simulated = learn.evaluate(network, x, labels, loss="step_cross_entropy", seed=4, batch_size=4, n_ensembles=3,
                               engine="simulator")
    np.testing.assert_array_equal(simulated.outputs, three.outputs)


def test_ensembles_average_independent_passes():
    """The mean of K independent noisy passes has 1/K of one pass's variance. Two ensembles with
    different seeds, a and b, differ by d = a - b with E|d|^2 = 2 tr(Cov_1) / K per pattern; the ratio
    of the mean of |d|^2 over 400 patterns for K = 4 and K = 1 is 1/4 within 4 SE (SE of each mean:
    the SD of the 400 per-pattern values / sqrt(400); the two ratios' relative SEs added in quadrature).
    Identical passes (a seed that ignored k) would give 1. Power: the ratio's SE is 0.018 (7.4 % of 1/4,
    measured), so an error of (4 + 1.28) SE = 0.097 (39 %) is detected nine times in ten. Above 1 %: exactly, the
    ensemble output is the mean of K passes with distinct seeds
    (test_evaluate_averages_the_outputs_of_independent_noisy_passes), whose streams are SplitMix64's
    (test_rng.py)."""
    network = learn.Network(6, [learn.SpikingLayer(20, firing="reference", noise_scale=0.5)],
                            learn.Readout("linear", n_outputs=3), weight_gain=3.0, seed=5, layer_delay=0)
    x = np.random.default_rng(3).random((400, 12, 6))
    labels = np.zeros(400, dtype=int)

    def squared_spread(k):
        a = learn.evaluate(network, x, labels, seed=1, n_ensembles=k).outputs
        b = learn.evaluate(network, x, labels, seed=2, n_ensembles=k).outputs
        per_pattern = ((a - b) ** 2).sum(axis=1)
        return per_pattern.mean(), per_pattern.std(ddof=1) / np.sqrt(per_pattern.size)

    (four, four_se), (one, one_se) = squared_spread(4), squared_spread(1)
    ratio = four / one
    standard_error = ratio * np.hypot(four_se / four, one_se / one)
    assert abs(ratio - 0.25) < 4 * standard_error, (ratio, standard_error)
    assert standard_error < 0.05  # precise enough to tell 1/4 from 1/2


def test_official_presets_are_the_papers_model():
    nilif = learn.official_layer(64)
    assert (nilif.beta, nilif.threshold, nilif.noise, nilif.noise_scale, nilif.firing, nilif.reset,
            nilif.detach_reset) == (0.5, 1.0, "gaussian", 0.4, "reference", "zero", False)
    assert [learn.official_layer(4, noise=f).noise_scale for f in ("logistic", "triangular", "uniform")] == [
        0.4, 0.6, 0.4]
    dsnn = learn.official_layer(64, noise="none")
    assert dsnn.gradient_family == ("gaussian", pytest.approx(1 / np.sqrt(2)))
    x = np.linspace(-3, 3, 101)
    np.testing.assert_allclose(noise.get(*dsnn.gradient_family).pdf(x), np.exp(-x**2) / np.sqrt(np.pi), rtol=1e-14)
    network = learn.official_network(784, 64, 10)
    assert network.layer_delay == 0 and network.readout.kind == "linear"
    assert {name: value.shape for name, value in network.parameters.items() if name.endswith("W")} == \
        {"0.W": (64, 784), "readout.W": (10, 64)}
    with pytest.raises(ValueError, match="noise_scale"):
        learn.official_layer(4, noise="cauchy")


def test_layer_delay_and_linear_readout_survive_save_and_load(tmp_path):
    network = learn.official_network(5, [4, 3], 2, seed=1)
    network.save(tmp_path / "net.npz")
    loaded = learn.Network.load(tmp_path / "net.npz")
    assert loaded.layer_delay == 0 and loaded.config() == network.config()


def test_evaluate_in_learner_and_simulator_agree():
    network = learn.Network(10, [learn.SpikingLayer(20, noise="logistic", noise_scale=0.2)], learn.Readout("count"),
                            weight_gain=4.0, seed=1)
    x = (np.random.default_rng(5).random((30, 20, 10)) < 0.2).astype(float)
    labels = np.arange(30) % 20
    a = learn.evaluate(network, x, labels, seed=3, batch_size=7)
    b = learn.evaluate(network, x, labels, seed=3, batch_size=7, engine="simulator")
    np.testing.assert_array_equal(a.outputs, b.outputs)


def test_membrane_perturbation_is_the_same_current_in_the_learner_and_the_simulator():
    """forward(membrane_noise=alpha) and simulate_network(membrane_noise=alpha) add the same seeded
    N(0, alpha^2) current to every layer: the same spikes in both, and different spikes from the clean run
    (so the perturbation is there, with the same sign, in both)."""
    network = learn.Network(6, [learn.SpikingLayer(10, noise="logistic", noise_scale=0.2, firing="escape"),
                                learn.SpikingLayer(4, noise="gaussian", noise_scale=0.3)],
                            learn.Readout("linear", n_outputs=2), weight_gain=3.0, seed=3)
    x = (np.random.default_rng(2).random((5, 30, 6)) < 0.3).astype(float)
    learner = learn.forward(network, x, seed=4, membrane_noise=0.5)
    simulated = learn.simulate_network(network, x, seed=4, membrane_noise=0.5)
    clean = learn.simulate_network(network, x, seed=4)
    for layer_trace, spikes, clean_spikes in zip(learner.layers, simulated.spikes, clean.spikes):
        np.testing.assert_array_equal(layer_trace.spikes, spikes)
        assert not np.array_equal(spikes, clean_spikes)
    np.testing.assert_array_equal(learner.outputs, simulated.outputs)


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


def test_training_history_records_each_epochs_minibatch_loss_and_accuracy(small_randman):
    """history["loss"] and ["accuracy"] of an epoch are the pattern-weighted mean loss and the fraction
    of correct argmax predictions over its minibatches. With a deterministic network and a step too
    small to change any weight (SGD at 1e-300), every minibatch sees the same network, so they equal
    evaluate's loss and accuracy on the training set."""
    data = small_randman
    network = learn.Network(16, [learn.SpikingLayer(20, noise="none", surrogate="gaussian", surrogate_scale=0.3)],
                            learn.Readout("membrane", n_outputs=4), weight_gain=5.0, seed=2)
    before = {name: value.copy() for name, value in network.parameters.items()}
    history = learn.train(network, data.x_train, data.y_train, epochs=1, batch_size=16,
                          optimizer=learn.SGD(1e-300), seed=1, progress=False)
    assert all(np.array_equal(network.parameters[name], value) for name, value in before.items())
    expected = learn.evaluate(network, data.x_train, data.y_train)
    assert history["accuracy"].values[0] == expected.accuracy
    assert 0.0 < expected.accuracy < 0.5  # an untrained 4-class network: 1 - accuracy would differ
    assert history["loss"].values[0] == pytest.approx(expected.loss, rel=1e-12)


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
    """Deleted fraction within 4 binomial SE of p; inserted count within 4 SE of p x original count. Power: SEs
    0.47 % and 0.24 % (deleted, p = 0.1, 0.3), 0.50 % and 0.29 % (inserted), so an error of (4 + 1.28) SE =
    2.5, 1.3, 2.6, 1.5 % is detected nine times in ten; exactly, the rules draw by draw in the next test."""
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


def test_spike_deletion_and_insertion_follow_their_rules_draw_by_draw():
    """The exact counterpart of the two rate tests: a spike is kept iff its uniform ``U >= p`` and an empty cell
    gains a spike iff ``U < p n_spikes/n_empty`` (per pattern, capped at 1), with the documented streams
    ``default_rng([seed, 1])`` and ``default_rng([seed, 2])``; patterns with 0, 1 and many spikes and one full."""
    generator = np.random.default_rng(9)
    patterns = (generator.random((6, 7, 5)) < np.array([0.0, 0.05, 0.3, 0.6, 0.95, 1.0])[:, None, None]).astype(float)
    patterns[1, 3, 2] = 1.0  # at least one spike
    for p in (0.0, 0.2, 0.7, 1.0):
        uniforms = np.random.default_rng([4, 1]).random(patterns.shape)
        kept = np.where(patterns == 1.0, (uniforms >= p).astype(float), patterns)
        np.testing.assert_array_equal(learn.delete_spikes(patterns, p, seed=4), kept)
        uniforms = np.random.default_rng([4, 2]).random(patterns.shape)
        n_spikes = patterns.sum(axis=(1, 2), keepdims=True)
        n_empty = np.maximum((patterns == 0).sum(axis=(1, 2), keepdims=True), 1)
        gains = (patterns == 0) & (uniforms < np.minimum(p * n_spikes / n_empty, 1.0))
        np.testing.assert_array_equal(learn.insert_spikes(patterns, p, seed=4), np.where(gains, 1.0, patterns))


def test_spike_insertion_into_a_pattern_with_one_empty_cell():
    """The expected number of added spikes is probability x the pattern's spike count also when one
    cell is empty (q = 0.05 x 8 spikes / 1 empty cell = 0.40): over 4000 such 3 x 3 patterns the
    fraction that gains the spike is 0.40 within 4 binomial SE (SE 0.0077, 1.9 %: an error of (4 + 1.28) SE = 10 %
    is detected nine times in ten; exactly, test_spike_deletion_and_insertion_follow_their_rules_draw_by_draw)."""
    patterns = np.ones((4000, 3, 3))
    patterns[:, 1, 2] = 0.0
    added = learn.insert_spikes(patterns, 0.05, seed=3)
    np.testing.assert_array_equal(np.delete(added.reshape(4000, 9), 5, axis=1), 1.0)  # only the empty cell can change
    fraction = added[:, 1, 2].mean()
    assert abs(fraction - 0.40) < 4 * math.sqrt(0.40 * 0.60 / 4000), fraction
    full = np.ones((5, 3, 3))  # no empty cell: nothing to insert, no division by zero
    np.testing.assert_array_equal(learn.insert_spikes(full, 0.5), full)


def test_gradient_sign_attack_increases_the_loss(small_randman):
    data = small_randman
    network = learn.Network(16, [learn.SpikingLayer(30, noise="none", surrogate="gaussian", surrogate_scale=0.3)],
                            learn.Readout("membrane", n_outputs=4), weight_gain=5.0, seed=0)
    learn.train(network, data.x_train, data.y_train, epochs=3, optimizer=learn.Adam(1e-2), progress=False)
    clean = learn.evaluate(network, data.x_test, data.y_test).loss
    attacked = learn.gradient_sign_attack(network, data.x_test, data.y_test, 0.2)
    assert learn.evaluate(network, attacked, data.y_test).loss > clean
    np.testing.assert_array_equal(learn.gradient_sign_attack(network, data.x_test, data.y_test, 0.0), data.x_test)


def test_randman_fourier_terms_are_ceil_precision_power_and_at_most_1000():
    """The documented number of Fourier terms: ceil(precision**(-1/alpha)), capped at 1000."""
    sizes = dict(n_classes=2, n_inputs=3, n_steps=10, n_train=2, n_test=1, seed=1)
    assert learn.randman(precision=1e-3, alpha=2.0, **sizes).attrs["n_frequencies"] == 32  # ceil(31.6)
    assert learn.randman(precision=1e-8, alpha=2.0, **sizes).attrs["n_frequencies"] == 1000  # 1e4 capped


def test_tuning_task_targets_dataarray_labels_stimuli_and_neurons():
    task = learn.tuning_task(n_neurons=5, n_orientations=8, n_steps=20)
    targets = task.targets_dataarray()
    assert targets.dims == ("stimulus", "neuron") and targets.shape == (8, 5)
    np.testing.assert_array_equal(targets["neuron"].values, np.arange(5))
    np.testing.assert_array_equal(targets["stimulus"].values, task.orientations)
    np.testing.assert_array_equal(targets.values, task.targets)


def test_tuning_task_neuron_i_prefers_pi_i_over_n_and_peaks_there():
    """Neuron i's preferred orientation is pi i / n_neurons (docstring): its target is baseline + gain at that
    orientation and baseline + gain exp(-2 kappa) at the orthogonal one."""
    task = learn.tuning_task(n_neurons=4, n_orientations=8, n_steps=2, kappa=1.5, baseline=0.02, gain=0.25)
    np.testing.assert_allclose(task.preferred, np.pi * np.arange(4) / 4, rtol=1e-15)
    for neuron in range(4):
        np.testing.assert_allclose(task.targets[2 * neuron, neuron], 0.27, rtol=1e-12)  # orientation pi i / 4
        np.testing.assert_allclose(task.targets[(2 * neuron + 4) % 8, neuron], 0.02 + 0.25 * math.exp(-3.0),
                                   rtol=1e-12)


def test_randman_manifold_is_the_documented_fourier_product():
    """f_ci(x) = prod_d sum_k a_cidk / (k + 1)**alpha sin(2 pi (k x_d b_cidk + c_cidk)) (module
    docstring), summed term by term here, against the vectorised evaluation."""
    from nsnn_sim.learn import data as randman_data

    generator = np.random.default_rng(4)
    coefficients = randman_data._random_manifold(generator, 3, 2, 2.0, 5)
    points = generator.uniform(0.0, 1.0, (4, 2))
    expected = np.ones((4, 3))
    for sample in range(4):
        for channel in range(3):
            for dim in range(2):
                expected[sample, channel] *= sum(
                    coefficients[0, channel, dim, k] / (k + 1) ** 2.0
                    * math.sin(2 * math.pi * (k * points[sample, dim] * coefficients[1, channel, dim, k]
                                              + coefficients[2, channel, dim, k])) for k in range(5))
    np.testing.assert_allclose(randman_data._evaluate_manifold(coefficients, points, 2.0), expected, rtol=1e-12)


def test_tuning_task_inputs_peak_at_input_amplitude_on_each_channels_preference():
    """Channel i receives input_amplitude * exp(input_kappa (cos 2(theta - phi_i) - 1)): at theta = phi_i
    exactly input_amplitude, and input_amplitude * exp(-2 input_kappa) at the orthogonal orientation."""
    task = learn.tuning_task(n_neurons=3, n_orientations=8, n_inputs=8, n_steps=5, input_kappa=1.3,
                             input_amplitude=0.7)
    currents = task.inputs[:, 0, :]  # (orientation, channel), constant over steps
    np.testing.assert_allclose(np.diag(currents), 0.7, rtol=1e-12)
    np.testing.assert_allclose(currents[4, 0], 0.7 * math.exp(-2 * 1.3), rtol=1e-12)


def test_cross_entropy_and_its_gradient_follow_scipy_softmax():
    """loss = -mean_b log softmax(o_b)[label_b], gradient (softmax(o) - onehot) / batch, with scipy's
    softmax and log_softmax (independent of the learner's own); logits up to 800 (stable form)."""
    from scipy import special

    outputs = np.array([[0.3, -1.2, 2.0], [800.0, 799.0, -5.0], [0.0, 0.0, 0.0], [-3.0, 4.0, 1.5]])
    labels = np.array([2, 1, 0, 1])
    loss, grad = cross_entropy(outputs, labels)
    assert loss == pytest.approx(-np.mean(special.log_softmax(outputs, axis=1)[np.arange(4), labels]), rel=1e-12)
    expected = special.softmax(outputs, axis=1)
    expected[np.arange(4), labels] -= 1.0
    np.testing.assert_allclose(grad, expected / 4, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(learn.losses.softmax(outputs), special.softmax(outputs, axis=1), rtol=1e-12)


def test_tuning_task_fit_reduces_error():
    task = learn.tuning_task(n_neurons=4, n_orientations=8, n_steps=50)
    network = learn.Network(task.inputs.shape[2], [learn.SpikingLayer(4, noise="gaussian", noise_scale=0.4)],
                            learn.Readout("count", scale=1 / 50), weight_gain=1.0, seed=2)
    before = learn.forward(network, task.inputs, mean_field=True).outputs
    learn.train(network, np.tile(task.inputs, (4, 1, 1)), np.tile(task.targets, (4, 1)), loss="mse", epochs=40,
                batch_size=8, optimizer=learn.Adam(0.01), progress=False)
    after = learn.forward(network, task.inputs, mean_field=True).outputs
    assert np.sqrt(np.mean((after - task.targets) ** 2)) < 0.3 * np.sqrt(np.mean((before - task.targets) ** 2))


def test_adam_and_sgd_first_steps_are_the_textbook_updates():
    """Adam's first step with bias correction is lr * g / (|g| + eps) (Kingma & Ba 2015): for
    g = eps it is exactly lr / 2; SGD's is lr * g."""
    parameters, grads = {"w": np.zeros(3)}, {"w": np.array([1e-8, 1.0, -2.0])}
    learn.Adam(0.1, eps=1e-8).step(parameters, grads, ["w"])
    np.testing.assert_allclose(parameters["w"], [-0.05, -0.1 / (1 + 1e-8), 0.1 * 2.0 / (2.0 + 1e-8)], rtol=1e-12)
    parameters = {"w": np.zeros(3)}
    learn.SGD(0.1).step(parameters, grads, ["w"])
    np.testing.assert_allclose(parameters["w"], [-1e-9, -0.1, 0.2], rtol=1e-12)


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
    ({"n_neurons": 3, "firing": "stochastic"}, "firing"),
    ({"n_neurons": 3, "surrogate": "erfc"}, "surrogate"),
    ({"n_neurons": 3, "noise_scale": -0.1}, "noise_scale"),
    ({"n_neurons": 3, "surrogate": "none"}, "surrogate"),
    ({"n_neurons": 3, "surrogate_scale": 0.0}, "surrogate_scale"),
])
def test_bad_layers_raise(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        learn.SpikingLayer(**kwargs)


@pytest.fixture
def no_kernels(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a kernel ran before the input was validated")
    monkeypatch.setattr(importlib.import_module("nsnn_sim.learn.forward"), "_run_layer", forbidden)
    monkeypatch.setattr(ns.simulator.engine, "_run_block", forbidden)
    monkeypatch.setattr(ns.simulator.engine, "_run_connected", forbidden)


def _linear_network(**kwargs):
    return learn.Network(4, [learn.SpikingLayer(3, firing="reference")], learn.Readout("linear", n_outputs=3), **kwargs)


_X = np.zeros((2, 5, 4))
_LABELS = np.array([0, 2])


@pytest.mark.parametrize("call, pattern", [
    (lambda: learn.evaluate(_linear_network(), _X, _LABELS, n_ensembles=0), r"n_ensembles=0 must be >= 1"),
    (lambda: learn.evaluate(_linear_network(), _X, _LABELS, n_ensembles=-3, engine="simulator"),
     r"n_ensembles=-3 must be >= 1"),
    (lambda: learn.evaluate(_linear_network(), _X, _LABELS, n_ensembles=2, mean_field=True), r"mean_field"),
    (lambda: _linear_network(layer_delay=2), r"layer_delay=2 is not allowed; allowed: \(0, 1\)"),
    (lambda: _linear_network(layer_delay=-1), r"layer_delay=-1 is not allowed"),
    (lambda: _linear_network(layer_delay=0.5), r"layer_delay=0.5 is not allowed"),
    (lambda: _linear_network(layer_delay=True), r"layer_delay=True is not allowed"),
    (lambda: learn.train(learn.Network(4, [learn.SpikingLayer(3)], learn.Readout("membrane", n_outputs=3)), _X,
                         _LABELS, loss="step_cross_entropy"), r"loss='step_cross_entropy'.*Readout\('linear'"),
    (lambda: learn.evaluate(learn.Network(4, [learn.SpikingLayer(3)]), _X, _LABELS, loss="step_cross_entropy"),
     r"loss='step_cross_entropy'.*readout is 'count'"),
    (lambda: learn.loss_and_gradients(learn.Network(4, [learn.SpikingLayer(3)], learn.Readout("membrane", n_outputs=3)),
                                      _X, _LABELS, loss="step_cross_entropy"), r"loss='step_cross_entropy'"),
    (lambda: learn.input_gradient(learn.Network(4, [learn.SpikingLayer(3)], learn.Readout("membrane", n_outputs=3)),
                                  _X, _LABELS, loss="step_cross_entropy"), r"loss='step_cross_entropy'"),
    (lambda: learn.loss_and_gradients(_linear_network(), _X, np.array([0, 1, 2])),
     r"targets has shape \(3,\); .* shape \(2,\)"),
    (lambda: learn.loss_and_gradients(_linear_network(), _X, np.array([[0], [1]]), loss="step_cross_entropy"),
     r"targets has shape \(2, 1\)"),
    (lambda: learn.loss_and_gradients(_linear_network(), _X, np.array([0, 3])),
     r"targets must be class labels in \[0, 3\) .* out of range: 3$"),
    (lambda: learn.train(_linear_network(), _X, np.array([-1, 7]), loss="step_cross_entropy"),
     r"targets must be class labels in \[0, 3\) .* 2 value\(s\) out of range: -1, 7"),
    (lambda: learn.evaluate(_linear_network(), _X, np.array([0.0, 1.0])), r"targets must be integer class labels"),
    (lambda: learn.train(_linear_network(), _X, _LABELS, test_inputs=_X, test_targets=np.array([0, 5])),
     r"targets must be class labels in \[0, 3\).*: 5"),
    (lambda: learn.train(learn.Network(4, [learn.SpikingLayer(3)], learn.Readout("count")), _X, np.zeros((2, 2)),
                         loss="mse"), r"targets has shape \(2, 2\); loss='mse' needs \(2, 3\)"),
    (lambda: learn.loss_and_gradients(_linear_network(), _X, _LABELS, mean_field=True),
     r"mean_field=True is not available: layer\(s\) \[0\] use firing='reference'"),
    (lambda: learn.forward(_linear_network(), _X, mean_field=True), r"mean_field=True is not available"),
])
def test_bad_official_model_arguments_raise_before_any_kernel(no_kernels, call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


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
    with pytest.raises(ValueError, match="n_outputs is required for the linear readout"):
        learn.Readout("linear")
    with pytest.raises(ValueError, match="kind='softmax' is not allowed"):
        learn.Readout("softmax", n_outputs=3)
    network = learn.Network(4, [learn.SpikingLayer(3)], learn.Readout("membrane", n_outputs=3))
    trace = learn.forward(network, np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="grad_step_outputs needs the linear readout"):
        learn.backward(network, trace, grad_step_outputs=np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="learning_rate"):
        learn.Adam(-1.0)
