"""``SpikeTrains`` to and from Neo, the data model Elephant analyses (extra ``neo``).

Layout of :func:`to_neo`: one ``neo.Block``; one ``Segment`` per trial (``segment.index`` and the
annotation ``trial``); in each, one ``SpikeTrain`` per neuron, in seconds, ``t_start = 0``,
``t_stop = n_steps*dt``, ``sampling_rate = 1/dt``, annotated with ``neuron`` and ``trial``; one ``Group``
per neuron holding its trains of every trial (Neo's way to say "the same unit"). The block is annotated
with ``dt``, the shape, the package provenance (version, commit) and, from a :class:`SimulationResult`,
the model (``model_json``), the seed and the inputs. This makes ``n_trials * n_neurons`` Neo objects:
meant for the sizes one analyses with Elephant, not for 10^5 neurons.

:func:`from_neo` reads a Block, a list of Segments (one trial each) or a list of SpikeTrains (one
trial). A train's neuron is its ``neuron`` annotation when every train of its segment has one, else its
position in the segment. Times count from each train's ``t_start`` and are put on the step grid by
:func:`nsnn_sim.interop.times.from_times` (within 1e-9 s of a step, or ``snap=True``); ``n_steps`` is
the longest ``t_stop - t_start`` in steps. ``from_neo(to_neo(s), s.dt) == s`` exactly.
"""

from __future__ import annotations

import numpy as np

from nsnn_sim._core.extras import require
from nsnn_sim._core.version import provenance
from nsnn_sim.interop.times import from_times, time_step, whole_steps
from nsnn_sim.spikes import SpikeTrains

__all__ = ["to_neo", "from_neo"]


def _neo():
    """Neo and quantities, or one ImportError naming the extra."""
    return require("neo", "neo"), require("quantities", "neo")


def to_neo(spikes: SpikeTrains, annotations: dict | None = None):
    """The spike trains as a ``neo.Block`` (module docstring for the layout).

    Parameters
    ----------
    spikes : SpikeTrains
    annotations : dict, optional
        More annotations of the block (strings, numbers, lists or arrays, as Neo allows).

    Returns
    -------
    neo.Block

    Examples
    --------
    >>> from nsnn_sim import SpikeTrains
    >>> spikes = SpikeTrains([0, 1], [0, 0], [3, 7], dt=1e-3, n_trials=2, n_neurons=2, n_steps=10)
    >>> block = spikes.to_neo()
    >>> len(block.segments), len(block.segments[1].spiketrains), block.segments[1].spiketrains[0].times
    (2, 2, array([0.007]) * s)
    """
    neo, pq = _neo()
    if not isinstance(spikes, SpikeTrains):
        raise TypeError(f"spikes must be a SpikeTrains, got {type(spikes).__name__}")
    block = neo.Block(name="nsnn_sim spike trains")
    block.annotate(**{"dt": spikes.dt, "n_trials": spikes.n_trials, "n_neurons": spikes.n_neurons,
                      "n_steps": spikes.n_steps, "time_units": "s", **provenance(), **(annotations or {})})
    groups = [neo.Group(name=f"neuron {neuron}", neuron=neuron) for neuron in range(spikes.n_neurons)]
    train = spikes.trial.astype(np.int64) * spikes.n_neurons + spikes.neuron
    bounds = np.searchsorted(train, np.arange(spikes.n_trials * spikes.n_neurons + 1))
    sampling_rate = (1.0 / spikes.dt) * pq.Hz
    for trial in range(spikes.n_trials):
        segment = neo.Segment(name=f"trial {trial}", index=trial, trial=trial)
        for neuron in range(spikes.n_neurons):
            first = trial * spikes.n_neurons + neuron
            steps = spikes.step[bounds[first]:bounds[first + 1]]
            spiketrain = neo.SpikeTrain(steps * spikes.dt, units="s", t_start=0.0, t_stop=spikes.duration,
                                        sampling_rate=sampling_rate,
                                        name=f"neuron {neuron}", neuron=neuron, trial=trial)
            segment.spiketrains.append(spiketrain)
            groups[neuron].add(spiketrain)
        block.segments.append(segment)
    block.groups.extend(groups)
    block.check_relationships()
    return block


