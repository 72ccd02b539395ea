"""Learner layers with a synaptic trace and an adaptive threshold: the simulator runs them spike for spike, the
mean-field gradient equals finite differences, the threshold's form, bad arguments.
(The sample-exact gradient of the stochastic network: tests/test_learn_gradients.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from gradient_checks import mean_field_directional_derivative

from nsnn_sim import learn

SYNAPTIC = dict(alpha_syn=0.6, learn_alpha_syn=True)
ADAPTIVE = dict(threshold_decay=0.85, threshold_jump=0.4, learn_threshold_decay=True, learn_threshold_jump=True)


def _state_layers(firing: str, reset: str, detach_reset: bool, recurrent: bool = True, last: str = "triangular"):
    """Three layers: a trace and an adaptive threshold, an adaptive threshold alone, a trace alone (noise family
    ``last``)."""
    common = dict(firing=firing, reset=reset, detach_reset=detach_reset, recurrent=recurrent, learn_beta=True,
                  learn_threshold=True)
    return [learn.SpikingLayer(8, beta=0.7, noise="gaussian", noise_scale=0.4, **common, **SYNAPTIC, **ADAPTIVE),
            learn.SpikingLayer(6, beta=0.5, noise="logistic", noise_scale=0.3, **common, **ADAPTIVE),
            learn.SpikingLayer(4, beta=0.6, noise=last, noise_scale=0.6 if last == "triangular" else 0.3, **common,
                               **SYNAPTIC)]


def _heterogeneous(network: learn.Network, seed: int) -> learn.Network:
    """Per-neuron decays, jumps and thresholds, as after learning."""
    generator = np.random.default_rng(seed)
    for name, value in network.parameters.items():
        kind = name.split(".")[1]
        bounds = {"beta": (0.3, 0.9), "alpha_syn": (0.3, 0.8), "threshold_decay": (0.6, 0.95),
                  "threshold_jump": (0.1, 0.6), "threshold": (0.8, 1.2)}.get(kind)
        if bounds is not None:
            value[:] = generator.uniform(*bounds, value.shape)
    return network


@pytest.mark.parametrize("readout", [learn.Readout("membrane", n_outputs=3), learn.Readout("linear", n_outputs=3)],
                         ids=["membrane-readout", "linear-readout"])
@pytest.mark.parametrize("layer_delay", [0, 1])
@pytest.mark.parametrize("firing", ["escape", "membrane", "reference"])
def test_simulator_runs_synaptic_and_adaptive_layers_spike_for_spike(firing, layer_delay, readout):
    """The learner's forward pass and nsnn_sim.simulate (the NSNN with synapses={"syn": alpha_syn},
    threshold_decay, threshold_jump; recurrent weights at the trace's receptor) give bit-identical spikes and
    outputs, with and without the membrane perturbation; another seed gives other spikes."""
    network = _heterogeneous(learn.Network(7, _state_layers(firing, "zero", False), readout, weight_gain=2.0,
                                           seed=8, layer_delay=layer_delay), seed=1)
    network.layers[2] = learn.SpikingLayer(**{**network.layers[2].__dict__, "reset": "subtract"})
    x = (np.random.default_rng(3).random((5, 40, 7)) < 0.15).astype(float)
    for membrane_noise in (0.0, 0.3):
        trace = learn.forward(network, x, seed=21, membrane_noise=membrane_noise)
        simulated = learn.simulate_network(network, x, seed=21, membrane_noise=membrane_noise)
        for layer_trace, spikes in zip(trace.layers, simulated.spikes):
            assert 0.05 < layer_trace.spikes.mean() < 0.7, layer_trace.spikes.mean()
            np.testing.assert_array_equal(layer_trace.spikes, spikes)
        np.testing.assert_array_equal(trace.outputs, simulated.outputs)
    other = learn.simulate_network(network, x, seed=22)
    assert not np.array_equal(other.spikes[0], simulated.spikes[0])


def test_the_trace_and_the_threshold_follow_their_equations():
    """From the recorded trace: i[t] = alpha_syn*i[t-1] + W s_in[t] + V s[t-1], u_free[t] = beta*u_after[t-1] +
    i[t], q[t] = rho*(q[t-1] + jump*s[t-1]) (the threshold of step t holds rho*jump of a spike at t - 1, and
    q[0] = 0: never the spike of step t itself), and e-prop's a[t] = rho*a[t-1] + s[t-1] with beta_a = rho*jump
    gives the same threshold: beta_a*a[t] = q[t]."""
    layer = learn.SpikingLayer(5, beta=0.6, noise="gaussian", noise_scale=0.3, recurrent=True, **SYNAPTIC, **ADAPTIVE)
    network = _heterogeneous(learn.Network(4, [layer], learn.Readout("count"), weight_gain=2.0, seed=2), seed=3)
    x = np.random.default_rng(0).random((3, 30, 4))
    trace = learn.forward(network, x, seed=5).layers[0]
    p = network.parameters
    s = trace.spikes
    assert 0.1 < s.mean() < 0.9
    previous = np.zeros((3, 5))
    rho, jump = p["0.threshold_decay"], p["0.threshold_jump"]
    eprop = np.zeros((3, 5))
    for t in range(30):
        recurrent = s[:, t - 1] @ p["0.V"].T if t else 0.0
        expected = p["0.alpha_syn"] * previous + x[:, t] @ p["0.W"].T + recurrent
        np.testing.assert_allclose(trace.current[:, t], expected, rtol=1e-12, atol=1e-13)
        previous = trace.current[:, t]
        u_before = trace.u_after[:, t - 1] if t else 0.0
        np.testing.assert_allclose(trace.u_free[:, t], p["0.beta"] * u_before + expected, rtol=1e-12, atol=1e-13)
        q_before = trace.threshold_offset[:, t - 1] + jump * s[:, t - 1] if t else np.zeros((3, 5))
        np.testing.assert_allclose(trace.threshold_offset[:, t], rho * q_before, rtol=1e-12, atol=0)
        if t:
            eprop = rho * eprop + s[:, t - 1]
        np.testing.assert_allclose(rho * jump * eprop, trace.threshold_offset[:, t], rtol=1e-12, atol=1e-15)


def test_a_trace_of_decay_zero_is_the_plain_layer():
    """alpha_syn = 0 (the state kernel, the simulator's state_update) gives the plain layer's spikes (the one
    neuron equation): the same model through two kernels."""
    options = dict(beta=0.7, noise="logistic", noise_scale=0.3, firing="escape", recurrent=True)
    x = (np.random.default_rng(1).random((4, 50, 5)) < 0.3).astype(float)
    traces = []
    for extra in ({}, {"alpha_syn": 0.0}):
        network = learn.Network(5, [learn.SpikingLayer(6, **options, **extra)], weight_gain=3.0, seed=4)
        traces.append(learn.forward(network, x, seed=9).layers[0])
    assert traces[0].spikes.sum() > 100
    np.testing.assert_array_equal(traces[0].spikes, traces[1].spikes)
    np.testing.assert_allclose(traces[0].u_free, traces[1].u_free, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("layer_delay", [0, 1])
@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_mean_field_bptt_through_the_state_equals_finite_differences(reset, layer_delay):
    """Mean-field forward pass (each spike replaced by F(u_free - theta - q), the threshold's jump by jump*p):
    BPTT gradient = the 4th-order central finite difference to 1e-6 relative, 3 recurrent layers x 12 steps,
    for every parameter (weights, recurrent weights, beta, threshold, alpha_syn, threshold_decay,
    threshold_jump, readout) and the input, along a random direction per array. h = 2.5e-4: the trace sums
    several steps of input, so the loss curves more than the plain network's (truncation ~h^4: measured
    1.4e-6 at h = 1e-3 falling 16x per halving, 6e-9 at 2.5e-4; rounding ~1e-13/h = 4e-10)."""
    # smooth cdfs only (Gaussian, logistic): the triangular cdf's kinks break the finite-difference stencil
    network = _heterogeneous(learn.Network(5, _state_layers("escape", reset, False, last="logistic"),
                                           learn.Readout("membrane", n_outputs=3, reduce="mean"), weight_gain=3.0,
                                           seed=3, layer_delay=layer_delay), seed=2)
    generator = np.random.default_rng(1)
    x = generator.random((4, 12, 5))
    labels = np.array([0, 1, 2, 1])
    _, grads, trace = learn.loss_and_gradients(network, x, labels, mean_field=True, input_gradient=True,
                                               return_trace=True)
    for layer_trace in trace.layers:
        assert 0.1 < layer_trace.spikes.mean() < 0.9  # probabilities away from 0 and 1: every path carries gradient

    names = list(network.parameters) + ["input"]
    assert {"0.alpha_syn", "0.threshold_decay", "0.threshold_jump", "1.threshold_jump", "2.alpha_syn"} <= set(names)
    for name in names:
        shape = x.shape if name == "input" else network.parameters[name].shape
        direction = generator.normal(size=shape)
        numeric = mean_field_directional_derivative(network, x, labels, name, direction, 2.5e-4)
        analytic = np.sum(grads[name] * direction)
        assert abs(analytic - numeric) <= 1e-6 * abs(numeric), (name, analytic, numeric)
        assert abs(numeric) > 1e-5, name  # the check is not vacuous


def test_state_parameters_are_trained_constrained_saved_and_loaded(tmp_path):
    """The learn flags decide what the optimiser moves; training keeps the decays in [0, 1]; save/load keeps
    the state options and the learned values."""
    layers = [learn.SpikingLayer(6, noise="logistic", noise_scale=0.3, **SYNAPTIC, **ADAPTIVE),
              learn.SpikingLayer(3, noise="gaussian", noise_scale=0.3, alpha_syn=0.5, threshold_jump=0.2)]
    network = learn.Network(4, layers, learn.Readout("linear", n_outputs=2), weight_gain=3.0, seed=1)
    assert network.trainable() == ["0.W", "0.alpha_syn", "0.threshold_decay", "0.threshold_jump", "1.W",
                                   "readout.W"]
    assert {"1.alpha_syn", "1.threshold_decay", "1.threshold_jump"} <= set(network.parameters)
    x = (np.random.default_rng(0).random((16, 20, 4)) < 0.3).astype(float)
    labels = np.arange(16) % 2
    before = {name: value.copy() for name, value in network.parameters.items()}
    learn.train(network, x, labels, epochs=3, batch_size=8, optimizer=learn.Adam(0.3), progress=False)
    for name in network.parameters:
        assert np.array_equal(network.parameters[name], before[name]) != (name in network.trainable()), name
    for kind in ("alpha_syn", "threshold_decay"):
        assert np.all((network.parameters[f"0.{kind}"] >= 0) & (network.parameters[f"0.{kind}"] <= 1))
    network.save(tmp_path / "state.npz")
    loaded = learn.Network.load(tmp_path / "state.npz")
    assert loaded.config() == network.config()
    for name, value in network.parameters.items():
        np.testing.assert_array_equal(loaded.parameters[name], value)
    np.testing.assert_array_equal(learn.forward(loaded, x, seed=2).outputs, learn.forward(network, x, seed=2).outputs)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"alpha_syn": 1.5}, ValueError, r"alpha_syn=1.5 must be <= 1"),
    ({"alpha_syn": -0.1}, ValueError, r"alpha_syn=-0.1 must be >= 0"),
    ({"alpha_syn": np.nan}, ValueError, r"alpha_syn"),
    ({"alpha_syn": "0.5"}, TypeError, r"alpha_syn"),  # a wrong type: TypeError, as for every parameter
    ({"alpha_syn": [0.5, 0.6]}, ValueError, r"alpha_syn must be a scalar"),
    ({"threshold_decay": 1.2}, ValueError, r"threshold_decay=1.2 must be <= 1"),
    ({"threshold_decay": np.inf}, ValueError, r"threshold_decay"),
    ({"threshold_jump": np.nan}, ValueError, r"threshold_jump"),
    ({"threshold_jump": 1e300}, ValueError, r"threshold_jump"),
    ({"learn_alpha_syn": True}, ValueError, r"learn_alpha_syn=True needs a synaptic trace"),
    ({"learn_threshold_decay": True}, ValueError, r"learn_threshold_decay=True needs an adaptive threshold"),
    ({"learn_threshold_jump": 1}, TypeError, r"learn_threshold_jump must be True or False"),
])
def test_bad_state_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        learn.SpikingLayer(3, **kwargs)
