"""Result files are whole or absent (nsnn_sim._core.atomic): every writer of results and figures against a missing
folder, a path that is a folder, a read-only folder, a full disk and a process killed in the middle of a write.

The read-only folder and the full disk are real: a small tmpfs mounted for the test (remounted read-only, or
filled to the last byte). Mounting needs root (or CAP_SYS_ADMIN); without it the read-only case falls back to
permission bits (which stop a user that is not root) and the full-disk case is skipped, saying why.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
import xarray as xr

import nsnn_sim as ns
from nsnn_sim._core.atomic import PARTIAL_SUFFIX, is_partial, partial_files, write_atomically
from nsnn_sim.simulator.results import SimulationResult
from nsnn_sim.spikes import SpikeTrains

matplotlib.use("Agg")


# ------------------------------------------------------------------ the writers, each with ~1 MB of content
def _result(seed: int, n_steps: int = 2000, n_neurons: int = 60) -> SimulationResult:
    """A result of ~1 MB (the recorded state is random: it does not compress) without simulating."""
    generator = np.random.default_rng(seed)
    spikes = SpikeTrains([0, 0], [0, 1], [3, 7 + seed], dt=1e-4, n_trials=1, n_neurons=n_neurons, n_steps=n_steps)
    return SimulationResult(spikes, generator.random((1, n_neurons, n_steps)), np.arange(n_neurons),
                            ns.LIF(method="euler"), seed)


def _to_netcdf(path: Path, seed: int):
    _result(seed).to_netcdf(path)


def _to_nwb(path: Path, seed: int):
    _result(seed).to_nwb(path)


def _figure(path: Path, seed: int):
    import matplotlib.pyplot as plt

    from nsnn_sim.analysis.plotting import save_figure

    figure = plt.figure(figsize=(6, 6))
    figure.add_subplot().imshow(np.random.default_rng(seed).random((600, 600)))  # ~1 MB of PNG
    save_figure(figure, path, dpi=120)


def _experiment(path: Path, seed: int):
    from nsnn_sim.experiments import Experiment

    module = SimpleNamespace(run=lambda quick, seed: xr.Dataset({"x": ("i", np.random.default_rng(seed).random(
        150_000))}), MARKDOWN=lambda data: "| x |\n|---|\n")
    Experiment("example", module).analyze(path, seed=seed)


def _random_condition(n, seed):
    return {"x": np.random.default_rng(seed).random(150_000)}


def _sweep_condition(path: Path, seed: int):
    """A sweep never replaces a condition's file (a rerun skips it): each seed writes its own condition."""
    from nsnn_sim.sweep import _run_condition

    target = _target("sweep condition", path, seed)
    _run_condition(_random_condition, {"n": 1}, seed, str(target), str(target.with_suffix(".json")))


def _target(writer: str, path: Path, seed: int) -> Path:
    """The file ``WRITERS[writer]`` writes when given ``path``."""
    return path.with_name(f"{path.stem}-{seed}{path.suffix}") if writer == "sweep condition" else path


WRITERS = {"to_netcdf": (_to_netcdf, "run.nc"), "to_nwb": (_to_nwb, "run.nwb"), "save_figure": (_figure, "f.png"),
           "experiment results": (_experiment, "results.nc"), "sweep condition": (_sweep_condition, "c.nc")}


