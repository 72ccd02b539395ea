"""The package as users install it: optional extras, the version from git, provenance, logging, the
compile-time record, ``python -m nsnn_sim``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from numba import njit

import nsnn_sim as ns
from nsnn_sim._core import version
from nsnn_sim._core.compile_clock import CompileClock

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = ("brian2", "distributed", "dask", "neo", "quantities", "elephant", "pynwb", "hdmf", "sklearn")

# as if not installed: ``import brian2`` raises ModuleNotFoundError and find_spec finds nothing
_BLOCKER = textwrap.dedent(f"""
    import sys
    sys.modules.update(dict.fromkeys({OPTIONAL!r}))
""")


def _python(code: str, **environment) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _BLOCKER + textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **environment}, timeout=300)


def test_the_core_imports_and_simulates_without_any_optional_package():
    completed = _python("""
        import sys
        import nsnn_sim as ns
        from nsnn_sim.analysis import stats
        from nsnn_sim import theory, coding, learn
        result = ns.simulate(ns.LIF(sigma=0.5), 0.9, n_neurons=20, n_steps=500, seed=1)
        assert len(result.spikes) > 0, "no spikes"
        assert float(stats.firing_rates(result.spikes).mean()) > 0
        loaded = [name for name in sys.modules if name.split(".")[0] in {optional!r} and sys.modules[name] is not None]
        assert not loaded, loaded
        print("ok")
    """.replace("{optional!r}", repr(OPTIONAL)))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().endswith("ok")


@pytest.mark.parametrize("module, extra", [("nsnn_sim.interop.brian2", "brian2"), ("nsnn_sim.sweep", "sweep")])
def test_a_missing_extra_raises_one_import_error_naming_it(module, extra):
    completed = _python(f"""
        try:
            import {module}
        except ImportError as error:
            print("ImportError:", error)
        else:
            print("imported")
    """)
    assert completed.returncode == 0, completed.stderr
    assert f"pip install 'nsnn_sim[{extra}]'" in completed.stdout, completed.stdout


def test_version_and_provenance_come_from_git():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert version.commit() == head
    assert f"+g{head[:7]}" in version.version() or version.version()[0].isdigit()
    assert ns.__version__ == version.version()
    record = ns.simulate(ns.NSNN(), 0.5, n_neurons=3, n_steps=10).to_xarray().attrs
    assert record["nsnn_sim_commit"] == head and record["nsnn_sim_version"] == ns.__version__
    assert record["nsnn_sim_dirty"] in (0, 1)


def test_the_version_changes_with_the_commit(tmp_path):
    """Two commits give two versions and two provenance records (a clone with one more commit)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    code = "from nsnn_sim._core import version; print(version.version(), version.commit())"
    environment = {**os.environ, "PYTHONPATH": str(clone)}

    def describe():
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                              env=environment, check=True).stdout.split()

    before = describe()
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet",
                    "--allow-empty", "-m", "one more"], check=True)
    after = describe()
    assert before[0] != after[0] and before[1] != after[1]
    assert after[1].startswith(after[0].split("+g")[1].split(".")[0])


def test_nsnn_sim_version_and_python_dash_m():
    completed = subprocess.run([sys.executable, "-m", "nsnn_sim", "--version"], capture_output=True, text=True,
                               cwd=ROOT, check=True)
    assert completed.stdout.startswith(f"nsnn-sim {ns.__version__} (commit {version.commit()}")


def test_compile_time_is_recorded_apart_from_run_time():
    @njit
    def fresh(x):  # not cached: its first call compiles
        return x + 1.0

    with CompileClock() as clock:
        fresh(1.0)
    assert clock.seconds > 0.0
    with CompileClock() as again:
        fresh(2.0)
    assert again.seconds == 0.0
    model = ns.NSNN(noise="logistic", firing="escape", noise_scale=0.2)
    ns.simulate(model, 0.5, n_neurons=5, n_steps=50)
    result = ns.simulate(model, 0.5, n_neurons=5, n_steps=50)  # compiled by now: nothing to compile
    assert result.compile_time == 0.0 and result.run_time >= 0.0
    attrs = result.to_xarray().attrs
    assert attrs["compile_time_s"] == 0.0 and "run_time_s" in attrs and "wall_time_s" not in attrs


def test_a_long_compilation_is_announced_once_while_it_runs_and_a_quick_one_is_not(caplog):
    @njit
    def fresh(x):  # not cached: its first call compiles (about 0.1 s), far beyond announce_after
        return x * 2.0

    with caplog.at_level(logging.INFO, logger="nsnn_sim"):
        with CompileClock(announce="compiling now", announce_after=1e-3) as clock:
            fresh(1.0)
            fresh(2.0)  # compiled: no second announcement
        assert clock.announced
        assert [record.getMessage() for record in caplog.records].count("compiling now") == 1
        caplog.clear()
        with CompileClock(announce="compiling now", announce_after=1e-3) as again:
            fresh(3.0)
        assert not again.announced and not caplog.records


