"""Tests of nsnn_sim.coding.decoding (PoissonDecoder, EmpiricalDecoder) and nsnn_sim.coding.posterior (coverage,
covers, circular_error).

Statistical checks use fixed seeds and a tolerance of 4 standard errors; each SE is named where it
is used (binomial SE of a coverage, SE of a variance estimate, SE of a paired mean difference).
"""

import math

import numpy as np
import pytest
import xarray as xr

from nsnn_sim.coding import decoding, fisher, posterior, tuning

LEVELS = (0.5, 0.8, 0.9, 0.95)


# ------------------------------------------------------------------ builders
def tiling(n_neurons):
    """Preferred orientations tiling [0, pi) evenly."""
    return np.arange(n_neurons) * np.pi / n_neurons


def true_curves(preferred, kappa, baseline, gain):
    """The callable f(stimulus_grid) -> (n_grid, n_neurons) of the true von Mises curves."""
    return lambda grid: tuning.von_mises_tuning(grid[:, None], preferred, kappa, baseline, gain)


def poisson_trials(rng, stimuli, preferred, kappa, baseline, gain):
    """Independent Poisson counts, (trial, neuron), with means f_i(s_t)."""
    return rng.poisson(tuning.von_mises_tuning(stimuli[:, None], preferred, kappa, baseline, gain))


def poisson_fisher_information(stimuli, preferred, kappa, baseline, gain):
    """I(s) = sum_i f_i'(s)^2 / f_i(s) of the von Mises curves (fisher.poisson_fisher_information,
    tested against its formula, a closed form and the variance of the score in test_fisher.py)."""
    arguments = (stimuli[:, None], preferred, kappa, baseline, gain)
    return fisher.poisson_fisher_information(tuning.von_mises_tuning(*arguments),
                                             tuning.von_mises_tuning_derivative(*arguments))


def variance_ratio(decoded, estimate_name, stimuli, information):
    """Var over trials of the circular error scaled by sqrt(I(s_t)) (= var * I), and the SE of that
    sample variance, SE(v) = sqrt((m4 - v^2 (n-3)/(n-1)) / n) with m4 the 4th central moment. For a
    Gaussian error (m4 = 3 v^2) this is SE(v)/v = sqrt(2/(n-1)); the general form also covers the
    heavier-tailed errors of a small population (excess kurtosis ~2.7 at N = 10, ~0 at N = 400)."""
    scaled = posterior.circular_error(decoded[estimate_name].values, stimuli) * np.sqrt(information)
    n_trials = scaled.size
    ratio = scaled.var(ddof=1)
    fourth_moment = np.mean((scaled - scaled.mean()) ** 4)
    return ratio, math.sqrt((fourth_moment - ratio ** 2 * (n_trials - 3) / (n_trials - 1)) / n_trials)


# ------------------------------------------------------------------ circular error
def test_circular_error_wraps_into_half_open_interval():
    assert posterior.circular_error(0.1, np.pi - 0.1) == pytest.approx(0.2)
    assert posterior.circular_error(np.pi - 0.1, 0.1) == pytest.approx(-0.2)
    assert posterior.circular_error(0.3, 0.3 + np.pi) == pytest.approx(0.0, abs=1e-12)
    assert posterior.circular_error(np.pi / 2, 0.0) == pytest.approx(-np.pi / 2)   # [-pi/2, pi/2)
    errors = posterior.circular_error(np.linspace(-10, 10, 1001), 1.0)
    assert np.all(errors >= -np.pi / 2) and np.all(errors < np.pi / 2)
    labelled = posterior.circular_error(xr.DataArray([0.0, 3.0], dims="trial"), 0.1)
    assert labelled.dims == ("trial",) and labelled.attrs["units"] == "rad"
    with pytest.raises(ValueError, match="truth"):
        posterior.circular_error(0.0, np.nan)


