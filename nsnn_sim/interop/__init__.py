"""Spike trains and models in and out of nsnn_sim: Neo, NWB, Brian2.

* :mod:`~nsnn_sim.interop.brian2`: the same models in Brian2, built and run, results back as nsnn_sim
  objects (extra ``brian2``);
* :mod:`~nsnn_sim.interop.brian2_monitor`: any Brian2 ``SpikeMonitor`` as ``SpikeTrains`` (extra ``brian2``);
* :mod:`~nsnn_sim.interop.neo`: ``SpikeTrains`` to and from Neo (extra ``neo``: neo, quantities, elephant);
* :mod:`~nsnn_sim.interop.nwb`: ``SimulationResult`` to an NWB file and back (extra ``nwb``: pynwb);
* :mod:`~nsnn_sim.interop.times`: plain arrays of spike times snapped to the step grid.

Physical units in (Brian2 and ``quantities`` values to SI) are core, not interop: :mod:`nsnn_sim._core.units`.
Importing this package imports none of the optional packages; each module imports its own on first use
(:func:`nsnn_sim._core.extras.require`), so a missing extra gives one ``ImportError`` naming it.

Examples
--------
>>> from nsnn_sim.interop import times
>>> spikes = times.from_times([0.001, 0.0031], neurons=[0, 1], trials=[0, 0], dt=1e-3, n_steps=10, snap=True)
>>> spikes.step.tolist(), spikes.n_neurons
([1, 3], 2)
"""

__all__: list[str] = []  # the modules are the API: nsnn_sim.interop.neo, ...

from nsnn_sim._core.lazy import lazy_attributes  # noqa: E402

# the modules as attributes, imported on first use (``ns.interop.brian2``)
__getattr__, __dir__ = lazy_attributes(__name__, ("brian2", "brian2_monitor", "neo", "nwb", "times"), globals())