def test_old_files_with_wall_time_still_load(tmp_path):
    dataset = ns.simulate(ns.NSNN(), 0.5, n_neurons=3, n_steps=10).to_xarray()
    dataset.attrs["wall_time_s"] = dataset.attrs.pop("run_time_s")
    del dataset.attrs["compile_time_s"]
    dataset.to_netcdf(tmp_path / "old.nc", engine="h5netcdf")
    loaded = ns.load(tmp_path / "old.nc")
    assert loaded.run_time == dataset.attrs["wall_time_s"] and loaded.compile_time is None


def test_the_library_logs_instead_of_printing(tmp_path, caplog, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nsnn_sim.analysis.plotting import save_figure

    with caplog.at_level(logging.INFO, logger="nsnn_sim"):
        save_figure(plt.figure(), tmp_path / "f.png")
    assert capsys.readouterr().out == ""
    assert any("f.png" in record.getMessage() and record.name.startswith("nsnn_sim") for record in caplog.records)


@pytest.mark.slow
def test_a_plain_install_without_extras_takes_the_newest_numpy(tmp_path):
    """``pip install .`` in a fresh venv (no extras): the core simulates with whatever numpy pip
    chose (no < 2.4 pin), and the Brian2 bridge names its extra."""
    environment = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(environment)], check=True)
    python = environment / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(ROOT)], check=True, timeout=1800)
    code = textwrap.dedent("""
        import numpy, nsnn_sim as ns
        result = ns.simulate(ns.LIF(), 0.9, n_neurons=10, n_steps=200)
        try:
            import nsnn_sim.interop.brian2
        except ImportError as error:
            print(numpy.__version__, "|", error)
    """)
    completed = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    numpy_version, message = completed.stdout.split("|")
    assert "nsnn_sim[brian2]" in message
    assert tuple(int(part) for part in numpy_version.strip().split(".")[:2]) >= (2, 4), numpy_version


@pytest.mark.slow
def test_the_installed_wheel_reproduces_an_experiment_in_an_empty_folder(tmp_path):
    """Build the wheel, install it in a fresh venv, and run ``nsnn-sim reproduce --quick`` for one
    experiment in an empty folder: results, figure and REPORT.md appear there (no checkout needed)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"),
                    str(ROOT)], check=True, timeout=1800)
    wheel = next((tmp_path / "dist").glob("nsnn_sim-*.whl"))
    environment = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(environment)], check=True)
    subprocess.run([environment / "bin" / "python", "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   timeout=1800)
    empty = tmp_path / "empty"
    empty.mkdir()
    completed = subprocess.run([environment / "bin" / "nsnn-sim", "reproduce", "--quick", "--only", "demo",
                                "sampling"], cwd=empty, capture_output=True, text=True, timeout=1800)
    assert completed.returncode == 0, completed.stderr
    report = (empty / "figures" / "REPORT.md").read_text()
    assert "## demo" in report and "## sampling" in report
    assert (empty / "results" / "demo.nc").exists() and (empty / "figures" / "out" / "sampling.png").exists()


def test_progress_bar_on_request_silent_otherwise_and_results_unchanged(capsys, monkeypatch):
    from nsnn_sim._core.progress import progress_enabled

    model = ns.LIF(sigma=0.5, method="euler")
    quiet = ns.simulate(model, 0.9, n_neurons=64, n_steps=200, n_trials=3, seed=4, progress=False)
    assert capsys.readouterr().err == ""
    shown = ns.simulate(model, 0.9, n_neurons=64, n_steps=200, n_trials=3, seed=4, progress=True, n_threads=2)
    assert "simulate" in capsys.readouterr().err
    assert shown.spikes == quiet.spikes
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NSNN_SIM_PROGRESS", raising=False)
    assert progress_enabled(None, predicted_seconds=10.0) and not progress_enabled(None, predicted_seconds=0.1)
    monkeypatch.setenv("CI", "true")
    assert not progress_enabled(None, predicted_seconds=10.0)
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        ns.simulate(model, 0.9, n_neurons=2, n_steps=10, progress="yes")


def test_the_licence_is_an_spdx_expression_with_its_file_and_no_classifier():
    """setuptools (>= 77) deprecates the licence table and licence classifiers (PEP 639)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    assert project["project"]["license-files"] == ["LICENSE"] and (ROOT / "LICENSE").is_file()
    assert not [item for item in project["project"]["classifiers"] if item.startswith("License ::")]
    assert "setuptools>=77" in project["build-system"]["requires"]