# ------------------------------------------------------------------ PoissonDecoder
def test_poisson_decoder_output_structure_and_single_trial():
    preferred = tiling(12)
    decoder = decoding.PoissonDecoder(true_curves(preferred, 1.5, 1.0, 8.0), grid_size=180)
    counts = poisson_trials(np.random.default_rng(1), np.array([0.4, 2.9]), preferred, 1.5, 1.0, 8.0)
    labelled = xr.DataArray(counts, dims=("trial", "neuron"), coords={"trial": [10, 11]})
    decoded = decoder.decode(labelled, credible=0.8)
    assert decoded["posterior"].dims == ("trial", "stimulus_grid")
    assert decoded.sizes == {"trial": 2, "stimulus_grid": 180}
    assert list(decoded["trial"].values) == [10, 11]
    np.testing.assert_allclose(decoded["posterior"].sum("stimulus_grid"), 1.0)
    assert decoded.attrs["credible"] == 0.8
    for name in ("posterior_mean", "map_estimate", "credible_lower", "credible_upper"):
        values = decoded[name].values
        assert np.all((values >= 0) & (values < np.pi)), name
    assert np.all(decoded["posterior_sd"] > 0) and np.all(decoded["credible_width"] > 0)

    single = decoder.decode(counts[1])
    assert "trial" not in single.dims and single["posterior"].dims == ("stimulus_grid",)
    assert float(single["posterior_mean"]) == pytest.approx(float(decoded["posterior_mean"][1]))
    assert isinstance(posterior.covers(single, float(single["posterior_mean"])), bool)


def test_posterior_summaries_match_their_definitions():
    """Circular mean / SD from the doubled angle, and the interval holds `credible` of the mass."""
    preferred = tiling(8)
    decoder = decoding.PoissonDecoder(true_curves(preferred, 1.0, 1.0, 3.0), grid_size=90)
    counts = np.array([[0, 1, 3, 2, 0, 1, 0, 0], [2, 0, 0, 1, 1, 0, 0, 3]])  # the second wraps near 0
    decoded = decoder.decode(counts, credible=0.7)
    grid = decoded["stimulus_grid"].values
    for trial in range(2):
        mass = decoded["posterior"].values[trial]
        # the circular mean m maximises sum p cos(2(s - m)) (first derivative 0, second < 0), and then
        # that maximum is the resultant length R, so the SD is sqrt(-2 ln R)/2 with R from the projection
        mean = decoded["posterior_mean"].values[trial]
        assert abs(np.sum(mass * np.sin(2 * (grid - mean)))) < 1e-12
        projected = np.sum(mass * np.cos(2 * (grid - mean)))
        assert projected > 0
        assert decoded["posterior_sd"].values[trial] == pytest.approx(0.5 * math.sqrt(-2 * math.log(projected)),
                                                                      rel=1e-12)
        # mass inside the arc, each grid point's mass spread uniformly over its cell of width pi/90
        lower = decoded["credible_lower"].values[trial]
        width = decoded["credible_width"].values[trial]
        fine = np.mod(grid[:, None] + (np.arange(200)[None, :] + 0.5) / 200 * np.pi / 90 - np.pi / 180, np.pi)
        inside = np.mod(fine - lower, np.pi) <= width
        assert np.sum(mass[:, None] * inside) / 200 == pytest.approx(0.7, abs=2e-3)
    # the second posterior straddles 0: its interval wraps (upper < lower) and contains 0
    assert decoded["credible_upper"].values[1] < decoded["credible_lower"].values[1]
    assert bool(posterior.covers(decoded.isel(trial=1), 0.0))


