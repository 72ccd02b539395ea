"""A plain-Python transcription of DESIGN.md's neuron equation, used to check the Numba engine.

It shares nothing with the engine's code; it reads only the model's validated parameters and the
noise family's scipy.stats reference from the registry record (``FamilySpec.scipy_reference``):

* The per-neuron coefficients come from the documented equations (:func:`documented_coefficients`,
  DESIGN.md section 3 and the docstrings of ``nsnn_sim.simulator.neurons.NSNN`` and ``LIF``), never from
  ``model.compile``: alpha, gain, offset, noise scale, threshold, reset value, initial value,
  refractory steps (``round(tau_ref/dt)``) and the hazard per step (``rho_0*dt``).
* The random streams are transcribed in plain Python (:func:`stream_key`, :func:`uniform`): the
  SplitMix64 finaliser, the key of (seed, trial, neuron, purpose) with one finaliser per component
  and draw ``counter`` = ``mix64(key + (counter + 1)*G)`` mapped to ``((x >> 12) + 0.5)*2**-52``
  (nsnn_sim.simulator.rng's module docstring). The key's per-component constants are not in that docstring;
  they are transcribed from ``rng._key`` (they are a convention, not a model property, and a
  mistake in them would show as a mismatch here, never as a silent agreement).
* Gaussian membrane noise is :func:`ziggurat_normal`, a transcription of Doornik's (2005)
  256-layer ziggurat as nsnn_sim.simulator.rng's docstring describes it, with its own layer table
  (:func:`ziggurat_table`, Doornik's ``zigNorInit``); other families' membrane noise is the scipy
  reference's ppf of the stream's uniform, and escape / reference firing compares the stream's
  uniform with the scipy reference's cdf.

Because scipy's cdf and ppf and the documented forms of the coefficients (``1 - exp(-dt/tau)``
where the code uses ``expm1``) round differently from the engine, the membrane values agree to a
few ulps, not bit for bit: the tests compare them to ``1e-12`` and the spikes exactly (a spike could
only flip if ``u`` came within ulps of the threshold or a uniform within ulps of the cdf).
"""

import math

import numpy as np

from nsnn_sim.simulator import noise

MEMBRANE, FIRING, BRIDGE, POISSON = 0, 1, 2, 3  # the documented stream purposes (nsnn_sim.simulator.rng)


# ------------------------------------------------------------------ the documented coefficients
def documented_coefficients(model, n_neurons):
    """The per-neuron coefficients of the one neuron equation from the documented equations.

    NSNN: ``alpha = beta``, ``gain = 1``, ``offset = 0``, scale ``noise_scale``, ``u_reset = 0``,
    initial value 0, no refractoriness. LIF: Euler ``alpha = 1 - dt/tau``, ``gain = dt/tau``,
    membrane scale ``sigma*sqrt(2 dt/tau)``; exact ``alpha = exp(-dt/tau)``, ``gain = 1 - alpha``,
    scale ``sigma*sqrt(1 - alpha^2)``; escape firing: scale ``sigma``; hazard firing: scale
    ``delta_u`` and hazard per step ``rho_0*dt``; ``offset = gain*u_rest``, initial value ``u_rest``,
    refractory steps ``round(tau_ref/dt)``. Returns a dict of arrays and the rule names.
    """
    def each(value):
        return np.broadcast_to(np.asarray(value, dtype=float), (n_neurons,)).copy()

    dt, zeros = model.dt, np.zeros(n_neurons)
    if model.kind == "NSNN":
        scale = each(model.noise_scale) if model.noise != "none" else zeros.copy()
        return {"alpha": each(model.beta), "gain": np.ones(n_neurons), "offset": zeros.copy(), "noise_scale": scale,
                "threshold": each(model.threshold), "u_reset": zeros.copy(), "u_initial": zeros.copy(),
                "refractory_steps": np.zeros(n_neurons, dtype=int), "hazard_rate": zeros.copy(),
                "noise": model.noise, "firing": model.firing, "reset": model.reset, "crossing": "grid"}
    tau, sigma, u_rest = each(model.tau), each(model.sigma), each(model.u_rest)
    if model.method == "euler":
        alpha, gain = 1.0 - dt / tau, dt / tau
        scale = sigma * np.sqrt(2.0 * dt / tau)
    else:
        alpha = np.exp(-dt / tau)
        gain = 1.0 - alpha
        scale = sigma * np.sqrt(1.0 - alpha**2)
    hazard = model.firing == "hazard"
    if model.firing == "escape":
        scale = sigma
    if hazard:
        scale = each(model.delta_u)
    if model.noise == "none" and not hazard:
        scale = zeros.copy()
    return {"alpha": alpha, "gain": gain, "offset": gain * u_rest, "noise_scale": scale,
            "threshold": each(model.threshold), "u_reset": each(model.u_reset), "u_initial": u_rest,
            "refractory_steps": np.array([round(t / dt) for t in each(model.tau_ref)], dtype=int),
            "hazard_rate": each(model.rho_0) * dt if hazard else zeros.copy(),
            "noise": "none" if hazard else model.noise, "firing": model.firing, "reset": model.reset,
            "crossing": model.threshold_crossing}


