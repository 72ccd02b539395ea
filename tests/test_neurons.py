import dataclasses
import math

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim.simulator.neurons import model_from_dict, model_from_json


@pytest.mark.parametrize("make, pattern", [
    (lambda: ns.LIF(tau=0.0, method="euler"), r"tau=0\.0 must be > 0"),
    (lambda: ns.LIF(tau=-1e-3, method="euler"), r"tau=-0\.001 must be > 0"),
    (lambda: ns.NSNN(beta=1.2), r"beta=1\.2 must be <= 1"),
    (lambda: ns.NSNN(beta=-0.1), r"beta=-0\.1 must be >= 0"),
    (lambda: ns.LIF(dt=0.0, method="euler"), r"dt=0\.0 must be > 0"),
    (lambda: ns.NSNN(dt=-1e-3), r"dt=-0\.001 must be > 0"),
    (lambda: ns.LIF(tau=1e-3, dt=1e-3, method="euler"), r"dt=0\.001 must be < tau.*method='exact'"),
    (lambda: ns.LIF(sigma=-0.5, method="euler"), r"sigma=-0\.5 must be >= 0"),
    (lambda: ns.NSNN(noise_scale=-0.4), r"noise_scale=-0\.4 must be > 0"),
    (lambda: ns.NSNN(noise="laplace"), r"noise='laplace' is not a noise family"),
    (lambda: ns.NSNN(firing="soft"), r"firing='soft' is not allowed"),
    (lambda: ns.NSNN(reset="hard"), r"reset='hard' is not allowed"),
    (lambda: ns.LIF(method="rk4", threshold_crossing="grid"), r"method='rk4' is not allowed"),
    (lambda: ns.LIF(threshold_crossing="exact", method="euler"), r"threshold_crossing='exact' is not allowed"),
    (lambda: ns.LIF(firing="reference", method="euler"), r"firing='reference' is not allowed"),
    (lambda: ns.LIF(threshold=0.0, u_reset=0.0, method="euler"), r"threshold=0\.0 must be > u_reset=0\.0"),
    (lambda: ns.LIF(threshold=np.array([1.0, -1.0]), method="euler"), r"threshold=.* must be > u_reset"),
    (lambda: ns.NSNN(threshold=0.0), r"threshold=0\.0 must be > 0"),
    (lambda: ns.LIF(noise="logistic", method="euler"), r"noise='logistic' with firing='membrane'"),
    (lambda: ns.LIF(firing="escape", noise="cauchy", threshold_crossing="bridge", method="euler"), r"bridge"),
    (lambda: ns.LIF(tau=float("nan"), method="euler"), r"tau=nan must be finite"),
    (lambda: ns.NSNN(beta=np.array([0.5, np.inf])), r"beta=.* must be finite"),
    (lambda: ns.LIF(u_rest=float("inf"), method="euler"), r"u_rest=inf must be finite"),
    (lambda: ns.LIF(tau_ref=-1e-3, method="euler"), r"tau_ref=-0\.001 must be >= 0"),
    (lambda: ns.LIF(sigma=0.0, method="euler"), r"sigma=0\.0 must be > 0 for noise='gaussian'.*noise='none'"),
    (lambda: ns.NSNN(beta=np.ones((2, 2)) * 0.5), r"beta must be a scalar or a 1-D per-neuron array"),
])
def test_bad_parameters_raise_value_error_naming_parameter_and_value(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


@pytest.mark.parametrize("make", [lambda: ns.LIF(tau="10ms", method="euler"), lambda: ns.NSNN(beta=True),
                                  lambda: ns.NSNN(noise_scale=None)])
def test_non_numeric_parameters_raise_type_error(make):
    with pytest.raises(TypeError, match="must be a number"):
        make()


def test_models_are_immutable_and_arrays_read_only():
    model = ns.NSNN(beta=np.array([0.2, 0.4]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.beta = 0.3
    with pytest.raises(ValueError):
        model.beta[0] = 0.9


def test_nsnn_compiles_to_the_papers_map():
    compiled = ns.NSNN(beta=0.5, threshold=1.0, noise_scale=0.3).compile(3)
    np.testing.assert_array_equal(compiled.alpha, [0.5] * 3)
    np.testing.assert_array_equal(compiled.gain, [1.0] * 3)
    np.testing.assert_array_equal(compiled.offset, [0.0] * 3)
    np.testing.assert_array_equal(compiled.noise_scale, [0.3] * 3)
    np.testing.assert_array_equal(compiled.u_reset, [0.0] * 3)


def test_lif_euler_and_exact_coefficients():
    tau, dt, sigma, u_rest = 20e-3, 1e-4, 0.5, -0.2
    euler = ns.LIF(tau=tau, dt=dt, sigma=sigma, u_rest=u_rest, threshold=1.0, u_reset=-0.3, method="euler").compile(1)
    assert euler.alpha[0] == pytest.approx(1 - dt / tau, rel=1e-15)
    assert euler.gain[0] == pytest.approx(dt / tau, rel=1e-15)
    assert euler.offset[0] == pytest.approx(u_rest * dt / tau, rel=1e-15)
    assert euler.noise_scale[0] == pytest.approx(sigma * math.sqrt(2 * dt / tau), rel=1e-15)
    exact = ns.LIF(tau=tau, dt=dt, sigma=sigma, u_rest=u_rest, method="exact", threshold_crossing="grid").compile(1)
    alpha = math.exp(-dt / tau)
    assert exact.alpha[0] == pytest.approx(alpha, rel=1e-15)
    assert exact.gain[0] == pytest.approx(1 - alpha, rel=1e-12)
    # stationary SD of the exact OU step is sigma: scale^2 / (1 - alpha^2) = sigma^2
    assert exact.noise_scale[0] ** 2 / (1 - alpha**2) == pytest.approx(sigma**2, rel=1e-12)
    escape = ns.LIF(firing="escape", noise="logistic", sigma=0.2, method="euler").compile(1)
    assert escape.noise_scale[0] == 0.2


def test_refractory_period_is_rounded_to_steps():
    assert ns.LIF(tau_ref=2e-3, dt=1e-4, method="euler").compile(1).refractory_steps[0] == 20
    assert ns.LIF(tau_ref=0.0, method="euler").compile(1).refractory_steps[0] == 0


def test_per_neuron_arrays_broadcast_and_are_length_checked():
    model = ns.LIF(tau=np.array([10e-3, 20e-3, 30e-3]), threshold=1.5, method="euler")
    compiled = model.compile(3)
    np.testing.assert_allclose(compiled.gain, 1e-4 / np.array([10e-3, 20e-3, 30e-3]))
    np.testing.assert_array_equal(compiled.threshold, [1.5] * 3)
    with pytest.raises(ValueError, match="tau has 3 per-neuron values but n_neurons=4"):
        model.compile(4)


@pytest.mark.parametrize("model", [
    ns.NSNN(), ns.NSNN(noise="cauchy", noise_scale=0.2, firing="reference", reset="subtract"),
    ns.LIF(tau=np.array([0.01, 0.02]), tau_ref=2e-3, method="exact", threshold_crossing="bridge"),
    ns.LIF(noise="none", method="euler"),
])
def test_model_dict_and_json_round_trip_exactly(model):
    for rebuilt in (model_from_dict(model.to_dict()), model_from_json(model.to_json())):
        assert type(rebuilt) is type(model)
        for key, value in model.parameters().items():
            assert np.array_equal(np.asarray(getattr(rebuilt, key)), np.asarray(value)), key


def test_none_noise_ignores_scale():
    assert ns.NSNN(noise="none", noise_scale=0.4).noise_scale == 0.0
    assert ns.LIF(noise="none", sigma=0.0, method="euler").sigma == 0.0


def test_refractory_period_must_be_whole_steps():
    with pytest.raises(ValueError, match=r"tau_ref=0\.00025 s is not a whole number of steps of dt=0\.0001"):
        ns.LIF(tau_ref=2.5e-4, dt=1e-4, method="euler").compile(1)
    with pytest.raises(ValueError, match=r"tau_ref=1e\+20 s is more than 2\*\*53 steps"):
        ns.LIF(tau_ref=1e20, method="euler").compile(1)


def test_which_neurons_carry_more_state_and_which_crossing_rule_auto_picks():
    assert not ns.NSNN().has_state
    assert ns.NSNN(synapses={"exc": 0.5}).has_state and ns.NSNN(threshold_jump=0.3).has_state
    assert not ns.LIF().has_state and ns.LIF(tau_syn=2e-3).has_state and ns.LIF(refractory="integrate").has_state
    assert ns.LIF().crossing == "substep" and ns.LIF(method="euler").crossing == "grid"
    assert ns.LIF(noise="none").crossing == "grid" and ns.LIF(tau_syn=2e-3).crossing == "grid"
    assert ns.LIF(firing="escape", noise="logistic").crossing == "grid"
    assert ns.LIF(threshold_crossing="bridge").crossing == "bridge"
