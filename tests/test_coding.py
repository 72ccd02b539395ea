"""Tests of nsnn_sim.coding: tuning curves, linear Fisher information, discrimination thresholds.

Statistical checks use fixed seeds and a tolerance of 4 standard errors; each SE is named where it
is used (the fit's own reported SEs, or the SD of repeated estimates / sqrt(repetitions)).
"""

import math

import numpy as np
import pytest
import xarray as xr

from nsnn_sim import coding

# ------------------------------------------------------------------ builders
ORIENTATIONS = np.arange(16) * np.pi / 16


def poisson_tuning_data(n_neurons=30, n_trials=200, seed=7):
    """Poisson spike counts of neurons with von Mises tuning; returns the DataArray and the truth."""
    rng = np.random.default_rng(seed)
    truth = {"preferred": rng.uniform(0.0, np.pi, n_neurons), "kappa": rng.uniform(0.5, 3.0, n_neurons),
             "baseline": rng.uniform(1.0, 5.0, n_neurons), "gain": rng.uniform(5.0, 30.0, n_neurons)}
    rate = coding.von_mises_tuning(ORIENTATIONS[:, None], truth["preferred"], truth["kappa"],
                                   truth["baseline"], truth["gain"])             # (stimulus, neuron)
    counts = rng.poisson(rate[:, None, :], size=(ORIENTATIONS.size, n_trials, n_neurons))
    responses = xr.DataArray(counts, dims=("stimulus", "trial", "neuron"),
                             coords={"stimulus": ORIENTATIONS, "neuron": np.arange(n_neurons)},
                             attrs={"units": "spikes"})
    return responses, truth


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


# ------------------------------------------------------------------ von Mises tuning
def test_von_mises_tuning_values_and_period():
    preferred, kappa, baseline, gain = 0.7, 1.5, 2.0, 10.0
    assert coding.von_mises_tuning(preferred, preferred, kappa, baseline, gain) == pytest.approx(12.0)
    trough = coding.von_mises_tuning(preferred + np.pi / 2, preferred, kappa, baseline, gain)
    assert trough == pytest.approx(baseline + gain * math.exp(-2 * kappa))
    stimulus = np.linspace(0, np.pi, 9)
    np.testing.assert_allclose(coding.von_mises_tuning(stimulus + np.pi, preferred, kappa, baseline, gain),
                               coding.von_mises_tuning(stimulus, preferred, kappa, baseline, gain))
    # symmetric about the preferred orientation, flat for kappa = 0, broadcasting
    np.testing.assert_allclose(coding.von_mises_tuning(preferred + stimulus, preferred, kappa, baseline, gain),
                               coding.von_mises_tuning(preferred - stimulus, preferred, kappa, baseline, gain))
    np.testing.assert_allclose(coding.von_mises_tuning(stimulus, preferred, 0.0, baseline, gain), 12.0)
    assert coding.von_mises_tuning(stimulus[:, None], np.zeros(3), kappa, baseline, gain).shape == (9, 3)


def test_von_mises_tuning_keeps_dataarrays_and_rejects_negative_kappa():
    stimulus = xr.DataArray(ORIENTATIONS, dims="stimulus")
    preferred = xr.DataArray([0.0, 1.0], dims="neuron")
    curve = coding.von_mises_tuning(stimulus, preferred, 1.0, 0.0, 1.0)
    assert isinstance(curve, xr.DataArray) and set(curve.dims) == {"stimulus", "neuron"}
    with pytest.raises(ValueError, match="kappa"):
        coding.von_mises_tuning(0.0, 0.0, -1.0, 0.0, 1.0)


# ------------------------------------------------------------------ tuning-curve fits
def test_fit_recovers_known_parameters_within_their_standard_errors():
    responses, truth = poisson_tuning_data()
    fit = coding.fit_tuning_curves(responses)
    assert fit["converged"].all()
    assert set(fit.dims) == {"neuron"}
    assert fit["preferred"].attrs["units"] == "rad" and fit["gain"].attrs["units"] == "spikes"
    z_scores = []
    for name, true in truth.items():
        error = fit[name].values - true
        if name == "preferred":  # circular difference, period pi
            error = (error + np.pi / 2) % np.pi - np.pi / 2
        # SE: the fit's own standard error of each parameter (from the covariance)
        z = error / fit[f"{name}_se"].values
        assert np.all(np.abs(z) < 4), f"{name}: |z| up to {np.abs(z).max():.2f}"
        z_scores.append(z)
    # the reported SEs are calibrated: 120 z-scores have SD ~ 1 (SD of the SD ~ 1/sqrt(240) ~ 0.065)
    assert 0.6 < np.std(np.concatenate(z_scores)) < 1.6
    assert np.all((fit["preferred"] >= 0) & (fit["preferred"] < np.pi))
    assert np.all(fit["r_squared"] > 0.95)
    # chi^2/dof averaged over 30 neurons with 12 dof each: mean 1, SE sqrt(2/12/30) ~ 0.075
    assert abs(float(fit["reduced_chi_squared"].mean()) - 1.0) < 4 * math.sqrt(2 / 12 / 30)


