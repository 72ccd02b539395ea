import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import integrate, stats

import nsnn_sim as ns
from nsnn_sim._core.units import UnitWarning
from nsnn_sim.simulator import noise

from reference_model import documented_coefficients, simulate_reference

# every noisy family of the registry, at the scale of SD 0.4 (Cauchy: of the Gaussian's interquartile range)
SCALES = {record.name: record.scale_for_sd(0.4) for record in noise.specs() if not record.deterministic}


# ------------------------------------------------------------------ exact agreement with a transcription
def _spike_list(spikes):
    return list(zip(spikes.trial.tolist(), spikes.neuron.tolist(), spikes.step.tolist()))


def _assert_same_membrane(ours, expected):
    """The engine's membrane equals the transcription's to rounding: the transcription evaluates the
    documented forms (``1 - exp(-dt/tau)``, scipy's ppf) where the engine uses others (``expm1``, its
    own ppf), a few ulps apart (reference_model's docstring); every real error is far larger. The transcription
    records ``(trial, time, neuron)``, the engine ``(trial, neuron, time)``."""
    np.testing.assert_allclose(ours, expected.transpose(0, 2, 1), rtol=1e-12, atol=1e-12)


def _assert_compiled_as_documented(model, n_neurons):
    """``model.compile`` gives the coefficients of the documented equations (the transcription
    computes them itself, so a mismatch also shows in its runs; this names the coefficient)."""
    compiled = model.compile(n_neurons)
    for name, expected in documented_coefficients(model, n_neurons).items():
        if not isinstance(expected, str):
            np.testing.assert_allclose(getattr(compiled, name), expected, rtol=1e-13, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("model, drive", [
    (ns.NSNN(noise="gaussian", noise_scale=0.4), 0.5),
    (ns.NSNN(noise="logistic", noise_scale=0.3, firing="escape", reset="subtract"), 0.45),
    (ns.NSNN(noise="triangular", noise_scale=0.6, firing="reference", beta=np.linspace(0.2, 0.9, 6)), 0.4),
    (ns.NSNN(noise="cauchy", noise_scale=0.1, firing="escape"), 0.6),
    (ns.NSNN(noise="uniform", noise_scale=0.4), 0.6),
    (ns.NSNN(noise="none"), 0.6),
    (ns.LIF(sigma=0.4, tau_ref=3e-3, dt=1e-3, threshold_crossing="bridge", reset="subtract", u_rest=0.1,
            method="euler"), 0.9),
    (ns.LIF(sigma=0.3, dt=1e-3, method="exact", u_reset=-0.2, tau=np.linspace(5e-3, 20e-3, 6),
            threshold_crossing="grid"), 1.1),
    (ns.LIF(firing="escape", noise="logistic", sigma=0.05, tau_ref=2e-3, dt=1e-3, method="euler"), 0.95),
    (ns.LIF(sigma=0.4, tau_ref=3e-3, dt=1e-3, method="exact", threshold_crossing="substep", u_reset=-0.1), 0.9),
    (ns.LIF(firing="hazard", rho_0=np.linspace(50.0, 300.0, 6), delta_u=0.1, tau_ref=2e-3, dt=1e-3, u_reset=-0.1,
            method="exact"), 0.9),
])
def test_engine_matches_plain_python_transcription_spike_for_spike(model, drive):
    n_trials, n_steps, n_neurons = 2, 150, 6
    current = drive + 0.3 * np.sin(np.arange(n_steps) / 7.0)[None, :, None] * np.ones((n_trials, 1, n_neurons))
    _assert_compiled_as_documented(model, n_neurons)
    result = ns.simulate(model, current, n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials, seed=42,
                         record_state=np.arange(n_neurons))
    expected_spikes, expected_state = simulate_reference(model, current, n_neurons, n_steps, n_trials, 42)
    assert len(expected_spikes) > 20
    assert _spike_list(result.spikes) == expected_spikes
    _assert_same_membrane(result.state, expected_state)


def test_recurrent_delays_and_poisson_input_match_transcription():
    n_neurons, n_steps, n_trials = 8, 200, 2
    rng = np.random.default_rng(0)
    weights = np.where(rng.random((n_neurons, n_neurons)) < 0.4, rng.normal(0.2, 0.3, (n_neurons, n_neurons)), 0.0)
    np.fill_diagonal(weights, 0.0)
    delays = rng.integers(1, 6, size=(n_neurons, n_neurons))
    model = ns.LIF(sigma=0.2, tau_ref=5e-4, dt=1e-4, method="euler")
    inputs = [0.6, ns.poisson_input(rate=800.0, weight=0.05, n_sources=20)]
    current = np.full((n_trials, n_steps, n_neurons), 0.6)
    expected_spikes, expected_state = simulate_reference(
        model, current, n_neurons, n_steps, n_trials, 3, weights, delays, poisson=[(20, 800.0, 0.05)])
    sparse = ns.connect(sp.csr_matrix(weights), sp.csr_matrix(delays * (weights != 0) * model.dt))
    for connections in (ns.connect(weights, delays * model.dt), sparse):
        result = ns.simulate(model, inputs, n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials, seed=3,
                             connections=connections,
                             record_state=np.arange(n_neurons))
        assert len(expected_spikes) > 30
        assert _spike_list(result.spikes) == expected_spikes
        _assert_same_membrane(result.state, expected_state)


_N_HETEROGENEOUS = 6
_HETEROGENEOUS = dict(tau=np.linspace(5e-3, 15e-3, _N_HETEROGENEOUS), sigma=np.linspace(0.2, 0.45, _N_HETEROGENEOUS),
                      u_rest=np.linspace(-0.3, 0.2, _N_HETEROGENEOUS), u_reset=np.linspace(-0.5, 0.3, _N_HETEROGENEOUS),
                      threshold=np.linspace(0.9, 1.2, _N_HETEROGENEOUS),
                      tau_ref=np.array([0.0, 1e-3, 2e-3, 3e-3, 5e-3, 8e-3]), dt=1e-3)


_TWO_TRIALS_INITIAL = np.array([np.linspace(-0.4, 0.8, _N_HETEROGENEOUS), np.linspace(0.6, -0.2, _N_HETEROGENEOUS)])
# some neurons start at or above their threshold (0.9 ... 1.2): trial 0 neuron 5 (1.3 > 1.2), trial 1
# neurons 0 (1.25 > 0.9) and 1 (0.96 = its threshold), so they cross at the start of the first step
_ABOVE_THRESHOLD_INITIAL = np.array([np.linspace(-0.4, 1.3, _N_HETEROGENEOUS),
                                     np.linspace(1.25, -0.2, _N_HETEROGENEOUS)])
_HAZARD = dict(rho_0=np.linspace(150.0, 400.0, _N_HETEROGENEOUS), delta_u=np.linspace(0.1, 0.25, _N_HETEROGENEOUS))


@pytest.mark.parametrize("model, initial_state", [
    (ns.LIF(reset="subtract", method="euler", **_HETEROGENEOUS), None),
    (ns.LIF(reset="zero", method="exact", threshold_crossing="bridge", **_HETEROGENEOUS),
     np.linspace(-0.4, 0.8, _N_HETEROGENEOUS)),
    (ns.LIF(reset="subtract", method="exact", firing="escape", noise="logistic", **_HETEROGENEOUS), 0.3),
    (ns.LIF(reset="subtract", firing="escape", noise="cauchy", method="euler", **_HETEROGENEOUS), _TWO_TRIALS_INITIAL),
    (ns.LIF(reset="subtract", method="exact", threshold_crossing="substep", **_HETEROGENEOUS), _TWO_TRIALS_INITIAL),
    (ns.LIF(reset="zero", method="exact", threshold_crossing="substep", **_HETEROGENEOUS), _ABOVE_THRESHOLD_INITIAL),
    (ns.LIF(reset="subtract", firing="hazard", method="euler", **_HAZARD, **_HETEROGENEOUS), _TWO_TRIALS_INITIAL),
    (ns.LIF(reset="zero", method="exact", firing="hazard", **_HAZARD, **_HETEROGENEOUS), None),
    (ns.LIF(reset="subtract", noise="none", method="euler", **_HETEROGENEOUS), _TWO_TRIALS_INITIAL),
])
def test_heterogeneous_lif_with_poisson_weights_matches_transcription(model, initial_state):
    """Every per-neuron LIF parameter as a distinct array (tau, sigma, u_rest, u_reset != 0, threshold,
    tau_ref, rho_0, delta_u), per-neuron Poisson rates and weights, ``initial_state`` (scalar, per
    neuron, per trial and neuron), every firing rule and crossing rule: the engine equals the
    transcription, which computes every coefficient from the documented equations, and the compiled
    coefficients equal them."""
    _assert_heterogeneous_run_matches(model, initial_state, drive=np.linspace(0.7, 1.1, _N_HETEROGENEOUS))


_NSNN_HETEROGENEOUS = dict(beta=np.linspace(0.0, 0.9, _N_HETEROGENEOUS),
                           threshold=np.linspace(0.8, 1.3, _N_HETEROGENEOUS), reset="subtract")


@pytest.mark.parametrize("name", sorted(SCALES))
@pytest.mark.parametrize("firing", ["membrane", "escape", "reference"])
def test_heterogeneous_nsnn_of_every_family_and_rule_matches_transcription(name, firing):
    """The NSNN with per-neuron beta, threshold and noise scale (0.6 to 1.4 times the scale of SD 0.4),
    the subtractive reset, per-neuron Poisson rates and weights and a per-trial ``initial_state``,
    for every registered family and spike rule: the engine equals the transcription."""
    model = ns.NSNN(noise=name, firing=firing, noise_scale=SCALES[name] * np.linspace(0.6, 1.4, _N_HETEROGENEOUS),
                    **_NSNN_HETEROGENEOUS)
    _assert_heterogeneous_run_matches(model, _TWO_TRIALS_INITIAL, drive=np.linspace(0.2, 0.6, _N_HETEROGENEOUS))


def _assert_heterogeneous_run_matches(model, initial_state, drive):
    n_trials, n_steps, n_neurons = 2, 300, _N_HETEROGENEOUS
    _assert_compiled_as_documented(model, n_neurons)
    weights, rates = np.linspace(0.02, 0.12, n_neurons), np.linspace(200.0, 600.0, n_neurons)
    current = drive + 0.3 * np.sin(np.arange(n_steps) / 7.0)[None, :, None]
    current = current * np.ones((n_trials, 1, 1))
    inputs = [current, ns.poisson_input(rate=rates, weight=weights, n_sources=10)]
    result = ns.simulate(model, inputs, n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials, seed=11,
                         record_state=np.arange(n_neurons),
                         initial_state=initial_state)
    expected_spikes, expected_state = simulate_reference(model, current, n_neurons, n_steps, n_trials, 11,
                                                         poisson=[(10, rates, weights)], initial_state=initial_state)
    assert min(sum(1 for _, i, _ in expected_spikes if i == n) for n in range(n_neurons)) >= 5
    assert _spike_list(result.spikes) == expected_spikes
    _assert_same_membrane(result.state, expected_state)


# ------------------------------------------------------------------ firing probabilities (4 SE)
# Power: with n = 10^6 clamped steps the binomial SE is <= 4.9e-4 (p ~ 0.29-0.39), and a relative error
# delta in the noise scale moves p by delta*|x|*f(x) (x the distance to threshold, f the family's pdf at the
# scale of SD 0.4), so the smallest scale error failing 4 SE is 1.0-1.8 % (escape at x = -0.15:
# Cauchy 1.40 %, Gaussian 1.37 %, logistic 1.24 %, triangular 1.48 %, uniform 1.80 %; membrane at a gap
# of 0.2: 1.20, 1.05, 0.97, 1.15, 1.33 %): a 2 % scale error fails every family (at n = 2e5 it did not).
# In the probability itself: SE 0.13-0.16 % of p (escape, membrane) and 0.09 % (reference), so an error of
# (4 + 1.28) SE = 0.66-0.83 % and 0.47-0.51 % of p is detected nine times in ten. The firing rules are also
# exact: the kernel against a transcription with scipy's distributions, spike for spike, above.
def _clamped_firing_fraction(model, drive, n_neurons=500, n_steps=2000):
    """beta = 0: u is reset to the same clamped value every step, so steps are independent trials."""
    result = ns.simulate(model, drive, n_neurons=n_neurons, n_steps=n_steps, seed=5)
    n = n_neurons * n_steps
    return len(result.spikes) / n, n


def _scipy(name, scale):
    """The family's scipy.stats reference (independent of nsnn_sim's cdf, pdf and ppf)."""
    return noise.spec(name).scipy_reference(scale)


@pytest.mark.parametrize("name", sorted(SCALES))
def test_escape_fires_with_probability_cdf_of_distance_to_threshold(name):
    scale, drive = SCALES[name], 0.85
    observed, n = _clamped_firing_fraction(ns.NSNN(beta=0.0, noise=name, noise_scale=scale, firing="escape"), drive)
    expected = float(_scipy(name, scale).cdf(drive - 1.0))
    se = math.sqrt(expected * (1 - expected) / n)  # binomial SE, about 4.8e-4 at n = 1e6
    assert abs(observed - expected) < 4 * se, (observed, expected, se)


@pytest.mark.parametrize("name", sorted(SCALES))
def test_membrane_noise_fires_with_probability_of_noise_above_gap(name):
    scale, drive = SCALES[name], 0.8
    observed, n = _clamped_firing_fraction(ns.NSNN(beta=0.0, noise=name, noise_scale=scale), drive)
    expected = float(_scipy(name, scale).sf(1.0 - drive))
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) < 4 * se, (observed, expected, se)


