"""The variability and tuning experiments run end to end in quick mode and show their key results."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, *arguments: str) -> None:
    subprocess.run([sys.executable, str(ROOT / script), *arguments], check=True, timeout=600, cwd=ROOT)


def test_variability_experiment_matches_theory_and_draws_its_figure(tmp_path):
    results, figure = tmp_path / "variability.nc", tmp_path / "variability.png"
    _run("analyses/variability.py", "--quick", "--out", str(results))
    _run("figures/variability.py", "--results", str(results), "--out", str(figure))
    data = xr.open_dataset(results, engine="h5netcdf").load()
    precise = data["lif_cv_precise"].values.astype(bool)
    assert precise.sum() >= 5
    # where the CV is measured to < 1.25 % SE, it lies on Brunel's curve within 5 %
    assert float(data["lif_cv_relative_deviation"].values[precise].max()) < 0.05
    # the deterministic network: CV 0 where it fires; frozen input is more reliable than constant input
    dsnn = data["nsnn_cv"].sel(model="deterministic (DSNN)").values
    assert np.all(dsnn[np.isfinite(dsnn)] < 1e-5)  # 0 up to rounding of the moment sums
    noisy = data["reliability"].sel(noise_level=data["noise_level"] > 0)
    assert np.all(noisy.sel(input="frozen").values > noisy.sel(input="constant").values)
    assert figure.stat().st_size > 50_000


def test_tuning_experiment_recovers_preferences_and_information(tmp_path):
    results, figure = tmp_path / "tuning.nc", tmp_path / "tuning.png"
    _run("analyses/tuning.py", "--quick", "--out", str(results))
    _run("figures/tuning.py", "--results", str(results), "--out", str(figure))
    data = xr.open_dataset(results, engine="h5netcdf").load()
    nsnn = data.sel(model="NSNN gaussian membrane")
    error = np.angle(np.exp(2j * (nsnn["fit_preferred"] - data["preferred_true"]))) / 2
    assert float(np.abs(error).max()) < np.deg2rad(3)
    information = data["fisher_information"].sel(fisher_model="NSNN gaussian membrane").values
    assert np.all(np.diff(information) > 0)  # independent intrinsic noise: information grows with N
    assert figure.stat().st_size > 50_000


def test_sampling_experiment_converges_for_logistic_noise(tmp_path):
    results, figure = tmp_path / "sampling.nc", tmp_path / "sampling.png"
    _run("analyses/sampling.py", "--quick", "--out", str(results))
    _run("figures/sampling.py", "--results", str(results), "--out", str(figure))
    data = xr.open_dataset(results, engine="h5netcdf").load()
    logistic = data["kl"].sel(noise="logistic (exact)")
    assert float(logistic.isel(sweeps=-1).max()) < 0.01
    assert np.all(logistic.isel(sweeps=-1) < logistic.isel(sweeps=0))
    assert float(data["kl"].sel(noise="deterministic").min()) > 1.0
    assert figure.stat().st_size > 30_000


def test_decoding_experiment_is_calibrated_for_poisson_and_near_the_bound(tmp_path):
    results, figure = tmp_path / "decoding.nc", tmp_path / "decoding.png"
    _run("analyses/decoding.py", "--quick", "--out", str(results))
    _run("figures/decoding.py", "--results", str(results), "--out", str(figure))
    data = xr.open_dataset(results, engine="h5netcdf").load()
    reference = data.sel(model="Poisson reference")
    n_test = data.attrs["n_test"]
    se = np.sqrt(0.9 * 0.1 / n_test)  # binomial SE of a coverage estimate
    assert abs(float(reference["coverage"].sel(level=0.9)) - 0.9) < 4 * se
    # errors fall with population size, and the whole population decodes close to its linear-Fisher bound
    assert np.all(np.diff(data["error_rms"].sel(model="NSNN gaussian membrane").values) < 0)
    # SE of the ratio about 7 %: RMS error from 400 trials (1/sqrt(2n) = 3.5 %) and the bound from a
    # bias-corrected Fisher estimate with 2T - N = 336 (sqrt(2/336) / 2 = 6 %): 4 SE is about 0.28
    ratio = data["error_rms"].isel(population_size=-1) / data["linear_fisher_bound"]
    assert np.all(np.abs(ratio.values - 1) < 0.28)
    assert figure.stat().st_size > 50_000


def test_learning_experiment_runs_at_a_tiny_size_and_draws_its_figure(tmp_path):
    """The learning experiment end to end (2 seeds, 3 epochs, 10 patterns per class): every model is
    trained, evaluated in the learner and in simulate, perturbed; the figure is drawn."""
    results, figure = tmp_path / "learning.nc", tmp_path / "learning.png"
    _run("analyses/learning.py", "--quick", "--patterns", "10", "--epochs", "3", "--seeds", "2", "--out", str(results))
    _run("figures/learning.py", "--results", str(results), "--out", str(figure))
    data = xr.open_dataset(results, engine="h5netcdf").load()
    assert data.sizes["seed"] == 2 and data.sizes["epoch"] == 3 and data.sizes["model"] == 6
    for name in ("test_accuracy", "learner_accuracy", "simulator_accuracy", "deletion_accuracy",
                 "adversarial_accuracy"):
        values = data[name].values
        assert np.all((values >= 0) & (values <= 1)), name
    assert np.all(data["epoch_time"] > 0)
    # no perturbation = the clean network (same evaluation seed)
    np.testing.assert_array_equal(data["deletion_accuracy"].isel(deletion=0),
                                  data["insertion_accuracy"].isel(insertion=0))
    assert figure.stat().st_size > 50_000


def test_fitting_experiment_runs_at_a_tiny_size_and_draws_its_figure(tmp_path):
    """The fitting experiment end to end (3 neurons, 8000 training steps): four recorded models, each fitted
    with two noise families and the Poisson GLM, scored on held-out data; the Neo round trip; the figure."""
    results, figure = tmp_path / "fitting.nc", tmp_path / "fitting.png"
    _run("analyses/fitting.py", "--quick", "--neurons", "3", "--train-steps", "8000", "--out", str(results))
    _run("figures/fitting.py", "--results", str(results), "--out", str(figure))
    data = xr.open_dataset(results, engine="h5netcdf").load()
    assert data.sizes["model"] == 4 and data.sizes["neuron"] == 3 and data.sizes["candidate"] == 3
    assert np.all(np.isfinite(data["se"])) and np.all(data["se"] > 0)
    assert np.all(data["bits_per_spike"] > 0)  # every fitted model carries the stimulus
    if int(data.attrs["neo_available"]):  # the same spikes, read through Neo, give the same fit
        np.testing.assert_allclose(data["neo_estimate"], data["estimate"].sel(model=data.attrs["neo_model"]),
                                   rtol=1e-9)
    assert figure.stat().st_size > 50_000
