"""NEST 3.10 reference numbers for the neuron-state issue -> benchmarks/results/nest_reference.json and .md

What nsnn_sim's richer neurons must reproduce, measured in NEST 3.10 with every parameter written down
(docs/nest_models.rst says what each NEST model does per step and which nsnn_sim configuration equals it):

* ``populations``: 500 neurons x 5 s, dt 0.1 ms, 2 threads, all neurons starting at rest (``u = 0``, not
  refractory), spikes counted over the whole run:
  ``iaf_psc_delta`` and ``iaf_psc_exp`` (tau_syn 0.5, 1, 2, 5 ms; ``iaf_psc_alpha`` at 2 ms) driven by
  one Poisson train of 1800 Hz per neuron with the same charge per input spike (``J = 0.75 mV`` for the
  delta synapse, ``w = J C/tau_syn`` for the exponential PSC and ``w = J C/(e tau_syn)`` for the alpha PSC);
  ``pp_psc_delta`` with constant input and a 2 ms dead time, no dead time, and a 2 ms dead time with one
  ``q_sfa``/``tau_sfa`` pair; ``gif_psc_exp`` with one spike-triggered current and one threshold kernel, with
  constant input alone and with Gaussian current noise (``noise_generator``, a new value every step), and
  without kernels (NEST's clamped-membrane escape neuron). For each: the mean rate and its SE over neurons,
  the ISI CV (mean of the per-neuron CVs and the pooled CV, with SEs), the first serial correlation
  coefficient of the ISIs, the shortest ISI, and the wall time of ``nest.Simulate`` alone.
* ``semantics``: single-neuron runs that show the update rules docs/nest_models.rst states (input during the
  refractory period, order of input and membrane update, integration during ``pp_psc_delta``'s dead time,
  dead times in whole steps, ``gif_psc_exp``'s reset and the unit of ``q_stc``).
* ``speed``: ``iaf_psc_exp`` (tau_syn 2 ms), 10,000 neurons x 1 s, each with its own ``poisson_generator``
  of 10 kHz: the NEST baseline of nsnn_sim's speed ratio, with the machine's load before and after.

NEST is never a dependency of nsnn_sim: run this from a separate environment,

    python3 -m venv /work/venv-nest && /work/venv-nest/bin/pip install nest-simulator==3.10.0 numpy scipy
    /work/venv-nest/bin/python benchmarks/nest_reference.py [--quick] [--parts populations semantics speed]

``--parts`` re-runs only the parts named and keeps the others' results from an existing JSON (so the
speed part can be re-measured on an idle machine). Without NEST the script says so and exits with status 0
without writing results.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine_load  # noqa: E402

RESULTS = Path(__file__).parent / "results"
NAME = "nest_reference"
DT_MS = 0.1
THREADS = 2
SEED = 1
#: the membrane unit: nsnn_sim's ``u = (V - E_L)/V_UNIT_MV`` (threshold 1 at V_th - E_L = 15 mV, reset 0 at E_L)
V_UNIT_MV = 15.0
#: the common membrane: NEST's defaults for iaf_psc_* (tau_m 10 ms, C_m 250 pF, 15 mV from rest to threshold)
TAU_M_MS, C_M_PF, E_L_MV, T_REF_MS = 10.0, 250.0, -70.0, 2.0
#: the Poisson drive of the iaf cases: rate (Hz) and the membrane jump of one input spike (mV) of the delta synapse
DRIVE_RATE_HZ, DRIVE_J_MV = 1800.0, 0.75
TAU_SYN_MS = (0.5, 1.0, 2.0, 5.0)
#: the escape neurons: constant input to u_inf = 0.9, rate rho_0 = 200 Hz at threshold, width 0.2 (membrane units)
MU, RHO_0_HZ, DELTA_U = 0.9, 200.0, 0.2


def membrane_propagators(tau_m_ms: float = TAU_M_MS, c_m_pf: float = C_M_PF, h_ms: float = DT_MS) -> tuple:
    """``(P33, P30)`` of one step: ``V <- P33 V + P30 I`` with ``P33 = exp(-h/tau_m)``, ``P30 = (tau_m/C)(1 - P33)``
    (mV per pA), the exact step of ``C dV/dt = -(C/tau_m) V + I`` for ``I`` constant over the step."""
    p33 = math.exp(-h_ms / tau_m_ms)
    return p33, -tau_m_ms / c_m_pf * math.expm1(-h_ms / tau_m_ms)


def _jackknife_se(estimates: np.ndarray) -> float:
    """Jackknife SE ``sqrt((n - 1)/n * sum (theta_i - mean theta)^2)`` of leave-one-out estimates ``theta_i``."""
    n = len(estimates)
    return float(math.sqrt((n - 1) / n * np.sum((estimates - estimates.mean()) ** 2))) if n > 1 else math.nan


def _pooled_cv_and_rho1(totals: np.ndarray) -> tuple:
    """Pooled ISI CV and first serial correlation from summed ISI moments (rows of ``totals`` or one row):
    columns ``n, sum I, sum I^2, pairs, sum I_j I_j+1, sum I_j (first of a pair), sum I_j+1 (second)``.
    With the pooled mean ``m``: ``CV = sqrt(mean(I^2) - m^2)/m``, ``rho_1 = mean((I_j - m)(I_j+1 - m))/var``."""
    n, s1, s2, pairs, products, firsts, seconds = np.moveaxis(np.atleast_2d(totals), -1, 0)
    mean = s1 / n
    variance = s2 / n - mean * mean
    covariance = (products - mean * (firsts + seconds)) / pairs + mean * mean
    return np.sqrt(variance) / mean, covariance / variance


def isi_moments(owner: np.ndarray, isi: np.ndarray, n_neurons: int) -> np.ndarray:
    """Per-neuron sums of ISIs ``(n_neurons, 7)``, the columns of :func:`_pooled_cv_and_rho1`; ``owner[j]`` is
    the neuron of ``isi[j]``, each neuron's ISIs consecutive and in time order."""
    pair = owner[1:] == owner[:-1]
    first, second, pair_owner = isi[:-1][pair], isi[1:][pair], owner[1:][pair]
    columns = [(owner, None), (owner, isi), (owner, isi * isi), (pair_owner, None),
               (pair_owner, first * second), (pair_owner, first), (pair_owner, second)]
    return np.stack([np.bincount(who, weights, minlength=n_neurons) for who, weights in columns], axis=1)


