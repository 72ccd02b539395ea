"""Parameter sweeps on dask.distributed: one task per condition, written as it finishes, resumable.

``sweep(function, grid, store)`` runs ``function(**parameters, seed=condition_seed)`` for every
combination of the values in ``grid`` (the Cartesian product, in the grid's order), each as one task
on a dask.distributed cluster: a ``LocalCluster`` sized to the machine by default (one process per
core, one thread each), or an existing scheduler given by its address. Every finished condition is
written at once to ``store`` as ``condition-<index>-<key>.nc`` (written to a temporary name, then
renamed, so a file is either complete or absent: :func:`nsnn_sim._core.atomic.write_atomically`; a
temporary left by a killed worker is never taken for a result, and is deleted when the sweep ends).
Calling ``sweep`` again with the same arguments resumes: conditions whose file exists are not
recomputed. A condition that raises is recorded with its error (``condition-...-error.json``) and the
others still finish; a rerun retries it. A condition that kills its worker (a crash, SIGKILL, memory
exhaustion) as many times as the scheduler allows (``distributed.scheduler.allowed-failures`` + 1, 4 by
default) is recorded as failed ("worker died N times") and the others finish; a rerun does not run it
again unless ``retry_worker_deaths=True`` (it would kill workers again). The default cluster gives each
worker one task at a time (``worker-saturation`` 1), so a death is never blamed on a task that merely
waited there. An interrupted sweep (Ctrl-C) leaves only the finished results: no error record of the
conditions it cut short, no temporary file.

Reproducibility: the seed of a condition is a hash of ``(seed, its parameter values)``, so results
do not depend on the number of workers, on the order in which tasks run, on which other
conditions are in the grid, or on a worker dying and its task running again elsewhere.

``function`` returns an ``xarray.Dataset`` (or a dict of scalars / arrays, turned into one); the
combined result has a dim ``condition`` with one coordinate per grid parameter, and a variable
``error`` (empty string where the condition succeeded).

Examples
--------
>>> from nsnn_sim.sweep import condition_seed, conditions_of
>>> conditions_of({"mu": [0.8, 1.0], "sigma": [0.3]})
[{'mu': 0.8, 'sigma': 0.3}, {'mu': 1.0, 'sigma': 0.3}]
>>> condition_seed(1, {"mu": 0.8, "sigma": 0.3}) == condition_seed(1, {"sigma": 0.3, "mu": 0.8})
True
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from itertools import product
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import xarray as xr

from nsnn_sim._core.atomic import partial_files, write_atomically, write_netcdf
from nsnn_sim._core.extras import require
from nsnn_sim._core.messages import describe
from nsnn_sim._core.progress import progress_bar, progress_enabled

require("distributed", "sweep")  # a clear ImportError naming the extra, at import

__all__ = ["sweep", "condition_seed", "conditions_of"]


def conditions_of(grid: dict) -> list[dict]:
    """The conditions of ``grid`` (name -> sequence of values) as dicts, in product order."""
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"grid must be a non-empty dict of parameter name -> values, got {grid!r}")
    values = []
    for name, options in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"grid parameter names must be identifiers, got {name!r}")
        if isinstance(options, (str, bytes)) or not hasattr(options, "__iter__"):
            raise ValueError(f"grid[{name!r}] must be a sequence of values, got {options!r}")
        options = [_plain(option) for option in options]
        if not options:
            raise ValueError(f"grid[{name!r}] is empty")
        values.append(options)
    return [dict(zip(grid, combination)) for combination in product(*values)]


def _plain(value):
    """A JSON-representable scalar (numpy scalars to Python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (int, float, str, bool)):
        raise ValueError(f"grid values must be numbers, strings or bools, got {value!r}")
    return value


def _key(parameters: dict) -> str:
    return hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:12]


def condition_seed(seed: int, parameters: dict) -> int:
    """Seed of one condition: a 63-bit hash of ``(seed, parameters)``."""
    text = json.dumps([int(seed), parameters], sort_keys=True)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def _paths(store: Path, index: int, parameters: dict) -> tuple[Path, Path]:
    stem = f"condition-{index:05d}-{_key(parameters)}"
    return store / f"{stem}.nc", store / f"{stem}-error.json"


def _remove_temporaries(paths) -> None:
    """Delete the temporary files of ``paths`` left by writers that were killed mid-write (their
    conditions have been rerun and written by now)."""
    for path in paths:
        for temporary in partial_files(path):
            temporary.unlink(missing_ok=True)


