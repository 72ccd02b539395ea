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

# Peak resident memory of the worker, in bytes (ru_maxrss is in kB on Linux)
PEAK_MEMORY = "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024"


def run_worker(code: str, *arguments, threads: int = 2, timeout: float = 7200) -> dict:
    """Run ``code`` in a fresh Python process with ``NUMBA_NUM_THREADS=threads`` and OpenMP threads
    ``threads``; ``sys.argv[1:]`` are ``arguments`` followed by a scratch directory; the last line
    of its standard output is a JSON object, returned as a dict."""
    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        completed = subprocess.run([sys.executable, "-c", code, *map(str, arguments), directory],
                                   capture_output=True, text=True, env=env, timeout=timeout)
    if completed.returncode:
        raise RuntimeError(f"worker {arguments} failed:\n{completed.stderr[-3000:]}")
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