def _segments(source) -> list[list]:
    """The trains of each trial of a Block, a Segment, a SpikeTrain, or a list of Segments or SpikeTrains."""
    neo, _ = _neo()
    if isinstance(source, neo.Block):
        return [list(segment.spiketrains) for segment in source.segments]
    if isinstance(source, neo.Segment):
        return [list(source.spiketrains)]
    if isinstance(source, neo.SpikeTrain):
        return [[source]]
    try:
        items = list(source)  # a list, a tuple, or Neo's own ObjectList (block.segments, segment.spiketrains)
    except TypeError:
        items = None
    if items and all(isinstance(item, neo.Segment) for item in items):
        return [list(segment.spiketrains) for segment in items]
    if items and all(isinstance(item, neo.SpikeTrain) for item in items):
        return [items]
    raise TypeError(f"source must be a neo.Block, a Segment, a SpikeTrain, or a non-empty list of Segments or of "
                    f"SpikeTrains, got {type(source).__name__}")


def _neuron_ids(trains: list) -> list[int]:
    """The ``neuron`` annotations if every train has an integer one, else the positions."""
    labels = [train.annotations.get("neuron") for train in trains]
    if trains and all(isinstance(label, (int, np.integer)) and not isinstance(label, bool) for label in labels):
        return [int(label) for label in labels]
    return list(range(len(trains)))


def from_neo(source, dt, snap: bool = False, n_steps: int | None = None,
             n_neurons: int | None = None) -> SpikeTrains:
    """Spike trains from Neo (module docstring): a Block, a list of Segments (trials) or of SpikeTrains.

    Parameters
    ----------
    source : neo.Block, neo.Segment, neo.SpikeTrain, or list of Segment or of SpikeTrain
    dt : float
        Step duration in seconds (or a time with units).
    snap : bool
        Round spike times further than 1e-9 s from a step to the nearest step instead of raising.
    n_steps, n_neurons : int, optional
        Default: the longest ``t_stop - t_start`` in steps; one more than the largest neuron id (or the
        block's ``n_neurons`` annotation, if larger).

    Returns
    -------
    SpikeTrains

    Examples
    --------
    >>> from nsnn_sim import SpikeTrains
    >>> spikes = SpikeTrains([0, 1], [0, 0], [3, 7], dt=1e-3, n_trials=2, n_neurons=2, n_steps=10)
    >>> SpikeTrains.from_neo(spikes.to_neo(), dt=1e-3) == spikes
    True
    """
    dt = time_step(dt)
    segments = _segments(source)
    times, neurons, trials, longest, largest = [], [], [], 0, 0
    for trial, trains in enumerate(segments):
        for neuron, train in zip(_neuron_ids(trains), trains):
            start = float(train.t_start.rescale("s").magnitude)
            times.append(np.asarray(train.times.rescale("s").magnitude, dtype=np.float64) - start)
            neurons.append(np.full(times[-1].size, neuron, dtype=np.int64))
            trials.append(np.full(times[-1].size, trial, dtype=np.int64))
            longest = max(longest, whole_steps("t_stop - t_start", float(train.t_stop.rescale("s").magnitude) - start,
                                               dt))
            largest = max(largest, neuron + 1)
    annotated = int(getattr(source, "annotations", {}).get("n_neurons", 0))
    empty = np.zeros(0, dtype=np.int64)
    return from_times(np.concatenate([empty.astype(float), *times]), np.concatenate([empty, *neurons]),
                      np.concatenate([empty, *trials]), dt,
                      n_steps=n_steps if n_steps is not None else max(longest, 1),
                      n_neurons=n_neurons if n_neurons is not None else max(largest, annotated, 1),
                      n_trials=len(segments), snap=snap)
