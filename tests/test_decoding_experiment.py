"""The decoding experiment's computations with the simulation and the von Mises fits stubbed: the trials, windows,
contrasts and seeds it simulates, and every number it stores recomputed from the stubs' counts and fits, so no kernel
is compiled and no curve is fitted (the end-to-end run is tests/test_experiments.py's decoding_experiment test)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

from nsnn_sim import coding
from nsnn_sim.experiments import decoding, tuning

SEED = 3
NAMES = ["NSNN gaussian membrane", "NSNN logistic escape", "DSNN + input noise", "Poisson reference"]
GRID = np.arange(16) * np.pi / 16  # the 16 training orientations k pi / 16
FINE = np.arange(64) * np.pi / 64  # the empirical decoder's 64 orientations
WINDOWS = (0.05, 0.1, 0.25)


def _stub_counts(name, orientations, preferred, window, contrast, seed):
    """Poisson counts with mean 200 x window x contrast x the von Mises drive: tuned, window- and contrast-scaled;
    but neurons 4, 13, 22, ... are silent below 90 deg, neurons 6, 15, 24, ... above, and neurons 5, 14, 23, ...
    fire 100 times less (a count variance below 1)."""
    mean = 200 * window * contrast * tuning.drive(orientations, preferred)
    mean[:, 4::9] *= orientations[:, None] >= np.pi / 2
    mean[:, 6::9] *= orientations[:, None] <= np.pi / 2
    mean[:, 5::9] *= 0.01
    return np.random.default_rng(seed).poisson(mean)


def _stub_fit(responses: xr.DataArray, all_converged: bool = False) -> xr.Dataset:
    """A von Mises 'fit' read off the trial means: the preferred orientation at the largest mean, kappa 2, the smallest
    mean + 0.5 as baseline, the range as gain; neurons 2, 7, 12, ... not converged (NaN parameters) unless
    ``all_converged`` (the run's first fit: the Poisson reference built on it picks its 16 empirical-decoder neurons
    by index among all 64)."""
    mean = responses.mean("trial").transpose("stimulus", "neuron").values
    converged = (np.arange(mean.shape[1]) % 5 != 2) | all_converged
    values = {"preferred": responses["stimulus"].values[mean.argmax(axis=0)], "kappa": np.full(mean.shape[1], 2.0),
              "baseline": mean.min(axis=0) + 0.5, "gain": np.ptp(mean, axis=0)}
    return xr.Dataset({key: ("neuron", np.where(converged, value, np.nan)) for key, value in values.items()}
                      | {"converged": ("neuron", converged)})


@pytest.fixture(scope="module")
def stubbed():
    """The quick run (seed 3) with ``counts`` and ``fit_tuning_curves`` stubbed; the calls each received."""
    calls, fits = [], []

    def counts(name, model, orientations, preferred, window, contrast, seed):
        result = _stub_counts(name, orientations, preferred, window, contrast, seed)
        calls.append(SimpleNamespace(name=name, model=repr(model), orientations=orientations.copy(), window=window,
                                     contrast=contrast, seed=seed, preferred=preferred.copy(), counts=result))
        return result

    def fit_tuning_curves(responses):
        fits.append(responses.copy())
        return _stub_fit(responses, all_converged=len(fits) == 1)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decoding, "counts", counts)
        patch.setattr(decoding.coding, "fit_tuning_curves", fit_tuning_curves)
        data = decoding.run(quick=True, seed=SEED)
    by_key = {(call.name, call.seed): call.counts for call in calls}
    return SimpleNamespace(data=data, calls=calls, fits=fits, counts=lambda name, seed: by_key[(name, seed)])


def _draws(n_models: int = 3):
    """The run's shared generator: 400 uniform test orientations, then one set of 400 fine-grid truths per model."""
    generator = np.random.default_rng(SEED)
    test = generator.uniform(0, np.pi, 400)
    return test, [FINE[generator.integers(0, 64, 400)] for _ in range(n_models)]


def _rms(estimate, truth) -> float:
    error = (estimate - truth + np.pi / 2) % np.pi - np.pi / 2  # the short way round, period pi
    return float(np.sqrt(np.mean(error**2)))