def test_fit_accepts_arrays_with_stimuli_and_any_dim_order():
    responses, _ = poisson_tuning_data(n_neurons=3, seed=1)
    from_dataarray = coding.fit_tuning_curves(responses.transpose("neuron", "trial", "stimulus"))
    from_array = coding.fit_tuning_curves(responses.values, stimuli=ORIENTATIONS)
    for name in coding.TUNING_PARAMETERS:
        np.testing.assert_allclose(from_dataarray[name], from_array[name], rtol=1e-8)


def test_flat_and_silent_neurons_do_not_crash():
    rng = np.random.default_rng(3)
    n_trials = 200
    counts = np.zeros((ORIENTATIONS.size, n_trials, 3))
    counts[:, :, 1] = rng.poisson(5.0, size=(ORIENTATIONS.size, n_trials))   # untuned, noisy
    counts[:, :, 2] = 3.0                                                    # constant response
    responses = xr.DataArray(counts, dims=("stimulus", "trial", "neuron"),
                             coords={"stimulus": ORIENTATIONS, "neuron": ["silent", "untuned", "constant"]})
    with pytest.warns(RuntimeWarning, match="2 of 3 neuron"):
        fit = coding.fit_tuning_curves(responses)
    for neuron in ("silent", "constant"):
        assert not fit["converged"].sel(neuron=neuron)
        assert all(np.isnan(fit[name].sel(neuron=neuron)) for name in coding.TUNING_PARAMETERS)
    untuned = fit.sel(neuron="untuned")
    assert untuned["converged"]
    # gain ~ 0: within 4 of its SEs of zero; baseline within 4 SE of the rate 5
    assert untuned["gain"] < 4 * untuned["gain_se"]
    assert abs(untuned["baseline"] + untuned["gain"] - 5.0) < 4 * math.hypot(untuned["baseline_se"],
                                                                            untuned["gain_se"])


def test_stimulus_with_all_zero_trials_gets_a_finite_weight():
    rng = np.random.default_rng(5)
    rate = coding.von_mises_tuning(ORIENTATIONS, 1.0, 3.0, 0.0, 20.0)       # trough ~ 0.05 spikes
    counts = rng.poisson(rate[:, None, None], size=(ORIENTATIONS.size, 50, 1)).astype(float)
    counts[np.argmin(rate)] = 0.0                                          # a stimulus with no spikes
    fit = coding.fit_tuning_curves(counts, stimuli=ORIENTATIONS)
    assert fit["converged"].item()
    assert abs(fit["preferred"].item() - 1.0) < 4 * fit["preferred_se"].item()
    assert abs(fit["kappa"].item() - 3.0) < 4 * fit["kappa_se"].item()


def test_fit_argument_errors_name_the_parameter():
    responses, _ = poisson_tuning_data(n_neurons=2, n_trials=5)
    with pytest.raises(ValueError, match="stimuli"):
        coding.fit_tuning_curves(responses.assign_coords(stimulus=np.rad2deg(ORIENTATIONS)))
    with pytest.raises(ValueError, match="responses must have exactly the dims"):
        coding.fit_tuning_curves(responses.rename(trial="repeat"))
    with pytest.raises(ValueError, match="stimuli"):
        coding.fit_tuning_curves(responses.values)
    with pytest.raises(ValueError, match="at least 5"):
        coding.fit_tuning_curves(responses.isel(stimulus=slice(0, 4)))
    with pytest.raises(ValueError, match="trial"):
        coding.fit_tuning_curves(responses.isel(trial=slice(0, 1)))
    with pytest.raises(TypeError, match="responses"):
        coding.fit_tuning_curves(None, stimuli=ORIENTATIONS)


# ------------------------------------------------------------------ linear Fisher information
def test_bias_corrected_fisher_information_is_unbiased_and_naive_is_not():
    n_neurons, n_trials, repetitions, delta = 20, 50, 400, 1.0
    derivative, covariance, true_information = gaussian_population(n_neurons)
    rng = np.random.default_rng(2015)
    corrected, naive = np.empty(repetitions), np.empty(repetitions)
    for repetition in range(repetitions):
        responses_a, responses_b = draw_pair(rng, derivative, covariance, n_trials, delta)
        result = coding.linear_fisher_information(responses_a, responses_b, delta)
        corrected[repetition] = float(result)
        naive[repetition] = float(coding.linear_fisher_information(responses_a, responses_b, delta,
                                                                   bias_corrected=False))
        assert result.attrs["naive_information"] == pytest.approx(naive[repetition])
    # SE of the mean estimate: SD of the estimates / sqrt(repetitions)
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
    result = coding.linear_fisher_information(responses_a, responses_b, delta)
    assert float(result) == pytest.approx(corrected, rel=1e-12)
    assert result.attrs["n_trials"] == 30 and result.attrs["n_neurons"] == 4
    assert float(coding.linear_fisher_information(responses_a, responses_b, delta, False)) == \
        pytest.approx(naive, rel=1e-12)
    # DataArrays in any dim order give the same number
    as_dataarray = [xr.DataArray(values.T, dims=("neuron", "trial")) for values in (responses_a, responses_b)]
    assert float(coding.linear_fisher_information(*as_dataarray, delta)) == pytest.approx(corrected, rel=1e-12)