def test_measured_tuning_is_interpolated_linearly_and_periodically():
    stimuli = np.arange(8) * np.pi / 8
    means = np.stack([1.0 + stimuli, 5.0 - 0.5 * stimuli], axis=1)          # (stimulus, neuron)
    measured = xr.DataArray(means, dims=("stimulus", "neuron"), coords={"stimulus": stimuli})
    decoder = decoding.PoissonDecoder(measured, grid_size=16)
    expected = decoder.expected_counts.values
    np.testing.assert_allclose(expected[::2], means)                             # exact at the nodes
    np.testing.assert_allclose(expected[1:-1:2], 0.5 * (means[:-1] + means[1:]))  # midpoints
    np.testing.assert_allclose(expected[-1], 0.5 * (means[-1] + means[0]))       # wraps around pi
    # rates in Hz need the window; the expected count is rate * window
    hertz = measured.assign_attrs(units="Hz")
    with pytest.raises(ValueError, match="window"):
        decoding.PoissonDecoder(hertz)
    np.testing.assert_allclose(decoding.PoissonDecoder(hertz, window=0.25, grid_size=16).expected_counts,
                               0.25 * expected)


def test_from_tuning_fit_uses_the_von_mises_curves():
    preferred = tiling(6)
    fit = xr.Dataset({"preferred": ("neuron", preferred), "kappa": ("neuron", np.full(6, 2.0)),
                      "baseline": ("neuron", np.full(6, 1.0)), "gain": ("neuron", np.full(6, 9.0))},
                     coords={"neuron": np.arange(100, 106)})
    from_fit = decoding.PoissonDecoder.from_tuning_fit(fit, grid_size=60)
    direct = decoding.PoissonDecoder(true_curves(preferred, 2.0, 1.0, 9.0), grid_size=60)
    np.testing.assert_allclose(from_fit.expected_counts, direct.expected_counts)
    assert list(from_fit.neurons) == list(range(100, 106))
    counts = xr.DataArray(np.ones((3, 6)), dims=("trial", "neuron"), coords={"neuron": np.arange(6)})
    with pytest.raises(ValueError, match="neuron"):
        from_fit.decode(counts)                                                  # other labels
    with pytest.raises(ValueError, match="converge"):
        decoding.PoissonDecoder.from_tuning_fit(fit.assign(kappa=("neuron", [np.nan] + [2.0] * 5)))


def test_poisson_decoder_posterior_is_bayes_rule_with_a_flat_prior():
    """The exact counterpart of the calibration tests below: the posterior on the grid is ``prod_i
    Poisson(n_i; f_i(s_k)) / sum_k prod_i Poisson(n_i; f_i(s_k))``, scipy's Poisson pmf multiplied here, to 1e-10;
    then the coverage of a stimulus drawn from the prior equals the expected posterior mass of the credible
    interval for any decoder that computes this posterior (calibration), so the statistical tests only add
    the interval's bookkeeping (checked exactly in test_posterior_summaries_match_their_definitions)."""
    from scipy import stats

    preferred = tiling(6)
    decoder = decoding.PoissonDecoder(true_curves(preferred, 1.2, 0.5, 6.0), grid_size=48)
    counts = poisson_trials(np.random.default_rng(5), np.array([0.3, 1.7, 2.9]), preferred, 1.2, 0.5, 6.0)
    decoded = decoder.decode(counts)
    rates = tuning.von_mises_tuning(decoder.grid[:, None], preferred, 1.2, 0.5, 6.0)  # (grid, neuron)
    for trial in range(3):
        likelihood = np.prod(stats.poisson.pmf(counts[trial][None, :], rates), axis=1)
        np.testing.assert_allclose(decoded["posterior"].values[trial], likelihood / likelihood.sum(), rtol=1e-10)


