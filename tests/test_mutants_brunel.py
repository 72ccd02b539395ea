"""Brunel's (2000) model A as brunel_model_a builds it: the neuron parameters of the paper, the sizes and the external
rate that brings the free membrane to threshold. Exact checks of the built objects (no simulation)."""

import pytest

from nsnn_sim.simulator.brunel import brunel_model_a


def test_brunel_model_a_neurons_have_the_papers_parameters():
    """Brunel (2000) model A: tau = 20 ms, theta = 20 mV, V_r = 10 mV, tau_rp = 2 ms, resting potential V_L = 0,
    and no noise of the neuron's own (the external Poisson trains are the only noise): ``noise="none"`` with
    sigma 0, as the model (and every file written from its runs) records it."""
    model = brunel_model_a(n_excitatory=40, seed=1).model
    assert (model.tau, model.threshold, model.u_reset, model.tau_ref, model.u_rest) == (20e-3, 20.0, 10.0, 2e-3, 0.0)
    assert model.noise == "none" and model.sigma == 0.0
    assert model.method == "euler"


def test_brunel_model_a_sizes_and_threshold_rate():
    """N_I = N_E / 4, N = N_E + N_I; C_E = epsilon N_E, nu_thr = theta / (J C_E tau) (Brunel's eq. for the
    external rate that brings the free membrane to threshold)."""
    network = brunel_model_a(n_excitatory=400, epsilon=0.1, j=0.2, seed=1)
    assert (network.n_excitatory, network.n_inhibitory, network.n_neurons) == (400, 100, 500)
    assert network.nu_threshold == pytest.approx(20.0 / (0.2 * 40 * 20e-3), rel=1e-12)  # 125 Hz
