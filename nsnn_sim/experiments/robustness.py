"""The paper's robustness experiments on real data: official NSNN vs DSNN under the official perturbations.

Claim tested (Ma, Yan & Tang 2023): NSNNs are competitive with deterministic SNNs and more robust to
perturbations. Tasks: scikit-learn's handwritten digits (:func:`nsnn_sim.learn.digits`, constant
analog input for 4 steps, as the official CIFAR pipeline feeds pixels) and Randman spike patterns
(:func:`nsnn_sim.learn.randman`, 20 input channels, event input). Models, all the official ToyNet (input -> one hidden
layer of official neurons, threshold 1, reset to zero not detached -> per-step linear logits, step
cross-entropy, Adam, batch 32; :mod:`nsnn_sim.learn.official`), Gaussian noise SD 0.4, the official
decay 0.5 on digits and 0.9 on Randman (whose classes differ in spike timing over 40 steps: with 0.5
every official model stays near chance, docs/papers_model.rst):

* ``DSNN (ERF surrogate)``: the official deterministic baseline;
* ``NSNN reference (official)``: noise added to the membrane and kept, a Bernoulli draw with the cdf
  of the noisy potential, gradient at the noisy potential (the official NILIF);
* ``NSNN membrane noise``: the clean membrane-noise neuron (spike ``H(u + eps - theta)``, gradient
  ``pdf(u - theta)`` at the noise-free potential);
* ``NSNN escape noise``: spike with probability ``F(u - theta)``, the same gradient.

Every model gets the same tuning budget: each learning rate of ``LEARNING_RATES`` is trained for up
to ``max_epochs`` on 80 % of the training set (tuning seed) and the (learning rate, epoch) with the best
accuracy on the other 20 % is kept; then every seed trains on the whole training set with it. Seeds
are paired across models: seed ``s`` gives every model the same initial weights (network seed
``seed + s``), the same minibatch order and the same evaluation noise seeds.

Perturbations (:mod:`nsnn_sim.learn.perturbations`, :mod:`nsnn_sim.learn.robustness`; the official
protocols of ../shared/REFERENCES.md): spike deletion and insertion in the spiking layer
(``int(p n)`` per sample and layer), membrane noise of SD alpha at every step, FGSM without
clipping (a sign per step of the input), the L2-sphere attack (digits: Adam lr 0.002, 30 steps), both
attacks also with the gradient averaged over ``K`` noisy passes (EOT; for the deterministic DSNN
the same attack), and EventDrop on Randman's event input. Test accuracy with ``n_ensembles`` 1 and 4;
NSNN minus DSNN per level, paired t-tests over seeds, Holm-corrected over the nonzero levels of each
perturbation.

The gradient attacks run on the first 200 test samples (quick: 100 of 150).

    python analyses/robustness.py [--quick] [--seeds 10] [--max-epochs 15] [--out results/robustness.nc]
    python figures/robustness.py

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('robustness')
>>> experiment.description
'Official NSNN vs DSNN on digits and Randman under the official perturbations (Holm-corrected).'
>>> experiment.seed, experiment.module.__name__
(11, 'nsnn_sim.experiments.robustness')
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import xarray as xr
from scipy import stats

from nsnn_sim import learn
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance

_log = get_logger(__name__)

DESCRIPTION = "Official NSNN vs DSNN on digits and Randman under the official perturbations (Holm-corrected)."
SEED = 11
ORDER = 62
REQUIRES = {"sklearn": "learn"}

MODELS = {  # name: official_layer settings (Gaussian SD 0.4, the official default)
    "DSNN (ERF surrogate)": {"noise": "none"},
    "NSNN reference (official)": {"noise": "gaussian"},
    "NSNN membrane noise": {"noise": "gaussian", "firing": "membrane"},
    "NSNN escape noise": {"noise": "gaussian", "firing": "escape"},
}
DSNN = "DSNN (ERF surrogate)"
MODEL_KEYS = dict(zip(("dsnn", "reference", "membrane", "escape"), MODELS))
"""Short names for ``--models``."""
TASKS = ("digits", "randman")
ENSEMBLES = np.array([1, 4])
LEARNING_RATES = np.array([3e-3, 1e-2, 3e-2])
PERTURBATIONS = {  # name: (levels, axis label with units, tasks)
    "deletion": ([0.0, 0.05, 0.1, 0.2, 0.3], "spike deletion p (fraction of each layer's spikes)", TASKS),
    "insertion": ([0.0, 0.05, 0.1, 0.2, 0.3], "spike insertion p (fraction of silent slots)", TASKS),
    "membrane": ([0.0, 0.1, 0.2, 0.4, 0.8], "membrane noise SD alpha (threshold units)", TASKS),
    "fgsm": ([0.0, 0.02, 0.05, 0.1, 0.2], "FGSM epsilon (input units per step)", TASKS),
    "fgsm_eot": ([0.0, 0.02, 0.05, 0.1, 0.2], "FGSM-EOT epsilon (input units per step)", TASKS),
    "l2": ([0.0, 0.25, 0.5, 1.0, 2.0], "L2-sphere radius gamma (input units)", ("digits",)),
    "l2_eot": ([0.0, 0.25, 0.5, 1.0, 2.0], "L2-sphere-EOT radius gamma (input units)", ("digits",)),
    "eventdrop": ([0.0, 0.1, 0.25, 0.4, 0.5], "EventDrop p (fraction of input events)", ("randman",)),
}
QUICK_LEVELS = [0, 2, 4]  # the level indices kept in quick mode


OPTIONS = {"--seeds": {"type": int, "help": "training seeds per model (default 10; quick: 2)"},
           "--max-epochs": {"type": int, "help": "epochs of the tuning search (default 15; quick: 5)"},
           "--tasks": {"help": "comma-separated subset of digits,randman (default both)"},
           "--models": {"help": "comma-separated subset of dsnn,reference,membrane,escape (default all; runs of "
                                "separate models combine with merge_runs)"},
           "--attack-samples": {"type": int, "help": "test samples the gradient attacks run on (override)"}}


def _sizes(quick: bool) -> dict:
    if quick:
        return {"seeds": 2, "max_epochs": 5, "learning_rates": LEARNING_RATES[1:2], "digits_hidden": 64,
                "randman_hidden": 64, "randman_per_class": 15, "randman_steps": 30, "eot_passes": 2,
                "test_limit": 150, "attack_limit": 100}
    return {"seeds": 10, "max_epochs": 15, "learning_rates": LEARNING_RATES, "digits_hidden": 100,
            "randman_hidden": 100, "randman_per_class": 20, "randman_steps": 50, "eot_passes": 4,
            "test_limit": None, "attack_limit": 150}


def _task_data(task: str, sizes: dict, seed: int):
    """``(data, n_hidden, weight_gain, beta)`` of a task."""
    if task == "digits":
        return learn.digits(n_steps=4, test_fraction=0.2, seed=seed), sizes["digits_hidden"], 3.0, 0.5
    data = learn.randman(n_classes=10, n_inputs=20, n_steps=sizes["randman_steps"], n_train=sizes["randman_per_class"],
                         n_test=sizes["randman_per_class"], manifold_dim=1, alpha=2.0, seed=seed)
    return data, sizes["randman_hidden"], 5.0, 0.9


def build_model(model: str, n_inputs: int, n_hidden: int, weight_gain: float, seed: int,
                beta: float = 0.5) -> learn.Network:
    """The official ToyNet with the hidden neuron of ``MODELS[model]`` and decay ``beta``."""
    layer = learn.official_layer(n_hidden, beta=beta, **MODELS[model])
    return learn.Network(n_inputs, [layer], learn.Readout("linear", n_outputs=10), weight_gain=weight_gain,
                         seed=seed, layer_delay=0)


def _tune(model: str, data, n_hidden: int, gain: float, beta: float, sizes: dict, seed: int) -> tuple[float, int]:
    """The (learning rate, epochs) with the best validation accuracy (80/20 split of the training set)."""
    n_train = data.y_train.size
    order = np.random.default_rng([seed, 0x7475]).permutation(n_train)
    fit, validation = order[: int(0.8 * n_train)], order[int(0.8 * n_train):]
    best = (-1.0, None, None)
    for rate in sizes["learning_rates"]:
        network = build_model(model, data.x_train.shape[2], n_hidden, gain, seed=seed + 999, beta=beta)
        history = learn.train(network, data.x_train[fit], data.y_train[fit], loss="step_cross_entropy",
                              epochs=sizes["max_epochs"], optimizer=learn.Adam(float(rate)), seed=seed + 999,
                              test_inputs=data.x_train[validation], test_targets=data.y_train[validation],
                              progress=False)
        accuracy = history["test_accuracy"].values
        epoch = int(np.argmax(accuracy))
        if accuracy[epoch] > best[0]:
            best = (float(accuracy[epoch]), float(rate), epoch + 1)
    return best[1], best[2]


def _perturbed_accuracy(network, data, kind: str, levels, sizes: dict, seed: int) -> np.ndarray:
    """Test accuracy ``(level, n_ensembles)`` under perturbation ``kind`` (the gradient attacks on the
    first ``attack_limit`` test samples)."""
    x, y = data.x_test, data.y_test
    if kind in ("fgsm", "fgsm_eot", "l2", "l2_eot"):
        x, y = x[:sizes["attack_limit"]], y[:sizes["attack_limit"]]
    result = np.full((len(levels), ENSEMBLES.size), np.nan)
    accuracy = lambda inputs, **kw: [learn.evaluate(network, inputs, y, loss="step_cross_entropy",  # noqa: E731
                                                    seed=5000 + seed, n_ensembles=int(k), **kw).accuracy
                                     for k in ENSEMBLES]
    deterministic = network.layers[0].noise == "none"
    passes = 1 if (deterministic or not kind.endswith("_eot")) else sizes["eot_passes"]
    if kind in ("fgsm", "fgsm_eot"):
        gradient = learn.input_gradient(network, x, y, seed=3000 + seed, n_samples=passes)
    for index, level in enumerate(levels):
        if level == 0.0:
            result[index] = accuracy(x)
        elif kind in ("deletion", "insertion"):
            hook = learn.SpikePerturbation("delete" if kind == "deletion" else "insert", level, seed=4000 + seed)
            result[index] = accuracy(x, spike_hook=hook)
        elif kind == "membrane":
            result[index] = accuracy(x, membrane_noise=float(level))
        elif kind in ("fgsm", "fgsm_eot"):
            result[index] = accuracy(learn.gradient_sign_attack(network, x, y, level, gradient=gradient))
        elif kind in ("l2", "l2_eot"):
            result[index] = accuracy(learn.l2_sphere_attack(network, x, y, level, n_samples=passes, seed=3000 + seed))
        elif kind == "eventdrop":
            result[index] = accuracy(learn.event_drop(x, level, seed=4000 + seed))
    return result


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979, Scand J Stat 6:65): with the ordered
    ``p_(1) <= p_(2)`` up to ``p_(m)``,
    ``p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``; NaN entries are left out and stay NaN."""
    p_values = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(p_values.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p_values))
    order = finite[np.argsort(p_values[finite], kind="stable")]
    m = order.size
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def paired_tests(accuracy: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """NSNN minus DSNN over seeds: mean difference and Holm-adjusted two-sided paired t-test p-values
    over the nonzero levels of each (task, model, perturbation, n_ensembles); level 0 and the DSNN: NaN.
    Zero-variance differences (identical accuracies) count as p = 1."""
    difference = accuracy - accuracy.sel(model=DSNN)
    values = difference.transpose("task", "model", "perturbation", "n_ensembles", "level", "seed").values
    adjusted = np.full(values.shape[:-1], np.nan)
    for index in np.ndindex(values.shape[:4]):
        if accuracy["model"].values[index[1]] == DSNN:
            continue
        raw = np.full(values.shape[4], np.nan)
        for level in range(1, values.shape[4]):
            sample = values[index + (level,)]
            if np.all(np.isfinite(sample)):
                if np.all(sample == sample[0]):
                    raw[level] = 1.0
                else:
                    with warnings.catch_warnings():  # nearly equal differences: scipy warns, the p-value stands
                        warnings.simplefilter("ignore", RuntimeWarning)
                        raw[level] = float(stats.ttest_rel(sample, 0 * sample).pvalue)
        adjusted[index] = holm(raw)
    dims = ("task", "model", "perturbation", "n_ensembles", "level")
    coords = {dim: accuracy[dim] for dim in dims}
    return (difference.mean("seed"), xr.DataArray(adjusted, dims=dims, coords=coords))


def run(quick: bool = False, seed: int = SEED, seeds: int | None = None, max_epochs: int | None = None,
        tasks: str | None = None, attack_samples: int | None = None, models: str | None = None) -> xr.Dataset:
    """Tune, train and perturb every model of ``MODELS`` on every task (full: 10 seeds, up to 15 epochs,
    3 learning rates, 5 levels, EOT over 4 passes; quick: 2 seeds, 5 epochs, 1 learning rate, 3 levels,
    2 passes, smaller test sets)."""
    start = time.perf_counter()
    sizes = _sizes(quick)
    sizes["seeds"] = seeds or sizes["seeds"]
    sizes["max_epochs"] = max_epochs or sizes["max_epochs"]
    sizes["attack_limit"] = attack_samples or sizes["attack_limit"]
    chosen = TASKS if tasks is None else tuple(name.strip() for name in tasks.split(","))
    if not chosen or any(name not in TASKS for name in chosen):
        raise ValueError(f"tasks={tasks!r} is not allowed; give a comma-separated subset of {TASKS}")
    keys = tuple(MODEL_KEYS) if models is None else tuple(name.strip() for name in models.split(","))
    if not keys or any(key not in MODEL_KEYS for key in keys):
        raise ValueError(f"models={models!r} is not allowed; give a comma-separated subset of {tuple(MODEL_KEYS)}")
    names = [MODEL_KEYS[key] for key in keys]
    keep = QUICK_LEVELS if quick else list(range(5))
    kinds = list(PERTURBATIONS)
    shape = (len(chosen), len(names), sizes["seeds"], len(kinds), len(keep), ENSEMBLES.size)
    accuracy = np.full(shape, np.nan)
    rates, epochs = np.zeros((len(chosen), len(names))), np.zeros((len(chosen), len(names)), dtype=np.int64)
    epoch_time, hidden_rate = np.zeros(shape[:3]), np.zeros(shape[:3])
    sizes_attrs = {}
    for t, task in enumerate(chosen):
        data, n_hidden, gain, beta = _task_data(task, sizes, seed)
        data.x_test, data.y_test = data.x_test[:sizes["test_limit"]], data.y_test[:sizes["test_limit"]]
        sizes_attrs.update({f"{task}_n_train": int(data.y_train.size), f"{task}_n_test": int(data.y_test.size),
                            f"{task}_n_steps": int(data.x_train.shape[1]), f"{task}_n_hidden": n_hidden,
                            f"{task}_weight_gain": gain, f"{task}_beta": beta})
        for m, model in enumerate(names):
            rates[t, m], epochs[t, m] = _tune(model, data, n_hidden, gain, beta, sizes, seed)
            for s in range(sizes["seeds"]):
                network = build_model(model, data.x_train.shape[2], n_hidden, gain, seed=seed + s, beta=beta)
                history = learn.train(network, data.x_train, data.y_train, loss="step_cross_entropy",
                                      epochs=int(epochs[t, m]), optimizer=learn.Adam(rates[t, m]),
                                      seed=seed + 100 * s, progress=False)
                epoch_time[t, m, s] = float(history["epoch_time"].values[-1])
                hidden_rate[t, m, s] = float(learn.forward(network, data.x_test, seed=6000 + s).layers[0].spikes.mean())
                for k, kind in enumerate(kinds):
                    levels, _, tasks = PERTURBATIONS[kind]
                    if task in tasks:
                        accuracy[t, m, s, k] = _perturbed_accuracy(network, data, kind, [levels[i] for i in keep],
                                                                   sizes, s)
                clean = accuracy[t, m, s, 0, 0]
                _log.info(f"{task} {model} seed {s}: lr {rates[t, m]:g}, {epochs[t, m]} epochs, clean test "
                          f"accuracy {clean[0]:.3f} (4 passes {clean[1]:.3f})")
    levels = np.array([[PERTURBATIONS[kind][0][i] for i in keep] for kind in kinds])
    dims = ("task", "model", "seed", "perturbation", "level", "n_ensembles")
    coords = {"task": list(chosen), "model": names, "seed": np.arange(sizes["seeds"]), "perturbation": kinds,
              "level": np.arange(len(keep)), "n_ensembles": ENSEMBLES,
              "level_value": (("perturbation", "level"), levels)}
    dataset = xr.Dataset(
        {"accuracy": (dims, accuracy, {"units": "fraction", "long_name": "test accuracy"}),
         "learning_rate": (("task", "model"), rates, {"long_name": "tuned Adam learning rate"}),
         "epochs": (("task", "model"), epochs, {"long_name": "tuned number of epochs"}),
         "epoch_time": (dims[:3], epoch_time, {"units": "s", "long_name": "time of the last training epoch"}),
         "hidden_rate": (dims[:3], hidden_rate, {"units": "spikes per step", "long_name": "hidden spike probability"})},
        coords=coords,
        attrs={"seed": seed, "quick": int(quick), "max_epochs": sizes["max_epochs"], "eot_passes": sizes["eot_passes"],
               "attack_samples": sizes["attack_limit"],
               "learning_rates": np.asarray(sizes["learning_rates"]), "n_seeds": sizes["seeds"],
               "level_labels": [PERTURBATIONS[kind][1] for kind in kinds], **sizes_attrs, **provenance()},
    )
    dataset.attrs["wall_time_s"] = time.perf_counter() - start
    return _with_tests(dataset)


def _with_tests(dataset: xr.Dataset) -> xr.Dataset:
    """``dataset`` with ``difference`` and ``p_holm`` (:func:`paired_tests`), if it has the DSNN."""
    if DSNN not in dataset["model"].values:
        return dataset
    difference, adjusted = paired_tests(dataset["accuracy"])
    dataset["difference"] = difference.assign_attrs(units="fraction", long_name="NSNN minus DSNN, mean over seeds")
    dataset["p_holm"] = adjusted.assign_attrs(long_name="Holm-adjusted paired t-test p, NSNN vs DSNN")
    return dataset


def merge_runs(datasets) -> xr.Dataset:
    """Runs of separate models (``--models``; the same task, seeds and sizes) as one dataset with the
    paired tests. Every draw is keyed by seed, not by model, so this equals one run of all the models."""
    datasets = [data.drop_vars(["difference", "p_holm"], errors="ignore") for data in datasets]
    merged = xr.concat(datasets, dim="model", data_vars="minimal", coords="minimal", compat="override",
                       combine_attrs="override")
    merged.attrs["wall_time_s"] = float(sum(data.attrs["wall_time_s"] for data in datasets))
    return _with_tests(merged)


def _panels(data: xr.Dataset):
    return [(task, kind) for task in data["task"].values for kind in data["perturbation"].values
            if np.isfinite(data["accuracy"].sel(task=task, perturbation=kind)).any()]


def figure(data: xr.Dataset):
    """One panel per (task, perturbation): test accuracy (mean ± SE over seeds) against the level, each
    model with 1 (solid) and 4 (dashed) noisy passes."""
    from nsnn_sim.experiments import _style as style

    panels = _panels(data)
    columns = 4
    rows = int(np.ceil(len(panels) / columns))
    figure_, axes = style.subplots(rows, columns, squeeze=False)
    labels = dict(zip(data["perturbation"].values, data.attrs["level_labels"]))
    n_seeds = data.sizes["seed"]
    for ax, (task, kind) in zip(axes.flat, panels):
        x = data["level_value"].sel(perturbation=kind).values
        for m, model in enumerate(data["model"].values):
            for k, linestyle in zip(data["n_ensembles"].values, ("-", "--")):
                values = data["accuracy"].sel(task=task, model=model, perturbation=kind, n_ensembles=k)
                se = values.std("seed", ddof=1) / np.sqrt(n_seeds) if n_seeds > 1 else None
                ax.errorbar(x, values.mean("seed"), yerr=se, color=f"C{m}", linestyle=linestyle, marker="o",
                            markersize=3, label=f"{model}, {int(k)} pass{'es' if k > 1 else ''}")
        ax.set_xlabel(labels[kind])
        ax.set_ylabel("test accuracy (fraction, ± SE)")
        ax.set_ylim(0, 1)
        ax.set_title(f"{task}: {kind}")
    spare = list(axes.flat)[len(panels):]
    for ax in spare:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    title = f"mean ± SE over {n_seeds} paired seeds"
    if spare:  # the legend in an empty panel, clear of the curves
        spare[0].legend(handles, names, loc="center", title=title)
    else:
        figure_.legend(handles, names, loc="outside lower center", ncol=4, title=title)
    figure_.suptitle("Official perturbations: NSNNs vs the DSNN (ToyNet, Gaussian noise SD 0.4)")
    return figure_


def summary(data: xr.Dataset) -> list[str]:
    """Clean accuracies with seeds and epochs, then per (task, perturbation) the verdict for each NSNN."""
    lines = []
    n_seeds = data.sizes["seed"]
    clean = data["accuracy"].sel(perturbation="deletion", level=0)
    for task in data["task"].values:
        parts = []
        for model in data["model"].values:
            values = clean.sel(task=task, model=model)
            se = values.std("seed", ddof=1) / np.sqrt(n_seeds) if n_seeds > 1 else values.mean("seed") * np.nan
            parts.append(f"{model} {float(values.sel(n_ensembles=1).mean()):.3f} +- {float(se.sel(n_ensembles=1)):.3f}"
                         f" (4 passes {float(values.sel(n_ensembles=4).mean()):.3f}; lr "
                         f"{float(data['learning_rate'].sel(task=task, model=model)):g}, "
                         f"{int(data['epochs'].sel(task=task, model=model))} epochs)")
        lines.append(f"{task} clean test accuracy over {n_seeds} seeds: " + "; ".join(parts))
    short = {model: model.split()[1] for model in data["model"].values if model != DSNN}
    tally = {"better": 0, "worse": 0, "neither": 0}
    for task, kind in _panels(data):
        levels = data["level_value"].sel(perturbation=kind).values
        largest, better, worse = [], [], []
        for model, name in short.items():
            cell = {}
            for k in data["n_ensembles"].values:
                p = data["p_holm"].sel(task=task, model=model, perturbation=kind, n_ensembles=k).values
                d = data["difference"].sel(task=task, model=model, perturbation=kind, n_ensembles=k).values
                cell[int(k)] = f"{d[-1]:+.3f}"
                up = [f"{levels[i]:g}" for i in range(1, p.size) if p[i] < 0.05 and d[i] > 0]
                down = [f"{levels[i]:g}" for i in range(1, p.size) if p[i] < 0.05 and d[i] < 0]
                better += [f"{name} x{int(k)} at {', '.join(up)}"] if up else []
                worse += [f"{name} x{int(k)} at {', '.join(down)}"] if down else []
                tally["better" if up and not down else "worse" if down and not up else "neither"] += 1
            largest.append(f"{name} {' / '.join(cell.values())}")
        lines.append(f"{task} {kind} (levels {', '.join(f'{v:g}' for v in levels)}): NSNN - DSNN at the largest level "
                     f"(1 / 4 passes) {'; '.join(largest)}; Holm-significant better: {'; '.join(better) or 'none'}; "
                     f"worse: {'; '.join(worse) or 'none'}")
    lines.append(f"Verdict over (task, perturbation, NSNN, passes) cells: NSNN significantly better at some level in "
                 f"{tally['better']}, worse in {tally['worse']}, neither (or mixed) in {tally['neither']} "
                 f"(two-sided paired t-tests over {n_seeds} seeds, Holm over the nonzero levels, alpha 0.05)")
    lines.append(f"wall time {data.attrs['wall_time_s']:.0f} s")
    return lines