def _information(fit: xr.Dataset, stimuli: np.ndarray) -> np.ndarray:
    """sum_i f_i'(s)^2 / max(f_i(s), 1e-9) of f = b + g exp(kappa (cos 2(s - s_pref) - 1)), by hand."""
    p, k, b, g = (fit[name].values for name in ("preferred", "kappa", "baseline", "gain"))
    bump = g * np.exp(k * (np.cos(2 * (stimuli[:, None] - p)) - 1))
    slope = -2 * k * np.sin(2 * (stimuli[:, None] - p)) * bump
    return np.sum(slope**2 / np.maximum(b + bump, 1e-9), axis=1)


def _decode(fit: xr.Dataset, counts: np.ndarray, window: float | None = None, **options) -> xr.Dataset:
    return coding.PoissonDecoder.from_tuning_fit(fit, window=window).decode(counts, **options)


# ---------------------------------------------------------------------------------------------------- small helpers


@pytest.mark.parametrize("name, jittered", [("NSNN logistic escape", False), ("DSNN + input noise", True)])
def test_counts_simulates_the_contrast_scaled_drive_and_counts_after_the_warmup(monkeypatch, name, jittered):
    orientations, preferred, calls = np.array([0.1, 1.2, 2.9]), np.array([0.2, 1.0, 1.9, 2.7]), []

    def simulate(model, inputs, n_neurons, n_steps, n_trials, seed):
        calls.append((model, np.array(inputs), n_neurons, n_steps, n_trials, seed))
        crop = lambda start: SimpleNamespace(counts=lambda: SimpleNamespace(values=("counted after", start)))
        return SimpleNamespace(spikes=SimpleNamespace(crop=crop))

    monkeypatch.setattr(decoding.ns, "simulate", simulate)
    result = decoding.counts(name, "model", orientations, preferred, 0.02, 0.5, 17)
    assert result == ("counted after", 0.1)  # the 0.1 s warm-up cropped
    (model, inputs, n_neurons, n_steps, n_trials, seed), = calls
    # 0.1 s warm-up + 20 ms of 1 ms steps; one trial per orientation
    assert (model, n_neurons, n_steps, n_trials, seed) == ("model", 4, 120, 3, 17)
    generator = np.random.default_rng(17)
    if jittered:  # orientation jitter SD 2 deg, then Gaussian input noise SD 0.2 on every neuron and step
        jitter = generator.normal(0.0, np.deg2rad(2.0), 3)
        mean = 0.5 * tuning.drive(orientations + jitter, preferred)
        expected = mean[:, None, :] + generator.normal(0.0, 0.2, (3, 120, 4))
    else:
        expected = np.broadcast_to(0.5 * tuning.drive(orientations, preferred)[:, None, :], (3, 120, 4))
    np.testing.assert_array_equal(inputs, expected)


def test_the_poisson_reference_draws_its_counts_from_the_given_means_with_its_own_seed():
    orientations, preferred = np.array([0.3, 2.0]), np.array([0.5, 1.5, 2.5])
    assert decoding.counts("Poisson reference", None, orientations, preferred, 0.1, 1.0, 4) is None
    means = lambda stimuli: 3.0 + stimuli[:, None] * np.array([1.0, 2.0, 5.0])
    drawn = decoding.population_counts("Poisson reference", None, orientations, preferred, 0.1, 1.0, 9, means)
    np.testing.assert_array_equal(drawn, np.random.default_rng(9).poisson(means(orientations)))
    np.testing.assert_array_equal(decoding._scaled(means, 0.2)(orientations), 0.2 * means(orientations))
    assert decoding._scaled(None, 0.2) is None
    # a contrast scales the mean counts; n_trials repeats one orientation
    np.testing.assert_array_equal(decoding.contrast_means(means, 2.0, 3, 0.5), 0.5 * means(np.full(3, 2.0)))
    np.testing.assert_array_equal(decoding.contrast_means(means, orientations, None, 0.5), 0.5 * means(orientations))


def test_rms_error_takes_the_circular_error_the_short_way_round():
    estimate, truth = np.array([3.1, 0.2, 1.0, 2.0]), np.array([0.05, 0.1, 1.3, 2.0])
    errors = np.array([3.1 - 0.05 - np.pi, 0.1, -0.3, 0.0])
    decoded = xr.Dataset({"posterior_mean": ("trial", estimate)})
    assert decoding.rms_error(decoded, truth) == pytest.approx(np.sqrt(np.mean(errors**2)), rel=1e-12)


