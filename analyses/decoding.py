"""Bayesian decoding of orientation and cue integration by noisy spiking populations -> results/decoding.nc.

The experiment lives in :mod:`nsnn_sim.experiments.decoding` (its run, figure and report lines); this
script is its command-line entry point, writing results/decoding.nc (``--out``).

    python analyses/decoding.py [--quick] [--seed N] [--out results/decoding.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("decoding", "analyze")
