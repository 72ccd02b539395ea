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

``--official`` instead runs the paper's own model (nsnn_sim.learn.official: reference firing, sigma
0.4, beta 0.5, reset not detached, same-step layers, per-step linear logits, step cross-entropy) on
the same Randman data, with the same optimiser, epochs and seeds, beside the escape-noise NSNN
above and the variants that lead from one to the other one factor at a time; plus accuracy against
n_ensembles = 1, 2, 4, 8, and, for the official DSNN, how often u == theta exactly (where its strict
``u - theta > 0`` and nsnn_sim's ``u >= theta`` differ) -> results/learning_official.nc:

    python analyses/learning.py --official [--quick] [--seeds 3] [--epochs 30]
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import learn
from nsnn_sim.coding import fit_tuning_curves
from nsnn_sim.reproduce import analysis_arguments

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


def build_network(noise: str, scale: float, seed: int) -> learn.Network:
    layer = learn.SpikingLayer(100, beta=0.9, threshold=1.0, noise=noise, noise_scale=scale if noise != "none" else 0.4,
                               firing="escape", reset="zero", surrogate="gaussian", surrogate_scale=SPREAD)
    return learn.Network(20, [layer], learn.Readout("membrane", n_outputs=N_CLASSES, beta=0.9, reduce="max"),
                         weight_gain=5.0, seed=seed)


def robustness(network, data, seed: int) -> dict:
    """Test accuracy under each perturbation, at each level."""
    x, y = data.x_test, data.y_test
    gradient = learn.input_gradient(network, x, y, seed=seed, n_samples=1 if network.layers[0].noise == "none" else 4)
    accuracy = lambda inputs, **kw: learn.evaluate(network, inputs, y, seed=seed, **kw)["accuracy"]  # noqa: E731
    return {
        "deletion": [accuracy(learn.delete_spikes(x, p, seed)) for p in DELETION],
        "insertion": [accuracy(learn.insert_spikes(x, p, seed)) for p in INSERTION],
        "membrane": [accuracy(x, membrane_noise=float(s)) for s in MEMBRANE_NOISE],
        "adversarial": [accuracy(learn.gradient_sign_attack(network, x, y, eps, gradient=gradient)) for eps in EPSILON],
    }


def tuning_fit(quick: bool, seed: int, epochs: int | None = None) -> xr.Dataset:
    """Fit a population's input weights to von Mises targets; measure the result in simulate."""
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
        attrs={"tuning_n_trials": n_trials, "tuning_kappa": task.attrs["kappa"],
               "tuning_baseline": task.attrs["baseline"], "tuning_gain": task.attrs["gain"]},
    )


# --official: the paper's model and the steps from it to the escape-noise NSNN above, one factor each
ENSEMBLES = np.array([1, 2, 4, 8])


def _official_variant(seed: int, beta: float = 0.5, noise: str = "gaussian", scale: float = 0.4,
                      firing: str = "reference", detach_reset: bool = False, readout: str = "linear"):
    layer = learn.official_layer(100, noise=noise, noise_scale=scale if noise != "none" else None, beta=beta,
                                 **({} if noise == "none" else {"firing": firing}), detach_reset=detach_reset)
    if readout == "linear":
        return learn.Network(20, [layer], learn.Readout("linear", n_outputs=N_CLASSES), weight_gain=5.0, seed=seed,
                             layer_delay=0), "step_cross_entropy"
    return learn.Network(20, [layer], learn.Readout("membrane", n_outputs=N_CLASSES, beta=0.9, reduce="max"),
                         weight_gain=5.0, seed=seed, layer_delay=0), "cross_entropy"


OFFICIAL_VARIANTS = {  # name: builder(seed) -> (network, loss); one hidden layer, so layer_delay plays no role
    "official NSNN": lambda seed: _official_variant(seed),
    "official DSNN (ERF surrogate)": lambda seed: _official_variant(seed, noise="none"),
    "official, reference sigma 0.3/sqrt2": lambda seed: _official_variant(seed, scale=SPREAD / np.sqrt(2)),
    "official, escape SD 0.3": lambda seed: _official_variant(seed, firing="escape", scale=SPREAD),
    "official, membrane readout + CE": lambda seed: _official_variant(seed, readout="membrane"),
    "official, beta 0.9": lambda seed: _official_variant(seed, beta=0.9),
    "official, beta 0.9, escape SD 0.3": lambda seed: _official_variant(seed, beta=0.9, firing="escape", scale=SPREAD),
    "official, beta 0.9, escape SD 0.3, detached": lambda seed: _official_variant(
        seed, beta=0.9, firing="escape", scale=SPREAD, detach_reset=True),
    "escape NSNN gaussian (make learning)": lambda seed: (build_network("gaussian", SPREAD, seed), "cross_entropy"),
}


