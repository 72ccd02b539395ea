"""Memory in NSNN layers: a delayed match-to-sample task for plain, synaptic and adaptive layers.

Question (issue 28): does a synaptic trace or an adaptive threshold give the paper's NSNN the memory its
membrane lacks (the official decay 0.5 forgets within two steps)? Task: 20 input channels in two groups of
10; a cue (5 steps, one group firing with probability 0.5 per step, the other at the background 0.02),
a delay of ``D`` steps at the background, a probe (5 steps, one group); the label is 1 when the probe's
group is the cue's. A network whose spikes depend only on the last few steps' input answers from a time
average that adds a cue term and a probe term, which cannot separate match from non-match (XOR): chance,
0.5. Only a state that carries the cue to the probe can.

Models, each one hidden layer of 64 official neurons (:func:`nsnn_sim.learn.official_layer`: Gaussian noise
0.4, reference firing, zero reset not detached, threshold 1, no recurrence) -> per-step linear logits, the
cross-entropy of their time average, Adam 1e-2, batch 32; they differ only in the neuron's state:

* ``official``: beta 0.5 fixed (the paper's network);
* ``learned beta``: beta from 0.5, learned per neuron;
* ``synaptic``: a synaptic trace, ``alpha_syn`` from 0.8, learned per neuron;
* ``adaptive``: an adaptive threshold, ``threshold_decay`` from 0.9 and ``threshold_jump`` from 0.5, both
  learned per neuron (:doc:`/learning`, "Synaptic and adaptive layers").

Seeds are paired: seed ``s`` gives every model the same data, initial weights, minibatch order and noise
seeds. Test accuracy (one noisy pass, 256 held-out trials) per (delay, model, seed); the simulator's
accuracy of the same trained networks (``engine="simulator"``, same noise seed) beside it; paired t-tests
over seeds between the models, Holm-corrected over every comparison of the run.

    python analyses/learning_memory.py [--quick] [--seeds 10] [--epochs 20] [--out results/learning_memory.nc]
    python figures/learning_memory.py

Examples
--------
>>> from nsnn_sim.experiments import get
>>> get('learning_memory').seed
29
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import xarray as xr
from scipy import stats

from nsnn_sim import learn
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.experiments.robustness import holm

_log = get_logger(__name__)

DESCRIPTION = "Delayed match-to-sample: plain, synaptic and adaptive NSNN layers, paired over seeds (Holm)."
SEED = 29
ORDER = 63
MODELS = {  # name: official_layer overrides
    "official": {},
    "learned beta": {"learn_beta": True},
    "synaptic": {"alpha_syn": 0.8, "learn_alpha_syn": True},
    "adaptive": {"threshold_decay": 0.9, "threshold_jump": 0.5, "learn_threshold_decay": True,
                 "learn_threshold_jump": True},
}
GROUP, CUE_STEPS, PROBE_STEPS, RATE, BACKGROUND = 10, 5, 5, 0.5, 0.02
N_HIDDEN, WEIGHT_GAIN, LEARNING_RATE, BATCH_SIZE = 64, 3.0, 1e-2, 32
QUICK = {"seeds": 2, "epochs": 3}
OPTIONS = {"--seeds": {"type": int, "help": "paired training seeds (default 10; quick: 2)"},
           "--epochs": {"type": int, "help": "training epochs (default 20; quick: 3)"}}


def delayed_match(n_trials: int, delay: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, labels)``: ``n_trials`` 0/1 patterns ``(trial, CUE_STEPS + delay + PROBE_STEPS, 2*GROUP)`` and
    labels 1 (the probe's group is the cue's) or 0; cue and probe groups independent and uniform."""
    generator = np.random.default_rng(seed)
    cue, probe = generator.integers(0, 2, n_trials), generator.integers(0, 2, n_trials)
    n_steps = CUE_STEPS + delay + PROBE_STEPS
    probability = np.full((n_trials, n_steps, 2 * GROUP), BACKGROUND)
    channels = np.arange(2 * GROUP) // GROUP  # the group of each channel
    probability[:, :CUE_STEPS] = np.where(channels == cue[:, None], RATE, BACKGROUND)[:, None]
    probability[:, CUE_STEPS + delay:] = np.where(channels == probe[:, None], RATE, BACKGROUND)[:, None]
    return (generator.random(probability.shape) < probability).astype(float), (cue == probe).astype(np.int64)