def _digest(folder: Path) -> dict:
    """Name -> SHA-256 of every file in ``folder``."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


# ------------------------------------------------------------------ a real tmpfs: full or read-only
def _run(*command) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True)


def _fill(folder: Path, leave: int = 64 * 1024) -> None:
    """Fill the file system of ``folder`` to the last byte, then free ``leave`` bytes (a write then fails part way)."""
    filler = folder / "filler"
    block = b"\0" * (1 << 20)
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(block)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    with open(filler, "r+b") as handle:
        handle.truncate(max(0, filler.stat().st_size - leave))


def _mount_tmpfs(folder: Path) -> str:
    """Mount a 16 MB tmpfs on ``folder``; the reason it failed, or "" if it is mounted."""
    try:
        _run("mount", "-t", "tmpfs", "-o", "size=16m,mode=0777", "tmpfs", str(folder))
    except (OSError, subprocess.CalledProcessError) as error:
        return str(getattr(error, "stderr", "") or error).strip()
    return ""


@pytest.fixture
def tmpfs(tmp_path):
    """A fresh 16 MB tmpfs (skipped where it cannot be mounted: not root, no CAP_SYS_ADMIN, no mount)."""
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    reason = _mount_tmpfs(folder)
    if reason:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {reason}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def read_only_folder(tmp_path):
    """``(folder, freeze)``: a writable folder that ``freeze()`` makes read-only for this process. As root
    (which permission bits do not stop) a tmpfs remounted read-only, else ``chattr +i``; as another user,
    permission bits."""
    folder = tmp_path / "frozen"
    folder.mkdir()
    if os.geteuid() != 0:
        commands = None
    elif not (reason := _mount_tmpfs(folder)):
        commands = (["mount", "-o", "remount,ro", str(folder)], ["umount", "-l", str(folder)])
    else:
        commands = (["chattr", "+i", str(folder)], ["chattr", "-i", str(folder)])

    def freeze():
        if commands is None:
            folder.chmod(0o555)
            return
        try:
            _run(*commands[0])
        except (OSError, subprocess.CalledProcessError) as error:
            pytest.skip(f"root, and neither a read-only tmpfs ({reason}) nor chattr +i "
                        f"({getattr(error, 'stderr', error)}) is possible here")

    yield folder, freeze
    if commands is None:
        folder.chmod(0o755)
    else:
        subprocess.run(commands[1], capture_output=True)


# ------------------------------------------------------------------ the tests
@pytest.mark.parametrize("writer", ["to_netcdf", "to_nwb"])
def test_writing_into_a_missing_folder_names_the_folder(tmp_path, writer):
    write, name = WRITERS[writer]
    path = tmp_path / "no" / "such" / name
    with pytest.raises(FileNotFoundError, match=re.escape(f"{path}: the folder {path.parent} does not exist")):
        write(path, seed=1)
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("writer", list(WRITERS))
def test_writing_to_a_path_that_is_a_folder_says_so(tmp_path, writer):
    write, name = WRITERS[writer]
    path = _target(writer, tmp_path / name, 1)
    path.mkdir()
    with pytest.raises(IsADirectoryError, match=re.escape(f"{path} is a folder; give the name of a file in it")):
        write(tmp_path / name, seed=1)
    assert path.is_dir() and not list(path.iterdir())
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_folder_that_refuses_new_files_is_named_and_h5py_internals_are_not_shown():
    """The issue's example: /proc exists but takes no files (h5py said "flags = 13, o_flags = 242")."""
    with pytest.raises(FileNotFoundError, match=r"^/proc/nsnn.nc: no file can be created in the folder /proc"):
        _result(1).to_netcdf("/proc/nsnn.nc")
    with pytest.raises(ValueError, match="has a '.partial' part"):
        _result(1).to_netcdf("/tmp/run.nc.partial")


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_read_only_folder_is_named_and_its_previous_file_kept(read_only_folder, writer):
    folder, freeze = read_only_folder
    write, name = WRITERS[writer]
    write(folder / name, seed=1)
    before = _digest(folder)
    freeze()
    target = _target(writer, folder / name, 2)
    with pytest.raises(PermissionError, match=re.escape(f"{target}: the folder {folder} is not writable")):
        write(folder / name, seed=2)
    assert _digest(folder) == before


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_full_disk_says_so_keeps_the_previous_file_and_leaves_nothing(tmpfs, writer):
    write, name = WRITERS[writer]
    write(tmpfs / name, seed=1)
    _fill(tmpfs)
    before = _digest(tmpfs)
    target = _target(writer, tmpfs / name, 2)
    with pytest.raises(OSError, match=re.escape(f"{target}: the disk is full")) as raised:
        write(tmpfs / name, seed=2)
    assert raised.value.errno == errno.ENOSPC
    assert _digest(tmpfs) == before  # the old file whole, no temporary left