def _threshold_ties(network, inputs, seed: int) -> tuple[int, float]:
    """How often a deterministic network's potential equals its threshold exactly (where the official
    ``u - theta > 0`` and nsnn_sim's ``u >= theta`` differ), and the outputs' largest change when the
    strict rule is applied (``u > theta`` is ``u >= nextafter(theta, inf)`` in floating point)."""
    trace = learn.forward(network, inputs, seed=seed)
    ties = sum(int(np.sum(layer.u_free == network.parameters[f"{i}.threshold"])) for i, layer in enumerate(trace.layers))
    strict = network.copy()
    for i in range(len(network.layers)):
        strict.parameters[f"{i}.threshold"] = np.nextafter(network.parameters[f"{i}.threshold"], np.inf)
    return ties, float(np.max(np.abs(learn.forward(strict, inputs, seed=seed).outputs - trace.outputs)))


def official_model(args, data, epochs: int, seeds: int) -> xr.Dataset:
    """Every OFFICIAL_VARIANTS model trained on ``data`` as main() trains its models (Adam 1e-2, batch 32,
    network seed args.seed + s, training seed args.seed + 100 s), then measured on the test set."""
    shape = (len(OFFICIAL_VARIANTS), seeds)
    curves, epoch_time, rate = np.zeros(shape + (epochs,)), np.zeros(shape), np.zeros(shape)
    ensemble = np.zeros(shape + (ENSEMBLES.size,))
    simulator_identical = np.zeros(shape, dtype=bool)
    ties, strict_change = np.full(seeds, -1), np.full(seeds, np.nan)
    for v, (name, make) in enumerate(OFFICIAL_VARIANTS.items()):
        for s in range(seeds):
            network, loss = make(args.seed + s)
            history = learn.train(network, data.x_train, data.y_train, loss=loss, epochs=epochs, batch_size=32,
                                  optimizer=learn.Adam(1e-2), seed=args.seed + 100 * s, test_inputs=data.x_test,
                                  test_targets=data.y_test, progress=False)
            curves[v, s] = history["test_accuracy"].values
            epoch_time[v, s] = float(history["epoch_time"][1:].mean())
            ensemble[v, s] = [learn.evaluate(network, data.x_test, data.y_test, loss=loss, seed=1000 + s,
                                             n_ensembles=int(k))["accuracy"] for k in ENSEMBLES]
            learner = learn.evaluate(network, data.x_test, data.y_test, loss=loss, seed=2000 + s)["outputs"]
            simulated = learn.evaluate(network, data.x_test, data.y_test, loss=loss, seed=2000 + s,
                                       engine="simulator")["outputs"]
            simulator_identical[v, s] = np.array_equal(learner, simulated)
            rate[v, s] = float(learn.forward(network, data.x_test, seed=3000 + s).layers[0].spikes.mean())
            if network.layers[0].noise == "none":
                ties[s], strict_change[s] = _threshold_ties(
                    network, np.concatenate([data.x_train, data.x_test]), seed=4000 + s)
            print(f"{name} seed {s}: test accuracy {curves[v, s, -1]:.3f}, ensembles {ENSEMBLES.tolist()}: "
                  f"{np.round(ensemble[v, s], 3).tolist()}, spikes per step {rate[v, s]:.3f}, "
                  f"{epoch_time[v, s]:.2f} s per epoch", flush=True)
    dims = ("variant", "seed")
    return xr.Dataset(
        {"test_accuracy": (dims + ("epoch",), curves, {"units": "fraction"}),
         "ensemble_accuracy": (dims + ("n_ensembles",), ensemble,
                               {"units": "fraction", "long_name": "test accuracy, mean logits of K noisy passes"}),
         "epoch_time": (dims, epoch_time, {"units": "s", "long_name": "training time per epoch (mean of epochs 2+)"}),
         "hidden_rate": (dims, rate, {"units": "spikes per step", "long_name": "hidden spike probability (test)"}),
         "simulator_identical": (dims, simulator_identical.astype(np.int8),
                                 {"long_name": "learner and nsnn_sim.simulate outputs identical (same seed)"}),
         "dsnn_threshold_ties": ("seed", ties, {"long_name": "official DSNN: steps with u == theta exactly, "
                                                             "train + test sets"}),
         "dsnn_strict_output_change": ("seed", strict_change,
                                       {"long_name": "official DSNN: largest output change under u > theta"})},
        coords={"variant": list(OFFICIAL_VARIANTS), "seed": np.arange(seeds), "epoch": np.arange(1, epochs + 1),
                "n_ensembles": ENSEMBLES},
        attrs={**{f"randman_{key}": value for key, value in data.attrs.items()}, "n_test": int(data.y_test.size),
               "n_train": int(data.y_train.size), "epochs": epochs, "seed": args.seed,
               "network": _official_variant(args.seed)[0].config_json(), "nsnn_sim_version": ns.__version__},
    )


