"""Closed forms for the LIF with white noise and for escape (Bernoulli) firing.

Sigma convention: every function here takes nsnn_sim's ``sigma``, the stationary SD of the free
membrane (Brian2's ``tau dv/dt = mu - v + sigma*sqrt(2*tau)*xi``). Brunel (2000) writes the noise
amplitude as ``sigma_B = sqrt(2)*sigma``; the formulas below are his, evaluated with
``y = (v - mu)/sigma_B``. Potentials are measured from ``u_rest``: ``mu`` is the input in membrane
units, so the free membrane relaxes to ``u_rest + mu``.

References: Brunel (2000), J Comput Neurosci 8:183 (rate and ISI CV); Siegert (1951); for the
exponential escape rate, Gerstner, Kistler, Naud & Paninski (2014), Neuronal Dynamics, ch. 9
(escape noise, renewal survivor functions).

Examples
--------
>>> from nsnn_sim import theory
>>> round(theory.siegert_rate(0.9, 0.5, tau=10e-3, tau_ref=2e-3), 3)
55.245
>>> round(theory.isi_cv(0.9, 0.5, tau=10e-3, tau_ref=2e-3), 3)
0.668
>>> round(theory.noise_free_rate(1.5, tau=10e-3), 3)
91.024
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import integrate, optimize, special

from nsnn_sim._core.validation import describe, numeric_parameter, with_units

__all__ = ["siegert_rate", "isi_cv", "noise_free_rate", "bernoulli_train", "grid_threshold_shift", "hazard_renewal",
           "euler_equivalent_ou", "euler_rate", "RenewalStatistics", "TrainStatistics", "OUParameters"]


class RenewalStatistics(NamedTuple):
    """What :func:`hazard_renewal` returns (a named tuple: ``rate, cv, mean_isi = ...`` unpacks it)."""

    rate: float  #: stationary rate ``1/E[ISI]``, Hz (0 if the neuron never fires)
    cv: float  #: ISI coefficient of variation ``SD[ISI]/E[ISI]`` (NaN if it never fires)
    mean_isi: float  #: ``E[ISI]``, seconds (inf if it never fires)


class TrainStatistics(NamedTuple):
    """What :func:`bernoulli_train` returns (a named tuple)."""

    rate: float  #: Hz
    cv: float  #: ISI coefficient of variation
    fano: float  #: Fano factor of the counts in any window


class OUParameters(NamedTuple):
    """What :func:`euler_equivalent_ou` returns (a named tuple: ``tau, sigma = ...`` unpacks it)."""

    tau: float  #: the equivalent OU's time constant, seconds
    sigma: float  #: its stationary SD, membrane units

# -zeta(1/2)/sqrt(2*pi): mean overshoot of a Gaussian random walk over a far boundary, in units of
# the step SD (Siegmund 1979, corrected diffusion approximation)
OVERSHOOT_CONSTANT = 0.5825971579390108


def _check(tau=1.0, tau_ref=0.0, **values):
    """Finite scalars; ``tau > 0`` and ``tau_ref >= 0``."""
    numeric_parameter("tau", tau, lower=0.0, lower_open=True)
    numeric_parameter("tau_ref", tau_ref, lower=0.0)
    for name, value in values.items():
        numeric_parameter(name, value)
    for name, value in dict(values, tau=tau, tau_ref=tau_ref).items():
        if np.ndim(value):
            raise ValueError(f"{name} must be a single number, got an array of shape {np.shape(value)} "
                             "(the theory functions take scalars: call them per value)")


def _reduced_bounds(mu, sigma, threshold, u_reset, u_rest):
    _check(mu=mu, sigma=sigma, threshold=threshold, u_reset=u_reset, u_rest=u_rest)
    if sigma <= 0:
        raise ValueError(f"sigma={describe(sigma)} must be > 0 (use noise_free_rate for sigma = 0)")
    if threshold <= u_reset:
        raise ValueError(f"threshold={describe(threshold)} must be > u_reset={describe(u_reset)}")
    sigma_b = math.sqrt(2.0) * sigma
    y_threshold = (threshold - u_rest - mu) / sigma_b
    y_reset = (u_reset - u_rest - mu) / sigma_b
    return y_reset, y_threshold


@with_units(tau="s", tau_ref="s")
def siegert_rate(mu: float, sigma: float, tau: float = 10e-3, threshold: float = 1.0,
                 u_reset: float = 0.0, tau_ref: float = 0.0, u_rest: float = 0.0) -> float:
    """Stationary rate (Hz) of the LIF with white noise (Siegert formula).

    ``1/nu = tau_ref + tau*sqrt(pi) * integral_{y_r}^{y_th} exp(y^2) (1 + erf y) dy``, with
    ``y_th = (theta - mu)/sigma_B``, ``y_r = (u_reset - mu)/sigma_B``, ``sigma_B = sqrt(2)*sigma``.
    The integrand is evaluated as ``erfcx(-y)``, which is finite for every ``y``.
    """
    _check(tau=tau, tau_ref=tau_ref)
    y_reset, y_threshold = _reduced_bounds(mu, sigma, threshold, u_reset, u_rest)
    if y_threshold > 26.0:  # exp(y^2) overflows; the rate is below 1e-290 Hz
        return 0.0
    integral, _ = integrate.quad(lambda y: special.erfcx(-y), y_reset, y_threshold,
                                 epsabs=0.0, epsrel=1e-12, limit=200)
    return 1.0 / (tau_ref + tau * math.sqrt(math.pi) * integral)


@with_units(tau="s", tau_ref="s")
def isi_cv(mu: float, sigma: float, tau: float = 10e-3, threshold: float = 1.0,
           u_reset: float = 0.0, tau_ref: float = 0.0, u_rest: float = 0.0) -> float:
    """Coefficient of variation of the ISI of the LIF with white noise (Brunel 2000, appendix A).

    ``CV^2 = 2*pi*(nu*tau)^2 * integral_{y_r}^{y_th} exp(x^2) integral_{-inf}^{x} exp(y^2)(1+erf y)^2 dy dx``

    Evaluated as ``integral dx integral dy erfcx(-y)^2 exp(x^2 - y^2)`` for stability.
    """
    _check(tau=tau, tau_ref=tau_ref)
    y_reset, y_threshold = _reduced_bounds(mu, sigma, threshold, u_reset, u_rest)
    if y_threshold > 12.0:
        return 1.0  # Poisson limit; the quadrature would overflow and the deviation is < 1e-30
    rate = siegert_rate(mu, sigma, tau, threshold, u_reset, tau_ref, u_rest)

    def inner(x):
        value, _ = integrate.quad(lambda y: special.erfcx(-y) ** 2 * math.exp(x * x - y * y),
                                  -np.inf, x, epsabs=0.0, epsrel=1e-11, limit=200)
        return value

    outer, _ = integrate.quad(inner, y_reset, y_threshold, epsabs=0.0, epsrel=1e-10, limit=200)
    return math.sqrt(2.0 * math.pi * (rate * tau) ** 2 * outer)


@with_units(tau="s", tau_ref="s")
def noise_free_rate(mu: float, tau: float = 10e-3, threshold: float = 1.0, u_reset: float = 0.0,
                    tau_ref: float = 0.0, u_rest: float = 0.0) -> float:
    """Rate (Hz) of the deterministic LIF: ``1/(tau_ref + tau*ln((mu - u_reset)/(mu - theta)))``.

    Zero if the drive does not reach threshold (``u_rest + mu <= theta``).
    """
    _check(tau=tau, tau_ref=tau_ref, mu=mu, threshold=threshold, u_reset=u_reset, u_rest=u_rest)
    if threshold <= u_reset:
        raise ValueError(f"threshold={describe(threshold)} must be > u_reset={describe(u_reset)}")
    drive = u_rest + mu
    if drive <= threshold:
        return 0.0
    return 1.0 / (tau_ref + tau * math.log((drive - u_reset) / (drive - threshold)))


@with_units(dt="s", tau="s")
def grid_threshold_shift(sigma: float, dt: float, tau: float = 10e-3) -> float:
    """Effective threshold shift of an Euler LIF that checks the threshold only on the time grid.

    A Gaussian random walk with per-step SD ``s = sigma*sqrt(2*dt/tau)`` crosses a level ``theta``
    between grid points before the grid sees it; to leading order in ``sqrt(dt)`` the grid-checked
    neuron behaves like the continuous one with threshold ``theta + rho*s``,
    ``rho = -zeta(1/2)/sqrt(2*pi) = 0.5826`` (Siegmund 1979; the same correction as Brunel & Hakim's
    ``alpha``). ``siegert_rate(..., threshold=theta + grid_threshold_shift(...))`` then predicts the
    ``O(sqrt(dt))`` low bias of ``threshold_crossing="grid"``; the ``O(dt)`` remainder, measured against the
    exact rate of the grid-checked Euler chain (tests/test_theory_exact.py), is -0.3 to -0.9 % of the rate at
    dt = 0.1 ms and -0.07 to -0.17 % at 20 us (tau = 10 ms; the grid's own bias is -3 to -8 % at 0.1 ms).
    """
    if sigma < 0 or dt <= 0 or tau <= 0:
        raise ValueError(f"need sigma >= 0, dt > 0, tau > 0; got sigma={describe(sigma)}, "
                         f"dt={describe(dt)}, tau={describe(tau)}")
    return OVERSHOOT_CONSTANT * sigma * math.sqrt(2.0 * dt / tau)


@with_units(tau="s", dt="s")
def euler_equivalent_ou(tau: float, sigma: float, dt: float) -> OUParameters:
    """``OUParameters(tau', sigma')``: the OU process whose exact step is the Euler step of ``LIF(tau, sigma)``.

    Euler: ``u <- (1 - dt/tau)*u + (dt/tau)*(u_rest + I) + sigma*sqrt(2*dt/tau)*N``. The exact step of an
    OU with ``tau'``, ``sigma'`` is ``u <- a*u + (1 - a)*(u_rest + I) + sigma'*sqrt(1 - a^2)*N``,
    ``a = exp(-dt/tau')``: the two are the same chain for ``tau' = -dt/ln(1 - dt/tau)`` (about
    ``tau - dt/2``) and ``sigma'^2 = 2*sigma^2*(dt/tau)/(1 - (1 - dt/tau)^2) = sigma^2/(1 - dt/(2*tau))``,
    the stationary variance of the Euler chain. The Euler LIF is thus, on the grid, exactly the
    continuous LIF with these parameters: its rate error is ``siegert(tau', sigma') - siegert(tau, sigma)``
    plus whatever the threshold-crossing rule adds (none for ``threshold_crossing="substep"``).
    """
    if not (tau > 0 and sigma >= 0 and 0 < dt < tau):
        raise ValueError(f"need tau > 0, sigma >= 0 and 0 < dt < tau; got tau={describe(tau)}, "
                         f"sigma={describe(sigma)}, dt={describe(dt)}")
    return OUParameters(-dt / math.log1p(-dt / tau), sigma / math.sqrt(1.0 - dt / (2.0 * tau)))


@with_units(dt="s", tau="s", tau_ref="s")
def euler_rate(mu: float, sigma: float, dt: float, tau: float = 10e-3, threshold: float = 1.0,
               u_reset: float = 0.0, tau_ref: float = 0.0, u_rest: float = 0.0, crossing: str = "substep") -> float:
    """Predicted stationary rate (Hz) of ``LIF(method="euler")`` at step ``dt`` with Gaussian noise.

    ``crossing="substep"``: ``siegert_rate`` of the equivalent OU (:func:`euler_equivalent_ou`), exact
    up to the sub-step rule's ``O((dt/tau)^2)`` chord error. ``crossing="bridge"``: to leading order the
    reset at the end of the step adds ``dt/2`` to the mean ISI, ``1/nu = 1/siegert(tau', sigma') + dt/2``
    (it leaves out the ``O(dt)`` error of the Brownian-bridge crossing formula itself: the exact rate of the
    Euler bridge chain lies 0.02 to 0.07 % below this at dt = 0.1 ms, tau = 10 ms,
    tests/test_theory_exact.py). Compare continuous-time theory with ``method="exact"``: Euler's own error,
    ``siegert(tau', sigma')/siegert(tau, sigma) - 1``, is +0.5 to +0.9 % at dt = 0.1 ms, tau = 10 ms.
    """
    if crossing not in ("substep", "bridge"):
        raise ValueError(f"crossing={crossing!r} is not allowed; allowed: ('substep', 'bridge')")
    tau_equivalent, sigma_equivalent = euler_equivalent_ou(tau, sigma, dt)
    rate = siegert_rate(mu, sigma_equivalent, tau_equivalent, threshold, u_reset, tau_ref, u_rest)
    if crossing == "bridge" and rate > 0:
        rate = 1.0 / (1.0 / rate + dt / 2.0)
    return rate


@with_units(dt="s")
def bernoulli_train(probability: float, dt: float = 1.0) -> TrainStatistics:
    """Statistics of a train with an independent Bernoulli(p) spike in every step of ``dt`` s.

    This is escape firing at a clamped potential with reset to the same potential: ISIs are
    geometric, ``rate = p/dt``, ``CV = sqrt(1 - p)``, and the Fano factor of counts in any window
    is ``1 - p``: :class:`TrainStatistics` ``(rate, cv, fano)``.
    """
    if not 0.0 < probability <= 1.0:
        raise ValueError(f"probability={describe(probability)} must be in (0, 1]")
    if dt <= 0:
        raise ValueError(f"dt={describe(dt)} must be > 0")
    return TrainStatistics(probability / dt, math.sqrt(1.0 - probability), 1.0 - probability)


_EULER_GAMMA = 0.5772156649015329


def _ein(y: float) -> float:
    """``integral_0^y (exp(s) - 1)/s ds`` (the entire exponential integral ``Ein``), for real ``y``.

    A power series ``sum_k y^k/(k*k!)`` for ``|y| < 1`` (no cancellation), else ``Ei(y) - ln|y| - gamma``.
    """
    if abs(y) < 1.0:
        term, total, k = y, y, 1
        while abs(term) > 1e-17 * abs(total):
            term *= y * k / ((k + 1) ** 2)  # y^(k+1)/((k+1)*(k+1)!) from y^k/(k*k!)
            k += 1
            total += term
        return total
    return float(special.expi(y)) - math.log(abs(y)) - _EULER_GAMMA


@with_units(rho_0="Hz", tau="s", tau_ref="s", dt="s")
def hazard_renewal(mu: float, rho_0: float, delta_u: float, tau: float = 10e-3, threshold: float = 1.0,
                   u_reset: float = 0.0, tau_ref: float = 0.0, u_rest: float = 0.0, dt: float | None = None,
                   method: str = "exact", refractory: str = "clamp") -> RenewalStatistics:
    """Stationary rate (Hz) and ISI CV of ``LIF(firing="hazard")`` with constant input ``mu``.

    After a spike the noise-free membrane follows ``u(s) = u_inf + (u_reset - u_inf)*exp(-s/tau)``,
    ``u_inf = u_rest + mu``, from the end of the dead time ``tau_ref``, and the neuron fires at the
    rate ``rho(u) = rho_0*exp((u - theta)/delta_u)``; the ISIs are i.i.d. (a renewal process), so
    ``rate = 1/E[ISI]`` and ``CV = SD[ISI]/E[ISI]``. With ``refractory="integrate"`` (NEST's
    ``pp_psc_delta``) the membrane relaxes during the dead time too, so it leaves the dead time at
    ``u_inf + (u_reset - u_inf)*exp(-tau_ref/tau)`` (``alpha^n`` after ``n`` steps on the grid): the same
    renewal process with that value in place of ``u_reset``.

    * ``dt=None``: continuous time. ``S(t) = exp(-H(t))``, ``H(t) = integral_0^t rho(u(s)) ds =
      rho_inf*(t + tau*(Ein(c) - Ein(c*exp(-t/tau))))`` with ``rho_inf = rho(u_inf)``,
      ``c = (u_reset - u_inf)/delta_u`` and ``Ein(y) = integral_0^y (e^x - 1)/x dx`` (for ``|c| >= 1``
      through scaled exponential integrals, free of cancellation: :func:`_hazard_cumulative`);
      ``E[ISI] = tau_ref + integral S dt`` and ``E[(ISI - tau_ref)^2] = 2*integral t*S dt`` by
      quadrature (the tail beyond 40 ``tau`` analytically: ``rho`` is constant there to 1e-16).
    * ``dt`` given: the process that is simulated. Step ``k`` after the dead time (``n = tau_ref/dt``
      steps) has ``u_k = u_inf + (u_reset - u_inf)*alpha^k`` (``alpha = exp(-dt/tau)`` for
      ``method="exact"``, ``1 - dt/tau`` for ``"euler"``) and fires with ``p_k = 1 - exp(-rho(u_k)*dt)``;
      the survivor ``S_k = prod_{j<=k} (1 - p_k) = exp(-dt*sum_{j<=k} rho(u_j))``, the ISI is ``(n + K)*dt``
      with ``P(K > k) = S_k``: ``E[K] = sum_{k>=0} S_k``, ``E[K^2] = sum_{k>=0} (2k + 1)*S_k``, summed
      until ``u_k`` is ``u_inf`` to 1e-13 ``delta_u``, the geometric tail in closed form. This is exact
      for the simulation (up to the rounding of ``u_k``).

    Returns
    -------
    RenewalStatistics
        ``rate`` (Hz), ``cv``, ``mean_isi`` (s).
    """
    _check(tau=tau, tau_ref=tau_ref, mu=mu, threshold=threshold, u_reset=u_reset, u_rest=u_rest)
    numeric_parameter("rho_0", rho_0, lower=0.0, lower_open=True)
    numeric_parameter("delta_u", delta_u, lower=0.0, lower_open=True)
    if threshold <= u_reset:
        raise ValueError(f"threshold={describe(threshold)} must be > u_reset={describe(u_reset)}")
    if method not in ("exact", "euler"):
        raise ValueError(f"method={method!r} is not allowed; allowed: ('exact', 'euler')")
    if refractory not in ("clamp", "integrate"):
        raise ValueError(f"refractory={refractory!r} is not allowed; allowed: ('clamp', 'integrate')")
    u_inf = u_rest + mu
    integrating = refractory == "integrate"  # then the dead time ends at u_inf + (u_reset - u_inf)*decay
    if dt is None:
        if integrating:
            u_reset = u_inf + (u_reset - u_inf) * math.exp(-tau_ref / tau)
        mean, second = _hazard_continuous(rho_0, threshold, delta_u, u_inf, u_reset, tau)
        mean_isi = tau_ref + mean
        variance = second - mean * mean
    else:
        numeric_parameter("dt", dt, lower=0.0, lower_open=True)
        n_dead = round(tau_ref / dt)
        if abs(n_dead - tau_ref / dt) > 1e-9 * max(1.0, tau_ref / dt):
            raise ValueError(f"tau_ref={describe(tau_ref)} s must be a whole number of steps of dt={describe(dt)} s")
        if method == "euler" and dt >= tau:
            raise ValueError(f"dt={describe(dt)} must be < tau={describe(tau)} with method='euler'")
        alpha = math.exp(-dt / tau) if method == "exact" else 1.0 - dt / tau
        if integrating:
            u_reset = u_inf + (u_reset - u_inf) * alpha**n_dead
        mean_steps, second_steps = _hazard_discrete(rho_0 * dt, threshold, delta_u, u_inf, u_reset, alpha)
        mean_isi = (n_dead + mean_steps) * dt
        variance = (second_steps - mean_steps * mean_steps) * dt * dt
    if not math.isfinite(mean_isi):
        return RenewalStatistics(0.0, math.nan, math.inf)
    return RenewalStatistics(1.0 / mean_isi, math.sqrt(max(variance, 0.0)) / mean_isi, mean_isi)


def _scaled_e1(z: float) -> float:
    """``exp(z)*E1(z)`` for ``z > 0`` (asymptotic series beyond 600, where ``E1`` underflows)."""
    if z <= 600.0:
        return math.exp(z) * float(special.exp1(z))
    return (1.0 - 1.0 / z + 2.0 / z**2 - 6.0 / z**3 + 24.0 / z**4) / z


def _scaled_ei(y: float) -> float:
    """``exp(-y)*Ei(y)`` for ``y > 0`` (asymptotic series beyond 600, where ``Ei`` overflows)."""
    if y <= 600.0:
        return math.exp(-y) * float(special.expi(y))
    return (1.0 + 1.0 / y + 2.0 / y**2 + 6.0 / y**3 + 24.0 / y**4) / y


def _hazard_cumulative(rho_0: float, threshold: float, delta_u: float, u_inf: float, c: float, tau: float):
    """``H(t) = integral_0^t rho(u(s)) ds`` along ``u(s) = u_inf + c*delta_u*exp(-s/tau)``, without cancellation.

    With ``x = t/tau`` and ``y = c*exp(-x)``: ``H = rho_inf*tau*integral_y^c e^z/z dz``. For ``|c| < 1``
    it is ``rho_inf*(t + tau*(Ein(c) - Ein(y)))``; for ``c <= -1``
    ``tau*(rho(u(t))*eE1(-y) - rho(u_reset)*eE1(-c))`` and for ``c >= 1``
    ``tau*(rho(u_reset)*eEi(c) - rho(u(t))*eEi(y))``, with the scaled ``eE1(z) = e^z E1(z)`` and
    ``eEi(y) = e^-y Ei(y)``: two positive terms, each finite, whatever ``rho``'s range.
    """
    log_rho_inf = math.log(rho_0) + (u_inf - threshold) / delta_u
    if abs(c) < 1.0:
        ein_c, rho_inf = _ein(c), math.exp(log_rho_inf)
        return lambda t: rho_inf * (t + tau * (ein_c - _ein(c * math.exp(-t / tau))))
    if c < 0.0:
        reset_term = math.exp(log_rho_inf + c) * _scaled_e1(-c)

        def cumulative(t):
            y = c * math.exp(-t / tau)
            log_rho = log_rho_inf + y
            if log_rho > 700.0:
                return math.inf
            return tau * max(0.0, math.exp(log_rho) * _scaled_e1(-y) - reset_term)
        return cumulative
    reset_term = math.exp(log_rho_inf + c) * _scaled_ei(c) if log_rho_inf + c < 700.0 else math.inf

    def cumulative(t):
        y = c * math.exp(-t / tau)
        if math.isinf(reset_term):
            return math.inf if t > 0 else 0.0
        return tau * max(0.0, reset_term - math.exp(log_rho_inf + y) * _scaled_ei(y))
    return cumulative


def _hazard_continuous(rho_0: float, threshold: float, delta_u: float, u_inf: float, u_reset: float,
                       tau: float) -> tuple[float, float]:
    """``(integral S dt, 2*integral t*S dt)`` of the continuous-time hazard survivor (:func:`hazard_renewal`)."""
    c = (u_reset - u_inf) / delta_u
    rho_inf = rho_0 * math.exp(min(700.0, (u_inf - threshold) / delta_u))
    if rho_inf == 0.0:
        return math.inf, math.inf
    cumulative = _hazard_cumulative(rho_0, threshold, delta_u, u_inf, c, tau)
    end = tau * (40.0 + math.log(max(abs(c), 1.0)))
    if cumulative(end) > 745.0:  # S = 0 to double precision beyond H = 745: stop there
        end = optimize.brentq(lambda t: cumulative(t) - 745.0, 0.0, end, xtol=1e-16, rtol=1e-15)
    # where S falls through 1/e (steeply for a sharp threshold): a break point for the quadrature
    points = ([optimize.brentq(lambda t: cumulative(t) - 1.0, 0.0, end, xtol=1e-16, rtol=1e-15)]
              if cumulative(end) > 1.0 else None)
    options = dict(epsabs=0.0, epsrel=1e-11, limit=500, points=points)
    mean, _ = integrate.quad(lambda t: math.exp(-cumulative(t)), 0.0, end, **options)
    first, _ = integrate.quad(lambda t: t * math.exp(-cumulative(t)), 0.0, end, **options)
    survivor_end = math.exp(-cumulative(end))  # beyond end: S(t) = S(end)*exp(-rho_inf*(t - end))
    if survivor_end > 0.0:
        mean += survivor_end / rho_inf
        first += survivor_end * (end / rho_inf + 1.0 / rho_inf / rho_inf)
    return mean, 2.0 * first


def _hazard_discrete(hazard_at_threshold: float, threshold: float, delta_u: float, u_inf: float, u_reset: float,
                     alpha: float) -> tuple[float, float]:
    """``(E[K], E[K^2])`` of the discrete-time hazard renewal process (:func:`hazard_renewal`)."""
    distance = abs(u_reset - u_inf) / delta_u
    n_steps = 1 if distance == 0.0 else max(1, math.ceil(math.log(1e-13 / distance) / math.log(alpha)))
    k = np.arange(1, n_steps + 1)
    u = u_inf + (u_reset - u_inf) * alpha ** k
    log_hazard = math.log(hazard_at_threshold) + (u - threshold) / delta_u
    log_survivor = -np.cumsum(np.exp(np.minimum(log_hazard, 600.0)))  # e^600 per step: certain to fire
    survivor = np.concatenate(([1.0], np.exp(log_survivor)))  # S_0 .. S_n
    k_all = np.arange(n_steps + 1)
    mean = survivor[:-1].sum()
    second = ((2 * k_all[:-1] + 1) * survivor[:-1]).sum()
    h_inf = math.exp(min(700.0, math.log(hazard_at_threshold) + (u_inf - threshold) / delta_u))
    tail = survivor[-1]  # S_n: from step n on the hazard per step is h_inf (q = exp(-h_inf))
    if tail > 0.0:
        if h_inf == 0.0:
            return math.inf, math.inf
        one_minus_q = -math.expm1(-h_inf)
        q = 1.0 - one_minus_q
        mean += tail / one_minus_q
        second += tail * ((2 * n_steps + 1) / one_minus_q + 2.0 * q / one_minus_q**2)
    return float(mean), float(second)
