"""Peak memory of a rate-only recording: the population rate of 10^5 LIF neurons over 10^5 steps, no spikes kept.

The kernels count the spikes of each population at every step (``simulate(record_rate=True,
record_spikes=False)``) instead of storing them, so the run's memory should not grow with its spikes: the goal
(issue 29) is a peak resident memory less than 200 MB above that of a tiny run of the same model in a fresh
process (same imports, same compiled kernels). Each run is a fresh process (:func:`common.run_worker`, 2 threads)
whose peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss``. The LIF is engine_costs.py's memory run (tau
10 ms, sigma 0.5, dt 0.1 ms, input 0.9: about 58 Hz, so ~5.8e7 spikes in the full run, 0.9 GB as (trial, neuron,
step) arrays if they were kept).

Run (the full size takes ~100 s of 2 idle cores; the lead runs it on an idle machine)::

    python benchmarks/recording_memory.py [--neurons 100000] [--steps 100000] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, peak_memory_bytes, run_worker, write_table  # noqa: E402

#: the issue's bound on the rate-only run's peak memory above the tiny run's
LIMIT_MB = 200.0


def rate_only(n_neurons: int, n_steps: int, scratch: str) -> dict:
    """Simulate ``n_neurons`` LIF neurons for ``n_steps`` recording only their population rate; the peak RSS."""
    import nsnn_sim as ns

    result = ns.simulate(ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, method="euler"), 0.9, n_neurons=n_neurons,
                         n_steps=n_steps, seed=1,
                         record_spikes=False, record_rate=True)
    return {"neurons": n_neurons, "steps": n_steps, "spikes_counted": int(result.rate_counts.sum()),
            "spikes_kept": len(result.spikes), "run_time_s": result.run_time, "peak_rss_bytes": peak_memory_bytes()}


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neurons", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    run_worker(rate_only, 10, 10)  # compiles the kernels into the cache: both measured runs load them
    rows = [run_worker(rate_only, 10, 10), run_worker(rate_only, args.neurons, args.steps)]
    for row in rows:
        row["peak_rss_mb"] = row["peak_rss_bytes"] / 1e6
        row["above_tiny_mb"] = (row["peak_rss_bytes"] - rows[0]["peak_rss_bytes"]) / 1e6
        row["within_limit"] = row["above_tiny_mb"] < LIMIT_MB
    write_table(args.out, "recording_memory", rows, [
        ("neurons", "{neurons}"), ("steps", "{steps}"), ("spikes counted", "{spikes_counted}"),
        ("spikes kept", "{spikes_kept}"), ("run time (s)", "{run_time_s:.1f}"), ("peak RSS (MB)", "{peak_rss_mb:.0f}"),
        ("above the tiny run (MB)", "{above_tiny_mb:.1f}"), (f"< {LIMIT_MB:g} MB", "{within_limit}")],
        header="Rate-only recording (record_rate=True, record_spikes=False), LIF tau 10 ms, sigma 0.5, dt 0.1 ms, "
               "input 0.9; peak RSS of a fresh process (ru_maxrss), 2 threads, warm kernel cache.\n")
    return args.out / "recording_memory.md"


if __name__ == "__main__":
    print(main())