@pytest.mark.parametrize("name", sorted(SCALES))
def test_reference_mode_fires_with_double_noise_probability(name):
    scale, drive = SCALES[name], 0.8
    family = _scipy(name, scale)
    observed, n = _clamped_firing_fraction(ns.NSNN(beta=0.0, noise=name, noise_scale=scale, firing="reference"), drive,
                                           n_neurons=1000)
    # P(spike) = E_eps[F(drive + eps - theta)]: the cdf of the sum of two independent noise draws
    lower, upper = -noise.spec(name).support * scale, noise.spec(name).support * scale  # -inf, inf if unbounded
    expected, _ = integrate.quad(lambda e: family.cdf(drive + e - 1.0) * family.pdf(e),
                                 lower, upper, limit=400, epsabs=1e-12)
    # SE ~3.4e-4 at n = 2e6, 4 SE = 1.4e-3; a 2 % scale error moves p by 2.0e-3 (Cauchy) to 2.7e-3 (logistic)
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) < 4 * se, (observed, expected, se)
    if name == "gaussian":  # closed form: Gaussian of scale sqrt(2)*sigma
        assert expected == pytest.approx(stats.norm.cdf(drive - 1.0, scale=math.sqrt(2) * scale), rel=1e-9)


def test_escape_train_is_bernoulli_with_geometric_isis():
    p_expected = noise.get("logistic", 0.2).cdf(0.9 - 1.0).item()
    result = ns.simulate(ns.NSNN(beta=0.0, noise="logistic", noise_scale=0.2, firing="escape"), 0.9,
                         n_neurons=400, n_steps=2000, seed=9)
    theory = ns.theory.bernoulli_train(p_expected)
    # 20 independent groups of 20 neurons; each group's pooled estimate has negligible O(1/n) bias
    # (about 15,000 ISIs, 400 windows), and the SE is the spread across groups / sqrt(20). Power
    # (measured SEs): CV SE 1.3e-3 (0.17 %), so an error of (4 + 1.28) SE = 0.9 % of the CV sqrt(1 - p) (a 2.9 %
    # error in p = 0.378) is detected nine times in ten; Fano SE 0.010 (1.6 %): (4 + 1.28) SE = 8.4 % of 1 - p.
    # Above 1 %: exactly, the escape step is the transcription's (above) and bernoulli_train's CV and Fano factor
    # are the sums over the geometric and binomial laws (test_theory_exact.py)
    isi = result.spikes.isi()
    isi_group = isi["neuron"].values // 20
    cvs = np.array([isi.values[isi_group == g].std() / isi.values[isi_group == g].mean() for g in range(20)])
    assert abs(cvs.mean() - theory.cv) < 4 * cvs.std(ddof=1) / np.sqrt(20), (cvs.mean(), theory.cv)
    counts = result.spikes.counts(window=0.1).values[0]  # (neuron, window): 20 windows of 100 steps
    fanos = np.array([counts[g * 20:(g + 1) * 20].var(ddof=1) / counts[g * 20:(g + 1) * 20].mean()
                      for g in range(20)])
    assert abs(fanos.mean() - theory.fano) < 4 * fanos.std(ddof=1) / np.sqrt(20), (fanos.mean(), theory.fano)