def build_model(model: str, seed: int) -> learn.Network:
    """The network of ``model`` (:data:`MODELS`) with the initial weights of ``seed``."""
    return learn.Network(2 * GROUP, [learn.official_layer(N_HIDDEN, **MODELS[model])],
                         learn.Readout("linear", n_outputs=2), weight_gain=WEIGHT_GAIN, seed=seed, layer_delay=0)


def _train_and_test(model: str, delay: int, seed: int, s: int, sizes: dict) -> tuple[float, float, float]:
    """Test accuracy in the learner and in the simulator, and the last epoch's time, of one trained network.

    Seeds of pair ``s``: training data ``seed + 1000 s``, test data ``seed + 1000 s + 500``, initial weights
    ``seed + s``, minibatch order and training noise ``seed + 100 s``, test noise ``seed + 7000 + s``.
    """
    x_train, y_train = delayed_match(sizes["n_train"], delay, seed + 1000 * s)
    x_test, y_test = delayed_match(sizes["n_test"], delay, seed + 1000 * s + 500)
    network = build_model(model, seed + s)
    history = learn.train(network, x_train, y_train, epochs=sizes["epochs"], batch_size=BATCH_SIZE,
                          optimizer=learn.Adam(LEARNING_RATE), seed=seed + 100 * s, progress=False)
    learner = learn.evaluate(network, x_test, y_test, seed=seed + 7000 + s).accuracy
    simulator = learn.evaluate(network, x_test, y_test, seed=seed + 7000 + s, engine="simulator").accuracy
    return learner, simulator, float(history["epoch_time"].values[-1])


def run(quick: bool = False, seed: int = SEED, seeds: int | None = None, epochs: int | None = None) -> xr.Dataset:
    """Train and test every model of :data:`MODELS` at every delay (full: delays 5 and 15, 10 seeds, 20 epochs,
    256 training and 256 test trials; quick: delay 5, 2 seeds, 3 epochs, 64 and 64)."""
    start = time.perf_counter()
    delays = [5] if quick else [5, 15]
    sizes = {"seeds": seeds or (2 if quick else 10), "epochs": epochs or (3 if quick else 20),
             "n_train": 64 if quick else 256, "n_test": 64 if quick else 256}
    names = list(MODELS)
    shape = (len(delays), len(names), sizes["seeds"])
    learner, simulator, epoch_time = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for (d, delay), (m, model), s in itertools.product(enumerate(delays), enumerate(names), range(sizes["seeds"])):
        learner[d, m, s], simulator[d, m, s], epoch_time[d, m, s] = _train_and_test(model, delay, seed, s, sizes)
        _log.info(f"delay {delay} {model} seed {s}: test accuracy {learner[d, m, s]:.3f}")
    dims = ("delay", "model", "seed")
    dataset = xr.Dataset(
        {"accuracy": (dims, learner, {"units": "fraction", "long_name": "test accuracy (learner)"}),
         "simulator_accuracy": (dims, simulator, {"units": "fraction", "long_name": "test accuracy (simulate)"}),
         "epoch_time": (dims, epoch_time, {"units": "s", "long_name": "time of the last training epoch"})},
        coords={"delay": delays, "model": names, "seed": np.arange(sizes["seeds"])},
        attrs={"seed": seed, "quick": int(quick), "epochs": sizes["epochs"], "n_train": sizes["n_train"],
               "n_test": sizes["n_test"], "n_hidden": N_HIDDEN, **provenance()})
    dataset.attrs["wall_time_s"] = time.perf_counter() - start
    return with_tests(dataset)


