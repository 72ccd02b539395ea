"""The simulator: models compiled to one neuron equation, and the Numba kernels that run them.

* :mod:`~nsnn_sim.simulator.noise` -- the noise families (one record each, a registry);
* :mod:`~nsnn_sim.simulator.rng` -- counter-based random streams keyed by (seed, trial, neuron, purpose);
* :mod:`~nsnn_sim.simulator.neurons` -- the models (:class:`LIF`, :class:`NSNN`) and their compiled constants;
* :mod:`~nsnn_sim.simulator.network` -- inputs and connections (currents, Poisson drive, recurrent weights);
* :mod:`~nsnn_sim.simulator.stimuli` -- spike inputs (given spike times, and the spikes of a network's sources);
* :mod:`~nsnn_sim.simulator.populations` -- networks of named populations and projections (:class:`Network`),
  built on :mod:`~nsnn_sim.simulator.connectivity` (connection rules, distributions) and
  :mod:`~nsnn_sim.simulator.concatenate` (populations joined into one model and one set of inputs);
* :mod:`~nsnn_sim.simulator.engine` -- the only hot loops, and :func:`simulate`;
* :mod:`~nsnn_sim.simulator.brunel` -- Brunel's (2000) model A;
* :mod:`~nsnn_sim.simulator.results` -- :class:`SimulationResult` and its netCDF file.

Examples
--------
>>> from nsnn_sim.simulator import LIF, simulate
>>> result = simulate(LIF(sigma=0.5), 0.9, n_neurons=3, n_steps=500, seed=1)
>>> result.spikes.n_neurons, result.spikes.dt
(3, 0.0001)
"""

from nsnn_sim.simulator.engine import simulate
from nsnn_sim.simulator.network import Connections, PoissonInput, connect, poisson_input
from nsnn_sim.simulator.neurons import LIF, NSNN
from nsnn_sim.simulator.populations import Network
from nsnn_sim.simulator.results import SimulationResult, load

__all__ = ["simulate", "LIF", "NSNN", "Connections", "PoissonInput", "connect", "poisson_input", "Network",
           "SimulationResult", "load"]
