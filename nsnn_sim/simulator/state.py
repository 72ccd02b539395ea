"""Neurons with more state than ``u``: synaptic currents, adaptation currents and moving thresholds.

Besides the membrane ``u``, a neuron may carry linear variables (DESIGN.md section 3, "Neurons with more
state"). For the LIF, in membrane units and with ``I(t)`` the external current::

    tau   du/dt   = -(u - u_rest) + I(t) + sum_r I_r - sum_k w_k + sigma*sqrt(2*tau)*xi_0(t)
    tau_r dI_r/dt = -I_r + sigma_r*sqrt(2*tau)*xi_r(t)          exponential synapse r (ExpSynapse)
    tau_r dy_r/dt = -y_r + sigma_r*sqrt(2*tau)*xi_r(t),
    tau_r dI_r/dt = -I_r + y_r                                    alpha synapse r (AlphaSynapse)
    tau_k dw_k/dt = a_k*(u - u_rest) - w_k                        adaptation current k (Adaptation)
    tau_j dq_j/dt = -q_j                                          moving threshold j (MovingThreshold)

and the neuron fires when ``u`` reaches ``theta + sum_j q_j``. A spike resets ``u`` and makes ``w_k`` jump by
``b_k`` and ``q_j`` by ``jump_j``. An input spike of weight ``J`` to receptor ``r`` makes ``I_r`` (exponential)
or ``y_r`` (alpha) jump by ``J*tau/tau_r``: the **charge** normalisation, under which a weight means the same
charge as a delta synapse of that weight (the PSP tends to the jump ``J`` as ``tau_r -> 0``, and the white-noise
limit of ``sigma_r`` is membrane noise of stationary SD ``sigma_r``). In NEST's units (``V`` in mV, ``C`` in pF,
PSC amplitude ``w`` in pA) an ``iaf_psc_exp`` synapse is ``J = w*tau_r/C``; ``iaf_psc_alpha``'s PSC of peak
``w`` at ``t = tau_r`` has charge ``w*e*tau_r``, so ``J = w*e*tau_r/C``. The external current ``I(t)`` enters the
membrane, as above, or, given as ``nsnn_sim.current_input(I, receptor=r)``, synapse ``r``: ``tau_r dI_r/dt = -I_r +
I(t)`` (alpha: ``tau_r dy_r/dt = -y_r + I(t)``), so a constant current drives ``u`` to the same level either way
(NEST ``iaf_psc_exp``'s current on receptor port 1, filtered by the excitatory synapse).

The system is linear between spikes, ``dx/dt = A x + c + g*I(t) + B xi(t)``. :func:`linear_system` builds
``(A, c, g, B)``; :func:`discretise` turns it into the one-step map of the engine::

    x <- P x + bias + drive*I(t) + L eps        eps: independent standard normals

``method="exact"`` (Rotter & Diesmann 1999): ``P = expm(A dt)``, ``bias = M c``, ``drive = M g`` with
``M = int_0^dt expm(A s) ds``, both from one exponential of an augmented matrix (Van Loan 1978), and
``L L^T = Q = int_0^dt expm(A s) B B^T expm(A^T s) ds``, the exact covariance of one step, from another. The
exponential of the augmented matrix has no divided differences, so ``tau_r = tau`` (the ``t exp(-t/tau)``
case) and its neighbourhood keep full precision. ``method="euler"`` is Brian2's Euler-Maruyama scheme:
``P = 1 + A dt``, ``bias = c dt``, ``drive = g dt``, ``L = B sqrt(dt)`` (one normal per noise source).

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.simulator.state import ExpSynapse, linear_system, discretise
>>> A, c, g, B, names = linear_system(tau=10e-3, u_rest=0.0, sigma=0.0, synapses={"exc": ExpSynapse(5e-3)})
>>> names
('u', 'I_exc')
>>> P, bias, drive, L = discretise(A, c, g, B, dt=1e-4, method="exact")
>>> np.round(P, 6).tolist()
[[0.99005, 0.009851], [0.0, 0.980199]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit
from scipy import linalg

from nsnn_sim._core.validation import numeric_parameter, per_neuron, si_value
from nsnn_sim.simulator.noise import GAUSSIAN, NONE, below_cdf, ppf
from nsnn_sim.simulator.rng import normal, uniform
from nsnn_sim.simulator.rules import FIRING_ESCAPE, FIRING_HAZARD, FIRING_MEMBRANE, FIRING_REFERENCE, RESET_ZERO

__all__ = ["ExpSynapse", "AlphaSynapse", "Adaptation", "MovingThreshold", "linear_system", "discretise",
           "stationary_covariance"]


def _time_constant(owner: str, name: str, value):
    return numeric_parameter(f"{owner}.{name}", si_value(f"{owner}.{name}", value, "s"), lower=0.0, lower_open=True)


@dataclass(frozen=True, eq=False)
class ExpSynapse:
    """An exponentially decaying synaptic current: ``tau dI/dt = -I``, an input spike of weight ``J`` makes
    ``I`` jump by ``J*tau_m/tau`` (charge normalisation, module docstring). ``sigma``: white noise on the
    current (an Ornstein-Uhlenbeck current, coloured noise on the membrane), the membrane SD it would give
    without the synapse (Fourcaud & Brunel 2002)."""

    tau: float | np.ndarray
    sigma: float | np.ndarray = 0.0

    def __post_init__(self):
        object.__setattr__(self, "tau", _time_constant(type(self).__name__, "tau", self.tau))
        object.__setattr__(self, "sigma", numeric_parameter(f"{type(self).__name__}.sigma", self.sigma, lower=0.0))

    n_variables = 1


@dataclass(frozen=True, eq=False)
class AlphaSynapse(ExpSynapse):
    """An alpha-shaped synaptic current ``I(t) = J*(tau_m/tau)*(t/tau)*exp(-t/tau)`` per input spike: two
    coupled variables ``tau dy/dt = -y``, ``tau dI/dt = -I + y``; the input jumps ``y`` by ``J*tau_m/tau``."""

    n_variables = 2


@dataclass(frozen=True, eq=False)
class Adaptation:
    """An adaptation current ``w``: ``tau dw/dt = a*(u - u_rest) - w``, subtracted from the membrane's input;
    each spike makes ``w`` jump by ``b`` (membrane units). ``a`` is dimensionless (subthreshold coupling)."""

    tau: float | np.ndarray
    a: float | np.ndarray = 0.0
    b: float | np.ndarray = 0.0

    def __post_init__(self):
        object.__setattr__(self, "tau", _time_constant("Adaptation", "tau", self.tau))
        object.__setattr__(self, "a", numeric_parameter("Adaptation.a", self.a))
        object.__setattr__(self, "b", numeric_parameter("Adaptation.b", self.b))


@dataclass(frozen=True, eq=False)
class MovingThreshold:
    """A threshold component ``q``: ``tau dq/dt = -q``, each spike makes ``q`` jump by ``jump``; the neuron
    fires at ``theta + sum q`` (GIF models' ``gamma`` kernel, NEST ``pp_psc_delta``'s ``q_sfa``)."""

    tau: float | np.ndarray
    jump: float | np.ndarray = 0.0

    def __post_init__(self):
        object.__setattr__(self, "tau", _time_constant("MovingThreshold", "tau", self.tau))
        object.__setattr__(self, "jump", numeric_parameter("MovingThreshold.jump", self.jump))


def linear_system(tau: float, u_rest: float, sigma: float, synapses: dict | None = None,
                  adaptation: tuple = (), thresholds: tuple = (), sources: tuple | None = None,
                  current_receptor: int = 0):
    """``(A, c, g, B, names)`` of one neuron's linear subthreshold dynamics ``dx/dt = A x + c + g I + B xi``.

    Scalars only (one neuron's values). The variables, in order: ``u``, then per synapse ``I_r`` (or
    ``y_r, I_r`` for an alpha synapse), then ``w_k`` per adaptation current, then ``q_j`` per threshold
    component; ``names`` lists them. ``B`` has one column per noise source: the membrane's, then one per
    synapse; ``sources`` (booleans, membrane first) says which sources have a column (for a population: those
    with noise in any neuron, so that column ``j`` is the same source in every neuron); by default those with
    ``sigma > 0``. ``current_receptor`` says where the external current ``I(t)`` enters: 0, the membrane
    (``g = e_u/tau``); ``r >= 1``, synapse ``r`` (``tau_r dI_r/dt = -I_r + I``, alpha ``tau_r dy_r/dt = -y_r + I``:
    ``g = e_entry/tau_r``), so that a constant current drives ``u`` to the same level either way.
    """
    synapses = synapses or {}
    if sources is None:
        sources = (sigma > 0.0, *(float(synapse.sigma) > 0.0 for synapse in synapses.values()))
    names = variable_names(synapses, len(adaptation), len(thresholds))
    n = len(names)
    A, c, g = np.zeros((n, n)), np.zeros(n), np.zeros(n)
    noise_columns = [np.eye(n)[0] * sigma * math.sqrt(2.0 / tau)] if sources[0] else []
    A[0, 0], c[0] = -1.0 / tau, u_rest / tau
    if current_receptor == 0:
        g[0] = 1.0 / tau
    index = 1
    for r, (has_noise, synapse) in enumerate(zip(sources[1:], synapses.values()), start=1):
        tau_r, sigma_r = float(synapse.tau), float(synapse.sigma)
        entry = index  # where input spikes, the synapse's noise and a current into it enter
        if r == current_receptor:
            g[entry] = 1.0 / tau_r
        if isinstance(synapse, AlphaSynapse):
            A[index, index] = -1.0 / tau_r
            A[index + 1, index] = 1.0 / tau_r
            index += 1
        A[index, index] = -1.0 / tau_r
        A[0, index] = 1.0 / tau
        if has_noise:
            column = np.zeros(n)
            column[entry] = sigma_r * math.sqrt(2.0 * tau) / tau_r
            noise_columns.append(column)
        index += 1
    for component in adaptation:
        tau_w, a = float(component.tau), float(component.a)
        A[index, index], A[index, 0], c[index] = -1.0 / tau_w, a / tau_w, -a * u_rest / tau_w
        A[0, index] = -1.0 / tau
        index += 1
    for component in thresholds:
        A[index, index] = -1.0 / float(component.tau)
        index += 1
    B = np.array(noise_columns).T if noise_columns else np.zeros((n, 0))
    return A, c, g, B, names


def variable_names(synapses: dict, n_adaptation: int, n_thresholds: int) -> tuple[str, ...]:
    """The state variables in order: ``u``, per synapse ``I_r`` (alpha: ``y_r, I_r``), ``w_k``, ``q_j``."""
    names = ["u"]
    for receptor, synapse in synapses.items():
        names += [f"y_{receptor}", f"I_{receptor}"] if isinstance(synapse, AlphaSynapse) else [f"I_{receptor}"]
    return (*names, *(f"w_{k}" for k in range(n_adaptation)), *(f"q_{j}" for j in range(n_thresholds)))


def nsnn_variable_names(receptors) -> tuple[str, ...]:
    """The state variables of an NSNN with more state, in order (:func:`compile_nsnn_state`): ``u``, a trace
    ``I_r`` per receptor ``r``, the threshold component ``q_0``."""
    return ("u", *(f"I_{receptor}" for receptor in receptors), "q_0")


def discretise(A: np.ndarray, c: np.ndarray, g: np.ndarray, B: np.ndarray, dt: float, method: str):
    """``(P, bias, drive, L)`` of the one-step map ``x <- P x + bias + drive*I + L eps`` (module docstring).

    ``exact``: ``expm([[A, 1], [0, 0]] dt)`` holds ``P`` and ``M = int_0^dt expm(A s) ds``; ``expm([[-A, B B^T],
    [0, A^T]] dt)`` holds ``Q`` (Van Loan 1978, ``Q = F22^T F12``). ``L`` is the Cholesky factor of ``Q`` on the
    variables the noise reaches (``Q``'s other rows are exactly 0), one column per such variable.
    """
    n = A.shape[0]
    if method == "euler":
        return np.eye(n) + A * dt, c * dt, g * dt, B * math.sqrt(dt)
    # the constant and the drive share M: one exponential with both as extra columns
    augmented = np.zeros((n + 2, n + 2))
    augmented[:n, :n], augmented[:n, n], augmented[:n, n + 1] = A, c, g
    exponential = linalg.expm(augmented * dt)
    P, bias, drive = exponential[:n, :n], exponential[:n, n], exponential[:n, n + 1]
    if B.shape[1] == 0:
        return P, bias, drive, np.zeros((n, 0))
    reached = reached_by_noise(A, B)
    Q = step_covariance(A, B, dt)[np.ix_(reached, reached)]
    L = np.zeros((n, reached.size))
    L[np.ix_(reached, np.arange(reached.size))] = np.linalg.cholesky(Q)
    return P, bias, drive, L


def reached_by_noise(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Indices of the variables the noise reaches: those with a noise source, and those that a reached
    variable drives (``A[i, j] != 0``), in order. The others have no variance: exact zeros in ``L``."""
    reached = np.any(B != 0.0, axis=1)
    while True:
        grown = reached | np.any((A != 0.0) & reached[None, :], axis=1)
        if np.array_equal(grown, reached):
            return np.flatnonzero(reached)
        reached = grown


def step_covariance(A: np.ndarray, B: np.ndarray, dt: float) -> np.ndarray:
    """``Q = int_0^dt expm(A s) B B^T expm(A^T s) ds``, the covariance the noise adds in one step, by Van
    Loan's method: with ``F = expm([[-A, B B^T], [0, A^T]] dt)``, ``Q = F22^T F12``."""
    n = A.shape[0]
    block = np.zeros((2 * n, 2 * n))
    block[:n, :n], block[:n, n:], block[n:, n:] = -A, B @ B.T, A.T
    F = linalg.expm(block * dt)
    Q = F[n:, n:].T @ F[:n, n:]
    return (Q + Q.T) / 2.0


def stationary_covariance(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """The stationary covariance ``S`` of ``dx/dt = A x + B xi`` (``A`` stable): ``A S + S A^T + B B^T = 0``."""
    return linalg.solve_continuous_lyapunov(A, -B @ B.T)


class CompiledState(NamedTuple):
    """The one-step maps of a population's neurons with more state, one per distinct parameter set.

    ``set_of[i]`` is neuron ``i``'s set; for set ``s`` (``d`` variables, ``u`` first, ``k`` normals per step):
    ``propagator[s]`` (d, d), ``bias[s]`` and ``drive[s]`` (d,), ``noise[s]`` (d, k) of :func:`discretise`, and
    ``held_*`` the same while the neuron is refractory (``refractory="clamp"``: ``u`` held, the rest evolving;
    ``"integrate"``: equal to the free map). ``receptor[s, r]`` (d,) is what an input of weight 1 to receptor
    ``r`` adds to the state (``r = 0``: a delta input, a jump of ``u``); ``threshold_weight[s]`` (d,) gives the
    threshold ``theta + threshold_weight . x``; ``spike_jump[s]`` (d,) is added after a spike (the reset of ``u``
    is separate). ``initial[s]`` (d,) is the state before the first step (``u`` there is replaced by the
    population's initial membrane). ``clamp`` is 1 when refractoriness holds ``u`` (and drops delta inputs).
    """

    set_of: np.ndarray
    propagator: np.ndarray
    bias: np.ndarray
    drive: np.ndarray
    noise: np.ndarray
    held_propagator: np.ndarray
    held_bias: np.ndarray
    held_drive: np.ndarray
    held_noise: np.ndarray
    receptor: np.ndarray
    threshold_weight: np.ndarray
    spike_jump: np.ndarray
    initial: np.ndarray
    clamp: int


def pack(cs: "CompiledState") -> np.ndarray:
    """Each set's maps in one row ``(n_sets, K)``, the layout :func:`state_update` reads: for ``d`` variables,
    ``k`` normals and ``R`` receptors, the free map ``P (d*d), bias (d), drive (d), L (d*k)``, the held map in the
    same layout, then ``receptor (R*d), threshold_weight (d), spike_jump (d)``. One contiguous row per neuron
    keeps the step loop free of per-array bookkeeping (Numba counts references of every array it is handed)."""
    n_sets = cs.propagator.shape[0]
    # a zero bias as +0.0 (never -0.0): state_update relies on it to add a zero input without a branch
    parts = (cs.propagator, cs.bias + 0.0, cs.drive, cs.noise, cs.held_propagator, cs.held_bias + 0.0, cs.held_drive,
             cs.held_noise, cs.receptor, cs.threshold_weight, cs.spike_jump)
    return np.ascontiguousarray(np.concatenate([part.reshape(n_sets, -1) for part in parts], axis=1))


@njit(cache=True, inline="always")
def state_draws(draws, offset, n_receptors, n_noise, step, key_membrane, key_firing, codes):
    """The random numbers of one step of :func:`state_update`, into ``draws[offset, n_receptors:]``: the normals
    ``eps_j`` (``j < n_noise``), each the ziggurat normal of the neuron's membrane stream at counter
    ``step + j*2**56``, so ``j = 0`` is the draw of the one-variable neuron (an NSNN's membrane noise of another
    family: its ppf of the stream's uniform, as the one-variable NSNN draws it); then the firing rule's uniform
    of the firing stream at ``step`` (stochastic rules only)."""
    family, firing = codes[0], codes[1]
    family_noise = (firing == FIRING_MEMBRANE or firing == FIRING_REFERENCE) and family != GAUSSIAN and family != NONE
    for j in range(n_noise):
        counter = np.uint64(step) + (np.uint64(j) << np.uint64(56))
        if family_noise and j == 0:
            draws[offset, n_receptors + j] = ppf(family, uniform(key_membrane, counter), 1.0)
        else:
            draws[offset, n_receptors + j] = normal(key_membrane, counter)
    if firing == FIRING_ESCAPE or firing == FIRING_REFERENCE or firing == FIRING_HAZARD:
        draws[offset, n_receptors + n_noise] = uniform(key_firing, step)


@njit(cache=True, inline="always")
def state_update(c, n, n_noise, clamp, x, scratch, refractory_left, current, draws, offset, n_receptors, constants,
                 codes, first_receptor=0):
    """One step of a neuron with more state: propagate, add noise and inputs, fire, reset and jump.

    ``c`` is the neuron's set's row of :func:`pack` (``n`` variables, ``n_noise`` normals per step; ``clamp`` 1
    when the dead time holds ``u``). ``x`` (the neuron's ``n`` variables, ``u`` first) is updated in place
    (``scratch`` is a work array of the same size). ``draws[offset]`` holds this step's summed input weight to
    each of the ``n_receptors`` receptors, then its random numbers (:func:`state_draws`); receptors below
    ``first_receptor`` receive nothing in the run (1: the membrane's own receptor gets no input) and are skipped.
    Returns
    ``(refractory_left, spike)``. The order within a step::

        x <- P x + bias + drive*I(t) + L eps + sum_r receptor[r]*arriving[r]
        theta_t = theta + threshold_weight . x;  spike by the firing rule on (x[0], theta_t)
        on a spike: x[0] <- reset(x[0]);  x <- x + spike_jump;  held for refractory_steps steps

    While held, the held map applies (``refractory="clamp"``: ``u`` fixed, delta inputs lost, currents and
    adaptation evolving) and the neuron cannot fire. The random numbers are drawn apart from this update so
    that the update's loop holds no call: the state stays in registers.
    """
    held = refractory_left > 0
    free = not (held and clamp == 1)
    half = n * n + 2 * n + n * n_noise  # one map: P, bias, drive, L
    base = 0 if free else half
    for a in range(n):
        total = c[base + n * n + a] + c[base + n * n + n + a] * current
        for b in range(n):
            total += c[base + a * n + b] * x[b]
        scratch[a] = total
    noise = base + n * n + 2 * n
    for j in range(n_noise):
        eps = draws[offset, n_receptors + j]
        for a in range(n):
            scratch[a] += c[noise + a * n_noise + j] * eps
    receptor = 2 * half
    for r in range(first_receptor, n_receptors):
        if free or r > 0:
            # added even when nothing arrived (weight 0), with no branch: whether a Poisson input arrives is a
            # coin toss a branch would mispredict. The sum keeps its bits: it starts at the bias, which pack()
            # makes +0.0 where it is zero, so it is never -0.0, and adding +-0.0 to any other number changes no bit
            weight = draws[offset, r]
            for a in range(n):
                scratch[a] += c[receptor + r * n + a] * weight
    threshold_weight = receptor + n_receptors * n
    threshold = constants[4]
    for a in range(n):
        x[a] = scratch[a]
        threshold += c[threshold_weight + a] * scratch[a]
    if held:
        return refractory_left - 1, False
    u = x[0]
    family, firing = codes[0], codes[1]
    if firing == FIRING_ESCAPE or firing == FIRING_REFERENCE:  # reference: the cdf of the already-noisy u
        spike = below_cdf(family, draws[offset, n_receptors + n_noise], u - threshold, constants[3])
    elif firing == FIRING_HAZARD:
        spike = draws[offset, n_receptors + n_noise] < -math.expm1(-constants[7] * math.exp((u - threshold)
                                                                                            / constants[3]))
    else:
        spike = u >= threshold
    if spike:
        if codes[2] == RESET_ZERO:
            x[0] = constants[5]
        else:
            x[0] = u - (threshold - constants[5])
        spike_jump = threshold_weight + n
        for a in range(n):
            x[a] += c[spike_jump + a]
        refractory_left = constants[6]
    return refractory_left, spike


#: Entries of a row of :func:`pair_update` (:func:`pair_lane`): the free and held maps (P 4, bias 2, drive 2
#: each), then each field at its own place, whatever the number of receptors.
PAIR_RECEPTORS, PAIR_THRESHOLD_WEIGHT, PAIR_SPIKE_JUMP, PAIR_THRESHOLD, PAIR_RESET, PAIR_ROW = 16, 20, 22, 24, 25, 26


@njit(cache=True, inline="always")
def pair_lane(c, n_receptors, threshold, u_reset, rows, lane, lanes):
    """Write a neuron's row ``c`` of :func:`pack` (two variables, no noise, ``n_receptors`` <= 2), its
    ``threshold`` and ``u_reset`` into lane ``lane`` of ``rows`` in :func:`pair_update`'s layout (entry ``k`` at
    ``rows[k*lanes + lane]``; a missing second receptor's entries 0)."""
    for k in range(PAIR_RECEPTORS):  # the free and held maps
        rows[k * lanes + lane] = c[k]
    for k in range(4):
        rows[(PAIR_RECEPTORS + k) * lanes + lane] = c[PAIR_RECEPTORS + k] if k < 2 * n_receptors else 0.0
    for k in range(4):  # threshold weights and spike jumps
        rows[(PAIR_THRESHOLD_WEIGHT + k) * lanes + lane] = c[PAIR_RECEPTORS + 2 * n_receptors + k]
    rows[PAIR_THRESHOLD * lanes + lane] = threshold
    rows[PAIR_RESET * lanes + lane] = u_reset


@njit(cache=True, inline="always")
def pair_update(c, lane, lanes, clamp, x, refractory_left, current, draws, offset, n_receptors, first_receptor,
                refractory_steps, reset_zero):
    """:func:`state_update` for two variables, at most two receptors, no noise and the membrane rule
    (``u >= theta_t`` fires), with the same operations in the same order, so the same numbers bit for bit; written
    for lane ``lane`` of ``lanes`` neurons stepped side by side.

    Entry ``k`` of the lane's row (:data:`PAIR_ROW` entries) is ``c[k*lanes + lane]``; its variables are
    ``x[2*lane]`` (``u``) and ``x[2*lane + 1]``; this step's input weight to receptor ``r`` is
    ``draws[lane, offset, r]``, its current ``current``. ``reset_zero``: the reset is to
    ``u_reset``. Returns ``(refractory_left, spike)``."""
    held = refractory_left > 0
    free = not (held and clamp == 1)
    base = 0 if free else 8  # the held map: state_update's second half (P 4, bias 2, drive 2)
    x0, x1 = x[2 * lane], x[2 * lane + 1]
    u = c[(base + 4) * lanes + lane] + c[(base + 6) * lanes + lane] * current
    u += c[base * lanes + lane] * x0
    u += c[(base + 1) * lanes + lane] * x1
    y = c[(base + 5) * lanes + lane] + c[(base + 7) * lanes + lane] * current
    y += c[(base + 2) * lanes + lane] * x0
    y += c[(base + 3) * lanes + lane] * x1
    if first_receptor == 0 and free:  # state_update's receptor loop, for at most two receptors
        weight = draws[lane, offset, 0]
        u += c[PAIR_RECEPTORS * lanes + lane] * weight
        y += c[(PAIR_RECEPTORS + 1) * lanes + lane] * weight
    if n_receptors == 2:
        weight = draws[lane, offset, 1]
        u += c[(PAIR_RECEPTORS + 2) * lanes + lane] * weight
        y += c[(PAIR_RECEPTORS + 3) * lanes + lane] * weight
    threshold = c[PAIR_THRESHOLD * lanes + lane]
    threshold += c[PAIR_THRESHOLD_WEIGHT * lanes + lane] * u
    threshold += c[(PAIR_THRESHOLD_WEIGHT + 1) * lanes + lane] * y
    spike = False
    if held:
        refractory_left -= 1
    elif u >= threshold:
        spike = True
        u_reset = c[PAIR_RESET * lanes + lane]
        u = u_reset if reset_zero else u - (threshold - u_reset)
        u += c[PAIR_SPIKE_JUMP * lanes + lane]
        y += c[(PAIR_SPIKE_JUMP + 1) * lanes + lane]
        refractory_left = refractory_steps
    x[2 * lane], x[2 * lane + 1] = u, y
    return refractory_left, spike


def compile_state(n_neurons: int, dt: float, method: str, clamp: bool, tau, u_rest, sigma, synapses: dict,
                  adaptation: tuple, thresholds: tuple, current_receptor: int = 0) -> CompiledState:
    """The :class:`CompiledState` of a LIF population: ``tau``, ``u_rest`` and the membrane noise ``sigma``
    (0 unless the noise enters the membrane) and the components' parameters, each a scalar or per neuron;
    the external current enters receptor ``current_receptor`` (:func:`linear_system`). Neurons with equal
    parameters share one set (one matrix exponential per distinct set)."""
    columns = [("tau", tau), ("u_rest", u_rest), ("sigma", sigma)]
    for receptor, synapse in synapses.items():
        columns += [(f"synapses[{receptor!r}].tau", synapse.tau), (f"synapses[{receptor!r}].sigma", synapse.sigma)]
    for k, component in enumerate(adaptation):
        columns += [(f"adaptation[{k}].{name}", getattr(component, name)) for name in ("tau", "a", "b")]
    for j, component in enumerate(thresholds):
        columns += [(f"moving_threshold[{j}].{name}", getattr(component, name)) for name in ("tau", "jump")]
    table = np.column_stack([per_neuron(name, value, n_neurons) for name, value in columns])
    # a noise source has a column wherever any neuron has it: column j is one source in every neuron
    sources = (bool(np.any(table[:, 2] > 0)), *(bool(np.any(table[:, 4 + 2 * r] > 0)) for r in range(len(synapses))))
    return _stack_sets(table, lambda row: _one_set(row, dt, method, clamp, synapses, adaptation, thresholds, sources,
                                                   current_receptor), clamp)


def compile_nsnn_state(n_neurons: int, beta, noise_scale, synapse_decays: dict, threshold_decay,
                       threshold_jump, current_receptor: int = 0) -> CompiledState:
    """The :class:`CompiledState` of an NSNN with synaptic traces and an adaptive threshold (discrete time)::

        i_r <- alpha_r*i_r + J_r            (a trace per receptor: snnTorch's Synaptic)
        u   <- beta*u + sum_r i_r + I + noise_scale*eps
        q   <- rho*q,  threshold theta + q,  q <- q + jump after a spike

    so the threshold of step ``t`` holds ``rho*jump`` of a spike at ``t - 1`` (the jump, then one step's decay,
    as the LIF's moving threshold). ``noise_scale`` is 0 unless the noise enters the membrane. With
    ``current_receptor = r >= 1`` the current ``I`` joins trace ``r`` (``J_r``) in place of ``u``, as an input of
    weight ``I``. Each parameter is a scalar or per neuron; the map is exact (it is the model)."""
    columns = [("beta", beta), ("noise_scale", noise_scale)]
    columns += [(f"synapses[{receptor!r}]", decay) for receptor, decay in synapse_decays.items()]
    columns += [("threshold_decay", threshold_decay), ("threshold_jump", threshold_jump)]
    table = np.column_stack([per_neuron(name, value, n_neurons) for name, value in columns])
    return _stack_sets(table, lambda row: _one_nsnn_set(row, len(synapse_decays), current_receptor), clamp=True)


def _one_nsnn_set(row, n_synapses: int, current_receptor: int = 0):
    beta, scale, decays, rho, jump = row[0], row[1], row[2:2 + n_synapses], row[-2], row[-1]
    n = 2 + n_synapses  # u, the traces, q
    P = np.zeros((n, n))
    P[0, 0], P[-1, -1] = beta, rho
    receptor = np.zeros((1 + n_synapses, n))
    receptor[0, 0] = 1.0
    for r, decay in enumerate(decays, start=1):
        P[r, r] = P[0, r] = decay  # the trace decays, and u takes it after its decay
        receptor[r, 0] = receptor[r, r] = 1.0  # an input joins the trace and this step's u
    drive, noise = receptor[current_receptor].copy(), np.zeros((n, 1 if scale > 0 else 0))
    if scale > 0:
        noise[0, 0] = scale
    threshold_weight, spike_jump = np.zeros(n), np.zeros(n)
    threshold_weight[-1], spike_jump[-1] = 1.0, jump
    step = (P, np.zeros(n), drive, noise)
    return step, step, receptor, threshold_weight, spike_jump


def _stack_sets(table: np.ndarray, one_set, clamp: bool) -> CompiledState:
    """Neurons with equal rows of ``table`` share one set; ``one_set(row)`` gives its ``(free, held, receptor,
    threshold_weight, spike_jump)``, the maps ``(P, bias, drive, L)``; noise factors padded to a common width."""
    sets, set_of = np.unique(table, axis=0, return_inverse=True)
    maps = [one_set(row) for row in sets]
    n_variables = maps[0][0][0].shape[0]
    n_noise = max(max(free[3].shape[1], held[3].shape[1]) for free, held, *_ in maps)

    def stacked(which, part):
        if part == 3:  # noise factors, padded with zero columns to a common number of normals
            out = np.zeros((len(maps), n_variables, n_noise))
            for index, entry in enumerate(maps):
                out[index, :, :entry[which][3].shape[1]] = entry[which][3]
            return out
        return np.ascontiguousarray([entry[which][part] for entry in maps])

    return CompiledState(
        set_of=set_of.ravel().astype(np.int64),
        propagator=stacked(0, 0), bias=stacked(0, 1), drive=stacked(0, 2), noise=stacked(0, 3),
        held_propagator=stacked(1, 0), held_bias=stacked(1, 1), held_drive=stacked(1, 2), held_noise=stacked(1, 3),
        receptor=np.ascontiguousarray([entry[2] for entry in maps]),
        threshold_weight=np.ascontiguousarray([entry[3] for entry in maps]),
        spike_jump=np.ascontiguousarray([entry[4] for entry in maps]),
        initial=np.zeros((len(maps), n_variables)),
        clamp=int(clamp),
    )


def _one_set(row, dt, method, clamp, synapses, adaptation, thresholds, sources, current_receptor):
    """The free and held maps, receptor vectors, threshold weights and spike jumps of one parameter set."""
    tau, u_rest, sigma = row[:3]
    values = iter(row[3:])
    synapses = {name: type(synapse)(next(values), next(values)) for name, synapse in synapses.items()}
    adaptation = tuple(Adaptation(next(values), next(values), next(values)) for _ in adaptation)
    thresholds = tuple(MovingThreshold(next(values), next(values)) for _ in thresholds)
    A, c, g, B, names = linear_system(tau, u_rest, sigma, synapses, adaptation, thresholds, sources, current_receptor)
    free = discretise(A, c, g, B, dt, method)
    if clamp:  # u held: its row of the dynamics is zero, everything else as before
        A, c, g, B = A.copy(), c.copy(), g.copy(), B.copy()
        A[0, :], c[0], g[0], B[0, :] = 0.0, 0.0, 0.0, 0.0
        held = discretise(A, c, g, B, dt, method)
    else:
        held = free
    n = len(names)
    receptor = np.zeros((1 + len(synapses), n))
    receptor[0, 0] = 1.0
    threshold_weight, spike_jump = np.zeros(n), np.zeros(n)
    index = 1
    for r, synapse in enumerate(synapses.values(), start=1):
        receptor[r, index] = tau / float(synapse.tau)
        index += synapse.n_variables
    for component in adaptation:
        spike_jump[index] = float(component.b)
        index += 1
    for component in thresholds:
        threshold_weight[index], spike_jump[index] = 1.0, float(component.jump)
        index += 1
    return free, held, receptor, threshold_weight, spike_jump


_COMPONENTS = {kind.__name__: kind for kind in (ExpSynapse, AlphaSynapse, Adaptation, MovingThreshold)}


def component_to_dict(component) -> dict:
    """``{"kind": class name, field: value}`` with arrays as lists (JSON); :func:`component_from_dict` inverts it."""
    values = {name: getattr(component, name) for name in component.__dataclass_fields__}
    return {"kind": type(component).__name__,
            **{name: value.tolist() if isinstance(value, np.ndarray) else value for name, value in values.items()}}


def component_from_dict(data: dict):
    """The component :func:`component_to_dict` described."""
    if not isinstance(data, dict) or data.get("kind") not in _COMPONENTS:
        raise ValueError(f"{data!r} does not describe a state component; kinds: {tuple(_COMPONENTS)}")
    values = {name: np.asarray(value) if isinstance(value, list) else value
              for name, value in data.items() if name != "kind"}
    return _COMPONENTS[data["kind"]](**values)
