"""Brunel's (2000) model A: the self-consistent mean-field rate against a known answer, and the four states
of :mod:`nsnn_sim.experiments.brunel_states` (their spectral peaks, the AI state's rate against the theory).

The networks run on one thread: ``make test`` runs two test processes on two cores, and a recurrent run on two
threads there waits at every delay's barrier for a descheduled thread (several times slower)."""

import math

import matplotlib
import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim import theory
from nsnn_sim.experiments import brunel_states

matplotlib.use("Agg")

# NEST's own Siegert test value (REFERENCES.md): tau 10 ms, tau_ref 2 ms, theta 15, V_r 0, mu 15,
# sigma_B = sqrt(1.5) -> 27.1095934379 Hz
NEST_RATE, NEST_MU, NEST_SIGMA_B2 = 27.1095934379, 15.0, 1.5


def _network_with_the_nest_input(j: float = 0.01, c_e: int = 5000, c_i: int = 1250, tau: float = 10e-3):
    """``(g, eta)`` of a model-A network whose input at the rate NEST_RATE is mu = 15, sigma_B^2 = 1.5.

    From Brunel's eqs. 4-5, ``a = mu/(C_E J tau) = nu_ext + nu (1 - g gamma)`` and
    ``b = sigma_B^2/(J^2 C_E tau) = nu_ext + nu (1 + g^2 gamma)``, so ``g^2 + g = (b - a)/(nu gamma)``."""
    gamma = c_i / c_e
    a, b = NEST_MU / (c_e * j * tau), NEST_SIGMA_B2 / (j * j * c_e * tau)
    g = (-1.0 + math.sqrt(1.0 + 4.0 * (b - a) / (NEST_RATE * gamma))) / 2.0
    nu_ext = a - NEST_RATE * (1.0 - g * gamma)
    return g, nu_ext * j * c_e * tau / NEST_MU  # eta = nu_ext/nu_thr, nu_thr = theta/(J C_E tau), theta = 15


def test_the_self_consistent_rate_is_the_known_siegert_rate_of_its_input():
    """A network built so that the rate 27.1095934379 Hz gives NEST's test input: the fixed point is that rate
    (inhibition dominates, g gamma = 1.46 > 1, so it is the only one). A wrong factor in mu or sigma_B (sqrt 2,
    g instead of g^2) moves it by far more than the 1e-8 tolerance (the quadrature's accuracy)."""
    g, eta = _network_with_the_nest_input()
    assert g * 0.25 > 1 and eta > 0
    mu, sigma_b = theory.brunel_input(NEST_RATE, g, eta, j=0.01, c_e=5000, c_i=1250, tau=10e-3, threshold=15.0)
    assert mu == pytest.approx(NEST_MU, rel=1e-12) and sigma_b**2 == pytest.approx(NEST_SIGMA_B2, rel=1e-12)
    rate = theory.brunel_rate(g, eta, j=0.01, c_e=5000, c_i=1250, tau=10e-3, threshold=15.0, u_reset=0.0,
                              tau_ref=2e-3)
    assert rate == pytest.approx(NEST_RATE, rel=1e-8)


def test_the_input_without_recurrent_activity_is_the_external_drive():
    """At nu = 0 only the C_E external trains of rate eta nu_thr drive: mu = eta theta, sigma_B^2 = J eta theta."""
    mu, sigma_b = theory.brunel_input(0.0, g=5.0, eta=2.0)
    assert mu == pytest.approx(40.0, rel=1e-14) and sigma_b**2 == pytest.approx(0.1 * 40.0, rel=1e-14)
    assert theory.brunel_rate(5.0, 0.0) == 0.0  # no drive: the quiescent network


def test_more_inhibition_lowers_the_rate():
    rates = [theory.brunel_rate(g, 2.0) for g in (4.0, 5.0, 6.0, 8.0)]
    assert np.all(np.diff(rates) < 0), rates


