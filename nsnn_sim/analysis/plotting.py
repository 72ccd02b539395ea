"""Figures from SpikeTrains (matplotlib): raster and population rate; :func:`save_figure` writes any figure as
PNG, PDF and SVG. Figures never simulate.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import nsnn_sim as ns
>>> from nsnn_sim.analysis.plotting import raster_and_rate
>>> result = ns.simulate(ns.LIF(sigma=0.5), 1.0, n_neurons=20, n_steps=2000, seed=4)
>>> figure = raster_and_rate(result.spikes, bin_width=0.01, title="LIF")
>>> [axis.get_ylabel() for axis in figure.axes]
['neuron (first 100, trial 0)', 'population rate (Hz)']
>>> import matplotlib.pyplot as plt
>>> plt.close(figure)
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from nsnn_sim._core.atomic import write_atomically
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.validation import whole_number
from nsnn_sim.spikes import SpikeTrains

_log = get_logger(__name__)

__all__ = ["raster", "population_rate", "raster_and_rate", "save_figure"]


def save_figure(figure, path, dpi: int = 300, vector: bool = True):
    """Write ``figure`` to ``path`` (creating its folder; the format from the suffix, e.g. a PNG at ``dpi``
    dots per inch) and, with ``vector``, as PDF and SVG beside it (text kept as text); close it and
    report the path. Each file is written whole or not at all (:func:`nsnn_sim._core.atomic.write_atomically`).

    The saved area is the figure's tight bounding box (nothing drawn outside the axes is cut off), and
    the files carry no dates, so the same figure gives the same bytes.
    """
    path = Path(path)
    dpi = whole_number("dpi", dpi)
    if not isinstance(vector, bool):
        raise TypeError(f"vector must be True or False, got {vector!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    targets = [path] + ([path.with_suffix(suffix) for suffix in (".pdf", ".svg") if path.suffix != suffix]
                        if vector else [])
    try:
        with plt.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none", "svg.hashsalt": "nsnn_sim"}):
            for target in targets:
                metadata = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}}.get(target.suffix.lower(), {})
                write_atomically(target, lambda temporary, metadata=metadata: figure.savefig(
                    temporary, dpi=dpi, bbox_inches="tight", pad_inches=0.05, metadata=metadata))
    finally:
        plt.close(figure)
    _log.info("wrote %s", ", ".join(str(target) for target in targets))
    return path


def raster(spikes: SpikeTrains, ax=None, trial: int = 0, max_neurons: int | None = 100,
           label: str | None = None, color: str = "k", neurons=None):
    """Dot raster of one trial: spike time (s) against neuron index, for the first ``max_neurons`` neurons or
    the neuron ids ``neurons`` (one population of a network: ``raster(result.population("I"))``)."""
    _check_spikes(spikes)
    trial = whole_number("trial", trial, minimum=0, maximum=spikes.n_trials - 1)
    if max_neurons is not None:
        max_neurons = whole_number("max_neurons", max_neurons)
    ax = ax or plt.gca()
    keep = spikes.trial == trial
    if neurons is not None:
        keep &= np.isin(spikes.neuron, _neuron_ids(neurons, spikes.n_neurons))
    elif max_neurons is not None:
        keep &= spikes.neuron < max_neurons
    ax.plot(spikes.time[keep], spikes.neuron[keep], "|", color=color, markersize=2, label=label)
    ax.set_xlim(0, spikes.duration)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("neuron")
    return ax


def population_rate(spikes: SpikeTrains, bin_width: float, ax=None, label: str | None = None,
                    color: str | None = None):
    """Population-averaged firing rate (Hz) in bins of ``bin_width`` s, averaged over trials."""
    _check_spikes(spikes)
    spikes.steps_per_window(bin_width, "bin_width")
    ax = ax or plt.gca()
    counts = spikes.counts(window=bin_width)
    rate = counts.mean(("trial", "neuron")) / bin_width
    ax.step(rate["time"].values, rate.values, where="post", label=label, color=color)
    ax.set_xlim(0, spikes.duration)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("population rate (Hz)")
    return ax


def raster_and_rate(spikes: SpikeTrains, bin_width: float, title: str = "", max_neurons: int = 100,
                    theory_rate: float | None = None):
    """Two-panel figure: raster of trial 0 above the population rate (with a theory line if given)."""
    _check_spikes(spikes)
    spikes.steps_per_window(bin_width, "bin_width")  # before a figure is made
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True, layout="constrained",
                                         gridspec_kw={"height_ratios": [2, 1]})
    raster(spikes, top, max_neurons=max_neurons)
    top.set_xlabel("")
    top.set_ylabel(f"neuron (first {max_neurons}, trial 0)")
    population_rate(spikes, bin_width, bottom, label=f"simulation ({bin_width * 1e3:g} ms bins)")
    if theory_rate is not None:
        bottom.axhline(theory_rate, color="C3", linestyle="--", label=f"theory: {theory_rate:.1f} Hz")
    bottom.legend(loc="lower right")
    if title:
        top.set_title(title)
    return figure


def _neuron_ids(neurons, n_neurons: int) -> np.ndarray:
    """``neurons`` as an array of ids in ``[0, n_neurons)``; ``TypeError`` / ``ValueError`` naming ``neurons``."""
    ids = np.atleast_1d(np.asarray(neurons))
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise TypeError(f"neurons must be a 1-D array of integer neuron ids, got {neurons!r}")
    if ids.size and (ids.min() < 0 or ids.max() >= n_neurons):
        raise ValueError(f"neurons must lie in [0, {n_neurons}), got {ids.min()}..{ids.max()}")
    return ids


def _check_spikes(spikes) -> None:
    if not isinstance(spikes, SpikeTrains):
        raise TypeError(f"spikes must be SpikeTrains (a result's .spikes), got {type(spikes).__name__}")
