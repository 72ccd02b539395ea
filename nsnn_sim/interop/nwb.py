"""A :class:`SimulationResult` as an NWB file and back (extra ``nwb``: pynwb).

NWB keeps one time axis per file (the session), so :func:`to_nwb` lays the trials end to end: trial
``k`` is the interval ``[k*T, (k+1)*T)`` of the ``trials`` table, ``T = n_steps*dt``, and a spike at step
``s`` of trial ``k`` is at session time ``k*T + s*dt``. Written:

* ``units``: one row per neuron (column ``neuron``: its nsnn_sim index), ``spike_times`` over all trials;
* ``trials``: one row per trial (``start_time``, ``stop_time``, column ``trial``);
* ``acquisition["membrane_state"]``: the recorded membrane ``u`` after reset, if any, a ``TimeSeries``
  of shape ``(n_trials*n_steps, n_recorded)`` at rate ``1/dt`` (dimensionless membrane units; which
  neurons in the metadata);
* metadata: ``notes`` holds JSON ``{"nsnn_sim": {...}}`` with ``dt``, the shape, the seed, the model
  (``model.to_dict()``), inputs, connections, recorded neurons and the package provenance;
  ``experiment_description`` says the same in words; ``source_script_file_name`` is ``nsnn_sim``.

:func:`load_nwb` reads any NWB file with a ``units`` table: each spike is assigned to the trial whose
interval holds it (no ``trials`` table: one trial from 0), its time counted from the trial's start and
put on the step grid (:func:`nsnn_sim.interop.times.from_times`). Spikes outside every trial are left
out with a warning. ``load_nwb(to_nwb(result), dt) == result.spikes`` exactly; the file passes
``pynwb.validate``.
"""

from __future__ import annotations

import datetime
import json
import uuid
import warnings
from pathlib import Path

import numpy as np

from nsnn_sim._core.atomic import check_target, refuse_partial, write_hdf5_atomically
from nsnn_sim._core.extras import require
from nsnn_sim._core.messages import describe
from nsnn_sim.interop.times import from_times, time_step, whole_steps
from nsnn_sim.simulator.results import SimulationResult
from nsnn_sim.spikes import SpikeTrains

__all__ = ["to_nwb", "load_nwb"]

_STATE = "membrane_state"


def to_nwb(result: SimulationResult, path, *, session_description: str | None = None,
           identifier: str | None = None, session_start_time: datetime.datetime | None = None) -> Path:
    """Write ``result`` as an NWB file (module docstring for the layout).

    Parameters
    ----------
    result : SimulationResult
    path : str or pathlib.Path
        The file to write (replaced whole: a temporary file beside it is renamed into place, so a failed or
        killed write leaves a previous file unchanged; :func:`nsnn_sim._core.atomic.write_atomically`).
    session_description : str, optional
        Default: "nsnn_sim simulation of <model>".
    identifier : str, optional
        The file's unique identifier (default: a new UUID).
    session_start_time : datetime, optional
        Time zone aware (default: now, UTC).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import nsnn_sim as ns, tempfile, pathlib
    >>> result = ns.simulate(ns.NSNN(), 0.6, n_neurons=3, n_steps=50, n_trials=2, seed=1)
    >>> path = result.to_nwb(pathlib.Path(tempfile.mkdtemp()) / "run.nwb")
    >>> ns.load_nwb(path) == result.spikes
    True
    """
    pynwb = require("pynwb", "nwb")
    if not isinstance(result, SimulationResult):
        raise TypeError(f"result must be a SimulationResult, got {type(result).__name__}")
    path = check_target(path)
    spikes = result.spikes
    attrs = result.provenance_attrs()
    metadata = {"dt": spikes.dt, "n_trials": spikes.n_trials, "n_neurons": spikes.n_neurons,
                "n_steps": spikes.n_steps, "state_neurons": np.asarray(result.state_neurons).tolist(),
                "state_variables": list(result.state_variables), "state_every": result.state_every,
                **{key: value for key, value in attrs.items() if key != "model_json"},
                "model": json.loads(attrs["model_json"])}
    described = f"nsnn_sim simulation of {result.model!r}, seed {result.seed}, inputs {result.inputs_description}"
    nwbfile = pynwb.NWBFile(
        session_description=session_description or described,
        identifier=identifier or str(uuid.uuid4()),
        session_start_time=session_start_time or datetime.datetime.now(datetime.timezone.utc),
        experiment_description=described + f"; {spikes.n_trials} trials of {describe(spikes.duration)} s "
                                           "laid end to end",
        notes=json.dumps({"nsnn_sim": metadata}),
        source_script=f"nsnn_sim {attrs['nsnn_sim_version']} (commit {attrs['nsnn_sim_commit']})",
        source_script_file_name="nsnn_sim",
    )
    duration = spikes.duration
    nwbfile.add_trial_column("trial", "the nsnn_sim trial index")
    for trial in range(spikes.n_trials):
        nwbfile.add_trial(start_time=trial * duration, stop_time=(trial + 1) * duration, trial=trial)
    nwbfile.add_unit_column("neuron", "the nsnn_sim neuron index")
    order = np.lexsort((spikes.step, spikes.trial, spikes.neuron))  # by neuron, then session time
    neuron, session_time = spikes.neuron[order], spikes.trial[order] * duration + spikes.step[order] * spikes.dt
    bounds = np.searchsorted(neuron, np.arange(spikes.n_neurons + 1))
    for index in range(spikes.n_neurons):
        nwbfile.add_unit(spike_times=session_time[bounds[index]:bounds[index + 1]], neuron=index)
    if result.state is not None:
        nwbfile.add_acquisition(pynwb.TimeSeries(
            name=_STATE, data=np.swapaxes(result.state, 1, 2).reshape(-1, result.state.shape[1]),  # (time, column)
            unit="membrane units (dimensionless, threshold 1)", starting_time=0.0,
            rate=1.0 / (spikes.dt * result.state_every),
            description=f"the recorded state, one column per (variable, neuron): variables "
                        f"{metadata['state_variables']} of neurons {metadata['state_neurons']} (u after reset), every "
                        f"{result.state_every} steps, trials end to end",
        ))
    def write(target):  # an in-memory buffer, or the temporary file (write_hdf5_atomically)
        import h5py

        with h5py.File(target, "w") as handle, pynwb.NWBHDF5IO(file=handle, mode="w") as io:
            io.write(nwbfile)

    size = (0 if result.state is None else result.state.nbytes) + 8 * len(spikes) + 2**20
    return write_hdf5_atomically(path, write, size)