# ------------------------------------------------------------------ inputs
def test_input_shapes_drive_the_deterministic_map_exactly():
    model = ns.NSNN(beta=0.0, noise="none")
    n_trials, n_steps, n_neurons = 2, 10, 3
    per_trial = np.zeros((n_trials, n_steps, n_neurons))
    per_trial[0, 2, 1] = 1.0
    per_trial[1, 7, 2] = 1.5
    spikes = ns.simulate(model, per_trial, n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials).spikes
    assert _spike_list(spikes) == [(0, 1, 2), (1, 2, 7)]
    time_varying = np.zeros((n_steps, n_neurons))
    time_varying[4, 0] = 1.0
    spikes = ns.simulate(model, time_varying, n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials).spikes
    assert _spike_list(spikes) == [(0, 0, 4), (1, 0, 4)]
    spikes = ns.simulate(model, np.array([0.0, 1.0, 0.5]), n_neurons=n_neurons, n_steps=n_steps, n_trials=1).spikes
    assert _spike_list(spikes) == [(0, 1, k) for k in range(n_steps)]


def test_a_square_input_is_read_as_steps_by_neurons_with_a_warning_once_per_calling_line():
    model = ns.NSNN(beta=0.0, noise="none")
    square = np.zeros((3, 3))
    square[1, 2] = 1.0  # step 1, neuron 2
    with pytest.warns(UserWarning, match=r"inputs has shape \(3, 3\) and n_steps == n_neurons: it is read as "
                                         r"\(n_steps, n_neurons\).*np.broadcast_to\(inputs, \(2, 3, 3\)\)") as caught:
        spikes = ns.simulate(model, square, n_neurons=3, n_steps=3, n_trials=2).spikes
    assert _spike_list(spikes) == [(0, 2, 1), (1, 2, 1)]
    assert caught[0].filename == __file__  # points at the user's call, not inside the package
    with warnings.catch_warnings(record=True) as repeated:
        warnings.simplefilter("default")
        for _ in range(3):
            ns.simulate(model, square, n_neurons=3, n_steps=3, n_trials=2)
    assert len(repeated) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the explicit forms warn nothing
        explicit = ns.simulate(model, np.broadcast_to(square, (2, 3, 3)), n_neurons=3, n_steps=3, n_trials=2).spikes
        ns.simulate(model, np.zeros((4, 3)), n_neurons=3, n_steps=4, n_trials=2)
        ns.simulate(model, np.zeros(3), n_neurons=3, n_steps=3, n_trials=2)
    assert explicit == spikes


