"""A plain-Python transcription of DESIGN.md's neuron equation, used to check the Numba engine.

It shares nothing with the engine but the documented conventions: the random stream of
(seed, trial, neuron, purpose) indexed by the step (nsnn_sim.rng), the noise families' scalar
functions (nsnn_sim.noise), the ziggurat's layer table (nsnn_sim.rng.ZIGGURAT_X, data) and the
compiled per-neuron coefficients (model.compile). Gaussian membrane noise is drawn by
:func:`ziggurat_normal`, a plain-Python transcription of the algorithm of nsnn_sim.rng.normal.
"""

import math

import numpy as np

from nsnn_sim import noise, rng


def simulate_reference(model, current, n_neurons, n_steps, n_trials, seed, weights=None, delays=None,
                       poisson=(), initial_state=None):
    """Return (spikes as a sorted list of (trial, neuron, step), u array (n_trials, n_steps, n_neurons)).

    current: (n_trials, n_steps, n_neurons); weights/delays dense W[post, pre] or None;
    poisson: list of (n_sources, rate, weight) with scalar rate and scalar or per-neuron weight;
    initial_state: None (the model's u_initial), a scalar or a per-neuron array.
    """
    c = model.compile(n_neurons)
    firing = {0: "membrane", 1: "escape", 2: "reference", 3: "hazard"}[c.firing]
    spikes = []
    state = np.zeros((n_trials, n_steps, n_neurons))
    for trial in range(n_trials):
        u = (c.u_initial.copy() if initial_state is None
             else np.broadcast_to(np.asarray(initial_state, dtype=float), (n_neurons,)).copy())
        refractory = np.zeros(n_neurons, dtype=int)
        pending = np.zeros((n_steps + 100, n_neurons))
        for step in range(n_steps):
            for i in range(n_neurons):
                key = lambda purpose: rng.stream_key(seed, trial, i, purpose)  # noqa: E731
                jump = pending[step, i]
                for group, (n_sources, rate, weight) in enumerate(poisson):
                    p = rate * model.dt
                    draw = rng.uniform(key(rng.POISSON + group), step)
                    count = _binomial_by_inversion(n_sources, p, draw)
                    jump += count * np.broadcast_to(weight, (n_neurons,))[i]
                if refractory[i] > 0:  # frozen at the value after reset, inputs lost
                    refractory[i] -= 1
                    state[trial, step, i] = u[i]
                    continue
                before = u[i]
                u[i] = c.alpha[i] * u[i] + c.gain[i] * current[trial, step, i] + c.offset[i] + jump
                scale = c.noise_scale[i]
                theta = c.threshold[i]
                if firing == "escape":
                    spike = rng.uniform(key(rng.FIRING), step) < noise.cdf(c.family, u[i] - theta, scale)
                elif firing == "hazard":  # rho_0*dt*exp((u - theta)/delta_u) events expected in the step
                    rho_0, delta_u = (np.broadcast_to(value, (n_neurons,))[i] for value in (model.rho_0, model.delta_u))
                    hazard = rho_0 * model.dt * math.exp((u[i] - theta) / delta_u)
                    spike = rng.uniform(key(rng.FIRING), step) < -math.expm1(-hazard)
                else:
                    if c.family == noise.GAUSSIAN:
                        u[i] += ziggurat_normal(int(key(rng.MEMBRANE)), step) * scale
                    elif c.family != noise.NONE:
                        u[i] += noise.ppf(c.family, rng.uniform(key(rng.MEMBRANE), step), 1.0) * scale
                    if firing == "membrane" and c.bridge == 2:  # sub-step crossing and reset
                        spike, u_end = _substep(c, i, before, u[i], current[trial, step, i], step, key(rng.BRIDGE))
                        if spike:
                            spikes.append((trial, i, step))
                            u[i] = u_end
                            refractory[i] = c.refractory_steps[i]
                            state[trial, step, i] = u[i]
                            continue
                    if firing == "membrane":
                        spike = u[i] >= theta
                        if not spike and c.bridge == 1:
                            crossing = math.exp(-2 * (theta - before) * (theta - u[i]) / scale**2)
                            spike = rng.uniform(key(rng.BRIDGE), step) < crossing
                    else:
                        spike = rng.uniform(key(rng.FIRING), step) < noise.cdf(c.family, u[i] - theta, scale)
                if spike:
                    spikes.append((trial, i, step))
                    u[i] = c.u_reset[i] if c.reset == 0 else u[i] - (theta - c.u_reset[i])
                    refractory[i] = c.refractory_steps[i]
                    if weights is not None:
                        for post in range(n_neurons):
                            if weights[post, i] != 0:
                                pending[step + delays[post, i], post] += weights[post, i]
                state[trial, step, i] = u[i]
    return sorted(spikes), state


