"""Every experiment, from simulation to figure, and the report that lists them.

:func:`reproduce` runs every experiment of :mod:`nsnn_sim.experiments` (discovered, not listed
here): its analysis, then its figure, each in a process of its own (``python -m
nsnn_sim.experiments NAME analyze|figure``, so that one experiment's memory and compiled kernels do
not colour the next one's time), then writes ``figures/REPORT.md`` with every figure, its key
numbers, the command that made it and the time it took. Everything is written under one output
folder (default: the current directory), so it runs from an installed package anywhere.

Examples
--------
>>> import tempfile
>>> from nsnn_sim.reproduce import write_report
>>> report = write_report(tempfile.mkdtemp(), "quick")
>>> report.name, report.read_text().splitlines()[0]
('REPORT.md', '# nsnn_sim: figures and key numbers')
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from nsnn_sim._core.atomic import write_atomically
from nsnn_sim._core.log import get_logger
from nsnn_sim.experiments import figure_path, get, load_results, registry, results_path

__all__ = ["reproduce", "write_report", "source_root"]

_log = get_logger(__name__)
MODES = ("quick", "full")


def source_root() -> Path:
    """The source checkout holding ``benchmarks/`` (the package's parent folder); benchmarks are not
    installed with the package."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "benchmarks").is_dir():
        raise FileNotFoundError(f"benchmarks/ not found beside {root / 'nsnn_sim'}: the benchmarks run from a "
                                "source checkout of nsnn_sim")
    return root


def _step(name: str, role: str, arguments: list[str]) -> float:
    """Run one step of one experiment in its own process; its duration in seconds."""
    command = [sys.executable, "-m", "nsnn_sim.experiments", name, role, *arguments]
    _log.info("$ %s", " ".join(command[1:]))
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{name} ({role}) failed:\n{completed.stderr[-3000:]}")
    return time.perf_counter() - start


def reproduce(mode: str = "quick", only: list[str] | None = None, out=".") -> Path:
    """Run every experiment (analysis, then figure) in ``mode`` and write ``out/figures/REPORT.md``.

    Parameters
    ----------
    mode : {"quick", "full"}
    only : list of str, optional
        Names of the experiments to run (default all, :func:`nsnn_sim.experiments.registry`).
    out : path
        Output folder: ``out/results/NAME.nc``, ``out/figures/out/NAME.png``, ``out/figures/REPORT.md``.
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not allowed; allowed: {MODES}")
    names = list(only) if only else list(registry())
    for name in names:
        get(name)  # unknown names fail before anything runs
    out = Path(out)
    timings = {}
    for name in list(names):
        missing = get(name).missing_extras
        if missing:
            _log.warning("%s skipped: it needs the extra %s (pip install 'nsnn_sim[%s]')", name, missing[0], missing[0])
            names.remove(name)
    for name in names:
        arguments = ["--out", str(results_path(name, out))] + (["--quick"] if mode == "quick" else [])
        timings[name] = _step(name, "analyze", arguments)
        timings[name] += _step(name, "figure", ["--results", str(results_path(name, out)),
                                                "--out", str(figure_path(name, out))])
    return write_report(out, mode, timings)


def write_report(out, mode: str, timings: dict | None = None) -> Path:
    """``out/figures/REPORT.md``: every experiment whose results exist under ``out``, with its figure,
    key numbers, the commands that made them and (if known) the time they took."""
    out, timings = Path(out), timings or {}
    lines = ["# nsnn_sim: figures and key numbers", "",
             f"Made by `nsnn-sim reproduce --{mode}` (`make figures` for quick mode). Each section names the "
             "commands that make its results and figure, and the time they took (analysis + figure, one process "
             "each, including Numba compilation or cache loading).", ""]
    for name, experiment in registry().items():
        results = results_path(name, out)
        if not results.exists():
            continue
        lines += [f"## {name}", "", experiment.description, ""]
        if figure_path(name, out).exists():
            lines += [f"![{name}](out/{name}.png)", ""]
        lines += [f"- {line}" for line in experiment.summary(load_results(results))]
        flag = " --quick" if mode == "quick" else ""
        seconds = f" ({timings[name]:.0f} s)" if name in timings else ""
        lines += ["", f"Command: `nsnn-sim analyze {name}{flag}` (or `python analyses/{name}.py{flag}`), then "
                  f"`nsnn-sim figures`{seconds}", ""]
    report = out / "figures" / "REPORT.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(report, lambda temporary: temporary.write_text("\n".join(lines)))