def _as_dataset(result) -> xr.Dataset:
    """A condition's return value as a Dataset (a dict of scalars / arrays becomes one)."""
    if isinstance(result, xr.Dataset):
        return result
    if not isinstance(result, Mapping):
        raise TypeError(f"the sweep function must return an xarray.Dataset or a dict of numbers / arrays, got "
                        f"{type(result).__name__} {result!r:.80}")
    return xr.Dataset({str(name): np.asarray(value) if np.ndim(value) == 0
                       else (tuple(f"{name}_{i}" for i in range(np.ndim(value))), np.asarray(value))
                       for name, value in result.items()})


def _record_error(error_path: Path, parameters: dict, message: str, kind: str, details: str = "") -> None:
    record = {"parameters": parameters, "error": message, "kind": kind, "traceback": details}
    write_atomically(error_path, lambda path: path.write_text(json.dumps(record, indent=1)))


def _run_condition(function: Callable, parameters: dict, seed: int, result_path: str, error_path: str) -> str:
    """Worker side: run one condition and write its result or its error. Returns "ok" or "error"."""
    result_path, error_path = Path(result_path), Path(error_path)
    if result_path.is_file():  # already written by an earlier run of this task (its worker was lost since)
        return "ok"
    try:
        dataset = _as_dataset(function(**parameters, seed=seed))
    except Exception as error:  # recorded, the other conditions go on
        _record_error(error_path, parameters, f"{type(error).__name__}: {error}", "exception", traceback.format_exc())
        return "error"
    dataset = dataset.assign_attrs(sweep_parameters=json.dumps(parameters), sweep_seed=str(seed))
    write_netcdf(result_path, dataset)
    if error_path.exists():
        error_path.unlink()
    return "ok"


def _worker_died(error_path: Path) -> bool:
    """Whether ``error_path`` records a condition that killed its worker."""
    try:
        return json.loads(error_path.read_text()).get("kind") == "worker_died"
    except (OSError, ValueError):
        return False


def _remove_records_since(paths, since: float) -> None:
    """Delete the error records written at or after ``since`` (by conditions an interruption cut short)."""
    for path in paths:
        try:
            if path.stat().st_mtime >= since:
                path.unlink()
        except FileNotFoundError:
            pass


def sweep(function: Callable, grid: dict, store, scheduler=None, seed: int = 0, n_workers: int | None = None,
          progress: bool = True, retry_worker_deaths: bool = False) -> xr.Dataset:
    """Run ``function`` over every condition of ``grid`` on dask.distributed (module docstring).

    Parameters
    ----------
    function : callable
        ``function(**parameters, seed=int) -> xarray.Dataset | dict``; must be picklable by
        cloudpickle (module-level functions always are).
    grid : dict
        Parameter name -> sequence of values (numbers, strings, bools).
    store : str or Path
        Folder for the per-condition files (created if needed).
    scheduler : str, distributed.Client or None
        Address of an existing scheduler (``"tcp://host:8786"``), a Client, or None for a
        LocalCluster of ``n_workers`` processes (default: the number of cores).
    seed : int
        Base seed; condition seeds are :func:`condition_seed` of it.
    progress : bool
        Show a progress bar.
    retry_worker_deaths : bool
        Run again the conditions recorded as having killed their worker (default: leave them failed).

    Returns
    -------
    xarray.Dataset
        All conditions along dim ``condition``, one coordinate per parameter, plus ``error``.
    """
    import dask
    from distributed import Client, KilledWorker, LocalCluster, as_completed

    if not callable(function):
        raise TypeError(f"function must be callable, got {function!r}")
    for name, flag in (("progress", progress), ("retry_worker_deaths", retry_worker_deaths)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {describe(flag)}")
    conditions = conditions_of(grid)
    store = Path(store)
    if store.exists() and not store.is_dir():
        raise ValueError(f"store={str(store)!r} is a file; it must be a folder (created if missing)")
    store.mkdir(parents=True, exist_ok=True)
    pending = []
    for index, parameters in enumerate(conditions):
        result_path, error_path = _paths(store, index, parameters)
        if not result_path.is_file() and (retry_worker_deaths or not _worker_died(error_path)):
            pending.append((index, parameters, result_path, error_path))

    if pending:
        own_cluster = None
        if scheduler is None:
            with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):  # one task per worker
                own_cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                                           processes=True, dashboard_address=None,
                                           env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
            client = Client(own_cluster)
        elif isinstance(scheduler, Client):
            client = scheduler
        else:
            client = Client(scheduler)
        interrupted_at, by_key, futures = None, {}, []
        deaths = int(dask.config.get("distributed.scheduler.allowed-failures", 3)) + 1
        try:
            for index, parameters, result_path, error_path in pending:
                futures.append(client.submit(_run_condition, function, parameters, condition_seed(seed, parameters),
                                             str(result_path), str(error_path), pure=False,
                                             key=f"nsnn-condition-{index}-{_key(parameters)}"))
                by_key[futures[-1].key] = (parameters, error_path)
            bar = progress_bar(len(conditions), progress_enabled(progress), "sweep", "condition",
                               initial=len(conditions) - len(pending))
            for future in as_completed(futures):
                try:
                    future.result()
                except KilledWorker as error:  # the condition killed every worker it ran on
                    parameters, error_path = by_key[future.key]
                    _record_error(error_path, parameters, f"worker died {deaths} times running this condition "
                                  f"(a crash, SIGKILL or memory exhaustion): {error}", "worker_died")
                future.release()  # its file is written: a worker lost later must not make the scheduler rerun it
                bar.update(1)
            futures.clear()
            bar.close()
        except BaseException:  # Ctrl-C or a lost scheduler: what the cut-short conditions wrote is removed
            interrupted_at = time.time() - 1.0  # file times have 1 s resolution on some file systems
            client.cancel(futures)
            raise
        finally:
            if own_cluster is not None:
                client.close()
                own_cluster.close()
            elif not isinstance(scheduler, Client):
                client.close()
            if interrupted_at is not None:
                _remove_records_since((error_path for _, _, _, error_path in pending), interrupted_at)
            _remove_temporaries(path for _, _, *paths in pending for path in paths)
    return combine(grid, store)


