"""Recovery of GIF parameters by nsnn_sim.fit.fit_gif on data simulated by the simulator's linear state
-> benchmarks/results/gif_recovery.json, .md.

Each data set is one ``ns.simulate`` run (its own seed and stimulus) of ``--neurons`` neurons, two trials of
``--steps`` steps of 1 ms: trial 0 to fit, trial 1 held out. The "recorded" neuron is
``LIF(tau=20 ms, firing="hazard", rho_0=20 Hz, delta_u=0.2, method="exact", adaptation=Adaptation(100 ms, 0, 0.3),
moving_threshold=(MovingThreshold(10 ms, 0.5), MovingThreshold(100 ms, 0.2)))``: two time constants shared by
the current and the threshold, three amplitudes (the ``J + 1`` identifiable ones from spikes alone). It receives
``w . x[t]`` with ``x = (1, s(t))``, ``s`` a unit-variance AR(1) stimulus of 10 ms correlation time, ``w = (2.5,
0.6)``; its voltage is recorded with independent Gaussian measurement noise of SD 0.05.

* (a) spikes alone: :func:`~nsnn_sim.fit.fit_gif` fits ``w``, ``b``, both jumps, ``tau`` and ``rho_0`` with
  ``theta = 1`` and ``delta_u`` held at 0.3 (the truth's equivalent: every amplitude and weight times 1.5, ``rho_0``
  times ``exp(3.33 - 5)``);
* (b) with the voltage: step 1 ``w``, ``b``, ``tau``; step 2 both jumps, the threshold and ``delta_u``.

For every parameter the z-score ``(estimate - truth)/SE`` is pooled over data sets and neurons: mean (with its
SE, SD/sqrt(n)), SD and the coverage of the 95 % Wald interval. Model comparison: on the held-out trial, the
bits per spike of the GIF fit (a) and of a LIF fitted without adaptation (same rule), on these data and on data
from a LIF without adaptation (``w = (1.75, 0.6)``, the same stimulus statistics); the difference GIF - LIF per
neuron, pooled (mean +- SE). Time rescaling (KS, a data set's neurons pooled) of the GIF fit (a) and of the truth on
the held-out trial: the fraction of data sets with p < 0.05.

    python benchmarks/gif_recovery.py [--datasets 60] [--neurons 4] [--steps 20000] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np
from scipy import signal

import nsnn_sim as ns
from nsnn_sim import fit
from nsnn_sim.fit.gif import GIFProblem
from nsnn_sim.simulator.state import Adaptation, MovingThreshold

DT = 1e-3
WEIGHTS = np.array([2.5, 0.6])
PLAIN_WEIGHTS = np.array([1.75, 0.6])
VOLTAGE_NOISE = 0.05
TRUTH = ns.LIF(tau=0.02, firing="hazard", method="exact", dt=DT, rho_0=20.0, delta_u=0.2,
               adaptation=(Adaptation(0.1, 0.0, 0.3),),
               moving_threshold=(MovingThreshold(0.01, 0.5), MovingThreshold(0.1, 0.2)))
PLAIN = dataclasses.replace(TRUTH, adaptation=(), moving_threshold=())
START = ns.LIF(tau=0.03, firing="hazard", method="exact", dt=DT, rho_0=20.0, delta_u=0.3,
               adaptation=(Adaptation(0.1, 0.0, 0.0),),
               moving_threshold=(MovingThreshold(0.01, 0.0), MovingThreshold(0.1, 0.0)))
START_PLAIN = dataclasses.replace(START, adaptation=(), moving_threshold=())
#: the true value of every parameter of the fit's vector (w_0, w_1, b_0, jump_0, jump_1, threshold, tau, delta_u)
TRUE_VECTOR = np.array([*WEIGHTS, 0.3, 0.5, 0.2, 1.0, 0.02, 0.2])
#: from spikes alone the hazard fit holds theta = 1 and delta_u at START's 0.3 and fits rho_0 (the last entry): the
#: truth's equivalent has every amplitude and weight times 0.3/0.2 (the threshold stays 1, as theta/delta_u changes
#: from 5 to 3.33: rho_0 = 20 exp(3.33 - 5) Hz)
TRUE_SPIKES = np.append(TRUE_VECTOR * np.array([1.5] * 5 + [1.0, 1.0, 1.5]), math.log(20.0) + 1 / 0.3 - 1 / 0.2)
TRUE_VOLTAGE = np.append(TRUE_VECTOR, math.log(20.0))


def stimulus(n_trials: int, n_steps: int, generator) -> np.ndarray:
    """Covariates ``(n_trials, n_steps, 2)``: a constant and a unit-variance AR(1) of correlation time 10 ms."""
    rho = math.exp(-DT / 0.01)
    white = generator.normal(size=(n_trials, n_steps)) * math.sqrt(1 - rho**2)
    slow = signal.lfilter([1.0], [1.0, -rho], white, axis=1)
    return np.stack([np.ones((n_trials, n_steps)), slow], axis=2)


def dataset(seed: int, n_neurons: int, n_steps: int, model=TRUTH, weights=WEIGHTS):
    """``(spikes (2, n_steps, n_neurons), x (2, n_steps, 2), voltage)`` of one data set (two trials)."""
    generator = np.random.default_rng(seed)
    x = stimulus(2, n_steps, generator)
    drive = np.repeat((x @ weights)[:, :, None], n_neurons, axis=2)
    run = ns.simulate(model, drive, n_neurons=n_neurons, n_steps=n_steps, n_trials=2, seed=seed,
                      record_state=np.arange(n_neurons))
    voltage = np.swapaxes(run.state, 1, 2)  # the fitter's (n_trials, n_steps, n_neurons), as its spikes and inputs
    voltage = voltage + VOLTAGE_NOISE * generator.normal(size=voltage.shape)
    return run.spikes.to_dense(), x, voltage


def _held_out_bits(fitted, train, test, x_test):
    """Per-neuron held-out log-likelihood minus the homogeneous model's, in bits per spike."""
    baseline = fit.homogeneous_log_likelihood(train, test)
    return fit.bits_per_spike(fitted.log_likelihood(x_test, test), baseline, test.sum(axis=(0, 1)))