def _mean_and_se(values: np.ndarray) -> tuple:
    if values.size < 2:
        return (float(values.mean()) if values.size else math.nan), math.nan
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def spike_statistics(senders: np.ndarray, times_ms: np.ndarray, n_neurons: int, duration_ms: float) -> dict:
    """Rate, ISI and serial-correlation statistics of a population's spikes (neurons ``0 .. n_neurons - 1``).

    * ``rate_hz`` and ``rate_se_hz``: mean over neurons of ``count/duration`` and its SE (SD over neurons
      divided by ``sqrt(n_neurons)``);
    * ``cv_mean`` and ``cv_se``: mean and SE over neurons of each neuron's ISI CV (neurons with >= 3 ISIs);
    * ``cv_pooled`` and ``rho1_pooled``: the CV of all ISIs about their common mean and the first serial
      correlation coefficient of successive ISIs of one neuron, about the same mean, each with a jackknife
      SE over neurons (``*_se``); for a homogeneous population these estimate the single neuron's values;
    * ``min_isi_ms`` (and in steps of ``DT_MS``), how many ISIs are that short, and ``n_zero_isi``: spikes
      in the same step (``pp_psc_delta`` without dead time emits several spikes per step).
    """
    order = np.lexsort((times_ms, senders))
    senders, times_ms = np.asarray(senders)[order], np.asarray(times_ms)[order]
    rates = np.bincount(senders, minlength=n_neurons) / (duration_ms / 1e3)
    same = senders[1:] == senders[:-1]
    isi, owner = np.diff(times_ms)[same], senders[1:][same]
    totals = isi_moments(owner, isi, n_neurons)
    enough = totals[:, 0] >= 3
    mean_isi = totals[enough, 1] / totals[enough, 0]
    cv_mean, cv_se = _mean_and_se(np.sqrt(np.maximum(totals[enough, 2] / totals[enough, 0] - mean_isi**2, 0.0))
                                  / mean_isi)
    cv_pooled, rho1_pooled = _pooled_cv_and_rho1(totals.sum(axis=0))
    cv_left_out, rho1_left_out = _pooled_cv_and_rho1(totals.sum(axis=0) - totals)
    minimum = float(isi.min()) if isi.size else math.nan
    return {
        "n_spikes": len(senders), "n_isi": int(isi.size),
        "rate_hz": float(rates.mean()), "rate_se_hz": float(rates.std(ddof=1) / math.sqrt(n_neurons)),
        "cv_mean": cv_mean, "cv_se": cv_se,
        "cv_pooled": float(cv_pooled[0]), "cv_pooled_se": _jackknife_se(cv_left_out),
        "rho1_pooled": float(rho1_pooled[0]), "rho1_pooled_se": _jackknife_se(rho1_left_out),
        "min_isi_ms": minimum, "min_isi_steps": round(minimum / DT_MS) if isi.size else None,
        "n_at_min_isi": int(np.sum(np.abs(isi - minimum) < 1e-6)) if isi.size else 0,
        "n_zero_isi": int(np.sum(isi < 1e-9)),
    }


# ---------------------------------------------------------------------------------------------- the cases


def _iaf_parameters(**extra) -> dict:
    return {"C_m": C_M_PF, "tau_m": TAU_M_MS, "E_L": E_L_MV, "V_th": E_L_MV + V_UNIT_MV, "V_reset": E_L_MV,
            "t_ref": T_REF_MS, "V_m": E_L_MV, "I_e": 0.0, **extra}


def _poisson_drive(weight: float) -> list:
    return [{"generator": "poisson_generator", "params": {"rate": DRIVE_RATE_HZ}, "connection": "all_to_all",
             "syn_spec": {"weight": weight, "delay": DT_MS}}]


def _lif_equivalent(**extra) -> dict:
    """nsnn_sim's membrane in units of ``V_UNIT_MV`` from ``E_L`` (the delta LIF of today, exact method)."""
    return {"tau": TAU_M_MS * 1e-3, "threshold": 1.0, "u_rest": 0.0, "u_reset": 0.0, "u_initial": 0.0,
            "tau_ref": T_REF_MS * 1e-3, "dt": DT_MS * 1e-3, "method": "exact", **extra}


def _poisson_equivalent(weight: float, what: str) -> dict:
    return {"rate_hz": DRIVE_RATE_HZ, "weight": weight, "weight_means": what,
            "note": "a Poisson count per step (NEST's poisson_generator): with poisson_input use many sources "
                    "(e.g. n_sources=1800 at 1 Hz); n_sources=1 would be a Bernoulli count"}


def _synaptic_case(model: str, tau_syn: float, shape: str) -> dict:
    """``iaf_psc_exp`` / ``iaf_psc_alpha`` with the charge of one input spike equal to the delta synapse's:
    ``w tau_syn`` (exp) or ``w e tau_syn`` (alpha) pA ms ``= J C``."""
    charge_factor = tau_syn if shape == "exp" else math.e * tau_syn
    weight = DRIVE_J_MV * C_M_PF / charge_factor
    # the current in membrane units, tau du/dt = -u + i: a jump of w pA is a jump of (tau_m/C) w / V_UNIT of i
    current_jump = TAU_M_MS / C_M_PF * weight / V_UNIT_MV
    return {
        "name": f"{model} tau_syn={tau_syn:g} ms", "model": model,
        "nest_params": _iaf_parameters(tau_syn_ex=tau_syn, tau_syn_in=tau_syn), "drives": _poisson_drive(weight),
        "nsnn_equivalent": _lif_equivalent(
            synapse={"receptor": "exc", "shape": shape, "tau_syn": tau_syn * 1e-3,
                     "current_jump_membrane_units": current_jump,
                     "psc_integral_membrane_units_s": current_jump * charge_factor * 1e-3,
                     "delta_jump_times_tau_membrane_units_s": DRIVE_J_MV / V_UNIT_MV * TAU_M_MS * 1e-3,
                     "psp_peak_membrane_units": _psp_peak(current_jump, tau_syn, shape)},
            poisson=_poisson_equivalent(current_jump, "jump of the synaptic current i (membrane units), "
                                                      "tau du/dt = -u + i"),
            refractory="clamp (u held at u_reset; the synaptic current keeps decaying and receiving input)",
            input_order="membrane step with the current of the previous step, then the current decays and "
                        "this step's input spikes are added to it"),
    }


