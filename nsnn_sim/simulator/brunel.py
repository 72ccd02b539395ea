"""Brunel (2000) model A: a sparse recurrent network of identical excitatory and inhibitory LIF neurons.

Brunel, N. (2000). Dynamics of sparsely connected networks of excitatory and inhibitory spiking
neurons. J Comput Neurosci 8:183-208. Model A: ``N_E = 4 N_I`` identical LIF neurons
(``tau = 20 ms``, threshold 20 mV, reset 10 mV, refractory 2 ms; membrane units are mV); every
neuron receives exactly ``C_E = epsilon*N_E`` excitatory and ``C_I = epsilon*N_I`` inhibitory
synapses from randomly chosen neurons, of weight ``J`` and ``-g*J`` (delta synapses, delay ``D``),
and ``C_E`` external Poisson trains of rate ``eta*nu_thr`` with ``nu_thr = theta/(J*C_E*tau)``.
The defaults ``g = 6``, ``eta = 4`` are Brunel's Fig. 8B, the synchronous irregular state with a fast
oscillation (SI fast; simulated at N = 12,500, the neurons fire irregularly at 59 Hz and the population rate
oscillates at about 185 Hz); his asynchronous irregular (AI) state, Fig. 8C, is ``g = 5``, ``eta = 2``. The experiment
:mod:`nsnn_sim.experiments.brunel_states` simulates all four states of his Fig. 8.

Examples
--------
>>> from nsnn_sim.simulator.brunel import brunel_model_a
>>> network = brunel_model_a(n_excitatory=400, seed=1)
>>> network.n_excitatory, network.n_inhibitory, network.n_neurons
(400, 100, 500)
>>> round(network.nu_threshold, 1)
250.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nsnn_sim._core.validation import describe, numeric_parameter, whole_number
from nsnn_sim.simulator.network import Connections, PoissonInput, connect, poisson_input
from nsnn_sim.simulator.neurons import LIF

__all__ = ["BrunelNetwork", "brunel_model_a"]


@dataclass(frozen=True, eq=False)
class BrunelNetwork:
    """Everything :func:`nsnn_sim.simulate` needs for one Brunel network: model, inputs, connections."""

    model: LIF
    inputs: PoissonInput
    connections: Connections
    n_excitatory: int
    n_inhibitory: int
    nu_threshold: float  # Hz, external rate that brings the free membrane to threshold

    @property
    def n_neurons(self) -> int:
        return self.n_excitatory + self.n_inhibitory


def brunel_model_a(n_excitatory: int = 10_000, epsilon: float = 0.1, j: float = 0.1, g: float = 6.0,
                   eta: float = 4.0, delay: float = 1.5e-3, dt: float = 1e-4, seed: int = 0) -> BrunelNetwork:
    """Build Brunel's model A (module docstring); the wiring is drawn from ``seed``.

    Parameters
    ----------
    n_excitatory : int
        ``N_E``; ``N_I = N_E/4``.
    epsilon : float
        Connection probability (fixed in-degree ``epsilon*N``).
    j, g, eta : float
        EPSP size (mV), relative inhibition, external rate over ``nu_thr``.
    delay, dt : float
        Synaptic delay and time step (s); ``delay`` must be a whole number of steps.
    """
    n_excitatory = whole_number("n_excitatory", n_excitatory, minimum=4)
    epsilon = numeric_parameter("epsilon", epsilon, lower=0.0, upper=1.0, lower_open=True)
    j = numeric_parameter("j", j, lower=0.0, lower_open=True)
    g = numeric_parameter("g", g, lower=0.0)
    eta = numeric_parameter("eta", eta, lower=0.0)
    n_inhibitory = n_excitatory // 4
    n_neurons = n_excitatory + n_inhibitory
    in_excitatory = max(1, int(round(epsilon * n_excitatory)))
    in_inhibitory = max(1, int(round(epsilon * n_inhibitory)))
    delay_steps = delay / dt
    if abs(delay_steps - round(delay_steps)) > 1e-9 or round(delay_steps) < 1:
        raise ValueError(f"delay={describe(delay)} s must be a whole number (>= 1) of steps of dt={describe(dt)} s")
    tau, threshold = 20e-3, 20.0

    generator = np.random.default_rng(seed)
    pre_excitatory = _choose(generator, n_neurons, n_excitatory, in_excitatory)
    pre_inhibitory = n_excitatory + _choose(generator, n_neurons, n_inhibitory, in_inhibitory)
    post = np.repeat(np.arange(n_neurons), in_excitatory + in_inhibitory)
    pre = np.concatenate([pre_excitatory, pre_inhibitory], axis=1).ravel()
    weight = np.concatenate([np.full((n_neurons, in_excitatory), j), np.full((n_neurons, in_inhibitory), -g * j)],
                            axis=1).ravel()
    weights = sp.csr_matrix((weight, (post, pre)), shape=(n_neurons, n_neurons))

    nu_threshold = threshold / (j * in_excitatory * tau)
    model = LIF(tau=tau, threshold=threshold, u_rest=0.0, u_reset=10.0, tau_ref=2e-3, noise="none", sigma=0.0,
                dt=dt)
    inputs = poisson_input(rate=eta * nu_threshold, weight=j, n_sources=in_excitatory)
    return BrunelNetwork(model, inputs, connect(weights, int(round(delay_steps))), n_excitatory, n_inhibitory,
                         nu_threshold)


def _choose(generator, n_rows: int, population: int, k: int) -> np.ndarray:
    """``k`` distinct indices in ``[0, population)`` for each of ``n_rows`` rows (no self-exclusion:
    Brunel allows autapses as rare events of a random graph)."""
    out = np.empty((n_rows, k), dtype=np.int64)
    for row in range(n_rows):
        out[row] = generator.choice(population, size=k, replace=False)
    return out
