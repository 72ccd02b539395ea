"""Figure of the brian2_identity experiment: results/brian2_identity.nc -> figures/out/brian2_identity.png
(no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.brian2_identity.figure`.

    python figures/brian2_identity.py [--results results/brian2_identity.nc] [--out figures/out/brian2_identity.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("brian2_identity", "figure")
