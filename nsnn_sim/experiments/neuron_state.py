"""Neuron state and spike-train statistics: synaptic filtering of the noise and spike-triggered adaptation.

    python analyses/neuron_state.py [--quick]
    python figures/neuron_state.py

Two sweeps of a LIF (tau 20 ms, dead time 2 ms, exact integration), each population stationary (a warm-up
is dropped): (1) the input noise filtered by an exponential synapse of ``tau_syn`` from 0 (white noise) to
50 ms at a fixed white-noise-limit SD (``ExpSynapse(tau_syn, sigma)``, nsnn_sim's Fourcaud-Brunel convention);
(2) a spike-triggered adaptation current of strength ``b`` (``tau_w`` 100 ms) with white membrane noise. For
each: the rate (against Fourcaud & Brunel's first-order theory, and the mean-adaptation theory), the ISI CV,
the serial correlations ``rho_k`` of successive intervals with jackknife SEs
(:func:`nsnn_sim.analysis.stats.isi_serial_correlation`), and the Fano factor of counts in long windows against
``CV^2 (1 + 2 sum_k rho_k)`` (Cox & Lewis 1966) and the renewal value ``CV^2``. Known results: adaptation makes
``rho_1 < 0`` (and the Fano factor falls below ``CV^2``); slow coloured noise makes ``rho_1 > 0`` (Lindner 2004).

Examples
--------
>>> from nsnn_sim.experiments import get
>>> get("neuron_state").seed
27
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nsnn_sim import theory
from nsnn_sim.analysis.stats import fano_of_counts, isi_serial_correlation, stationary_part, stationary_rate
from nsnn_sim.simulator.engine import simulate
from nsnn_sim.simulator.neurons import LIF
from nsnn_sim.simulator.state import Adaptation, ExpSynapse

DESCRIPTION = "Synaptic filtering and adaptation: rate, ISI CV, serial correlations and long-window Fano factors."
SEED = 27
ORDER = 12
QUICK = {"n_neurons": 100, "duration": 12.0, "tau_syn": (0.0, 1e-3, 5e-3, 50e-3), "adaptation_b": (0.0, 0.02, 0.1)}
TAU, TAU_REF, DT, MU, SIGMA = 20e-3, 2e-3, 1e-4, 0.9, 0.4
TAU_W = 0.1
TAU_SYN = (0.0, 0.5e-3, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3, 50e-3)
ADAPTATION_B = (0.0, 0.01, 0.02, 0.05, 0.1)
WARMUP = 1.0  # s: ten adaptation time constants
MAX_LAG = 15
FANO_WINDOW_ISIS = 100  # the counting window, in mean ISIs of the population


OPTIONS = {"--n-neurons": {"type": int, "help": "neurons per condition (default 1000; quick: 100)"},
           "--duration": {"type": float, "help": "seconds per neuron (default 100; quick: 12)"}}


def _model(tau_syn: float = 0.0, b: float = 0.0) -> LIF:
    common = dict(tau=TAU, tau_ref=TAU_REF, dt=DT, method="exact")
    if tau_syn > 0:  # the noise passes the synapse; the membrane has none of its own
        return LIF(noise="none", synapses={"syn": ExpSynapse(tau_syn, SIGMA)}, **common)
    if b > 0:  # with state the threshold is checked on the grid (a few % fewer spikes than continuous time)
        return LIF(sigma=SIGMA, adaptation=Adaptation(TAU_W, 0.0, b), **common)
    return LIF(sigma=SIGMA, threshold_crossing="substep", **common)


def _statistics(spikes) -> dict:
    """Rate (stationary protocol), serial correlations, and the Fano factor of long windows (ddof = 1 over the
    windows of each neuron, mean over neurons, SE over neurons)."""
    rate, rate_se = stationary_rate(spikes, warmup=WARMUP)
    stationary = stationary_part(spikes, WARMUP)
    serial = isi_serial_correlation(stationary, max_lag=MAX_LAG)
    # windows of about FANO_WINDOW_ISIS mean intervals that tile the stationary part exactly
    n_windows = max(2, int(stationary.n_steps * DT * rate / FANO_WINDOW_ISIS))
    width = stationary.n_steps // n_windows
    window = width * DT
    counts = stationary.crop(0.0, n_windows * window).counts(window=window).values  # (trial, neuron, window)
    per_neuron = fano_of_counts(counts[0], axis=1, ddof=1)
    return {"rate": rate, "rate_se": rate_se, "cv": float(serial.cv), "cv_se": float(serial.cv_se),
            "rho": serial.rho.values, "rho_se": serial.rho_se.values,
            "fano": float(per_neuron.mean()), "fano_se": float(per_neuron.std(ddof=1) / np.sqrt(per_neuron.size)),
            "fano_limit": float(serial.fano_limit), "fano_limit_se": float(serial.fano_limit_se),
            "fano_window": window}


def run(quick: bool = False, seed: int = SEED, n_neurons: int = 1000, duration: float = 100.0,
        tau_syn: tuple = TAU_SYN, adaptation_b: tuple = ADAPTATION_B) -> xr.Dataset:
    """Both sweeps (module docstring), ``n_neurons`` independent neurons for ``duration`` seconds each, at the
    synaptic time constants ``tau_syn`` (s) and adaptation jumps ``adaptation_b``."""
    n_steps = int(round(duration / DT))
    rows = []
    for sweep, values in (("tau_syn", tau_syn), ("adaptation_b", adaptation_b)):
        for value in values:
            model = _model(tau_syn=value) if sweep == "tau_syn" else _model(b=value)
            spikes = simulate(model, MU, n_neurons=n_neurons, n_steps=n_steps, seed=seed + len(rows)).spikes
            if sweep == "tau_syn":
                predicted = theory.fourcaud_brunel_rate(MU, SIGMA, value, tau=TAU, tau_ref=TAU_REF)
            else:
                predicted = theory.adapted_rate(MU, SIGMA, b=value, tau_w=TAU_W, tau=TAU, tau_ref=TAU_REF)
            rows.append({"sweep": sweep, "value": value, "theory_rate": predicted, **_statistics(spikes)})
    condition = np.arange(len(rows))
    lag = np.arange(1, MAX_LAG + 1)
    scalar = lambda key: ("condition", np.array([row[key] for row in rows]))  # noqa: E731
    dataset = xr.Dataset(
        {key: scalar(key) for key in ("value", "theory_rate", "rate", "rate_se", "cv", "cv_se", "fano", "fano_se",
                                       "fano_limit", "fano_limit_se", "fano_window")}
        | {"rho": (("condition", "lag"), np.array([row["rho"] for row in rows])),
           "rho_se": (("condition", "lag"), np.array([row["rho_se"] for row in rows]))},
        coords={"condition": condition, "lag": lag, "sweep": ("condition", [row["sweep"] for row in rows])},
        attrs={"quick": int(quick), "seed": seed, "n_neurons": n_neurons, "duration_s": duration, "tau_s": TAU,
               "tau_ref_s": TAU_REF, "dt_s": DT, "mu": MU, "sigma": SIGMA, "tau_w_s": TAU_W, "warmup_s": WARMUP})
    for name, units in (("rate", "Hz"), ("theory_rate", "Hz"), ("rate_se", "Hz"), ("fano_window", "s")):
        dataset[name].attrs["units"] = units
    return dataset


def figure(data: xr.Dataset):
    from nsnn_sim.experiments import _style as style

    fig, axes = style.subplots(2, 3)
    for row, (sweep, label, scale) in enumerate((("tau_syn", "synaptic time constant tau_syn (ms)", 1e3),
                                                  ("adaptation_b", "adaptation jump b (membrane units)", 1.0))):
        part = data.where(data.sweep == sweep, drop=True)
        x = part.value.values * scale
        ax = axes[row, 0]
        ax.errorbar(x, part.rate, 2 * part.rate_se, fmt="o", label="simulation (+-2 SE)")
        valid = part.value.values <= 0.5 * TAU if sweep == "tau_syn" else np.ones(x.size, bool)  # first order
        ax.plot(x[valid], part.theory_rate.values[valid], "k--",
                label="Fourcaud-Brunel (tau_syn <= tau/2)" if sweep == "tau_syn" else "mean adaptation")
        ax.set(xlabel=label, ylabel="rate (Hz)")
        ax.legend()
        ax = axes[row, 1]
        for lag in (1, 2, 3):
            ax.errorbar(x, part.rho.sel(lag=lag), 2 * part.rho_se.sel(lag=lag), fmt="o-", label=f"rho_{lag}")
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set(xlabel=label, ylabel="ISI serial correlation")
        ax.legend()
        ax = axes[row, 2]
        ax.errorbar(x, part.fano, 2 * part.fano_se, fmt="o", label="Fano factor, long windows")
        ax.errorbar(x, part.fano_limit, 2 * part.fano_limit_se, fmt="s", mfc="none",
                    label="CV^2 (1 + 2 sum rho_k)")
        ax.plot(x, part.cv**2, "k:", label="CV^2 (renewal)")
        ax.set(xlabel=label, ylabel="Fano factor")
        ax.legend()
        if sweep == "tau_syn":
            for ax in axes[row]:
                ax.set_xscale("symlog", linthresh=1.0, linscale=0.5)
                ax.set_xticks(x, [f"{value:g}" for value in x])
                ax.set_xlim(-0.2, x.max() * 1.4)
    return fig


def summary(data: xr.Dataset) -> list[str]:
    lines = []
    for index in data.condition.values:
        row = data.sel(condition=index)
        name = (f"tau_syn {float(row.value) * 1e3:g} ms" if str(row.sweep.values) == "tau_syn"
                else f"adaptation b {float(row.value):g}")
        lines.append(f"{name}: rate {float(row.rate):.2f} +- {float(row.rate_se):.2f} Hz (theory "
                     f"{float(row.theory_rate):.2f}), CV {float(row.cv):.3f}, rho_1 {float(row.rho.sel(lag=1)):+.3f} "
                     f"+- {float(row.rho_se.sel(lag=1)):.3f}, Fano {float(row.fano):.3f} +- {float(row.fano_se):.3f} "
                     f"vs CV^2(1 + 2 sum rho) {float(row.fano_limit):.3f} +- {float(row.fano_limit_se):.3f}")
    return lines
