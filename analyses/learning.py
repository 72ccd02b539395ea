"""Noise-driven learning: NSNNs of every noise family vs the deterministic SNN -> results/learning.nc.

The experiment lives in :mod:`nsnn_sim.experiments.learning` (its run, figure and report lines); this
script is its command-line entry point, writing results/learning.nc (``--out``).

    python analyses/learning.py [--quick] [--seed N] [--out results/learning.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("learning", "analyze")
