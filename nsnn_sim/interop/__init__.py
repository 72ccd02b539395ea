"""Spike trains in and out of nsnn_sim, and physical units in.

* :mod:`nsnn_sim.interop.units`: Brian2 and ``quantities`` values converted to SI or refused (core,
  no unit library needed);
* :mod:`nsnn_sim.interop.neo`: ``SpikeTrains`` to and from Neo (extra ``neo``: neo, quantities, elephant);
* :mod:`nsnn_sim.interop.nwb`: ``SimulationResult`` to an NWB file and back (extra ``nwb``: pynwb);
* :mod:`nsnn_sim.interop.brian2_monitor`: any Brian2 ``SpikeMonitor`` as ``SpikeTrains`` (extra ``brian2``);
* :mod:`nsnn_sim.interop.times`: plain arrays of spike times snapped to the step grid.

Importing this package imports none of the optional packages; each module imports its own on first use
(:func:`nsnn_sim.extras.require`), so a missing extra gives one ``ImportError`` naming it.

Examples
--------
>>> import nsnn_sim as ns
>>> from nsnn_sim.interop import times, units
>>> spikes = times.from_times([0.001, 0.0031], neurons=[0, 1], trials=[0, 0], dt=1e-3, n_steps=10, snap=True)
>>> spikes.step.tolist(), spikes.n_neurons
([1, 3], 2)
>>> units.to_si("tau", 0.02, "s")
0.02
"""
