"""What :func:`nsnn_sim.simulate` returns, and its netCDF file: :class:`SimulationResult` and :func:`load`.

Files are netCDF-4 (through h5netcdf) with checksums; ``SimulationResult.to_netcdf`` and :func:`load`
round-trip spikes, recorded state, the model and the provenance exactly. A file is written whole or not at all
(:mod:`nsnn_sim._core.atomic`), and :func:`load` refuses the temporary file an unfinished write leaves.

Axis order: every recorded output of a run has the dims ``(trial, neuron, time)`` (:data:`STATE_DIMS`), as
:meth:`SpikeTrains.counts <nsnn_sim.spikes.SpikeTrains.counts>` and ``SpikeTrains.shape`` do: the recorded state
``SimulationResult.state`` ``(n_trials, n_recorded, n_steps)``, its DataArray (:func:`state_array`, the one place
that builds it), :meth:`NetworkResult.state <nsnn_sim.simulator.populations.NetworkResult.state>`. Inputs keep
the layout ``(n_trials, n_steps, n_neurons)`` (one row of neurons per step, as the kernels read them), as do the
dense arrays that are inputs to something else (``SpikeTrains.to_dense``, the learner's and fitter's arrays).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import xarray as xr

from nsnn_sim._core.atomic import write_netcdf
from nsnn_sim._core.checksums import add_checksums, open_checked
from nsnn_sim._core.version import provenance
from nsnn_sim.spikes import SpikeTrains

__all__ = ["SimulationResult", "load", "population_rate", "STATE_DIMS", "state_array", "state_from_kernel"]

#: the dims of recorded state, as of spike counts
STATE_DIMS = ("trial", "neuron", "time")

_LONG_NAMES = {"u": "membrane state after reset", "I": "synaptic current", "y": "alpha synapse's first variable",
               "w": "adaptation current", "q": "moving threshold component"}


def state_from_kernel(buffer: np.ndarray) -> np.ndarray:
    """The ``(n_trials, n_columns, n_samples)`` recorded state of the ``(n_trials, n_samples, n_columns)`` buffer
    the kernels fill one step at a time: a transposed view (nothing is copied)."""
    return buffer.transpose(0, 2, 1)


def state_array(values: np.ndarray, neurons, dt: float, steps=None, name: str = "u") -> xr.DataArray:
    """Recorded state as a DataArray of dims :data:`STATE_DIMS`: ``values[k, c, j]`` is variable ``name`` of neuron
    ``neurons[c]`` in trial ``k`` at step ``steps[j]`` (default ``0, 1, ...``), time ``steps[j]*dt`` seconds."""
    steps = np.arange(values.shape[2]) if steps is None else np.asarray(steps)
    return xr.DataArray(values, dims=STATE_DIMS, name=name,
                        coords={"trial": np.arange(values.shape[0]), "neuron": np.asarray(neurons),
                                "time": ("time", steps * dt, {"units": "s"})},
                        attrs={"long_name": _LONG_NAMES[name.split("_")[0]], "units": "membrane units"})


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """What :func:`nsnn_sim.simulate` returns: spikes, optional recorded state and population spike counts,
    provenance.

    ``state[trial, c, j]`` (:data:`STATE_DIMS`) is variable ``state_variables[c]`` of neuron ``state_neurons[c]`` at
    step ``j*state_every`` (after that step's update and reset); ``rate_counts[trial, k, step]`` is the number of spikes
    of population ``rate_populations[k]`` (``rate_sizes[k]`` neurons) at ``step``. ``spikes`` holds the spikes of
    ``spike_neurons`` only (None: of every neuron).
    """

    spikes: SpikeTrains
    state: np.ndarray | None  # (n_trials, n_columns, ceil(n_steps/state_every)) (STATE_DIMS)
    state_neurons: np.ndarray  # the neuron of each column of state
    model: object
    seed: int
    inputs_description: str = ""
    connections_description: str = "none"
    run_time: float | None = None  # seconds spent in the simulation proper (compilation excluded)
    compile_time: float | None = None  # seconds of first-call Numba compilation or cache loading
    state_variables: tuple = ()  # the variable of each column of state (default: "u" for every column)
    state_every: int = 1
    spike_neurons: np.ndarray | None = None  # the neurons whose spikes were kept, None for all
    rate_counts: np.ndarray | None = None  # (n_trials, n_populations, n_steps) int32
    rate_populations: tuple = ()
    rate_sizes: np.ndarray | None = None  # (n_populations,) neurons in each

    def __post_init__(self):
        if self.state is not None and not self.state_variables:
            object.__setattr__(self, "state_variables", ("u",) * self.state.shape[1])

    def variable(self, name: str) -> xr.DataArray:
        """``(trial, neuron, time)``: the recorded values of variable ``name`` (``u``, ``I_exc``, ``w_0``, ...,
        :attr:`nsnn_sim.LIF.state_variables`) at steps ``0, k, 2k, ...`` (``k = state_every``), its neurons in the
        order ``record_state`` gave them."""
        columns = [column for column, variable in enumerate(self.state_variables) if variable == name]
        if not columns:
            recorded = tuple(dict.fromkeys(self.state_variables))
            raise ValueError(f"variable={name!r} was not recorded; recorded: {recorded} "
                             "(simulate(record_state={variable: neurons}))")
        return state_array(self.state[:, columns, :], self.state_neurons[columns], self.spikes.dt,
                           np.arange(0, self.spikes.n_steps, self.state_every), name)

    def population_rate(self) -> xr.DataArray:
        """``(population, trial, time)``: the spikes of each population of ``record_rate`` in each step over
        ``n_k*dt`` (Hz), at every step (``time`` is the step's start ``k*dt``), from the kernels' counts."""
        if self.rate_counts is None:
            raise ValueError("no population rate was recorded: simulate(record_rate=True or {name: neurons})")
        return population_rate(self.rate_counts, self.rate_populations, self.rate_sizes, self.spikes.dt)

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
        if self.run_time is not None:
            attrs["run_time_s"] = float(self.run_time)
        if self.compile_time is not None:
            attrs["compile_time_s"] = float(self.compile_time)
        for key, value in model_dict.items():
            if key != "kind" and value is not None and not isinstance(value, (list, dict)):
                attrs[f"model_{key}"] = value
        return attrs

    def to_xarray(self) -> xr.Dataset:
        """Dataset with the spike events (dim ``spike``), one DataArray ``(trial, neuron, time)`` per recorded
        variable (:meth:`variable`; a neuron not recorded for a variable is NaN there, its ``recorded_neurons``
        attribute lists those that were), the population spike counts ``population_spike_count`` (``trial,
        population, rate_time``) if recorded, the neurons whose spikes were kept (``recorded_spike_neuron``, unless
        all), and provenance attrs (:meth:`provenance_attrs`): model kind and parameters, seed, inputs, version."""
        dataset = self.spikes.to_xarray()
        if self.state is not None:
            arrays = [self.variable(name) for name in dict.fromkeys(self.state_variables)]
            for array in arrays:
                array.attrs["recorded_neurons"] = array["neuron"].values
            dataset = xr.merge([dataset, *arrays], join="outer", combine_attrs="override")
            dataset.attrs.update(state_variables=" ".join(array.name for array in arrays), state_every=self.state_every)
        if self.rate_counts is not None:
            dataset["population_spike_count"] = xr.DataArray(
                self.rate_counts, dims=("trial", "population", "rate_time"),
                coords={"population": list(self.rate_populations), "population_size": ("population", self.rate_sizes),
                        "rate_time": ("rate_time", np.arange(self.spikes.n_steps) * self.spikes.dt, {"units": "s"})},
                attrs={"long_name": "spikes of each population in each step"})
        if self.spike_neurons is not None:
            dataset["recorded_spike_neuron"] = ("recorded_spike_neuron", self.spike_neurons)
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
        """Write :meth:`to_xarray` to a netCDF-4 file, with checksums (:mod:`nsnn_sim._core.checksums`);
        :func:`load` reads it back losslessly and verifies them.

        The file is written whole or not at all (a temporary file beside it, renamed into place:
        :func:`nsnn_sim._core.atomic.write_netcdf`); a missing folder, a path that is a folder, a folder
        that is not writable and a full disk raise an ``OSError`` naming ``path``, and leave a previous file
        unchanged."""
        write_netcdf(path, add_checksums(self.to_xarray()))

    @classmethod
    def from_xarray(cls, dataset: xr.Dataset) -> "SimulationResult":
        from nsnn_sim.simulator.neurons import model_from_json

        names = str(dataset.attrs.get("state_variables", "u" if "u" in dataset else "")).split()
        # a one-element attribute reads back as a scalar: atleast_1d keeps the neuron dimension
        # by name: older files hold u as (trial, time, neuron)
        arrays = [dataset[name].sel(neuron=np.atleast_1d(dataset[name].attrs.get("recorded_neurons",
                                                                                 dataset["neuron"].values)))
                  .transpose(*STATE_DIMS) for name in names]
        counts = dataset.get("population_spike_count")
        return cls(
            spikes=SpikeTrains.from_xarray(dataset),
            state=np.concatenate([array.values for array in arrays], axis=1) if arrays else None,
            state_neurons=np.concatenate([array["neuron"].values for array in arrays]).astype(np.int64) if arrays
            else np.zeros(0, np.int64),
            state_variables=tuple(name for array in arrays for name in [array.name] * array.sizes["neuron"]),
            state_every=int(dataset.attrs.get("state_every", 1)),
            spike_neurons=(dataset["recorded_spike_neuron"].values.astype(np.int64)
                           if "recorded_spike_neuron" in dataset else None),
            rate_counts=None if counts is None else counts.values,
            rate_populations=() if counts is None else tuple(str(name) for name in counts["population"].values),
            rate_sizes=None if counts is None else counts["population_size"].values.astype(np.int64),
            model=model_from_json(dataset.attrs["model_json"]),
            seed=int(dataset.attrs["seed"]),
            inputs_description=str(dataset.attrs.get("inputs", "")),
            connections_description=str(dataset.attrs.get("connections", "none")),
            run_time=_optional_float(dataset.attrs, "run_time_s", "wall_time_s"),  # files before 0.2 say wall_time_s
            compile_time=_optional_float(dataset.attrs, "compile_time_s"),
        )


def population_rate(counts: np.ndarray, names, sizes, dt: float) -> xr.DataArray:
    """``(population, trial, time)`` in Hz: ``counts[trial, k, step] / (sizes[k]*dt)``, ``time`` the step's start."""
    n_trials, _, n_steps = counts.shape
    return xr.DataArray(np.transpose(counts, (1, 0, 2)) / (np.asarray(sizes, dtype=np.float64)[:, None, None] * dt),
                        dims=("population", "trial", "time"),
                        coords={"population": list(names), "trial": np.arange(n_trials),
                                "time": ("time", np.arange(n_steps) * dt, {"units": "s"})},
                        attrs={"long_name": "population rate", "units": "Hz"})


def _optional_float(attrs: dict, *names: str) -> float | None:
    """The first of the attributes ``names`` present, as a float, else None."""
    for name in names:
        if name in attrs:
            return float(attrs[name])
    return None


_REQUIRED_VARIABLES = ("spike_trial", "spike_neuron", "spike_step")
_REQUIRED_ATTRS = ("dt", "n_trials", "n_neurons", "n_steps", "model_json", "seed")


def _refuse_nwb(path) -> None:
    """``ValueError`` pointing to :func:`nsnn_sim.load_nwb` if ``path`` is an NWB file (HDF5 whose root has
    the NWB attribute ``nwb_version``); nothing for any other path, which :func:`open_checked` then judges."""
    import h5py

    try:
        if not h5py.is_hdf5(path):
            return
        with h5py.File(path, "r") as file:
            is_nwb = "nwb_version" in file.attrs
    except Exception:  # noqa: BLE001 - missing, unreadable or damaged (h5py raises many kinds): open_checked judges
        return
    if is_nwb:
        raise ValueError(f"{path} is an NWB file: use ns.load_nwb(path) to read its spike trains "
                         "(ns.load reads the netCDF files of SimulationResult.to_netcdf)")


def load(path) -> SimulationResult:
    """Read a file written by :meth:`SimulationResult.to_netcdf`, verifying its checksums.

    Raises ``OSError`` for a missing, unreadable or corrupted file and ``ValueError`` for a netCDF
    file that is not an nsnn_sim result (naming the variable or attribute it lacks) or for an NWB
    file (pointing to :func:`nsnn_sim.load_nwb`).
    """
    _refuse_nwb(path)
    dataset = open_checked(path)
    missing = [name for name in _REQUIRED_VARIABLES if name not in dataset.variables]
    missing += [f"attribute {name}" for name in _REQUIRED_ATTRS if name not in dataset.attrs]
    if missing:
        raise ValueError(f"{path} is not an nsnn_sim simulation result: it lacks {', '.join(missing)}")
    try:
        return SimulationResult.from_xarray(dataset)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{path} holds an invalid nsnn_sim result: {error}") from None
