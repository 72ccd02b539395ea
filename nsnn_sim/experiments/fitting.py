"""Fitting noisy spiking neurons to spike trains by maximum likelihood -> results/fitting.nc.

A population with orientation-tuned drive is "recorded": each neuron receives ``w . x[t]`` with the
covariates ``x[t] = (1, cos 2 theta(t), sin 2 theta(t))`` of an orientation stimulus ``theta(t)`` shown in
blocks of 100 ms (16 orientations in random order), i.e. a cosine-tuned drive with a preferred orientation.
Four generating models: the NSNN and the LIF, each with logistic and with Gaussian escape noise. Each data set
is fitted (:func:`nsnn_sim.fit.fit_escape`: three weights, decay, noise scale per neuron) with both noise
families, and compared with a Poisson GLM with a spike-history filter, on held-out data (bits per spike over a
homogeneous Poisson model) and by time rescaling (KS test). The true-family fit's parameters are shown
against the truth with their SEs, and the fitted model is simulated with the held-out stimulus: its tuning
curves and ISI distributions against the recorded ones. Finally the NSNN-logistic recording goes through Neo
(``SpikeTrains.to_neo`` -> ``SpikeTrains.from_neo``, if the ``neo`` extra is installed) and is fitted again.

    python analyses/fitting.py [--quick] [--out results/fitting.nc]

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('fitting')
>>> experiment.description
'Maximum-likelihood fits of escape-noise NSNN and LIF neurons to spike trains, with model comparison.'
>>> experiment.seed, experiment.module.__name__
(20, 'nsnn_sim.experiments.fitting')
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import fit
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance

_log = get_logger(__name__)

DESCRIPTION = "Maximum-likelihood fits of escape-noise NSNN and LIF neurons to spike trains, with model comparison."
SEED = 20
ORDER = 90
DT = 1e-3
BLOCK_STEPS = 100
N_ORIENTATIONS = 16
FAMILIES = ("logistic", "gaussian")
SCALES = {"logistic": 0.12, "gaussian": 0.2}  # similar spread (logistic SD = 0.22)
PARAMETERS = ["w_bias", "w_cos", "w_sin", "decay", "scale"]
CANDIDATES = list(FAMILIES) + ["poisson_glm"]


def generating_models() -> dict:
    """The four 'recorded' models: name -> (model, drive gain)."""
    out = {}
    for family in FAMILIES:
        out[f"NSNN {family}"] = (ns.NSNN(beta=0.6, noise=family, noise_scale=SCALES[family], firing="escape",
                                         dt=DT), 1.0)
        out[f"LIF {family}"] = (ns.LIF(tau=0.01, sigma=SCALES[family], noise=family, firing="escape", dt=DT,
                                       tau_ref=2e-3, method="euler"), 2.5)
    return out


def start_model(model, family: str):
    """The initial model of a fit: a different decay and scale than the truth, the candidate's family (NSNN: beta
    0.5, noise scale 0.2; LIF: tau 15 ms, sigma 0.2, the truth's refractory period)."""
    if model.kind == "NSNN":
        return ns.NSNN(beta=0.5, noise=family, noise_scale=0.2, firing="escape", dt=DT)
    return ns.LIF(tau=0.015, sigma=0.2, noise=family, firing="escape", dt=DT, tau_ref=float(model.tau_ref),
                  method="euler")