def test_poisson_decoder_with_true_tuning_is_calibrated():
    """50 von Mises neurons, 2000 trials, stimuli uniform on [0, pi): the coverage of the central
    interval at each nominal level c is c within 4 binomial SE, SE = sqrt(c (1 - c) / n)."""
    rng = np.random.default_rng(2024)
    preferred, kappa, baseline, gain = tiling(50), 2.0, 1.0, 10.0
    stimuli = rng.uniform(0.0, np.pi, 2000)
    counts = poisson_trials(rng, stimuli, preferred, kappa, baseline, gain)
    decoder = decoding.PoissonDecoder(true_curves(preferred, kappa, baseline, gain))
    decoded = decoder.decode(counts, credible=0.9)

    covered = posterior.covers(decoded, stimuli)
    assert covered.dims == ("trial",)
    # binomial SE 0.0067 at 0.9 (0.0112, 0.0089, 0.0049 at 0.5, 0.8, 0.95): power, a coverage error of (4 + 1.28) SE
    # = 0.035 (3.9 % of 0.9; 12 %, 5.9 %, 2.7 % of the other levels) is detected nine times in ten. Above 1 %: the
    # posterior is Bayes' rule exactly (the test above), which makes the coverage calibrated
    standard_error = math.sqrt(0.9 * 0.1 / stimuli.size)
    assert abs(float(covered.mean()) - 0.9) < 4 * standard_error
    curve = posterior.coverage(decoded, stimuli, LEVELS)
    # the coverage at 0.9 counted by hand: the truth on the arc [lower, lower + width] (mod pi)
    lower, width = decoded["credible_lower"].values, decoded["credible_width"].values
    by_hand = np.mean(np.mod(stimuli - lower, np.pi) <= width)
    assert float(covered.mean()) == pytest.approx(by_hand) and float(curve.sel(level=0.9)) == pytest.approx(by_hand)
    levels = np.asarray(LEVELS)  # the stated SE is the binomial SE at the nominal level, sqrt(l (1 - l) / n)
    np.testing.assert_allclose(curve["se"].values, np.sqrt(levels * (1 - levels) / stimuli.size), rtol=1e-12)
    for level in LEVELS:
        assert abs(float(curve.sel(level=level)) - level) < 4 * float(curve["se"].sel(level=level)), level
    # the posterior SD matches the actual error spread (RMS over trials; SE of an RMS ~ RMS/sqrt(2n) = 1.6 %:
    # power (4 + 1.28) SE = 8.3 %; the posterior SD is exact in test_posterior_summaries_match_their_definitions)
    rms = math.sqrt(np.mean(posterior.circular_error(decoded["posterior_mean"].values, stimuli) ** 2))
    typical_sd = math.sqrt(np.mean(decoded["posterior_sd"].values ** 2))
    assert abs(rms / typical_sd - 1.0) < 4 / math.sqrt(2 * stimuli.size)


def test_error_reaches_cramer_rao_bound_for_large_populations_only():
    """var(error * sqrt(I(s))) = 1 for an efficient decoder, I(s) = sum f'^2 / f (Poisson).

    The excess over the bound is O(1/I): measured (10 x 4000 trials, gain 5) as 27 %, 10 %, 3.1 %,
    1.6 % at N = 10, 20, 50, 100 (I = 34, 68, 169, 338), i.e. ~6-9 / I. The efficient case is N = 100
    at gain 20 (I ~ 1570 rad^-2, an excess of ~0.5 %; measured +0.5 +- 0.5 % here, -0.6 and -0.4 +- 0.6 %
    with other draws), decoded on a 180-point grid (spacing 0.6 posterior SDs: the grid sums'
    aliasing error is ~exp(-2 pi^2/0.6^2), nil). With n = 80,000 trials SE(v)/v = sqrt(2/(n-1)) =
    0.50 % (Gaussian errors), so the threshold 4 SE = 2.0 %: a shift of the ratio by more than
    2.0 % + 0.6 % (the excess) = 2.6 % fails, so a 3 % error in the decoder's variance or in I(s) is
    caught (checked: I(s) scaled by 1.03 or 0.97 fails); power, an error of (4 + 1.28) SE = 2.6 % is detected
    nine times in ten. I(s) itself is exact (its formula and Bessel closed form, test_fisher.py); the
    decoder's efficiency is an asymptotic property with no exact counterpart. No bias allowance is added.
    N = 10 (gain 5, 4000 trials): the ratio is above 1 by more than 4 SE (it is 1.27, SE 4.2 %: 6.4 SE).
    """
    kappa, baseline = 1.0, 0.5
    rng = np.random.default_rng(400)
    ratios = {}
    for n_neurons, gain, n_trials, grid_size in ((100, 20.0, 80_000, 180), (10, 5.0, 4000, 360)):
        preferred = tiling(n_neurons)
        stimuli = rng.uniform(0.0, np.pi, n_trials)
        counts = poisson_trials(rng, stimuli, preferred, kappa, baseline, gain)
        decoder = decoding.PoissonDecoder(true_curves(preferred, kappa, baseline, gain), grid_size=grid_size)
        decoded = decoder.decode(counts)
        information = poisson_fisher_information(stimuli, preferred, kappa, baseline, gain)
        for name in ("map_estimate", "posterior_mean"):
            ratios[n_neurons, name] = variance_ratio(decoded, name, stimuli, information)
    for name in ("map_estimate", "posterior_mean"):
        ratio, standard_error = ratios[100, name]
        assert standard_error < 0.0055  # the power stated above
        assert abs(ratio - 1.0) < 4 * standard_error, (name, ratio, standard_error)
        ratio, standard_error = ratios[10, name]
        assert ratio - 1.0 > 4 * standard_error, (name, ratio, standard_error)


