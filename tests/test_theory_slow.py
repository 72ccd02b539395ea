"""Long statistical checks of the LIF against Siegert / Brunel over a wider parameter set (make test-slow)."""

import pytest

import nsnn_sim as ns
from nsnn_sim.analysis.stats import stationary_rate

from conftest import pooled_cv_and_se

CASES = [
    # mu, sigma, tau, tau_ref, u_rest, u_reset, method
    (0.5, 0.4, 10e-3, 0.0, 0.0, 0.0, "euler"),
    (0.8, 0.15, 20e-3, 1e-3, 0.0, 0.0, "euler"),
    (1.5, 0.3, 10e-3, 2e-3, 0.0, -0.5, "euler"),
    (0.7, 0.3, 10e-3, 0.0, 0.2, 0.3, "euler"),
    (0.9, 0.5, 10e-3, 0.0, 0.0, 0.0, "exact"),
    (1.1, 0.25, 15e-3, 3e-3, -0.1, 0.0, "exact"),
]


@pytest.mark.slow
@pytest.mark.parametrize("mu, sigma, tau, tau_ref, u_rest, u_reset, method", CASES)
def test_bridge_rate_and_cv_match_theory_over_a_wide_parameter_set(mu, sigma, tau, tau_ref, u_rest, u_reset, method):
    # Euler-Maruyama has an O(dt) weak error that the bridge does not remove (e.g. its stationary
    # variance is sigma^2 / (1 - dt/(2 tau))): at dt = 0.1 ms the Euler rates sat +3.3 SE above
    # Siegert on average over 16 seeds (both Gaussian generators), more than these SEs allow; at
    # dt = 25 us that bias is 4x smaller. The exact OU step has no such error and stays at 0.1 ms.
    dt = 2.5e-5 if method == "euler" else 1e-4
    model = ns.LIF(tau=tau, sigma=sigma, tau_ref=tau_ref, u_rest=u_rest, u_reset=u_reset, dt=dt, method=method,
                   threshold_crossing="bridge")
    n_steps, warmup = round(3.0 / dt), round(0.1 / dt)
    spikes = ns.simulate(model, mu, n_neurons=2000, n_steps=n_steps, seed=21).spikes
    rate, rate_se = stationary_rate(spikes, warmup * spikes.dt)
    siegert = ns.theory.siegert_rate(mu, sigma, tau, 1.0, u_reset, tau_ref, u_rest)
    # SE over 2000 independent neurons x 2.9 s: 0.1-0.3 % of the rate, so an error of (4 + 1.28) SE = 0.5-1.6 %
    # is detected nine times in ten (Siegert and Brunel themselves are checked exactly in test_theory_exact.py)
    assert abs(rate - siegert) < 4 * rate_se, (rate, siegert, rate_se)
    # SE from 20 groups of 100 neurons, 0.13-0.3 % of the CV as in test_theory.py: power 0.7-1.6 %
    cv, cv_se = pooled_cv_and_se(spikes)
    brunel_cv = ns.theory.isi_cv(mu, sigma, tau, 1.0, u_reset, tau_ref, u_rest)
    assert abs(cv - brunel_cv) < 4 * cv_se, (cv, brunel_cv, cv_se)