def _psp_peak(current_jump: float, tau_syn: float, shape: str, tau_m: float = TAU_M_MS) -> float:
    """Peak of the PSP (membrane units) of one input spike, ``tau du/dt = -u + i``, ``tau_s != tau``:
    exp PSC ``i = j e^{-t/tau_s}``: ``u = j tau_s/(tau - tau_s) (e^{-t/tau} - e^{-t/tau_s})``; alpha PSC
    ``i = j (e/tau_s) t e^{-t/tau_s}``: ``u = j e/(tau_s tau) e^{-t/tau} ((1 - e^{-kt})/k^2 - t e^{-kt}/k)``,
    ``k = 1/tau_s - 1/tau``; the maximum over ``0 < t < 5 tau`` (one peak) by a bounded scalar search."""
    from scipy.optimize import minimize_scalar

    k = 1.0 / tau_syn - 1.0 / tau_m

    def psp(t: float) -> float:
        if shape == "exp":
            return current_jump * tau_syn / (tau_m - tau_syn) * (math.exp(-t / tau_m) - math.exp(-t / tau_syn))
        return (current_jump * math.e / (tau_syn * tau_m) * math.exp(-t / tau_m)
                * (-math.expm1(-k * t) / k**2 - t * math.exp(-k * t) / k))

    found = minimize_scalar(lambda t: -psp(t), bounds=(0.0, 5 * tau_m), method="bounded", options={"xatol": 1e-10})
    return psp(found.x)


def _escape_parameters(**extra) -> dict:
    """``pp_psc_delta`` with V in mV from rest: ``rate = c_2 exp(c_3 V)`` equals ``rho_0 exp((u - 1)/delta_u)``
    for ``u = V/V_UNIT``; ``I_e`` holds ``u_inf = MU``."""
    return {"tau_m": TAU_M_MS, "C_m": C_M_PF, "I_e": MU * V_UNIT_MV * C_M_PF / TAU_M_MS, "c_1": 0.0,
            "c_2": RHO_0_HZ * math.exp(-1.0 / DELTA_U), "c_3": 1.0 / (DELTA_U * V_UNIT_MV), "with_reset": True,
            "V_m": 0.0, "dead_time_random": False, **extra}


def _hazard_equivalent(**extra) -> dict:
    return _lif_equivalent(firing="hazard", rho_0=RHO_0_HZ, delta_u=DELTA_U, input_current=MU, **extra)


def escape_renewal(n_dead: int, dead_time: str, multiplicity: bool = False, mu: float = MU, rho_0: float = RHO_0_HZ,
                   delta_u: float = DELTA_U, tau_ms: float = TAU_M_MS, duration_ms: float | None = None) -> dict:
    """Exact discrete-time renewal prediction for the escape neurons without adaptation, as NEST steps them.

    A spike in step 0 resets ``u`` to 0; step ``j >= 1`` has ``u_j = mu (1 - a^k)``, ``a = exp(-h/tau)``, with
    ``k = j`` if the membrane integrates during the dead time (``pp_psc_delta``) or ``k = j - n_dead`` if it is
    clamped (``gif_psc_exp``); steps ``j <= n_dead`` cannot fire, later ones fire with ``p_j = 1 - exp(-rho_j h)``,
    ``rho_j = rho_0 exp((u_j - 1)/delta_u)``. With survival ``S_j = prod_{i <= j} (1 - p_i)``: ``E[T] = sum j
    S_{j-1} p_j`` steps, and the spikes per cycle ``E[N] = sum S_{j-1} p_j`` (one spike per step) or
    ``sum S_{j-1} rho_j h`` (``multiplicity``: a Poisson number of spikes per step, ``dead_time = 0``);
    ``rate = E[N]/(E[T] h)``, ``cv`` the CV of ``T``. With ``duration_ms``, also the expected count rate of a run
    of that length started at a renewal point, to first order: ``rate + (cv^2 - 1)/(2 duration)`` (Cox)."""
    h_s, tau_s = DT_MS * 1e-3, tau_ms * 1e-3
    steps = np.arange(1, 400_001)
    since_reset = steps if dead_time == "integrate" else np.maximum(steps - n_dead, 0)
    rate = rho_0 * np.exp((mu * -np.expm1(since_reset * -h_s / tau_s) - 1.0) / delta_u)
    rate[steps <= n_dead] = 0.0
    probability = -np.expm1(-rate * h_s)
    survival = np.concatenate([[1.0], np.cumprod(1.0 - probability)[:-1]])
    first = survival * probability
    mean_steps, second_steps = np.sum(steps * first), np.sum(steps * steps * first)
    spikes = np.sum(survival * (rate * h_s if multiplicity else probability))
    if survival[-1] > 1e-12:
        raise ValueError(f"escape_renewal: survival {survival[-1]:.3g} after {steps[-1]} steps; the rate is too low "
                         "for this sum")
    result = {"rate_hz": float(spikes / (mean_steps * h_s)),
              "cv": float(math.sqrt(second_steps - mean_steps**2) / mean_steps), "survival_left": float(survival[-1])}
    if duration_ms is not None:
        result["count_rate_from_rest_hz"] = result["rate_hz"] + (result["cv"] ** 2 - 1.0) / (2 * duration_ms * 1e-3)
    return result


