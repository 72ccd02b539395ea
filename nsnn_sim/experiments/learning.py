"""Noise-driven learning: NSNNs of every noise family vs the deterministic SNN -> results/learning.nc.

Task: Randman (Zenke & Vogels 2021; nsnn_sim.learn.randman), 10 classes, 20 input channels firing
once each in 50 steps, 1-D manifolds, 100 training and 100 test patterns per class (quick: 40).
Network: 20 -> 100 NSNN neurons (beta 0.9, threshold 1, reset to zero) -> 10 leaky membrane readout
units (max over time). Models: NSNNs with escape noise (firing probability F(u - theta) of the
noise-free potential) of the Gaussian, logistic, triangular, uniform and Cauchy families at matched
spread (SD 0.3; Cauchy: the Gaussian's interquartile range), trained with NDL
(d s / d u = noise pdf), and the deterministic SNN (DSNN) trained with a surrogate gradient (the
same Gaussian pdf, SD 0.3). Adam, cross-entropy, the same initial weights for every model of a seed.

Reported per model and seed: learning curves, test accuracy in the learner and in nsnn_sim.simulate
(same weights, independent noise seed), time per epoch, and robustness of the trained networks:
input spike deletion and insertion (p = 0-0.3), a Gaussian current perturbing the membrane at every
step, and fast-gradient-sign input perturbations computed with each model's own gradients (NDL
averaged over 4 noisy passes for the NSNN, the surrogate for the DSNN). Also the tuning-curve fit
task: the input weights of 16 Gaussian NSNN neurons trained so that their rates follow von Mises
tuning curves, checked in nsnn_sim.simulate with nsnn_sim.coding.fit_tuning_curves.

    python analyses/learning.py [--quick] [--out results/learning.nc]

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('learning')
>>> experiment.description
'Noise-driven learning on Randman: NSNN families vs the DSNN, robustness, tuning fit.'
>>> experiment.seed, experiment.module.__name__
(5, 'nsnn_sim.experiments.learning')
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr

from nsnn_sim import learn
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.coding import fit_tuning_curves

_log = get_logger(__name__)

DESCRIPTION = "Noise-driven learning on Randman: NSNN families vs the DSNN, robustness, tuning fit."
SEED = 5
ORDER = 60
N_CLASSES = 10
SPREAD = 0.3  # noise SD of every family (Cauchy: same interquartile range as the Gaussian)
MODELS = {  # name: (noise, scale)
    "DSNN (surrogate)": ("none", 0.0),
    "NSNN gaussian": ("gaussian", SPREAD),
    "NSNN logistic": ("logistic", SPREAD * np.sqrt(3) / np.pi),
    "NSNN triangular": ("triangular", SPREAD * np.sqrt(6)),
    "NSNN uniform": ("uniform", SPREAD * np.sqrt(3)),
    "NSNN cauchy": ("cauchy", SPREAD * 1.3489795 / 2),
}
DELETION = INSERTION = np.array([0.0, 0.05, 0.1, 0.2, 0.3])
MEMBRANE_NOISE = np.array([0.0, 0.1, 0.2, 0.4, 0.8])
EPSILON = np.array([0.0, 0.002, 0.005, 0.01, 0.02])
TRAINING_ATTRS = ("optimizer", "learning_rate", "batch_size", "loss_function")  # stored from learn.train's history


def build_network(noise: str, scale: float, seed: int) -> learn.Network:
    layer = learn.SpikingLayer(100, beta=0.9, threshold=1.0, noise=noise, noise_scale=scale if noise != "none" else 0.4,
                               firing="escape", reset="zero", surrogate="gaussian", surrogate_scale=SPREAD)
    return learn.Network(20, [layer], learn.Readout("membrane", n_outputs=N_CLASSES, beta=0.9, reduce="max"),
                         weight_gain=5.0, seed=seed)


def robustness(network, data, seed: int) -> dict:
    """Test accuracy under each perturbation, at each level."""
    x, y = data.x_test, data.y_test
    gradient = learn.input_gradient(network, x, y, seed=seed, n_samples=1 if network.layers[0].noise == "none" else 4)
    accuracy = lambda inputs, **kw: learn.evaluate(network, inputs, y, seed=seed, **kw).accuracy  # noqa: E731
    return {
        "deletion": [accuracy(learn.delete_spikes(x, p, seed)) for p in DELETION],
        "insertion": [accuracy(learn.insert_spikes(x, p, seed)) for p in INSERTION],
        "membrane": [accuracy(x, membrane_noise=float(s)) for s in MEMBRANE_NOISE],
        "adversarial": [accuracy(learn.gradient_sign_attack(network, x, y, eps, gradient=gradient)) for eps in EPSILON],
    }


def tuning_fit(quick: bool, seed: int, epochs: int | None = None) -> xr.Dataset:
    """Fit a population's input weights to von Mises targets; measure the result in simulate.

    16 Gaussian-noise NSNN neurons (beta 0.5, noise SD 0.4, escape firing, weight gain 1), count readout
    scaled by 1 / 100 steps; 16 orientations repeated 8 times (128 training patterns), MSE, Adam 0.01,
    batch 16, ``epochs`` (default 300; quick: 100); then 200 trials per orientation in simulate (quick: 50).
    """
    task = learn.tuning_task(n_neurons=16, n_orientations=16, n_steps=100)
    network = learn.Network(task.inputs.shape[2], [learn.SpikingLayer(16, beta=0.5, noise="gaussian", noise_scale=0.4,
                                                                      firing="escape")],
                            learn.Readout("count", scale=1.0 / task.attrs["n_steps"]), weight_gain=1.0, seed=seed)
    repeats = 8
    inputs = np.tile(task.inputs, (repeats, 1, 1))
    targets = np.tile(task.targets, (repeats, 1))
    history = learn.train(network, inputs, targets, loss="mse", epochs=epochs or (100 if quick else 300), batch_size=16,
                          optimizer=learn.Adam(0.01), seed=seed, progress=False)
    n_trials = 50 if quick else 200
    trial_inputs = np.repeat(task.inputs, n_trials, axis=0)
    simulated = learn.simulate_network(network, trial_inputs, seed=seed + 1).spikes[0]
    counts = simulated.sum(axis=1).reshape(task.orientations.size, n_trials, -1)  # (stimulus, trial, neuron)
    rates = counts.mean(axis=1) / task.attrs["n_steps"]
    responses = xr.DataArray(counts / task.attrs["n_steps"], dims=("stimulus", "trial", "neuron"),
                             coords={"stimulus": task.orientations})
    fit = fit_tuning_curves(responses)
    return xr.Dataset(
        {"target_probability": (("stimulus", "neuron"), task.targets),
         "simulated_probability": (("stimulus", "neuron"), rates, {"units": "spikes per step"}),
         "simulated_probability_se": (("stimulus", "neuron"),
                                      counts.std(axis=1, ddof=1) / np.sqrt(n_trials) / task.attrs["n_steps"]),
         "fitted_preferred": ("neuron", fit["preferred"].values, {"units": "rad"}),
         "fitted_preferred_se": ("neuron", fit["preferred_se"].values, {"units": "rad"}),
         "target_preferred": ("neuron", task.preferred, {"units": "rad"}),
         "fitted_r_squared": ("neuron", fit["r_squared"].values),
         "fit_loss": ("fit_epoch", history["loss"].values)},
        coords={"stimulus": task.orientations, "neuron": np.arange(16), "fit_epoch": history.epoch.values},
        attrs={"tuning_n_trials": n_trials, "tuning_n_train": inputs.shape[0], "tuning_kappa": task.attrs["kappa"],
               "tuning_baseline": task.attrs["baseline"], "tuning_gain": task.attrs["gain"],
               **{f"tuning_{key}": history.attrs[key] for key in ("network",) + TRAINING_ATTRS}},
    )


OPTIONS = {"--patterns": {"type": int, "help": "training and test patterns per class (default 100; quick: 40)"},
           "--epochs": {"type": int, "help": "training epochs (default 30; quick: 10)"},
           "--seeds": {"type": int, "help": "number of seeds (default 3)"}}


def run(quick: bool = False, seed: int = SEED, patterns: int | None = None, epochs: int | None = None,
        seeds: int | None = None) -> xr.Dataset:
    """Train every model of ``MODELS`` on Randman (``patterns``, ``epochs``, ``seeds`` override the
    mode's sizes): cross-entropy, Adam 0.01, batch 32; 100 training and test patterns per class, 30 epochs,
    3 seeds (quick: 40, 10, 3); then :func:`tuning_fit`."""
    epochs_override, seeds_override = epochs, seeds
    start = time.perf_counter()
    n_train, epochs, seeds = (40, 10, 3) if quick else (100, 30, 3)
    n_train = patterns or n_train
    n_test, epochs, seeds = n_train, epochs_override or epochs, seeds_override or seeds
    data = learn.randman(n_classes=N_CLASSES, n_inputs=20, n_steps=50, n_train=n_train, n_test=n_test, manifold_dim=1,
                         alpha=2.0, seed=seed)
    shape = (len(MODELS), seeds)
    curves = np.zeros(shape + (epochs,))
    train_curves = np.zeros(shape + (epochs,))
    epoch_time = np.zeros(shape)
    learner_accuracy, simulator_accuracy = np.zeros(shape), np.zeros(shape)
    perturbed = {kind: np.zeros(shape + (levels.size,)) for kind, levels in
                 (("deletion", DELETION), ("insertion", INSERTION), ("membrane", MEMBRANE_NOISE),
                  ("adversarial", EPSILON))}
    for m, (name, (noise, scale)) in enumerate(MODELS.items()):
        for s in range(seeds):
            network = build_network(noise, scale, seed=seed + s)
            history = learn.train(network, data.x_train, data.y_train, epochs=epochs, batch_size=32,
                                  optimizer=learn.Adam(1e-2), seed=seed + 100 * s, test_inputs=data.x_test,
                                  test_targets=data.y_test, progress=False)
            curves[m, s], train_curves[m, s] = history["test_accuracy"].values, history["accuracy"].values
            epoch_time[m, s] = float(history["epoch_time"][1:].mean())  # the first epoch includes compilation
            learner_accuracy[m, s] = learn.evaluate(network, data.x_test, data.y_test, seed=1000 + s).accuracy
            simulator_accuracy[m, s] = learn.evaluate(network, data.x_test, data.y_test, seed=2000 + s,
                                                      engine="simulator").accuracy
            for kind, values in robustness(network, data, seed=3000 + s).items():
                perturbed[kind][m, s] = values
            _log.info(f"{name} seed {s}: test accuracy {curves[m, s, -1]:.3f} "
                      f"(simulate {simulator_accuracy[m, s]:.3f}), {epoch_time[m, s]:.2f} s per epoch")

    dims = ("model", "seed")
    dataset = xr.Dataset(
        {"test_accuracy": (dims + ("epoch",), curves, {"units": "fraction"}),
         "train_accuracy": (dims + ("epoch",), train_curves, {"units": "fraction"}),
         "epoch_time": (dims, epoch_time, {"units": "s", "long_name": "training time per epoch (mean of epochs 2+)"}),
         "learner_accuracy": (dims, learner_accuracy, {"units": "fraction"}),
         "simulator_accuracy": (dims, simulator_accuracy, {"units": "fraction"}),
         "deletion_accuracy": (dims + ("deletion",), perturbed["deletion"]),
         "insertion_accuracy": (dims + ("insertion",), perturbed["insertion"]),
         "membrane_accuracy": (dims + ("membrane_noise",), perturbed["membrane"]),
         "adversarial_accuracy": (dims + ("epsilon",), perturbed["adversarial"])},
        coords={"model": list(MODELS), "seed": np.arange(seeds), "epoch": np.arange(1, epochs + 1),
                "noise_scale": ("model", [scale for _, scale in MODELS.values()]),
                "deletion": DELETION, "insertion": INSERTION,
                "membrane_noise": ("membrane_noise", MEMBRANE_NOISE, {"units": "threshold units (SD per step)"}),
                "epsilon": EPSILON},
        attrs={**{f"randman_{key}": value for key, value in data.attrs.items()},
               "n_test": int(data.y_test.size), "n_train": int(data.y_train.size), "epochs": epochs, "seed": seed,
               "quick": int(quick), "network": build_network("gaussian", SPREAD, 0).config_json(),
               **{key: history.attrs[key] for key in TRAINING_ATTRS},  # the last training's: all train alike
               **provenance()},
    )
    dataset = xr.merge([dataset, tuning_fit(quick, seed, epochs=epochs_override)], combine_attrs="no_conflicts")
    dataset.attrs["wall_time_s"] = time.perf_counter() - start
    _log.info("learning: %.1f s", dataset.attrs["wall_time_s"])
    return dataset


PERTURBATIONS = (
    ("deletion_accuracy", "deletion", "input spikes deleted, probability p", "Spike deletion"),
    ("insertion_accuracy", "insertion", "spikes inserted (fraction of the pattern's spikes)", "Spike insertion"),
    ("membrane_accuracy", "membrane_noise", "membrane perturbation SD per step (threshold = 1)",
     "Membrane perturbation"),
    ("adversarial_accuracy", "epsilon", "gradient-sign perturbation epsilon", "Gradient-sign attack (own gradients)"),
)


def _mean_sd(values, axis="seed"):
    return values.mean(axis), values.std(axis, ddof=1) if values.sizes[axis] > 1 else 0 * values.mean(axis)


def figure(data: xr.Dataset):
    """Noise-driven learning figure from results/learning.nc -> figures/out/learning.png (no simulation here).

    Top row: test-accuracy learning curves (mean ± SD over seeds) of every model; final test accuracy
    in the learner and in nsnn_sim.simulate with the same weights; training time per epoch; the
    tuning-curve fit (targets and the rates simulated after training). Bottom row: robustness of the
    trained networks to input spike deletion, spike insertion, a Gaussian current perturbing the
    membrane, and fast-gradient-sign input perturbations from each model's own gradients (mean ± SD
    over seeds). One colour per model in every panel but d (the legend on the right)."""
    from nsnn_sim.experiments import _style as style

    figure, axes = style.subplots(2, 4)
    models = list(data["model"].values)
    epochs = data["epoch"].values
    n_seeds = data.sizes["seed"]
    style.figure_legend(figure, {model: style.key(f"C{m}") for m, model in enumerate(models)}, title="model")

    curves_ax = axes[0, 0]
    for m, model in enumerate(models):
        mean, sd = _mean_sd(data["test_accuracy"].sel(model=model))
        curves_ax.plot(epochs, mean, color=f"C{m}")
        curves_ax.fill_between(epochs, mean - sd, mean + sd, color=f"C{m}", alpha=0.15)
    curves_ax.set_xlabel("epoch")
    curves_ax.set_ylabel("test accuracy (fraction, ± SD)")
    curves_ax.set_title(f"Randman, {data.attrs['randman_n_classes']} classes: learning curves ({n_seeds} seeds)")

    bars_ax = axes[0, 1]
    positions = np.arange(len(models))
    names = [model.replace(" ", "\n", 1) for model in models]
    for offset, (name, label, shade) in zip((-0.2, 0.2), (("learner_accuracy", "learner", "0.35"),
                                                          ("simulator_accuracy", "nsnn_sim.simulate", "0.7"))):
        mean, sd = _mean_sd(data[name])
        bars_ax.bar(positions + offset, mean, 0.4, yerr=sd, color=shade, label=f"{label} (mean ± SD over seeds)")
    bars_ax.set_xticks(positions, names, fontsize=7)
    bars_ax.set_ylabel("test accuracy (fraction)")
    bars_ax.set_ylim(0, 1.05)
    bars_ax.set_title("Same weights, learner vs simulator (independent noise)")
    bars_ax.legend(loc="upper left")

    time_ax = axes[0, 2]
    mean, sd = _mean_sd(data["epoch_time"])
    time_ax.bar(positions, mean, yerr=sd, color=[f"C{m}" for m in range(len(models))])
    time_ax.set_xticks(positions, names, fontsize=7)
    time_ax.set_ylabel("training time per epoch (s, ± SD)")
    time_ax.set_title(f"{data.attrs['n_train']} training patterns per epoch, 2 cores")

    tuning_ax = axes[0, 3]
    stimulus_deg = np.degrees(data["stimulus"].values)
    shown = (0, 4, 8, 12)
    for neuron, shade in zip(shown, style.shades(len(shown))):
        tuning_ax.plot(stimulus_deg, data["target_probability"].sel(neuron=neuron), "-", color=shade)
        tuning_ax.errorbar(stimulus_deg, data["simulated_probability"].sel(neuron=neuron),
                           yerr=2 * data["simulated_probability_se"].sel(neuron=neuron), fmt="o", markersize=3,
                           color=shade, label=f"neuron {neuron}")
    tuning_ax.plot([], [], "k-", label="target")
    tuning_ax.errorbar([], [], yerr=[], fmt="o", markersize=3, color="k", label="simulated after training (± 2 SE)")
    tuning_ax.set_xlabel("orientation (deg)")
    tuning_ax.set_ylabel("spike probability per step")
    tuning_ax.set_title("Tuning-curve fit: learned input weights, run in simulate")
    tuning_ax.legend()

    for ax, (name, dim, xlabel, title) in zip(axes[1], PERTURBATIONS):
        levels = data[dim].values
        for m, model in enumerate(models):
            mean, sd = _mean_sd(data[name].sel(model=model))
            ax.errorbar(levels, mean, yerr=sd, marker="o", markersize=3, color=f"C{m}")
        ax.set_xticks(levels, [f"{level:g}" for level in levels])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("test accuracy (fraction, ± SD)")
        ax.set_ylim(0, 1.02)
        ax.set_title(title)
    return figure


def summary(data: xr.Dataset) -> list[str]:
    final = data["test_accuracy"].isel(epoch=-1)
    lines = [f"Randman, {data.attrs['randman_n_classes']} classes, {data.sizes['seed']} seeds, {data.sizes['epoch']} "
             "epochs: test accuracy " + ", ".join(
                 f"{model} {float(final.sel(model=model).mean()):.3f} +- "
                 f"{float(final.sel(model=model).std(ddof=1)):.3f}"
                 for model in data["model"].values)]
    learner, simulator = data["learner_accuracy"], data["simulator_accuracy"]
    n_test = data.attrs["n_test"]
    standard_error = np.sqrt((learner * (1 - learner) + simulator * (1 - simulator)) / n_test)  # binomial, independent
    z = ((simulator - learner) / standard_error.where(standard_error > 0)).fillna(0.0)
    lines.append(f"same weights in nsnn_sim.simulate minus learner (independent noise, {n_test} test patterns): mean "
                 f"{float((simulator - learner).mean()):+.4f}, largest |difference| "
                 f"{float(abs(simulator - learner).max()):.3f}"
                 f" = {float(abs(z).max()):.2f} binomial SE")
    lines.append("seconds per epoch: " + ", ".join(
        f"{model} {float(data['epoch_time'].sel(model=model).mean()):.2f}" for model in data["model"].values))
    difference = (data["fitted_preferred"] - data["target_preferred"]).values
    error = np.degrees(np.abs(np.angle(np.exp(2j * difference)))) / 2
    fitted = np.isfinite(error)
    lines.append(f"tuning fit: {fitted.sum()} of {error.size} simulated neurons fitted; preferred orientation within "
                 f"{np.max(error[fitted]) if fitted.any() else float('nan'):.1f} deg of the target "
                 f"(median {np.median(error[fitted]) if fitted.any() else float('nan'):.1f} deg)")
    return lines
