"""Parameter sweeps on dask.distributed: reproducibility, resume, failures and killed workers."""

import json
import os
import signal
import threading
import time

import numpy as np
import pytest
import xarray as xr

import nsnn_sim
from nsnn_sim.sweep import condition_seed, conditions_of, lif_statistics, sweep

GRID = {"mu": [0.8, 1.0, 1.2], "sigma": [0.3, 0.5]}


def _small_lif(mu, sigma, seed):
    return lif_statistics(mu, sigma, seed, n_neurons=40, duration=0.3)


def test_results_are_bit_identical_for_one_and_two_workers(tmp_path):
    one = sweep(_small_lif, GRID, tmp_path / "one", n_workers=1, progress=False)
    two = sweep(_small_lif, GRID, tmp_path / "two", n_workers=2, progress=False)
    xr.testing.assert_identical(one.drop_attrs(), two.drop_attrs())
    assert list(one["mu"].values) == [0.8, 0.8, 1.0, 1.0, 1.2, 1.2]
    assert np.all(one["error"].values == "") and np.all(one["rate"].values > 0)


def _logged(mu, sigma, seed, log):
    with open(log, "a") as handle:
        handle.write(json.dumps([mu, sigma]) + "\n")
    if mu == 1.0 and sigma == 0.5 and os.environ.get("NSNN_TEST_FAIL", "1") == "1":
        raise RuntimeError("condition failed on purpose")
    return {"value": mu * 10 + sigma, "seed_low_bits": seed % 1000}


def test_resume_recomputes_nothing_and_failures_are_recorded(tmp_path):
    log = tmp_path / "calls.log"
    grid = dict(GRID, log=[str(log)])
    first = sweep(_logged, grid, tmp_path / "store", n_workers=2, progress=False)
    assert first["error"].values.tolist().count("RuntimeError: condition failed on purpose") == 1
    failed = first["error"].values != ""
    assert np.isnan(first["value"].values[failed]).all()
    np.testing.assert_allclose(first["value"].values[~failed], [8.3, 8.5, 10.3, 12.3, 12.5])
    calls_after_first = log.read_text().count("\n")
    assert calls_after_first == 6
    again = sweep(_logged, grid, tmp_path / "store", n_workers=2, progress=False)
    # only the failed condition runs again; the five finished ones are read from the store
    assert log.read_text().count("\n") == 7
    xr.testing.assert_identical(first.drop_attrs(), again.drop_attrs())


def test_condition_seeds_depend_on_the_condition_only():
    grid_a = conditions_of({"mu": [1.0, 2.0], "sigma": [0.1]})
    grid_b = conditions_of({"mu": [2.0], "sigma": [0.1]})
    assert condition_seed(5, grid_a[1]) == condition_seed(5, grid_b[0])
    assert condition_seed(5, grid_a[0]) != condition_seed(5, grid_a[1])
    assert condition_seed(6, grid_a[0]) != condition_seed(5, grid_a[0])


def _slow(index, seed):
    time.sleep(0.8)  # 8 conditions on 2 workers take >= 3.2 s: the kill at 1.5 s lands mid-sweep
    return {"index": index, "seed": seed % 10**6}


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        pids = list(client.run(os.getpid).values())

        def kill_one():
            time.sleep(1.5)
            os.kill(pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_one)
        killer.start()
        result = sweep(_slow, {"index": list(range(8))}, tmp_path / "store", scheduler=client, progress=False)
        killer.join()
        client.wait_for_workers(2, timeout=60)
        assert any(pid not in pids for pid in client.run(os.getpid).values())  # a worker was replaced
    assert result["index"].values.tolist() == list(range(8))
    assert np.all(result["error"].values == "")
    assert len(list((tmp_path / "store").glob("condition-*.nc"))) == 8
    assert not list((tmp_path / "store").glob(".*tmp"))
    expected = [condition_seed(0, {"index": i}) % 10**6 for i in range(8)]
    assert result["seed"].values.tolist() == expected


@pytest.mark.parametrize("grid, pattern", [
    ({}, "non-empty dict"),
    ({"mu": 1.0}, "must be a sequence"),
    ({"mu": []}, "is empty"),
    ({"bad name": [1]}, "identifiers"),
    ({"mu": [object()]}, "numbers, strings or bools"),
])
def test_bad_grids_are_rejected(tmp_path, grid, pattern):
    with pytest.raises(ValueError, match=pattern):
        sweep(_small_lif, grid, tmp_path, progress=False)