class _Family:
    """The scipy.stats reference of a noise family: cdf at each neuron's scale, ppf at scale 1."""

    def __init__(self, name, scales):
        record = noise.spec(name)
        self.deterministic = record.deterministic
        self.gaussian = name == "gaussian"
        if not self.deterministic:
            self._cdfs = [record.scipy_reference(float(scale)).cdf for scale in scales]
            self._standard = record.scipy_reference(1.0)

    def cdf(self, i, x):
        if self.deterministic:
            return 1.0 if x >= 0.0 else 0.0
        return float(self._cdfs[i](x))

    def standard_ppf(self, p):
        return float(self._standard.ppf(p))


# ------------------------------------------------------------------ the simulation
def simulate_reference(model, current, n_neurons, n_steps, n_trials, seed, weights=None, delays=None,
                       poisson=(), initial_state=None, spike_inputs=()):
    """Return (spikes as a sorted list of (trial, neuron, step), u array (n_trials, n_steps, n_neurons)).

    current: (n_trials, n_steps, n_neurons); weights/delays dense W[post, pre] or None;
    poisson: list of (n_sources, rate, weight) with scalar or per-neuron rate and weight, or a :class:`Course`;
    initial_state: None (the model's documented initial value), a scalar, a per-neuron or an
    (n_trials, n_neurons) array; spike_inputs: see :func:`spike_schedule` (added after the Poisson inputs).
    """
    schedule = spike_schedule(spike_inputs, n_trials)
    c = documented_coefficients(model, n_neurons)
    family = _Family(c["noise"], c["noise_scale"])
    firing = c["firing"]
    spikes = []
    state = np.zeros((n_trials, n_steps, n_neurons))
    initial = (np.broadcast_to(c["u_initial"], (n_trials, n_neurons)) if initial_state is None
               else np.broadcast_to(np.asarray(initial_state, dtype=float), (n_trials, n_neurons)))
    for trial in range(n_trials):
        u = initial[trial].copy()
        refractory = np.zeros(n_neurons, dtype=int)
        pending = np.zeros((n_steps + 100, n_neurons))
        for step in range(n_steps):
            for i in range(n_neurons):
                key = lambda purpose: stream_key(seed, trial, i, purpose)  # noqa: E731
                jump = pending[step, i]
                for group, (n_sources, rate, weight) in enumerate(poisson):
                    p = rate_at(rate, trial, step, i, n_neurons) * model.dt
                    count = _binomial_by_inversion(n_sources, p, uniform(key(POISSON + group), step))
                    jump += count * np.broadcast_to(weight, (n_neurons,))[i]
                for _, w in schedule.get((trial, step, i), ()):
                    jump += w
                if refractory[i] > 0:  # frozen at the value after reset, inputs lost
                    refractory[i] -= 1
                    state[trial, step, i] = u[i]
                    continue
                before = u[i]
                u[i] = c["alpha"][i] * u[i] + c["gain"][i] * current[trial, step, i] + c["offset"][i] + jump
                scale, theta = c["noise_scale"][i], c["threshold"][i]
                if firing == "escape":
                    spike = uniform(key(FIRING), step) < family.cdf(i, u[i] - theta)
                elif firing == "hazard":  # rho_0*dt*exp((u - theta)/delta_u) events expected in the step
                    hazard = c["hazard_rate"][i] * math.exp((u[i] - theta) / scale)
                    spike = uniform(key(FIRING), step) < 1.0 - math.exp(-hazard)
                else:
                    if family.gaussian:
                        u[i] += ziggurat_normal(key(MEMBRANE), step) * scale
                    elif not family.deterministic:
                        u[i] += family.standard_ppf(uniform(key(MEMBRANE), step)) * scale
                    if firing == "membrane" and c["crossing"] == "substep":  # sub-step crossing and reset
                        spike, u_end = _substep(c, i, before, u[i], current[trial, step, i], step, key(BRIDGE))
                        if spike:
                            spikes.append((trial, i, step))
                            u[i] = u_end
                            refractory[i] = c["refractory_steps"][i]
                            state[trial, step, i] = u[i]
                            continue
                    if firing == "membrane":
                        spike = u[i] >= theta
                        if not spike and c["crossing"] == "bridge":
                            crossing = math.exp(-2 * (theta - before) * (theta - u[i]) / scale**2)
                            spike = uniform(key(BRIDGE), step) < crossing
                    else:  # reference: a Bernoulli with the cdf of the already-noisy u
                        spike = uniform(key(FIRING), step) < family.cdf(i, u[i] - theta)
                if spike:
                    spikes.append((trial, i, step))
                    u_reset = c["u_reset"][i]
                    u[i] = u_reset if c["reset"] == "zero" else u[i] - (theta - u_reset)
                    refractory[i] = c["refractory_steps"][i]
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
    alpha, s2, theta = c["alpha"][i], c["noise_scale"][i] ** 2, c["threshold"][i]
    a, b = theta - u0, (theta - u1) / alpha
    if u1 < theta:
        if s2 <= 0 or a <= 0:
            return False, u1
        if uniform(key, step) >= math.exp(-2.0 * alpha * (theta - u0) * (theta - u1) / s2):
            return False, u1
    log_alpha = math.log(alpha)
    if a <= 0:
        fraction = 0.0
    else:
        clock = s2 / (alpha * alpha)
        mean, shape = (a / abs(b) if b != 0 else math.inf), a * a / clock
        y = ziggurat_normal(key, step + (1 << 56)) ** 2
        if math.isinf(mean):
            w = shape / y
        else:
            half = mean * y / (2.0 * shape)
            x = mean / (1.0 + half + math.sqrt(half * (2.0 + half)))
            w = x if uniform(key, step + (2 << 56)) <= mean / (mean + x) else mean / x * mean
        share = 1.0 / (1.0 + 1.0 / w)
        fraction = min(1.0, math.log1p(math.expm1(-2.0 * log_alpha) * share) / (-2.0 * log_alpha))
    decay = math.exp(log_alpha * (1.0 - fraction))
    target = (c["gain"][i] * drive + c["offset"][i]) / (1.0 - alpha)
    spread = math.sqrt(s2 / (1.0 - alpha * alpha) * -math.expm1(2.0 * log_alpha * (1.0 - fraction)))
    return True, target + (c["u_reset"][i] - target) * decay + spread * ziggurat_normal(key, step + (3 << 56))


