"""Any Brian2 ``SpikeMonitor`` as :class:`SpikeTrains`: users' own Brian2 models, not only ours.

Brian2 records a spike of neuron ``i`` at ``t = k*dt`` of the clock it runs on; :func:`from_brian2`
reads ``monitor.i`` and ``monitor.t`` (a ``Quantity``, converted to seconds by
:mod:`nsnn_sim._core.units`) and puts the times on the step grid
(:func:`nsnn_sim.interop.times.from_times`). The defaults come from the monitor itself:

* ``dt``: the monitor's clock step (``monitor.clock.dt``);
* ``n_neurons``: the size of the monitored group (``len(monitor.source)``); neuron ``i`` is Brian2's index;
* ``duration``: how far the clock has run (``monitor.clock.t``), so ``n_steps = duration/dt``; times
  count from the network's time 0.

Several runs (e.g. one network per trial, or ``brian2.seed`` changed between runs of a copy) are given
as a list of monitors; they become consecutive trials (:func:`nsnn_sim.spikes.stack_trials`) and must
agree in ``dt``, ``n_neurons`` and ``n_steps``. Nothing here imports brian2: the monitor is read by its
attributes.
"""

from __future__ import annotations

from nsnn_sim._core.units import has_units, to_si
from nsnn_sim.interop.times import from_times, time_step, whole_steps
from nsnn_sim.spikes import SpikeTrains, stack_trials

__all__ = ["from_brian2"]


def _is_monitor(value) -> bool:
    return all(hasattr(value, attribute) for attribute in ("i", "t", "source", "clock"))


def from_brian2(monitor, dt=None, n_neurons: int | None = None, duration=None) -> SpikeTrains:
    """The spikes of a Brian2 ``SpikeMonitor`` (or a list of them, one trial each) as :class:`SpikeTrains`.

    Parameters
    ----------
    monitor : brian2.SpikeMonitor or sequence of them
        After the run(s).
    dt : float, optional
        Step duration in seconds (or a Brian2 time); default the monitor's clock ``dt``.
    n_neurons : int, optional
        Default ``len(monitor.source)``.
    duration : float, optional
        Length of each trial in seconds (or a Brian2 time); default how far the monitor's clock has run.

    Returns
    -------
    SpikeTrains

    Raises
    ------
    TypeError
        If ``monitor`` is not a SpikeMonitor (or a non-empty sequence of them).
    ValueError
        If a spike time is more than 1e-9 s from a step of ``dt``, or the runs cannot be stacked.

    Examples
    --------
    >>> import brian2 as b2
    >>> from nsnn_sim import SpikeTrains
    >>> b2.prefs.codegen.target = "numpy"
    >>> group = b2.SpikeGeneratorGroup(3, [0, 2, 2], [1, 2, 5] * b2.ms, dt=0.1 * b2.ms)
    >>> monitor = b2.SpikeMonitor(group)
    >>> b2.Network(group, monitor).run(6 * b2.ms)
    >>> spikes = SpikeTrains.from_brian2(monitor, duration=10 * b2.ms)
    >>> spikes.neuron.tolist(), spikes.step.tolist(), spikes.n_steps
    ([0, 2, 2], [10, 20, 50], 100)
    """
    if not _is_monitor(monitor):
        try:
            monitors = list(monitor)
        except TypeError:
            monitors = []
        if not monitors or not all(_is_monitor(item) for item in monitors):
            raise TypeError("monitor must be a Brian2 SpikeMonitor (with .i, .t, .source and .clock) or a non-empty "
                            f"sequence of them, got {type(monitor).__name__}")
        return stack_trials([from_brian2(item, dt=dt, n_neurons=n_neurons, duration=duration) for item in monitors])
    step = time_step(monitor.clock.dt if dt is None else dt)
    times = monitor.t[:]
    if not has_units(times):
        raise TypeError(f"monitor.t should be a Brian2 Quantity in seconds, got {type(times).__name__}")
    n_steps = whole_steps("duration", monitor.clock.t if duration is None else duration, step)
    return from_times(to_si("monitor.t", times, "s"), monitor.i[:].astype("int64"), None, step,
                      n_steps=max(n_steps, 1), n_neurons=len(monitor.source) if n_neurons is None else n_neurons,
                      n_trials=1)
