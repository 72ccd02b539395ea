"""Figure of the learning experiment: results/learning.nc -> figures/out/learning.png (no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.learning.figure`.

    python figures/learning.py [--results results/learning.nc] [--out figures/out/learning.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("learning", "figure")
