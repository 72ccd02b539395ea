"""Result files carry checksums: a changed byte of a variable or an attribute is found on load, and
files that are not nsnn_sim results give errors that name the file."""

import warnings

import h5py
import numpy as np
import pytest
import xarray as xr

import nsnn_sim as ns
from nsnn_sim._core.checksums import add_checksums, verify_checksums


def _saved(tmp_path):
    result = ns.simulate(ns.LIF(sigma=0.5, method="euler"), 0.9, n_neurons=20, n_steps=2000, n_trials=3, seed=1,
                         record_state=[0, 3])
    path = tmp_path / "run.nc"
    result.to_netcdf(path)
    return result, path


def _storage(path):
    """(name, file offset, size in bytes) of every variable stored contiguously or in chunks."""
    places = []
    with h5py.File(path, "r") as handle:
        def visit(name, item):
            if isinstance(item, h5py.Dataset) and item.size:
                if item.chunks is None:
                    offset = item.id.get_offset()
                    if offset is not None:
                        places.append((name, offset, item.id.get_storage_size()))
                else:
                    for index in range(item.id.get_num_chunks()):
                        info = item.id.get_chunk_info(index)
                        places.append((name, info.byte_offset, info.size))
        handle.visititems(visit)
    return places


def test_any_changed_byte_of_a_data_variable_is_detected(tmp_path):
    _, path = _saved(tmp_path)
    clean = path.read_bytes()
    places = _storage(path)
    assert {name for name, _, _ in places} >= {"spike_trial", "spike_neuron", "spike_step", "u"}
    generator = np.random.default_rng(0)
    for trial in range(30):  # 30 random single-byte corruptions spread over every variable
        name, offset, size = places[trial % len(places)]
        position = offset + int(generator.integers(size))
        corrupted = bytearray(clean)
        corrupted[position] ^= int(generator.integers(1, 256))
        path.write_bytes(bytes(corrupted))
        with pytest.raises(OSError, match=f"{path.name} is corrupted: variable"):
            ns.load(path)
    path.write_bytes(clean)
    ns.load(path)


def test_random_overwrites_anywhere_never_load_silently_changed(tmp_path):
    """16 random bytes overwritten anywhere in 40 copies: each copy loads identical (the bytes hit
    unused space) or raises an OSError / ValueError naming the file; never a silent change."""
    result, path = _saved(tmp_path)
    clean = path.read_bytes()
    generator = np.random.default_rng(1)
    outcomes = {"identical": 0, "error": 0}
    for copy in range(40):
        corrupted = bytearray(clean)
        for position in generator.integers(0, len(clean), 16):
            corrupted[position] = int(generator.integers(256))
        damaged = tmp_path / f"copy{copy}.nc"
        damaged.write_bytes(bytes(corrupted))
        try:
            loaded = ns.load(damaged)
        except (OSError, ValueError) as error:
            assert damaged.name in str(error)
            outcomes["error"] += 1
            continue
        assert loaded.spikes == result.spikes and np.array_equal(loaded.state, result.state)
        assert loaded.model.to_dict() == result.model.to_dict() and loaded.seed == result.seed
        outcomes["identical"] += 1
    assert outcomes["error"] > 0


def test_a_changed_attribute_is_detected(tmp_path):
    _, path = _saved(tmp_path)
    with h5py.File(path, "r+") as handle:
        handle.attrs["seed"] = np.int64(2)
    with pytest.raises(OSError, match="its attributes .* do not match their checksum"):
        ns.load(path)


def test_files_that_are_not_results_name_the_file_and_what_is_missing(tmp_path):
    other = tmp_path / "other.nc"
    xr.Dataset({"x": ("t", np.arange(3))}).to_netcdf(other, engine="h5netcdf")
    with pytest.raises(ValueError, match="other.nc is not an nsnn_sim simulation result: it lacks spike_trial"):
        ns.load(other)
    text = tmp_path / "text.nc"
    text.write_text("not a netCDF file")
    with pytest.raises(OSError, match="text.nc is not a readable netCDF-4 file"):
        ns.load(text)
    _, path = _saved(tmp_path)
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(OSError, match="truncated.nc"):
        ns.load(truncated)
    with pytest.raises(FileNotFoundError, match="missing.nc: no such file"):
        ns.load(tmp_path / "missing.nc")
    with pytest.raises(FileNotFoundError, match="is not a file"):
        ns.load(tmp_path)



def test_an_hdf5_file_without_netcdf_dimensions_is_refused_without_a_warning(tmp_path):
    """h5netcdf warns about phony dimensions unless told how to name them; open_checked tells it."""
    with h5py.File(tmp_path / "plain.h5", "w") as file:
        file["a"] = np.arange(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="plain.h5 is not an nsnn_sim simulation result: it lacks spike_trial"):
            ns.load(tmp_path / "plain.h5")

def test_checksums_survive_the_round_trip_and_catch_in_memory_changes():
    data = add_checksums(xr.Dataset({"x": ("i", np.arange(4.0))}, coords={"i": np.arange(4)}, attrs={"dt": 1e-3}))
    verify_checksums(data, "f.nc")
    data["x"].values[2] = 7.0
    with pytest.raises(OSError, match="variable 'x'"):
        verify_checksums(data, "f.nc")


def test_attributes_that_netcdf_collapses_still_verify(tmp_path):
    """A one-element array attribute (a quick run's single learning rate) reads back as a scalar, a list of one
    string as the string: the digest is of the value as it reads back, so the file verifies."""
    import xarray as xr

    from nsnn_sim._core import checksums
    from nsnn_sim._core.checksums import open_checked
    dataset = xr.Dataset({"x": ("a", np.arange(3.0))},
                         attrs={"learning_rates": np.array([0.01]), "labels": ["one"], "many": [1, 2]})
    checksums.add_checksums(dataset).to_netcdf(tmp_path / "collapsed.nc", engine="h5netcdf")
    assert float(open_checked(tmp_path / "collapsed.nc").attrs["learning_rates"]) == 0.01
