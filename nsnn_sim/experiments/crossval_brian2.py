"""Statistical cross-validation of nsnn_sim against Brian2 over a grid of models and inputs.

For every condition the same model, inputs and connections run in nsnn_sim and in Brian2
(Cython runtime, its own random numbers); every condition has its own seeds, so the conditions are
independent. nsnn_sim.analysis.compare.compare tests rate, ISI CV, Fano factor (100 ms windows), the ISI
distribution (KS) and, for time-varying input, the PSTH; p-values are Bonferroni-corrected over
every test of the grid. Where theory applies (LIF with Gaussian membrane noise, reset to a fixed
value, constant input) both simulators' stationary rates (nsnn_sim.analysis.stats.stationary_rate) are compared
with theory: for bridge crossing with the rate of the Euler scheme simulated (theory.euler_rate, tested),
for grid crossing with Siegert at the threshold shifted by theory.grid_threshold_shift (shown), and
Brunel's ISI CV (shown).

Writes results/crossval_brian2.nc and results/crossval_brian2.md.

    python analyses/crossval_brian2.py [--quick] [--only NAME ...]
    python figures/crossval_brian2.py

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('crossval_brian2')
>>> experiment.description
'nsnn_sim against Brian2 over a grid of models (independent seeds).'
>>> experiment.seed, experiment.module.__name__
(0, 'nsnn_sim.experiments.crossval_brian2')
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import xarray as xr
from scipy import stats

import nsnn_sim as ns
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.analysis import stats as spike_statistics
from nsnn_sim.analysis.compare import compare
from nsnn_sim.simulator.brunel import brunel_model_a
from nsnn_sim.spikes import stack_trials

_log = get_logger(__name__)

DESCRIPTION = "nsnn_sim against Brian2 over a grid of models (independent seeds)."
SEED = 0  # the seeds are fixed per condition (100 k); kept for the common interface
ORDER = 80
REQUIRES = {"brian2": "brian2"}
METRICS = ("rate", "cv", "fano", "isi_ks", "psth")
FAMILY_ALPHA = 0.05
LABELS = {"rate": "firing rate (Hz)", "cv": "ISI CV", "fano": "Fano factor (100 ms)"}
MARKERS = {"rate": "o", "cv": "s", "fano": "^", "isi_ks": "D", "psth": "v"}


@dataclass
class Condition:
    """One row of the grid: how to build the model, inputs and connections at a given size."""

    name: str
    model: object
    inputs: Callable[[int, int, int], object]  # (n_neurons, n_steps, n_trials) -> inputs
    n_neurons: int
    duration: float
    n_trials: int = 1
    connections: object = None
    renewal: bool = True
    time_varying: bool = False
    theory: bool = False  # Siegert / Brunel CV apply (tested for bridge crossing, shown otherwise)
    warmup: float = 0.05
    initial_state: object = None
    notes: str = ""
    tags: dict = field(default_factory=dict)


def constant(value):
    return lambda n_neurons, n_steps, n_trials: value


def sinusoid(mean, amplitude, frequency, dt):
    def make(n_neurons, n_steps, n_trials):
        time_axis = np.arange(n_steps) * dt
        return np.repeat((mean + amplitude * np.sin(2 * np.pi * frequency * time_axis))[:, None], n_neurons, axis=1)
    return make


#: The conditions of the quick grid (smaller populations too): the LIF's grid and bridge crossing and its
#: exact method, the NSNN's three firing rules, and Brunel's network. Brian2's code generation costs 2-9 s
#: per condition on a first run (measured: 49.5 s for nine), which kept the full 19-condition grid, and nine
#: of them, at or above a minute even at the quick sizes.
QUICK_CONDITIONS = ("LIF euler gaussian, mu 0.9, sigma 0.5", "LIF bridge crossing, refractory 2 ms, mu 1.2",
                    "LIF exact method, u_rest 0.2, u_reset -0.2", "NSNN gaussian membrane", "NSNN logistic escape",
                    "NSNN gaussian reference (PyTorch code)", "Brunel model A")


def grid(quick: bool) -> list[Condition]:
    """At least 16 conditions: both model kinds, every noise family and none, all firing rules, both
    resets, refractoriness on and off, constant and time-varying input, and Brunel's network; ``quick``:
    the seven of :data:`QUICK_CONDITIONS` at smaller sizes.

    Sizes: LIF 800 neurons, NSNN 1000, 2 s each (quick: 300 and 400, 1 s); Brunel's network 10,000 excitatory
    neurons, J 0.1 mV, 8 trials of 1 s (quick: 2000, J 0.5 mV, 6 trials of 0.5 s), its membranes started uniform in
    10-20 mV (seed 7) and its first 0.1 s left out of the comparison (the others' first 50 ms). A name
    states the model's parameters and the constant input ``mu``; where it does not:
    LIF subtract reset 0.9, exact method 0.7, escape logistic 0.95 (logistic scale 0.05), no noise + Poisson
    drive 0.7 + 20 sources of 400 Hz, weight 0.05 (refractory 2 ms), time-varying 0.9 + 0.3 sin(2 pi 5 Hz t)
    (sigma 0.3); NSNN (dt 1 ms) gaussian membrane 0.45 (scale 0.4), logistic escape 0.4 (scale 0.2),
    triangular 0.35 (scale 0.6), uniform escape 0.4 + 0.15 sin(2 pi 4 Hz t) (scale 0.4), cauchy 0.45 (scale
    0.1), gaussian reference 0.4 (scale 0.3), logistic reference 0.4 + 0.15 sin(2 pi 3 Hz t) (scale 0.2),
    deterministic 0.2 + 10 sources of 30 Hz, weight 0.25, heterogeneous beta 0.2-0.8 (scale 0.3) 0.3 + 10
    sources of 20 Hz, weight 0.2."""
    lif_n, nsnn_n = (300, 400) if quick else (800, 1000)
    lif_t, nsnn_t = (1.0, 1.0) if quick else (2.0, 2.0)
    dt = 1e-4
    conditions = [
        Condition("LIF euler gaussian, mu 0.9, sigma 0.5", ns.LIF(sigma=0.5, method="euler"), constant(0.9), lif_n,
                  lif_t, theory=True),
        Condition("LIF euler gaussian, refractory 2 ms, mu 1.2", ns.LIF(sigma=0.2, tau_ref=2e-3, method="euler"),
                  constant(1.2), lif_n, lif_t, theory=True),
        Condition("LIF bridge crossing, mu 0.6, sigma 0.3", ns.LIF(sigma=0.3, threshold_crossing="bridge",
                                                                   method="euler"),
                  constant(0.6), lif_n, lif_t, theory=True),
        Condition("LIF bridge crossing, refractory 2 ms, mu 1.2", ns.LIF(sigma=0.2, tau_ref=2e-3,
                                                                         threshold_crossing="bridge", method="euler"),
                  constant(1.2), lif_n, lif_t, theory=True),
        Condition("LIF subtract reset, refractory 1 ms", ns.LIF(sigma=0.4, tau_ref=1e-3, reset="subtract",
                                                                method="euler"),
                  constant(0.9), lif_n, lif_t, renewal=False),
        Condition("LIF time-varying input (5 Hz)", ns.LIF(sigma=0.3, method="euler"), sinusoid(0.9, 0.3, 5.0, dt),
                  lif_n, lif_t, renewal=False, time_varying=True),
        Condition("LIF exact method, u_rest 0.2, u_reset -0.2",
                  ns.LIF(sigma=0.4, method="exact", u_rest=0.2, u_reset=-0.2, threshold_crossing="grid"),
                  constant(0.7), lif_n, lif_t),
        Condition("LIF escape logistic", ns.LIF(firing="escape", noise="logistic", sigma=0.05, tau_ref=1e-3,
                                                method="euler"),
                  constant(0.95), lif_n, lif_t),
        Condition("LIF no noise + Poisson drive", ns.LIF(noise="none", tau_ref=2e-3, method="euler"),
                  lambda n, s, t: [0.7, ns.poisson_input(rate=400.0, weight=0.05, n_sources=20)], lif_n, lif_t),
        Condition("NSNN gaussian membrane", ns.NSNN(noise_scale=0.4, dt=1e-3), constant(0.45), nsnn_n, nsnn_t),
        Condition("NSNN logistic escape", ns.NSNN(noise="logistic", noise_scale=0.2, firing="escape", dt=1e-3),
                  constant(0.4), nsnn_n, nsnn_t),
        Condition("NSNN triangular membrane, subtract reset", ns.NSNN(noise="triangular", noise_scale=0.6,
                                                                      reset="subtract", dt=1e-3), constant(0.35),
                  nsnn_n, nsnn_t, renewal=False),
        Condition("NSNN uniform escape, time-varying", ns.NSNN(noise="uniform", noise_scale=0.4, firing="escape",
                                                              dt=1e-3), sinusoid(0.4, 0.15, 4.0, 1e-3), nsnn_n,
                  nsnn_t, renewal=False, time_varying=True),
        Condition("NSNN cauchy escape", ns.NSNN(noise="cauchy", noise_scale=0.1, firing="escape", dt=1e-3),
                  constant(0.45), nsnn_n, nsnn_t),
        Condition("NSNN gaussian reference (PyTorch code)", ns.NSNN(noise_scale=0.3, firing="reference", dt=1e-3),
                  constant(0.4), nsnn_n, nsnn_t),
        Condition("NSNN logistic reference, time-varying", ns.NSNN(noise="logistic", noise_scale=0.2,
                                                                   firing="reference", dt=1e-3),
                  sinusoid(0.4, 0.15, 3.0, 1e-3), nsnn_n, nsnn_t, renewal=False, time_varying=True),
        Condition("NSNN deterministic + Poisson drive", ns.NSNN(noise="none", dt=1e-3),
                  lambda n, s, t: [0.2, ns.poisson_input(rate=30.0, weight=0.25, n_sources=10)], nsnn_n, nsnn_t),
        Condition("NSNN heterogeneous beta, gaussian + Poisson", ns.NSNN(beta=np.linspace(0.2, 0.8, nsnn_n),
                                                                          noise_scale=0.3, dt=1e-3),
                  lambda n, s, t: [0.3, ns.poisson_input(rate=20.0, weight=0.2, n_sources=10)], nsnn_n, nsnn_t),
    ]
    # Brunel's Fig. 8B parameters (g = 6, eta = 4); C_E = 200 with J = 0.5 mV in quick mode keeps J*C_E
    network = brunel_model_a(2000 if quick else 10_000, epsilon=0.1, j=0.5 if quick else 0.1, g=6.0, eta=4.0, seed=7)
    initial = np.random.default_rng(7).uniform(10.0, 20.0, network.n_neurons)
    conditions.append(Condition(
        f"Brunel model A, N={network.n_neurons}, g=6, eta=4", network.model, constant(network.inputs),
        network.n_neurons, 0.5 if quick else 1.0, n_trials=6 if quick else 8, connections=network.connections,
        renewal=False, warmup=0.1, initial_state=initial,
        notes=f"C_E={int(round(0.1 * network.n_excitatory))}, J={0.5 if quick else 0.1} mV, D=1.5 ms"))
    if quick:
        conditions = [c for c in conditions if c.name.startswith(QUICK_CONDITIONS)]
    return conditions


def run_condition(condition: Condition, seed: int) -> dict:
    """Run one condition in both simulators (nsnn_sim: ``seed``; Brian2: ``seed + 1`` onwards)."""
    from nsnn_sim.interop.brian2 import run_brian2  # the brian2 extra, imported only when run

    model = condition.model
    n_steps = int(round(condition.duration / model.dt))
    inputs = condition.inputs(condition.n_neurons, n_steps, condition.n_trials)
    common = dict(n_neurons=condition.n_neurons, n_steps=n_steps, connections=condition.connections,
                  initial_state=condition.initial_state)
    ours = ns.simulate(model, inputs, n_trials=condition.n_trials, seed=seed, **common)
    recurrent = condition.connections is not None
    if recurrent:  # one Brian2 network per trial (block-diagonal trials would multiply the synapses)
        runs = [run_brian2(model, inputs, n_trials=1, seed=seed + 1 + trial, **common)
                for trial in range(condition.n_trials)]
        theirs_spikes, theirs_wall = stack_trials([run.spikes for run in runs]), sum(run.run_time for run in runs)
    else:
        run = run_brian2(model, inputs, n_trials=condition.n_trials, seed=seed + 1, **common)
        theirs_spikes, theirs_wall = run.spikes, run.run_time
    comparison = compare(ours.spikes, theirs_spikes, warmup=condition.warmup, by_trial=recurrent,
                         renewal=condition.renewal, time_varying=condition.time_varying)
    out = {"comparison": comparison, "wall": (ours.run_time, theirs_wall),
           "spikes": (len(ours.spikes), len(theirs_spikes))}
    if condition.theory:
        out["theory"] = theory_checks(model, float(inputs), [ours.spikes, theirs_spikes])
    return out


def theory_checks(model, mu: float, trains) -> dict:
    """Rate against theory and CV against Brunel, for each simulator, by the stationary-rate protocol
    (:func:`nsnn_sim.analysis.stats.stationary_rate`: counts after its warm-up, SE over trains).

    With bridge crossing the theory rate is the one of the scheme simulated, Euler's stationary OU with
    the reset at the end of the step (:func:`nsnn_sim.theory.euler_rate` with ``crossing="bridge"``), and
    it is tested (z-test). With the threshold checked on the grid the value shown is Siegert at the
    shifted threshold (theory.grid_threshold_shift), a leading-order correction whose O(dt) remainder
    (0.1-0.3 %) exceeds the SE of these runs, so it is reported, not tested.
    """
    bridge = model.threshold_crossing == "bridge"
    if bridge:
        rate = ns.theory.euler_rate(mu, model.sigma, model.dt, model.tau, model.threshold, model.u_reset,
                                    model.tau_ref, model.u_rest, crossing="bridge")
    else:
        shift = ns.theory.grid_threshold_shift(model.sigma, model.dt, model.tau)
        rate = ns.theory.siegert_rate(mu, model.sigma, model.tau, model.threshold + shift, model.u_reset,
                                      model.tau_ref, model.u_rest)
    cv = ns.theory.isi_cv(mu, model.sigma, model.tau, model.threshold, model.u_reset, model.tau_ref, model.u_rest)
    result = {"theory_rate": rate, "theory_cv": cv, "p": [], "rate": [], "cv": []}
    for spikes in trains:
        mean, se = spike_statistics.stationary_rate(spikes)
        spikes = spike_statistics.stationary_part(spikes)
        result["rate"].append(mean)
        result["cv"].append(float(spike_statistics.isi_cv(spikes, pool="all")))  # pooled, as Brunel's CV
        result["p"].append(float(2 * stats.norm.sf(abs(mean - rate) / se)) if bridge else math.nan)
    return result


OPTIONS = {"--only": {"nargs": "*", "metavar": "TEXT",
                      "help": "run only the conditions whose name contains one of these"}}


def run(quick: bool = False, seed: int = SEED, only=None) -> xr.Dataset:
    """Every condition of :func:`grid` (or those whose name contains one of ``only``) in both simulators."""
    conditions = [c for c in grid(quick) if not only or any(key in c.name for key in only)]

    names = [c.name for c in conditions]
    shape = (len(conditions), len(METRICS))
    value = np.full(shape + (2,), np.nan)
    se = np.full(shape + (2,), np.nan)
    p_value = np.full(shape, np.nan)
    wall = np.zeros((len(conditions), 2))
    n_spikes = np.zeros((len(conditions), 2), dtype=np.int64)
    theory_rate, theory_cv = np.full(len(conditions), np.nan), np.full(len(conditions), np.nan)
    theory_p = np.full((len(conditions), 2), np.nan)
    for row, condition in enumerate(conditions):
        start = time.perf_counter()
        out = run_condition(condition, seed=100 * (row + 1))  # independent streams in every condition
        comparison = out["comparison"]
        for column, metric in enumerate(METRICS):
            if metric in comparison.p_values:
                value[row, column] = comparison.values_a[metric], comparison.values_b[metric]
                se[row, column] = comparison.se_a[metric], comparison.se_b[metric]
                p_value[row, column] = comparison.p_values[metric]
        wall[row] = out["wall"]
        n_spikes[row] = out["spikes"]
        if "theory" in out:
            theory_rate[row], theory_cv[row] = out["theory"]["theory_rate"], out["theory"]["theory_cv"]
            theory_p[row] = out["theory"]["p"]
        _log.info(f"[{row + 1}/{len(conditions)}] {condition.name}: min p {np.nanmin(p_value[row]):.3g} "
                  f"({time.perf_counter() - start:.1f} s)")

    n_tests = int(np.isfinite(p_value).sum() + np.isfinite(theory_p).sum())
    threshold = FAMILY_ALPHA / n_tests
    agree = np.all(~(p_value < threshold), axis=1) & np.all(~(theory_p < threshold), axis=1)
    dataset = xr.Dataset(
        {
            "value": (("condition", "metric", "simulator"), value),
            "se": (("condition", "metric", "simulator"), se),
            "p_value": (("condition", "metric"), p_value),
            "wall_time": (("condition", "simulator"), wall, {"units": "s"}),
            "n_spikes": (("condition", "simulator"), n_spikes),
            "theory_rate": ("condition", theory_rate, {"units": "Hz"}),
            "theory_cv": ("condition", theory_cv),
            "theory_p_value": (("condition", "simulator"), theory_p),
            "agree": ("condition", agree),
            "n_neurons": ("condition", [c.n_neurons for c in conditions]),
            "n_trials": ("condition", [c.n_trials for c in conditions]),
            "duration": ("condition", [c.duration for c in conditions], {"units": "s"}),
        },
        coords={"condition": names, "metric": list(METRICS), "simulator": ["nsnn_sim", "brian2"]},
        attrs={"family_alpha": FAMILY_ALPHA, "n_tests": n_tests, "bonferroni_threshold": threshold,
               "quick": int(quick), **provenance(),
               "seeds": "condition k (from 1): nsnn_sim 100k, Brian2 100k+1 (+ trial for networks)",
               "metric_units": "rate Hz; cv, fano dimensionless; isi_ks: median ISI (s); psth: PSTH correlation",
               "brian2_target": "cython"},
    )
    _log.info("%s", markdown_table(dataset))
    return dataset


def MARKDOWN(data: xr.Dataset) -> str:  # noqa: N802 (the experiment interface's name)
    """The table written beside the results (results/crossval_brian2.md)."""
    return markdown_table(data)


def markdown_table(dataset: xr.Dataset) -> str:
    """condition, nsnn_sim and Brian2 values (rate, CV, Fano), smallest p-value, verdict, wall times."""
    lines = [f"Bonferroni: {dataset.attrs['n_tests']} tests, family alpha {dataset.attrs['family_alpha']}, "
             f"per-test threshold {dataset.attrs['bonferroni_threshold']:.2e}", "",
             "| condition | rate nsnn_sim (Hz) | rate Brian2 (Hz) | CV nsnn_sim / Brian2 | Fano nsnn_sim / Brian2 | "
             "theory rate (Hz) | smallest p (test) | verdict | wall nsnn_sim (s) | wall Brian2 (s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name in dataset["condition"].values:
        row = dataset.sel(condition=name)
        value, se = row["value"], row["se"]

        def pair(metric):
            a, b = value.sel(metric=metric).values
            return "-" if np.isnan(a) else f"{a:.3f} / {b:.3f}"

        p = row["p_value"].values
        theory_p = row["theory_p_value"].values
        candidates = [(p[i], METRICS[i]) for i in range(len(METRICS)) if np.isfinite(p[i])]
        candidates += [(theory_p[i], f"theory, {s}") for i, s in enumerate(("nsnn_sim", "Brian2"))
                       if np.isfinite(theory_p[i])]
        smallest, test = min(candidates)
        rate = value.sel(metric="rate").values
        rate_se = se.sel(metric="rate").values
        theory = row["theory_rate"].item()
        lines.append(
            f"| {name} | {rate[0]:.2f} ± {rate_se[0]:.2f} | {rate[1]:.2f} ± {rate_se[1]:.2f} | {pair('cv')} | "
            f"{pair('fano')} | {'-' if np.isnan(theory) else f'{theory:.2f}'} | {smallest:.3g} ({test}) | "
            f"{'agree' if row['agree'].item() else 'DIFFER'} | {row['wall_time'].values[0]:.2f} | "
            f"{row['wall_time'].values[1]:.2f} |")
    return "\n".join(lines) + "\n"



def figure(data: xr.Dataset):
    """Summary of results/crossval_brian2.nc -> figures/out/crossval_brian2.png (no simulation here).
    
    Top: rate, ISI CV and Fano factor of nsnn_sim against Brian2 for every condition (with ±2 SE bars;
    the diagonal is agreement). Bottom: every test's p-value against the Bonferroni threshold."""
    import matplotlib.pyplot as plt

    from nsnn_sim.experiments import _style as style

    figure = plt.figure(figsize=(3 * style.PANEL[0], 2.25 * style.PANEL[1]), layout="constrained")
    grid = figure.add_gridspec(2, 3, height_ratios=[1, 1.25])
    for column, metric in enumerate(LABELS):
        ax = figure.add_subplot(grid[0, column])
        values = data["value"].sel(metric=metric)
        errors = 2 * data["se"].sel(metric=metric)
        ours, theirs = values.sel(simulator="nsnn_sim").values, values.sel(simulator="brian2").values
        ax.errorbar(ours, theirs, xerr=errors.sel(simulator="nsnn_sim").values,
                    yerr=errors.sel(simulator="brian2").values, fmt="o", markersize=4, capsize=2,
                    label="one condition (±2 SE)")
        finite = np.isfinite(ours) & np.isfinite(theirs)
        low, high = np.min(np.r_[ours[finite], theirs[finite]]), np.max(np.r_[ours[finite], theirs[finite]])
        ax.plot([low, high], [low, high], color="k", linewidth=0.8, label="equality")
        if metric == "rate":
            ax.set_xscale("log")
            ax.set_yscale("log")
            style.log_ticks(ax.xaxis)
            style.log_ticks(ax.yaxis)
        ax.set_xlabel(f"nsnn_sim: {LABELS[metric]}")
        ax.set_ylabel(f"Brian2: {LABELS[metric]}")
        ax.legend(loc="upper left")
    ax = figure.add_subplot(grid[1, :])
    names = list(data["condition"].values)
    positions = np.arange(len(names))
    for offset, metric in enumerate(data["metric"].values):
        p = data["p_value"].sel(metric=metric).values
        ax.scatter(positions + 0.12 * (offset - 2), p, marker=MARKERS[str(metric)], label=str(metric), s=22)
    theory = data["theory_p_value"]
    for offset, simulator in enumerate(theory["simulator"].values):
        ax.scatter(positions + 0.3 + 0.08 * offset, theory.sel(simulator=simulator).values, marker="*", s=40,
                   label=f"theory rate vs {simulator}")
    threshold = data.attrs["bonferroni_threshold"]
    ax.axhline(threshold, color="C3", linestyle="--",
               label=f"Bonferroni threshold ({data.attrs['n_tests']} tests, family alpha {data.attrs['family_alpha']})")
    ax.set_yscale("log")
    ax.set_ylim(min(threshold / 10, np.nanmin(data["p_value"].values) / 2), 1.5)
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=35, ha="right", fontsize=7)
    ax.set_ylabel("two-sided p-value")
    verdict = "all conditions agree" if bool(data["agree"].all()) else \
        f"{int((~data['agree']).sum())} condition(s) differ"
    ax.set_title(f"nsnn_sim vs Brian2 ({data.attrs['brian2_target']}), independent seeds: {verdict}")
    ax.legend(ncol=4, loc="lower left")
    return figure



def summary(data: xr.Dataset) -> list[str]:
    agree = int(data["agree"].sum())
    smallest = float(np.nanmin(data["p_value"].values))
    return [f"{agree} of {data.sizes['condition']} conditions agree with Brian2 at the Bonferroni level "
            f"({data.attrs['n_tests']} tests, threshold {data.attrs['bonferroni_threshold']:.1e}); "
            f"smallest p-value {smallest:.3g}"]