def test_poisson_input_adds_binomial_jumps():
    n_sources, rate, weight, dt = 50, 40.0, 0.1, 1e-3
    model = ns.NSNN(beta=0.0, noise="none", threshold=1e9, dt=dt)
    result = ns.simulate(model, ns.poisson_input(rate, weight, n_sources), n_neurons=50, n_steps=2000,
                         seed=1, record_state=np.arange(50))
    counts = np.rint(result.state.ravel() / weight).astype(int)
    p = rate * dt
    n = counts.size
    # mean n*p = 2, SE sqrt(n p (1-p) / N) = 0.0044 at N = 1e5 (0.22 %): power, an error of (4 + 1.28) SE = 1.2 %
    # in the rate, dt or n_sources is detected nine times in ten; the chi-square (p > 1e-3, ~8 bins) checks the
    # shape. Above 1 %: exactly, the Poisson input's binomial draws are the transcription's
    # (test_recurrent_delays_and_poisson_input_match_transcription) and the draw exact in the tails
    # (test_binomial_draw_is_exact_in_the_tails_and_never_runs_away)
    assert abs(counts.mean() - n_sources * p) < 4 * math.sqrt(n_sources * p * (1 - p) / n)
    observed = np.bincount(counts, minlength=12)[:12]
    expected = stats.binom.pmf(np.arange(12), n_sources, p) * n
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_spike_arrives_after_the_synaptic_delay():
    current = np.zeros((20, 2))
    current[5, 0] = 2.0
    weights = np.array([[0.0, 0.0], [0.7, 0.0]])
    model = ns.NSNN(beta=0.5, noise="none")
    result = ns.simulate(model, current, n_neurons=2, n_steps=20, connections=ns.connect(weights, delay=3 * model.dt),
                         record_state=[1])
    assert _spike_list(result.spikes) == [(0, 0, 5)]
    u1 = result.state[0, 0, :]
    assert np.all(u1[:8] == 0.0) and u1[8] == 0.7 and u1[9] == 0.35