# ------------------------------------------------------------------ EmpiricalDecoder
def test_empirical_decoder_is_calibrated_and_close_to_poisson_decoder():
    """Trained on 10000 simulated trials per stimulus (72 orientations, 30 Poisson neurons), decoding
    2000 held-out trials: 90 % coverage within 4 binomial SE; mean squared error of the posterior
    mean equal to that of the PoissonDecoder with the true curves on the same grid within 4 SE of
    the paired difference (SE = SD of the per-trial differences of squared errors / sqrt(n)).
    The finite training set makes the learned likelihood slightly worse (an O(1/T_train) excess,
    ~0.5 % of the MSE, ~1.5 SE here, measured over 8 seeds)."""
    rng = np.random.default_rng(72)
    preferred, kappa, baseline, gain = tiling(30), 1.0, 0.5, 4.0
    grid = np.arange(72) * np.pi / 72
    rates = tuning.von_mises_tuning(grid[:, None], preferred, kappa, baseline, gain)
    training = xr.DataArray(rng.poisson(rates[:, None, :], size=(72, 10000, 30)),
                            dims=("stimulus", "trial", "neuron"), coords={"stimulus": grid})
    empirical = decoding.EmpiricalDecoder(training)
    np.testing.assert_allclose(empirical.grid, grid)

    index = rng.integers(0, 72, 2000)
    stimuli, counts = grid[index], rng.poisson(rates[index])
    decoded = empirical.decode(counts)
    # binomial SE 0.0067: power, a coverage error of (4 + 1.28) SE = 0.035 (3.9 % of 0.9) is detected nine times
    # in ten; the empirical likelihood's histogram is exact in test_empirical_histogram_and_overflow_bin
    standard_error = math.sqrt(0.9 * 0.1 / stimuli.size)
    assert abs(float(posterior.covers(decoded, stimuli).mean()) - 0.9) < 4 * standard_error

    reference = decoding.PoissonDecoder(true_curves(preferred, kappa, baseline, gain), grid_size=72)
    np.testing.assert_allclose(reference.grid, grid)
    squared = {name: posterior.circular_error(result["posterior_mean"].values, stimuli) ** 2
               for name, result in (("empirical", decoded), ("poisson", reference.decode(counts)))}
    difference = squared["empirical"] - squared["poisson"]
    # SE of the paired difference 3.0e-5 rad^2, 0.24 % of the MSE (measured): power, an MSE difference of
    # (4 + 1.28) SE = 1.2 % is detected nine times in ten (the decoders' likelihoods: exact tests above)
    assert abs(difference.mean()) < 4 * difference.std(ddof=1) / math.sqrt(difference.size)


