"""Contrast-invariant orientation tuning from membrane noise -> results/contrast_invariance.nc.

The experiment lives in :mod:`nsnn_sim.experiments.contrast_invariance` (its run, figure and report lines); this
script is its command-line entry point, writing results/contrast_invariance.nc (``--out``).

    python analyses/contrast_invariance.py [--quick] [--seed N] [--out results/contrast_invariance.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("contrast_invariance", "analyze")