def test_refractory_neuron_is_held_at_reset_and_cannot_fire():
    model = ns.LIF(noise="none", tau_ref=5e-4, dt=1e-4, u_reset=-0.1, method="euler")  # 5 steps dead time
    result = ns.simulate(model, 500.0, n_neurons=1, n_steps=40,
                         record_state=[0])  # strong drive: fires on its first free step
    steps = result.spikes.step
    np.testing.assert_array_equal(np.diff(steps), 6)
    for spike in steps[:-1]:
        np.testing.assert_array_equal(result.state[0, 0, spike:spike + 6], -0.1)


# ------------------------------------------------------------------ reproducibility
def test_same_seed_same_result_other_seed_other_result():
    model = ns.NSNN()
    a = ns.simulate(model, 0.5, n_neurons=100, n_steps=500, seed=1).spikes
    assert a == ns.simulate(model, 0.5, n_neurons=100, n_steps=500, seed=1).spikes
    assert a != ns.simulate(model, 0.5, n_neurons=100, n_steps=500, seed=2).spikes


@pytest.mark.parametrize("with_connections", [False, True])
def test_result_is_independent_of_thread_count(with_connections):
    weights = sp.random(300, 300, density=0.05, random_state=2, format="csr") * 0.1 if with_connections else None
    runs = [ns.simulate(ns.LIF(sigma=0.5, method="euler"), 0.8, n_neurons=300, n_steps=2000, n_trials=3, seed=4,
                        connections=weights,
                        n_threads=threads).spikes for threads in (1, 2, 3)]
    assert len(runs[0]) > 1000
    assert runs[0] == runs[1] == runs[2]


def test_trial_k_is_the_same_whichever_trials_run_beside_it():
    current = 0.4 + 0.2 * np.sin(np.arange(400) / 10.0)[:, None] * np.ones((1, 50))
    weights = sp.random(50, 50, density=0.1, random_state=1, format="csr") * 0.2
    for connections in (None, weights):
        ten = ns.simulate(ns.NSNN(), current, n_neurons=50, n_steps=400, n_trials=10, seed=3,
                          connections=connections).spikes
        three = ns.simulate(ns.NSNN(), current, n_neurons=50, n_steps=400, n_trials=3, seed=3,
                            connections=connections).spikes
        for trial in range(3):
            in_ten, in_three = ten.trial == trial, three.trial == trial
            np.testing.assert_array_equal(ten.neuron[in_ten], three.neuron[in_three])
            np.testing.assert_array_equal(ten.step[in_ten], three.step[in_three])


