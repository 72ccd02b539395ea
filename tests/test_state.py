"""Neurons with more state: the linear system, its exact one-step map, and its noise (nsnn_sim.simulator.state)."""

import math

import numpy as np
import pytest
from scipy import integrate, linalg

from nsnn_sim.simulator.state import (
    Adaptation,
    AlphaSynapse,
    ExpSynapse,
    MovingThreshold,
    discretise,
    linear_system,
    stationary_covariance,
    step_covariance,
)

TAU, DT = 10e-3, 1e-4
# tau_syn = tau and its neighbourhood (the t*exp(-t/tau) case, where divided differences lose digits)
NEAR_TAU = [TAU, *(TAU * (1 + sign * 10.0**-k) for k in range(3, 10) for sign in (1, -1))]
CONFIGURATIONS = {
    "membrane only": dict(sigma=0.5),
    "exp synapse": dict(sigma=0.5, synapses={"exc": ExpSynapse(5e-3)}),
    "exp + alpha synapses, coloured noise": dict(sigma=0.0, synapses={"exc": ExpSynapse(2e-3, 0.3),
                                                                      "inh": AlphaSynapse(8e-3, 0.1)}),
    "adaptation with coupling": dict(sigma=0.4, adaptation=(Adaptation(0.1, 0.5, 0.05),)),
    "everything": dict(sigma=0.3, synapses={"exc": ExpSynapse(3e-3, 0.2), "inh": AlphaSynapse(6e-3)},
                       adaptation=(Adaptation(0.2, 0.3, 0.1), Adaptation(0.02, 0.0, 0.02)),
                       thresholds=(MovingThreshold(0.05, 0.1),)),
    **{f"exp synapse tau_syn = tau*{tau_syn / TAU:.9f}": dict(sigma=0.5, synapses={"exc": ExpSynapse(tau_syn, 0.2)})
       for tau_syn in NEAR_TAU},
    **{f"alpha synapse tau_syn = tau*{tau_syn / TAU:.9f}": dict(sigma=0.0, synapses={"a": AlphaSynapse(tau_syn, 0.2)})
       for tau_syn in NEAR_TAU[:5]},
}


def system(configuration):
    options = dict(configuration)
    return linear_system(TAU, 0.2, options.pop("sigma"), options.pop("synapses", None), **options)


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_exact_propagator_is_the_matrix_exponential_element_by_element(name):
    A, c, g, B, _ = system(CONFIGURATIONS[name])
    P, bias, drive, _ = discretise(A, c, g, B, DT, "exact")
    expected = linalg.expm(A * DT)
    assert np.all((P == 0) == (np.abs(expected) < 1e-300)), "the same structural zeros"
    nonzero = expected != 0
    assert np.max(np.abs(P[nonzero] / expected[nonzero] - 1)) < 1e-12
    # M = int_0^dt expm(A s) ds, by quadrature: bias = M c, drive = M g (1e-10: the quadrature's own accuracy)
    M = integrate.quad_vec(lambda s: linalg.expm(A * s), 0.0, DT, epsabs=0.0, epsrel=1e-13)[0]
    np.testing.assert_allclose(bias, M @ c, rtol=1e-10, atol=1e-15 * np.abs(M @ c).max())
    np.testing.assert_allclose(drive, M @ g, rtol=1e-10, atol=0)


@pytest.mark.parametrize("tau_syn", NEAR_TAU)
def test_synaptic_column_equals_the_cancellation_free_closed_form_near_tau_syn_equal_tau(tau_syn):
    """P[u, I] = (1/tau) e^(-h/tau) h expm1(kappa h)/(kappa h), kappa = 1/tau - 1/tau_syn: an expm1 form that keeps
    full precision at and near tau_syn = tau (where (e^(-h/tau) - e^(-h/tau_syn))/(1/tau_syn - 1/tau) loses
    up to half the digits); agreement to 1e-13 relative."""
    A, c, g, B, _ = linear_system(TAU, 0.0, 0.0, {"exc": ExpSynapse(tau_syn)})
    P = discretise(A, c, g, B, DT, "exact")[0]
    kappa_h = (1.0 / TAU - 1.0 / tau_syn) * DT
    ratio = math.expm1(kappa_h) / kappa_h if kappa_h != 0.0 else 1.0
    expected = DT / TAU * math.exp(-DT / TAU) * ratio
    assert P[0, 1] == pytest.approx(expected, rel=1e-13)
    assert P[1, 1] == pytest.approx(math.exp(-DT / tau_syn), rel=1e-14)
    assert P[0, 0] == pytest.approx(math.exp(-DT / TAU), rel=1e-14)


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_one_step_noise_covariance_is_the_integral_of_its_definition(name):
    A, c, g, B, _ = system(CONFIGURATIONS[name])
    _, _, _, L = discretise(A, c, g, B, DT, "exact")
    expected = integrate.quad_vec(lambda s: linalg.expm(A * s) @ B @ B.T @ linalg.expm(A.T * s), 0.0, DT,
                                  epsabs=0.0, epsrel=1e-13)[0]
    scale = np.abs(expected).max()
    np.testing.assert_allclose(L @ L.T, expected, rtol=1e-10, atol=1e-10 * scale)
    np.testing.assert_allclose(step_covariance(A, B, DT), expected, rtol=1e-10, atol=1e-10 * scale)


