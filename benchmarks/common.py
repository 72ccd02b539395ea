"""Shared plumbing of the benchmark scripts: one fresh process per measurement, the same-work check,
and the JSON + markdown outputs in benchmarks/results/ (or ``--out``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
HERE = Path(__file__).resolve().parent


def machine_load() -> str:
    """``uptime``'s line (the load averages), written beside every timing: the machine is shared, and a busy core
    distorts a measurement several-fold; "unknown" where ``uptime`` is absent."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def peak_memory_bytes() -> int:
    """Peak resident memory of this process, in bytes (``ru_maxrss`` is in kB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_worker(function, *arguments, threads: int = 2, timeout: float = 7200) -> dict:
    """Run ``function(*arguments, scratch=DIRECTORY)`` in a fresh Python process and return its dict.

    ``function`` is a module-level function of a module in benchmarks/ returning a JSON-able dict;
    the process is ``python -m worker MODULE FUNCTION ARGUMENTS_JSON DIRECTORY`` (benchmarks/worker.py)
    with ``NUMBA_NUM_THREADS=threads`` and ``OMP_NUM_THREADS=threads``; ``DIRECTORY`` is a scratch
    directory removed afterwards.
    """
    module = Path(sys.modules[function.__module__].__file__).stem  # "__main__" when run as a script
    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   PYTHONPATH=os.pathsep.join([str(HERE)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        completed = subprocess.run([sys.executable, "-m", "worker", module, function.__name__, json.dumps(arguments),
                                    directory], capture_output=True, text=True, env=env, timeout=timeout)
    if completed.returncode:
        raise RuntimeError(f"worker {module}.{function.__name__}{arguments} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def fastest_nsnn_sim_run(simulate, repeats: int) -> tuple:
    """``(result, run_time)``: the first ``simulate()`` result and the fastest ``run_time`` of
    ``repeats`` calls (each later result freed at once)."""
    result = simulate()
    return result, min([result.run_time] + [simulate().run_time for _ in range(repeats - 1)])


def brian2_run(simulator: str, build, n_steps: int, dt: float, repeats: int, directory: str) -> tuple:
    """Run a Brian2 model ``build()`` (a :class:`nsnn_sim.interop.brian2.Brian2Model`, built after the
    target is set) for ``n_steps`` steps; returns ``(built, compile_time, run_time, offset)``.

    ``"brian2_cython"``: a first 10-step run compiles; then ``repeats`` timed runs of ``n_steps``
    (the network runs on: the spikes are those from step ``offset = 10`` on). ``"brian2_cpp_standalone"``
    (2 OpenMP threads, built in ``directory``): the binary's own run time, the binary run ``repeats``
    times (the same seed, the same spikes; ``offset = 0``); compile time is the rest of the build.
    """
    import time

    import brian2 as b2

    if simulator == "brian2_cython":
        b2.prefs.codegen.target = "cython"
        built = build()
        start = time.perf_counter()
        built.network.run(10 * dt * b2.second)  # code generation and compilation
        compile_time = time.perf_counter() - start
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            built.network.run(n_steps * dt * b2.second)
            times.append(time.perf_counter() - start)
        return built, compile_time, min(times), 10
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 2
    built = build()
    built.network.run(n_steps * dt * b2.second)
    start = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=True)
    times = [float(b2.device._last_run_time)]
    compile_time = time.perf_counter() - start - times[0]
    for _ in range(repeats - 1):
        b2.device.run(directory=directory, with_output=False)
        times.append(float(b2.device._last_run_time))
    return built, compile_time, min(times), 0


def spike_steps(built, dt: float):
    """``(neuron, step)`` arrays of a finished Brian2 run's spike monitor."""
    import brian2 as b2
    import numpy as np

    step = np.rint(np.asarray(built.spike_monitor.t[:] / b2.second) / dt).astype(int)
    return np.asarray(built.spike_monitor.i[:]), step


def run_nest(nest_python: str, call: str, *args, setup: str = "") -> dict | None:
    """``nest_reference.<call>(nest, *args)`` run by NEST's own Python ``nest_python`` (NEST lives in its own
    environment), after the statements ``setup`` (``r`` is the module); its JSON report, or None (with a note)
    when that Python is absent."""
    if not Path(nest_python).exists():
        print(f"no NEST at {nest_python}: its column is left out", flush=True)
        return None
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import nest_reference as r; import nest; "
            f"nest.set_verbosity('M_ERROR'); {setup + '; ' if setup else ''}"
            f"print(json.dumps(r.{call}(nest, *json.loads(sys.argv[2]))))")
    completed = subprocess.run([nest_python, "-c", code, str(HERE), json.dumps(list(args))], capture_output=True,
                               text=True, timeout=7200)
    if completed.returncode:
        raise RuntimeError(f"NEST run of {call} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def check_same_work(rows: list[dict], group_keys: tuple[str, ...], reference: str = "nsnn_sim") -> None:
    """Mark every row with ``rate_z_vs_nsnn_sim``, ``same_work`` (|z| < 4 against the reference
    simulator's row of the same group) and ``speedup_of_nsnn_sim`` (reference throughput / row's)."""
    for row in rows:
        base = next(r for r in rows if r["simulator"] == reference and all(r[k] == row[k] for k in group_keys))
        se = (row["rate_se"] ** 2 + base["rate_se"] ** 2) ** 0.5
        row["rate_z_vs_nsnn_sim"] = (row["rate_mean"] - base["rate_mean"]) / max(se, 1e-12)
        row["same_work"] = abs(row["rate_z_vs_nsnn_sim"]) < 4
        row["speedup_of_nsnn_sim"] = base["neuron_steps_per_s"] / row["neuron_steps_per_s"]
        row["peak_memory_mb"] = row["peak_memory_bytes"] / 1e6


# the columns every side-by-side table shows after its own (rows marked by check_same_work)
SIDE_BY_SIDE_COLUMNS = [
    ("neuron-steps/s", "{neuron_steps_per_s:.3g}"), ("nsnn_sim speed-up", "{speedup_of_nsnn_sim:.2f}"),
    ("compile (s)", "{compile_time:.1f}"), ("peak memory (MB)", "{peak_memory_mb:.0f}"),
    ("rate (Hz)", "{rate_mean:.2f} +- {rate_se:.2f}"), ("same work (z)", "{rate_z_vs_nsnn_sim:.1f}"),
]


def write_table(out: Path, name: str, rows: list[dict], columns: list[tuple[str, str]], header: str = "") -> None:
    """``out/name.json`` (the rows) and ``out/name.md`` (``header`` and a table of ``columns``:
    pairs of title and a format string applied to the row, e.g. ``"{run_time:.2f}"``)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(rows, indent=1))
    lines = [header] if header else []
    lines += ["| " + " | ".join(title for title, _ in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(fmt.format(**row) for _, fmt in columns) + " |")
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def figure():
    """A matplotlib pyplot module with the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bar_chart(path: Path, labels: list[str], values: list[float], xlabel: str, title: str) -> None:
    """A horizontal bar chart of ``values`` saved to ``path``."""
    plt = figure()
    figure_, ax = plt.subplots(figsize=(6.5, 3.5))
    ax.barh(labels, values)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    figure_.tight_layout()
    figure_.savefig(path, dpi=110)
    plt.close(figure_)