def stimulus(n_steps: int, generator) -> tuple[np.ndarray, np.ndarray]:
    """Orientation index per step (blocks of BLOCK_STEPS) and the covariates (n_steps, 3)."""
    n_blocks = -(-n_steps // BLOCK_STEPS)
    order = np.concatenate([generator.permutation(N_ORIENTATIONS) for _ in range(-(-n_blocks // N_ORIENTATIONS))])
    index = np.repeat(order[:n_blocks], BLOCK_STEPS)[:n_steps]
    theta = index * np.pi / N_ORIENTATIONS
    return index, np.column_stack([np.ones(n_steps), np.cos(2 * theta), np.sin(2 * theta)])


def true_weights(n_neurons: int, gain: float, generator) -> np.ndarray:
    """``gain`` times (bias, A cos 2 phi, A sin 2 phi) per neuron: preferred orientations ``phi = (k + 1/2) pi / n``,
    bias uniform in [0.3, 0.45], amplitude ``A`` uniform in [0.15, 0.3]."""
    preferred = (np.arange(n_neurons) + 0.5) * np.pi / n_neurons
    bias = generator.uniform(0.3, 0.45, n_neurons)
    amplitude = generator.uniform(0.15, 0.3, n_neurons)
    return gain * np.column_stack([bias, amplitude * np.cos(2 * preferred), amplitude * np.sin(2 * preferred)])


def tuning(spikes: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rate (Hz) per (orientation, neuron) and its SE over the blocks shown."""
    blocks = spikes.reshape(-1, BLOCK_STEPS, spikes.shape[1]).mean(axis=1) / DT  # (block, neuron)
    block_index = index[::BLOCK_STEPS][:blocks.shape[0]]
    mean = np.array([blocks[block_index == k].mean(axis=0) for k in range(N_ORIENTATIONS)])
    se = np.array([blocks[block_index == k].std(axis=0, ddof=1) / np.sqrt(np.sum(block_index == k))
                   for k in range(N_ORIENTATIONS)])
    return mean, se


ISI_EDGES = np.arange(0, 61, 2)  # ms


def isi_histogram(spikes: np.ndarray) -> np.ndarray:
    """Probability density (1/ms) of the pooled inter-spike intervals, on ISI_EDGES."""
    intervals = np.concatenate([np.diff(np.flatnonzero(spikes[:, i])) * DT * 1e3 for i in range(spikes.shape[1])])
    counts, _ = np.histogram(intervals, ISI_EDGES)
    return counts / max(1, intervals.size) / np.diff(ISI_EDGES)


def _truth(model, weights):
    decay = float(model.beta) if model.kind == "NSNN" else float(model.tau)
    scale = float(model.noise_scale) if model.kind == "NSNN" else float(model.sigma)
    n = weights.shape[0]
    return np.column_stack([weights, np.full(n, decay), np.full(n, scale)])


OPTIONS = {"--neurons": {"type": int, "help": "neurons per recorded population (default 20; quick: 6)"},
           "--train-steps": {"type": int, "help": "training steps (default 100000; quick: 20000); the test data are "
                                                  "half as long"}}


def run(quick: bool = False, seed: int = SEED, neurons: int | None = None,
        train_steps: int | None = None) -> xr.Dataset:
    """Every generating model recorded, fitted, compared (``neurons``, ``train_steps`` override the sizes)."""
    n_neurons, n_train = (6, 20000) if quick else (20, 100000)
    n_neurons = n_neurons if neurons is None else int(neurons)
    n_train = n_train if train_steps is None else int(train_steps)
    n_train = max(BLOCK_STEPS, n_train // (2 * BLOCK_STEPS) * 2 * BLOCK_STEPS)  # whole blocks, train and test
    n_test = n_train // 2
    generator = np.random.default_rng(seed)
    names = list(generating_models())
    shape = (len(names), n_neurons, len(PARAMETERS))
    estimate, se, truth = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    bits = np.zeros((len(names), len(CANDIDATES)))
    bits_neuron = np.zeros((len(names), len(CANDIDATES), n_neurons))
    ks_statistic, ks_pvalue = np.zeros((len(names), len(CANDIDATES) + 1)), np.zeros((len(names), len(CANDIDATES) + 1))
    ks_curves = np.zeros((len(names), len(CANDIDATES) + 1, 101))
    tuning_recorded, tuning_fitted = np.zeros((2, len(names), N_ORIENTATIONS, n_neurons))
    tuning_recorded_se, tuning_fitted_se = np.zeros((2, len(names), N_ORIENTATIONS, n_neurons))
    isi_recorded, isi_fitted = np.zeros((2, len(names), ISI_EDGES.size - 1))
    seconds = np.zeros(len(names))
    recordings, starts = {}, {}
    for m, name in enumerate(names):
        model, gain = generating_models()[name]
        index, x = stimulus(n_train + n_test, generator)
        weights = true_weights(n_neurons, gain, generator)
        recorded = ns.simulate(model, x @ weights.T, n_neurons=n_neurons, n_steps=n_train + n_test,
                               seed=seed + 10 * m).spikes
        recordings[name] = (recorded, x)
        dense = recorded.to_dense()
        train, test = dense[:, :n_train], dense[:, n_train:]
        x_train, x_test = x[:n_train], x[n_train:]
        baseline = fit.homogeneous_log_likelihood(train, test)
        n_spikes = test.sum(axis=(0, 1))
        fits = {}
        for c, family in enumerate(FAMILIES):
            start = start_model(model, family)
            result = fit.fit_escape(start, x_train, train, weights=np.full((n_neurons, 3), 0.3 * gain))
            fits[family] = result
            held_out = result.log_likelihood(x_test, test)
            bits_neuron[m, c] = fit.bits_per_spike(held_out, baseline, n_spikes)
            bits[m, c] = fit.bits_per_spike(held_out.sum(), baseline.sum(), n_spikes.sum())
            rescaled = fit.time_rescaling(result.log_silence(x_test, test), test, seed=seed)
            ks_statistic[m, c], ks_pvalue[m, c] = rescaled.statistic, rescaled.pvalue
            ks_curves[m, c] = np.quantile(rescaled.uniform, np.linspace(0, 1, 101))
            if family == model.noise:
                estimate[m] = result.dataset["estimate"].values
                se[m] = result.dataset["se"].values
                seconds[m] = result.dataset.attrs["seconds"]
                starts[name] = start.to_dict()
        glm = fit.fit_poisson_glm(x_train, train, n_history_basis=4, history_steps=20)
        held_out = glm.log_likelihood(x_test, test)
        c = CANDIDATES.index("poisson_glm")
        bits_neuron[m, c] = fit.bits_per_spike(held_out, baseline, n_spikes)
        bits[m, c] = fit.bits_per_spike(held_out.sum(), baseline.sum(), n_spikes.sum())
        for k, log_silence in ((c, glm.log_silence(x_test, test)),
                               (c + 1, np.broadcast_to(np.log1p(-train.mean(axis=(0, 1))), test.shape))):
            rescaled = fit.time_rescaling(log_silence, test, seed=seed)
            ks_statistic[m, k], ks_pvalue[m, k] = rescaled.statistic, rescaled.pvalue
            ks_curves[m, k] = np.quantile(rescaled.uniform, np.linspace(0, 1, 101))
        truth[m] = _truth(model, weights)
        # the fitted model (true family), simulated with the held-out stimulus, against the recording
        best = fits[model.noise]
        simulated = best.simulate(x_test, seed=seed + 1000 + m).spikes.to_dense()[0]
        tuning_recorded[m], tuning_recorded_se[m] = tuning(test[0], index[n_train:])
        tuning_fitted[m], tuning_fitted_se[m] = tuning(simulated, index[n_train:])
        isi_recorded[m], isi_fitted[m] = isi_histogram(test[0]), isi_histogram(simulated)
        _log.info("%s: held-out bits/spike %s; KS p %s", name, dict(zip(CANDIDATES, np.round(bits[m], 4))),
                  np.round(ks_pvalue[m], 4))

    # the same fit on the NSNN-logistic recording loaded through Neo
    neo_estimate = np.full((n_neurons, len(PARAMETERS)), np.nan)
    neo_available = True
    try:
        import neo  # noqa: F401
    except ImportError:
        neo_available = False
    name = "NSNN logistic"
    if neo_available:
        recorded, x = recordings[name]
        loaded = ns.SpikeTrains.from_neo(recorded.to_neo(), dt=DT)
        train_loaded = loaded.crop(0, n_train * DT)
        model, gain = generating_models()[name]
        result = fit.fit_escape(start_model(model, "logistic"), x[:n_train], train_loaded,
                                weights=np.full((n_neurons, 3), 0.3 * gain))
        neo_estimate = result.dataset["estimate"].values

    coords = {"model": names, "candidate": CANDIDATES, "rescaling_model": CANDIDATES + ["homogeneous"],
              "neuron": np.arange(n_neurons), "parameter": PARAMETERS,
              "orientation": ("orientation", np.arange(N_ORIENTATIONS) * 180 / N_ORIENTATIONS, {"units": "degree"}),
              "isi": ("isi", 0.5 * (ISI_EDGES[1:] + ISI_EDGES[:-1]), {"units": "ms"}),
              "quantile": np.linspace(0, 1, 101)}
    return xr.Dataset(
        {
            "estimate": (("model", "neuron", "parameter"), estimate),
            "se": (("model", "neuron", "parameter"), se),
            "truth": (("model", "neuron", "parameter"), truth),
            "bits_per_spike": (("model", "candidate"), bits, {"units": "bits/spike", "data": "held out"}),
            "bits_per_spike_neuron": (("model", "candidate", "neuron"), bits_neuron, {"units": "bits/spike"}),
            "ks_statistic": (("model", "rescaling_model"), ks_statistic),
            "ks_pvalue": (("model", "rescaling_model"), ks_pvalue),
            "ks_curve": (("model", "rescaling_model", "quantile"), ks_curves),
            "tuning_recorded": (("model", "orientation", "neuron"), tuning_recorded, {"units": "Hz"}),
            "tuning_recorded_se": (("model", "orientation", "neuron"), tuning_recorded_se, {"units": "Hz"}),
            "tuning_fitted": (("model", "orientation", "neuron"), tuning_fitted, {"units": "Hz"}),
            "tuning_fitted_se": (("model", "orientation", "neuron"), tuning_fitted_se, {"units": "Hz"}),
            "isi_recorded": (("model", "isi"), isi_recorded, {"units": "1/ms"}),
            "isi_fitted": (("model", "isi"), isi_fitted, {"units": "1/ms"}),
            "fit_seconds": ("model", seconds, {"units": "s"}),
            "neo_estimate": (("neuron", "parameter"), neo_estimate),
        },
        coords=coords,
        attrs={"seed": seed, "quick": int(quick), "n_train_steps": n_train, "n_test_steps": n_test, "dt_s": DT,
               "neo_available": int(neo_available), "neo_model": name, "start_models": json.dumps(starts),
               "decay_meaning": "beta (NSNN) or tau in s (LIF)", "scale_meaning": "noise_scale (NSNN) or sigma (LIF)",
               **provenance()},
    )


def figure(data: xr.Dataset):
    """a: estimate minus truth (± SE) of every parameter against the truth. b: held-out bits per spike of
    every fitted model (bars: pooled over neurons; dots: each neuron). c: time-rescaling KS plots of the
    NSNN-logistic data. d: tuning curves, recorded and simulated from the fit (± SE). e: ISI densities,
    recorded and fitted. f: the fit of the trains loaded through Neo against the direct fit. One colour
    per generating model in a, d, e (the legend on the right), one shade per fitted model in b, c."""
    from nsnn_sim.experiments import _style as style

    figure, axes = style.subplots(2, 3)
    (recovery_ax, bits_ax, ks_ax), (tuning_ax, isi_ax, neo_ax) = axes
    color_of = {str(model): f"C{m}" for m, model in enumerate(data["model"].values)}
    fitted = list(dict.fromkeys([str(c) for c in data["candidate"].values]
                                + [str(c) for c in data["rescaling_model"].values]))
    shade_of = dict(zip(fitted, style.shades(len(fitted))))
    style.figure_legend(figure, {model: style.key(color) for model, color in color_of.items()},
                        title="generating model")
    markers = dict(zip([str(p) for p in data["parameter"].values], "osD^v"))
    for parameter, marker in markers.items():
        for model, color in color_of.items():
            row = data.sel(model=model, parameter=parameter)
            recovery_ax.errorbar(row["truth"], row["estimate"] - row["truth"], yerr=row["se"], fmt=marker,
                                 color=color, markersize=4)
    recovery_ax.axhline(0, color="k", linewidth=0.8)
    recovery_ax.set_xscale("symlog", linthresh=0.05)
    recovery_ax.set_xticks([-0.5, -0.1, 0, 0.1, 0.5, 1], ["-0.5", "-0.1", "0", "0.1", "0.5", "1"])
    recovery_ax.set_xlabel("true value (weights: membrane units; decay: beta or tau in s; scale)")
    recovery_ax.set_ylabel("estimate - truth (± SE)")
    recovery_ax.set_title("Parameter recovery (true noise family)")
    recovery_ax.legend([style.key("gray", linestyle="none", marker=marker) for marker in markers.values()],
                       list(markers), title="parameter", ncol=2)
    candidates = [str(c) for c in data["candidate"].values]
    width = 0.8 / len(candidates)
    positions = np.arange(data.sizes["model"])
    for c, candidate in enumerate(candidates):
        bits_ax.bar(positions + c * width, data["bits_per_spike"].sel(candidate=candidate), width,
                    color=shade_of[candidate], label=candidate)
        per_neuron = data["bits_per_spike_neuron"].sel(candidate=candidate).values  # (model, neuron)
        bits_ax.plot(np.repeat(positions + c * width, per_neuron.shape[1]), per_neuron.ravel(), "k.", markersize=2)
    bits_ax.plot([], [], "k.", markersize=2, label="one neuron")
    bits_ax.set_xticks(positions + width, [str(m).replace(" ", "\n") for m in data["model"].values])
    bits_ax.set_ylabel("held-out log-likelihood\n(bits/spike over homogeneous Poisson)")
    bits_ax.set_title("Model comparison on held-out data")
    bits_ax.legend(title="fitted model")
    shown = "NSNN logistic"
    quantiles = data["quantile"].values
    for candidate in data["rescaling_model"].values:
        pvalue = float(data["ks_pvalue"].sel(model=shown, rescaling_model=candidate))
        ks_ax.plot(quantiles, data["ks_curve"].sel(model=shown, rescaling_model=candidate),
                   color=shade_of[str(candidate)], label=f"{candidate} (KS p = {pvalue:.2g})")
    ks_ax.plot([0, 1], [0, 1], "k:", linewidth=0.8, label="Exp(1) intervals")
    ks_ax.set_xlabel("uniform quantile")
    ks_ax.set_ylabel("quantile of rescaled intervals 1 - exp(-tau)")
    ks_ax.set_title(f"Time rescaling, held-out {shown} data")
    ks_ax.legend(title="fitted model")
    orientation = data["orientation"].values
    for model in list(color_of)[:2]:
        for neuron in (0, data.sizes["neuron"] // 2):
            tuning_ax.errorbar(orientation, data["tuning_recorded"].sel(model=model, neuron=neuron),
                               yerr=data["tuning_recorded_se"].sel(model=model, neuron=neuron), fmt="o",
                               color=color_of[model], markersize=3)
            tuning_ax.errorbar(orientation, data["tuning_fitted"].sel(model=model, neuron=neuron),
                               yerr=data["tuning_fitted_se"].sel(model=model, neuron=neuron), fmt="-",
                               color=color_of[model], linewidth=1)
    tuning_ax.errorbar([], [], yerr=[], fmt="o", color="k", markersize=3, label="recorded (± SE)")
    tuning_ax.errorbar([], [], yerr=[], fmt="-", color="k", linewidth=1, label="fitted model simulated (± SE)")
    tuning_ax.set_xlabel("stimulus orientation (degree)")
    tuning_ax.set_ylabel("firing rate (Hz)")
    tuning_ax.set_title("Tuning curves, held-out stimulus")
    tuning_ax.set_ylim(top=1.3 * tuning_ax.get_ylim()[1])  # room for the legend
    tuning_ax.legend(loc="upper left", ncol=2)
    for model, color in color_of.items():
        isi_ax.step(data["isi"], data["isi_recorded"].sel(model=model), where="mid", color=color)
        isi_ax.plot(data["isi"], data["isi_fitted"].sel(model=model), "--", color=color)
    isi_ax.plot([], [], "k-", label="recorded")
    isi_ax.plot([], [], "k--", label="fitted")
    isi_ax.set_xlabel("inter-spike interval (ms)")
    isi_ax.set_ylabel("probability density (1/ms)")
    isi_ax.set_title("ISI distributions")
    isi_ax.legend()
    if int(data.attrs["neo_available"]):
        direct = data["estimate"].sel(model=data.attrs["neo_model"])
        neo_ax.plot(direct.values.ravel(), data["neo_estimate"].values.ravel(), "o", label="every parameter")
        low, high = float(direct.min()), float(direct.max())
        neo_ax.plot([low, high], [low, high], "k-", linewidth=0.8, label="identity")
        neo_ax.set_xlabel("estimate, spikes from the simulator")
        neo_ax.set_ylabel("estimate, spikes loaded through Neo (from_neo)")
        neo_ax.legend()
    else:
        neo_ax.text(0.5, 0.5, "neo not installed (extra 'neo')", ha="center", transform=neo_ax.transAxes)
    neo_ax.set_title(f"Fit of the {data.attrs['neo_model']} trains read through Neo")
    return figure


def summary(data: xr.Dataset) -> list[str]:
    z = ((data["estimate"] - data["truth"]) / data["se"]).values
    lines = [f"parameter recovery (true family, {z.size} parameters): z = (estimate - truth)/SE has mean "
             f"{np.mean(z):.3f}, SD {np.std(z):.3f}"]
    for model in data["model"].values:
        bits = data["bits_per_spike"].sel(model=model)
        shown = ", ".join(f"{c} {float(bits.sel(candidate=c)):.4f}" for c in data["candidate"].values)
        pvalues = data["ks_pvalue"].sel(model=model)
        ks = ", ".join(f"{c} {float(pvalues.sel(rescaling_model=c)):.2g}" for c in data["rescaling_model"].values)
        lines.append(f"{model}: held-out bits/spike {shown}; time-rescaling KS p {ks}")
    if int(data.attrs["neo_available"]):
        difference = np.abs(data["neo_estimate"] - data["estimate"].sel(model=data.attrs["neo_model"])).max()
        lines.append(f"fit of the trains loaded through Neo: largest difference from the direct fit "
                     f"{float(difference):.2g}")
    return lines
