"""Spike-train variability of noisy and deterministic neurons -> results/variability.nc.

Three parts:

1. ``lif_*``: ISI CV and Fano factor (1 s windows, across trials) of the noisy LIF (Gaussian
   membrane noise, Brownian-bridge threshold crossing) against mean input ``mu`` and noise ``sigma``,
   with Brunel's (2000) CV and the renewal limit Fano = CV^2 as theory.
2. ``nsnn_*``: the same for the discrete NSNN with every noise family, membrane and escape firing,
   and the deterministic DSNN, against the drive; and ``fano_window``: the Fano factor against the
   counting window (10 ms to 2 s).
3. ``reliability``: variability versus reliability (Mainen & Sejnowski 1995): repeated trials of an
   NSNN at several noise levels and of the DSNN, driven by a constant input or by one frozen
   fluctuating input; Schreiber reliability (3 ms Gaussian) and the mean van Rossum distance between
   trials (5 ms) as the (im)precision of spike times.

    python analyses/variability.py [--quick] [--out results/variability.nc]

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('variability')
>>> experiment.description
'ISI CV, Fano factor and reliability of noisy and deterministic neurons.'
>>> experiment.seed, experiment.module.__name__
(11, 'nsnn_sim.experiments.variability')
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.analysis import stats
from nsnn_sim.analysis._common import _jackknife_se

_log = get_logger(__name__)

DESCRIPTION = "ISI CV, Fano factor and reliability of noisy and deterministic neurons."
SEED = 11
ORDER = 20
FAMILIES = {"gaussian": 0.4, "logistic": 0.4, "triangular": 0.6, "uniform": 0.4, "cauchy": 0.2}
LIF_TAU = 10e-3


def pooled_cv(spikes, groups: int = 1) -> np.ndarray:
    """ISI CV per neuron with trials pooled (:func:`nsnn_sim.analysis.stats.cv_of_intervals`), shape
    (groups, n_neurons) for ``groups`` disjoint sets of trials (``trial % groups``; ``groups=1``: all
    trials, ``stats.isi_cv(spikes, pool="trials")``; the spread over groups gives the SE)."""
    length, _, train = spikes.intervals()
    trial, neuron = np.divmod(train, spikes.n_neurons)
    cv = stats.cv_of_intervals(length.astype(float), (trial % groups) * spikes.n_neurons + neuron,
                               groups * spikes.n_neurons)
    return cv.reshape(groups, spikes.n_neurons)


def cv_and_se(spikes, groups: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Pooled ISI CV per neuron and its SE from ``groups`` disjoint sets of trials."""
    return pooled_cv(spikes)[0], np.nanstd(pooled_cv(spikes, groups), axis=0, ddof=1) / np.sqrt(groups)


