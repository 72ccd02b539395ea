"""The analysis layer: statistics of spike trains, and comparisons of runs.

* :mod:`~nsnn_sim.analysis.stats` -- the only home of spike statistics (rates, ISI CV, Fano factors, ...);
* :mod:`~nsnn_sim.analysis.distances` -- spike-train distances and reliability (van Rossum, Victor-Purpura);
* :mod:`~nsnn_sim.analysis.spectral` -- power spectra, coherence with a signal, information rates;
* :mod:`~nsnn_sim.analysis.compare` -- statistical comparison of two simulations of one model (e.g. against Brian2);
* :mod:`~nsnn_sim.analysis.plotting` -- raster and population-rate figures.
"""

__all__: list[str] = []  # the modules are the API: nsnn_sim.analysis.stats, ...
