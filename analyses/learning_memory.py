"""Memory in NSNN layers: delayed match-to-sample -> results/learning_memory.nc.

The experiment lives in :mod:`nsnn_sim.experiments.learning_memory` (its run, figure and report lines); this
script is its command-line entry point, writing results/learning_memory.nc (``--out``).

    python analyses/learning_memory.py [--quick] [--seed N] [--out results/learning_memory.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("learning_memory", "analyze")