def test_sr_and_si_fast_show_their_peaks():
    """SR (g = 3, eta = 2): regular (CV < 0.1), a peak at the volley period D (1/D = 667 Hz, within one bin of
    5 Hz), every neuron at 1/(2D); SI fast (g = 6, eta = 4): a peak in the fast band [1/(4D), 1/(2D)] above the
    neurons' rate. Dense small networks (C_E = 1000 as in the paper) keep these states and run in seconds; their
    synchrony indices (9.9 and 3.3) are far above the threshold 0.2."""
    regular = brunel_states._state("A", 1000, 1.0, 0.4, seed=7, n_threads=1)
    assert regular["cv"] < 0.1
    assert regular["synchrony"] >= brunel_states.SYNCHRONY_THRESHOLD
    assert abs(regular["peak_frequency"] - 1.0 / brunel_states.DELAY) <= 5.0
    assert regular["rate"] == pytest.approx(0.5 / brunel_states.DELAY, rel=0.01)
    fast = brunel_states._state("B", 2000, 0.5, 0.6, seed=7, n_threads=1)
    assert fast["synchrony"] >= brunel_states.SYNCHRONY_THRESHOLD
    assert 1.0 / (4 * brunel_states.DELAY) <= fast["peak_frequency"] <= 1.0 / (2 * brunel_states.DELAY)
    assert fast["rate"] < fast["peak_frequency"] and fast["cv"] >= 0.5


def test_the_ai_state_of_the_quick_run_has_no_peak_and_the_mean_field_rate():
    """AI (g = 5, eta = 2) as the quick run simulates it (N = 6,250, epsilon = 0.2, 0.8 s, the quick run's seed):
    the synchrony index stays below 0.2 (measured 0.12 +- 0.04; the SI states' are 0.3 to 1.7 at this size), and
    the rate is within 5 % of Brunel's self-consistent rate (37.95 Hz; measured 37.2 +- 0.6 Hz)."""
    quick = brunel_states.QUICK
    state = brunel_states._state("C", quick["n_excitatory"], quick["epsilon"], quick["duration"],
                                 seed=brunel_states.SEED + 20, n_threads=1)
    assert state["synchrony"] < brunel_states.SYNCHRONY_THRESHOLD
    assert abs(state["rate"] / state["theory_rate"] - 1) <= brunel_states.THEORY_TOLERANCE
    assert state["theory_rate"] == pytest.approx(theory.brunel_rate(5.0, 2.0), rel=1e-12)  # C_E, C_I as Brunel's
    # the CV's theory: the LIF's ISI CV at the mean-field input, whose noise sigma_B is sqrt(2) times isi_cv's sigma
    assert state["theory_cv"] == pytest.approx(theory.isi_cv(
        state["theory_mu"], state["theory_sigma_b"] / math.sqrt(2.0), tau=brunel_states.TAU,
        threshold=brunel_states.THRESHOLD, u_reset=brunel_states.RESET, tau_ref=brunel_states.TAU_REF), rel=1e-12)
    # the synchrony index and its SE: the shared spectrum and its SE at the peak, per neuron
    peak = int(np.flatnonzero(state["frequency"] == state["peak_frequency"])[0])
    assert state["synchrony"] * state["n_neurons"] == pytest.approx(state["shared"][peak], rel=1e-12)
    assert state["synchrony_se"] * state["n_neurons"] == pytest.approx(state["shared_se"][peak], rel=1e-12)


def test_the_pipeline_draws_the_figure_and_writes_the_table():
    """A tiny run of all four states (dense, N = 1,250, 0.4 s): the Dataset, the checks, the figure and the table."""
    from nsnn_sim.experiments import _style as style

    data = brunel_states.run(n_excitatory=1000, epsilon=1.0, duration=0.4, seed=3, n_threads=1)
    assert list(data.state.values) == ["A", "B", "C", "D"]
    assert data.shared.dims == ("state", "frequency") and data.trace.sizes["shown_time"] == 400
    # the rasters' padding: no time (NaN) and row -1
    np.testing.assert_array_equal(np.isnan(data["raster_time"].values), data["raster_row"].values == -1)
    assert np.isnan(data["raster_time"].values).any()
    checks = brunel_states.checks(data)
    assert [len(rows) for rows in checks.values()] == [3, 4, 3, 4]
    table = brunel_states.MARKDOWN(data)
    assert table.count("\n| ") >= 4 + 14 and "Feed-forward control" in table
    assert len(brunel_states.summary(data)) == 5
    with style.context():
        figure = style.finish(brunel_states.figure(data))
    assert len(figure.axes) == 12
    matplotlib.pyplot.close(figure)


