"""Tests of nsnn_sim.coding.tuning: the von Mises tuning curve, its derivative and least-squares fits.

Statistical checks use fixed seeds and a tolerance of 4 standard errors; each SE is named where it
is used (the fit's own reported SEs).
"""

import math

import numpy as np
import pytest
import xarray as xr

from nsnn_sim.coding import tuning

# ------------------------------------------------------------------ builders
ORIENTATIONS = np.arange(16) * np.pi / 16


def poisson_tuning_data(n_neurons=30, n_trials=200, seed=7):
    """Poisson spike counts of neurons with von Mises tuning; returns the DataArray and the truth."""
    rng = np.random.default_rng(seed)
    truth = {"preferred": rng.uniform(0.0, np.pi, n_neurons), "kappa": rng.uniform(0.5, 3.0, n_neurons),
             "baseline": rng.uniform(1.0, 5.0, n_neurons), "gain": rng.uniform(5.0, 30.0, n_neurons)}
    rate = tuning.von_mises_tuning(ORIENTATIONS[:, None], truth["preferred"], truth["kappa"],
                                   truth["baseline"], truth["gain"])             # (stimulus, neuron)
    counts = rng.poisson(rate[:, None, :], size=(ORIENTATIONS.size, n_trials, n_neurons))
    responses = xr.DataArray(counts, dims=("stimulus", "trial", "neuron"),
                             coords={"stimulus": ORIENTATIONS, "neuron": np.arange(n_neurons)},
                             attrs={"units": "spikes"})
    return responses, truth



# ------------------------------------------------------------------ von Mises tuning
def test_von_mises_tuning_values_and_period():
    preferred, kappa, baseline, gain = 0.7, 1.5, 2.0, 10.0
    assert tuning.von_mises_tuning(preferred, preferred, kappa, baseline, gain) == pytest.approx(12.0)
    trough = tuning.von_mises_tuning(preferred + np.pi / 2, preferred, kappa, baseline, gain)
    assert trough == pytest.approx(baseline + gain * math.exp(-2 * kappa))
    stimulus = np.linspace(0, np.pi, 9)
    np.testing.assert_allclose(tuning.von_mises_tuning(stimulus + np.pi, preferred, kappa, baseline, gain),
                               tuning.von_mises_tuning(stimulus, preferred, kappa, baseline, gain))
    # symmetric about the preferred orientation, flat for kappa = 0, broadcasting
    np.testing.assert_allclose(tuning.von_mises_tuning(preferred + stimulus, preferred, kappa, baseline, gain),
                               tuning.von_mises_tuning(preferred - stimulus, preferred, kappa, baseline, gain))
    np.testing.assert_allclose(tuning.von_mises_tuning(stimulus, preferred, 0.0, baseline, gain), 12.0)
    assert tuning.von_mises_tuning(stimulus[:, None], np.zeros(3), kappa, baseline, gain).shape == (9, 3)


def test_von_mises_tuning_keeps_dataarrays_and_rejects_negative_kappa():
    stimulus = xr.DataArray(ORIENTATIONS, dims="stimulus")
    preferred = xr.DataArray([0.0, 1.0], dims="neuron")
    curve = tuning.von_mises_tuning(stimulus, preferred, 1.0, 0.0, 1.0)
    assert isinstance(curve, xr.DataArray) and set(curve.dims) == {"stimulus", "neuron"}
    with pytest.raises(ValueError, match="kappa"):
        tuning.von_mises_tuning(0.0, 0.0, -1.0, 0.0, 1.0)


def test_von_mises_derivative_matches_central_differences():
    """f'(s) against (f(s + h) - f(s - h)) / 2h, h = 1e-5: truncation error h^2 |f'''| / 6 < 1e-6
    here (|f'''| <= g (2 kappa)^3 (1 + ...) ~ 1e4), rounding ~ 1e-16 f / h ~ 1e-10; tolerance 1e-5."""
    stimuli = np.linspace(-1.0, 4.0, 41)[:, None]
    preferred, kappa, baseline, gain, step = np.array([0.2, 1.9]), np.array([0.5, 3.0]), 1.0, 12.0, 1e-5
    derivative = tuning.von_mises_tuning_derivative(stimuli, preferred, kappa, baseline, gain)
    difference = (tuning.von_mises_tuning(stimuli + step, preferred, kappa, baseline, gain)
                  - tuning.von_mises_tuning(stimuli - step, preferred, kappa, baseline, gain)) / (2 * step)
    assert derivative.shape == (41, 2)
    np.testing.assert_allclose(derivative, difference, atol=1e-5)
    labelled = tuning.von_mises_tuning_derivative(xr.DataArray([0.1, 0.5], dims="stimulus"), 0.0, 1.0, 0.0, 1.0)
    assert labelled.dims == ("stimulus",)
    with pytest.raises(ValueError, match="kappa"):
        tuning.von_mises_tuning_derivative(0.0, 0.0, -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="stimulus.*finite"):
        tuning.von_mises_tuning_derivative(np.nan, 0.0, 1.0, 0.0, 1.0)


