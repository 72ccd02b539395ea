"""The paper's own NSNN (Ma, Yan & Tang 2023) trained as its official code trains it, on Randman.

The official model (:mod:`nsnn_sim.learn.official`: reference firing, Gaussian sigma 0.4, decay 0.5,
reset not detached, same-step layers, per-step linear logits, step cross-entropy) on the Randman
task of the learning experiment, with the same optimiser, epochs and seeds, beside the escape-noise
NSNN of that experiment and the variants that lead from one to the other one factor at a time; its
seed's DSNN (ERF surrogate); test accuracy against ``n_ensembles`` = 1, 2, 4, 8; whether the learner
and :func:`nsnn_sim.simulate` give identical outputs; and, for the official DSNN, how often
``u == theta`` exactly (where the official ``u - theta > 0`` and nsnn_sim's ``u >= theta`` differ).

    python analyses/learning_official.py [--quick] [--seeds 3] [--epochs 30] [--out results/learning_official.nc]
    python figures/learning_official.py

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('learning_official')
>>> experiment.description
"The paper's own NSNN (reference firing, step loss, ensembles) on Randman; steps to the escape NSNN."
>>> experiment.seed, experiment.module.__name__
(5, 'nsnn_sim.experiments.learning_official')
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr

from nsnn_sim import learn
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance

# the same task and sizes as the learning experiment, so the same command-line OPTIONS
from nsnn_sim.experiments.learning import N_CLASSES, OPTIONS, SPREAD, build_network  # noqa: F401 (OPTIONS)

_log = get_logger(__name__)

DESCRIPTION = "The paper's own NSNN (reference firing, step loss, ensembles) on Randman; steps to the escape NSNN."
SEED = 5
ORDER = 61
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
    ties = sum(int(np.sum(layer.u_free == network.parameters[f"{i}.threshold"]))
               for i, layer in enumerate(trace.layers))
    strict = network.copy()
    for i in range(len(network.layers)):
        strict.parameters[f"{i}.threshold"] = np.nextafter(network.parameters[f"{i}.threshold"], np.inf)
    return ties, float(np.max(np.abs(learn.forward(strict, inputs, seed=seed).outputs - trace.outputs)))


def _official_model(seed: int, data, epochs: int, seeds: int) -> xr.Dataset:
    """Every OFFICIAL_VARIANTS model trained on ``data`` as main() trains its models (Adam 1e-2, batch 32,
    network seed seed + s, training seed seed + 100 s), then measured on the test set."""
    shape = (len(OFFICIAL_VARIANTS), seeds)
    curves, epoch_time, rate = np.zeros(shape + (epochs,)), np.zeros(shape), np.zeros(shape)
    ensemble = np.zeros(shape + (ENSEMBLES.size,))
    simulator_identical = np.zeros(shape, dtype=bool)
    ties, strict_change = np.full(seeds, -1), np.full(seeds, np.nan)
    for v, (name, make) in enumerate(OFFICIAL_VARIANTS.items()):
        for s in range(seeds):
            network, loss = make(seed + s)
            history = learn.train(network, data.x_train, data.y_train, loss=loss, epochs=epochs, batch_size=32,
                                  optimizer=learn.Adam(1e-2), seed=seed + 100 * s, test_inputs=data.x_test,
                                  test_targets=data.y_test, progress=False)
            curves[v, s] = history["test_accuracy"].values
            epoch_time[v, s] = float(history["epoch_time"][1:].mean())
            ensemble[v, s] = [learn.evaluate(network, data.x_test, data.y_test, loss=loss, seed=1000 + s,
                                             n_ensembles=int(k)).accuracy for k in ENSEMBLES]
            learner = learn.evaluate(network, data.x_test, data.y_test, loss=loss, seed=2000 + s).outputs
            simulated = learn.evaluate(network, data.x_test, data.y_test, loss=loss, seed=2000 + s,
                                       engine="simulator").outputs
            simulator_identical[v, s] = np.array_equal(learner, simulated)
            rate[v, s] = float(learn.forward(network, data.x_test, seed=3000 + s).layers[0].spikes.mean())
            if network.layers[0].noise == "none":
                ties[s], strict_change[s] = _threshold_ties(
                    network, np.concatenate([data.x_train, data.x_test]), seed=4000 + s)
            _log.info(f"{name} seed {s}: test accuracy {curves[v, s, -1]:.3f}, ensembles {ENSEMBLES.tolist()}: "
                      f"{np.round(ensemble[v, s], 3).tolist()}, spikes per step {rate[v, s]:.3f}, "
                      f"{epoch_time[v, s]:.2f} s per epoch")
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
               "n_train": int(data.y_train.size), "epochs": epochs, "seed": seed,
               "network": _official_variant(seed)[0].config_json(), **provenance()},
    )


def run(quick: bool = False, seed: int = SEED, patterns: int | None = None, epochs: int | None = None,
        seeds: int | None = None) -> xr.Dataset:
    """Every variant trained on the learning experiment's Randman data (quick: 40 patterns per class,
    10 epochs; full: 100 and 30; 3 seeds)."""
    start = time.perf_counter()
    n_train, n_epochs, n_seeds = (40, 10, 3) if quick else (100, 30, 3)
    n_train, n_epochs, n_seeds = patterns or n_train, epochs or n_epochs, seeds or n_seeds
    data = learn.randman(n_classes=N_CLASSES, n_inputs=20, n_steps=50, n_train=n_train, n_test=n_train,
                         manifold_dim=1, alpha=2.0, seed=seed)
    dataset = _official_model(seed, data, n_epochs, n_seeds)
    dataset.attrs.update({"quick": int(quick), "wall_time_s": time.perf_counter() - start})
    return dataset


def figure(data: xr.Dataset):
    """a: final test accuracy of every variant (mean ± SD over seeds). b: accuracy against the number of
    noisy passes averaged (ensembles), in the colours of a."""
    from nsnn_sim.experiments import _style as style

    figure_, (accuracy_ax, ensemble_ax) = style.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    final = data["test_accuracy"].isel(epoch=-1)
    variants = list(data["variant"].values)
    colors = [f"C{index % 10}" for index in range(len(variants))]
    positions = np.arange(len(variants))
    several = data.sizes["seed"] > 1
    spread = final.std("seed", ddof=1) if several else final.mean("seed") * 0
    accuracy_ax.barh(positions, final.mean("seed"), xerr=spread, color=colors)
    accuracy_ax.errorbar([], [], xerr=[], fmt="none", color="k", label=f"± SD over {data.sizes['seed']} seeds")
    accuracy_ax.axvline(1 / N_CLASSES, color="k", linestyle=":", label="chance")
    accuracy_ax.set_yticks(positions, variants)
    accuracy_ax.invert_yaxis()
    accuracy_ax.set_xlim(0, 1)
    accuracy_ax.set_xlabel("test accuracy after the last epoch (fraction)")
    accuracy_ax.set_title(f"Randman, {data.attrs['epochs']} epochs: the official model and one-factor steps")
    accuracy_ax.legend(loc="lower right")
    for variant, color in zip(variants, colors):
        values = data["ensemble_accuracy"].sel(variant=variant)
        ensemble_ax.errorbar(data["n_ensembles"], values.mean("seed"),
                             yerr=values.std("seed", ddof=1) if several else None, marker="o", color=color)
    ensemble_ax.set_xscale("log", base=2)
    style.log_ticks(ensemble_ax.xaxis, data["n_ensembles"].values)
    ensemble_ax.set_xlabel("noisy passes averaged, n_ensembles")
    ensemble_ax.set_ylabel("test accuracy (fraction, ± SD over seeds)")
    ensemble_ax.set_title("Ensembles of noisy passes\n(--n_ensembles; colours as in a)")
    return figure_


def summary(data: xr.Dataset) -> list[str]:
    final = data["test_accuracy"].isel(epoch=-1)
    lines = [f"{variant}: {float(final.sel(variant=variant).mean()):.3f} +- "
             f"{float(final.sel(variant=variant).std(ddof=1)):.3f}" for variant in data["variant"].values]
    official = data["ensemble_accuracy"].sel(variant="official NSNN").mean("seed").values
    lines.append("official NSNN, n_ensembles " + ", ".join(f"{int(k)}: {value:.3f}" for k, value in
                                                          zip(data["n_ensembles"].values, official)))
    lines.append(f"learner and simulate identical in {int(data['simulator_identical'].sum())} of "
                 f"{data['simulator_identical'].size} trained networks; official DSNN u == theta "
                 f"{data['dsnn_threshold_ties'].values.tolist()} times")
    return lines