def one_dataset(seed: int, n_neurons: int, n_steps: int) -> dict:
    spikes, x, voltage = dataset(seed, n_neurons, n_steps)
    train, test = spikes[:1], spikes[1:]
    spikes_only = fit.fit_gif(START, x[:1], train)
    with_voltage = fit.fit_gif(START, x[:1], train, voltage=voltage[:1])
    plain = fit.fit_gif(START_PLAIN, x[:1], train)
    gain = _held_out_bits(spikes_only, train, test, x[1:]) - _held_out_bits(plain, train, test, x[1:])
    p_spikes, p_x, _ = dataset(10_000 + seed, n_neurons, n_steps, PLAIN, PLAIN_WEIGHTS)
    p_train, p_test = p_spikes[:1], p_spikes[1:]
    plain_gif = fit.fit_gif(START, p_x[:1], p_train)
    plain_lif = fit.fit_gif(START_PLAIN, p_x[:1], p_train)
    gain_plain = (_held_out_bits(plain_gif, p_train, p_test, p_x[1:])
                  - _held_out_bits(plain_lif, p_train, p_test, p_x[1:]))
    out = {"seed": seed, "n_spikes_train": train.sum(axis=(0, 1)).tolist(), "gain_adapting": gain.tolist(),
           "gain_plain": gain_plain.tolist(), "converged": {}}
    for mode, result, truth in (("spikes", spikes_only, TRUE_SPIKES), ("voltage", with_voltage, TRUE_VOLTAGE)):
        data = result.dataset
        free = ~data["fixed"].values
        with np.errstate(divide="ignore", invalid="ignore"):  # held entries have SE 0
            z = np.where(free, (data["estimate"].values - truth) / data["se"].values, np.nan)
        out[mode] = z.tolist()
        out["converged"][mode] = int(data.attrs["converged"])
    out["converged"]["plain"] = int(plain.dataset.attrs["converged"] and plain_gif.dataset.attrs["converged"]
                                    and plain_lif.dataset.attrs["converged"])
    truth = GIFProblem.build(test, x[1:], TRUTH, weights=np.tile(WEIGHTS, (n_neurons, 1)))
    true_silence = np.stack([truth.evaluate(i, truth.initial[i], gradient=False, silence=True)[1]
                             for i in range(n_neurons)], axis=2)
    out["ks_pvalue_fit"] = fit.time_rescaling(spikes_only.log_silence(x[1:], test), test, seed=seed).pvalue
    out["ks_pvalue_truth"] = fit.time_rescaling(true_silence, test, seed=seed).pvalue
    return out


