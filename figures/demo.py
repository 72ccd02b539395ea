"""Figure of the demo experiment: results/demo.nc -> figures/out/demo.png (no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.demo.figure`.

    python figures/demo.py [--results results/demo.nc] [--out figures/out/demo.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("demo", "figure")