def _substep(c, i, u0, u1, drive, step, key):
    """The OU-bridge crossing of threshold_crossing="substep" (DESIGN: crossing probability
    exp(-2*alpha*(theta - u0)*(theta - u1)/s2); crossing clock w ~ IG(a/|b|, a^2/V); the rest of the
    step integrated exactly from u_reset). Returns (spike, u at the end of the step)."""
    alpha, s2, theta = c.alpha[i], c.noise_scale[i] ** 2, c.threshold[i]
    a, b = theta - u0, (theta - u1) / alpha
    if u1 < theta:
        if s2 <= 0 or a <= 0:
            return False, u1
        if rng.uniform(key, step) >= math.exp(-2.0 * alpha * (theta - u0) * (theta - u1) / s2):
            return False, u1
    log_alpha = math.log(alpha)
    if a <= 0:
        fraction = 0.0
    else:
        clock = s2 / (alpha * alpha)
        mean, shape = (a / abs(b) if b != 0 else math.inf), a * a / clock
        y = ziggurat_normal(int(key), step + (1 << 56)) ** 2
        if math.isinf(mean):
            w = shape / y
        else:
            half = mean * y / (2.0 * shape)
            x = mean / (1.0 + half + math.sqrt(half * (2.0 + half)))
            w = x if rng.uniform(key, step + (2 << 56)) <= mean / (mean + x) else mean / x * mean
        share = 1.0 / (1.0 + 1.0 / w)
        fraction = min(1.0, math.log1p(math.expm1(-2.0 * log_alpha) * share) / (-2.0 * log_alpha))
    decay = math.exp(log_alpha * (1.0 - fraction))
    target = (c.gain[i] * drive + c.offset[i]) / (1.0 - alpha)
    spread = math.sqrt(s2 / (1.0 - alpha * alpha) * -math.expm1(2.0 * log_alpha * (1.0 - fraction)))
    return True, target + (c.u_reset[i] - target) * decay + spread * ziggurat_normal(int(key), step + (3 << 56))


def _binomial_by_inversion(n, p, draw):
    cumulative = 0.0
    for k in range(n + 1):
        cumulative += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if draw <= cumulative:
            return k
    return n


# ------------------------------------------------------------------ the ziggurat, in plain Python
_MASK = 2**64 - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _uniform(bits):
    return ((bits >> 12) + 0.5) * 2.0**-52


def ziggurat_normal(key, counter):
    """Standard normal number ``counter`` of stream ``key``: Doornik's (2005) 256-layer ziggurat on
    the SplitMix64 hash (layer from bits 0-7, signed uniform from bits 11-63; the rare path takes its
    uniforms from the SplitMix64 sequence started at the first hash)."""
    x_table, r = rng.ZIGGURAT_X, rng.ZIGGURAT_X[1]
    bits = _mix64((key + (counter + 1) * _GOLDEN) & _MASK)
    state = bits

    def next_uniform():
        nonlocal state
        state = (state + _GOLDEN) & _MASK
        return _uniform(_mix64(state))

    while True:
        layer = bits & 255
        v = ((bits >> 11) + 0.5) * 2.0**-52 - 1.0
        if abs(v) < x_table[layer + 1] / x_table[layer]:
            return v * x_table[layer]
        if layer == 0:
            while True:
                x = math.log(next_uniform()) / r
                y = math.log(next_uniform())
                if -2.0 * y >= x * x:
                    return x - r if v < 0.0 else r - x
        x = v * x_table[layer]
        f0 = math.exp(-0.5 * (x_table[layer] * x_table[layer] - x * x))
        f1 = math.exp(-0.5 * (x_table[layer + 1] * x_table[layer + 1] - x * x))
        if f1 + next_uniform() * (f0 - f1) < 1.0:
            return x
        state = (state + _GOLDEN) & _MASK
        bits = _mix64(state)