def _pp_case(name: str, dead_time: float, q_sfa=(), tau_sfa=()) -> dict:
    extra = {"q_sfa": list(q_sfa), "tau_sfa": list(tau_sfa)}
    equivalent = _hazard_equivalent(
        tau_ref=dead_time * 1e-3,
        refractory="integrate (u keeps integrating during the dead time and cannot fire)" if dead_time else "none",
        threshold_kernels=[{"jump": q / V_UNIT_MV, "tau": tau * 1e-3} for q, tau in zip(q_sfa, tau_sfa)],
        threshold_kernel_timing="the hazard of step k+m (m >= 1) after a spike in step k sees jump*exp(-m dt/tau) "
                                "(jump after the spike, decay before the next hazard)")
    if dead_time == 0:
        equivalent["note"] = ("NEST draws a Poisson number of spikes per step when dead_time = 0 (several spikes "
                              "in one step count as several spikes); a Bernoulli spike per step differs by "
                              "O(rate^2 dt) per step")
    return {"name": name, "model": "pp_psc_delta", "nest_params": _escape_parameters(dead_time=dead_time, **extra),
            "drives": [], "nsnn_equivalent": equivalent}


def _gif_case(name: str, kernels: bool, noise_sd_membrane_units: float) -> dict:
    """``gif_psc_exp`` on the same membrane (tau_m = C_m/g_L = 10 ms) and escape rate as the pp cases, with the
    clamped dead time; one spike-triggered current (eta) and one threshold kernel (gamma) if ``kernels``."""
    g_l = C_M_PF / TAU_M_MS
    q_stc, tau_stc, q_sfa, tau_sfa = (37.5, 30.0, 1.5, 200.0) if kernels else (None,) * 4
    params = {"C_m": C_M_PF, "g_L": g_l, "E_L": E_L_MV, "V_reset": E_L_MV, "V_T_star": E_L_MV + V_UNIT_MV,
              "Delta_V": DELTA_U * V_UNIT_MV, "lambda_0": RHO_0_HZ, "t_ref": T_REF_MS, "I_e": MU * V_UNIT_MV * g_l,
              "V_m": E_L_MV, "tau_syn_ex": 2.0, "tau_syn_in": 2.0,
              "q_stc": [q_stc] if kernels else [], "tau_stc": [tau_stc] if kernels else [],
              "q_sfa": [q_sfa] if kernels else [], "tau_sfa": [tau_sfa] if kernels else []}
    drives = []
    equivalent = _hazard_equivalent(refractory="clamp (u held at u_reset)")
    if noise_sd_membrane_units:
        p33, p30 = membrane_propagators()
        # a current constant over each step, new every step: V's increment has SD P30*std, which is the exact
        # OU step of a membrane whose free stationary SD is P30*std/sqrt(1 - P33^2)
        std_pa = noise_sd_membrane_units * V_UNIT_MV * math.sqrt(1.0 - p33 * p33) / p30
        drives.append({"generator": "noise_generator", "params": {"mean": 0.0, "std": std_pa, "dt": DT_MS},
                       "connection": "all_to_all", "syn_spec": {"weight": 1.0, "delay": DT_MS}})
        equivalent["membrane_noise"] = {
            "sigma": noise_sd_membrane_units, "per_step_sd": noise_sd_membrane_units * math.sqrt(1.0 - p33 * p33),
            "note": "Gaussian, independent per step and neuron, added to u before the hazard is evaluated; "
                    "NEST applies a step's noise current in the next step (independent draws: same process)"}
    if kernels:
        equivalent["adaptation_current"] = {"b": q_stc / (g_l * V_UNIT_MV), "tau_w": tau_stc * 1e-3, "a": 0.0,
                                            "note": "tau du/dt = -u + I - w; q_stc is in pA (not nA as NEST's "
                                                    "table says): w jumps by q_stc/(g_L V_UNIT)"}
        equivalent["threshold_kernels"] = [{"jump": q_sfa / V_UNIT_MV, "tau": tau_sfa * 1e-3}]
        equivalent["kernel_timing"] = (
            "NEST gif_psc_exp uses each kernel's value at the start of a step, held over the step: after a spike in "
            "step k, step k+m (m >= 1) sees q*exp(-(m-1) dt/tau) (one step later than pp_psc_delta's "
            "q*exp(-m dt/tau)); the eta current enters V as a constant over the step (P30*eta), not integrated "
            "exactly; a 'jump then decay' scheme equals it with jump q*exp(dt/tau) for the threshold")
    return {"name": name, "model": "gif_psc_exp", "nest_params": params, "drives": drives,
            "nsnn_equivalent": equivalent}


def population_cases(duration_ms: float = 5000.0) -> list:
    """Every population case: NEST model, parameters, drives, and the nsnn_sim configuration that equals it;
    the escape neurons without adaptation also carry their :func:`escape_renewal` prediction."""
    delta = {"name": "iaf_psc_delta", "model": "iaf_psc_delta", "nest_params": _iaf_parameters(),
             "drives": _poisson_drive(DRIVE_J_MV),
             "nsnn_equivalent": _lif_equivalent(poisson=_poisson_equivalent(DRIVE_J_MV / V_UNIT_MV, "jump of u"),
                                                refractory="clamp (u held at u_reset; input arriving is lost)")}
    cases = [delta] + [_synaptic_case("iaf_psc_exp", tau, "exp") for tau in TAU_SYN_MS]
    cases.append(_synaptic_case("iaf_psc_alpha", 2.0, "alpha"))
    n_dead = round(T_REF_MS / DT_MS)
    cases += [{**_pp_case("pp_psc_delta dead_time=2 ms", T_REF_MS),
               "renewal_theory": escape_renewal(n_dead, "integrate", duration_ms=duration_ms)},
              {**_pp_case("pp_psc_delta dead_time=0", 0.0),
               "renewal_theory": escape_renewal(0, "integrate", multiplicity=True, duration_ms=duration_ms)},
              _pp_case("pp_psc_delta dead_time=2 ms, q_sfa=3 mV, tau_sfa=100 ms", T_REF_MS, (3.0,), (100.0,))]
    cases += [_gif_case("gif_psc_exp eta+gamma, constant + noise (sigma 0.2)", True, 0.2),
              _gif_case("gif_psc_exp eta+gamma, constant", True, 0.0),
              {**_gif_case("gif_psc_exp no kernels, constant (clamped escape neuron)", False, 0.0),
               "renewal_theory": escape_renewal(n_dead, "clamp", duration_ms=duration_ms)}]
    return cases


# ------------------------------------------------------------------------------------------- running NEST


def _kernel(nest, seed: int, threads: int = THREADS) -> dict:
    status = {"resolution": DT_MS, "local_num_threads": threads, "rng_seed": seed}
    nest.ResetKernel()
    nest.SetKernelStatus(status)
    return status