def with_tests(dataset: xr.Dataset) -> xr.Dataset:
    """``dataset`` with, for every (delay, pair of models), the mean paired difference ``difference`` (first
    minus second) and its two-sided paired t-test p-value Holm-adjusted over every comparison, ``p_holm``
    (NaN with fewer than 2 seeds; identical accuracies count as p = 1)."""
    names = list(dataset["model"].values)
    pairs = [f"{a} - {b}" for a, b in itertools.combinations(names, 2)]
    difference = np.zeros((dataset.sizes["delay"], len(pairs)))
    p_values = np.full(difference.shape, np.nan)
    for d in range(dataset.sizes["delay"]):
        for k, (a, b) in enumerate(itertools.combinations(names, 2)):
            paired = (dataset["accuracy"].isel(delay=d).sel(model=a) - dataset["accuracy"].isel(delay=d).sel(model=b))
            difference[d, k] = float(paired.mean())
            if paired.size > 1:
                p_values[d, k] = 1.0 if np.all(paired.values == paired.values[0]) else stats.ttest_1samp(
                    paired.values, 0.0).pvalue
    dataset = dataset.assign_coords(pair=pairs)
    dataset["difference"] = (("delay", "pair"), difference,
                             {"units": "fraction", "long_name": "mean paired difference"})
    dataset["p_holm"] = (("delay", "pair"), holm(p_values.ravel()).reshape(p_values.shape),
                         {"long_name": "Holm-adjusted paired t-test p"})
    return dataset


def figure(data: xr.Dataset):
    """Test accuracy (every seed, and mean ± SD over seeds) of each model at each delay; chance 0.5."""
    from nsnn_sim.experiments import _style as style

    figure_, axes = style.subplots(1, data.sizes["delay"], squeeze=False)
    for ax, delay in zip(axes.flat, data["delay"].values):
        for m, model in enumerate(data["model"].values):
            values = data["accuracy"].sel(delay=delay, model=model).values
            ax.plot(np.full(values.size, m) + np.linspace(-0.15, 0.15, values.size), values, "o", color=f"C{m}",
                    alpha=0.5, markersize=3)
            sd = values.std(ddof=1) if values.size > 1 else 0.0
            ax.errorbar(m + 0.3, values.mean(), yerr=sd, color=f"C{m}", marker="s", capsize=3)
        ax.axhline(0.5, color="0.5", linestyle=":", label="chance")
        ax.set_xticks(range(data.sizes["model"]), data["model"].values)
        ax.set_ylabel("test accuracy (fraction; mean ± SD)")
        ax.set_ylim(0.3, 1.0)
        ax.set_title(f"delay {int(delay)} steps")
    figure_.suptitle(f"Delayed match-to-sample, {data.sizes['seed']} paired seeds")
    return figure_


def summary(data: xr.Dataset) -> list[str]:
    """Mean ± SD test accuracy per (delay, model), then every paired difference with its Holm p-value."""
    lines = []
    for delay in data["delay"].values:
        parts = [f"{model} {float(values.mean()):.3f} +- {float(values.std(ddof=1)) if values.size > 1 else 0:.3f}"
                 for model in data["model"].values
                 for values in [data["accuracy"].sel(delay=delay, model=model).values]]
        lines.append(f"delay {int(delay)}: test accuracy (mean +- SD over {data.sizes['seed']} seeds): "
                     + "; ".join(parts))
        lines.append(f"delay {int(delay)}: paired differences (Holm p): " + "; ".join(
            f"{pair} {float(data['difference'].sel(delay=delay, pair=pair)):+.3f} "
            f"(p {float(data['p_holm'].sel(delay=delay, pair=pair)):.2g})" for pair in data["pair"].values))
    mismatch = float(np.abs(data["accuracy"] - data["simulator_accuracy"]).max())
    lines.append(f"learner vs simulate (same networks and noise seeds): largest accuracy difference {mismatch:g}")
    return lines