def fano_and_se(spikes, window: float, groups: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Fano factor per neuron across trials (:func:`nsnn_sim.analysis.stats.fano_factor`: ``Var/mean`` of
    the counts in each window position, averaged over positions) and its delete-a-group jackknife SE.

    ``SE^2 = (g - 1)/g * sum_i (F_(i) - mean F_(i))^2`` over the ``g = groups`` estimates ``F_(i)`` that
    leave out the trials ``trial % g == i``; the run must be a whole number of windows."""
    counts = spikes.counts(window=window).values  # (trial, neuron, window position)

    def fano(kept):
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a neuron without spikes: NaN, as fano_factor
            return np.nanmean(stats.fano_of_counts(kept, axis=0), axis=-1)

    group = np.arange(spikes.n_trials) % groups
    return fano(counts), _jackknife_se([fano(counts[group != index]) for index in range(groups)])


def lif_part(quick: bool, seed: int) -> xr.Dataset:
    """The LIF's CV, Fano factor and rate against Brunel's and Siegert's theory on the grid mu = 0.5 .. 1.5 (8 points
    quick, 13 full) x sigma = 0.2, 0.35, 0.5, one neuron per pair (100 trials quick, 300 full)."""
    mus = np.linspace(0.5, 1.5, 8 if quick else 13)
    sigmas = np.array([0.2, 0.35, 0.5])
    grid_mu, grid_sigma = np.meshgrid(mus, sigmas)  # neurons: every (sigma, mu) pair
    model = ns.LIF(tau=LIF_TAU, sigma=grid_sigma.ravel(), dt=1e-4, threshold_crossing="bridge", method="euler")
    warmup = stats.STATIONARY_WARMUP  # the stationary-rate protocol: statistics from 10 tau after the start
    duration = warmup + (1.0 if quick else 2.0)
    spikes = ns.simulate(model, grid_mu.ravel(), n_neurons=grid_mu.size, n_steps=int(round(duration / model.dt)),
                         n_trials=100 if quick else 300, seed=seed).spikes
    shape = grid_mu.shape
    rate = stats.firing_rates(spikes.crop(warmup)).mean("trial").values.reshape(shape)
    fine = np.linspace(mus[0], mus[-1], 60)
    theory_cv = np.array([[ns.theory.isi_cv(mu, sigma, LIF_TAU) for mu in fine] for sigma in sigmas])
    theory_rate = np.array([[ns.theory.siegert_rate(mu, sigma, LIF_TAU) for mu in fine] for sigma in sigmas])
    cv, cv_se = cv_and_se(spikes.crop(warmup))
    fano, fano_se = fano_and_se(spikes.crop(warmup), 1.0)
    return xr.Dataset(
        {"lif_cv": (("sigma", "mu"), cv.reshape(shape)),
         "lif_cv_se": (("sigma", "mu"), cv_se.reshape(shape)),
         "lif_fano": (("sigma", "mu"), fano.reshape(shape)),
         "lif_fano_se": (("sigma", "mu"), fano_se.reshape(shape)),
         "lif_rate": (("sigma", "mu"), rate, {"units": "Hz"}),
         "lif_theory_cv": (("sigma", "mu_theory"), theory_cv),
         "lif_theory_rate": (("sigma", "mu_theory"), theory_rate, {"units": "Hz"})},
        coords={"sigma": sigmas, "mu": mus, "mu_theory": fine})


def nsnn_configs():
    for family, scale in FAMILIES.items():
        for firing in ("membrane", "escape"):
            yield f"{family} {firing}", ns.NSNN(beta=0.5, noise=family, noise_scale=scale, firing=firing, dt=1e-3)
    yield "deterministic (DSNN)", ns.NSNN(beta=0.5, noise="none", dt=1e-3)


def nsnn_part(quick: bool, seed: int) -> xr.Dataset:
    drives = np.linspace(0.2, 1.0, 9 if quick else 17)
    names, cv, cv_se, fano, fano_se, rate = [], [], [], [], [], []
    for index, (name, model) in enumerate(nsnn_configs()):
        spikes = ns.simulate(model, drives, n_neurons=drives.size, n_steps=1200 if quick else 2200,
                             n_trials=100 if quick else 300, seed=seed + index).spikes.crop(0.2)
        names.append(name)
        for (means, errors), (mean, se) in zip(((cv, cv_se), (fano, fano_se)),
                                               (cv_and_se(spikes), fano_and_se(spikes, 1.0))):
            means.append(mean)
            errors.append(se)
        rate.append(stats.firing_rates(spikes).mean("trial").values)
    dims = ("model", "drive")
    return xr.Dataset(
        {"nsnn_cv": (dims, np.array(cv)), "nsnn_cv_se": (dims, np.array(cv_se)),
         "nsnn_fano": (dims, np.array(fano)), "nsnn_fano_se": (dims, np.array(fano_se)),
         "nsnn_rate": (dims, np.array(rate), {"units": "Hz"})},
        coords={"model": names, "drive": drives})


def fano_window_part(quick: bool, seed: int) -> xr.Dataset:
    """The Fano factor against the counting window (10, 20, 50 ms, 0.1, 0.2, 0.5, 1 and 2 s) of five neurons, beside
    its long-window limit CV^2, over 2 s after 0.2 s of warm-up (100 trials quick, 400 full)."""
    windows = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0])
    configs = [
        ("LIF sigma 0.35, mu 0.9", ns.LIF(tau=LIF_TAU, sigma=0.35, dt=1e-4, threshold_crossing="bridge",
                                          method="euler"), 0.9),
        ("LIF sigma 0.5, mu 0.7", ns.LIF(tau=LIF_TAU, sigma=0.5, dt=1e-4, threshold_crossing="bridge",
                                         method="euler"), 0.7),
        ("NSNN gaussian membrane", ns.NSNN(noise_scale=0.4, dt=1e-3), 0.4),
        ("NSNN logistic escape", ns.NSNN(noise="logistic", noise_scale=0.4, firing="escape", dt=1e-3), 0.4),
        ("DSNN", ns.NSNN(noise="none", dt=1e-3), 0.6),
    ]
    fano, fano_se, asymptote = [], [], []
    for index, (name, model, drive) in enumerate(configs):
        spikes = ns.simulate(model, drive, n_neurons=1, n_steps=int(round(2.2 / model.dt)),
                             n_trials=100 if quick else 400, seed=seed + 50 + index).spikes.crop(0.2)
        by_window = np.array([fano_and_se(spikes, window) for window in windows])[:, :, 0]  # (window, F | SE)
        fano.append(by_window[:, 0])
        fano_se.append(by_window[:, 1])
        asymptote.append(pooled_cv(spikes)[0, 0] ** 2)
    dims = ("window_model", "window")
    return xr.Dataset({"fano_window": (dims, np.array(fano)), "fano_window_se": (dims, np.array(fano_se)),
                       "fano_window_cv_squared": ("window_model", np.array(asymptote))},
                      coords={"window_model": [c[0] for c in configs], "window": ("window", windows, {"units": "s"})})


def frozen_input(n_steps: int, dt: float, seed: int) -> np.ndarray:
    """One realisation of an Ornstein-Uhlenbeck input (tau 5 ms, SD 1), the same on every trial."""
    generator = np.random.default_rng(seed)
    alpha = np.exp(-dt / 5e-3)
    x = np.zeros(n_steps)
    noise = generator.normal(0.0, np.sqrt(1 - alpha**2), n_steps)
    for k in range(1, n_steps):
        x[k] = alpha * x[k - 1] + noise[k]
    return x


def reliability_part(quick: bool, seed: int) -> xr.Dataset:
    """Spike-time reliability (Schreiber et al., 3 ms Gaussian kernel), the mean van Rossum distance between trials
    (tau 5 ms) and the Fano factor of 100 ms counts of an NSNN (beta 0.9, dt 1 ms, 1 s) driven by a constant or a
    frozen input, at each noise level (30 trials quick, 60 full)."""
    dt, n_steps, n_trials = 1e-3, 1000, 30 if quick else 60
    noise_levels = np.array([0.0, 0.05, 0.1, 0.2])  # 0 = DSNN
    base, amplitude = 0.12, 0.1
    inputs = {"constant": np.full(n_steps, base + 0.02), "frozen": base + amplitude * frozen_input(n_steps, dt, seed)}
    reliability, distance, fano, rasters = [], [], [], {}
    for condition, drive in inputs.items():
        row_r, row_d, row_f = [], [], []
        for level in noise_levels:
            model = (ns.NSNN(beta=0.9, noise="none", dt=dt) if level == 0
                     else ns.NSNN(beta=0.9, noise="gaussian", noise_scale=level, dt=dt))
            spikes = ns.simulate(model, drive[:, None], n_neurons=1, n_steps=n_steps, n_trials=n_trials,
                                 seed=seed + 100 + int(level * 1000)).spikes
            row_r.append(float(stats.reliability(spikes, 0.003).values[0]))
            matrix = stats.pairwise_distances(spikes, "van_rossum", 0.005, 0).values
            row_d.append(float(matrix[~np.eye(n_trials, dtype=bool)].mean()))
            row_f.append(float(stats.fano_factor(spikes, [0.1], across="trials").values[0, 0]))
            rasters[f"{condition}_{level:g}"] = spikes
        reliability.append(row_r)
        distance.append(row_d)
        fano.append(row_f)
    variables = {
        "reliability": (("input", "noise_level"), np.array(reliability)),
        "van_rossum_between_trials": (("input", "noise_level"), np.array(distance)),
        "fano_100ms": (("input", "noise_level"), np.array(fano)),
        "input_current": (("input", "input_time"), np.array(list(inputs.values()))),
    }
    for key, spikes in rasters.items():  # spike events for the raster figure
        variables[f"raster_{key}_trial"] = (f"raster_{key}", spikes.trial.astype(np.int64))
        variables[f"raster_{key}_time"] = (f"raster_{key}", spikes.time)
    return xr.Dataset(variables, coords={"input": list(inputs), "noise_level": noise_levels,
                                         "input_time": ("input_time", np.arange(n_steps) * dt, {"units": "s"})},
                      attrs={"reliability_n_trials": n_trials, "nsnn_beta": 0.9})


def run(quick: bool = False, seed: int = SEED) -> xr.Dataset:
    parts = [lif_part(quick, seed), nsnn_part(quick, seed),
             fano_window_part(quick, seed), reliability_part(quick, seed)]
    dataset = xr.merge(parts, combine_attrs="drop_conflicts")  # keeps each part's own attrs (reliability_n_trials)
    dataset.attrs.update({"seed": seed, "quick": int(quick), **provenance(),
                          "lif_tau": LIF_TAU, "families": str(FAMILIES),
                          "description": "ISI CV, Fano factor and reliability of noisy and deterministic neurons"})
    theory = xr.DataArray([[ns.theory.isi_cv(mu, sigma, LIF_TAU) for mu in dataset["mu"].values]
                           for sigma in dataset["sigma"].values], dims=("sigma", "mu"))
    deviation = np.abs(dataset["lif_cv"] / theory - 1)
    dataset["lif_cv_relative_deviation"] = deviation
    precise = dataset["lif_cv_se"] / dataset["lif_cv"] < 0.0125  # 4 SE below 5 %: the comparison can resolve 5 %
    dataset["lif_cv_precise"] = precise
    _log.info(f"LIF CV vs Brunel: {int(precise.sum())} of {precise.size} points measured to < 1.25 % SE; among "
              f"them max deviation {100 * float(deviation.where(precise).max()):.2f} %, median "
              f"{100 * float(deviation.where(precise).median()):.2f} %; all points: max "
              f"{100 * float(deviation.max()):.2f} %")
    _log.info("reliability (input x noise level):\n%s", dataset["reliability"].to_pandas().round(3))
    return dataset


def figure(data: xr.Dataset):
    """Variability figure from results/variability.nc -> figures/out/variability.png (no simulation here).

    a: LIF ISI CV against mean input with Brunel's CV. b: LIF Fano factor (1 s) with the renewal limit
    CV^2. c: NSNN ISI CV against drive for every noise family and firing rule, and the DSNN. d: Fano
    factor against counting window. e: rasters under constant and frozen fluctuating input (NSNN and
    DSNN). f: reliability and spike-time imprecision against the noise level. Error bars: 2 SE (CV:
    from 10 disjoint sets of trials; Fano factor: delete-a-group jackknife over 10 sets of trials)."""
    from nsnn_sim.experiments import _style as style

    figure, axes = style.subplots(2, 3)
    (cv_ax, fano_ax, nsnn_ax), (window_ax, raster_ax, reliability_ax) = axes

    for index, sigma in enumerate(data["sigma"].values):
        color = f"C{index}"
        row = data.sel(sigma=sigma)
        cv_ax.errorbar(row["mu"], row["lif_cv"], yerr=2 * row["lif_cv_se"], fmt="o", color=color,
                       label=f"sigma = {sigma:g}")
        cv_ax.plot(row["mu_theory"], row["lif_theory_cv"], color=color)
        fano_ax.errorbar(row["mu"], row["lif_fano"], yerr=2 * row["lif_fano_se"], fmt="o", color=color,
                         label=f"sigma = {sigma:g}")
        fano_ax.plot(row["mu_theory"], row["lif_theory_cv"] ** 2, color=color)
    cv_ax.plot([], [], "k-", label="Brunel (2000) CV")
    fano_ax.plot([], [], "k-", label="renewal limit: theory CV$^2$")
    deviation = float(data["lif_cv_relative_deviation"].max())
    cv_ax.set_title(f"Noisy LIF: CV within {100 * deviation:.1f} % of theory")
    cv_ax.set_xlabel("mean input mu (membrane units, threshold 1)")
    cv_ax.set_ylabel("ISI coefficient of variation (±2 SE)")
    cv_ax.legend()
    fano_ax.set_title("Fano factor of 1 s counts tends to CV$^2$")
    fano_ax.set_xlabel("mean input mu (membrane units, threshold 1)")
    fano_ax.set_ylabel("Fano factor of 1 s counts (±2 SE)")
    fano_ax.legend()

    styles = {"membrane": "-", "escape": "--"}
    families = list(dict.fromkeys(str(m).split()[0] for m in data["model"].values if not str(m).startswith("det")))
    for name in data["model"].values:
        name = str(name)
        family, _, firing = name.partition(" ")
        row = data.sel(model=name)
        deterministic = name.startswith("deterministic")
        nsnn_ax.errorbar(data["drive"], row["nsnn_cv"], yerr=2 * row["nsnn_cv_se"],
                         fmt="-o" if deterministic else styles[firing], markersize=3,
                         color="k" if deterministic else f"C{families.index(family)}", label=name)
    nsnn_ax.set_title("NSNN (beta 0.5): solid membrane, dashed escape")
    nsnn_ax.set_xlabel("constant drive I per step (threshold 1)")
    nsnn_ax.set_ylabel("ISI coefficient of variation (±2 SE)")
    nsnn_ax.legend()

    for index, name in enumerate(data["window_model"].values):
        color = f"C{index}"
        window_ax.errorbar(data["window"], data["fano_window"].sel(window_model=name),
                           yerr=2 * data["fano_window_se"].sel(window_model=name), fmt="o-", markersize=3,
                           color=color, label=str(name))
        asymptote = float(data["fano_window_cv_squared"].sel(window_model=name))
        window_ax.axhline(asymptote, color=color, linestyle=":", linewidth=1)
    window_ax.plot([], [], "k:", label="CV$^2$ of the same train (renewal limit)")
    window_ax.set_xscale("log")
    window_ax.set_xlabel("counting window (s)")
    window_ax.set_ylabel("Fano factor across trials (±2 SE)")
    window_ax.set_title("Fano factor against counting window")
    window_ax.legend()

    _rasters(raster_ax, data)

    levels = data["noise_level"].values
    for condition, color in (("constant", "C0"), ("frozen", "C3")):
        reliability_ax.plot(levels, data["reliability"].sel(input=condition), "o-", color=color,
                            label=f"reliability, {condition} input")
    twin = reliability_ax.twinx()
    for condition, color in (("constant", "C0"), ("frozen", "C3")):
        twin.plot(levels, data["van_rossum_between_trials"].sel(input=condition), "s--", color=color,
                  alpha=0.6, label=f"van Rossum distance, {condition} input")
    reliability_ax.set_xlabel("membrane noise SD per step (0 = DSNN)")
    reliability_ax.set_ylabel("Schreiber reliability (3 ms Gaussian)")
    twin.set_ylabel("mean van Rossum distance between trials (tau 5 ms)")
    reliability_ax.set_title(f"Reliability across {int(data.attrs.get('reliability_n_trials', 30))} trials")
    lines, twin_lines = reliability_ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
    reliability_ax.legend(lines[0] + twin_lines[0], lines[1] + twin_lines[1])
    return figure


def _rasters(ax, data: xr.Dataset) -> None:
    """15 trials of each of four conditions, one block above the other, each block named."""
    offset = 0
    for condition, level in [("constant", 0.1), ("frozen", 0.1), ("constant", 0.0), ("frozen", 0.0)]:
        key = f"raster_{condition}_{level:g}"
        trials, times = data[f"{key}_trial"].values, data[f"{key}_time"].values
        keep = trials < 15
        label = f"{'NSNN sigma ' + format(level, 'g') if level else 'DSNN'}, {condition} input"
        ax.plot(times[keep], trials[keep] + offset, "|", markersize=2.5, color="C3" if condition == "frozen" else "C0")
        ax.text(1.01, offset + 7, label, fontsize=7, ha="left", va="center", transform=ax.get_yaxis_transform())
        offset += 17
    ax.set_ylim(-1, offset - 1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("trial (15 per block)")
    ax.set_yticks([])
    ax.set_title("Constant vs frozen input (Mainen & Sejnowski)")


def summary(data: xr.Dataset) -> list[str]:
    deviation = data["lif_cv_relative_deviation"]
    reliability = data["reliability"]
    return [f"LIF ISI CV vs Brunel (2000): max deviation {100 * float(deviation.max()):.2f} % over "
            f"{deviation.size} (mu, sigma) points",
            "reliability, constant input: " + ", ".join(
                f"noise {level:g}: {value:.3f}" for level, value in
                zip(data["noise_level"].values, reliability.sel(input="constant").values)),
            "reliability, frozen input: " + ", ".join(
                f"noise {level:g}: {value:.3f}" for level, value in
                zip(data["noise_level"].values, reliability.sel(input="frozen").values))]
