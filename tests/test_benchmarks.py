"""The benchmark scripts run end to end at a tiny size (no timing is asserted: benchmarks are not tests)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script, *arguments):
    completed = subprocess.run([sys.executable, str(BENCHMARKS / script), *map(str, arguments)],
                               capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-3000:]


@pytest.mark.slow  # 35 s + 18 s in a fresh clone on 2 cores (Brian2 compiles): make test-slow
@pytest.mark.parametrize("script, arguments, name, n_rows", [
    ("throughput.py", ("--sizes", 200, "--steps", 300), "throughput", 8),
    ("recurrent.py", ("--n-excitatory", 400, "--steps", 400), "recurrent", 4),
])
def test_side_by_side_benchmark_runs_at_a_tiny_size(tmp_path, script, arguments, name, n_rows):
    _run(script, *arguments, "--out", tmp_path)
    rows = json.loads((tmp_path / f"{name}.json").read_text())
    assert len(rows) == n_rows
    assert {row["simulator"] for row in rows} == {"nsnn_sim", "nsnn_sim_1_thread", "brian2_cython",
                                                  "brian2_cpp_standalone"}
    assert all(row["same_work"] for row in rows), [(row["simulator"], row["rate_z_vs_nsnn_sim"]) for row in rows]
    assert (tmp_path / f"{name}.md").read_text().count("\n") >= n_rows + 2
    assert (tmp_path / f"{name}.png").stat().st_size > 0


def test_engine_costs_benchmark_runs_at_a_tiny_size(tmp_path):
    _run("engine_costs.py", "--quick", "--memory-neurons", 1000, "--memory-steps", 1000, "--out", tmp_path)
    row = json.loads((tmp_path / "engine_costs.json").read_text())[0]
    assert row["memory_spikes"] > 0 and row["peak_memory_bytes"] > 0
    for key in ("floor_uniform_ns", "floor_normal_ns", "engine_1_thread_ns", "first_simulate_s"):
        assert row[key] > 0
    assert (tmp_path / "engine_costs.png").stat().st_size > 0


def test_fitting_benchmark_runs_at_a_tiny_size(tmp_path):
    _run("fitting.py", "--neurons", 3, "--steps", 3000, "--out", tmp_path)
    row = json.loads((tmp_path / "fitting.json").read_text())
    assert row["n_neurons"] == 3 and row["parameters_per_neuron"] == 10 and row["seconds"] > 0
    assert "load average" in row["uptime_before"] and (tmp_path / "fitting.md").stat().st_size > 0


def test_learning_vs_torch_says_so_and_writes_nothing_where_torch_is_missing(tmp_path):
    """PyTorch is never a dependency: without it (blocked here) the benchmark explains and exits 0."""
    code = ("import sys; sys.modules['torch'] = None; sys.argv = ['x', '--out', sys.argv[1]]; "
            f"sys.path.insert(0, {str(BENCHMARKS)!r}); import learning_vs_torch; learning_vs_torch.main()")
    out = tmp_path / "learning_vs_torch.json"
    completed = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "PyTorch is not installed" in completed.stdout and not out.exists()