def test_euler_map_is_brians_scheme_and_the_membrane_alone_is_todays_lif():
    A, c, g, B, names = linear_system(TAU, 0.2, 0.5, {"exc": ExpSynapse(5e-3, 0.3)})
    P, bias, drive, L = discretise(A, c, g, B, DT, "euler")
    np.testing.assert_array_equal(P, np.eye(2) + A * DT)
    np.testing.assert_array_equal(L, B * math.sqrt(DT))
    A1, c1, g1, B1, _ = linear_system(TAU, 0.2, 0.5)
    P1, bias1, drive1, L1 = discretise(A1, c1, g1, B1, DT, "exact")
    alpha = math.exp(-DT / TAU)
    assert P1[0, 0] == pytest.approx(alpha, rel=1e-15)
    assert drive1[0] == pytest.approx(-math.expm1(-DT / TAU), rel=1e-13)
    assert bias1[0] == pytest.approx(0.2 * -math.expm1(-DT / TAU), rel=1e-13)
    assert L1[0, 0] == pytest.approx(0.5 * math.sqrt(1 - alpha**2), rel=1e-12)


def test_without_noise_there_is_no_noise_column_and_no_normal_drawn():
    """``B`` has one column per noisy source: none without noise, in either method's map (no normal is drawn)."""
    A, c, g, B, names = linear_system(TAU, 0.0, 0.0, {"exc": ExpSynapse(5e-3)}, (Adaptation(0.1, 0.5),))
    assert B.shape == (3, 0)
    for method in ("euler", "exact"):
        assert discretise(A, c, g, B, DT, method)[3].shape == (3, 0)


def test_the_current_enters_the_membrane_or_the_synapse_it_names():
    """``g``: ``1/tau`` on ``u`` for the membrane; ``1/tau_r`` on the synapse's first variable (alpha: ``y``)."""
    synapses = {"exc": ExpSynapse(5e-3), "inh": AlphaSynapse(4e-3)}
    for receptor, expected in [(0, [1 / TAU, 0, 0, 0]), (1, [0, 1 / 5e-3, 0, 0]), (2, [0, 0, 1 / 4e-3, 0])]:
        g = linear_system(TAU, 0.0, 0.0, synapses, current_receptor=receptor)[2]
        np.testing.assert_allclose(g, expected, rtol=1e-15)


def test_noise_reaches_only_the_variables_it_can():
    """Membrane noise does not reach a synaptic current or a threshold; a synapse's noise reaches the membrane
    and, through the coupling a, the adaptation current."""
    A, c, g, B, names = linear_system(TAU, 0.0, 0.5, {"exc": ExpSynapse(5e-3)}, (), (MovingThreshold(0.05, 0.1),))
    L = discretise(A, c, g, B, DT, "exact")[3]
    assert names == ("u", "I_exc", "q_0") and L.shape == (3, 1) and np.all(L[1:] == 0)
    A, c, g, B, names = linear_system(TAU, 0.0, 0.0, {"exc": ExpSynapse(5e-3, 0.3)}, (Adaptation(0.1, 0.5),))
    L = discretise(A, c, g, B, DT, "exact")[3]
    assert L.shape == (3, 3) and np.linalg.matrix_rank(L @ L.T) == 3


def test_coloured_noise_tends_to_membrane_noise_of_the_same_sigma_as_the_synapse_gets_fast():
    """The white-noise limit of the synapse's sigma is the membrane SD sigma (the convention of
    Fourcaud & Brunel's comparison): the stationary SD of u is sigma*sqrt(tau/(tau + tau_syn)) exactly for an
    exponential synapse, so -> sigma as tau_syn -> 0."""
    sigma = 0.5
    for tau_syn in (1e-3, 1e-5, 1e-7):
        A, c, g, B, _ = linear_system(TAU, 0.0, 0.0, {"exc": ExpSynapse(tau_syn, sigma)})
        variance = stationary_covariance(A, B)[0, 0]
        assert variance == pytest.approx(sigma**2 * TAU / (TAU + tau_syn), rel=1e-9)
