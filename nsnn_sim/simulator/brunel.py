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

from nsnn_sim._core.validation import describe, numeric_parameter, whole_number
from nsnn_sim.simulator.connectivity import fixed_indegree
from nsnn_sim.simulator.network import Connections, PoissonInput, poisson_input
from nsnn_sim.simulator.neurons import LIF
from nsnn_sim.simulator.populations import Network

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
    network: Network | None = None  # the populations "E" and "I" (Network.simulate labels results by population)

    @property
    def n_neurons(self) -> int:
        return self.n_excitatory + self.n_inhibitory


def brunel_model_a(n_excitatory: int = 10_000, epsilon: float = 0.1, j: float = 0.1, g: float = 6.0,
                   eta: float = 4.0, delay: float = 1.5e-3, dt: float = 1e-4, seed: int = 0) -> BrunelNetwork:
    """Build Brunel's model A (module docstring) as a :class:`~nsnn_sim.simulator.populations.Network` of
    populations ``"E"`` and ``"I"``; the wiring is drawn from ``seed``.

    The four projections E->E, E->I, I->E, I->I (``fixed_indegree``, no multapses, autapses allowed) are drawn
    in that order from one generator: every neuron's ``C_E`` excitatory sources, neuron by neuron, then its
    ``C_I`` inhibitory ones, so the synapses (and the spikes of a run) are those of the direct construction
    this function used before the network API. ``network.simulate(...)`` gives results labelled by population.
    The membrane takes Euler steps (``method="euler"``, named, not the LIF's default exact step): the scheme of the
    Brian2 comparison (:mod:`nsnn_sim.experiments.brunel_states`, ``benchmarks/recurrent.py``) and of every number
    recorded with this network.

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
    in_excitatory = max(1, int(round(epsilon * n_excitatory)))
    in_inhibitory = max(1, int(round(epsilon * n_inhibitory)))
    delay_steps = delay / dt
    if abs(delay_steps - round(delay_steps)) > 1e-9 or round(delay_steps) < 1:
        raise ValueError(f"delay={describe(delay)} s must be a whole number (>= 1) of steps of dt={describe(dt)} s")
    tau, threshold = 20e-3, 20.0
    nu_threshold = threshold / (j * in_excitatory * tau)
    model = LIF(tau=tau, threshold=threshold, u_rest=0.0, u_reset=10.0, tau_ref=2e-3, noise="none", sigma=0.0,
                dt=dt, method="euler")
    drive = poisson_input(rate=eta * nu_threshold, weight=j, n_sources=in_excitatory)
    network = Network(seed=seed).add("E", model, n_excitatory, inputs=drive).add("I", model, n_inhibitory, inputs=drive)
    for source, in_degree, weight in (("E", in_excitatory, j), ("I", in_inhibitory, -g * j)):
        for target in ("E", "I"):
            network.connect(source, target, fixed_indegree(in_degree), weight=weight, delay=delay)
    built = network.build()
    return BrunelNetwork(built.model, built.inputs, built.connections, n_excitatory, n_inhibitory, nu_threshold,
                         network)