@pytest.mark.parametrize("g", [2.0, 3.0])
def test_with_several_self_consistent_rates_the_lowest_is_returned(g):
    # weak inhibition (g gamma < 1) and eta = 0.8: a low stable root, an unstable one and a high one near
    # 1/tau_rp; every sign change of nu - phi(mu(nu), sigma_B(nu)) on a dense grid, each root by Brent
    from scipy import optimize

    def excess(nu):
        mu, sigma_b = theory.brunel_input(nu, g, 0.8)
        return nu - theory.siegert_rate(mu, sigma_b / math.sqrt(2.0), tau=20e-3, threshold=20.0, u_reset=10.0,
                                        tau_ref=2e-3)

    grid = np.geomspace(1e-6, 499.0, 1500)
    values = np.array([excess(nu) for nu in grid])
    changes = np.nonzero(np.diff(np.sign(values)))[0]
    roots = [optimize.brentq(excess, grid[k], grid[k + 1], xtol=1e-15, rtol=1e-14) for k in changes]
    assert len(roots) == 3 and roots[0] < 0.01 < 1.0 < roots[1] < 10.0 < 100.0 < roots[2]
    assert theory.brunel_rate(g, 0.8) == pytest.approx(roots[0], rel=1e-9)


def test_the_self_consistent_rate_without_a_refractory_period_solves_its_equation_or_is_refused():
    """Without a refractory period the search for the root starts at 1/tau and doubles its bracket: at g = 5, eta = 4
    the root (97 Hz) lies above 1/tau = 50 Hz and solves nu = phi(mu(nu), sigma_B(nu)) to 1e-10; at g = 3 (excitation
    dominates) phi stays above nu and the rate runs away: refused with a ValueError, not a division by zero."""
    rate = theory.brunel_rate(5.0, 4.0, tau_ref=0.0)
    mu, sigma_b = theory.brunel_input(rate, 5.0, 4.0)
    phi = theory.siegert_rate(mu, sigma_b / math.sqrt(2.0), tau=20e-3, threshold=20.0, u_reset=10.0, tau_ref=0.0)
    assert rate > 1.0 / 20e-3 and rate == pytest.approx(phi, rel=1e-10)
    with pytest.raises(ValueError, match=r"brunel_rate\(g=3.0, eta=4.0, tau_ref=0\): no self-consistent rate"):
        theory.brunel_rate(3.0, 4.0, tau_ref=0.0)


def test_the_rate_and_its_se_come_from_the_spread_over_rate_windows():
    """_rate_and_se: the mean over RATE_WINDOW windows of the population rate per neuron, and the SD over the
    windows (ddof 1) over sqrt(windows). Two neurons, three windows of 2, 5 and 2 spikes: 10, 25 and 10 Hz per
    neuron, mean 15 Hz, SE sqrt(75 / 3) = 5 Hz."""
    per_window = int(round(brunel_states.RATE_WINDOW / brunel_states.DT))
    steps = np.array([0, 1, 0, 3, 5, 7, 9, 0, 1]) + per_window * np.array([0, 0, 1, 1, 1, 1, 1, 2, 2])
    spikes = ns.SpikeTrains(np.zeros(steps.size, dtype=np.int64), np.array([0, 1, 0, 1, 0, 1, 0, 1, 1]), steps,
                            dt=brunel_states.DT, n_trials=1, n_neurons=2, n_steps=3 * per_window)
    rate, se = brunel_states._rate_and_se(spikes, 2)
    assert rate == pytest.approx(15.0, rel=1e-12) and se == pytest.approx(5.0, rel=1e-12)


def test_the_cv_and_its_se_are_over_neurons_with_intervals():
    """_cv_and_se: the mean of the neurons' ISI CVs (SD with ddof 0 over the mean) and its SE over neurons,
    neurons with fewer than two intervals left out. Intervals (1, 3), (2, 2), (1, 1, 4) and none: CVs 1/2, 0 and
    sqrt(2)/2."""
    steps = np.array([0, 1, 4, 0, 2, 4, 0, 1, 2, 6, 5])
    neurons = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3])
    spikes = ns.SpikeTrains(np.zeros(steps.size, dtype=np.int64), neurons, steps, dt=brunel_states.DT, n_trials=1,
                            n_neurons=4, n_steps=10)
    cv = np.array([0.5, 0.0, np.sqrt(2) / 2])
    mean, se = brunel_states._cv_and_se(spikes)
    assert mean == pytest.approx(cv.mean(), rel=1e-12) and se == pytest.approx(cv.std(ddof=1) / np.sqrt(3), rel=1e-12)
