"""The analysis layer: statistics of spike trains, and comparisons of runs.

* :mod:`~nsnn_sim.analysis.stats` -- the only home of spike statistics (rates, ISI CV, Fano factors, ...);
* :mod:`~nsnn_sim.analysis.distances` -- spike-train distances and reliability (van Rossum, Victor-Purpura);
* :mod:`~nsnn_sim.analysis.spectral` -- power spectra, coherence with a signal, information rates;
* :mod:`~nsnn_sim.analysis.compare` -- statistical comparison of two simulations of one model (e.g. against Brian2);
* :mod:`~nsnn_sim.analysis.plotting` -- raster and population-rate figures.

Examples
--------
>>> import nsnn_sim as ns
>>> spikes = ns.SpikeTrains.from_times([0.001, 0.004, 0.009], [0, 0, 0], [0, 0, 0], dt=1e-3, n_steps=10)
>>> float(ns.analysis.stats.isi_cv(spikes, pool="all"))
0.25
"""

__all__: list[str] = []  # the modules are the API: nsnn_sim.analysis.stats, ...

from nsnn_sim._core.lazy import lazy_attributes  # noqa: E402

# the modules as attributes, imported on first use (``ns.analysis.stats``)
__getattr__, __dir__ = lazy_attributes(__name__, ("stats", "distances", "spectral", "compare", "plotting"), globals())