def _kills_its_worker(index, seed, log):
    with open(log, "a") as handle:
        handle.write(f"{index}\n")
    if index == 5:
        os.kill(os.getpid(), signal.SIGKILL)  # as a segfault or the OOM killer would
    return {"index": index}


def test_a_condition_that_kills_its_worker_is_recorded_and_the_others_finish(tmp_path):
    log = tmp_path / "calls.log"
    grid = {"index": list(range(16)), "log": [str(log)]}
    result = sweep(_kills_its_worker, grid, tmp_path / "store", n_workers=2, progress=False)
    errors = result["error"].values
    assert (errors == "").sum() == 15 and result["index"].values[errors == ""].tolist() == [i for i in range(16)
                                                                                          if i != 5]
    assert errors[5].startswith("worker died 4 times running this condition")
    calls = log.read_text().split()
    assert calls.count("5") == 4 and len(calls) == 19  # every other condition ran exactly once
    again = sweep(_kills_its_worker, grid, tmp_path / "store", n_workers=2, progress=False)
    assert log.read_text().split() == calls  # the rerun computes nothing
    xr.testing.assert_identical(result.drop_attrs(), again.drop_attrs())
    assert not list((tmp_path / "store").glob(".*tmp"))


def _returns_text(index, seed):
    return "not a dataset"


def test_a_function_returning_the_wrong_type_is_recorded_with_a_clear_error(tmp_path):
    result = sweep(_returns_text, {"index": [0]}, tmp_path / "store", n_workers=1, progress=False)
    assert result["error"].values[0].startswith("TypeError: the sweep function must return an xarray.Dataset")


def test_a_store_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file"):
        sweep(_small_lif, GRID, tmp_path / "file", progress=False)


def test_an_interrupted_sweep_leaves_no_error_record_and_resumes_with_nothing_lost(tmp_path):
    """Ctrl-C (SIGINT) in the middle of a sweep: only finished results stay (no error record of the
    conditions cut short, no temporary file); the rerun completes every condition once."""
    import subprocess
    import sys
    from pathlib import Path

    store = tmp_path / "store"
    grid = {"index": list(range(12))}
    # Ctrl-C raises KeyboardInterrupt even when this test runs as a background job, whose children inherit an
    # ignored SIGINT (Python then installs no handler of its own)
    code = ("import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
            f"from test_sweep import _slow\nfrom nsnn_sim.sweep import sweep\n"
            f"sweep(_slow, {grid!r}, {str(store)!r}, n_workers=2, progress=False)\n")
    # the sweep process imports the package this process imported (a copy on PYTHONPATH in the mutation tool)
    package = Path(nsnn_sim.__file__).parents[1]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(package)])}
    process = subprocess.Popen([sys.executable, "-c", code], env=environment)
    deadline = time.time() + 180
    while len(list(store.glob("condition-*.nc"))) < 2 and time.time() < deadline and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=120)
    finished = len(list(store.glob("condition-*.nc")))
    assert 2 <= finished < 12
    assert not list(store.glob("*-error.json")) and not list(store.glob(".*tmp"))
    result = sweep(_slow, grid, store, n_workers=2, progress=False)
    assert result["index"].values.tolist() == list(range(12)) and np.all(result["error"].values == "")
    assert len(list(store.glob("condition-*.nc"))) == 12


def test_an_interrupt_removes_the_error_records_of_the_second_before_it(monkeypatch, tmp_path):
    """Records whose file time is at or after ``interrupt - 1 s`` are removed (file times have 1 s resolution on
    some file systems, so a record written just before the interrupt may carry an earlier second)."""
    import distributed
    from distributed import Client, LocalCluster

    from nsnn_sim import sweep as sweep_module

    since, interrupted = [], []
    monkeypatch.setattr(sweep_module, "_remove_records_since", lambda paths, time_: since.append(time_))

    def interrupt(futures):
        interrupted.append(time.time())
        raise KeyboardInterrupt

    monkeypatch.setattr(distributed, "as_completed", interrupt)
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
        with pytest.raises(KeyboardInterrupt):
            sweep(_slow, {"index": [0, 1]}, tmp_path / "store", scheduler=client, progress=False)
    assert interrupted[0] - 1.0 <= since[0] <= interrupted[0] - 0.5
