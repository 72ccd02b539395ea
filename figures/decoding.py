"""Figure of the decoding experiment: results/decoding.nc -> figures/out/decoding.png (no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.decoding.figure`.

    python figures/decoding.py [--results results/decoding.nc] [--out figures/out/decoding.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("decoding", "figure")