# ------------------------------------------------------------------ bad input, before any Numba code runs
@pytest.fixture
def no_kernels(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a kernel ran before the input was validated")
    monkeypatch.setattr(ns.simulator.engine, "_run_block", forbidden)
    monkeypatch.setattr(ns.simulator.engine, "_run_connected", forbidden)


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(n_neurons=0), ValueError, r"n_neurons=0 must be in \[1, 2147483647\]"),
    (dict(n_steps=-5), ValueError, r"n_steps=-5 must be in \[1, 9007199254740992\]"),
    (dict(n_trials=0), ValueError, r"n_trials=0 must be in \[1, 2147483647\]"),
    (dict(n_neurons=2.5), TypeError, r"n_neurons must be an integer"),
    (dict(inputs=np.zeros(7)), ValueError, r"inputs has shape \(7,\); allowed"),
    (dict(inputs=np.zeros((10, 4))), ValueError, r"inputs has shape \(10, 4\); allowed"),
    (dict(inputs=np.zeros((2, 3, 20, 4))), ValueError, r"inputs has shape"),
    (dict(inputs=np.array([0.1, np.nan, 0.2, 0.3])), ValueError, r"inputs=.* must be finite"),
    (dict(inputs=np.inf), ValueError, r"inputs=inf must be finite"),
    (dict(inputs="strong"), TypeError, r"inputs must be numeric"),
    (dict(inputs=ns.poisson_input(5000.0, 0.1, 10)), ValueError, r"above 1/dt"),
    (dict(connections=np.zeros((4, 5))), ValueError, r"weights has shape \(4, 5\).*\(4, 4\)"),
    (dict(connections=np.full((4, 4), np.nan)), ValueError, r"weights=.* must be finite"),
    (dict(seed=1.5), TypeError, r"seed must be an integer"),
    (dict(seed="7"), TypeError, r"seed must be an integer"),
    (dict(seed=-1), ValueError, r"seed=-1 must be in \[0, 9223372036854775807\]"),
    (dict(seed=True), TypeError, r"seed must be an integer"),
    (dict(record_state=[0, 9]), ValueError, r"record_state indices must lie in \[0, 4\)"),
    (dict(model="LIF"), TypeError, r"model must be a neuron model"),
    (dict(model=ns.LIF(tau=np.array([0.01, 0.02]), method="euler")), ValueError,
     r"tau has 2 per-neuron values but n_neurons=4"),
])
def test_bad_simulate_arguments_raise_before_any_kernel(no_kernels, kwargs, error, pattern):
    arguments = dict(model=ns.NSNN(), inputs=0.5, n_neurons=4, n_steps=20, n_trials=2, seed=0)
    arguments.update(kwargs)
    with pytest.raises(error, match=pattern):
        ns.simulate(**arguments)


@pytest.mark.parametrize("delay, error, pattern", [
    (0, ValueError, r"delay=0.0 s must be > 0"),
    (-2e-4, ValueError, r"delay=-0.0002 s must be > 0"),
    (1.5e-4, ValueError, r"delay=0.00015 s is not a whole number of steps of dt=0.0001 s; the nearest whole-step "
                         r"value is 0.0001 s"),
    (0.5e-4, ValueError, r"delay=5e-05 s is shorter than one step dt=0.0001 s"),
])
def test_bad_delay_is_rejected(delay, error, pattern):
    with pytest.raises(error, match=pattern):
        ns.connect(np.eye(3), delay).compile(3, dt=1e-4)


def test_delay_array_of_the_wrong_shape_is_rejected_on_construction():
    with pytest.raises(ValueError, match=r"delay has shape \(3, 3\); per-synapse delays must have the shape"):
        ns.Connections(np.eye(4), delay=np.full((3, 3), 1e-4))


def test_bad_poisson_input_is_rejected():
    with pytest.raises(ValueError, match="rate=-1.0 must be >= 0"):
        ns.poisson_input(-1.0, 0.1, 10)
    with pytest.raises(ValueError, match=r"n_sources=0 must be in \[1, 9007199254740992\]"):
        ns.poisson_input(10.0, 0.1, 0)
    with pytest.raises(ValueError, match="weight=nan must be finite"):
        ns.poisson_input(10.0, float("nan"), 10)


# ------------------------------------------------------------------ edge cases found in review
def test_binomial_draw_is_exact_in_the_tails_and_never_runs_away():
    from nsnn_sim.simulator.engine import _binomial

    for n, p in ((100, 0.9999), (200, 0.5), (20, 0.1), (1000, 0.002)):
        for u in (1e-3, 0.3, 0.7, 0.999):
            assert _binomial(n, p, u) == stats.binom.ppf(u, n, p), (n, p, u)
    # rounding can leave the cumulative sum just below u = 1 - 2**-53: the search stops in the tail
    draw = _binomial(10**9, 1e-7, 1 - 2.0**-53)
    assert 100 + 5 * 10 < draw < 100 + 10 * 10  # the 1 - 1e-16 quantile lies about 8.5 SD above the mean