class Course:
    """A Poisson rate that changes in time (Hz): ``(n_steps,)`` for every neuron, ``(n_steps, n_neurons)`` or
    ``(n_trials, n_steps, n_neurons)``; the rate of a step is read at that step."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=float)

    def at(self, trial, step, i):
        values = self.values
        if values.ndim == 1:
            return float(values[step])
        return float(values[step, i] if values.ndim == 2 else values[trial, step, i])


def rate_at(rate, trial, step, i, n_neurons):
    """The rate of neuron ``i`` at ``step`` of ``trial``: a :class:`Course`, or a scalar or one per neuron."""
    if isinstance(rate, Course):
        return rate.at(trial, step, i)
    return float(np.broadcast_to(rate, (n_neurons,))[i])


def spike_schedule(spike_inputs, n_trials):
    """``{(trial, step, neuron): [(receptor, weight), ...]}``: what the spike inputs deliver, in the order of the
    inputs, then of their sources, spikes and synapses. Each input is

    * ``("times", steps, weight, receptor)``: ``steps[i]`` the input steps of neuron ``i`` (the same in every
      trial), ``weight`` a scalar or one per neuron;
    * ``("projected", spikes, synapses, receptor)``: source spikes ``(trial or None for every trial, source,
      step)`` sorted by (trial, source, step) and synapses ``(post, pre, weight, delay)``: a spike of ``pre`` at
      ``s`` delivers ``weight`` to ``post`` at ``s + delay``.
    """
    schedule = {}
    for kind, first, second, receptor in spike_inputs:
        if kind == "times":
            for i, steps in enumerate(first):
                w = float(np.broadcast_to(second, (len(first),))[i])
                for trial in range(n_trials):
                    for step in steps:
                        schedule.setdefault((trial, step, i), []).append((receptor, w))
            continue
        for trial_of_spike, source, step in first:
            for trial in (range(n_trials) if trial_of_spike is None else [trial_of_spike]):
                for post, pre, w, delay in second:
                    if pre == source:
                        schedule.setdefault((trial, step + delay, post), []).append((receptor, w))
    return schedule


def _binomial_by_inversion(n, p, draw):
    cumulative = 0.0
    for k in range(n + 1):
        cumulative += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if draw <= cumulative:
            return k
    return n


# ------------------------------------------------------------------ the random streams, in plain Python
_MASK = 2**64 - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def _mix64(z):
    """The SplitMix64 finaliser (Steele, Lea & Flood 2014)."""
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def stream_key(seed, trial, neuron, purpose):
    """The 64-bit key of stream (seed, trial, neuron, purpose): one finaliser per component."""
    key = _mix64((seed * _GOLDEN + _GOLDEN) & _MASK)
    key = _mix64(key ^ ((trial * _M1 + _GOLDEN) & _MASK))
    key = _mix64(key ^ ((neuron * _M2 + _GOLDEN) & _MASK))
    return _mix64(key ^ ((purpose * _GOLDEN + _M1) & _MASK))


def _uniform(bits):
    return ((bits >> 12) + 0.5) * 2.0**-52


def uniform(key, counter):
    """Draw ``counter`` of stream ``key``: ``((mix64(key + (counter + 1)*G) >> 12) + 0.5)*2**-52``."""
    return _uniform(_mix64((key + (counter + 1) * _GOLDEN) & _MASK))


def ziggurat_table(layers=256, r=3.6541528853610088, v=0.00492867323399):
    """Doornik's (2005) ``zigNorInit``: layer edges ``X[0..layers]`` with ``X[0] = v/f(r)``,
    ``X[1] = r``, ``X[i] = sqrt(-2 log(v/X[i-1] + f(X[i-1])))``, ``X[layers] = 0``,
    ``f(x) = exp(-x^2/2)``; ``r`` and ``v`` are the paper's constants for 256 layers."""
    x = [0.0] * (layers + 1)
    f = math.exp(-0.5 * r * r)
    x[0], x[1] = v / f, r
    for i in range(2, layers):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x


