"""Noise-driven learning figure from results/learning.nc -> figures/out/learning.png (no simulation here).

Top row: test-accuracy learning curves (mean +- SD over seeds) of every model; final test accuracy
in the learner and in nsnn_sim.simulate with the same weights; the tuning-curve fit (targets and
the rates simulated after training). Bottom row: robustness of the trained networks to input spike
deletion, spike insertion, a Gaussian current perturbing the membrane, and fast-gradient-sign input
perturbations from each model's own gradients (mean +- SD over seeds).

    python figures/learning.py [--results results/learning.nc]
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nsnn_sim.plotting import figure_inputs, save_figure  # noqa: E402

PERTURBATIONS = (
    ("deletion_accuracy", "deletion", "input spikes deleted, probability p", "Spike deletion"),
    ("insertion_accuracy", "insertion", "spikes inserted (fraction of the pattern's spikes)", "Spike insertion"),
    ("membrane_accuracy", "membrane_noise", "membrane perturbation SD per step (threshold = 1)", "Membrane perturbation"),
    ("adversarial_accuracy", "epsilon", "gradient-sign perturbation epsilon", "Gradient-sign attack (own gradients)"),
)


def _mean_sd(values, axis="seed"):
    return values.mean(axis), values.std(axis, ddof=1) if values.sizes[axis] > 1 else 0 * values.mean(axis)


def main(argv=None) -> Path:
    args, data = figure_inputs("learning", __doc__, argv)
    figure, axes = plt.subplots(2, 4, figsize=(20, 9.5))
    models = list(data["model"].values)
    epochs = data["epoch"].values
    n_seeds = data.sizes["seed"]

    curves_ax = axes[0, 0]
    for m, model in enumerate(models):
        mean, sd = _mean_sd(data["test_accuracy"].sel(model=model))
        curves_ax.plot(epochs, mean, color=f"C{m}", label=model)
        curves_ax.fill_between(epochs, mean - sd, mean + sd, color=f"C{m}", alpha=0.15)
    curves_ax.set_xlabel("epoch")
    curves_ax.set_ylabel("test accuracy (fraction)")
    curves_ax.set_title(f"Randman, {data.attrs['randman_n_classes']} classes: learning curves ({n_seeds} seeds, +-SD)")
    curves_ax.legend(fontsize=7)

    bars_ax = axes[0, 1]
    positions = np.arange(len(models))
    for offset, (name, label) in zip((-0.2, 0.2), (("learner_accuracy", "learner"),
                                                   ("simulator_accuracy", "nsnn_sim.simulate"))):
        mean, sd = _mean_sd(data[name])
        bars_ax.bar(positions + offset, mean, 0.4, yerr=sd, capsize=3, label=f"{label} (mean +- SD over seeds)")
    bars_ax.set_xticks(positions)
    bars_ax.set_xticklabels([model.replace(" ", "\n", 1) for model in models], fontsize=7)
    bars_ax.set_ylabel("test accuracy (fraction)")
    bars_ax.set_ylim(0, 1.05)
    bars_ax.set_title("Same weights, learner vs simulator (independent noise)")
    bars_ax.legend(fontsize=7, loc="lower left")

    time_ax = axes[0, 2]
    mean, sd = _mean_sd(data["epoch_time"])
    time_ax.bar(positions, mean, yerr=sd, capsize=3, color=[f"C{m}" for m in range(len(models))])
    time_ax.set_xticks(positions)
    time_ax.set_xticklabels([model.replace(" ", "\n", 1) for model in models], fontsize=7)
    time_ax.set_ylabel("training time per epoch (s)")
    time_ax.set_title(f"{data.attrs['n_train']} training patterns per epoch, 2 cores")

    tuning_ax = axes[0, 3]
    stimulus_deg = np.degrees(data["stimulus"].values)
    for k, neuron in enumerate((0, 4, 8, 12)):
        tuning_ax.plot(stimulus_deg, data["target_probability"].sel(neuron=neuron), "-", color=f"C{k}",
                       label=f"neuron {neuron}: target")
        tuning_ax.errorbar(stimulus_deg, data["simulated_probability"].sel(neuron=neuron),
                           yerr=2 * data["simulated_probability_se"].sel(neuron=neuron), fmt="o", markersize=3,
                           color=f"C{k}", label=f"neuron {neuron}: simulated after training (+-2 SE)")
    tuning_ax.set_xlabel("orientation (deg)")
    tuning_ax.set_ylabel("spike probability per step")
    tuning_ax.set_title("Tuning-curve fit: learned input weights, run in simulate")
    tuning_ax.legend(fontsize=6, ncol=2)

    for ax, (name, dim, xlabel, title) in zip(axes[1], PERTURBATIONS):
        levels = data[dim].values
        for m, model in enumerate(models):
            mean, sd = _mean_sd(data[name].sel(model=model))
            ax.errorbar(levels, mean, yerr=sd, marker="o", markersize=3, capsize=2, color=f"C{m}", label=model)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("test accuracy (fraction)")
        ax.set_ylim(0, 1.02)
        ax.set_title(title)
        ax.legend(fontsize=7)
    figure.tight_layout()
    return save_figure(figure, args.out, dpi=100)


if __name__ == "__main__":
    main()
