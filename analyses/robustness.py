"""Official NSNN vs DSNN under the official perturbations, on digits and Randman -> results/robustness.nc.

The experiment lives in :mod:`nsnn_sim.experiments.robustness` (its run, figure and report lines); this
script is its command-line entry point, writing results/robustness.nc (``--out``).

    python analyses/robustness.py [--quick] [--seed N] [--out results/robustness.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("robustness", "analyze")
