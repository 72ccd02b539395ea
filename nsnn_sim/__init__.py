"""nsnn_sim: fast, exactly reproducible noisy spiking neural networks (NSNN) for neural coding.

The face of the package: :func:`simulate`, the models :class:`LIF` and :class:`NSNN`, inputs
(:func:`current_input`, :func:`poisson_input`, :func:`inhomogeneous_poisson_input`, :func:`spike_input`,
:func:`connect`), networks of populations (:class:`Network` and its connection rules :func:`pairwise_bernoulli`,
:func:`fixed_indegree`, :func:`fixed_outdegree`, :func:`one_to_one`, :func:`all_to_all`, :func:`explicit`),
:class:`SpikeTrains`, :func:`load`. The subpackages are attributes, imported on first use (so ``import nsnn_sim``
stays fast):

=================  =====================================================================================
``simulator``      noise families, random streams, models, inputs and connections, the engine, results
``theory``         closed forms the simulations are checked against
``analysis``       spike statistics (``ns.stats`` for short), distances, spectra, comparisons, plots
``coding``         tuning, Fisher information, decoding, posteriors, cue integration, sampling
``interop``        Neo, NWB, Brian2
``learn``          the torch-free learner (noise-driven learning)
``fit``            maximum-likelihood fits of the same neurons to spike trains
``experiments``    every experiment: run, figure, summary
``sweep``          parameter sweeps on dask.distributed
=================  =====================================================================================

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
>>> float(ns.stats.isi_cv(result.spikes).mean()) > 0
True
"""

from nsnn_sim._core.lazy import lazy_attributes
from nsnn_sim._core.version import version as _package_version

__version__ = _package_version()
from nsnn_sim.simulator.connectivity import (
    all_to_all,
    explicit,
    fixed_indegree,
    fixed_outdegree,
    one_to_one,
    pairwise_bernoulli,
)
from nsnn_sim.simulator.engine import simulate
from nsnn_sim.simulator.network import (
    Connections,
    PoissonInput,
    connect,
    current_input,
    inhomogeneous_poisson_input,
    poisson_input,
    spike_input,
)
from nsnn_sim.simulator.neurons import LIF, NSNN
from nsnn_sim.simulator.populations import Network
from nsnn_sim.simulator.results import SimulationResult, load
from nsnn_sim.spikes import SpikeTrains

# attribute -> module, imported on first access (PEP 562)
_LAZY = {
    "simulator": "nsnn_sim.simulator", "theory": "nsnn_sim.theory", "analysis": "nsnn_sim.analysis",
    "coding": "nsnn_sim.coding", "interop": "nsnn_sim.interop", "learn": "nsnn_sim.learn", "fit": "nsnn_sim.fit",
    "experiments": "nsnn_sim.experiments", "sweep": "nsnn_sim.sweep",
    "noise": "nsnn_sim.simulator.noise", "stats": "nsnn_sim.analysis.stats",
}
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())


def load_nwb(path, dt=None, snap: bool = False) -> SpikeTrains:
    """The spike trains of an NWB file (trials from its trials table), e.g. one written by
    :meth:`SimulationResult.to_nwb`: see :func:`nsnn_sim.interop.nwb.load_nwb`. Needs the extra ``nwb``."""
    from nsnn_sim.interop.nwb import load_nwb as load

    return load(path, dt=dt, snap=snap)


__all__ = [
    "LIF", "NSNN", "Connections", "Network", "PoissonInput", "SimulationResult", "SpikeTrains",
    "all_to_all", "connect", "current_input", "explicit", "fixed_indegree", "fixed_outdegree",
    "inhomogeneous_poisson_input", "load", "load_nwb", "one_to_one", "pairwise_bernoulli", "poisson_input",
    "simulate", "spike_input", "__version__", *_LAZY,
]
