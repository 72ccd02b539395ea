"""Spike-train variability of noisy and deterministic neurons -> results/variability.nc.

The experiment lives in :mod:`nsnn_sim.experiments.variability` (its run, figure and report lines); this
script is its command-line entry point, writing results/variability.nc (``--out``).

    python analyses/variability.py [--quick] [--seed N] [--out results/variability.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("variability", "analyze")
