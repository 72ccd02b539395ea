"""Tests of nsnn_sim.coding.fisher: linear Fisher information (bias-corrected), the Poisson Fisher
information of tuning curves, discrimination thresholds.

Statistical checks use fixed seeds and a tolerance of 4 standard errors; each SE is named where it
is used (the SD of repeated estimates / sqrt(repetitions), the SE of a sample variance).
"""

import math

import numpy as np
import pytest
import xarray as xr

from nsnn_sim.coding import fisher, tuning


# ------------------------------------------------------------------ builders
def gaussian_population(n_neurons=20, information=10.0, epsilon=0.02, seed=11):
    """A known f' and a correlated, information-limiting covariance Sigma = Sigma_0 + eps f' f'^T
    (Sigma_0 random SPD). Returns f', Sigma and the true I = f'^T Sigma^-1 f'."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(n_neurons, n_neurons))
    sigma_0 = mixing @ mixing.T / n_neurons + np.eye(n_neurons)
    derivative = rng.normal(size=n_neurons)
    # scale f' so that I_0 = f'^T Sigma_0^-1 f' gives I = I_0 / (1 + eps I_0) = information
    information_0 = information / (1.0 - epsilon * information)
    derivative *= math.sqrt(information_0 / (derivative @ np.linalg.solve(sigma_0, derivative)))
    covariance = sigma_0 + epsilon * np.outer(derivative, derivative)
    true_information = derivative @ np.linalg.solve(covariance, derivative)
    return derivative, covariance, true_information


def draw_pair(rng, derivative, covariance, n_trials, delta):
    """T Gaussian trials at s (mean 0) and at s + delta (mean f' delta), same covariance."""
    factor = np.linalg.cholesky(covariance)
    n_neurons = derivative.size
    responses_a = rng.normal(size=(n_trials, n_neurons)) @ factor.T
    responses_b = rng.normal(size=(n_trials, n_neurons)) @ factor.T + derivative * delta
    return responses_a, responses_b


# ------------------------------------------------------------------ linear Fisher information
def test_bias_corrected_fisher_information_is_unbiased_and_naive_is_not():
    n_neurons, n_trials, repetitions, delta = 20, 50, 400, 1.0
    derivative, covariance, true_information = gaussian_population(n_neurons)
    rng = np.random.default_rng(2015)
    corrected, naive = np.empty(repetitions), np.empty(repetitions)
    for repetition in range(repetitions):
        responses_a, responses_b = draw_pair(rng, derivative, covariance, n_trials, delta)
        result = fisher.linear_fisher_information(responses_a, responses_b, delta)
        corrected[repetition] = float(result)
        naive[repetition] = float(fisher.linear_fisher_information(responses_a, responses_b, delta,
                                                                   bias_corrected=False))
        assert result.attrs["naive_information"] == pytest.approx(naive[repetition])
    # SE of the mean estimate: SD of the estimates / sqrt(repetitions), measured 1.15 % of I (corrected) and 1.07 %
    # of E[I_naive]: power, a bias of (4 + 1.28) SE = 6.1 % and 5.6 % is detected nine times in ten. Above 1 %:
    # the estimator is exact against its formula in test_fisher_information_formula_on_one_dataset, and the
    # formula is unbiased for Gaussian responses by the Wishart moment E[S^-1] = (2T - 2)/(2T - N - 3) Sigma^-1
    se_corrected = corrected.std(ddof=1) / math.sqrt(repetitions)
    se_naive = naive.std(ddof=1) / math.sqrt(repetitions)
    assert abs(corrected.mean() - true_information) < 4 * se_corrected
    # the naive estimator is biased upwards by far more than 4 SE: the correction matters
    assert naive.mean() - true_information > 4 * se_naive
    # ... and by the predicted amount: E[I_naive] = (I + 2N/(T d^2)) (2T - 2)/(2T - N - 3)
    expected_naive = ((true_information + 2 * n_neurons / (n_trials * delta ** 2))
                      * (2 * n_trials - 2) / (2 * n_trials - n_neurons - 3))
    assert abs(naive.mean() - expected_naive) < 4 * se_naive


def test_fisher_information_formula_on_one_dataset():
    rng = np.random.default_rng(0)
    responses_a = rng.normal(size=(30, 4))
    responses_b = rng.normal(size=(30, 4)) + 0.5
    delta = 0.1
    derivative = (responses_b.mean(0) - responses_a.mean(0)) / delta
    pooled = (np.cov(responses_a.T) + np.cov(responses_b.T)) / 2
    naive = derivative @ np.linalg.solve(pooled, derivative)
    corrected = naive * (2 * 30 - 4 - 3) / (2 * 30 - 2) - 2 * 4 / (30 * delta ** 2)
    result = fisher.linear_fisher_information(responses_a, responses_b, delta)
    assert float(result) == pytest.approx(corrected, rel=1e-12)
    assert result.attrs["n_trials"] == 30 and result.attrs["n_neurons"] == 4
    assert float(fisher.linear_fisher_information(responses_a, responses_b, delta, False)) == \
        pytest.approx(naive, rel=1e-12)
    # DataArrays in any dim order give the same number
    as_dataarray = [xr.DataArray(values.T, dims=("neuron", "trial")) for values in (responses_a, responses_b)]
    assert float(fisher.linear_fisher_information(*as_dataarray, delta)) == pytest.approx(corrected, rel=1e-12)


def test_fisher_information_errors_name_the_parameter():
    rng = np.random.default_rng(1)
    responses = rng.normal(size=(10, 17))     # 2T - N - 3 = 0
    with pytest.raises(ValueError, match=r"2T - N - 3 > 0.*T=10.*N=17"):
        fisher.linear_fisher_information(responses, responses + 1, 1.0)
    other = rng.normal(size=(10, 17))
    fisher.linear_fisher_information(responses, other, 1.0, bias_corrected=False)  # naive: 2T - 2 >= N
    with pytest.raises(ValueError, match="responses_a has 17 neurons but responses_b has 16"):
        fisher.linear_fisher_information(responses, responses[:, :16], 1.0)
    with pytest.raises(ValueError, match="trials"):
        fisher.linear_fisher_information(responses[:, :3], responses[:9, :3], 1.0)
    for delta in (0.0, -0.1):
        with pytest.raises(ValueError, match="delta_stimulus"):
            fisher.linear_fisher_information(responses[:, :3], responses[:, :3] + 1, delta)
    constant = responses[:, :3].copy()
    constant[:, 1] = 2.0
    with pytest.raises(ValueError, match="singular"):
        fisher.linear_fisher_information(constant, constant, 1.0)
    with pytest.raises(ValueError, match="responses_b"):
        fisher.linear_fisher_information(responses[:, :3], np.full((10, 3), np.nan), 1.0)
    with pytest.raises(ValueError, match="neuron"):
        fisher.linear_fisher_information(xr.DataArray(responses[:, :3], dims=("trial", "neuron"),
                                                      coords={"neuron": [0, 1, 2]}),
                                         xr.DataArray(responses[:, :3], dims=("trial", "neuron"),
                                                      coords={"neuron": [0, 1, 5]}), 1.0)


def test_a_singular_covariance_names_exactly_the_neurons_that_never_vary():
    """Neuron 1 is constant; neurons 0 and 2 vary with a variance far below 1 and must not be named."""
    rng = np.random.default_rng(3)
    a = np.column_stack([0.1 * rng.normal(size=50), np.full(50, 2.0), 0.1 * rng.normal(size=50)])
    b = np.column_stack([0.1 * rng.normal(size=50) + 0.05, np.full(50, 2.0), 0.1 * rng.normal(size=50)])
    with pytest.raises(ValueError, match=r"singular \(neurons at positions \[1\] never vary across trials\)"):
        fisher.linear_fisher_information(a, b, 0.1)


def test_fisher_information_by_population_size():
    n_neurons, n_trials, delta = 20, 200, 1.0
    derivative, covariance, _ = gaussian_population(n_neurons)
    responses_a, responses_b = draw_pair(np.random.default_rng(4), derivative, covariance, n_trials, delta)
    sizes = [2, 5, 10, 20]
    curve = fisher.fisher_information_by_population_size(responses_a, responses_b, delta, sizes,
                                                         n_subsets=30, seed=3)
    assert curve.dims == ("population_size",)
    assert curve["population_size"].values.tolist() == sizes
    assert "sd" in curve.coords and curve["sd"].sel(population_size=20) == 0
    full = fisher.linear_fisher_information(responses_a, responses_b, delta)
    assert float(curve.sel(population_size=20)) == pytest.approx(float(full), rel=1e-12)
    # naive information never decreases when neurons are added, so its subset means increase
    naive_curve = fisher.fisher_information_by_population_size(responses_a, responses_b, delta, sizes,
                                                               n_subsets=30, seed=3, bias_corrected=False)
    assert np.all(np.diff(naive_curve.values) > 0)
    # reproducible, and a size's result does not depend on the other sizes requested
    again = fisher.fisher_information_by_population_size(responses_a, responses_b, delta, [5],
                                                         n_subsets=30, seed=3)
    assert float(again.sel(population_size=5)) == float(curve.sel(population_size=5))
    with pytest.raises(ValueError, match="sizes"):
        fisher.fisher_information_by_population_size(responses_a, responses_b, delta, [21])
    with pytest.raises(ValueError, match="sizes"):
        fisher.fisher_information_by_population_size(responses_a[:11], responses_b[:11], delta, [20])
    with pytest.raises(ValueError, match="n_subsets"):
        fisher.fisher_information_by_population_size(responses_a, responses_b, delta, [5], n_subsets=0)


# ------------------------------------------------------------------ Poisson Fisher information
def test_poisson_fisher_information_of_one_von_mises_neuron_is_its_formula():
    """I(s) = T f'(s)^2 / f(s) with f = b + g exp(kappa (cos 2(s - p) - 1)) and the analytic
    f'(s) = -2 g kappa sin(2(s - p)) exp(kappa (cos 2(s - p) - 1)), written out here."""
    preferred, kappa, baseline, gain, window = 0.4, 1.7, 3.0, 25.0, 0.2
    stimuli = np.linspace(0.0, np.pi, 13)
    bump = np.exp(kappa * (np.cos(2 * (stimuli - preferred)) - 1))
    rate, slope = baseline + gain * bump, -2 * gain * kappa * np.sin(2 * (stimuli - preferred)) * bump
    expected = window * slope ** 2 / rate
    arguments = (stimuli[:, None], preferred, kappa, baseline, gain)
    information = fisher.poisson_fisher_information(tuning.von_mises_tuning(*arguments),
                                                    tuning.von_mises_tuning_derivative(*arguments), window=window)
    assert information.shape == (13,)
    np.testing.assert_allclose(information, expected, rtol=1e-12)
    assert information[0] == pytest.approx(window * 4 * gain ** 2 * kappa ** 2 * math.sin(0.8) ** 2
                                           * math.exp(2 * kappa * (math.cos(0.8) - 1)) / float(rate[0]))


def test_poisson_fisher_information_of_a_tiled_population_has_its_bessel_closed_form():
    """N neurons with preferences tiling [0, pi), no baseline: sum_i f_i'^2 / f_i is the N-point
    trapezoid sum of a smooth periodic function, equal (to rounding, for N >> kappa) to
    (N / 2 pi) int_0^2pi 4 g kappa^2 sin^2(u) e^{kappa (cos u - 1)} du = 4 N g kappa e^-kappa I_1(kappa),
    whatever the stimulus (Bessel function I_1 from scipy)."""
    from scipy.special import iv

    n_neurons, kappa, gain, window = 40, 2.0, 30.0, 0.5
    preferred = np.arange(n_neurons) * np.pi / n_neurons
    stimuli = np.array([0.0, 0.3, 1.234, 3.0])
    arguments = (stimuli[:, None], preferred, kappa, 0.0, gain)
    information = fisher.poisson_fisher_information(tuning.von_mises_tuning(*arguments),
                                                    tuning.von_mises_tuning_derivative(*arguments), window=window)
    closed_form = window * 4 * n_neurons * gain * kappa * math.exp(-kappa) * iv(1, kappa)
    np.testing.assert_allclose(information, closed_form, rtol=1e-10)


def test_poisson_fisher_information_is_the_variance_of_the_score():
    """Monte Carlo: for counts n_i ~ Poisson(mu_i(s)), the score d/ds log p(n | s) =
    sum_i (n_i - mu_i) mu_i' / mu_i has mean 0 and variance I(s). 20000 draws of 30 neurons; the SE
    of the sample variance is sqrt((m4 - v^2 (n - 3)/(n - 1)) / n) (m4 the fourth central moment),
    that of the mean sqrt(I / n); 4 SE. Power (measured SE 1.0 % of I): a variance error of (4 + 1.28) SE = 5.3 %
    is detected nine times in ten, a mean score of 0.50 (0.037 of its SD). Above 1 %: I(s) is exact against its
    formula and the Bessel closed form (the tests above). (The ML decoder's variance against 1/I is in
    test_decoding.)"""
    rng = np.random.default_rng(31)
    n_neurons, n_draws, stimulus = 30, 20_000, 1.1
    preferred = rng.uniform(0, np.pi, n_neurons)
    arguments = (stimulus, preferred, 1.5, 0.5, 6.0)
    mean, slope = tuning.von_mises_tuning(*arguments), tuning.von_mises_tuning_derivative(*arguments)
    counts = rng.poisson(mean, size=(n_draws, n_neurons))
    score = ((counts - mean) * slope / mean).sum(axis=1)
    variance = score.var(ddof=1)
    fourth = np.mean((score - score.mean()) ** 4)
    standard_error = math.sqrt((fourth - variance ** 2 * (n_draws - 3) / (n_draws - 1)) / n_draws)
    information = fisher.poisson_fisher_information(mean, slope)
    assert isinstance(information, float)
    assert abs(variance - information) < 4 * standard_error, (variance, information, standard_error)
    assert abs(score.mean()) < 4 * math.sqrt(information / n_draws)


def test_poisson_fisher_information_silent_neurons_floor_and_labels():
    # a silent neuron adds nothing if flat, infinite information if its rate rises from 0
    assert fisher.poisson_fisher_information([0.0, 2.0], [0.0, 2.0]) == pytest.approx(2.0)
    assert fisher.poisson_fisher_information([0.0, 2.0], [1.0, 2.0]) == np.inf
    assert fisher.poisson_fisher_information([0.0, 2.0], [1.0, 2.0], floor=0.5) == pytest.approx(4.0)
    rates = xr.DataArray([[4.0, 1.0], [2.0, 2.0], [1.0, 4.0]], dims=("stimulus", "neuron"),
                         coords={"stimulus": [0.1, 0.2, 0.3]})
    slopes = xr.DataArray([2.0, -1.0], dims="neuron")
    labelled = fisher.poisson_fisher_information(rates, slopes, window=2.0)
    assert labelled.dims == ("stimulus",) and labelled.attrs["units"] == "1/stimulus_unit^2"
    np.testing.assert_allclose(labelled.values, 2.0 * np.array([1 + 1, 2 + 0.5, 4 + 0.25]))
    np.testing.assert_allclose(labelled["stimulus"], [0.1, 0.2, 0.3])


def test_poisson_fisher_information_errors_name_the_parameter():
    with pytest.raises(ValueError, match=r"tuning=.*>= 0"):
        fisher.poisson_fisher_information([-1.0, 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="derivative.*finite"):
        fisher.poisson_fisher_information([1.0, 2.0], [np.nan, 1.0])
    with pytest.raises(ValueError, match="broadcast"):
        fisher.poisson_fisher_information(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="neuron axis"):
        fisher.poisson_fisher_information(1.0, 1.0)
    with pytest.raises(ValueError, match="'neuron' dim"):
        fisher.poisson_fisher_information(xr.DataArray([1.0, 2.0], dims="cell"), [1.0, 1.0])
    with pytest.raises(ValueError, match="window"):
        fisher.poisson_fisher_information([1.0], [1.0], window=0.0)
    with pytest.raises(ValueError, match="floor"):
        fisher.poisson_fisher_information([1.0], [1.0], floor=-1.0)
    with pytest.raises(TypeError, match="tuning"):
        fisher.poisson_fisher_information("rates", [1.0])


# ------------------------------------------------------------------ discrimination thresholds
def test_discrimination_threshold():
    assert fisher.discrimination_threshold(4.0) == pytest.approx(0.5)
    assert fisher.discrimination_threshold(4.0, d_prime=2.0) == pytest.approx(1.0)
    np.testing.assert_allclose(fisher.discrimination_threshold(np.array([1.0, 100.0, 0.0, -3.0, np.inf])),
                               [1.0, 0.1, np.nan, np.nan, 0.0])
    information = xr.DataArray([25.0, -1.0], dims="population_size", coords={"population_size": [5, 10]})
    threshold = fisher.discrimination_threshold(information)
    assert threshold.dims == ("population_size",) and threshold.attrs["units"] == "stimulus_unit"
    np.testing.assert_allclose(threshold.values, [0.2, np.nan])
    for d_prime in (0.0, -1.0):
        with pytest.raises(ValueError, match="d_prime"):
            fisher.discrimination_threshold(1.0, d_prime=d_prime)
    with pytest.raises(TypeError, match="fisher_information"):
        fisher.discrimination_threshold("big")
