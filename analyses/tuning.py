"""Orientation tuning of noisy and deterministic populations -> results/tuning.nc.

The experiment lives in :mod:`nsnn_sim.experiments.tuning` (its run, figure and report lines); this
script is its command-line entry point, writing results/tuning.nc (``--out``).

    python analyses/tuning.py [--quick] [--seed N] [--out results/tuning.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("tuning", "analyze")