def test_fisher_information_errors_name_the_parameter():
    rng = np.random.default_rng(1)
    responses = rng.normal(size=(10, 17))     # 2T - N - 3 = 0
    with pytest.raises(ValueError, match=r"2T - N - 3 > 0.*T=10.*N=17"):
        coding.linear_fisher_information(responses, responses + 1, 1.0)
    other = rng.normal(size=(10, 17))
    coding.linear_fisher_information(responses, other, 1.0, bias_corrected=False)  # naive: 2T - 2 >= N
    with pytest.raises(ValueError, match="responses_a has 17 neurons but responses_b has 16"):
        coding.linear_fisher_information(responses, responses[:, :16], 1.0)
    with pytest.raises(ValueError, match="trials"):
        coding.linear_fisher_information(responses[:, :3], responses[:9, :3], 1.0)
    for delta in (0.0, -0.1):
        with pytest.raises(ValueError, match="delta_stimulus"):
            coding.linear_fisher_information(responses[:, :3], responses[:, :3] + 1, delta)
    constant = responses[:, :3].copy()
    constant[:, 1] = 2.0
    with pytest.raises(ValueError, match="singular"):
        coding.linear_fisher_information(constant, constant, 1.0)
    with pytest.raises(ValueError, match="responses_b"):
        coding.linear_fisher_information(responses[:, :3], np.full((10, 3), np.nan), 1.0)
    with pytest.raises(ValueError, match="neuron"):
        coding.linear_fisher_information(xr.DataArray(responses[:, :3], dims=("trial", "neuron"),
                                                      coords={"neuron": [0, 1, 2]}),
                                         xr.DataArray(responses[:, :3], dims=("trial", "neuron"),
                                                      coords={"neuron": [0, 1, 5]}), 1.0)


def test_fisher_information_by_population_size():
    n_neurons, n_trials, delta = 20, 200, 1.0
    derivative, covariance, _ = gaussian_population(n_neurons)
    responses_a, responses_b = draw_pair(np.random.default_rng(4), derivative, covariance, n_trials, delta)
    sizes = [2, 5, 10, 20]
    curve = coding.fisher_information_by_population_size(responses_a, responses_b, delta, sizes,
                                                         n_subsets=30, seed=3)
    assert curve.dims == ("population_size",)
    assert curve["population_size"].values.tolist() == sizes
    assert "sd" in curve.coords and curve["sd"].sel(population_size=20) == 0
    full = coding.linear_fisher_information(responses_a, responses_b, delta)
    assert float(curve.sel(population_size=20)) == pytest.approx(float(full), rel=1e-12)
    # naive information never decreases when neurons are added, so its subset means increase
    naive_curve = coding.fisher_information_by_population_size(responses_a, responses_b, delta, sizes,
                                                               n_subsets=30, seed=3, bias_corrected=False)
    assert np.all(np.diff(naive_curve.values) > 0)
    # reproducible, and a size's result does not depend on the other sizes requested
    again = coding.fisher_information_by_population_size(responses_a, responses_b, delta, [5],
                                                         n_subsets=30, seed=3)
    assert float(again.sel(population_size=5)) == float(curve.sel(population_size=5))
    with pytest.raises(ValueError, match="sizes"):
        coding.fisher_information_by_population_size(responses_a, responses_b, delta, [21])
    with pytest.raises(ValueError, match="sizes"):
        coding.fisher_information_by_population_size(responses_a[:11], responses_b[:11], delta, [20])
    with pytest.raises(ValueError, match="n_subsets"):
        coding.fisher_information_by_population_size(responses_a, responses_b, delta, [5], n_subsets=0)


# ------------------------------------------------------------------ discrimination thresholds
def test_discrimination_threshold():
    assert coding.discrimination_threshold(4.0) == pytest.approx(0.5)
    assert coding.discrimination_threshold(4.0, d_prime=2.0) == pytest.approx(1.0)
    np.testing.assert_allclose(coding.discrimination_threshold(np.array([1.0, 100.0, 0.0, -3.0, np.inf])),
                               [1.0, 0.1, np.nan, np.nan, 0.0])
    information = xr.DataArray([25.0, -1.0], dims="population_size", coords={"population_size": [5, 10]})
    threshold = coding.discrimination_threshold(information)
    assert threshold.dims == ("population_size",) and threshold.attrs["units"] == "stimulus_unit"
    np.testing.assert_allclose(threshold.values, [0.2, np.nan])
    for d_prime in (0.0, -1.0):
        with pytest.raises(ValueError, match="d_prime"):
            coding.discrimination_threshold(1.0, d_prime=d_prime)
    with pytest.raises(TypeError, match="fisher_information"):
        coding.discrimination_threshold("big")
