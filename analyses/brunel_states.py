"""Brunel's four states: spectra, rates and CVs of model A at the parameters of his Fig. 8.

The experiment lives in :mod:`nsnn_sim.experiments.brunel_states` (its run, figure and report lines); this
script is its command-line entry point, writing results/brunel_states.nc (``--out``).

    python analyses/brunel_states.py [--quick] [--seed N] [--out results/brunel_states.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("brunel_states", "analyze")