def test_delays_longer_than_the_run_cost_no_memory_and_never_arrive():
    weights = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    delays = np.array([[1, 1, 1], [10**8, 1, 1], [3, 1, 1]])
    current = np.zeros((10, 3))
    current[0, 0] = 5.0
    model = ns.NSNN(noise="none", beta=0.0)
    with pytest.warns(UnitWarning, match="delay=.* is read as seconds"):  # 10**5 s: meant, here
        connections = ns.connect(weights, delays * model.dt)
    spikes = ns.simulate(model, current, n_neurons=3, n_steps=10, connections=connections).spikes
    assert _spike_list(spikes) == [(0, 0, 0), (0, 2, 3)]
    with pytest.raises(ValueError, match="is more than 2147483647 steps"), pytest.warns(UnitWarning):
        ns.connect(weights, delays * 1e12 * model.dt).compile(3, model.dt)


def test_duplicate_sparse_entries():
    post, pre = np.array([1, 1]), np.array([0, 0])
    summed = sp.coo_matrix((np.array([0.6, 0.6]), (post, pre)), shape=(2, 2))
    current = np.zeros((6, 2))
    current[0, 0] = 5.0
    model = ns.NSNN(noise="none", beta=0.0)
    spikes = ns.simulate(model, current, n_neurons=2, n_steps=6, connections=ns.connect(summed, 2 * model.dt)).spikes
    assert _spike_list(spikes) == [(0, 0, 0), (0, 1, 2)]  # one synapse of weight 1.2 reaches threshold
    ambiguous = sp.coo_matrix((np.array([2, 3]) * model.dt, (post, pre)), shape=(2, 2))
    with pytest.raises(ValueError, match="duplicate"):
        ns.simulate(model, current, n_neurons=2, n_steps=6, connections=ns.connect(summed, ambiguous))


def test_tiny_bridge_variance_does_not_divide_by_zero():
    result = ns.simulate(ns.LIF(sigma=1e-170, threshold_crossing="bridge", method="euler"), 1.5, n_neurons=2,
                         n_steps=500)
    assert len(result.spikes) > 0


def test_a_plain_list_is_a_per_neuron_current_and_complex_input_is_rejected():
    spikes = ns.simulate(ns.NSNN(noise="none", beta=0.0), [0.0, 1.0, 0.5], n_neurons=3, n_steps=4).spikes
    assert _spike_list(spikes) == [(0, 1, k) for k in range(4)]
    with pytest.raises(TypeError, match="complex"):
        ns.simulate(ns.NSNN(), np.array([0.5 + 1j, 0.2]), n_neurons=2, n_steps=4)


# ------------------------------------------------------------------ the parallel recurrent kernel
@pytest.mark.parametrize("delay_low, delay_high", [(3, 7), (4, 5)])  # windows of 3 steps; one delay for all
def test_recurrent_windows_match_transcription_for_any_threads_and_trials(delay_low, delay_high):
    n_neurons, n_steps = 10, 240
    rng = np.random.default_rng(4)
    weights = np.where(rng.random((n_neurons, n_neurons)) < 0.5, rng.normal(0.25, 0.3, (n_neurons, n_neurons)), 0.0)
    delays = rng.integers(delay_low, delay_high, size=(n_neurons, n_neurons))
    model = ns.LIF(sigma=0.3, tau_ref=3e-4, dt=1e-4, method="euler")
    inputs = [0.7, ns.poisson_input(rate=500.0, weight=0.08, n_sources=10)]
    expected_spikes, expected_state = simulate_reference(
        model, np.full((2, n_steps, n_neurons), 0.7), n_neurons, n_steps, 2, 6, weights, delays,
        poisson=[(10, 500.0, 0.08)])
    assert len(expected_spikes) > 60
    for n_trials in (1, 2):
        for threads in (1, 2, 3):
            result = ns.simulate(model, inputs, n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials, seed=6,
                                 connections=ns.connect(weights, delays * model.dt),
                                 record_state=np.arange(n_neurons),
                                 n_threads=threads)
            assert _spike_list(result.spikes) == [s for s in expected_spikes if s[0] < n_trials]
            _assert_same_membrane(result.state, expected_state[:n_trials])