_ZIGGURAT_X = ziggurat_table()


def ziggurat_normal(key, counter):
    """Standard normal number ``counter`` of stream ``key``: Doornik's (2005) 256-layer ziggurat on
    the SplitMix64 hash (layer from bits 0-7, signed uniform from bits 11-63; the rare path takes its
    uniforms from the SplitMix64 sequence started at the first hash)."""
    x_table, r = _ZIGGURAT_X, _ZIGGURAT_X[1]
    key = int(key)
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


# ------------------------------------------------------------------ neurons with more state
def documented_state_maps(model, i, current_receptor=0):
    """Neuron ``i``'s one-step map from the documented linear system (nsnn_sim.simulator.state's docstring),
    built here without the package's code: ``A``, ``c``, ``g``, ``B`` written out; exact: ``P = expm(A dt)``
    (scipy), the step covariance ``Q = S - P S P^T`` from the stationary covariance ``S``
    (the Lyapunov equation), ``M = int_0^dt expm(A s) ds`` by quadrature, its Cholesky factor on the variables the
    noise reaches, in state order; Euler:
    ``P = 1 + A dt``, ``M = dt``, ``L = B sqrt(dt)``. Also the receptor vectors (charge normalisation:
    ``tau/tau_r`` into the synapse's first variable), the threshold weights and the spike jumps. The current enters
    the membrane (``g = 1/tau`` on u) or, ``current_receptor = r >= 1``, synapse r's first variable (``1/tau_r``).
    Returns a dict with the free map and the held one (``refractory="clamp"``: u's row of A, c, g, B zeroed)."""
    from scipy import integrate, linalg

    def value(x):
        return float(np.broadcast_to(np.asarray(x, dtype=float), (max(i + 1, np.size(x)),))[i])

    tau, u_rest = value(model.tau), value(model.u_rest)
    sigma = value(model.sigma) if (model.firing == "membrane" and model.noise == "gaussian") else 0.0
    rows = ["u"]
    for name, synapse in model.synapses.items():
        rows += ["y", "I"] if type(synapse).__name__ == "AlphaSynapse" else ["I"]
    rows += ["w"] * len(model.adaptation) + ["q"] * len(model.moving_threshold)
    n = len(rows)
    A, c, g = np.zeros((n, n)), np.zeros(n), np.zeros(n)
    receptor, threshold_weight, jump = np.zeros((1 + len(model.synapses), n)), np.zeros(n), np.zeros(n)
    noise_columns = []  # one per source that is noisy in any neuron: membrane first, then the synapses in order
    A[0, 0], c[0], receptor[0, 0] = -1 / tau, u_rest / tau, 1.0
    if current_receptor == 0:
        g[0] = 1 / tau
    if model.firing == "membrane" and model.noise == "gaussian":
        column = np.zeros(n)
        column[0] = sigma * math.sqrt(2 / tau)
        noise_columns.append(column)
    k = 1
    for r, synapse in enumerate(model.synapses.values(), start=1):
        tau_r, sigma_r = value(synapse.tau), value(synapse.sigma)
        receptor[r, k] = tau / tau_r
        if r == current_receptor:  # tau_r dI_r/dt = -I_r + I (alpha: into y_r)
            g[k] = 1 / tau_r
        if np.any(np.asarray(synapse.sigma) > 0):
            column = np.zeros(n)
            column[k] = sigma_r * math.sqrt(2 * tau) / tau_r
            noise_columns.append(column)
        if type(synapse).__name__ == "AlphaSynapse":  # tau dy/dt = -y, tau dI/dt = -I + y
            A[k, k], A[k + 1, k] = -1 / tau_r, 1 / tau_r
            k += 1
        A[k, k], A[0, k] = -1 / tau_r, 1 / tau
        k += 1
    for component in model.adaptation:  # tau_w dw/dt = a (u - u_rest) - w, subtracted from u's input
        tau_w, a = value(component.tau), value(component.a)
        A[k, k], A[k, 0], c[k], A[0, k], jump[k] = -1 / tau_w, a / tau_w, -a * u_rest / tau_w, -1 / tau, value(
            component.b)
        k += 1
    for component in model.moving_threshold:
        A[k, k], threshold_weight[k], jump[k] = -1 / value(component.tau), 1.0, value(component.jump)
        k += 1
    B = np.array(noise_columns).T if noise_columns else np.zeros((n, 0))

    def one_step(A, c, g, B):
        dt = model.dt
        if model.method == "euler":
            return np.eye(n) + A * dt, c * dt, g * dt, B * math.sqrt(dt)
        P = linalg.expm(A * dt)
        M = integrate.quad_vec(lambda t: linalg.expm(A * t), 0.0, dt, epsabs=0.0, epsrel=1e-14)[0]
        reached = B.any(axis=1)
        for _ in range(n):
            reached = reached | np.any((A != 0) & reached[None, :], axis=1)
        L = np.zeros((n, int(reached.sum())))
        if reached.any():
            index = np.flatnonzero(reached)
            S = linalg.solve_continuous_lyapunov(A[np.ix_(index, index)], -(B @ B.T)[np.ix_(index, index)])
            Psub = P[np.ix_(index, index)]
            L[np.ix_(index, np.arange(index.size))] = np.linalg.cholesky(S - Psub @ S @ Psub.T)
        return P, M @ c, M @ g, L

    free = one_step(A, c, g, B)
    if model.refractory == "clamp":
        A, c, g, B = A.copy(), c.copy(), g.copy(), B.copy()
        A[0, :], c[0], g[0], B[0, :] = 0.0, 0.0, 0.0, 0.0
        held = one_step(A, c, g, B)
    else:
        held = free
    return {"free": free, "held": held, "receptor": receptor, "threshold_weight": threshold_weight, "jump": jump,
            "n": n}


