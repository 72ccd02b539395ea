"""The benchmark scripts run end to end at a tiny size (no timing is asserted: benchmarks are not tests)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def test_gif_fitting_benchmark_runs_at_a_tiny_size(tmp_path):
    _run("fitting.py", "--model", "gif", "--neurons", 2, "--steps", 3000, "--out", tmp_path)
    row = json.loads((tmp_path / "fitting_gif.json").read_text())
    assert row["model"] == "gif" and row["parameters_per_neuron"] == 13 and row["n_spikes"] > 0
    assert (tmp_path / "fitting_gif.md").stat().st_size > 0


def test_learning_vs_torch_says_so_and_writes_nothing_where_torch_is_missing(tmp_path):
    """PyTorch is never a dependency: without it (blocked here) the benchmark explains and exits 0."""
    code = ("import sys; sys.modules['torch'] = None; sys.argv = ['x', '--out', sys.argv[1]]; "
            f"sys.path.insert(0, {str(BENCHMARKS)!r}); import learning_vs_torch; learning_vs_torch.main()")
    out = tmp_path / "learning_vs_torch.json"
    completed = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "PyTorch is not installed" in completed.stdout and not out.exists()


def test_nest_reference_says_so_and_writes_nothing_where_nest_is_missing(tmp_path):
    """NEST is never a dependency: without it (absent here) the reference script explains and exits 0."""
    completed = subprocess.run([sys.executable, str(BENCHMARKS / "nest_reference.py"), "--out", str(tmp_path)],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "NEST is not installed" in completed.stdout and not list(tmp_path.iterdir())


def _nest_reference():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import nest_reference
    finally:
        sys.path.remove(str(BENCHMARKS))
    return nest_reference


def test_nest_reference_statistics_of_two_hand_made_trains():
    """Neuron 0 fires at 1, 3, 4, 7, 8 ms (ISIs 2, 1, 3, 1), neuron 1 at 0.5, 0.5, 2.5 ms (ISIs 0, 2), given out of
    order over 10 ms: every statistic against its value worked out by hand."""
    senders = np.array([1, 0, 0, 1, 0, 0, 1, 0])
    times = np.array([2.5, 8.0, 1.0, 0.5, 4.0, 3.0, 0.5, 7.0])
    stats = _nest_reference().spike_statistics(senders, times, 2, 10.0)
    # rates 500 and 300 Hz: mean 400, SE = SD/sqrt(2) = 141.42/1.4142 = 100
    assert stats["rate_hz"] == pytest.approx(400.0) and stats["rate_se_hz"] == pytest.approx(100.0)
    # pooled: mean 1.5, variance 19/6 - 2.25 = 11/12; pairs (2,1), (1,3), (3,1), (0,2): covariance -0.625
    assert stats["cv_pooled"] == pytest.approx(math.sqrt(11 / 12) / 1.5)
    assert stats["rho1_pooled"] == pytest.approx(-0.625 / (11 / 12))
    # jackknife over the two neurons: CV of neuron 0 alone sqrt(0.6875)/1.75, of neuron 1 alone 1
    left_out = np.array([1.0, math.sqrt(0.6875) / 1.75])
    assert stats["cv_pooled_se"] == pytest.approx(math.sqrt(0.5 * np.sum((left_out - left_out.mean()) ** 2)))
    # per-neuron CV: only neuron 0 has >= 3 ISIs, so no SE
    assert stats["cv_mean"] == pytest.approx(math.sqrt(0.6875) / 1.75) and math.isnan(stats["cv_se"])
    assert (stats["min_isi_ms"], stats["n_at_min_isi"], stats["n_zero_isi"], stats["n_isi"]) == (0.0, 1, 1, 6)


@pytest.mark.parametrize("tau_syn", [0.5, 2.0, 5.0])
def test_nest_reference_psp_peaks(tau_syn):
    """Exponential PSC: the peak is j x^(1/(1 - x)), x = tau_syn/tau_m (from the closed-form PSP); alpha PSC:
    the peak of a numerical solution of tau du/dt = -u + i with i = j (e/tau_s) t e^(-t/tau_s)."""
    from scipy.integrate import solve_ivp
    from scipy.optimize import minimize_scalar

    reference = _nest_reference()
    x = tau_syn / 10.0
    assert reference._psp_peak(0.3, tau_syn, "exp") == pytest.approx(0.3 * x ** (1 / (1 - x)), rel=1e-9)
    solution = solve_ivp(lambda t, y: [(y[1] - y[0]) / 10.0, y[2] - y[1] / tau_syn, -y[2] / tau_syn], (0.0, 40.0),
                         [0.0, 0.0, 0.3 * math.e / tau_syn], method="DOP853", rtol=1e-12, atol=1e-15, dense_output=True)
    peak = -minimize_scalar(lambda t: -solution.sol(t)[0], bounds=(0.0, 40.0), method="bounded",
                            options={"xatol": 1e-10}).fun
    assert reference._psp_peak(0.3, tau_syn, "alpha") == pytest.approx(peak, rel=1e-8)


@pytest.mark.parametrize("mu, rho_0, delta_u, n_dead", [(0.9, 200.0, 0.2, 20), (1.2, 50.0, 0.1, 7),
                                                         (0.7, 100.0, 0.3, 0)])
def test_nest_reference_clamped_renewal_equals_the_hazard_theory(mu, rho_0, delta_u, n_dead):
    """The reference script's renewal sums for a clamped dead time (gif_psc_exp without kernels) against
    nsnn_sim.theory.hazard_renewal's discrete form, written independently; with no dead time the integrating
    membrane is the same process."""
    from nsnn_sim.theory import hazard_renewal

    reference = _nest_reference()
    expected = hazard_renewal(mu, rho_0, delta_u, tau_ref=n_dead * 1e-4, dt=1e-4)
    for mode in ("clamp",) + (("integrate",) if n_dead == 0 else ()):
        got = reference.escape_renewal(n_dead, mode, mu=mu, rho_0=rho_0, delta_u=delta_u)
        assert got["rate_hz"] == pytest.approx(expected.rate, rel=1e-10)
        assert got["cv"] == pytest.approx(expected.cv, rel=1e-8)


def test_connection_generation_benchmark_runs_at_a_tiny_size(tmp_path):
    _run("connection_generation.py", "--n", 200, "--repeats", 1, "--nest-python", tmp_path / "no-nest", "--out",
         tmp_path)
    rows = json.loads((tmp_path / "connection_generation.json").read_text())
    assert [(row["simulator"], row["rule"]) for row in rows] == [("nsnn_sim", "pairwise_bernoulli"),
                                                                 ("nsnn_sim", "fixed_indegree")]
    assert rows[1]["synapses"] == 200 * 20 and all(row["seconds"] > 0 for row in rows)


def test_recording_memory_benchmark_runs_at_a_tiny_size(tmp_path):
    _run("recording_memory.py", "--neurons", 1000, "--steps", 2000, "--out", tmp_path)
    tiny, rate_only = json.loads((tmp_path / "recording_memory.json").read_text())
    assert (tiny["neurons"], rate_only["neurons"], rate_only["steps"]) == (10, 1000, 2000)
    assert rate_only["spikes_counted"] > 10_000 and rate_only["spikes_kept"] == 0
    assert rate_only["peak_rss_bytes"] > 0 and isinstance(rate_only["within_limit"], bool)