@pytest.mark.parametrize("rows_alike", [False, True])
def test_recurrent_kernel_is_bit_identical_for_any_block_partition(rows_alike):
    """For 1, 2, 3 and 7 blocks: synapses of varied weights and delays, and (``rows_alike``) one delay and one
    weight per presynaptic neuron, delivered with one weight per spike (engine._row_weights)."""
    from nsnn_sim.simulator.engine import _deterministic, _poisson_tables, _row_weights, _run_connected
    from nsnn_sim.simulator.network import prepare_inputs

    n_neurons, n_steps, n_trials = 203, 600, 2
    weights = sp.random(n_neurons, n_neurons, density=0.1, random_state=5, format="csr") * 0.3
    delays = weights.copy()
    delays.data = np.random.default_rng(5).integers(2, 6, delays.data.size).astype(float)
    if rows_alike:  # column j (presynaptic neuron j) of one sign and size, one delay
        weights = weights.tocsc()
        weights.data = np.repeat(np.where(np.arange(n_neurons) % 4, 0.1, -0.25), np.diff(weights.indptr))
        weights, delays = weights.tocsr(), 3.0
    model = ns.LIF(sigma=0.5, dt=1e-4, method="euler")
    compiled = model.compile(n_neurons)
    inputs = prepare_inputs([0.6, ns.poisson_input(300.0, 0.05, 20)], n_neurons, n_steps, n_trials, model.dt)
    synapses = ns.connect(weights, delays * model.dt).compile(n_neurons, model.dt)
    row_weight = _row_weights(synapses)
    assert row_weight.size == (n_neurons if rows_alike else 0)
    initial = np.broadcast_to(compiled.u_initial, (n_trials, n_neurons))
    runs = []
    for n_blocks in (1, 2, 3, 7):
        state = np.zeros((n_trials, n_steps, 2))
        rate_counts = np.zeros((n_trials, 2, n_steps), dtype=np.int32)
        spikes = _run_connected(compiled, inputs, _poisson_tables(inputs), initial, synapses, row_weight, np.uint64(2),
                                np.int64(0),
                                np.int64(n_trials), np.int64(n_neurons), np.int64(n_steps), np.int64(n_blocks),
                                np.array([0, 1] + [-1] * (n_neurons - 2), dtype=np.int64), np.int64(1), state,
                                np.ones(n_neurons, dtype=np.bool_), np.arange(n_neurons, dtype=np.int64) % 2,
                                rate_counts, _deterministic(compiled))
        order = np.lexsort((spikes[2], spikes[1], spikes[0]))
        runs.append((tuple(array[order].tobytes() for array in spikes), state.tobytes(), rate_counts.tobytes()))
    assert len(runs[0][0][2]) > 8 * 1000
    assert all(run == runs[0] for run in runs[1:])


def test_a_long_run_is_announced_with_its_time_predicted_from_the_engines_speed(monkeypatch, caplog):
    """simulate warns before a run predicted to exceed engine._LONG_RUN_SECONDS; the prediction is
    _NS_PER_NEURON_STEP ns per neuron, step and trial, divided over the threads."""
    import logging

    from nsnn_sim.simulator import engine

    monkeypatch.setattr(engine, "_LONG_RUN_SECONDS", 0.0)
    with caplog.at_level(logging.WARNING, logger="nsnn_sim"):
        ns.simulate(ns.NSNN(noise="none"), 0.5, n_neurons=40, n_steps=50, n_trials=3, n_threads=2)
    expected_hours = engine._NS_PER_NEURON_STEP * 1e-9 * 40 * 50 * 3 / 2 / 3600.0
    messages = [record.getMessage() for record in caplog.records if "will take about" in record.getMessage()]
    assert len(messages) == 1 and f"about {expected_hours:.3g} hours on 2 thread(s)" in messages[0], messages
    caplog.clear()
    monkeypatch.setattr(engine, "_LONG_RUN_SECONDS", 2 * expected_hours * 3600.0)  # twice the prediction: silent
    with caplog.at_level(logging.WARNING, logger="nsnn_sim"):
        ns.simulate(ns.NSNN(noise="none"), 0.5, n_neurons=40, n_steps=50, n_trials=3, n_threads=2)
    assert not [record for record in caplog.records if "will take about" in record.getMessage()]


def test_run_time_leaves_out_compilation_inside_the_run(monkeypatch):
    """``run_time`` (``run_time_s``) is the kernels' time without Numba compilation, which goes to
    ``compile_time`` also when it happens inside the run: here a fresh (uncached) kernel compiled at the
    start of ``engine._run``. The two together cannot exceed the call's own wall-clock time."""
    import time

    from numba import njit

    from nsnn_sim.simulator import engine

    @njit
    def fresh(x):  # not cached: its first call compiles (tens of ms, against a run of about 1 ms)
        return x * 2.0

    original_run = engine._run

    def run_compiling_first(*args):
        fresh(1.0)
        return original_run(*args)

    model = ns.NSNN(noise="none")
    ns.simulate(model, 0.5, n_neurons=5, n_steps=20)  # the engine's own kernels compiled or loaded by now
    monkeypatch.setattr(engine, "_run", run_compiling_first)
    start = time.perf_counter()
    result = ns.simulate(model, 0.5, n_neurons=5, n_steps=20)
    elapsed = time.perf_counter() - start
    assert result.compile_time > 0.0
    assert result.run_time + result.compile_time <= elapsed, (result.run_time, result.compile_time, elapsed)