def simulate_state_reference(model, current, n_neurons, n_steps, n_trials, seed, poisson=(), weights=None,
                             delays=None, synapse_receptor=0, every_variable=False, spike_inputs=(),
                             current_receptor=0):
    """The LIF with more state, step by step: ``x <- P x + M c + M g I + L eps + receptor inputs``, the
    threshold ``theta + threshold_weight . x``, the firing rule on ``x[0]``, reset and jumps; while held the
    held map (clamp: delta inputs lost). ``eps_j`` is the membrane stream's ziggurat normal at counter
    ``step + j*2**56``. ``poisson``: (n_sources, rate, weight, receptor index); ``synapse_receptor``: the receptor
    index of every synapse, one for all or a matrix ``[post, pre]``; ``spike_inputs``: :func:`spike_schedule`'s;
    ``current_receptor``: where the current enters (:func:`documented_state_maps`). Returns (sorted spikes, u), and
    with ``every_variable`` also every variable ``(n_trials, n_steps, n_neurons, n_variables)`` in state order."""
    schedule = spike_schedule(spike_inputs, n_trials)
    c = documented_coefficients(model, n_neurons)
    family = _Family(c["noise"], c["noise_scale"])
    maps = [documented_state_maps(model, i, current_receptor) for i in range(n_neurons)]
    n_noise = max(max(m["free"][3].shape[1], m["held"][3].shape[1]) for m in maps)
    n_receptors = maps[0]["receptor"].shape[0]
    spikes, state = [], np.zeros((n_trials, n_steps, n_neurons))
    variables = np.zeros((n_trials, n_steps, n_neurons, maps[0]["n"]))
    for trial in range(n_trials):
        x = [np.r_[c["u_initial"][i], np.zeros(maps[i]["n"] - 1)] for i in range(n_neurons)]
        refractory = np.zeros(n_neurons, dtype=int)
        pending = np.zeros((n_steps + 100, n_receptors, n_neurons))
        for step in range(n_steps):
            for i in range(n_neurons):
                key = lambda purpose: stream_key(seed, trial, i, purpose)  # noqa: E731
                inputs = pending[step, :, i].copy()
                for group, (n_sources, rate, weight, target) in enumerate(poisson):
                    p = rate_at(rate, trial, step, i, n_neurons) * model.dt
                    count = _binomial_by_inversion(n_sources, p, uniform(key(POISSON + group), step))
                    inputs[target] += count * np.broadcast_to(weight, (n_neurons,))[i]
                for target, w in schedule.get((trial, step, i), ()):
                    inputs[target] += w
                held = refractory[i] > 0
                m = maps[i]
                P, bias, drive, L = m["held"] if held else m["free"]
                eps = np.array([ziggurat_normal(key(MEMBRANE), step + (j << 56)) for j in range(n_noise)])
                L = np.pad(L, ((0, 0), (0, n_noise - L.shape[1])))
                x[i] = P @ x[i] + bias + drive * current[trial, step, i] + L @ eps
                for r in range(n_receptors):
                    if not (held and r == 0 and model.refractory == "clamp"):
                        x[i] = x[i] + m["receptor"][r] * inputs[r]
                theta = c["threshold"][i] + m["threshold_weight"] @ x[i]
                if held:
                    refractory[i] -= 1
                    state[trial, step, i] = x[i][0]
                    variables[trial, step, i] = x[i]
                    continue
                u = x[i][0]
                if c["firing"] == "escape":
                    spike = uniform(key(FIRING), step) < float(family._cdfs[i](u - theta))
                elif c["firing"] == "hazard":
                    spike = uniform(key(FIRING), step) < 1.0 - math.exp(
                        -c["hazard_rate"][i] * math.exp((u - theta) / c["noise_scale"][i]))
                else:
                    spike = u >= theta
                if spike:
                    spikes.append((trial, i, step))
                    u_reset = c["u_reset"][i]
                    x[i][0] = u_reset if c["reset"] == "zero" else u - (theta - u_reset)
                    x[i] = x[i] + m["jump"]
                    refractory[i] = c["refractory_steps"][i]
                    if weights is not None:
                        for post in range(n_neurons):
                            if weights[post, i] != 0:
                                receptor = (synapse_receptor if np.ndim(synapse_receptor) == 0
                                            else synapse_receptor[post, i])
                                pending[step + delays[post, i], receptor, post] += weights[post, i]
                state[trial, step, i] = x[i][0]
                variables[trial, step, i] = x[i]
    return (sorted(spikes), state, variables) if every_variable else (sorted(spikes), state)


