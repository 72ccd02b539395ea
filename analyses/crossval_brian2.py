"""Statistical cross-validation of nsnn_sim against Brian2 over a grid of models and inputs.

The experiment lives in :mod:`nsnn_sim.experiments.crossval_brian2` (its run, figure and report lines); this
script is its command-line entry point, writing results/crossval_brian2.nc (``--out``).

    python analyses/crossval_brian2.py [--quick] [--seed N] [--out results/crossval_brian2.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("crossval_brian2", "analyze")