def test_poisson_information_is_the_sum_of_squared_slopes_over_rates():
    fit = xr.Dataset({"preferred": ("neuron", [0.3, 1.7, 2.9]), "kappa": ("neuron", [1.0, 2.5, 0.5]),
                      "baseline": ("neuron", [0.5, 2.0, 1.0]), "gain": ("neuron", [4.0, 10.0, 3.0])})
    stimuli = np.array([0.0, 0.4, 1.5, 3.0])
    np.testing.assert_allclose(decoding.poisson_information(fit, stimuli), _information(fit, stimuli), rtol=1e-12)
    # a sharp curve without baseline, far from its preference, has its rate floored at 1e-9 counts
    sharp = xr.Dataset({"preferred": ("neuron", [0.0]), "kappa": ("neuron", [15.0]), "baseline": ("neuron", [0.0]),
                        "gain": ("neuron", [1.0])})
    far = np.array([0.5, 1.2])
    assert (np.exp(15 * (np.cos(2 * far) - 1)) < 1e-9).tolist() == [False, True]  # the second below the floor
    np.testing.assert_allclose(decoding.poisson_information(sharp, far), _information(sharp, far), rtol=1e-12)


# ---------------------------------------------------------------------------------------------------- run, stubbed


def _expected_calls(test: np.ndarray, truths: list[np.ndarray]) -> list[tuple]:
    """(name, orientations, window, contrast, seed) of every simulation, in order: per model (seed 3 + 1000 m)
    training, test, fine training and test, the three windows, the two Fisher stimuli, the two contrasts; then
    the three noise levels."""
    expected = []
    near = [np.full(200, np.pi / 2 + sign * np.deg2rad(1.0)) for sign in (-1, 1)]  # 90 deg -+ 1 deg, 200 trials
    for m, name in enumerate(NAMES[:3]):
        seed = SEED + 1000 * m
        expected += [(name, np.full(40, g), 0.25, 1.0, seed + k) for k, g in enumerate(GRID)]
        expected += [(name, test, 0.25, 1.0, seed + 500)]
        expected += [(name, np.full(40, g), 0.05, 1.0, seed + 4000 + k) for k, g in enumerate(FINE)]
        expected += [(name, truths[m], 0.05, 1.0, seed + 4500)]
        expected += [(name, test, length, 1.0, seed + 700 + w) for w, length in enumerate(WINDOWS)]
        expected += [(name, stimuli, 0.25, 1.0, seed + 800 + k) for k, stimuli in enumerate(near)]
        for c, contrast in enumerate((1.0, 0.5)):
            expected += [(name, np.full(40, g), 0.25, contrast, seed + 2000 + 100 * c + k) for k, g in enumerate(GRID)]
            expected += [(name, test, 0.25, contrast, seed + 3000 + c)]
    for k in range(3):
        expected += [("NSNN", np.full(40, g), 0.25, 1.0, SEED + 9000 + 20 * k + j) for j, g in enumerate(GRID)]
        expected += [("NSNN", test, 0.25, 1.0, SEED + 9500 + k)]
    return expected


