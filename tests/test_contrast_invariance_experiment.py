"""The contrast-invariance experiment's computations with the simulation stubbed: its models, the half-width, the
group rates and the power-law fit on hand-made data, and every number run stores recomputed from the stub's rates,
so no kernel is compiled (the end-to-end run is tests/test_experiments.py's contrast_invariance test)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim import theory
from nsnn_sim.experiments import contrast_invariance as ci

DEGREES = np.arange(0.0, 90.01, 2.5)  # the documented 2.5-degree grid from the preferred orientation 0 to 90 deg


def test_the_models_are_the_documented_lif_nsnn_and_dsnn_with_the_same_membrane_sd():
    models = ci.models()
    assert list(models) == ["noisy LIF", "NSNN gaussian membrane", "DSNN"]
    lif = ns.LIF(tau=10e-3, sigma=0.3, dt=1e-4, threshold_crossing="bridge", method="euler")
    assert repr(models["noisy LIF"]) == repr(lif)
    nsnn = models["NSNN gaussian membrane"]  # stationary SD scale / sqrt(1 - beta^2) = 0.3
    assert (nsnn.beta, nsnn.noise, nsnn.dt) == (0.5, "gaussian", 1e-3)
    assert nsnn.noise_scale == pytest.approx(0.3 * np.sqrt(0.75), rel=1e-15)
    assert repr(models["DSNN"]) == repr(ns.NSNN(beta=0.5, noise="none", dt=1e-3))
    # the LIF takes mu itself, the NSNNs (1 - beta) mu (their fixed point is I / (1 - beta))
    mu = np.array([0.6, 1.2])
    np.testing.assert_array_equal(ci.drive_of(models["noisy LIF"], mu), mu)
    for name in ("NSNN gaussian membrane", "DSNN"):
        np.testing.assert_array_equal(ci.drive_of(models[name], mu), 0.5 * mu)


def test_the_tuned_input_is_the_contrast_times_a_von_mises_bump_and_the_grids_are_documented():
    theta = np.deg2rad(np.array([0.0, 30.0, 90.0]))
    np.testing.assert_allclose(ci.tuned_input(1.3, theta), 1.3 * np.exp(1.5 * (np.cos(2 * theta) - 1)), rtol=1e-15)
    np.testing.assert_allclose(np.rad2deg(ci.ORIENTATIONS), DEGREES, rtol=1e-12)
    np.testing.assert_array_equal(ci.CONTRASTS, [1.05, 1.15, 1.3, 1.5])
    np.testing.assert_allclose(ci.POWER_LAW_INPUTS, 0.6 + 0.05 * np.arange(9), rtol=1e-12)  # mu in [0.6, 1.0]


def test_half_width_interpolates_linearly_where_the_curve_first_falls_to_half_height():
    tail = np.ones(DEGREES.size - 4)
    # max 10, min 1: half-height 5.5 is crossed between 5 deg (6) and 7.5 deg (2), 1/8 of the way
    curve = np.concatenate([[10.0, 9.0, 6.0, 2.0], tail])
    assert ci.half_width(curve) == pytest.approx(5.0 + 2.5 / 8, rel=1e-14)
    # scaled and shifted curves keep their width; a curve reaching half-height exactly at a grid point
    # is that point; several curves keep their shape
    exact = np.concatenate([[4.0, 3.0, 2.5, 1.0], tail])  # half-height 2.5 at 5 deg
    rates = np.array([[curve, 3 * curve + 7], [exact, exact]])
    np.testing.assert_allclose(ci.half_width(rates), [[5.3125, 5.3125], [5.0, 5.0]], rtol=1e-14)
    # only the last orientation at half-height (max 10, min 1): 7/16 of the way from 87.5 to 90 deg
    late = np.concatenate([np.full(DEGREES.size - 2, 10.0), [9.0, 1.0]])
    assert ci.half_width(late) == pytest.approx(87.5 + 2.5 * 7 / 16, rel=1e-14)
    # undefined (NaN): a flat curve, one already at or below half-height at its first orientation (rising, or
    # exactly at half-height with its peak elsewhere), and a curve with a missing rate
    rising = np.linspace(1.0, 2.0, DEGREES.size)
    shifted = np.concatenate([[2.0, 3.0], np.ones(DEGREES.size - 2)])
    missing = np.concatenate([curve[:-1], [np.nan]])
    for undefined in (np.full(DEGREES.size, 3.0), rising, shifted, missing):
        assert np.isnan(ci.half_width(undefined))


@pytest.mark.parametrize("name, dt", [("noisy LIF", 1e-4), ("NSNN gaussian membrane", 1e-3)])
def test_group_rates_are_the_per_group_mean_counts_after_the_warmup_over_the_duration(monkeypatch, name, dt):
    model, mu, n_trials, calls = ci.models()[name], np.array([0.7, 0.9, 1.1]), 60, []
    counts = np.random.default_rng(2).poisson(5.0, (n_trials, mu.size))

    def simulate(model, drive, n_neurons, n_steps, n_trials, seed):
        calls.append((model, np.array(drive), n_neurons, n_steps, n_trials, seed))

        def crop(start):
            calls.append(start)
            return SimpleNamespace(counts=lambda: SimpleNamespace(values=counts))
        return SimpleNamespace(spikes=SimpleNamespace(crop=crop))

    monkeypatch.setattr(ci.ns, "simulate", simulate)
    rates = ci.group_rates(model, mu, n_trials, 0.5, 8)
    (simulated, drive, n_neurons, n_steps, trials, seed), start = calls
    # one neuron per input, 0.1 s warm-up + 0.5 s, cropped at the warm-up
    assert (simulated, n_neurons, n_steps, trials, seed, start) == (model, 3, round(0.6 / dt), 60, 8, 0.1)
    np.testing.assert_array_equal(drive, ci.drive_of(model, mu))
    # trial t belongs to group t mod 20: groups of trials g, g + 20, g + 40
    expected = counts.reshape(3, 20, mu.size).mean(axis=0) / 0.5
    np.testing.assert_allclose(rates, expected, rtol=1e-14)


def test_power_law_fit_is_the_weighted_least_squares_line_of_the_logs():
    mu = ci.POWER_LAW_INPUTS
    rate = 40 * mu**3.5 * (1 + 0.05 * np.sin(7 * mu))  # not exactly a power law: chi-squared > 0
    se = rate * (0.02 + 0.01 * mu)
    exponent, exponent_se, chi2 = ci.power_law_fit(mu, rate, se)
    # numpy's weighted fit: weights 1 / SE(log rate) on the residuals, unscaled covariance
    (slope, intercept), covariance = np.polyfit(np.log(mu), np.log(rate), 1, w=rate / se, cov="unscaled")
    residual = (np.log(rate) - intercept - slope * np.log(mu)) / (se / rate)
    np.testing.assert_allclose([exponent, exponent_se, chi2],
                               [slope, np.sqrt(covariance[0, 0]), np.sum(residual**2) / 7], rtol=1e-9)
    assert chi2 > 0.1
    exact = ci.power_law_fit(mu, 2 * mu**2.5, 0.1 * mu)
    np.testing.assert_allclose(exact[0], 2.5, rtol=1e-12)
    assert exact[2] < 1e-20


def _fake_group_rates(calls):
    """Per-group rates (20, inputs): a seeded threshold-linear-squared response with 5 % group scatter."""

    def group_rates(model, membrane_input, n_trials, duration, seed):
        calls.append((repr(model), membrane_input.copy(), n_trials, duration, seed))
        generator = np.random.default_rng(seed)
        scatter = 1 + 0.05 * generator.standard_normal((20, membrane_input.size))
        return (5 + 80 * np.maximum(membrane_input - 0.3, 0) ** 2) * scatter

    return group_rates


@pytest.mark.parametrize("quick, n_trials, duration", [(True, 40, 1.0), (False, 200, 2.0)])
def test_run_simulates_each_model_and_stores_what_it_computes_from_the_rates(monkeypatch, quick, n_trials, duration):
    calls = []
    monkeypatch.setattr(ci, "group_rates", _fake_group_rates(calls))
    data = ci.run(quick=quick, seed=6)
    models = ci.models()
    grid = np.array([c * np.exp(1.5 * (np.cos(2 * ci.ORIENTATIONS) - 1)) for c in ci.CONTRASTS])
    # every model on the (contrast, orientation) grid with seeds 6, 7, 8; the noisy ones on the power-law inputs
    # with seeds 16, 17
    expected = [(repr(models[name]), grid.ravel(), index) for index, name in enumerate(models)]
    expected += [(repr(models[name]), ci.POWER_LAW_INPUTS, 10 + index)
                 for index, name in enumerate(["noisy LIF", "NSNN gaussian membrane"])]
    assert len(calls) == len(expected)
    for (model, inputs, trials, length, seed), (expected_model, expected_inputs, offset) in zip(calls, expected):
        assert (model, trials, length, seed) == (expected_model, n_trials, duration, 6 + offset)
        np.testing.assert_array_equal(inputs, expected_inputs)
    assert data["model"].values.tolist() == list(models)
    assert data["noisy_model"].values.tolist() == ["noisy LIF", "NSNN gaussian membrane"]
    for index, name in enumerate(models):
        per_group = _fake_group_rates([])(models[name], grid.ravel(), n_trials, duration, 6 + index).reshape(20, 4, -1)
        row = data.sel(model=name)
        np.testing.assert_allclose(row["tuning"].values, per_group.mean(axis=0), rtol=1e-14)
        np.testing.assert_allclose(row["tuning_se"].values, per_group.std(axis=0, ddof=1) / np.sqrt(20), rtol=1e-12)
        np.testing.assert_array_equal(row["half_width"].values, ci.half_width(per_group.mean(axis=0)))
        # jackknife over the 20 groups: the widths of the means of the 19 others
        others = np.array([ci.half_width(np.delete(per_group, g, axis=0).mean(axis=0)) for g in range(20)])
        jackknife = np.sqrt(19 / 20 * np.sum((others - others.mean(axis=0)) ** 2, axis=0))
        np.testing.assert_allclose(row["half_width_se"].values, jackknife, rtol=1e-9)
    for index, name in enumerate(["noisy LIF", "NSNN gaussian membrane"]):
        per_group = _fake_group_rates([])(models[name], ci.POWER_LAW_INPUTS, n_trials, duration, 16 + index)
        rate, se = per_group.mean(axis=0), per_group.std(axis=0, ddof=1) / np.sqrt(20)
        row = data.sel(noisy_model=name)
        np.testing.assert_allclose(row["power_law_rate"].values, rate, rtol=1e-14)
        np.testing.assert_allclose(row["power_law_rate_se"].values, se, rtol=1e-12)
        fitted = [row[key].values for key in ("power_law_exponent", "power_law_exponent_se", "power_law_reduced_chi2")]
        np.testing.assert_allclose(fitted, ci.power_law_fit(ci.POWER_LAW_INPUTS, rate, se), rtol=1e-12)
    _check_theory(data, grid)
    attrs = {key: data.attrs[key] for key in ("seed", "quick", "n_trials", "duration_s", "kappa", "beta", "sigma",
                                              "n_groups")}
    assert attrs == {"seed": 6, "quick": int(quick), "n_trials": n_trials, "duration_s": duration, "kappa": 1.5,
                     "beta": 0.5, "sigma": 0.3, "n_groups": 20}
    assert json.loads(data.attrs["models"]) == {name: model.to_dict() for name, model in models.items()}


def _check_theory(data, grid: np.ndarray) -> None:
    """The Siegert rates of the LIF (tau 10 ms, sigma 0.3) on the grid and the power-law inputs, their widths and
    log-log slope, and the input's own width."""
    siegert = np.array([[theory.siegert_rate(mu, 0.3, 10e-3) for mu in row] for row in grid])
    np.testing.assert_array_equal(data["siegert_tuning"].values, siegert)
    np.testing.assert_array_equal(data["siegert_half_width"].values, ci.half_width(siegert))
    np.testing.assert_array_equal(data["input_half_width"].values, ci.half_width(grid))
    law = np.array([theory.siegert_rate(mu, 0.3, 10e-3) for mu in ci.POWER_LAW_INPUTS])
    np.testing.assert_array_equal(data["siegert_power_law_rate"].values, law)
    slope = np.linalg.lstsq(np.column_stack([np.log(ci.POWER_LAW_INPUTS), np.ones(9)]), np.log(law), rcond=None)[0][0]
    assert data.attrs["siegert_power_law_exponent"] == pytest.approx(slope, rel=1e-10)
