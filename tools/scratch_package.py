"""A scratch copy of the package and a test run against it, shared by the mutation tools.

* :func:`copy_tree` copies ``nsnn_sim``, ``tests``, the experiments' scripts (``analyses``, ``figures``)
  and the pytest configuration to a scratch folder (no caches, results, figures or environments).
* :func:`run_tests` runs pytest there with ``PYTHONPATH`` pointing at the copy and ``NUMBA_CACHE_DIR``
  at a fresh empty folder (Numba's cache does not track cross-module inlining, so a shared cache could
  hide a mutant), or at a folder the caller prepared (:mod:`warm_cache`). It first checks that the copy
  is the package imported.

Used by ``tools/listed_mutations.py`` (fixed text mutations) and ``tools/mutation.py`` (sampled AST
mutants).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent

_IGNORE = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.nbi", "*.nbc", "results", "data",
                                 ".pytest_cache", "*.egg-info", "build", "dist", "out", "*.png", "*.pdf", "*.nc")


class TestRun(NamedTuple):
    """Outcome of one pytest run on a scratch copy."""

    failed: bool  # pytest's exit status was not 0 (or the run timed out)
    failing: list[str]  # ids of the failing / erroring tests
    elapsed: float  # wall time of the pytest run, seconds
    tail: str  # pytest's last line of output (or the end of stderr)
    timed_out: bool
    import_failed: bool  # ``import nsnn_sim`` failed in the copy: pytest was not run
    cpu: float = 0.0  # CPU seconds (user + system) of the pytest run: exact when no other child ends meanwhile


def copy_tree(destination: Path) -> None:
    """Copy the package, the tests, the experiment scripts and the pytest configuration to ``destination``."""
    for name in ("nsnn_sim", "tests", "analyses", "figures"):  # the experiments' tests run their thin scripts
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, destination / name, ignore=_IGNORE)
    for name in ("pyproject.toml", "conftest.py", "pytest.ini", "setup.cfg"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, destination / name)


def run_tests(tree: Path, tests: list[str], python: str, extra: tuple[str, ...] = (),
              timeout: float | None = None, cache: Path | None = None, keep_cache: bool = False) -> TestRun:
    """Run ``pytest -m "not slow"`` with arguments ``tests`` on the copy ``tree``, in a fresh Numba cache
    (or in ``cache``, a folder prepared by the caller; removed afterwards unless ``keep_cache``).

    ``extra`` are further pytest options (e.g. ``-x``); a run longer than ``timeout`` seconds is
    stopped and counts as failed, with ``timed_out`` set.
    """
    cache = str(cache) if cache is not None else tempfile.mkdtemp(prefix="numba_cache_")
    drop = (lambda: None) if keep_cache else (lambda: shutil.rmtree(cache, ignore_errors=True))
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=cache)
    check = [python, "-c", "import nsnn_sim, sys; sys.exit(0 if nsnn_sim.__file__.startswith(sys.argv[1]) else 3)",
             str(tree)]
    probe = subprocess.run(check, env=env, cwd=tree, capture_output=True, text=True)
    if probe.returncode == 3:
        drop()
        raise SystemExit("the scratch copy is not the package imported; check PYTHONPATH")
    if probe.returncode != 0:
        drop()
        last = probe.stderr.strip().splitlines()[-1:] or ["import failed"]
        return TestRun(True, [], 0.0, last[0][-300:], False, True)
    start, cpu = time.perf_counter(), _children_cpu()
    try:
        result = subprocess.run([python, "-m", "pytest", "-m", "not slow", "-q", "-p", "no:cacheprovider",
                                 "-rf", *extra, *tests], env=env, cwd=tree, capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        drop()
        return TestRun(True, [], time.perf_counter() - start, f"timed out after {timeout:.0f} s", True, False)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    drop()
    failing = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", result.stdout, flags=re.M)))
    tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-300:]
    return TestRun(result.returncode != 0, failing, elapsed, tail, False, False, cpu)


def _children_cpu() -> float:
    """CPU seconds of this process's ended children so far (one pytest run at a time: its own CPU time, which
    on an idle machine is about its wall time; on a loaded one it is what the wall time would be there)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