def test_run_simulates_the_documented_trials_windows_contrasts_and_seeds(stubbed):
    test, truths = _draws()
    expected = _expected_calls(test, truths)
    assert len(stubbed.calls) == len(expected)
    for call, (name, orientations, window, contrast, seed) in zip(stubbed.calls, expected):
        assert (call.name, call.window, call.contrast, call.seed) == (name, window, contrast, seed)
        np.testing.assert_allclose(call.orientations, orientations, rtol=1e-15, atol=0)
        # 64 neurons preferring (k + 1/2) pi / 64
        np.testing.assert_allclose(call.preferred, (np.arange(64) + 0.5) * np.pi / 64, rtol=1e-15)
    # each model as in the tuning experiment; the noise levels' NSNN with membrane noise 0.2, 0.4, 0.8
    models = [repr(tuning.models()[name]) for name in NAMES[:3] for _ in range((len(expected) - 3 * 17) // 3)]
    models += [repr(tuning.models(level)["NSNN gaussian membrane"]) for level in (0.2, 0.4, 0.8) for _ in range(17)]
    assert [call.model for call in stubbed.calls] == models


def test_the_full_run_simulates_128_neurons_80_training_trials_and_1500_test_trials(monkeypatch):
    calls, sizes = [], []

    class Enough(Exception):
        """Raised at the first counting-window simulation: the design is known by then."""

    def counts(name, model, orientations, preferred, window, contrast, seed):
        if seed == SEED + 700:
            raise Enough
        calls.append((orientations, preferred))
        return _stub_counts(name, orientations, preferred, window, contrast, seed)

    from_tuning_fit = coding.PoissonDecoder.from_tuning_fit.__func__

    def sized(cls, fit, **options):
        sizes.append(fit.sizes["neuron"])
        return from_tuning_fit(cls, fit, **options)

    monkeypatch.setattr(decoding, "counts", counts)
    monkeypatch.setattr(decoding.coding, "fit_tuning_curves", lambda responses: _stub_fit(responses, True))
    monkeypatch.setattr(decoding.coding.PoissonDecoder, "from_tuning_fit", classmethod(sized))
    with pytest.raises(Enough):
        decoding.run(quick=False, seed=SEED)
    for (orientations, preferred), g in zip(calls, GRID):
        np.testing.assert_array_equal(orientations, np.full(80, g))
        np.testing.assert_allclose(preferred, (np.arange(128) + 0.5) * np.pi / 128, rtol=1e-15)
    np.testing.assert_array_equal(calls[16][0], np.random.default_rng(SEED).uniform(0, np.pi, 1500))
    # the whole population's decoder, then population sizes 8 to 128
    assert sizes == [128, 8, 16, 32, 64, 128]


def test_run_stores_its_design(stubbed):
    data = stubbed.data
    assert data["model"].values.tolist() == NAMES
    assert data["population_size"].values.tolist() == [8, 16, 32, 64]
    assert data["window"].values.tolist() == list(WINDOWS) and data["window"].attrs["units"] == "s"
    assert data["level"].values.tolist() == [0.5, 0.68, 0.8, 0.9, 0.95]
    assert data["noise_level"].values.tolist() == [0.2, 0.4, 0.8]
    attrs = {key: data.attrs[key] for key in ("seed", "quick", "n_test", "n_train", "n_neurons", "fisher_trials",
                                              "window_s", "contrasts")}
    assert attrs == {"seed": SEED, "quick": 1, "n_test": 400, "n_train": 40, "n_neurons": 64, "fisher_trials": 200,
                     "window_s": 0.25, "contrasts": "(1.0, 0.5)"}
    np.testing.assert_array_equal(data.attrs["training_orientations_rad"], GRID)


def _poisson_reference_counts(stubbed, test: np.ndarray):
    """The Poisson reference's counts, drawn as documented: mean counts the von Mises curves of the first model's
    converged fits, scaled by the window and the contrast; training and test sets from their own seeds, the rest
    from the run's generator after the three models' fine-grid truths."""
    fit = _stub_fit(stubbed.fits[0], all_converged=True)
    means = lambda stimuli: coding.von_mises_tuning(stimuli[:, None], *(fit[key].values for key in
                                                                          coding.TUNING_PARAMETERS))
    seed = SEED + 3000
    generator = np.random.default_rng(SEED)
    generator.uniform(0, np.pi, 400)
    for _ in range(3):
        generator.integers(0, 64, 400)
    counts = {"train": np.stack([np.random.default_rng(seed + k).poisson(means(np.full(40, g)))
                                 for k, g in enumerate(GRID)]),
              "test": np.random.default_rng(seed + 500).poisson(means(test)),
              "fine_train": np.stack([np.random.default_rng(seed + 4000 + k).poisson(0.2 * means(np.full(40, g)))
                                      for k, g in enumerate(FINE)])}
    truth = FINE[generator.integers(0, 64, 400)]
    counts["fine_test"] = np.random.default_rng(seed + 4500).poisson(0.2 * means(truth))
    counts["windows"] = [generator.poisson(means(test) * length / 0.25) for length in WINDOWS]
    counts["near"] = [generator.poisson(means(np.full(200, np.pi / 2 + sign * np.deg2rad(1.0)))) for sign in (-1, 1)]
    counts["cue"] = []
    for contrast in (1.0, 0.5):
        train = np.stack([generator.poisson(contrast * means(np.full(40, g))) for g in GRID])
        counts["cue"].append((train, generator.poisson(contrast * means(test))))
    return counts, truth


def _model_counts(stubbed, m: int, test: np.ndarray, truths):
    if NAMES[m] == "Poisson reference":
        return _poisson_reference_counts(stubbed, test)
    name, seed = NAMES[m], SEED + 1000 * m
    get = lambda offset: stubbed.counts(name, seed + offset)
    counts = {"train": np.stack([get(k) for k in range(16)]), "test": get(500),
              "fine_train": np.stack([get(4000 + k) for k in range(64)]), "fine_test": get(4500),
              "windows": [get(700 + w) for w in range(3)], "near": [get(800), get(801)],
              "cue": [(np.stack([get(2000 + 100 * c + k) for k in range(16)]), get(3000 + c)) for c in range(2)]}
    return counts, truths[m]


@pytest.mark.parametrize("m", range(4))
def test_run_recomputes_every_stored_number_of_a_model_from_its_counts(stubbed, m):
    test, truths = _draws()
    counts, truth = _model_counts(stubbed, m, test, truths)
    data = stubbed.data.isel(model=m)
    fit = _stub_fit(xr.DataArray(counts["train"], dims=("stimulus", "trial", "neuron"), coords={"stimulus": GRID}),
                    all_converged=m == 0)
    keep = fit["converged"].values
    kept = np.flatnonzero(keep)
    decoded = _decode(fit.isel(neuron=kept), counts["test"][:, kept], credible=0.9)
    np.testing.assert_array_equal(data["coverage"].values,
                                  coding.coverage(decoded, test, decoding.LEVELS).values)
    # population sizes 8-64: evenly spaced converged neurons (all of them when fewer)
    for k, size in enumerate([8, 16, 32, 64]):
        subset = kept[np.linspace(0, kept.size - 1, min(size, kept.size)).astype(int)]
        assert np.unique(subset).size == min(size, kept.size)  # distinct neurons
        result = _decode(fit.isel(neuron=subset), counts["test"][:, subset])
        assert data["error_rms"].values[k] == pytest.approx(_rms(result["posterior_mean"].values, test), rel=1e-12)
        assert data["posterior_sd"].values[k] == pytest.approx(np.mean(result["posterior_sd"].values), rel=1e-12)
        bound = np.mean(1 / np.sqrt(_information(fit.isel(neuron=subset), test)))
        assert data["cramer_rao"].values[k] == pytest.approx(bound, rel=1e-10)
    # the counting windows: the decoder's means scaled by window / 250 ms
    for w, length in enumerate(WINDOWS):
        result = _decode(fit.isel(neuron=kept), counts["windows"][w][:, kept], window=length / 0.25)
        assert data["window_error_rms"].values[w] == pytest.approx(_rms(result["posterior_mean"].values, test),
                                                                   rel=1e-12)
    # the empirical decoder: 16 evenly spaced neurons of 64 orientations, 50 ms
    chosen = np.linspace(0, 63, 16).astype(int)
    empirical = coding.EmpiricalDecoder(xr.DataArray(counts["fine_train"][:, :, chosen],
                                                     dims=("stimulus", "trial", "neuron"), coords={"stimulus": FINE}))
    result = empirical.decode(counts["fine_test"][:, chosen])
    np.testing.assert_array_equal(data["coverage_empirical"].values,
                                  coding.coverage(result, truth, decoding.LEVELS).values)
    assert data["empirical_error_rms"].values == pytest.approx(_rms(result["posterior_mean"].values, truth), rel=1e-12)
    # the linear Fisher bound from the neurons that vary at both stimuli, 2 deg apart
    a, b = counts["near"]
    varying = (a.var(axis=0) > 0) & (b.var(axis=0) > 0)
    if m < 3:  # the stub's silent neurons at 89 and at 91 deg are left out, its sparse ones kept
        assert np.flatnonzero(a.var(axis=0) == 0).tolist() == list(range(4, 64, 9))
        assert np.flatnonzero(b.var(axis=0) == 0).tolist() == list(range(6, 64, 9))
        assert np.all((a.var(axis=0)[5::9] > 0) & (a.var(axis=0)[5::9] < 1))
    information = float(coding.linear_fisher_information(a[:, varying], b[:, varying], np.deg2rad(2.0)))
    assert data["linear_fisher_bound"].values == pytest.approx(1 / np.sqrt(information), rel=1e-12)
    _check_cues(data, counts["cue"], test)


def _check_cues(data: xr.Dataset, cue: list, test: np.ndarray) -> None:
    """Each cue decoded alone, their optimal combination and the summed-activity posterior, as mean and SE."""
    single = []
    for train, counts in cue:
        fit = _stub_fit(xr.DataArray(train, dims=("stimulus", "trial", "neuron"), coords={"stimulus": GRID}))
        keep = fit["converged"].values
        single.append(_decode(fit.isel(neuron=keep), counts[:, keep]))
    summed_fit = _stub_fit(xr.DataArray(cue[0][0] + cue[1][0], dims=("stimulus", "trial", "neuron"),
                                        coords={"stimulus": GRID}))
    keep = summed_fit["converged"].values
    summed = _decode(summed_fit.isel(neuron=keep), (cue[0][1] + cue[1][1])[:, keep])
    (m1, v1), (m2, v2) = ((s["posterior_mean"].values, s["posterior_sd"].values ** 2) for s in single)
    optimal_var = 1 / (1 / v1 + 1 / v2)
    optimal_mean = m1 + ((m2 - m1 + np.pi / 2) % np.pi - np.pi / 2) * v1 / (v1 + v2)
    summed_mean, summed_var = summed["posterior_mean"].values, summed["posterior_sd"].values ** 2
    wrap = lambda x: (x + np.pi / 2) % np.pi - np.pi / 2
    values = {"cue1_var": v1, "cue2_var": v2, "optimal_var": optimal_var, "summed_var": summed_var,
              "optimal_mean_error": wrap(optimal_mean - test) ** 2, "summed_mean_error": wrap(summed_mean - test) ** 2,
              "mean_difference": wrap(summed_mean - optimal_mean) ** 2,
              "summed_over_optimal_var": summed_var / optimal_var}
    for key, value in values.items():
        np.testing.assert_allclose(data[f"cue_{key}"].values, [value.mean(), value.std(ddof=1) / 20], rtol=1e-9,
                                   atol=1e-15, err_msg=key)


def test_run_decodes_the_noise_levels_with_the_whole_population(stubbed):
    test, _ = _draws()
    for k in range(3):
        train = np.stack([stubbed.counts("NSNN", SEED + 9000 + 20 * k + j) for j in range(16)])
        fit = _stub_fit(xr.DataArray(train, dims=("stimulus", "trial", "neuron"), coords={"stimulus": GRID}))
        keep = fit["converged"].values
        result = _decode(fit.isel(neuron=keep), stubbed.counts("NSNN", SEED + 9500 + k)[:, keep])
        data = stubbed.data.isel(noise_level=k)
        assert data["noise_error_rms"].values == pytest.approx(_rms(result["posterior_mean"].values, test), rel=1e-12)
        assert data["noise_posterior_sd"].values == pytest.approx(np.mean(result["posterior_sd"].values), rel=1e-12)


def test_run_fits_the_training_counts_of_each_decoder(stubbed):
    # per model: the training set, then each contrast's and their sum; then one per noise level
    assert len(stubbed.fits) == 4 * 4 + 3
    test, truths = _draws()
    for m in range(4):
        counts, _ = _model_counts(stubbed, m, test, truths)
        trains = [counts["train"], counts["cue"][0][0], counts["cue"][1][0], counts["cue"][0][0] + counts["cue"][1][0]]
        for fitted, train in zip(stubbed.fits[4 * m:4 * m + 4], trains):
            assert fitted.dims == ("stimulus", "trial", "neuron")
            np.testing.assert_array_equal(fitted["stimulus"].values, GRID)
            np.testing.assert_array_equal(fitted.values, train)