def test_empirical_histogram_and_overflow_bin():
    """p(n | s) = (c(n) + alpha) / (T + alpha (M + 2)); counts above M share the overflow bin."""
    responses = xr.DataArray(np.array([[[0], [0], [1]], [[2], [2], [1]]]),
                             dims=("stimulus", "trial", "neuron"), coords={"stimulus": [0.0, 1.0]})
    decoder = decoding.EmpiricalDecoder(responses, smoothing=0.5)
    assert int(decoder.max_count[0]) == 2
    probability = np.exp(decoder.log_probability.isel(neuron=0).values)        # (count, stimulus)
    denominator = 3 + 0.5 * 4
    np.testing.assert_allclose(probability[:, 0], np.array([2.5, 1.5, 0.5, 0.5]) / denominator)
    np.testing.assert_allclose(probability[:, 1], np.array([0.5, 1.5, 2.5, 0.5]) / denominator)
    overflow = decoder.log_likelihood(np.array([7]))
    np.testing.assert_allclose(overflow.values, np.log([0.5, 0.5]) - math.log(denominator))
    masses = decoder.decode(np.array([0]))["posterior"].values
    np.testing.assert_allclose(masses, np.array([2.5, 0.5]) / 3.0)


# ------------------------------------------------------------------ bad input
def test_bad_input_raises_value_error_naming_the_parameter():
    preferred = tiling(5)
    poisson = decoding.PoissonDecoder(true_curves(preferred, 1.0, 1.0, 5.0), grid_size=36)
    grid = np.arange(6) * np.pi / 6
    empirical = decoding.EmpiricalDecoder(xr.DataArray(
        np.random.default_rng(0).poisson(3.0, size=(6, 20, 5)), dims=("stimulus", "trial", "neuron"),
        coords={"stimulus": grid}))
    good = np.ones((4, 5))
    for decoder in (poisson, empirical):
        with pytest.raises(ValueError, match=r"counts has 4 neurons.*n_neurons=5"):
            decoder.decode(np.ones((3, 4)))
        with pytest.raises(ValueError, match=r"counts=.*>= 0"):
            decoder.decode(-good)
        with pytest.raises(ValueError, match="counts.*finite"):
            decoder.decode(np.full((2, 5), np.nan))
        for level in (0.0, 1.0, 1.5, -0.1):
            with pytest.raises(ValueError, match="credible"):
                decoder.decode(good, credible=level)
    with pytest.raises(ValueError, match=r"counts=.*whole numbers"):
        empirical.decode(good + 0.5)
    poisson.decode(good + 0.5)                     # the Poisson log-likelihood is defined for real n >= 0
    decoded = poisson.decode(good)
    with pytest.raises(ValueError, match="levels"):
        posterior.coverage(decoded, np.zeros(4), [0.5, 1.0])
    with pytest.raises(ValueError, match="level"):
        posterior.covers(decoded, np.zeros(4), level=0.0)
    with pytest.raises(ValueError, match="true_stimuli"):
        posterior.coverage(decoded, np.zeros(3), [0.5])

    with pytest.raises(ValueError, match="responses.*non-negative integers"):
        decoding.EmpiricalDecoder(xr.DataArray(np.full((6, 2, 5), 1.5), dims=("stimulus", "trial", "neuron"),
                                             coords={"stimulus": grid}))
    with pytest.raises(ValueError, match="responses.*non-negative integers"):
        decoding.EmpiricalDecoder(xr.DataArray(-np.ones((6, 2, 5)), dims=("stimulus", "trial", "neuron"),
                                             coords={"stimulus": grid}))
    with pytest.raises(ValueError, match="smoothing"):
        decoding.EmpiricalDecoder(xr.DataArray(np.ones((6, 2, 5)), dims=("stimulus", "trial", "neuron"),
                                             coords={"stimulus": grid}), smoothing=0.0)
    with pytest.raises(ValueError, match=r"tuning\['stimulus'\]"):
        decoding.PoissonDecoder(xr.DataArray(np.ones((2, 3)), dims=("stimulus", "neuron"),
                                           coords={"stimulus": [0.0, 4.0]}))
    with pytest.raises(ValueError, match="tuning"):
        decoding.PoissonDecoder(lambda grid: np.ones((grid.size, 3)) * -1.0)
    with pytest.raises(ValueError, match=r"tuning\(stimulus_grid\) must return shape"):
        decoding.PoissonDecoder(lambda grid: np.ones(grid.size))
    with pytest.raises(ValueError, match="window"):
        decoding.PoissonDecoder(true_curves(preferred, 1.0, 1.0, 5.0), window=0.0)
    with pytest.raises(ValueError, match="floor"):
        decoding.PoissonDecoder(true_curves(preferred, 1.0, 1.0, 5.0), floor=0.0)