def _nsnn_sim_metadata(nwbfile) -> dict:
    """The ``nsnn_sim`` entry of the file's notes if it wrote them, else ``{}``."""
    try:
        return dict(json.loads(nwbfile.notes or "")["nsnn_sim"])
    except (ValueError, KeyError, TypeError):
        return {}


def load_nwb(path, dt=None, snap: bool = False) -> SpikeTrains:
    """The spike trains of an NWB file's ``units`` table (module docstring), by trial.

    Parameters
    ----------
    path : str or pathlib.Path
    dt : float, optional
        Step duration in seconds (or a time with units); default: the ``dt`` nsnn_sim wrote in the file's
        metadata (required for other files).
    snap : bool
        Round spike times further than 1e-9 s from a step to the nearest step instead of raising.

    Returns
    -------
    SpikeTrains
        Neuron ``k`` is the unit's ``neuron`` column if there is one, else its row; ``n_steps`` is the
        recorded one, or the longest trial in steps.

    Examples
    --------
    >>> import datetime, pathlib, tempfile, pynwb
    >>> from nsnn_sim import load_nwb
    >>> nwbfile = pynwb.NWBFile("a recording", "id", datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    >>> nwbfile.add_trial(start_time=0.0, stop_time=0.5); nwbfile.add_trial(start_time=1.0, stop_time=1.5)
    >>> nwbfile.add_unit(spike_times=[0.1, 1.25])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "recording.nwb"
    >>> with pynwb.NWBHDF5IO(str(path), "w") as io:
    ...     io.write(nwbfile)
    >>> spikes = load_nwb(path, dt=1e-3)
    >>> spikes.trial.tolist(), spikes.step.tolist(), spikes.n_steps
    ([0, 1], [100, 250], 500)
    """
    pynwb = require("pynwb", "nwb")
    path = Path(path)
    refuse_partial(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file" if not path.exists() else f"{path}: is not a file")
    with _open_nwb(pynwb, path) as io:
        try:
            nwbfile = io.read()
        except Exception as error:  # noqa: BLE001 - pynwb/hdmf raise many kinds for a file that is not NWB
            raise OSError(f"{path} is not a readable NWB file: {type(error).__name__}: {error}") from None
        metadata = _nsnn_sim_metadata(nwbfile)
        if dt is None and "dt" not in metadata:
            raise ValueError(f"{path} was not written by nsnn_sim: give dt (the step duration in seconds)")
        dt = time_step(metadata["dt"] if dt is None else dt)
        if nwbfile.units is None:
            raise ValueError(f"{path} has no units table: there are no spike trains to read")
        units = nwbfile.units
        ids = (np.asarray(units["neuron"].data[:], dtype=np.int64) if "neuron" in units.colnames
               else np.arange(len(units), dtype=np.int64))
        trains = [np.asarray(units.get_unit_spike_times(row), dtype=np.float64) for row in range(len(units))]
        if nwbfile.trials is not None and len(nwbfile.trials):
            starts = np.asarray(nwbfile.trials["start_time"].data[:], dtype=np.float64)
            stops = np.asarray(nwbfile.trials["stop_time"].data[:], dtype=np.float64)
            order = np.argsort(starts, kind="stable")  # trial k: the k-th in time
            starts, stops = starts[order], stops[order]
        else:
            starts = np.zeros(1)
            stops = np.array([max([train.max() + dt for train in trains if train.size], default=dt)])
    times = np.concatenate([np.zeros(0), *trains])
    neurons = np.concatenate([np.zeros(0, np.int64), *[np.full(train.size, ids[row]) for row, train in
                                                         enumerate(trains)]])
    trials = np.searchsorted(starts, times, side="right") - 1  # trials are in time order, not overlapping
    inside = (trials >= 0) & (times < stops[np.maximum(trials, 0)])
    if not np.all(inside):
        warnings.warn(f"{np.count_nonzero(~inside)} spikes of {path} lie in no trial and are left out", stacklevel=2)
    times, neurons, trials = times[inside], neurons[inside], trials[inside]
    n_steps = metadata.get("n_steps") or max(whole_steps("trial duration", stop - start, dt)
                                              for start, stop in zip(starts, stops))
    return from_times(times - starts[trials], neurons, trials, dt, n_steps=int(n_steps),
                      n_neurons=int(metadata.get("n_neurons", ids.max() + 1 if ids.size else 1)),
                      n_trials=starts.size, snap=snap)


def _open_nwb(pynwb, path: Path):
    """``pynwb.NWBHDF5IO`` for reading, with an ``OSError`` naming the file if it is not HDF5."""
    try:
        return pynwb.NWBHDF5IO(str(path), "r")
    except Exception as error:  # noqa: BLE001 - h5py raises OSError without the name, hdmf others
        raise OSError(f"{path} is not a readable NWB (HDF5) file: {type(error).__name__}: {error}") from None
