"""The one rule that turns times into steps (nsnn_sim._core.timesteps), and simulate's ``duration=``."""

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim._core.timesteps import TOLERANCE, seconds_to_steps


@pytest.mark.parametrize("seconds, dt, steps", [
    (0.05, 1e-4, 500), (1.9e-3, 1e-4, 19), (0.3, 0.1, 3), (0.7, 0.1, 7), (2.0, 1e-3, 2000), (0.0, 1e-4, 0),
    (1e4, 1e-4, 10**8), (0.05 + 0.9 * TOLERANCE, 1e-4, 500),
])
def test_a_time_on_the_grid_is_its_nearest_whole_step(seconds, dt, steps):
    # values such as 0.3/0.1 = 2.9999999999999996 and 0.7/0.1 = 6.999999999999999 are on the grid
    assert seconds_to_steps("t", seconds, dt) == steps


def test_a_time_off_the_grid_is_refused_or_rounded_up_for_a_container():
    with pytest.raises(ValueError, match=r"t=0.00015 s is not a whole number of steps of dt=0.0001 s"):
        seconds_to_steps("t", 1.5e-4, 1e-4)
    with pytest.raises(ValueError, match="t="):
        seconds_to_steps("t", 0.05 + 3 * TOLERANCE, 1e-4)
    assert seconds_to_steps("t", 1.5e-4, 1e-4, off_grid="up") == 2
    assert seconds_to_steps("t", 1e-4 + 3 * TOLERANCE, 1e-4, off_grid="up") == 2
    assert seconds_to_steps("t", 1e-4 + 0.5 * TOLERANCE, 1e-4, off_grid="up") == 1


def test_arrays_and_units_convert_element_by_element():
    from brian2 import ms

    steps = seconds_to_steps("tau_ref", np.array([0.0, 1e-3, 2.5e-3]), 1e-4)
    assert steps.dtype == np.int64 and steps.tolist() == [0, 10, 25]
    assert seconds_to_steps("duration", 20 * ms, 1e-4) == 200
    with pytest.raises(ValueError, match="tau_ref"):
        seconds_to_steps("tau_ref", np.array([1e-3, 1.05e-4]), 1e-4)
    with pytest.raises(ValueError, match="tau_ref"):
        seconds_to_steps("tau_ref", -1e-3, 1e-4)


def test_simulate_takes_a_duration_instead_of_n_steps_and_keywords_after_inputs():
    model = ns.LIF(sigma=0.5, dt=1e-4, method="euler")
    by_duration = ns.simulate(model, 0.9, n_neurons=5, duration=0.02, seed=3)
    by_steps = ns.simulate(model, 0.9, n_neurons=5, n_steps=200, seed=3)
    assert by_duration.spikes.n_steps == 200 and by_duration.spikes == by_steps.spikes
    assert ns.simulate(model, 0.9).spikes.n_steps == 1000  # the default length
    with pytest.raises(TypeError, match="positional"):
        ns.simulate(model, 0.9, 5, 200)
