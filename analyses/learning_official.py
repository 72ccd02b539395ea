"""The paper's own NSNN trained as its official code trains it, on Randman -> results/learning_official.nc.

The experiment lives in :mod:`nsnn_sim.experiments.learning_official` (its run, figure and report lines); this
script is its command-line entry point, writing results/learning_official.nc (``--out``).

    python analyses/learning_official.py [--quick] [--seed N] [--out results/learning_official.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("learning_official", "analyze")