def simulate_population(nest, case: dict, n_neurons: int, duration_ms: float, seed: int = SEED) -> dict:
    """Simulate one case and return its :func:`spike_statistics` with the build and simulation wall times."""
    started = time.perf_counter()
    kernel_status = _kernel(nest, seed)
    population = nest.Create(case["model"], n_neurons, params=case["nest_params"])
    for drive in case["drives"]:
        generator = nest.Create(drive["generator"], params=drive["params"])
        nest.Connect(generator, population, drive["connection"], syn_spec=drive["syn_spec"])
    recorder = nest.Create("spike_recorder")
    nest.Connect(population, recorder)
    built = time.perf_counter()
    nest.Simulate(duration_ms)
    wall = time.perf_counter() - built
    events = recorder.get("events")
    stats = spike_statistics(np.asarray(events["senders"]) - population[0].global_id, np.asarray(events["times"]),
                             n_neurons, duration_ms)
    return {**stats, "simulate_wall_s": wall, "build_wall_s": built - started, "kernel": kernel_status,
            "n_neurons": n_neurons, "duration_ms": duration_ms,
            "nest_params_after_run": _plain(population[0].get(sorted(case["nest_params"])))}


def _plain(value):
    """JSON-able copy of a NEST status value (numpy arrays and scalars to lists and floats)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (np.ndarray, list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _record_single(nest, model: str, params: dict, duration_ms: float, recordables=("V_m",), inputs=(),
                   seed: int = SEED) -> tuple:
    """One neuron for ``duration_ms``: its recordables at every step (time stamps are step ends, in ms)
    and its spike times; ``inputs`` are ``(spike_times, weight)`` pairs sent with a delay of one step."""
    _kernel(nest, seed, threads=1)
    neuron = nest.Create(model, params=params)
    meter = nest.Create("multimeter", params={"interval": DT_MS, "record_from": list(recordables)})
    nest.Connect(meter, neuron)
    recorder = nest.Create("spike_recorder")
    nest.Connect(neuron, recorder)
    for spike_times, weight in inputs:
        generator = nest.Create("spike_generator", params={"spike_times": list(spike_times)})
        nest.Connect(generator, neuron, syn_spec={"weight": weight, "delay": DT_MS})
    nest.Simulate(duration_ms)
    events = meter.get("events")
    order = np.argsort(events["times"])
    trace = {name: np.asarray(events[name])[order] for name in ("times",) + tuple(recordables)}
    return trace, np.asarray(recorder.get("events")["times"])


def _at(trace: dict, name: str, time_ms: float) -> float:
    return float(trace[name][np.argmin(np.abs(trace["times"] - time_ms))])


def check_refractory_input(nest) -> dict:
    """A neuron starting above threshold spikes in the first step (stamp 0.1 ms) and is refractory until the
    stamp 2.1 ms; an input spike arrives at the stamp 1.0 ms. Where does the input go?"""
    result = {}
    for label, model, params, weight in (
            ("iaf_psc_exp", "iaf_psc_exp", {"tau_syn_ex": 2.0}, 100.0),
            ("iaf_psc_alpha", "iaf_psc_alpha", {"tau_syn_ex": 2.0}, 100.0),
            ("iaf_psc_delta", "iaf_psc_delta", {}, 1.0),
            ("iaf_psc_delta refractory_input=True", "iaf_psc_delta", {"refractory_input": True}, 1.0)):
        recordables = ("V_m", "I_syn_ex") if model == "iaf_psc_exp" else ("V_m",)
        trace, spikes = _record_single(nest, model, {"V_m": -54.0, **params}, 4.0, recordables, [([0.9], weight)])
        refractory = (trace["times"] >= 0.15) & (trace["times"] <= 2.15)
        row = {"spikes_ms": spikes.tolist(), "input_weight": weight,
               "max_abs_V_minus_reset_while_refractory_mV": float(np.max(np.abs(trace["V_m"][refractory] + 70.0))),
               "V_at_2.1_ms": _at(trace, "V_m", 2.1), "V_at_2.2_ms": _at(trace, "V_m", 2.2),
               "V_at_3.0_ms": _at(trace, "V_m", 3.0)}
        if "I_syn_ex" in trace:
            row.update({"I_syn_at_1.0_ms": _at(trace, "I_syn_ex", 1.0), "I_syn_at_2.1_ms": _at(trace, "I_syn_ex", 2.1)})
        result[label] = row
    result["reading"] = (
        "iaf_psc_exp/alpha: V is held at V_reset through the stamp 2.1 ms while the input enters the synaptic "
        "current, which decays during the refractory period and drives V after it (input integrated, not lost). "
        "iaf_psc_delta: the input is lost; with refractory_input=True it is added at the first free step, "
        "discounted by exp(-(time from arrival to that step)/tau_m).")
    return result


def check_input_order(nest) -> dict:
    """One input spike (stamp 1.0 ms) into a neuron at rest: the first step whose V differs from rest."""
    result = {}
    for model, params, weight in (
            ("iaf_psc_delta", {}, 1.0), ("iaf_psc_exp", {"tau_syn_ex": 2.0}, 100.0),
            ("iaf_psc_alpha", {"tau_syn_ex": 2.0}, 100.0),
            ("gif_psc_exp", {"tau_syn_ex": 2.0, "g_L": 25.0, "C_m": 250.0, "E_L": -70.0, "V_m": -70.0,
                             "lambda_0": 0.0}, 100.0)):
        trace, _ = _record_single(nest, model, params, 2.0, ("V_m",), [([0.9], weight)])
        moved = np.flatnonzero(trace["V_m"] != -70.0)
        result[model] = {"first_stamp_V_moved_ms": float(trace["times"][moved[0]]),
                         "V_at_1.0_1.1_1.2_ms": [_at(trace, "V_m", t) for t in (1.0, 1.1, 1.2)]}
    result["reading"] = ("iaf_psc_delta and gif_psc_exp add the input before the membrane step (V moves in the "
                         "arrival step); iaf_psc_exp and iaf_psc_alpha add it to the current after the membrane "
                         "step (V moves one step later); the gif_psc_exp and iaf_psc_exp traces are the same "
                         "values one step apart.")
    return result


def check_pp_dead_time_integration(nest) -> dict:
    """``pp_psc_delta`` with a constant hazard (c_3 = 0) and constant input: V after a spike against the free
    membrane ``V_k = I_e P30 (1 - P33^k)/(1 - P33)`` from the reset V = 0."""
    params = {"I_e": 337.5, "c_1": 0.0, "c_2": 1000.0, "c_3": 0.0, "dead_time": 2.0, "V_m": 0.0}
    trace, spikes = _record_single(nest, "pp_psc_delta", params, 10.0, ("V_m",), seed=3)
    p33, p30 = membrane_propagators()
    first = float(spikes[0])
    observed = [_at(trace, "V_m", first + k * DT_MS) for k in range(0, 21)]
    expected = [params["I_e"] * p30 * (1 - p33**k) / (1 - p33) for k in range(0, 21)]
    return {"params": params, "first_spike_ms": first, "V_after_spike_mV_steps_0_to_20": observed,
            "free_membrane_from_reset_mV": expected,
            "max_abs_difference_mV": float(np.max(np.abs(np.subtract(observed, expected)))),
            "reading": "V is reset to 0 at the spike and integrates the input through the whole dead time."}


def check_dead_time_steps(nest) -> dict:
    """Shortest ISI under a drive that fires whenever allowed: dead time -> whole steps, ISI = steps + 1."""
    result = {}
    for model, name, values in (("pp_psc_delta", "dead_time", (0.05, 0.1, 0.15, 2.0, 2.05)),
                                ("iaf_psc_delta", "t_ref", (0.0, 0.05, 2.0, 2.05)),
                                ("iaf_psc_exp", "t_ref", (0.0, 0.05, 2.0, 2.05))):
        for value in values:
            params = ({"c_1": 0.0, "c_2": 1e9, "c_3": 0.0, name: value} if model == "pp_psc_delta"
                      else {"I_e": 1e7, name: value})
            _kernel(nest, SEED, threads=1)
            neuron = nest.Create(model, params=params)
            recorder = nest.Create("spike_recorder")
            nest.Connect(neuron, recorder)
            nest.Simulate(10.0)
            isi = np.unique(np.round(np.diff(recorder.get("events")["times"]), 6))
            result[f"{model} {name}={value:g}"] = {"isi_ms": isi.tolist(),
                                                   f"{name}_after_run": float(neuron.get(name))}
    result["reading"] = ("A dead time is rounded to tics (1 us) and then up to whole steps, n = ceil(t/dt); the "
                         "shortest ISI is (n + 1) steps. pp_psc_delta also overwrites a dead_time shorter than one "
                         "step (and > 0) with dt, which gives the same n = 1.")
    return result


def check_gif_reset_and_units(nest) -> dict:
    """``gif_psc_exp`` with a huge ``lambda_0`` (a spike whenever allowed): (a) with ``t_ref = 0`` V is never reset;
    (b) with ``t_ref = 0.1`` ms (spikes every second step) the V difference made by ``q_stc = [100]`` is
    ``-P30 * I_stc`` with P30 in mV/pA, i.e. I_stc is in pA."""
    base = {"g_L": 25.0, "C_m": 250.0, "E_L": -70.0, "V_reset": -70.0, "V_T_star": -55.0, "Delta_V": 3.0,
            "lambda_0": 1e9, "I_e": 337.5}
    no_refractory, spikes_0 = _record_single(nest, "gif_psc_exp", {**base, "t_ref": 0.0, "V_m": -60.0}, 3.0)
    traces = {}
    for label, q_stc in (("without", []), ("with", [100.0])):
        traces[label], spikes = _record_single(nest, "gif_psc_exp", {
            **base, "t_ref": 0.1, "V_m": -70.0, "q_stc": q_stc, "tau_stc": [50.0] * len(q_stc)}, 3.0, ("V_m", "I_stc"))
    _, p30 = membrane_propagators()
    free = traces["with"]["V_m"] != -70.0  # the non-refractory steps
    implied = (traces["without"]["V_m"] - traces["with"]["V_m"])[free] / p30
    return {"t_ref_0": {"spikes_ms": spikes_0[:8].tolist(), "V_m_first_steps": no_refractory["V_m"][:8].tolist()},
            "t_ref_0.1": {"spikes_ms": spikes[:8].tolist(), "I_stc_first_steps": traces["with"]["I_stc"][:8].tolist(),
                          "V_difference_over_P30_pA": implied[:6].tolist(),
                          "I_stc_at_those_steps": traces["with"]["I_stc"][free][:6].tolist()},
            "reading": "t_ref = 0: V keeps its value after a spike (gif_psc_exp resets V only in refractory steps). "
                       "The V drop caused by the spike-triggered current equals P30 (mV/pA) times I_stc: q_stc "
                       "is in pA. The value of I_stc used in a step is the one before that step's decay."}


def semantics(nest) -> dict:
    """Every single-neuron check (seconds in all)."""
    return {"refractory_input": check_refractory_input(nest), "input_order": check_input_order(nest),
            "pp_dead_time_integration": check_pp_dead_time_integration(nest),
            "dead_time_steps": check_dead_time_steps(nest), "gif_reset_and_units": check_gif_reset_and_units(nest)}


#: the speed part's two ways of giving each neuron an independent 10 kHz Poisson train (the same statistics)
SPEED_CONNECTIONS = {"one_to_one": "one poisson_generator per neuron",
                     "all_to_all": "one poisson_generator for all (NEST draws an independent train per target)"}


def speed(nest, n_neurons: int, duration_ms: float, repeats: int) -> dict:
    """``iaf_psc_exp`` (tau_syn 2 ms) driven by 10 kHz Poisson trains of weight ``J C/tau_syn`` with ``J = 0.15 mV``
    (u_inf = 1, sigma = 0.071 in membrane units for the delta synapse), for each of :data:`SPEED_CONNECTIONS`;
    ``repeats`` fresh builds each, timing ``nest.Simulate`` (wall and the process's CPU time, all threads)."""
    rate_hz, j_mv, tau_syn = 10_000.0, 0.15, 2.0
    params = _iaf_parameters(tau_syn_ex=tau_syn, tau_syn_in=tau_syn)
    syn_spec = {"weight": j_mv * C_M_PF / tau_syn, "delay": DT_MS}
    runs = []
    for connection in SPEED_CONNECTIONS:
        for repeat in range(repeats):
            load_before = machine_load()
            _kernel(nest, SEED + repeat)
            population = nest.Create("iaf_psc_exp", n_neurons, params=params)
            generators = nest.Create("poisson_generator", n_neurons if connection == "one_to_one" else 1,
                                     params={"rate": rate_hz})
            nest.Connect(generators, population, connection, syn_spec=syn_spec)
            recorder = nest.Create("spike_recorder")
            nest.Connect(population, recorder)
            cpu_started, started = time.process_time(), time.perf_counter()
            nest.Simulate(duration_ms)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            events = recorder.get("events")
            stats = spike_statistics(np.asarray(events["senders"]) - population[0].global_id,
                                     np.asarray(events["times"]), n_neurons, duration_ms)
            runs.append({"connection": connection, "repeat": repeat, "simulate_wall_s": wall, "simulate_cpu_s": cpu,
                         "neuron_steps_per_s": n_neurons * round(duration_ms / DT_MS) / wall,
                         "rate_hz": stats["rate_hz"], "rate_se_hz": stats["rate_se_hz"],
                         "load_before": load_before, "load_after": machine_load()})
            print(f"speed {connection} {repeat}: Simulate {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
    fastest = {connection: min(run["simulate_wall_s"] for run in runs if run["connection"] == connection)
               for connection in SPEED_CONNECTIONS}
    return {"model": "iaf_psc_exp", "nest_params": params, "n_neurons": n_neurons, "duration_ms": duration_ms,
            "threads": THREADS, "repeats": repeats,
            "drive": {"generator": "poisson_generator", "params": {"rate": rate_hz}, "connections": SPEED_CONNECTIONS,
                      "syn_spec": syn_spec},
            "nsnn_equivalent": _lif_equivalent(synapse={"shape": "exp", "tau_syn": tau_syn * 1e-3,
                                                        "current_jump_membrane_units": j_mv / V_UNIT_MV
                                                        * TAU_M_MS / tau_syn},
                                               poisson={"rate_hz": rate_hz}),
            "runs": runs, "fastest_simulate_wall_s": fastest}


def brunel(nest, n_excitatory: int, duration_ms: float, repeats: int, g: float = 6.0, eta: float = 4.0,
           delay_ms: float = 1.5, j_mv: float = 0.1, epsilon: float = 0.1) -> dict:
    """Brunel's (2000) model A as NEST's ``brunel_delta_nest.py`` builds it, at the parameters of nsnn_sim's
    ``brunel_model_a`` (``benchmarks/recurrent.py``): ``iaf_psc_delta`` with C_m 1 pF (weights in mV), tau_m
    20 ms, threshold 20 mV, reset 10 mV, t_ref 2 ms, ``V_m`` uniform in [10, 20) mV; ``fixed_indegree`` C_E =
    epsilon N_E excitatory (J) and C_I = epsilon N_I inhibitory (-g J) inputs with delay D; one
    ``poisson_generator`` at ``eta nu_thr C_E`` to all neurons (an independent train per target). ``repeats``
    fresh builds on :data:`THREADS` threads, timing ``nest.Simulate``; the population rate after the first 10 %
    in 20 ms windows (mean and SE over windows), as ``recurrent.py`` computes it."""
    n_inhibitory = n_excitatory // 4
    in_excitatory, in_inhibitory = int(epsilon * n_excitatory), int(epsilon * n_inhibitory)
    tau_m, theta = 20.0, 20.0
    nu_threshold_hz = theta / (j_mv * in_excitatory * tau_m) * 1000.0
    params = {"C_m": 1.0, "tau_m": tau_m, "t_ref": 2.0, "E_L": 0.0, "V_reset": 10.0, "V_th": theta}
    runs = []
    for repeat in range(repeats):
        load_before = machine_load()
        _kernel(nest, SEED + repeat)
        started = time.perf_counter()
        neurons = nest.Create("iaf_psc_delta", n_excitatory + n_inhibitory, params=params)
        neurons.V_m = nest.random.uniform(10.0, 20.0)
        excitatory, inhibitory = neurons[:n_excitatory], neurons[n_excitatory:]
        noise = nest.Create("poisson_generator", params={"rate": eta * nu_threshold_hz * in_excitatory})
        nest.Connect(noise, neurons, "all_to_all", syn_spec={"weight": j_mv, "delay": delay_ms})
        for source, in_degree, weight in ((excitatory, in_excitatory, j_mv), (inhibitory, in_inhibitory, -g * j_mv)):
            nest.Connect(source, neurons, {"rule": "fixed_indegree", "indegree": in_degree},
                         syn_spec={"weight": weight, "delay": delay_ms})
        recorder = nest.Create("spike_recorder")
        nest.Connect(neurons, recorder)
        built = time.perf_counter()
        nest.Simulate(duration_ms)
        wall = time.perf_counter() - built
        times = np.asarray(recorder.get("events")["times"])
        first, window = duration_ms / 10, 20.0
        n_windows = int((duration_ms - first) // window)
        counts = np.bincount(((times[times > first] - first - 1e-9) // window).astype(int), minlength=n_windows)
        rates = counts[:n_windows] / len(neurons) / (window / 1000.0)
        runs.append({"repeat": repeat, "build_wall_s": built - started, "simulate_wall_s": wall,
                     "rate_hz": float(rates.mean()), "rate_se_hz": float(rates.std(ddof=1) / np.sqrt(n_windows)),
                     # every connection but the generator's and the recorder's, one per neuron each
                     "synapses": int(nest.GetKernelStatus("num_connections")) - 2 * len(neurons),
                     "load_before": load_before,
                     "load_after": machine_load()})
        print(f"brunel {repeat}: build {built - started:.1f} s, Simulate {wall:.2f} s wall", flush=True)
    return {"model": "iaf_psc_delta", "n_neurons": n_excitatory + n_inhibitory, "duration_ms": duration_ms,
            "threads": THREADS, "g": g, "eta": eta, "delay_ms": delay_ms, "j_mv": j_mv, "runs": runs}


# ------------------------------------------------------------------------------------------------ report


def _markdown(report: dict) -> str:
    lines = [f"# NEST {report['nest_version']} reference (benchmarks/nest_reference.py)", "",
             f"{report['protocol']}", "",
             f"Machine: {report['machine']}. Load before: {report['load_before']}; after: {report['load_after']}.", ""]
    if "populations" in report:
        lines += ["| case | rate (Hz) | CV (per neuron) | CV (pooled) | rho_1 (pooled) "
                  "| shortest ISI (ms, steps, count) | Simulate (s) |", "|---|---|---|---|---|---|---|"]
        for row in report["populations"]:
            lines.append(f"| {row['name']} | {row['rate_hz']:.2f} +- {row['rate_se_hz']:.2f} | "
                         f"{row['cv_mean']:.3f} +- {row['cv_se']:.3f} | {row['cv_pooled']:.3f} +- "
                         f"{row['cv_pooled_se']:.3f} | {row['rho1_pooled']:.3f} +- {row['rho1_pooled_se']:.3f} | "
                         f"{row['min_isi_ms']:.1f}, {row['min_isi_steps']}, {row['n_at_min_isi']} | "
                         f"{row['simulate_wall_s']:.1f} |")
        lines += ["", "Renewal predictions (escape_renewal: exact discrete-time renewal sums for NEST's update; "
                  "'from rest' adds the first-order start-up term (CV^2 - 1)/(2T) of a run counted from t = 0):", ""]
        lines += [f"* {row['name']}: stationary {row['renewal_theory']['rate_hz']:.3f} Hz, CV "
                  f"{row['renewal_theory']['cv']:.4f}; from rest {row['renewal_theory']['count_rate_from_rest_hz']:.3f}"
                  f" Hz; measured {row['rate_hz']:.2f} +- {row['rate_se_hz']:.2f} Hz"
                  for row in report["populations"] if "renewal_theory" in row]
        lines += ["", "Every NEST parameter and the equivalent nsnn_sim configuration: nest_reference.json.", ""]
    if "semantics" in report:
        lines += ["## Update rules seen in single-neuron runs", ""]
        lines += [f"* {name}: {part['reading']}" for name, part in report["semantics"].items()]
        lines.append("")
    if "speed" in report:
        run = report["speed"]
        lines += ["## Speed baseline", "",
                  f"iaf_psc_exp, {run['n_neurons']} neurons x {run['duration_ms'] / 1e3:g} s, dt {DT_MS} ms, "
                  f"{run['threads']} threads, a 10 kHz Poisson train per neuron; fastest Simulate of "
                  f"{run['repeats']}: " + ", ".join(f"{SPEED_CONNECTIONS[name]} {seconds:.2f} s"
                                                   for name, seconds in run["fastest_simulate_wall_s"].items())
                  + ". CPU time counts both threads: CPU/wall well below 2 means other jobs took the cores.", "",
                  "| connection | run | Simulate wall (s) | CPU (s) | neuron-steps/s | rate (Hz) | load before "
                  "| load after |", "|---|---|---|---|---|---|---|---|"]
        for row in run["runs"]:
            lines.append(f"| {row['connection']} | {row['repeat']} | {row['simulate_wall_s']:.2f} | "
                         f"{row['simulate_cpu_s']:.2f} | {row['neuron_steps_per_s']:.3g} | {row['rate_hz']:.2f} +- "
                         f"{row['rate_se_hz']:.2f} | {row['load_before']} | {row['load_after']} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 neurons x 0.5 s and 1000 neurons for the speed")
    parser.add_argument("--parts", nargs="+", default=["populations", "semantics", "speed"],
                        choices=["populations", "semantics", "speed"])
    parser.add_argument("--repeats", type=int, default=2, help="speed: fresh builds timed")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if importlib.util.find_spec("nest") is None:
        print("nest_reference: NEST is not installed in this environment; nothing measured. Install it in a separate "
              "environment (pip install nest-simulator==3.10.0 numpy scipy) and run this script from there.")
        return None
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    n_neurons, duration_ms = (50, 500.0) if args.quick else (500, 5000.0)
    path = args.out / f"{NAME}.json"
    report = json.loads(path.read_text()) if path.exists() and set(args.parts) != {"populations", "semantics",
                                                                                     "speed"} else {}
    report.update({
        "nest_version": nest.__version__, "python": sys.version.split()[0], "numpy": np.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared: other jobs may run)",
        "protocol": (f"dt {DT_MS} ms, {THREADS} threads, rng_seed {SEED}; populations of {n_neurons} neurons x "
                     f"{duration_ms / 1e3:g} s starting at rest (u = 0, not refractory), spikes counted over the "
                     f"whole run; SE over neurons (rate, per-neuron CV) or jackknife over neurons (pooled CV, "
                     f"rho_1). Membrane unit {V_UNIT_MV} mV (u = (V - E_L)/{V_UNIT_MV} mV)."),
        "membrane_unit_mV": V_UNIT_MV, "dt_ms": DT_MS, "threads": THREADS, "seed": SEED,
        "load_before": machine_load(), "quick": args.quick})
    if "populations" in args.parts:
        report["populations"] = []
        for case in population_cases(duration_ms):
            row = {**case, **simulate_population(nest, case, n_neurons, duration_ms)}
            print(f"{row['name']}: {row['rate_hz']:.2f} +- {row['rate_se_hz']:.2f} Hz, CV {row['cv_mean']:.3f}, "
                  f"min ISI {row['min_isi_ms']:.1f} ms, Simulate {row['simulate_wall_s']:.1f} s", flush=True)
            report["populations"].append(row)
    if "semantics" in args.parts:
        report["semantics"] = _plain(semantics(nest))
    if "speed" in args.parts:
        report["speed"] = speed(nest, 1000 if args.quick else 10_000, 1000.0, args.repeats)
    report["load_after"] = machine_load()
    args.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_plain(report), indent=1))
    (args.out / f"{NAME}.md").write_text(_markdown(report))
    print(_markdown(report))
    return report


if __name__ == "__main__":
    main()