def test_map_parabolic_refinement_finds_the_continuous_maximum():
    """Curves 10 (1 +- c cos 2s), 10 (1 +- c sin 2s) sum to a constant, so the Poisson log-likelihood is
    sum_i n_i log f_i(s) + const; its continuous maximum is found here with scipy's bounded
    minimiser. On a 360-point grid (step h) the three-point parabola lands within 0.05 h of it
    (its error is O(d h^2) for an offset d from the node); the nearest node alone is off by up to h/2."""
    from scipy import optimize

    depth = 0.6
    def curves(grid):
        c, s = np.cos(2 * grid), np.sin(2 * grid)
        return 10.0 * np.stack([1 + depth * c, 1 - depth * c, 1 + depth * s, 1 - depth * s], axis=-1)

    decoder = decoding.PoissonDecoder(curves, grid_size=360)
    step = np.pi / 360
    rng = np.random.default_rng(3)
    counts = rng.poisson(curves(rng.uniform(0.0, np.pi, 40)))  # unimodal likelihoods
    decoded = decoder.decode(counts)
    node_errors = []
    for trial, n in enumerate(counts):
        def negative_log_likelihood(s):
            return -float(np.sum(n * np.log(curves(np.array([s]))[0])))
        grid = np.arange(360) * step
        best = grid[np.argmin([negative_log_likelihood(s) for s in grid])]
        exact = optimize.minimize_scalar(negative_log_likelihood, bounds=(best - step, best + step),
                                         method="bounded", options={"xatol": 1e-10}).x % np.pi
        error = posterior.circular_error(np.array([decoded["map_estimate"].values[trial]]), np.array([exact]))[0]
        assert abs(error) < 0.05 * step, (trial, error / step)
        node_errors.append(abs(posterior.circular_error(np.array([best]), np.array([exact]))[0]))
    assert max(node_errors) > 0.25 * step  # the refinement has real work to do in this sample


def test_map_refinement_is_the_vertex_of_the_parabola_through_the_maximum_and_its_neighbours():
    """On a 3-point grid (the smallest that is refined) with log-posterior (0, 1, 0.5) at grid points spaced pi/3:
    the parabola through (-1, 0), (0, 1), (1, 0.5) peaks at offset 1/6 of a step; without refinement the MAP is
    the grid point; with a non-concave maximum (a flat top) the offset is 0."""
    grid = np.array([0.0, 1.0, 2.0]) * math.pi / 3
    arguments = dict(credible=0.9, trials=None, one_trial=True, attrs={})
    refined = posterior._grid_posterior(np.array([[0.0, 1.0, 0.5]]), grid, refine_map=True, **arguments)
    assert float(refined["map_estimate"]) == pytest.approx(math.pi / 3 * (1.0 + 1.0 / 6.0), rel=1e-14)
    plain = posterior._grid_posterior(np.array([[0.0, 1.0, 0.5]]), grid, refine_map=False, **arguments)
    assert float(plain["map_estimate"]) == pytest.approx(math.pi / 3, rel=1e-14)
    flat = posterior._grid_posterior(np.array([[1.0, 1.0, 1.0]]), grid, refine_map=True, **arguments)
    assert float(flat["map_estimate"]) == 0.0
