"""Exact checks of the spike-train distances (nsnn_sim.analysis.distances) that the mutation run
(tools/mutation.py) relies on: each is deterministic and computes its expected value from the definition."""

import math

import numpy as np
import pytest

from nsnn_sim.analysis import distances


def test_van_rossum_depends_only_on_the_differences_of_times_even_before_time_zero():
    """``D^2 = (1/2) [sum_ij e^{-|a_i-a_j|/tau} + sum_ij e^{-|b_i-b_j|/tau} - 2 sum_ij e^{-|a_i-b_j|/tau}]`` holds
    differences only, so shifting both trains, here to times before 0 (spikes aligned to a later event), leaves it
    unchanged. The times are multiples of 1/16 s, so the shifted differences are the same floats."""
    times_a, times_b = np.array([0.125, 0.25, 0.3125]), np.array([0.1875, 0.5])
    tau = 0.0625  # the shifted trains start up to 16000 kernel time constants before 0

    def overlap(x, y):
        return np.exp(-np.abs(np.subtract.outer(x, y)) / tau).sum()

    expected = math.sqrt(0.5 * (overlap(times_a, times_a) + overlap(times_b, times_b) - 2 * overlap(times_a, times_b)))
    for shift in (0.0, -10.0, -1000.0):
        shifted = distances.van_rossum_distance(times_a + shift, times_b + shift, tau)
        assert shifted == pytest.approx(expected, rel=1e-12)
