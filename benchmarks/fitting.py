"""Time to fit escape-noise neurons by maximum likelihood (nsnn_sim.fit) -> benchmarks/results/fitting.json, .md.

The issue's size: 100 neurons x 10^5 steps, 10 parameters per neuron (8 covariate weights: a bias and 7
Gaussian white-noise stimulus channels, the decay beta and the noise scale), NSNN with logistic escape
noise, data simulated with known parameters. Times the whole :func:`nsnn_sim.fit.fit_escape` call
(one L-BFGS-B fit per neuron with the analytic gradient, then the 20 gradient evaluations of its observed
Fisher information; the neurons' blocks on Numba's thread count of Python threads)
after a small warm-up fit (compilation), with Numba's default thread count; records the wall time, the
process's CPU time (all threads) and the load of the machine (``uptime``) beside the numbers, since the
machine may be shared (on a loaded machine the wall time measures the other jobs too).

With ``--model gif`` the same size for :func:`nsnn_sim.fit.fit_gif` from spikes alone -> fitting_gif.json, .md: a
LIF with hazard firing (``tau`` 20 ms, ``delta_u`` 0.2, 1 ms steps), one adaptation current (100 ms) and a moving
threshold of two components (10 and 100 ms), the same eight covariates; 13 parameters per neuron (8 weights, three
amplitudes, the threshold and ``tau``; ``delta_u`` held: the fit's identifiable parameterisation).

    python benchmarks/fitting.py [--model escape|gif] [--neurons 100] [--steps 100000] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

import nsnn_sim as ns
from nsnn_sim import fit
from nsnn_sim.simulator.state import Adaptation, MovingThreshold

sys.path.insert(0, str(Path(__file__).parent))
from common import machine_load  # noqa: E402


def problem(n_neurons: int, n_steps: int, seed: int = 0):
    generator = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n_steps), generator.normal(size=(n_steps, 7))])
    weights = np.column_stack([generator.uniform(0.35, 0.5, n_neurons), generator.normal(0, 0.1, (n_neurons, 7))])
    truth = ns.NSNN(beta=0.6, noise="logistic", noise_scale=0.15, firing="escape")
    spikes = ns.simulate(truth, x @ weights.T, n_neurons=n_neurons, n_steps=n_steps, seed=seed).spikes
    return spikes, x, weights


GIF_TRUTH = ns.LIF(tau=0.02, firing="hazard", method="exact", dt=1e-3, rho_0=20.0, delta_u=0.2,
                   adaptation=(Adaptation(0.1, 0.0, 0.3),),
                   moving_threshold=(MovingThreshold(0.01, 0.5), MovingThreshold(0.1, 0.2)))
GIF_START = ns.LIF(tau=0.03, firing="hazard", method="exact", dt=1e-3, rho_0=20.0, delta_u=0.2,
                   adaptation=(Adaptation(0.1, 0.0, 0.0),),
                   moving_threshold=(MovingThreshold(0.01, 0.0), MovingThreshold(0.1, 0.0)))


def gif_problem(n_neurons: int, n_steps: int, seed: int = 0):
    """GIF spikes (truth ``GIF_TRUTH``) with eight covariates: a bias (1.5 to 1.8) and seven white-noise channels."""
    generator = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n_steps), generator.normal(size=(n_steps, 7))])
    weights = np.column_stack([generator.uniform(1.5, 1.8, n_neurons), generator.normal(0, 0.3, (n_neurons, 7))])
    spikes = ns.simulate(GIF_TRUTH, x @ weights.T, n_neurons=n_neurons, n_steps=n_steps, seed=seed).spikes
    return spikes, x, weights


def timed_row(args, fitter, spikes, truth) -> tuple[dict, object]:
    """Run and time ``fitter()`` (after its compilation elsewhere); the benchmark's row and the fit's dataset:
    z-scores of the fitted (not held) parameters against ``truth`` (neuron, parameter)."""
    load_before = machine_load()
    began, cpu_began = time.perf_counter(), time.process_time()
    result = fitter()
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    data = result.dataset
    free = ~data["fixed"].values if "fixed" in data else np.ones(truth.shape, dtype=bool)
    z = (data["estimate"].values - truth)[free] / data["se"].values[free]  # held parameters have no SE
    n_free = int(free[0].sum())
    row = {"n_neurons": args.neurons, "n_steps": args.steps, "parameters_per_neuron": n_free,
           "n_spikes": int(len(spikes)), "seconds": seconds, "cpu_seconds": cpu_seconds,
           "n_evaluations": int(data.attrs["n_evaluations"]), "n_iterations_max": int(data.attrs["n_iterations"]),
           "n_iterations_total": int(data.attrs["n_iterations_total"]),
           "neuron_evaluations": int(data.attrs["n_evaluations"]) + 2 * args.neurons * n_free,
           "converged": bool(data.attrs["converged"]), "message": data.attrs["message"],
           "z_mean": float(np.nanmean(z)), "z_sd": float(np.nanstd(z)),
           "threads": int(os.environ.get("NUMBA_NUM_THREADS", 0)) or os.cpu_count(), "cores": os.cpu_count(),
           "uptime_before": load_before, "uptime_after": machine_load()}
    row["cpu_ms_per_neuron_evaluation"] = 1e3 * cpu_seconds / row["neuron_evaluations"]
    print(json.dumps(row, indent=1), flush=True)
    return row, data


def _write(args, name: str, row: dict, text: str) -> Path:
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{name}.json"
    path.write_text(json.dumps(row, indent=1))
    (args.out / f"{name}.md").write_text(
        text + f"\n\nMachine load (the machine is shared): before `{row['uptime_before']}`; after "
        f"`{row['uptime_after']}`.\n")
    return path


def gif_main(args) -> Path:
    """Time :func:`nsnn_sim.fit.fit_gif` (spikes alone) at the given size (module docstring)."""
    small = gif_problem(2, 2000, seed=1)
    fit.fit_gif(GIF_START, small[1], small[0])  # compilation
    spikes, x, weights = gif_problem(args.neurons, args.steps)
    # w, b, jump_0, jump_1, threshold, tau, delta_u, log rho_0
    truth = np.column_stack([weights, np.tile([0.3, 0.5, 0.2, 1.0, 0.02, 0.2, np.log(20.0)], (args.neurons, 1))])
    row, _ = timed_row(args, lambda: fit.fit_gif(GIF_START, x, spikes), spikes, truth)
    row["model"] = "gif"
    return _write(args, "fitting_gif", row, (
        "# GIF fitting benchmark (benchmarks/fitting.py --model gif)\n\n"
        f"{args.neurons} neurons x {args.steps} steps x {row['parameters_per_neuron']} parameters per neuron (LIF, "
        f"hazard, one adaptation current, two threshold components), {row['n_spikes']} spikes: "
        f"**{row['seconds']:.1f} s** wall time for fit_gif from spikes alone ({row['threads']} threads, "
        f"{row['n_iterations_max']} iterations at most, {row['neuron_evaluations']} one-neuron likelihood+gradient "
        f"evaluations, {row['cpu_ms_per_neuron_evaluation']:.1f} ms of CPU each); CPU time {row['cpu_seconds']:.1f} s "
        f"on {row['cores']} cores. Converged: {row['converged']}. z = (estimate - truth)/SE: mean "
        f"{row['z_mean']:.3f}, SD {row['z_sd']:.3f}."))


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("escape", "gif"), default="escape")
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    if args.model == "gif":
        return gif_main(args)
    start = ns.NSNN(beta=0.5, noise="logistic", noise_scale=0.2, firing="escape")
    small = problem(2, 500, seed=1)
    fit.fit_escape(start, small[1], small[0])  # compilation
    spikes, x, weights = problem(args.neurons, args.steps)
    truth = np.column_stack([weights, np.full(args.neurons, 0.6), np.full(args.neurons, 0.15)])
    row, _ = timed_row(args, lambda: fit.fit_escape(start, x, spikes), spikes, truth)
    return _write(args, "fitting", row, (
        "# Fitting benchmark (benchmarks/fitting.py)\n\n"
        f"{args.neurons} neurons x {args.steps} steps x {row['parameters_per_neuron']} parameters per neuron "
        f"(NSNN, logistic escape noise), {row['n_spikes']} spikes: **{row['seconds']:.1f} s** wall time for "
        f"fit_escape (one L-BFGS-B fit per neuron, the blocks on {row['threads']} threads: {row['n_iterations_max']} "
        f"iterations at most, {row['n_iterations_total']} in all; {row['neuron_evaluations']} one-neuron "
        f"likelihood+gradient evaluations including the 2k per neuron of the observed Fisher information, "
        f"{row['cpu_ms_per_neuron_evaluation']:.1f} ms of CPU each), {row['cores']} cores; CPU time of the process "
        f"(all threads) {row['cpu_seconds']:.1f} s, i.e. {row['cpu_seconds'] / row['cores']:.1f} s of wall time on "
        f"{row['cores']} fully used cores when nothing else runs. Converged: {row['converged']}. Recovered "
        f"parameters: z = (estimate - truth)/SE has mean {row['z_mean']:.3f}, SD {row['z_sd']:.3f}."))


if __name__ == "__main__":
    main()
