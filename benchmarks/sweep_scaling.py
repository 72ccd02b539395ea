"""Speed-up of a CPU-bound sweep from 1 to 2 dask workers -> benchmarks/results/sweep_scaling.json.

Each condition simulates a noisy LIF population on one thread (about 1 s of work); the same grid
runs with 1 and with 2 LocalCluster workers (fresh stores, cluster start-up excluded by a warm-up
condition), and the wall times are compared. Results are checked bit-identical.

    python benchmarks/sweep_scaling.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import xarray as xr

from nsnn_sim.sweep import lif_statistics, sweep


def task(mu, sigma, seed):
    return lif_statistics(mu, sigma, seed, n_neurons=1500, duration=2.0)


def timed(grid: dict, workers: int) -> tuple[float, xr.Dataset]:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      env={"NUMBA_NUM_THREADS": "1"}) as cluster, Client(cluster) as client:
        with tempfile.TemporaryDirectory() as warm:  # compile / load the kernels in every worker first
            sweep(task, {"mu": [0.9 + 0.01 * k for k in range(workers)], "sigma": [0.5]}, warm,
                  scheduler=client, progress=False)
        with tempfile.TemporaryDirectory() as store:
            start = time.perf_counter()
            result = sweep(task, grid, store, scheduler=client, progress=False)
            return time.perf_counter() - start, result


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "sweep_scaling.json")
    args = parser.parse_args(argv)
    grid = {"mu": [0.7, 0.8, 0.9, 1.0, 1.1, 1.2] if args.quick else [0.6 + 0.05 * k for k in range(12)],
            "sigma": [0.3, 0.5]}
    one, result_one = timed(grid, 1)
    two, result_two = timed(grid, 2)
    identical = result_one.drop_attrs().identical(result_two.drop_attrs())
    record = {"conditions": len(result_one["condition"]), "seconds_1_worker": round(one, 3),
              "seconds_2_workers": round(two, 3), "speedup": round(one / two, 3), "bit_identical": bool(identical),
              "cores": os.cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1))
    print(json.dumps(record))
    return args.out


if __name__ == "__main__":
    main()
