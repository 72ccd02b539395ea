"""Throughput of the unconnected kernel for three firing and crossing rules, on 1 and 2 threads.

The default-adjacent configurations whose step functions the compile-time work changed: the Euler LIF with the
grid crossing (Brian2's configuration), the exact LIF with the sub-step crossing (the default), and the NSNN with
logistic escape noise. 10^4 neurons x 10^4 steps each, the fastest of 3 runs after a compiling call; the
package imported is the one on ``PYTHONPATH`` (an older commit unpacked with ``git archive`` gives the row to
compare with), and ``--label`` names it. Appends a row to benchmarks/results/rule_throughput.md (and .json).

    python benchmarks/rule_throughput.py --label "main 1a2b3c4"
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def measure() -> dict[str, float]:
    """Million neuron-steps per second for each configuration and thread count."""
    import nsnn_sim as ns

    configurations = {
        "LIF euler, grid": (ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, method="euler", threshold_crossing="grid"), 0.9),
        "LIF exact, substep": (ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, method="exact", threshold_crossing="substep"),
                               0.9),
        "NSNN logistic escape": (ns.NSNN(beta=0.5, noise="logistic", noise_scale=0.1, firing="escape"), 0.32),
    }
    rates = {}
    for name, (model, drive) in configurations.items():
        ns.simulate(model, drive, n_neurons=10, n_steps=100, seed=1)
        for threads in (1, 2):
            best = min(_seconds(ns, model, drive, threads, seed) for seed in range(3))
            rates[f"{name}, {threads} thread{'s' * (threads > 1)}"] = 1e8 / best / 1e6
    return rates


def _seconds(ns, model, drive, threads: int, seed: int) -> float:
    start = time.perf_counter()
    ns.simulate(model, drive, n_neurons=10_000, n_steps=10_000, seed=seed, n_threads=threads)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", required=True, help="what was measured, e.g. the commit")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    rates = measure()
    row = {"label": args.label, "load_before": load_before, "load_after": os.getloadavg()[0], **rates}
    record = args.out / "rule_throughput.json"
    rows = json.loads(record.read_text()) if record.exists() else []
    rows.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(rows, indent=1))
    names = list(rates)
    lines = ["Million neuron-steps per second, 10^4 neurons x 10^4 steps, fastest of 3 "
             "(benchmarks/rule_throughput.py).", "",
             "| package | load before/after | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    lines += [f"| {r['label']} | {r['load_before']:.2f}/{r['load_after']:.2f} | "
              + " | ".join(f"{r.get(name, float('nan')):.0f}" for name in names) + " |" for r in rows]
    (args.out / "rule_throughput.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