def combine(grid: dict, store) -> xr.Dataset:
    """The combined Dataset of the conditions of ``grid`` found in ``store`` (missing ones: error)."""
    store = Path(store)
    conditions = conditions_of(grid)
    datasets, errors = [], []
    for index, parameters in enumerate(conditions):
        result_path, error_path = _paths(store, index, parameters)
        if result_path.is_file():
            with xr.open_dataset(result_path, engine="h5netcdf") as dataset:
                datasets.append(dataset.load())
            errors.append("")
        else:
            datasets.append(xr.Dataset())
            errors.append(json.loads(error_path.read_text())["error"] if error_path.exists() else "not run")
    template = next((d for d in datasets if d.data_vars), None)
    if template is not None:
        datasets = [d if d.data_vars else xr.full_like(template, np.nan, dtype=float) for d in datasets]
    combined = xr.concat([d.drop_attrs() if hasattr(d, "drop_attrs") else d for d in datasets], dim="condition",
                         coords="minimal", compat="override", join="outer")
    coords = {name: ("condition", [c[name] for c in conditions]) for name in grid}
    combined = combined.assign_coords(condition=np.arange(len(conditions)), **coords)
    combined["error"] = ("condition", np.array(errors, dtype=object).astype(str))
    combined.attrs.update({"grid": json.dumps({k: [_plain(v) for v in vals] for k, vals in grid.items()}),
                           "store": str(store)})
    return combined


def lif_statistics(mu: float, sigma: float, seed: int, tau: float = 10e-3, n_neurons: int = 200,
                   duration: float = 1.0, dt: float = 1e-4) -> xr.Dataset:
    """A ready-made sweep task: rate and ISI CV of a noisy LIF population (bridge crossing), with the
    Siegert rate beside them. ``mu`` is the input, ``sigma`` the stationary membrane SD."""
    from nsnn_sim import theory
    from nsnn_sim.analysis import stats
    from nsnn_sim.simulator.engine import simulate
    from nsnn_sim.simulator.neurons import LIF

    model = LIF(tau=tau, sigma=sigma, dt=dt, threshold_crossing="bridge", method="euler")
    spikes = simulate(model, mu, n_neurons=n_neurons, n_steps=int(round(duration / dt)), seed=seed,
                      n_threads=1).spikes.crop(0.05)
    rates = stats.firing_rates(spikes)
    cv = float(stats.isi_cv(spikes, pool="all"))
    return xr.Dataset({"rate": ((), float(rates.mean()), {"units": "Hz"}),
                       "rate_se": ((), float(rates.std() / np.sqrt(rates.size)), {"units": "Hz"}),
                       "cv": ((), cv), "siegert_rate": ((), theory.siegert_rate(mu, sigma, tau), {"units": "Hz"})})
