"""Figure of the contrast_invariance experiment: results/contrast_invariance.nc -> figures/out/contrast_invariance.png.

No simulation here.

The figure is drawn by :func:`nsnn_sim.experiments.contrast_invariance.figure`.

    python figures/contrast_invariance.py [--results results/contrast_invariance.nc]
        [--out figures/out/contrast_invariance.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("contrast_invariance", "figure")
