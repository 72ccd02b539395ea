import numpy as np
from scipy import stats

from nsnn_sim import rng


def test_uniforms_lie_in_open_unit_interval_and_are_uniform():
    draws = rng.uniforms(rng.stream_key(7, 0, 0, 0), 200_000)
    assert draws.min() > 0.0 and draws.max() < 1.0
    # SE of the mean of U(0,1): sqrt(1/12/n) = 6.5e-4
    assert abs(draws.mean() - 0.5) < 4 * np.sqrt(1 / 12 / draws.size)
    assert stats.kstest(draws, "uniform").pvalue > 1e-3


def test_streams_are_pure_functions_of_key_and_counter():
    key = rng.stream_key(1, 2, 3, 0)
    first = rng.uniforms(key, 100)
    again = rng.uniforms(rng.stream_key(1, 2, 3, 0), 100)
    np.testing.assert_array_equal(first, again)
    assert rng.uniform(key, 41) == first[41]


def test_keys_differ_in_every_component_and_streams_are_uncorrelated():
    base = (5, 1, 2, 0)
    keys = {rng.stream_key(*base)}
    for position in range(4):
        changed = list(base)
        changed[position] += 1
        keys.add(rng.stream_key(*changed))
    assert len(keys) == 5
    a = rng.uniforms(rng.stream_key(5, 1, 2, 0), 100_000)
    b = rng.uniforms(rng.stream_key(5, 1, 3, 0), 100_000)
    # SE of a sample correlation of independent series: 1/sqrt(n) = 0.0032
    assert abs(np.corrcoef(a, b)[0, 1]) < 4 / np.sqrt(a.size)
    # successive draws of one stream are uncorrelated too
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 4 / np.sqrt(a.size)


def test_extreme_bits_map_strictly_inside_the_unit_interval():
    assert rng.bits_to_uniform(np.uint64(0)) == 2.0**-53
    assert rng.bits_to_uniform(np.uint64(2**64 - 1)) == 1.0 - 2.0**-53
