"""Demo: a noisy LIF population at the Siegert operating point; raster and population rate.

The experiment lives in :mod:`nsnn_sim.experiments.demo` (its run, figure and report lines); this
script is its command-line entry point, writing results/demo.nc (``--out``).

    python analyses/demo.py [--quick] [--seed N] [--out results/demo.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("demo", "analyze")
