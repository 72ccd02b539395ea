"""nsnn_sim: fast, exactly reproducible noisy spiking neural networks (NSNN) for neural coding.

Importing the package has no side effects beyond importing numpy, scipy, numba and xarray; the
Numba kernels compile (or load from cache) on first use.

Examples
--------
>>> import nsnn_sim as ns
>>> model = ns.NSNN(beta=0.5, noise="gaussian", noise_scale=0.4)
>>> result = ns.simulate(model, inputs=0.8, n_neurons=10, n_steps=200, n_trials=2, seed=1)
>>> result.spikes.n_trials, result.spikes.n_neurons, result.spikes.n_steps
(2, 10, 200)
>>> result.spikes == ns.simulate(model, 0.8, n_neurons=10, n_steps=200, n_trials=2, seed=1).spikes
True
"""

from nsnn_sim.version import version as _package_version

__version__ = _package_version()
from nsnn_sim import noise, theory
from nsnn_sim.engine import simulate
from nsnn_sim.network import Connections, PoissonInput, connect, poisson_input
from nsnn_sim.neurons import LIF, NSNN
from nsnn_sim.spikes import SimulationResult, SpikeTrains, load


def load_nwb(path, dt=None, snap: bool = False) -> SpikeTrains:
    """The spike trains of an NWB file (trials from its trials table), e.g. one written by
    :meth:`SimulationResult.to_nwb`: see :func:`nsnn_sim.interop.nwb.load_nwb`. Needs the extra ``nwb``."""
    from nsnn_sim.interop.nwb import load_nwb as load

    return load(path, dt=dt, snap=snap)


__all__ = [
    "LIF", "NSNN", "Connections", "PoissonInput", "SimulationResult", "SpikeTrains",
    "connect", "load", "load_nwb", "noise", "poisson_input", "simulate", "theory", "__version__",
]
