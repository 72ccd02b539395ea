"""Spike trains as sparse events, simulation results, and their xarray / netCDF forms.

A :class:`SpikeTrains` holds one event per spike: integer ``trial``, ``neuron`` and ``step`` arrays,
kept in canonical order (by trial, then neuron, then step), plus ``dt`` and the shape
``(n_trials, n_neurons, n_steps)``. A spike at step ``k`` has time ``k*dt`` (the start of the step,
as Brian2 reports it). Memory is O(spikes); binning works on integer steps, so there are no
floating-point binning errors.

Files are netCDF-4 (through h5netcdf); ``SimulationResult.to_netcdf`` and :func:`load` round-trip
spikes, recorded state, the model and the provenance exactly. A file is written whole or not at all
(:mod:`nsnn_sim._core.atomic`), and :func:`load` refuses the temporary file an unfinished write leaves.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from nsnn_sim._core.atomic import refuse_partial, write_netcdf
from nsnn_sim.checksums import add_checksums, verify_checksums
from nsnn_sim.memory import require_memory
from nsnn_sim.validation import si_value, whole_number
from nsnn_sim.version import provenance

__all__ = ["SpikeTrains", "SimulationResult", "load", "stack_trials"]


def stack_trials(trains: list["SpikeTrains"]) -> "SpikeTrains":
    """Concatenate runs of the same population as consecutive trials (run k's trial t becomes trial
    ``sum(n_trials of runs before k) + t``)."""
    trains = list(trains)
    if not trains:
        raise ValueError("trains must hold at least one SpikeTrains to stack")
    for train in trains:
        if not isinstance(train, SpikeTrains):
            raise TypeError(f"trains must hold SpikeTrains, got {type(train).__name__}")
    first = trains[0]
    for other in trains[1:]:
        if (other.n_neurons, other.n_steps, other.dt) != (first.n_neurons, first.n_steps, first.dt):
            raise ValueError(f"cannot stack {other!r} onto {first!r}: n_neurons, n_steps and dt must agree")
    offsets = np.cumsum([0] + [train.n_trials for train in trains[:-1]])
    return SpikeTrains(np.concatenate([train.trial + offset for train, offset in zip(trains, offsets)]),
                       np.concatenate([train.neuron for train in trains]),
                       np.concatenate([train.step for train in trains]),
                       dt=first.dt, n_trials=int(sum(train.n_trials for train in trains)),
                       n_neurons=first.n_neurons, n_steps=first.n_steps, assume_sorted=True)


class SpikeTrains:
    """Sparse spike events of ``n_trials`` trials of ``n_neurons`` neurons over ``n_steps`` steps.

    Parameters
    ----------
    trial, neuron, step : array of int
        One entry per spike.
    dt : float
        Step duration in seconds.
    n_trials, n_neurons, n_steps : int
        The shape of the run (spikes must lie inside it).
    assume_sorted : bool
        Skip the check that events are in canonical (trial, neuron, step) order (engine use).
    """

    def __init__(self, trial, neuron, step, dt: float, n_trials: int, n_neurons: int, n_steps: int,
                 *, assume_sorted: bool = False):
        trial = np.asarray(trial)
        neuron = np.asarray(neuron)
        step = np.asarray(step)
        dt = si_value("dt", dt, "s")
        for name, array in (("trial", trial), ("neuron", neuron), ("step", step)):
            if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
                raise TypeError(f"{name} must be a 1-D integer array, got dtype {array.dtype}, shape {array.shape}")
        if not trial.size == neuron.size == step.size:
            raise ValueError(f"trial, neuron, step must have equal lengths, got {trial.size}, {neuron.size}, "
                             f"{step.size}")
        if not (isinstance(dt, (int, float, np.floating, np.integer)) and np.isfinite(dt) and dt > 0):
            raise ValueError(f"dt={dt!r} must be a finite number > 0 (seconds)")
        n_trials = whole_number("n_trials", n_trials)
        n_neurons = whole_number("n_neurons", n_neurons)
        n_steps = whole_number("n_steps", n_steps)
        for name, array, bound in (("trial", trial, n_trials), ("neuron", neuron, n_neurons),
                                   ("step", step, n_steps)):
            if array.size and (array.min() < 0 or array.max() >= bound):
                raise ValueError(f"{name} values must lie in [0, {bound}), got {array.min()}..{array.max()}")
        self.trial = trial.astype(np.int32, copy=False)
        self.neuron = neuron.astype(np.int32, copy=False)
        self.step = step.astype(np.int64, copy=False)
        self.dt = float(dt)
        self.n_trials, self.n_neurons, self.n_steps = int(n_trials), int(n_neurons), int(n_steps)
        if not assume_sorted:
            order = np.lexsort((self.step, self.neuron, self.trial))
            if np.any(order != np.arange(order.size)):
                self.trial, self.neuron, self.step = self.trial[order], self.neuron[order], self.step[order]
        for array in (self.trial, self.neuron, self.step):
            array.setflags(write=False)

    # ------------------------------------------------------------------ basic properties
    def __len__(self) -> int:
        return int(self.step.size)

    def __repr__(self) -> str:
        return (f"SpikeTrains({len(self)} spikes, n_trials={self.n_trials}, n_neurons={self.n_neurons}, "
                f"n_steps={self.n_steps}, dt={self.dt:g} s)")

    def __eq__(self, other) -> bool:
        if not isinstance(other, SpikeTrains):
            return NotImplemented
        return (self.shape == other.shape and self.dt == other.dt
                and np.array_equal(self.trial, other.trial) and np.array_equal(self.neuron, other.neuron)
                and np.array_equal(self.step, other.step))

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_trials, n_neurons, n_steps)``."""
        return self.n_trials, self.n_neurons, self.n_steps

    @property
    def duration(self) -> float:
        """Length of a trial in seconds, ``n_steps*dt``."""
        return self.n_steps * self.dt

    @property
    def time(self) -> np.ndarray:
        """Spike times in seconds, ``step*dt``."""
        return self.step * self.dt

    def crop(self, t_start: float = 0.0, t_stop: float | None = None) -> "SpikeTrains":
        """The spikes in ``[t_start, t_stop)`` (seconds, whole steps) as a run that starts at step 0."""
        t_start, t_stop = si_value("t_start", t_start, "s"), si_value("t_stop", t_stop, "s")
        start = 0 if t_start == 0 else self.steps_per_window(t_start, "t_start")
        stop = self.n_steps if t_stop is None else self.steps_per_window(t_stop, "t_stop")
        if not 0 <= start < stop <= self.n_steps:
            raise ValueError(f"crop needs 0 <= t_start < t_stop <= {self.duration!r} s, got {t_start!r}, {t_stop!r}")
        keep = (self.step >= start) & (self.step < stop)
        return SpikeTrains(self.trial[keep], self.neuron[keep], self.step[keep] - start, dt=self.dt,
                           n_trials=self.n_trials, n_neurons=self.n_neurons, n_steps=stop - start,
                           assume_sorted=True)

    # ------------------------------------------------------------------ counting
    def steps_per_window(self, window: float, name: str = "window") -> int:
        """``window`` (seconds, or a time with units) as a whole number of steps; ``ValueError`` if it is not one."""
        window = si_value(name, window, "s")
        if not isinstance(window, (int, float, np.integer, np.floating)) or not np.isfinite(window) or window <= 0:
            raise ValueError(f"{name}={window!r} must be a finite number of seconds > 0")
        steps = window / self.dt
        whole = int(round(steps))
        if whole < 1 or abs(steps - whole) > 1e-9 * max(1.0, steps):
            raise ValueError(f"{name}={window!r} s is not a whole number of steps of dt={self.dt!r} s")
        return whole

    def counts(self, window: float | None = None) -> xr.DataArray:
        """Spike counts per trial and neuron, in total or in consecutive windows of ``window`` s.

        With ``window``, returns dims ``(trial, neuron, time)`` with ``time`` the start of each
        window; a final window shorter than ``window`` is dropped (with a warning).
        Raises ``ValueError`` if the window is longer than the run.
        """
        if window is None:
            flat = np.bincount(self.trial.astype(np.int64) * self.n_neurons + self.neuron,
                               minlength=self.n_trials * self.n_neurons)
            return xr.DataArray(flat.reshape(self.n_trials, self.n_neurons), dims=("trial", "neuron"),
                                coords=self._trial_neuron_coords(), name="count",
                                attrs={"units": "spikes", "duration": self.duration})
        width = self.steps_per_window(window)
        n_windows = self.n_steps // width
        if n_windows == 0:
            raise ValueError(f"window={window!r} s is longer than the run ({self.duration!r} s)")
        # the counts (int64) and the bincount behind them, plus the time coordinate
        require_memory(16.0 * self.n_trials * self.n_neurons * n_windows + 8.0 * n_windows,
                       f"counts(window={window!r}) of {n_windows} windows x {self.n_trials} trials x "
                       f"{self.n_neurons} neurons")
        if self.n_steps % width:
            warnings.warn(f"the last {self.n_steps % width} steps do not fill a window of {width} steps "
                          "and are not counted", stacklevel=2)
        keep = self.step < n_windows * width
        index = ((self.trial[keep].astype(np.int64) * self.n_neurons + self.neuron[keep]) * n_windows
                 + self.step[keep] // width)
        flat = np.bincount(index, minlength=self.n_trials * self.n_neurons * n_windows)
        coords = self._trial_neuron_coords()
        coords["time"] = ("time", np.arange(n_windows) * width * self.dt, {"units": "s"})
        return xr.DataArray(flat.reshape(self.n_trials, self.n_neurons, n_windows),
                            dims=("trial", "neuron", "time"), coords=coords, name="count",
                            attrs={"units": "spikes", "window": width * self.dt})

    def to_dense(self, dtype=np.float64) -> np.ndarray:
        """The spikes as a dense ``(n_trials, n_steps, n_neurons)`` array of 0 and 1.

        O(neurons x steps) memory, unlike everything else here: meant for small runs (learning).
        """
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype={dtype!r} is not a numpy dtype (e.g. np.float64, np.int8, bool)") from None
        require_memory(float(dtype.itemsize) * self.n_trials * self.n_steps * self.n_neurons,
                       f"to_dense() of {self.n_trials} trials x {self.n_steps} steps x {self.n_neurons} neurons")
        dense = np.zeros((self.n_trials, self.n_steps, self.n_neurons), dtype=dtype)
        dense[self.trial, self.step, self.neuron] = 1
        return dense

    def rates(self) -> xr.DataArray:
        """Mean firing rate of each trial and neuron over the whole run, in Hz."""
        rate = self.counts() / self.duration
        rate.name = "rate"
        rate.attrs = {"units": "Hz"}
        return rate

    def intervals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The one definition of an inter-spike interval: between consecutive spikes of one train.

        Returns ``(length, start, train)``: every interval's length and first step (integer steps)
        and the flat index ``trial*n_neurons + neuron`` of its train, in canonical order.
        """
        train = self.trial.astype(np.int64) * self.n_neurons + self.neuron
        same_train = train[1:] == train[:-1]
        return np.diff(self.step)[same_train], self.step[:-1][same_train], train[1:][same_train]

    def isi(self) -> xr.DataArray:
        """Inter-spike intervals in seconds, along dim ``interval``, labelled by ``trial`` and ``neuron``."""
        length, _, train = self.intervals()
        trial, neuron = np.divmod(train, self.n_neurons)
        return xr.DataArray(length * self.dt, dims=("interval",), name="isi",
                            coords={"trial": ("interval", trial.astype(self.trial.dtype)),
                                    "neuron": ("interval", neuron.astype(self.neuron.dtype))},
                            attrs={"units": "s"})

    def _trial_neuron_coords(self) -> dict:
        return {"trial": np.arange(self.n_trials), "neuron": np.arange(self.n_neurons)}

    # ------------------------------------------------------------------ other packages (nsnn_sim.interop)
    @classmethod
    def from_times(cls, times, neurons, trials, dt, n_steps: int | None = None, n_neurons: int | None = None,
                   n_trials: int | None = None, snap: bool = False) -> "SpikeTrains":
        """Spike trains from plain arrays of spike times (s), neurons and trials, snapped to the step grid
        (:func:`nsnn_sim.interop.times.from_times`: within 1e-9 s of a step, or ``snap=True``).

        Examples
        --------
        >>> from nsnn_sim import SpikeTrains
        >>> SpikeTrains.from_times([0.002, 0.004], [1, 0], [0, 2], dt=1e-3, n_steps=10, n_neurons=3, n_trials=3)
        SpikeTrains(2 spikes, n_trials=3, n_neurons=3, n_steps=10, dt=0.001 s)
        """
        from nsnn_sim.interop.times import from_times

        return from_times(times, neurons, trials, dt, n_steps=n_steps, n_neurons=n_neurons, n_trials=n_trials,
                          snap=snap)

    def to_neo(self, annotations: dict | None = None):
        """A ``neo.Block``: one Segment per trial, one SpikeTrain per neuron in seconds (with ``t_stop``,
        ``neuron`` and ``trial`` annotations), the shape and provenance as block annotations
        (:func:`nsnn_sim.interop.neo.to_neo`). Needs the extra ``neo``.

        Examples
        --------
        >>> from nsnn_sim import SpikeTrains
        >>> spikes = SpikeTrains([0], [1], [4], dt=1e-3, n_trials=1, n_neurons=2, n_steps=10)
        >>> spikes.to_neo().segments[0].spiketrains[1].times
        array([0.004]) * s
        """
        from nsnn_sim.interop.neo import to_neo

        return to_neo(self, annotations)

    @classmethod
    def from_neo(cls, source, dt, snap: bool = False, n_steps: int | None = None,
                 n_neurons: int | None = None) -> "SpikeTrains":
        """Spike trains from a ``neo.Block``, a list of Segments (trials) or of SpikeTrains (one trial), times
        snapped to the grid of ``dt`` (:func:`nsnn_sim.interop.neo.from_neo`); ``from_neo(s.to_neo(), s.dt) == s``.

        Examples
        --------
        >>> from nsnn_sim import SpikeTrains
        >>> spikes = SpikeTrains([0], [1], [4], dt=1e-3, n_trials=1, n_neurons=2, n_steps=10)
        >>> SpikeTrains.from_neo(spikes.to_neo(), dt=1e-3) == spikes
        True
        """
        from nsnn_sim.interop.neo import from_neo

        return from_neo(source, dt, snap=snap, n_steps=n_steps, n_neurons=n_neurons)

    @classmethod
    def from_brian2(cls, monitor, dt=None, n_neurons: int | None = None, duration=None) -> "SpikeTrains":
        """The spikes of any Brian2 ``SpikeMonitor`` (or of a list of them, stacked as trials), on the grid of
        the monitor's clock (:func:`nsnn_sim.interop.brian2_monitor.from_brian2`). Needs the extra ``brian2``
        only to have made the monitor.

        Examples
        --------
        >>> import brian2 as b2
        >>> from nsnn_sim import SpikeTrains
        >>> b2.prefs.codegen.target = "numpy"
        >>> group = b2.NeuronGroup(2, "dv/dt = (1.2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
        ...                        method="euler", dt=0.1 * b2.ms)
        >>> monitor = b2.SpikeMonitor(group)
        >>> b2.Network(group, monitor).run(50 * b2.ms)
        >>> spikes = SpikeTrains.from_brian2(monitor)
        >>> spikes.shape, len(spikes) == int(monitor.num_spikes)
        ((1, 2, 500), True)
        """
        from nsnn_sim.interop.brian2_monitor import from_brian2

        return from_brian2(monitor, dt=dt, n_neurons=n_neurons, duration=duration)

    # ------------------------------------------------------------------ xarray
    def to_xarray(self) -> xr.Dataset:
        """Events as a Dataset along dim ``spike`` (``spike_trial``, ``spike_neuron``, ``spike_step``)."""
        return xr.Dataset(
            {"spike_trial": ("spike", self.trial), "spike_neuron": ("spike", self.neuron),
             "spike_step": ("spike", self.step)},
            attrs={"dt": self.dt, "n_trials": self.n_trials, "n_neurons": self.n_neurons,
                   "n_steps": self.n_steps, "time_units": "s",
                   "description": "spike events; the time of a spike is spike_step*dt"},
        )

    @classmethod
    def from_xarray(cls, dataset: xr.Dataset) -> "SpikeTrains":
        """Inverse of :meth:`to_xarray`."""
        attrs = dataset.attrs
        return cls(dataset["spike_trial"].values, dataset["spike_neuron"].values,
                   dataset["spike_step"].values, dt=float(attrs["dt"]), n_trials=int(attrs["n_trials"]),
                   n_neurons=int(attrs["n_neurons"]), n_steps=int(attrs["n_steps"]))


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """What :func:`nsnn_sim.simulate` returns: spikes, optional recorded state, provenance."""

    spikes: SpikeTrains
    state: np.ndarray | None  # (n_trials, n_steps, n_recorded) membrane u after reset
    state_neurons: np.ndarray  # indices of the recorded neurons
    model: object
    seed: int
    inputs_description: str = ""
    connections_description: str = "none"
    wall_time: float | None = None  # seconds spent in the simulation proper (compilation excluded)
    compile_time: float | None = None  # seconds of first-call Numba compilation or cache loading

    def provenance_attrs(self) -> dict:
        """What every file written from this result records: model kind and JSON, seed, inputs,
        connections, package provenance, run and compile times, and the scalar model parameters."""
        model_dict = self.model.to_dict()
        attrs = {
            "model": model_dict["kind"],
            "model_json": json.dumps(model_dict),
            "seed": int(self.seed),
            "inputs": self.inputs_description,
            "connections": self.connections_description,
            **provenance(),
        }
        if self.wall_time is not None:
            attrs["run_time_s"] = float(self.wall_time)
        if self.compile_time is not None:
            attrs["compile_time_s"] = float(self.compile_time)
        for key, value in model_dict.items():
            if key != "kind" and not isinstance(value, list):
                attrs[f"model_{key}"] = value
        return attrs

    def to_xarray(self) -> xr.Dataset:
        """Dataset with the spike events (dim ``spike``), ``u`` (``trial, time, neuron``) if recorded,
        and provenance attrs (:meth:`provenance_attrs`): model kind and parameters, seed, inputs, version."""
        dataset = self.spikes.to_xarray()
        if self.state is not None:
            time = np.arange(self.spikes.n_steps) * self.spikes.dt
            dataset["u"] = xr.DataArray(
                self.state, dims=("trial", "time", "neuron"),
                coords={"trial": np.arange(self.spikes.n_trials), "time": ("time", time, {"units": "s"}),
                        "neuron": self.state_neurons},
                attrs={"long_name": "membrane state after reset", "units": "membrane units"})
        dataset.attrs.update(self.provenance_attrs())
        return dataset

    def to_neo(self):
        """The spikes as a ``neo.Block`` (:meth:`SpikeTrains.to_neo`) annotated with :meth:`provenance_attrs`
        (the model as ``model_json``, the seed, the inputs)."""
        return self.spikes.to_neo(annotations=self.provenance_attrs())

    def to_nwb(self, path, **options):
        """Write an NWB file: ``units`` with the spike times of every neuron, a ``trials`` table (trials end
        to end), the recorded membrane as a ``TimeSeries``, the model, seed and provenance in the metadata
        (:func:`nsnn_sim.interop.nwb.to_nwb`, which takes ``options``); :func:`nsnn_sim.load_nwb` reads
        the spikes back exactly. Needs the extra ``nwb``.

        Examples
        --------
        >>> import nsnn_sim as ns, tempfile, pathlib
        >>> result = ns.simulate(ns.LIF(sigma=0.5), 0.9, n_neurons=4, n_steps=200, n_trials=2, record_state=[0])
        >>> ns.load_nwb(result.to_nwb(pathlib.Path(tempfile.mkdtemp()) / "run.nwb")) == result.spikes
        True
        """
        from nsnn_sim.interop.nwb import to_nwb

        return to_nwb(self, path, **options)

    def to_netcdf(self, path) -> None:
        """Write :meth:`to_xarray` to a netCDF-4 file, with checksums (:mod:`nsnn_sim.checksums`);
        :func:`load` reads it back losslessly and verifies them.

        The file is written whole or not at all (a temporary file beside it, renamed into place:
        :func:`nsnn_sim._core.atomic.write_netcdf`); a missing folder, a path that is a folder, a folder
        that is not writable and a full disk raise an ``OSError`` naming ``path``, and leave a previous file
        unchanged."""
        dataset = add_checksums(self.to_xarray())
        write_netcdf(path, dataset)

    @classmethod
    def from_xarray(cls, dataset: xr.Dataset) -> "SimulationResult":
        from nsnn_sim.neurons import model_from_json

        has_state = "u" in dataset
        return cls(
            spikes=SpikeTrains.from_xarray(dataset),
            state=dataset["u"].values if has_state else None,
            state_neurons=dataset["neuron"].values.astype(np.int64) if has_state else np.zeros(0, np.int64),
            model=model_from_json(dataset.attrs["model_json"]),
            seed=int(dataset.attrs["seed"]),
            inputs_description=str(dataset.attrs.get("inputs", "")),
            connections_description=str(dataset.attrs.get("connections", "none")),
            wall_time=_optional_float(dataset.attrs, "run_time_s", "wall_time_s"),  # files before 0.2 say wall_time_s
            compile_time=_optional_float(dataset.attrs, "compile_time_s"),
        )


def _optional_float(attrs: dict, *names: str) -> float | None:
    """The first of the attributes ``names`` present, as a float, else None."""
    for name in names:
        if name in attrs:
            return float(attrs[name])
    return None


_REQUIRED_VARIABLES = ("spike_trial", "spike_neuron", "spike_step")
_REQUIRED_ATTRS = ("dt", "n_trials", "n_neurons", "n_steps", "model_json", "seed")


def open_checked(path) -> xr.Dataset:
    """A netCDF file read into memory with its checksums verified (:mod:`nsnn_sim.checksums`);
    ``OSError`` naming the file if it is missing, unreadable (truncated, not netCDF), corrupted, or the
    temporary file of an unfinished write (:func:`nsnn_sim._core.atomic.refuse_partial`)."""
    path = Path(path)
    refuse_partial(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file" if not path.exists() else f"{path}: is not a file")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as dataset:
            dataset = dataset.load()
    except Exception as error:  # noqa: BLE001 - h5py and xarray raise many kinds for a damaged file
        raise OSError(f"{path} is not a readable netCDF-4 file (truncated, damaged, or another format): "
                      f"{type(error).__name__}: {error}") from None
    verify_checksums(dataset, path)
    return dataset


def load(path) -> SimulationResult:
    """Read a file written by :meth:`SimulationResult.to_netcdf`, verifying its checksums.

    Raises ``OSError`` for a missing, unreadable or corrupted file and ``ValueError`` for a netCDF
    file that is not an nsnn_sim result (naming the variable or attribute it lacks).
    """
    dataset = open_checked(path)
    missing = [name for name in _REQUIRED_VARIABLES if name not in dataset.variables]
    missing += [f"attribute {name}" for name in _REQUIRED_ATTRS if name not in dataset.attrs]
    if missing:
        raise ValueError(f"{path} is not an nsnn_sim simulation result: it lacks {', '.join(missing)}")
    try:
        return SimulationResult.from_xarray(dataset)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{path} holds an invalid nsnn_sim result: {error}") from None