def test_fit_jacobian_is_the_derivative_of_the_curve_in_each_parameter():
    """The Jacobian handed to the least-squares fit (it sets the fit's reported SEs) against central
    differences of von_mises_tuning in (preferred, kappa, baseline, gain), h = 1e-6: truncation
    h^2 |f^(3)| / 6 < 1e-8 and rounding ~ 1e-16 f / h ~ 1e-9 for f ~ 30; tolerance 1e-6."""
    stimuli = np.linspace(0.0, np.pi, 17, endpoint=False)
    parameters, step = np.array([0.7, 1.8, 2.0, 25.0]), 1e-6
    jacobian = tuning._tuning_jacobian(stimuli, *parameters)
    assert jacobian.shape == (17, 4)
    for column in range(4):
        shift = np.zeros(4)
        shift[column] = step
        difference = (tuning.von_mises_tuning(stimuli, *(parameters + shift))
                      - tuning.von_mises_tuning(stimuli, *(parameters - shift))) / (2 * step)
        np.testing.assert_allclose(jacobian[:, column], difference, atol=1e-6, err_msg=str(column))


def test_responses_without_neuron_labels_are_numbered_from_zero():
    """A DataArray with no ``neuron`` coordinate: the fit's neurons are 0..n-1, with the same fits as
    the labelled responses."""
    responses, _ = poisson_tuning_data(n_neurons=3, n_trials=20, seed=2)
    unlabelled = responses.drop_vars("neuron")
    assert "neuron" not in unlabelled.coords
    fit = tuning.fit_tuning_curves(unlabelled)
    np.testing.assert_array_equal(fit["neuron"].values, np.arange(3))
    labelled = tuning.fit_tuning_curves(responses)
    for name in tuning.TUNING_PARAMETERS:
        np.testing.assert_allclose(fit[name].values, labelled[name].values, rtol=1e-12)


# ------------------------------------------------------------------ tuning-curve fits
def test_fit_recovers_known_parameters_within_their_standard_errors():
    responses, truth = poisson_tuning_data()
    fit = tuning.fit_tuning_curves(responses)
    assert fit["converged"].all()
    assert set(fit.dims) == {"neuron"}
    assert fit["preferred"].attrs["units"] == "rad" and fit["gain"].attrs["units"] == "spikes"
    z_scores = []
    for name, true in truth.items():
        error = fit[name].values - true
        if name == "preferred":  # circular difference, period pi
            error = (error + np.pi / 2) % np.pi - np.pi / 2
        # SE: the fit's own standard error of each parameter (from the covariance); median SE 0.0046 rad
        # (preferred), 3.3 % (kappa), 4.5 % (baseline), 1.3 % (gain) of the value, so a bias of (4 + 1.28) SE =
        # 0.024 rad, 17 %, 24 %, 6.7 % is detected nine times in ten. Above 1 %: the SEs and chi^2 are checked
        # exactly against their formulas in the next test, the curve and its Jacobian exactly above
        z = error / fit[f"{name}_se"].values
        assert np.all(np.abs(z) < 4), f"{name}: |z| up to {np.abs(z).max():.2f}"
        z_scores.append(z)
    # the reported SEs are calibrated: 120 z-scores have SD ~ 1 (SD of the SD ~ 1/sqrt(240) ~ 0.065)
    assert 0.6 < np.std(np.concatenate(z_scores)) < 1.6
    assert np.all((fit["preferred"] >= 0) & (fit["preferred"] < np.pi))
    assert np.all(fit["r_squared"] > 0.95)
    # chi^2/dof averaged over 30 neurons with 12 dof each: mean 1, SE sqrt(2/12/30) ~ 0.075, power (4 + 1.28) SE =
    # 0.39 (the formula itself: next test)
    assert abs(float(fit["reduced_chi_squared"].mean()) - 1.0) < 4 * math.sqrt(2 / 12 / 30)


