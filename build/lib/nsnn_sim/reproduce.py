"""Every experiment of the project, from simulation to figure, and the report that lists them.

An :class:`Experiment` names its analysis script (``analyses/NAME.py`` -> ``results/NAME.nc``), its
figure script (``figures/NAME.py`` -> ``figures/out/NAME.png``), the arguments of its quick and
full modes, and a function that reads its results and states the key numbers. :func:`reproduce`
runs the analyses, then the figures, each in its own process, and writes ``figures/REPORT.md``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import xarray as xr

__all__ = ["Experiment", "EXPERIMENTS", "reproduce", "source_root", "analysis_arguments"]


def analysis_arguments(name: str, description: str, seed: int, quick_help: str, argv=None, add_options=None):
    """Command-line arguments shared by the analysis scripts: ``--quick``, ``--seed`` (default
    ``seed``) and ``--out`` (default ``results/NAME.nc``); ``add_options(parser)`` adds a script's own."""
    import argparse

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--out", type=Path, default=Path(f"results/{name}.nc"))
    if add_options is not None:
        add_options(parser)
    return parser.parse_args(argv)


def source_root() -> Path:
    """The checkout holding analyses/ and figures/ (the package's parent folder)."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "analyses").is_dir() or not (root / "figures").is_dir():
        raise FileNotFoundError(f"analyses/ and figures/ not found beside {root / 'nsnn_sim'}: "
                                "run from a source checkout of nsnn_sim")
    return root


def _open(path: Path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as dataset:
        return dataset.load()


def _demo_summary(data: xr.Dataset) -> list[str]:
    spikes = data.sizes.get("spike", 0)
    duration = data.attrs["n_steps"] * data.attrs["dt"]
    rate = spikes / (data.attrs["n_trials"] * data.attrs["n_neurons"] * duration)
    return [f"mean rate {rate:.2f} Hz; Siegert rate {data.attrs['siegert_rate_hz']:.2f} Hz "
            f"({data.attrs['n_neurons']} neurons x {data.attrs['n_trials']} trials x {duration:g} s)"]


def _convergence_summary(data: xr.Dataset) -> list[str]:
    error = 100 * (data["rate"] / data["siegert_rate"] - 1)
    lines = []
    for condition in data["condition"].values:
        row = error.sel(condition=condition)
        lines.append(f"{condition}: rate error at dt = "
                     + ", ".join(f"{dt * 1e3:g} ms" for dt in data["dt"].values)
                     + f": grid {np.round(row.sel(crossing='grid').values, 2).tolist()} %, "
                     f"bridge {np.round(row.sel(crossing='bridge').values, 2).tolist()} %")
    return lines


def _variability_summary(data: xr.Dataset) -> list[str]:
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


def _tuning_summary(data: xr.Dataset) -> list[str]:
    largest = int(data["population_size"].max())
    lines = []
    for model in data["fisher_model"].values:
        information = float(data["fisher_information"].sel(fisher_model=model, population_size=largest))
        threshold = float(data["discrimination_threshold"].sel(fisher_model=model, population_size=largest))
        lines.append(f"{model}: Fisher information {information:.0f} rad^-2 at N = {largest}, "
                     f"discrimination threshold {threshold:.2f} deg")
    return lines


def _decoding_summary(data: xr.Dataset) -> list[str]:
    largest = int(data["population_size"].max())
    lines = []
    for model in data["model"].values:
        row = data.sel(model=model)
        lines.append(f"{model}: RMS error {np.rad2deg(float(row['error_rms'].sel(population_size=largest))):.2f} deg "
                     f"at N = {largest} (linear-Fisher bound {np.rad2deg(float(row['linear_fisher_bound'])):.2f} deg "
                     f"for the whole population); 90 % interval coverage {float(row['coverage'].sel(level=0.9)):.3f} "
                     f"(Poisson decoder), {float(row['coverage_empirical'].sel(level=0.9)):.3f} (learned likelihood); "
                     f"cue integration: summed / optimal posterior variance "
                     f"{float(row['cue_summed_over_optimal_var'].sel(estimate='mean')):.3f}")
    return lines


def _sampling_summary(data: xr.Dataset) -> list[str]:
    last = data["kl"].isel(sweeps=-1)
    lines = [f"KL(sampled || exact) after {int(data['sweeps'][-1])} sweeps x {data.attrs['n_chains']} chains, "
             f"weight SD {scale:g}: " + ", ".join(f"{noise} {float(last.sel(weight_scale=scale, noise=noise)):.2g}"
                                                 for noise in data["noise"].values)
             + f" nats (exact-sample floor {float(data['kl_bias_floor'][-1]):.2g})"
             for scale in data["weight_scale"].values]
    error = np.abs(data["posterior_marginal"] - data["exact_posterior_marginal"]).max("unit")
    lines.append("largest posterior-marginal error with 3 units clamped: "
                 + ", ".join(f"{noise} {float(error.sel(noise=noise)):.3f}" for noise in data["noise"].values))
    return lines


def _learning_summary(data: xr.Dataset) -> list[str]:
    final = data["test_accuracy"].isel(epoch=-1)
    lines = [f"Randman, {data.attrs['randman_n_classes']} classes, {data.sizes['seed']} seeds, {data.sizes['epoch']} "
             "epochs: test accuracy " + ", ".join(
                 f"{model} {float(final.sel(model=model).mean()):.3f} +- {float(final.sel(model=model).std(ddof=1)):.3f}"
                 for model in data["model"].values)]
    learner, simulator = data["learner_accuracy"], data["simulator_accuracy"]
    n_test = data.attrs["n_test"]
    standard_error = np.sqrt((learner * (1 - learner) + simulator * (1 - simulator)) / n_test)  # binomial, independent
    z = ((simulator - learner) / standard_error.where(standard_error > 0)).fillna(0.0)
    lines.append(f"same weights in nsnn_sim.simulate minus learner (independent noise, {n_test} test patterns): mean "
                 f"{float((simulator - learner).mean()):+.4f}, largest |difference| {float(abs(simulator - learner).max()):.3f}"
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


def _crossval_summary(data: xr.Dataset) -> list[str]:
    agree = int(data["agree"].sum())
    smallest = float(np.nanmin(data["p_value"].values))
    return [f"{agree} of {data.sizes['condition']} conditions agree with Brian2 at the Bonferroni level "
            f"({data.attrs['n_tests']} tests, threshold {data.attrs['bonferroni_threshold']:.1e}); "
            f"smallest p-value {smallest:.3g}"]


@dataclass(frozen=True)
class Experiment:
    """One experiment: its scripts, their arguments in each mode, and its key numbers."""

    name: str
    summary: Callable[[xr.Dataset], list[str]]
    quick: tuple[str, ...] = ("--quick",)
    full: tuple[str, ...] = ()
    description: str = ""
    figures: tuple[str, ...] = field(default=())

    def results(self, root: Path) -> Path:
        return root / "results" / f"{self.name}.nc"

    def figure_files(self, root: Path) -> list[Path]:
        return [root / "figures" / "out" / name for name in (self.figures or (f"{self.name}.png",))]


EXPERIMENTS = (
    Experiment("demo", _demo_summary, quick=("--n-neurons", "300", "--duration", "0.5"),
               description="A noisy LIF population: raster and population rate against the Siegert rate."),
    Experiment("lif_convergence", _convergence_summary,
               description="LIF rate against dt: grid threshold bias ~ sqrt(dt), Brownian-bridge crossing."),
    Experiment("variability", _variability_summary,
               description="ISI CV, Fano factor and reliability of noisy and deterministic neurons."),
    Experiment("tuning", _tuning_summary,
               description="Orientation tuning, noise correlations and Fisher information."),
    Experiment("decoding", _decoding_summary,
               description="Bayesian decoding of orientation, calibration, Cramer-Rao bound, cue integration."),
    Experiment("sampling", _sampling_summary,
               description="Neural sampling of a Boltzmann distribution by a logistic NSNN, and inference."),
    Experiment("learning", _learning_summary,
               description="Noise-driven learning on Randman: NSNN families vs the DSNN, robustness, tuning fit."),
    Experiment("crossval_brian2", _crossval_summary,
               description="nsnn_sim against Brian2 over a grid of models (independent seeds)."),
)


def _run(arguments: list[str], root: Path, workdir: Path, log) -> float:
    start = time.perf_counter()
    log(f"$ python {' '.join(arguments)}")
    script = str(root / arguments[0])
    completed = subprocess.run([sys.executable, script, *arguments[1:]], cwd=workdir, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{completed.stderr[-3000:]}")
    return time.perf_counter() - start


def reproduce(mode: str = "quick", only: list[str] | None = None, workdir=None, log=print) -> Path:
    """Run every experiment (analysis, then figure) in ``mode`` and write ``figures/REPORT.md``.

    Results go to ``workdir/results``, figures and the report to ``workdir/figures`` (default
    ``workdir``: the source checkout).
    """
    if mode not in ("quick", "full"):
        raise ValueError(f"mode={mode!r} is not allowed; allowed: ('quick', 'full')")
    root = source_root()
    names = [experiment.name for experiment in EXPERIMENTS]
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise ValueError(f"unknown experiment(s) {unknown}; allowed: {names}")
    chosen = [e for e in EXPERIMENTS if not only or e.name in only]
    workdir = Path(workdir) if workdir is not None else root
    (workdir / "figures").mkdir(parents=True, exist_ok=True)
    timings = {}
    for experiment in chosen:
        arguments = list(experiment.quick if mode == "quick" else experiment.full)
        timings[experiment.name] = _run([f"analyses/{experiment.name}.py", *arguments], root, workdir, log)
    for experiment in chosen:
        timings[experiment.name] += _run([f"figures/{experiment.name}.py"], root, workdir, log)
    return write_report(workdir, mode, timings)


def write_report(root: Path, mode: str, timings: dict) -> Path:
    """``root/figures/REPORT.md``: every figure found under ``root``, with its key numbers and the
    command that made it."""
    lines = ["# nsnn_sim: figures and key numbers", "",
             f"Made by `nsnn-sim reproduce --{mode}` (or `make figures` for quick mode). Each section names the "
             "command that makes its results and figure.", ""]
    for experiment in EXPERIMENTS:
        results = experiment.results(root)
        if not results.exists():
            continue
        arguments = " ".join(experiment.quick if mode == "quick" else experiment.full)
        lines += [f"## {experiment.name}", "", experiment.description, ""]
        for figure in experiment.figure_files(root):
            if figure.exists():
                lines += [f"![{experiment.name}](out/{figure.name})", ""]
        lines += [f"- {line}" for line in experiment.summary(_open(results))]
        command = f"python analyses/{experiment.name}.py {arguments}".strip()
        seconds = f" ({timings[experiment.name]:.0f} s)" if experiment.name in timings else ""
        lines += ["", f"Command: `{command}`, then `python figures/{experiment.name}.py`{seconds}", ""]
    report = root / "figures" / "REPORT.md"
    report.write_text("\n".join(lines))
    return report