def summarise(rows: list, names: list) -> dict:
    """Per mode and parameter: n, mean z and its SE, SD, 95 % coverage; the held-out gains pooled."""
    table = {}
    for mode in ("spikes", "voltage"):
        z = np.concatenate([np.array(row[mode], dtype=float) for row in rows])  # (neuron, parameter)
        for j, name in enumerate(names):
            column = z[:, j]
            column = column[~np.isnan(column)]
            if column.size == 0:
                continue
            table[f"{mode}:{name}"] = {"n": int(column.size), "mean": float(column.mean()),
                                       "se_mean": float(column.std(ddof=1) / math.sqrt(column.size)),
                                       "sd": float(column.std(ddof=1)),
                                       "coverage": float(np.mean(np.abs(column) < 1.959964))}
    summary = {"parameters": table}
    for key in ("gain_adapting", "gain_plain"):
        gains = np.concatenate([row[key] for row in rows])
        summary[key] = {"n": int(gains.size), "mean": float(gains.mean()),
                        "se": float(gains.std(ddof=1) / math.sqrt(gains.size))}
    summary["singular"] = {mode: int(sum(np.isnan(np.array(row[mode], dtype=float)[:, 0]).sum() for row in rows))
                           for mode in ("spikes", "voltage")}
    summary["converged_fraction"] = {mode: float(np.mean([row["converged"][mode] for row in rows]))
                                     for mode in ("spikes", "voltage", "plain")}
    summary["n_spikes_train_mean"] = float(np.mean([np.mean(row["n_spikes_train"]) for row in rows]))
    summary["time_rescaling"] = {
        f"{who}_fraction_p_below_0.05": float(np.mean([row[f"ks_pvalue_{who}"] < 0.05 for row in rows]))
        for who in ("fit", "truth")}
    return summary


def markdown(summary: dict) -> str:
    lines = ["# GIF recovery (benchmarks/gif_recovery.py)", "",
             "| mode:parameter | n | mean z +- SE | SD z | 95 % coverage |", "|---|---|---|---|---|"]
    for key, row in summary["parameters"].items():
        lines.append(f"| {key} | {row['n']} | {row['mean']:+.3f} +- {row['se_mean']:.3f} | {row['sd']:.3f} | "
                     f"{row['coverage']:.3f} |")
    for key, label in (("gain_adapting", "with adaptation"), ("gain_plain", "without adaptation")):
        row = summary[key]
        lines.append(f"\nHeld-out GIF - LIF, data {label}: {row['mean']:+.4f} +- {row['se']:.4f} bits/spike "
                     f"({row['mean'] / row['se']:+.1f} SE, n = {row['n']})")
    lines.append(f"\nConverged: {summary['converged_fraction']}; fits with a singular Fisher information (no SEs, "
                 f"left out above): {summary['singular']}; mean training spikes per neuron "
                 f"{summary['n_spikes_train_mean']:.0f}; time rescaling on the held-out trial (KS, the data set's "
                 f"neurons pooled), fraction of data sets with p < 0.05: {summary['time_rescaling']}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=60)
    parser.add_argument("--neurons", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    rows = [one_dataset(seed, args.neurons, args.steps) for seed in range(args.datasets)]
    names = GIFProblem.build(*dataset(0, 1, 200)[:2], START).names
    summary = summarise(rows, names)
    summary.update(datasets=args.datasets, neurons=args.neurons, steps=args.steps,
                   seconds=time.perf_counter() - began)
    text = markdown(summary)
    print(text, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gif_recovery.json").write_text(json.dumps(summary, indent=1))
    (args.out / "gif_recovery.md").write_text(text)
    return args.out / "gif_recovery.json"


if __name__ == "__main__":
    main()