def test_the_cli_reports_a_full_disk_in_one_line(tmpfs, capsys):
    from nsnn_sim.cli import main

    out = tmpfs / "run.nc"
    arguments = ["-q", "simulate", "--model", "nsnn", "--neurons", "300", "--steps", "3000", "--inputs", "0.8"]
    assert main(arguments + ["--out", str(out), "--seed", "1"]) == 0
    _fill(tmpfs)
    before = _digest(tmpfs)
    capsys.readouterr()
    assert main(arguments + ["--out", str(out), "--seed", "2"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (f"nsnn-sim simulate: error: {out}: the disk is full (no space left on the file system of "
                     f"{tmpfs}); the previous file is unchanged")
    assert _digest(tmpfs) == before


KILLED_WRITER = """
import sys
import numpy as np
from nsnn_sim.simulator.results import SimulationResult
from nsnn_sim.spikes import SpikeTrains
import nsnn_sim as ns

kind, path, assembled = sys.argv[1:]
if assembled == "on disk":  # as for a file larger than half the memory
    import nsnn_sim._core.atomic
    nsnn_sim._core.atomic.available_bytes = lambda: 0
n_steps, n_neurons = 200_000, 100  # 160 MB of state
spikes = SpikeTrains([0], [0], [5], dt=1e-4, n_trials=1, n_neurons=n_neurons, n_steps=n_steps)
result = SimulationResult(spikes, np.random.default_rng(0).random((1, n_neurons, n_steps)), np.arange(n_neurons),
                          ns.LIF(), 2)
print("writing", flush=True)
result.to_netcdf(path) if kind == "netcdf" else result.to_nwb(path)
"""


@pytest.mark.parametrize("assembled", ["in memory", "on disk"])
@pytest.mark.parametrize("kind", ["netcdf", "nwb"])
def test_a_write_killed_midway_leaves_the_previous_file_and_nothing_a_loader_takes(tmp_path, kind, assembled):
    """A process writing a 160 MB result is killed (SIGKILL) once its temporary file exists: the previous file
    loads unchanged, and the temporary left behind is refused by load / load_nwb. The HDF5 file is assembled in
    memory and then written, or (a file larger than half the memory) written by HDF5 itself."""
    path = tmp_path / f"run.{kind}"
    load = ns.load if kind == "netcdf" else ns.load_nwb
    (_to_netcdf if kind == "netcdf" else _to_nwb)(path, seed=1)
    before = _digest(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, kind, str(path), assembled], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing", child.stderr.read()
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size > 0 for p in partial_files(path) if p.exists()):
        assert child.poll() is None, f"the writer ended before it could be killed: {child.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    assert _digest(tmp_path)[path.name] == before[path.name]
    loaded = load(path)
    assert (loaded if kind == "nwb" else loaded.spikes) == _result(1).spikes
    left = [p for p in tmp_path.iterdir() if p != path]
    assert left and all(is_partial(p) for p in left)
    for partial in left:
        with pytest.raises(OSError, match=re.escape(f"{partial} is the temporary file of a write that did not")):
            load(partial)


def test_a_sweep_never_takes_a_temporary_for_a_result_and_removes_it(tmp_path):
    from nsnn_sim.sweep import _paths, combine, sweep

    grid = {"n": [1, 2]}
    store = tmp_path / "store"
    store.mkdir()
    result_path, _ = _paths(store, 0, {"n": 1})
    partial = result_path.with_name(f".{result_path.stem}.12345-deadbeef{PARTIAL_SUFFIX}.nc")
    _result(1).to_netcdf(tmp_path / "whole.nc")  # a complete netCDF file, under a temporary's name
    (tmp_path / "whole.nc").rename(partial)
    assert combine(grid, store)["error"].values.tolist() == ["not run", "not run"]
    done = sweep(_random_condition, grid, store, n_workers=1, progress=False)
    assert done["error"].values.tolist() == ["", ""] and done["x"].shape == (2, 150_000)
    assert sorted(p.name for p in store.iterdir()) == sorted(_paths(store, k, {"n": n})[0].name
                                                              for k, n in enumerate(grid["n"]))


def test_any_error_of_the_writer_removes_the_temporary_and_propagates_unchanged(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("previous")

    def failing(temporary):
        temporary.write_text("half")
        raise KeyError("the writer's own error")

    with pytest.raises(KeyError, match="the writer's own error"):
        write_atomically(path, failing)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"] and path.read_text() == "previous"
    assert write_atomically(path, lambda temporary: temporary.write_text("new")).read_text() == "new"


def _writes_a_result(n, seed, folder):
    """A sweep condition that itself writes a result file (on the worker)."""
    _result(n).to_netcdf(Path(folder) / f"own-{n}.nc")
    return {"n": n}


def test_a_result_written_on_a_sweep_worker_is_written_whole(tmp_path):
    """On a dask.distributed worker xarray would ask the scheduler for a lock named after the in-memory file."""
    from nsnn_sim.sweep import sweep

    done = sweep(_writes_a_result, {"n": [1], "folder": [str(tmp_path)]}, tmp_path / "store", n_workers=1,
                 progress=False)
    assert done["error"].values.tolist() == [""]
    assert ns.load(tmp_path / "own-1.nc").spikes == _result(1).spikes