def simulate_nsnn_state_reference(model, current, n_neurons, n_steps, n_trials, seed, poisson=(),
                                  every_variable=False, spike_inputs=(), current_receptor=0):
    """The NSNN with synaptic traces and an adaptive threshold, step by step (its docstring's equations):
    ``i_r <- alpha_r i_r + J_r``, ``u <- beta u + sum_r i_r + I + J_delta (+ noise)``, ``q <- rho q``, fire on
    ``theta + q`` by the NSNN's rule, reset ``u``, ``q <- q + jump``. ``poisson``: (n_sources, rate, weight,
    receptor index); ``spike_inputs``: :func:`spike_schedule`'s; ``current_receptor = r >= 1``: the current ``I``
    joins ``J_r`` in place of ``u``. Returns (sorted spikes, u), and with
    ``every_variable`` also ``(u, traces..., q)`` of every step ``(n_trials, n_steps, n_neurons, 2 + n_traces)``."""
    schedule = spike_schedule(spike_inputs, n_trials)
    c = documented_coefficients(model, n_neurons)
    family = _Family(c["noise"], c["noise_scale"])

    def each(value):
        return np.broadcast_to(np.asarray(value, dtype=float), (n_neurons,))

    decays = [each(decay) for decay in model.synapses.values()]
    rho, jump = each(model.threshold_decay), each(model.threshold_jump)
    spikes, state = [], np.zeros((n_trials, n_steps, n_neurons))
    variables = np.zeros((n_trials, n_steps, n_neurons, 2 + len(decays)))
    for trial in range(n_trials):
        u, traces, q = np.zeros(n_neurons), np.zeros((len(decays), n_neurons)), np.zeros(n_neurons)
        for step in range(n_steps):
            for i in range(n_neurons):
                key = lambda purpose: stream_key(seed, trial, i, purpose)  # noqa: E731
                inputs = np.zeros(1 + len(decays))
                for group, (n_sources, rate, weight, target) in enumerate(poisson):
                    p = rate_at(rate, trial, step, i, n_neurons) * model.dt
                    count = _binomial_by_inversion(n_sources, p, uniform(key(POISSON + group), step))
                    inputs[target] += count * np.broadcast_to(weight, (n_neurons,))[i]
                for target, w in schedule.get((trial, step, i), ()):
                    inputs[target] += w
                membrane_current = current[trial, step, i] if current_receptor == 0 else 0.0
                if current_receptor:
                    inputs[current_receptor] += current[trial, step, i]
                for r, decay in enumerate(decays):
                    traces[r, i] = decay[i] * traces[r, i] + inputs[r + 1]
                u[i] = c["alpha"][i] * u[i] + traces[:, i].sum() + membrane_current + inputs[0]
                q[i] = rho[i] * q[i]
                theta = c["threshold"][i] + q[i]
                if c["firing"] == "escape":
                    spike = uniform(key(FIRING), step) < family.cdf(i, u[i] - theta)
                else:
                    if family.gaussian:
                        u[i] += ziggurat_normal(key(MEMBRANE), step) * c["noise_scale"][i]
                    elif not family.deterministic:
                        u[i] += family.standard_ppf(uniform(key(MEMBRANE), step)) * c["noise_scale"][i]
                    if c["firing"] == "membrane":
                        spike = u[i] >= theta
                    else:
                        spike = uniform(key(FIRING), step) < family.cdf(i, u[i] - theta)
                if spike:
                    spikes.append((trial, i, step))
                    u[i] = 0.0 if c["reset"] == "zero" else u[i] - theta
                    q[i] += jump[i]
                state[trial, step, i] = u[i]
                variables[trial, step, i] = np.r_[u[i], traces[:, i], q[i]]
    return (sorted(spikes), state, variables) if every_variable else (sorted(spikes), state)
