"""Tests of the shared argument checks in nsnn_sim._core.validation used by the coding modules:
orientation_grid (the one check of a set of orientations) and finite_values."""

import numpy as np
import pytest
import xarray as xr

from nsnn_sim._core.validation import finite_values, orientation_grid
from nsnn_sim.coding import decoding, tuning


def test_orientation_grid_accepts_distinct_orientations_in_zero_to_pi():
    grid = orientation_grid("stimuli", [0, 1, 3])            # integers are converted
    assert grid.dtype == np.float64 and grid.tolist() == [0.0, 1.0, 3.0]
    assert orientation_grid("stimuli", np.arange(5) * np.pi / 5, size=5, minimum_size=5).size == 5


@pytest.mark.parametrize("values, message", [
    (np.zeros((2, 2)), "1-D"),
    ([0.0, np.pi], r"\[0, pi\)"),
    ([-0.1, 1.0], r"\[0, pi\).*np.deg2rad"),
    ([0.0, np.nan], r"\[0, pi\)"),
    ([0.5, 0.5], "must not repeat"),
])
def test_orientation_grid_rejects_what_is_not_a_set_of_orientations(values, message):
    with pytest.raises(ValueError, match=f"stimuli.*{message}"):
        orientation_grid("stimuli", values)


def test_orientation_grid_size_minimum_and_type_errors_say_what_is_allowed():
    with pytest.raises(ValueError, match=r"stimuli must hold 3 orientation\(s\), one per stimulus, got shape \(2,\)"):
        orientation_grid("stimuli", [0.0, 1.0], size=3)
    with pytest.raises(ValueError, match=r"stimuli has 1 orientation\(s\); interpolation needs at least 2"):
        orientation_grid("stimuli", [0.0], minimum_size=2, purpose="interpolation")
    with pytest.raises(TypeError, match="stimuli must be a 1-D array of orientations"):
        orientation_grid("stimuli", ["north", "south"])


def test_every_coding_entry_point_uses_the_same_orientation_check():
    """The fit, the measured-tuning decoder and the empirical decoder reject the same bad grid with
    the same message (only the parameter name differs)."""
    bad = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 4.0])
    responses = xr.DataArray(np.ones((6, 3, 2)), dims=("stimulus", "trial", "neuron"), coords={"stimulus": bad})
    expected = "must be orientations in radians in [0, pi) (convert degrees with np.deg2rad"
    for call, name in ((lambda: tuning.fit_tuning_curves(responses), "stimuli"),
                       (lambda: decoding.PoissonDecoder(responses.mean("trial")), "tuning['stimulus']"),
                       (lambda: decoding.EmpiricalDecoder(responses), "responses['stimulus']")):
        with pytest.raises(ValueError) as error:
            call()
        assert str(error.value).startswith(f"{name}=") and expected in str(error.value)


def test_finite_values_keeps_dataarrays_and_rejects_nan():
    labelled = finite_values("stimulus", xr.DataArray([1, 2], dims="trial"))
    assert isinstance(labelled, xr.DataArray) and labelled.dtype == np.float64
    assert isinstance(finite_values("stimulus", 1), np.ndarray)
    with pytest.raises(ValueError, match=r"stimulus=.*must be finite"):
        finite_values("stimulus", [0.0, np.inf])
    with pytest.raises(TypeError, match="stimulus"):
        finite_values("stimulus", None)
