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
import subprocess
import time
from pathlib import Path

import numpy as np

import nsnn_sim as ns
from nsnn_sim import fit
from nsnn_sim.simulator.state import Adaptation, MovingThreshold


def _load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


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


def gif_main(args) -> Path:
    """Time :func:`nsnn_sim.fit.fit_gif` (spikes alone) at the given size (module docstring)."""
    small = gif_problem(2, 2000, seed=1)
    fit.fit_gif(small[0], small[1], GIF_START)  # compilation
    spikes, x, weights = gif_problem(args.neurons, args.steps)
    load_before = _load()
    began, cpu_began = time.perf_counter(), time.process_time()
    result = fit.fit_gif(spikes, x, GIF_START)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    load_after = _load()
    data = result.dataset
    free = ~data["fixed"].values
    truth = np.column_stack([weights, np.tile([0.3, 0.5, 0.2, 1.0], (args.neurons, 1)), np.full(args.neurons, 0.02),
                             np.full(args.neurons, 0.2)])
    z = ((data["estimate"].values - truth) / data["se"].values)[free]
    n_free = int(free[0].sum())
    row = {"model": "gif", "n_neurons": args.neurons, "n_steps": args.steps, "parameters_per_neuron": n_free,
           "n_spikes": int(len(spikes)), "seconds": seconds, "cpu_seconds": cpu_seconds,
           "n_evaluations": int(data.attrs["n_evaluations"]), "n_iterations_max": int(data.attrs["n_iterations"]),
           "n_iterations_total": int(data.attrs["n_iterations_total"]),
           "neuron_evaluations": int(data.attrs["n_evaluations"]) + 2 * args.neurons * n_free,
           "converged": bool(data.attrs["converged"]), "message": data.attrs["message"],
           "z_mean": float(np.nanmean(z)), "z_sd": float(np.nanstd(z)),
           "threads": int(os.environ.get("NUMBA_NUM_THREADS", 0)) or os.cpu_count(), "cores": os.cpu_count(),
           "uptime_before": load_before, "uptime_after": load_after}
    row["cpu_ms_per_neuron_evaluation"] = 1e3 * cpu_seconds / row["neuron_evaluations"]
    print(json.dumps(row, indent=1), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "fitting_gif.json"
    path.write_text(json.dumps(row, indent=1))
    (args.out / "fitting_gif.md").write_text(
        "# GIF fitting benchmark (benchmarks/fitting.py --model gif)\n\n"
        f"{args.neurons} neurons x {args.steps} steps x {n_free} parameters per neuron (LIF, hazard, one adaptation "
        f"current, two threshold components), {row['n_spikes']} spikes: **{seconds:.1f} s** wall time for fit_gif "
        f"from spikes alone ({row['threads']} threads, {row['n_iterations_max']} iterations at most, "
        f"{row['neuron_evaluations']} one-neuron likelihood+gradient evaluations, "
        f"{row['cpu_ms_per_neuron_evaluation']:.1f} ms of CPU each); CPU time {cpu_seconds:.1f} s on "
        f"{row['cores']} cores. Converged: {row['converged']}. z = (estimate - truth)/SE: mean {row['z_mean']:.3f}, "
        f"SD {row['z_sd']:.3f}.\n\nMachine load (the machine is shared): before `{load_before}`; after "
        f"`{load_after}`.\n")
    return path


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
    fit.fit_escape(small[0], small[1], start)  # compilation
    spikes, x, weights = problem(args.neurons, args.steps)
    load_before = _load()
    began, cpu_began = time.perf_counter(), time.process_time()
    result = fit.fit_escape(spikes, x, start)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    load_after = _load()
    data = result.dataset
    truth = np.column_stack([weights, np.full(args.neurons, 0.6), np.full(args.neurons, 0.15)])
    z = (data["estimate"].values - truth) / data["se"].values
    row = {"n_neurons": args.neurons, "n_steps": args.steps, "parameters_per_neuron": int(data.sizes["parameter"]),
           "n_spikes": int(len(spikes)), "seconds": seconds, "cpu_seconds": cpu_seconds,
           "n_evaluations": int(data.attrs["n_evaluations"]),
           "n_iterations_max": int(data.attrs["n_iterations"]),
           "n_iterations_total": int(data.attrs["n_iterations_total"]),
           "neuron_evaluations": int(data.attrs["n_evaluations"]) + 2 * args.neurons * int(data.sizes["parameter"]),
           "converged": bool(data.attrs["converged"]), "message": data.attrs["message"],
           "z_mean": float(np.nanmean(z)), "z_sd": float(np.nanstd(z)),
           "threads": int(os.environ.get("NUMBA_NUM_THREADS", 0)) or os.cpu_count(), "cores": os.cpu_count(),
           "uptime_before": load_before, "uptime_after": load_after}
    row["cpu_ms_per_neuron_evaluation"] = 1e3 * cpu_seconds / row["neuron_evaluations"]
    print(json.dumps(row, indent=1), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "fitting.json"
    path.write_text(json.dumps(row, indent=1))
    (args.out / "fitting.md").write_text(
        "# Fitting benchmark (benchmarks/fitting.py)\n\n"
        f"{args.neurons} neurons x {args.steps} steps x {row['parameters_per_neuron']} parameters per neuron "
        f"(NSNN, logistic escape noise), {row['n_spikes']} spikes: **{seconds:.1f} s** wall time for fit_escape "
        f"(one L-BFGS-B fit per neuron, the blocks on {row['threads']} threads: {row['n_iterations_max']} iterations "
        f"at most, {row['n_iterations_total']} in all; {row['neuron_evaluations']} one-neuron likelihood+gradient "
        f"evaluations including the 2k per neuron of the observed Fisher information, "
        f"{row['cpu_ms_per_neuron_evaluation']:.1f} ms of CPU each), {row['cores']} cores; CPU time of the process "
        f"(all threads) {cpu_seconds:.1f} s, i.e. {cpu_seconds / row['cores']:.1f} s of wall time on "
        f"{row['cores']} fully used cores "
        f"when nothing else runs. Converged: {row['converged']}. Recovered parameters: "
        f"z = (estimate - truth)/SE has mean {row['z_mean']:.3f}, SD {row['z_sd']:.3f}.\n\n"
        f"Machine load (the machine is shared): before `{load_before}`; after `{load_after}`.\n")
    return path


if __name__ == "__main__":
    main()