def test_fit_standard_errors_and_chi_squared_are_their_formulas_at_the_estimate():
    """The exact counterpart of the statistical test above: at the reported estimate, each SE is
    ``sqrt(diag((J^T W J)^-1))`` with ``J`` the curve's derivative in the four parameters by central differences
    here (step 1e-6) and ``W = 1/se_k^2`` the trial means' squared SEs (none below the floor in these data), and
    ``reduced_chi_squared`` is ``sum_k ((m_k - f(s_k))/se_k)^2/(n_stimuli - 4)``; tolerance 1e-5 (the
    differences' error), 1e-10 for chi^2."""
    responses, _ = poisson_tuning_data(n_neurons=4, seed=11)
    fit = tuning.fit_tuning_curves(responses)
    counts = responses.values.astype(float)
    means = counts.mean(axis=1)
    errors = counts.std(axis=1, ddof=1) / math.sqrt(counts.shape[1])
    for neuron in range(4):
        theta = np.array([float(fit[name][neuron]) for name in tuning.TUNING_PARAMETERS])
        se = errors[:, neuron]
        assert se.min() > 0.5 * np.median(se)  # no SE floored
        jacobian = np.empty((ORIENTATIONS.size, 4))
        for j in range(4):
            step = np.zeros(4)
            step[j] = 1e-6 * max(abs(theta[j]), 1.0)
            jacobian[:, j] = (tuning.von_mises_tuning(ORIENTATIONS, *(theta + step))
                              - tuning.von_mises_tuning(ORIENTATIONS, *(theta - step))) / (2 * step[j])
        weighted = jacobian / se[:, None]
        expected = np.sqrt(np.diag(np.linalg.inv(weighted.T @ weighted)))
        reported = np.array([float(fit[f"{name}_se"][neuron]) for name in tuning.TUNING_PARAMETERS])
        np.testing.assert_allclose(reported, expected, rtol=1e-5)
        residual = (means[:, neuron] - tuning.von_mises_tuning(ORIENTATIONS, *theta)) / se
        assert float(fit["reduced_chi_squared"][neuron]) == pytest.approx(residual @ residual / (ORIENTATIONS.size - 4),
                                                                           rel=1e-10)
        # the coefficient of determination of the trial means: 1 - SS_residual/SS_total
        unweighted = means[:, neuron] - tuning.von_mises_tuning(ORIENTATIONS, *theta)
        total = np.sum((means[:, neuron] - means[:, neuron].mean()) ** 2)
        assert float(fit["r_squared"][neuron]) == pytest.approx(1.0 - unweighted @ unweighted / total, rel=1e-12)


def test_fit_accepts_arrays_with_stimuli_and_any_dim_order():
    responses, _ = poisson_tuning_data(n_neurons=3, seed=1)
    from_dataarray = tuning.fit_tuning_curves(responses.transpose("neuron", "trial", "stimulus"))
    from_array = tuning.fit_tuning_curves(responses.values, stimuli=ORIENTATIONS)
    for name in tuning.TUNING_PARAMETERS:
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
        fit = tuning.fit_tuning_curves(responses)
    for neuron in ("silent", "constant"):
        assert not fit["converged"].sel(neuron=neuron)
        assert all(np.isnan(fit[name].sel(neuron=neuron)) for name in tuning.TUNING_PARAMETERS)
    untuned = fit.sel(neuron="untuned")
    assert untuned["converged"]
    # gain ~ 0: within 4 of its SEs of zero; baseline within 4 SE of the rate 5 (SE 0.14 spikes, 2.7 %: power
    # (4 + 1.28) SE = 14 %; a crash-and-robustness test, the SE formula is exact in the test above)
    assert untuned["gain"] < 4 * untuned["gain_se"]
    assert abs(untuned["baseline"] + untuned["gain"] - 5.0) < 4 * math.hypot(untuned["baseline_se"],
                                                                            untuned["gain_se"])


def test_stimulus_with_all_zero_trials_gets_a_finite_weight():
    rng = np.random.default_rng(5)
    rate = tuning.von_mises_tuning(ORIENTATIONS, 1.0, 3.0, 0.0, 20.0)       # trough ~ 0.05 spikes
    counts = rng.poisson(rate[:, None, None], size=(ORIENTATIONS.size, 50, 1)).astype(float)
    counts[np.argmin(rate)] = 0.0                                          # a stimulus with no spikes
    fit = tuning.fit_tuning_curves(counts, stimuli=ORIENTATIONS)
    assert fit["converged"].item()
    # SEs 0.005 rad and 2.4 % of kappa: power (4 + 1.28) SE = 0.026 rad and 13 % (a robustness test; the SE
    # formula is exact in test_fit_standard_errors_and_chi_squared_are_their_formulas_at_the_estimate)
    assert abs(fit["preferred"].item() - 1.0) < 4 * fit["preferred_se"].item()
    assert abs(fit["kappa"].item() - 3.0) < 4 * fit["kappa_se"].item()


def test_fit_argument_errors_name_the_parameter():
    responses, _ = poisson_tuning_data(n_neurons=2, n_trials=5)
    with pytest.raises(ValueError, match="stimuli"):
        tuning.fit_tuning_curves(responses.assign_coords(stimulus=np.rad2deg(ORIENTATIONS)))
    with pytest.raises(ValueError, match="responses must have exactly the dims"):
        tuning.fit_tuning_curves(responses.rename(trial="repeat"))
    with pytest.raises(ValueError, match="stimuli"):
        tuning.fit_tuning_curves(responses.values)
    with pytest.raises(ValueError, match="at least 5"):
        tuning.fit_tuning_curves(responses.isel(stimulus=slice(0, 4)))
    with pytest.raises(ValueError, match="trial"):
        tuning.fit_tuning_curves(responses.isel(trial=slice(0, 1)))
    with pytest.raises(TypeError, match="responses"):
        tuning.fit_tuning_curves(None, stimuli=ORIENTATIONS)