def main(argv=None) -> Path:
    def size_options(parser):
        parser.add_argument("--patterns", type=int, help="training and test patterns per class (override)")
        parser.add_argument("--epochs", type=int, help="training epochs (override)")
        parser.add_argument("--seeds", type=int, help="number of seeds (override)")
        parser.add_argument("--official", action="store_true",
                            help="the paper's model and its variants instead -> results/learning_official.nc")

    args = analysis_arguments("learning", __doc__, seed=5, quick_help="fewer patterns, epochs and seeds (< 3 min)",
                              argv=argv, add_options=size_options)
    start = time.perf_counter()
    n_train, epochs, seeds = (40, 10, 3) if args.quick else (100, 30, 3)
    n_train = args.patterns or n_train
    n_test, epochs, seeds = n_train, args.epochs or epochs, args.seeds or seeds
    data = learn.randman(n_classes=N_CLASSES, n_inputs=20, n_steps=50, n_train=n_train, n_test=n_test, manifold_dim=1,
                         alpha=2.0, seed=args.seed)
    if args.official:
        dataset = official_model(args, data, epochs, seeds)
        dataset.attrs["wall_time_s"] = time.perf_counter() - start
        out = args.out.with_name(args.out.stem + "_official.nc")
        out.parent.mkdir(parents=True, exist_ok=True)
        dataset.to_netcdf(out, engine="h5netcdf")
        final = dataset["test_accuracy"].isel(epoch=-1)
        for name in dataset["variant"].values:
            print(f"{name}: {float(final.sel(variant=name).mean()):.3f} +- {float(final.sel(variant=name).std(ddof=1)):.3f}"
                  if seeds > 1 else f"{name}: {float(final.sel(variant=name).mean()):.3f}")
        print(f"wrote {out} in {dataset.attrs['wall_time_s']:.1f} s")
        return out
    shape = (len(MODELS), seeds)
    curves = np.zeros(shape + (epochs,))
    train_curves = np.zeros(shape + (epochs,))
    epoch_time = np.zeros(shape)
    learner_accuracy, simulator_accuracy = np.zeros(shape), np.zeros(shape)
    perturbed = {kind: np.zeros(shape + (levels.size,)) for kind, levels in
                 (("deletion", DELETION), ("insertion", INSERTION), ("membrane", MEMBRANE_NOISE), ("adversarial", EPSILON))}
    for m, (name, (noise, scale)) in enumerate(MODELS.items()):
        for s in range(seeds):
            network = build_network(noise, scale, seed=args.seed + s)
            history = learn.train(network, data.x_train, data.y_train, epochs=epochs, batch_size=32,
                                  optimizer=learn.Adam(1e-2), seed=args.seed + 100 * s, test_inputs=data.x_test,
                                  test_targets=data.y_test, progress=False)
            curves[m, s], train_curves[m, s] = history["test_accuracy"].values, history["accuracy"].values
            epoch_time[m, s] = float(history["epoch_time"][1:].mean())  # the first epoch includes compilation
            learner_accuracy[m, s] = learn.evaluate(network, data.x_test, data.y_test, seed=1000 + s)["accuracy"]
            simulator_accuracy[m, s] = learn.evaluate(network, data.x_test, data.y_test, seed=2000 + s,
                                                      engine="simulator")["accuracy"]
            for kind, values in robustness(network, data, seed=3000 + s).items():
                perturbed[kind][m, s] = values
            print(f"{name} seed {s}: test accuracy {curves[m, s, -1]:.3f} (simulate {simulator_accuracy[m, s]:.3f}), "
                  f"{epoch_time[m, s]:.2f} s per epoch", flush=True)

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
               "n_test": int(data.y_test.size), "n_train": int(data.y_train.size), "epochs": epochs, "seed": args.seed,
               "quick": int(args.quick), "network": build_network("gaussian", SPREAD, 0).config_json(),
               "nsnn_sim_version": ns.__version__},
    )
    dataset = xr.merge([dataset, tuning_fit(args.quick, args.seed, epochs=args.epochs)], combine_attrs="no_conflicts")
    dataset.attrs["wall_time_s"] = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_netcdf(args.out, engine="h5netcdf")
    print(f"wrote {args.out} in {dataset.attrs['wall_time_s']:.1f} s")
    return args.out


if __name__ == "__main__":
    main()
