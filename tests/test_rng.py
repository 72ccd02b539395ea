import numpy as np
import pytest
from scipy import stats

from nsnn_sim.simulator import rng


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


# ------------------------------------------------------------------ the ziggurat normal
def test_normal_draws_follow_the_standard_normal_cdf():
    draws = rng.normals(rng.stream_key(11, 0, 0, 0), 200_000)
    assert stats.kstest(draws, "norm").pvalue > 1e-3


def test_normal_moments_within_four_standard_errors():
    n = 4_000_000
    z = rng.normals(rng.stream_key(12, 3, 4, 0), n)
    # SEs of the sample mean, variance, skewness and excess kurtosis of N(0, 1)
    assert abs(z.mean()) < 4 * np.sqrt(1 / n)
    assert abs(z.var() - 1.0) < 4 * np.sqrt(2 / n)
    assert abs(stats.skew(z)) < 4 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < 4 * np.sqrt(24 / n)


@pytest.mark.parametrize("bound", [2.0, rng.ZIGGURAT_X[1], 4.0, 4.5])
def test_normal_tail_probabilities_within_four_standard_errors(bound):
    # 2e7 draws: about 1,270 beyond |z| = 4 and 136 beyond 4.5 (the ziggurat's tail starts at R = 3.654)
    n = 20_000_000
    z = rng.normals(rng.stream_key(13, 0, 0, 0), n)
    expected = 2 * stats.norm.sf(bound)
    observed = np.mean(np.abs(z) > bound)
    assert abs(observed - expected) < 4 * np.sqrt(expected * (1 - expected) / n), (observed, expected)
    assert np.abs(z).max() > 5.0  # the tail is sampled beyond the last layer


def test_successive_normals_and_their_squares_are_uncorrelated():
    z = rng.normals(rng.stream_key(14, 0, 0, 0), 1_000_000)
    for series in (z, z * z):
        assert abs(np.corrcoef(series[:-1], series[1:])[0, 1]) < 4 / np.sqrt(z.size)


def test_normal_matches_the_plain_python_transcription_on_every_path():
    from reference_model import ziggurat_normal

    key = rng.stream_key(15, 0, 2, 0)
    draws = rng.normals(key, 60_000)
    expected = np.array([ziggurat_normal(int(key), counter) for counter in range(draws.size)])
    np.testing.assert_array_equal(draws, expected)
    layer_edges = rng.ZIGGURAT_X
    assert np.any(np.abs(draws) > layer_edges[1])  # the tail path ran
    assert rng.normal(key, 123) == draws[123]


def test_draws_give_the_engines_normals_per_neuron():
    table = rng.draws(3, 1, rng.MEMBRANE, 50, 4, kind="normal")
    np.testing.assert_array_equal(table[:, 2], rng.normals(rng.stream_key(3, 1, 2, rng.MEMBRANE), 50))
    with pytest.raises(ValueError, match="kind='gauss' is not allowed"):
        rng.draws(3, 1, rng.MEMBRANE, 5, 4, kind="gauss")
