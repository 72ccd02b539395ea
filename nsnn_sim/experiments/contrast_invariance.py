"""Contrast-invariant orientation tuning from membrane noise -> results/contrast_invariance.nc.

A neuron preferring orientation 0 receives the tuned input ``mu(theta; c) = c h(theta)``,
``h(theta) = exp(kappa (cos 2 theta - 1))`` (``kappa`` 1.5; peak ``c`` in membrane units, threshold 1),
whose amplitude scales with the contrast ``c`` (peaks 1.05 to 1.5). Three models: the noisy LIF
(``tau`` 10 ms, ``sigma`` 0.3, Brownian-bridge crossing), the NSNN with Gaussian membrane noise
(``beta`` 0.5, scale ``0.3 sqrt(1 - beta^2)``: the same stationary membrane SD 0.3; drive
``(1 - beta) mu``), and the deterministic DSNN (``beta`` 0.5). Measured:

* the half-width at half-height of each tuning curve (the orientation where the rate falls half-way
  from its maximum to its minimum, linear interpolation on a 2.5-degree grid), with its jackknife SE
  over 20 groups of trials, against contrast; for the LIF also from the Siegert rate of
  ``c h(theta)``. Without noise the "iceberg effect" narrows tuning at low contrast; with noise the
  expansive, near power-law rate makes the width nearly contrast invariant (Anderson et al. 2000,
  Science 290:1968; Hansel & van Vreeswijk 2002, J Neurosci 22:5118; Miller & Troyer 2002,
  J Neurophysiol 87:653);
* the power-law exponent ``n`` of ``rate = k mu^n`` for the noisy models, a weighted least-squares fit
  of ``log rate`` on ``log mu`` over the fixed range ``mu`` in [0.6, 1.0] (up to threshold), weights from
  the rates' SEs, with the fit SE, the reduced chi-squared and the SE scaled by its square root (a
  reduced chi-squared above 1 says the power law is only approximate); for the LIF also the Siegert
  rate's exponent over the same range.

    python analyses/contrast_invariance.py [--quick] [--out results/contrast_invariance.nc]

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('contrast_invariance')
>>> experiment.description
'Contrast-invariant tuning width from membrane noise; power-law rate near threshold.'
>>> experiment.seed, experiment.module.__name__
(19, 'nsnn_sim.experiments.contrast_invariance')
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.analysis._common import _jackknife_se

_log = get_logger(__name__)

DESCRIPTION = "Contrast-invariant tuning width from membrane noise; power-law rate near threshold."
SEED = 19
ORDER = 32
KAPPA, BETA, SIGMA, LIF_TAU = 1.5, 0.5, 0.3, 10e-3
CONTRASTS = np.array([1.05, 1.15, 1.3, 1.5])
ORIENTATIONS = np.deg2rad(np.arange(0.0, 90.01, 2.5))
POWER_LAW_INPUTS = np.linspace(0.6, 1.0, 9)
N_GROUPS = 20
WARMUP = 0.1


def models() -> dict:
    return {
        "noisy LIF": ns.LIF(tau=LIF_TAU, sigma=SIGMA, dt=1e-4, threshold_crossing="bridge", method="euler"),
        "NSNN gaussian membrane": ns.NSNN(beta=BETA, noise="gaussian", noise_scale=SIGMA * np.sqrt(1 - BETA**2),
                                          dt=1e-3),
        "DSNN": ns.NSNN(beta=BETA, noise="none", dt=1e-3),
    }


def drive_of(model, membrane_input: np.ndarray) -> np.ndarray:
    """The model's input for a membrane-equivalent mean ``mu`` (the NSNN's fixed point is I/(1 - beta))."""
    return membrane_input if isinstance(model, ns.LIF) else (1 - BETA) * membrane_input


def tuned_input(contrast: float, orientation: np.ndarray) -> np.ndarray:
    return contrast * np.exp(KAPPA * (np.cos(2 * orientation) - 1))


def half_width(rates: np.ndarray) -> np.ndarray:
    """Half-width at half-height (degree) of tuning curves ``rates[..., orientation]`` on ORIENTATIONS
    (peak at 0): where the rate first falls to ``(max + min)/2``, interpolated linearly; NaN if flat."""
    rates = np.asarray(rates, dtype=float)
    flat = rates.reshape(-1, rates.shape[-1])
    degrees = np.rad2deg(ORIENTATIONS)
    widths = np.full(flat.shape[0], np.nan)
    for index, curve in enumerate(flat):
        half = 0.5 * (curve.max() + curve.min())
        below = np.nonzero(curve <= half)[0]
        if curve.max() <= curve.min() or below.size == 0 or below[0] == 0:
            continue
        k = below[0]
        fraction = (curve[k - 1] - half) / (curve[k - 1] - curve[k])
        widths[index] = degrees[k - 1] + fraction * (degrees[k] - degrees[k - 1])
    return widths.reshape(rates.shape[:-1])


def group_rates(model, membrane_input: np.ndarray, n_trials: int, duration: float, seed: int) -> np.ndarray:
    """Rates (Hz) per group of trials ``(N_GROUPS, n_inputs)`` of independent neurons, one per input."""
    n_steps = int(round((WARMUP + duration) / model.dt))
    spikes = ns.simulate(model, drive_of(model, membrane_input), n_neurons=membrane_input.size, n_steps=n_steps,
                         n_trials=n_trials, seed=seed).spikes.crop(WARMUP)
    counts = spikes.counts().values.reshape(n_trials, membrane_input.size)
    groups = np.arange(n_trials) % N_GROUPS
    return np.array([counts[groups == g].mean(axis=0) for g in range(N_GROUPS)]) / duration


def power_law_fit(inputs: np.ndarray, rate: np.ndarray, se: np.ndarray) -> tuple[float, float, float]:
    """Exponent ``n`` of ``rate = k mu^n`` by weighted least squares on logs (SE of log rate = se/rate),
    its SE from the fit covariance, and the reduced chi-squared."""
    log_se = se / rate
    design = np.column_stack([np.ones_like(inputs), np.log(inputs)])
    weights = 1 / log_se**2
    covariance = np.linalg.inv(design.T @ (design * weights[:, None]))
    coefficients = covariance @ design.T @ (weights * np.log(rate))
    residual = np.log(rate) - design @ coefficients
    reduced_chi2 = float(np.sum(weights * residual**2) / (inputs.size - 2))
    return float(coefficients[1]), float(np.sqrt(covariance[1, 1])), reduced_chi2


def run(quick: bool = False, seed: int = SEED) -> xr.Dataset:
    n_trials, duration = (40, 1.0) if quick else (200, 2.0)
    names = list(models())
    grid = np.array([tuned_input(c, ORIENTATIONS) for c in CONTRASTS])  # (contrast, orientation)
    tuning, tuning_se, width, width_se = [], [], [], []
    for index, (name, model) in enumerate(models().items()):
        per_group = group_rates(model, grid.ravel(), n_trials, duration, seed + index).reshape(
            N_GROUPS, *grid.shape)
        mean = per_group.mean(axis=0)
        tuning.append(mean)
        tuning_se.append(per_group.std(axis=0, ddof=1) / np.sqrt(N_GROUPS))
        width.append(half_width(mean))
        leave_one_out = (per_group.sum(axis=0)[None] - per_group) / (N_GROUPS - 1)
        width_se.append(_jackknife_se(half_width(leave_one_out)))
        _log.info("%s: half-widths %s deg", name, np.round(width[-1], 2))
    siegert = np.array([[ns.theory.siegert_rate(mu, SIGMA, LIF_TAU) for mu in row] for row in grid])
    noisy = names[:2]
    exponent, exponent_se, chi2, law_rate, law_se = [], [], [], [], []
    for index, name in enumerate(noisy):
        per_group = group_rates(models()[name], POWER_LAW_INPUTS, n_trials, duration, seed + 10 + index)
        rate, se = per_group.mean(axis=0), per_group.std(axis=0, ddof=1) / np.sqrt(N_GROUPS)
        fitted = power_law_fit(POWER_LAW_INPUTS, rate, se)
        exponent.append(fitted[0])
        exponent_se.append(fitted[1])
        chi2.append(fitted[2])
        law_rate.append(rate)
        law_se.append(se)
    siegert_law = np.array([ns.theory.siegert_rate(mu, SIGMA, LIF_TAU) for mu in POWER_LAW_INPUTS])
    siegert_exponent = float(np.polyfit(np.log(POWER_LAW_INPUTS), np.log(siegert_law), 1)[0])
    return xr.Dataset(
        {"tuning": (("model", "contrast", "orientation"), np.array(tuning), {"units": "Hz"}),
         "tuning_se": (("model", "contrast", "orientation"), np.array(tuning_se), {"units": "Hz"}),
         "half_width": (("model", "contrast"), np.array(width), {"units": "degree"}),
         "half_width_se": (("model", "contrast"), np.array(width_se), {"units": "degree"}),
         "siegert_tuning": (("contrast", "orientation"), siegert, {"units": "Hz"}),
         "siegert_half_width": ("contrast", half_width(siegert), {"units": "degree"}),
         "input_half_width": ("contrast", half_width(grid), {"units": "degree"}),
         "power_law_rate": (("noisy_model", "mean_input"), np.array(law_rate), {"units": "Hz"}),
         "power_law_rate_se": (("noisy_model", "mean_input"), np.array(law_se), {"units": "Hz"}),
         "power_law_exponent": ("noisy_model", np.array(exponent)),
         "power_law_exponent_se": ("noisy_model", np.array(exponent_se)),
         "power_law_reduced_chi2": ("noisy_model", np.array(chi2)),
         "siegert_power_law_rate": ("mean_input", siegert_law, {"units": "Hz"})},
        coords={"model": names, "contrast": CONTRASTS, "orientation": ("orientation", ORIENTATIONS, {"units": "rad"}),
                "noisy_model": noisy, "mean_input": POWER_LAW_INPUTS},
        attrs={"seed": seed, "quick": int(quick), "n_trials": n_trials, "duration_s": duration, "kappa": KAPPA,
               "beta": BETA, "sigma": SIGMA, "siegert_power_law_exponent": siegert_exponent, "n_groups": N_GROUPS,
               "models": json.dumps({name: model.to_dict() for name, model in models().items()}),
               "description": DESCRIPTION, **provenance()})


def summary(data: xr.Dataset) -> list[str]:
    lines = []
    for name in data["model"].values:
        row = data.sel(model=name)
        lines.append(f"half-width at half-height, {name}: " + ", ".join(
            f"contrast {c:g}: {w:.2f} +- {s:.2f} deg" for c, w, s in
            zip(data["contrast"].values, row["half_width"].values, row["half_width_se"].values)))
    lines.append("half-width, Siegert rate of the LIF: " + ", ".join(
        f"{c:g}: {w:.2f} deg" for c, w in zip(data["contrast"].values, data["siegert_half_width"].values)) +
        "; of the input itself: " + f"{float(data['input_half_width'][0]):.2f} deg at every contrast")
    for name in data["noisy_model"].values:
        row = data.sel(noisy_model=name)
        exponent, se, chi2 = (float(row[key]) for key in
                              ("power_law_exponent", "power_law_exponent_se", "power_law_reduced_chi2"))
        lines.append(f"power law rate = k mu^n, mu in [0.6, 1.0], {name}: n = {exponent:.2f} +- {se:.2f} "
                     f"(reduced chi^2 {chi2:.1f}; SE scaled by sqrt(chi^2): {se * np.sqrt(max(1.0, chi2)):.2f})")
    lines.append("power law of the Siegert rate over the same range: "
                 f"n = {data.attrs['siegert_power_law_exponent']:.2f}")
    return lines


def figure(data: xr.Dataset):
    """Contrast-invariance figure from results/contrast_invariance.nc (no simulation here).

    a-c: tuning curves per contrast (NSNN, noisy LIF with the Siegert rate, DSNN), one shade per
    contrast. d: half-width at half-height against contrast, ± SE. e: tuning curves normalised to their
    peak. f: rate against the mean input on log-log axes with the power-law fits. d-f: one colour per
    model."""
    from nsnn_sim.experiments import _style as style

    figure, axes = style.subplots(2, 3)
    degrees = np.rad2deg(data["orientation"].values)
    contrasts = data["contrast"].values
    shade = dict(zip(contrasts, style.shades(contrasts.size)))
    for ax, name in zip(axes[0], ["NSNN gaussian membrane", "noisy LIF", "DSNN"]):
        row = data.sel(model=name)
        for contrast in contrasts:
            ax.errorbar(degrees, row["tuning"].sel(contrast=contrast), yerr=row["tuning_se"].sel(contrast=contrast),
                        fmt="o", markersize=3, capsize=1, color=shade[contrast])
            if name == "noisy LIF":
                ax.plot(degrees, data["siegert_tuning"].sel(contrast=contrast), "-", color=shade[contrast],
                        linewidth=1)
        if name == "noisy LIF":
            ax.plot([], [], "k-", label="Siegert rate")
            ax.legend()
        ax.set_xlabel("orientation from preferred (degree)")
        ax.set_ylabel("firing rate (Hz, ± SE)")
        ax.set_title(f"{name}: tuning against contrast")
    style.figure_legend(
        figure, {f"{contrast:g}": style.key(shade[contrast], linestyle="none") for contrast in contrasts},
        title="peak input\n(contrast, a-c)")
    width_ax, normal_ax, law_ax = axes[1]
    color_of = {str(name): f"C{index}" for index, name in enumerate(data["model"].values)}
    for name, color in color_of.items():
        row = data.sel(model=name)
        width_ax.errorbar(data["contrast"], row["half_width"], yerr=row["half_width_se"], fmt="o-", color=color)
        for k, contrast in enumerate(contrasts):
            curve = row["tuning"].sel(contrast=contrast).values
            normal_ax.plot(degrees, curve / curve.max(), "-", color=color, alpha=0.4 + 0.15 * k)
    figure.legend([style.key(color, marker="none") for color in color_of.values()], list(color_of),
                  loc="outside right lower", title="model (d-f)")
    width_ax.plot(data["contrast"], data["siegert_half_width"], "k--", label="Siegert (LIF theory)")
    width_ax.plot(data["contrast"], data["input_half_width"], "k:", label="input")
    width_ax.set_xlabel("contrast (peak input, membrane units; threshold 1)")
    width_ax.set_ylabel("half-width at half-height (degree, ± SE)")
    width_ax.set_title("Noise makes the width contrast invariant")
    width_ax.legend()
    normal_ax.set_xlabel("orientation from preferred (degree)")
    normal_ax.set_ylabel("rate / peak rate")
    normal_ax.set_title("Normalised tuning (darker: higher contrast)")
    inputs = data["mean_input"].values
    for name in data["noisy_model"].values:
        row = data.sel(noisy_model=name)
        color = color_of[str(name)]
        law_ax.errorbar(inputs, row["power_law_rate"], yerr=row["power_law_rate_se"], fmt="o", color=color,
                        label=f"n = {float(row['power_law_exponent']):.2f} ± {float(row['power_law_exponent_se']):.2f}")
        fit_rate = row["power_law_rate"].values
        scale = np.exp(np.mean(np.log(fit_rate) - float(row["power_law_exponent"]) * np.log(inputs)))
        law_ax.plot(inputs, scale * inputs ** float(row["power_law_exponent"]), "-", color=color)
    law_ax.plot(inputs, data["siegert_power_law_rate"], "k--",
                label=f"Siegert: n = {data.attrs['siegert_power_law_exponent']:.2f}")
    law_ax.set_xscale("log")
    law_ax.set_yscale("log")
    style.log_ticks(law_ax.xaxis, np.round(inputs[::2], 2))
    style.log_ticks(law_ax.yaxis)
    law_ax.set_xlabel("mean membrane input mu (threshold 1)")
    law_ax.set_ylabel("firing rate (Hz, ± SE)")
    law_ax.set_title("Power law of the rate below threshold")
    law_ax.legend(title="power-law exponent")
    return figure


