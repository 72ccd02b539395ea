"""Maximum-likelihood fits of escape-noise neurons to spike trains -> results/fitting.nc.

The experiment lives in :mod:`nsnn_sim.experiments.fitting` (its run, figure and report lines); this
script is its command-line entry point, writing results/fitting.nc (``--out``).

    python analyses/fitting.py [--quick] [--seed N] [--out results/fitting.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("fitting", "analyze")
