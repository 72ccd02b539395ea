"""Figure of the brunel_states experiment: results/brunel_states.nc -> figures/out/brunel_states.png (no simulation).

The figure is drawn by :func:`nsnn_sim.experiments.brunel_states.figure`.

    python figures/brunel_states.py [--results results/brunel_states.nc] [--out figures/out/brunel_states.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("brunel_states", "figure")
