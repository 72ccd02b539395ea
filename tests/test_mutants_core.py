"""Edges of the core helpers: the checksums cover and keep every variable attribute, the grid tolerance
``|t - k*dt| <= TOLERANCE + 1e-9*|t|`` is inclusive and its relative term is 1e-9, and ``distinct_values`` /
``finite_array(keep_view=True)`` drop exactly the zero-stride axes and keep a float64 view uncopied."""

import numpy as np
import pytest
import xarray as xr

from nsnn_sim._core.checksums import VARIABLE_DIGEST, add_checksums, verify_checksums
from nsnn_sim._core.timesteps import TOLERANCE, seconds_to_steps
from nsnn_sim._core.validation import distinct_values, finite_array


def _dataset():
    return xr.Dataset({"x": ("i", np.arange(3.0), {"units": "Hz", "long_name": "rate"})},
                      coords={"i": ("i", np.arange(3), {"units": "1"})}, attrs={"dt": 1e-3})


def test_add_checksums_keeps_every_attribute_of_every_variable_and_adds_its_digest():
    original = _dataset()
    checked = add_checksums(original)
    assert set(checked["x"].attrs) == {"units", "long_name", VARIABLE_DIGEST}
    assert checked["x"].attrs["units"] == "Hz" and checked["x"].attrs["long_name"] == "rate"
    assert set(checked["i"].attrs) == {"units", VARIABLE_DIGEST} and checked["i"].attrs["units"] == "1"
    assert "sha256" not in original["x"].attrs  # a copy: the dataset given is unchanged


def test_a_changed_attribute_of_a_variable_is_detected():
    checked = add_checksums(_dataset())
    verify_checksums(checked, "f.nc")
    checked["x"].attrs["units"] = "kHz"
    with pytest.raises(OSError, match=r"f.nc is corrupted: its attributes \(dt, seed, model, ...\) do not match"):
        verify_checksums(checked, "f.nc")


def test_a_time_exactly_at_the_tolerance_is_on_the_grid_and_the_next_float_is_not():
    # t = TOLERANCE/(1 - 1e-9) is 0 steps away by exactly TOLERANCE + 1e-9*t (in floating point too)
    edge = TOLERANCE / (1 - 1e-9)
    assert abs(edge - 0 * 1e-3) == TOLERANCE + 1e-9 * abs(edge)
    assert seconds_to_steps("t", edge, 1e-3) == 0
    with pytest.raises(ValueError, match=r"t=1.* s is not a whole number of steps of dt=0.001 s"):
        seconds_to_steps("t", np.nextafter(edge, 1.0), 1e-3)


def test_the_relative_tolerance_is_one_nanosecond_per_second():
    # at 1000 s the bound is 1e-9 + 1e-9*1000 s = 1.001 us: 0.99 us off is on the grid, 1.011 us off is not
    assert seconds_to_steps("t", 1000.0 + 0.99e-6, 0.5) == 2000
    with pytest.raises(ValueError, match=r"t=1000.* s is not a whole number of steps of dt=0.5 s"):
        seconds_to_steps("t", 1000.0 + 1.011e-6, 0.5)


def test_distinct_values_drop_exactly_the_zero_stride_axes_as_views():
    row = np.array([1.0, 2.0, 3.0])
    wide = np.broadcast_to(row, (1000, 3))
    distinct = distinct_values(wide)
    assert distinct.shape == (3,) and distinct.tolist() == [1.0, 2.0, 3.0] and np.shares_memory(distinct, row)
    single = distinct_values(np.broadcast_to(np.array(2.0), (1,)))  # one zero-stride axis of length 1
    assert single.shape == () and float(single) == 2.0
    assert distinct_values(np.broadcast_to(np.array(2.0), (0,))).size == 0  # no element to index
    plain = np.arange(6.0).reshape(2, 3)
    assert distinct_values(plain).shape == (2, 3)


def test_finite_array_keeps_a_float64_view_and_converts_anything_else():
    view = np.broadcast_to(np.array([0.5, 1.0]), (500, 2))
    assert finite_array("x", view, keep_view=True) is view
    integers = np.arange(3)
    converted = finite_array("x", integers, keep_view=True)
    assert converted.dtype == np.float64 and converted.tolist() == [0.0, 1.0, 2.0]
