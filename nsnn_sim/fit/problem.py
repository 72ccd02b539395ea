"""Validated fitting problems: spikes, covariates, model, and the per-neuron parameter vector.

:class:`Problem` checks everything before any kernel runs and maps a parameter matrix ``theta``
(n_neurons, n_parameters) to the model, weights and couplings, and the likelihood's gradient back to
``theta``. Parameter names per neuron, in this order:

* ``w_<input>``: weight of covariate ``<input>`` (``"weights"``), membrane units;
* ``v_<j>``: coupling from recorded neuron ``j`` (``"couplings"``), arriving one step later, ``V[i, j]``
  (``v_<i>`` of neuron ``i`` is held at 0: :meth:`Problem.fixed`);
* ``beta`` (NSNN) or ``tau`` (LIF, seconds): the decay;
* ``noise_scale`` (NSNN), ``sigma`` (LIF, ``firing="escape"``) or ``delta_u`` (LIF, ``firing="hazard"``): the
  scale of the spike-probability rule (:func:`parameter_names`).

The threshold is fixed (``u_rest = u_reset = 0``: ``(w, theta, scale) -> c (w, theta, scale)`` leaves
every ``p`` unchanged, so it cannot be fitted with the others). For the hazard ``rho_0`` is fixed too:
``log rho[t] = log rho_0 + (u[t] - theta)/delta_u = (log rho_0 - theta/delta_u) + u[t]/delta_u``, and ``u[t]``
is linear in ``w`` (restarted at 0 by every observed spike), so the data determine the slope ``w/delta_u``
and the constant ``log rho_0 - theta/delta_u`` only: ``(rho_0, delta_u)`` is one direction too many. With
``theta = 1`` and ``rho_0`` fixed the constant gives ``delta_u`` and the slope gives ``w`` (the constant is
told apart from a bias covariate because the bias's contribution to ``u`` ramps up again after each reset),
and the Hessian is regular.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.fit.problem import dense_spikes
>>> spikes, dt = dense_spikes(np.array([[0, 1], [1, 0], [0, 0]]))  # (n_steps, n_neurons): one trial
>>> spikes.shape, dt
((1, 3, 2), None)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from nsnn_sim._core.validation import describe, finite_array, float_array, per_neuron
from nsnn_sim.fit.likelihood import RULES, Evaluation, InfeasibleSpikes, evaluate_likelihood
from nsnn_sim.learn.forward import delayed
from nsnn_sim.simulator.neurons import LIF, NSNN
from nsnn_sim.simulator.noise import spec
from nsnn_sim.spikes import SpikeTrains

__all__ = ["Problem", "dense_spikes", "covariate_array", "parameter_names", "GAIN_BOUNDS", "input_names_and_weights",
           "spikes_and_covariates"]

_GROUPS = ("weights", "couplings")

#: The LIF's per-step gain ``1 - alpha`` (``dt/tau`` for Euler, ``1 - exp(-dt/tau)`` exact) is kept in
#: ``[1e-12, 1 - 1e-6]`` by the fit: ``alpha >= 1e-6`` (``tau >= dt (1 + 1e-6)`` for Euler, ``tau >= dt/13.8``
#: exact) and ``tau <= 1e12 dt``. The optimiser moves ``z = log(gain)`` (:meth:`Problem.log_gain`), not ``tau``:
#: ``d alpha/dz = -gain`` tends to -1 as ``tau -> 0``, so the gradient in ``z`` is that of ``alpha`` there and
#: never vanishes, while ``d alpha/d tau = alpha dt/tau^2`` underflows to exactly 0 once ``alpha = exp(-dt/tau)``
#: does (``tau < dt/745``): in ``tau`` a step that overshoots to a small ``tau`` lands on a flat region, and the
#: optimiser, seeing a zero gradient, stays there far below the maximum. For ``tau >> dt`` the
#: coordinate is ``log(dt/tau)``, scale-free like ``log tau``. The bound on ``alpha`` keeps it a normal number;
#: below ``1e-6`` the membrane forgets all but ``1e-6`` of its previous value each step and ``tau`` is not
#: identifiable from the spikes anyway.
GAIN_BOUNDS = (1e-12, 1.0 - 1e-6)


def parameter_names(model) -> tuple[str, str]:
    """The model's names of its decay and its noise scale, ``(decay, scale)``: ``("beta", "noise_scale")``
    (NSNN), ``("tau", "sigma")`` (LIF, ``firing="escape"``), ``("tau", "delta_u")`` (LIF, ``firing="hazard"``:
    ``rho_0`` stays fixed, see :mod:`nsnn_sim.fit.likelihood`)."""
    if isinstance(model, NSNN):
        return "beta", "noise_scale"
    return "tau", "delta_u" if getattr(model, "firing", None) == "hazard" else "sigma"


def dense_spikes(spikes, name: str = "spikes") -> tuple[np.ndarray, float | None]:
    """``spikes`` (SpikeTrains, or a 0/1 array ``(n_steps, n_neurons)`` or ``(n_trials, n_steps, n_neurons)``)
    as a float64 ``(n_trials, n_steps, n_neurons)`` array, and its ``dt`` (None for an array)."""
    if isinstance(spikes, SpikeTrains):
        return spikes.to_dense(), spikes.dt
    array = float_array(name, spikes, "a SpikeTrains or an array of 0 and 1")
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or min(array.shape) < 1:
        raise ValueError(f"{name} has shape {array.shape}; expected (n_steps, n_neurons) or "
                         "(n_trials, n_steps, n_neurons), every size >= 1")
    bad = ~((array == 0.0) | (array == 1.0))
    if np.any(bad):
        index = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ValueError(f"{name} must be binary (0 or 1 per step: at most one spike per bin); "
                         f"{name}[{', '.join(map(str, index))}] = {describe(float(array[index]))}")
    return np.ascontiguousarray(array), None


def covariate_array(inputs, n_trials: int, n_steps: int, name: str = "inputs") -> np.ndarray:
    """``inputs`` ``(n_steps, n_inputs)`` (the same every trial) or ``(n_trials, n_steps, n_inputs)`` as a
    float64 ``(n_trials, n_steps, n_inputs)`` array matching the spikes' trials and steps."""
    array = float_array(name, inputs)
    if array.ndim == 2:
        array = np.broadcast_to(array, (n_trials,) + array.shape)
    if array.ndim != 3 or array.shape[:2] != (n_trials, n_steps) or array.shape[2] < 1:
        raise ValueError(f"{name} has shape {np.shape(inputs)}; expected (n_steps, n_inputs) or (n_trials, n_steps, "
                         f"n_inputs) matching the spikes' n_trials={n_trials}, n_steps={n_steps}, n_inputs >= 1")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return np.ascontiguousarray(array, dtype=np.float64)


def spikes_and_covariates(spikes, inputs, model) -> tuple[np.ndarray, np.ndarray]:
    """The spikes (:func:`dense_spikes`, their ``dt`` that of ``model``) and the matching covariates
    (:func:`covariate_array`), both ``(n_trials, n_steps, ...)``."""
    dense, dt = dense_spikes(spikes)
    if dt is not None and not np.isclose(dt, model.dt, rtol=1e-9, atol=0.0):
        raise ValueError(f"spikes.dt={describe(dt)} s differs from model.dt={describe(model.dt)} s")
    return dense, covariate_array(inputs, dense.shape[0], dense.shape[1])


def input_names_and_weights(input_names, weights, n_neurons: int, n_inputs: int) -> tuple[list, np.ndarray]:
    """The covariates' names (default ``"0"``, ``"1"``, ...; distinct) and the initial weights ``(n_neurons,
    n_inputs)`` (default 0; finite), checked."""
    if input_names is None:
        input_names = [str(k) for k in range(n_inputs)]
    input_names = [str(name) for name in input_names]
    if len(input_names) != n_inputs or len(set(input_names)) != n_inputs:
        raise ValueError(f"input_names must be {n_inputs} distinct names, got {input_names!r}")
    weights = np.zeros((n_neurons, n_inputs)) if weights is None else finite_array("weights", weights)
    if weights.shape != (n_neurons, n_inputs):
        raise ValueError(f"weights has shape {weights.shape}; expected (n_neurons, n_inputs) = "
                         f"({n_neurons}, {n_inputs})")
    return input_names, weights


def _one_neuron(model, i: int, n_neurons: int):
    """``model`` with every per-neuron parameter (an array of length ``n_neurons``) cut to neuron ``i``'s."""
    changes = {}
    for field in dataclasses.fields(model):
        value = getattr(model, field.name)
        if isinstance(value, np.ndarray) and value.ndim == 1 and value.shape[0] == n_neurons:
            changes[field.name] = value[i:i + 1].copy()
    for name in parameter_names(model):
        changes[name] = per_neuron(name, getattr(model, name), n_neurons)[i:i + 1].copy()
    return dataclasses.replace(model, **changes)


def _check_model(model) -> None:
    if not isinstance(model, (NSNN, LIF)):
        raise TypeError(f"model must be an NSNN or LIF, got {type(model).__name__} (the fitters take "
                        "(model, inputs, spikes), in the order of simulate(model, inputs))")
    if model.firing not in RULES:
        raise ValueError(f"model.firing={model.firing!r} has no exact likelihood here; allowed: {tuple(RULES)}")
    if model.firing != "hazard" and spec(model.noise).deterministic:
        raise ValueError("model.noise='none' has no likelihood (every p is 0 or 1); choose a noise family")
    if isinstance(model, LIF):
        for name in ("u_rest", "u_reset"):
            if np.any(np.asarray(getattr(model, name)) != 0.0):
                raise ValueError(f"model.{name}={describe(getattr(model, name))}: fitting needs u_rest = u_reset = 0 "
                                 "(the scale of u is fixed by the threshold)")
        if model.reset == "subtract" and np.any(np.asarray(model.tau_ref) > 0):
            raise ValueError("model.reset='subtract' with tau_ref > 0 is not supported by the fit (the frozen "
                             "remainder is not a reset to 0); use reset='zero' or tau_ref=0")
    if np.ndim(model.threshold) != 0:
        raise ValueError("model.threshold must be one number (it is fixed, not fitted)")


@dataclasses.dataclass
class Problem:
    """A validated fitting problem (module docstring). Build it with :meth:`build`."""

    model: object
    spikes: np.ndarray
    covariates: np.ndarray
    input_names: list
    groups: tuple
    names: list
    decay: str
    scale: str
    initial: np.ndarray  # (n_neurons, n_parameters)
    fixed_weights: np.ndarray
    fixed_couplings: np.ndarray | None
    held: np.ndarray | None = None  # (n_neurons, n_parameters) mask overriding :meth:`fixed` (a block)
    presynaptic: np.ndarray | None = None  # delayed spikes the couplings act on (a block: every neuron's)

    @classmethod
    def build(cls, spikes, inputs, model, parameters, weights=None, couplings=None, input_names=None) -> "Problem":
        _check_model(model)
        dense, covariates = spikes_and_covariates(spikes, inputs, model)
        n_neurons, n_inputs = dense.shape[2], covariates.shape[2]
        decay, scale = parameter_names(model)
        allowed = _GROUPS + (decay, scale)
        if isinstance(parameters, str):
            parameters = (parameters,)
        groups = tuple(parameters)
        for name in groups:
            if name not in allowed:
                raise ValueError(f"parameters contains {name!r}; allowed for {type(model).__name__}: {allowed}")
        if len(set(groups)) != len(groups) or not groups:
            raise ValueError(f"parameters={parameters!r} must name each of {allowed} at most once, at least one")
        groups = tuple(name for name in allowed if name in groups)  # canonical order
        input_names, weights = input_names_and_weights(input_names, weights, n_neurons, n_inputs)
        if couplings is not None:
            couplings = finite_array("couplings", couplings)
            if couplings.shape != (n_neurons, n_neurons):
                raise ValueError(f"couplings has shape {couplings.shape}; expected (n_neurons, n_neurons) = "
                                 f"({n_neurons}, {n_neurons})")
        elif "couplings" in groups:
            couplings = np.zeros((n_neurons, n_neurons))
        names, columns = [], []
        if "weights" in groups:
            names += [f"w_{name}" for name in input_names]
            columns.append(weights)
        if "couplings" in groups:
            names += [f"v_{j}" for j in range(n_neurons)]
            columns.append(couplings)
        for name in (decay, scale):
            if name in groups:
                names.append(name)
                columns.append(per_neuron(name, getattr(model, name), n_neurons)[:, None])
        problem = cls(model, dense, covariates, input_names, groups, names, decay, scale,
                      np.ascontiguousarray(np.hstack(columns)), weights, couplings)
        return problem

    # -------------------------------------------------------------- shapes and names
    @property
    def n_neurons(self) -> int:
        return self.spikes.shape[2]

    @property
    def n_inputs(self) -> int:
        return self.covariates.shape[2]

    @property
    def n_presynaptic(self) -> int:
        return self.n_neurons if self.presynaptic is None else self.presynaptic.shape[2]

    def _slices(self) -> dict:
        out, start = {}, 0
        for group, width in (("weights", self.n_inputs), ("couplings", self.n_presynaptic), (self.decay, 1),
                             (self.scale, 1)):
            if group in self.groups:
                out[group] = slice(start, start + width)
                start += width
        return out

    # -------------------------------------------------------------- theta <-> model
    def unpack(self, theta: np.ndarray):
        """``(model, weights, couplings)`` for the parameter matrix ``theta`` (n_neurons, n_parameters)."""
        slices = self._slices()
        weights = theta[:, slices["weights"]] if "weights" in slices else self.fixed_weights
        couplings = theta[:, slices["couplings"]] if "couplings" in slices else self.fixed_couplings
        changes = {name: theta[:, slices[name]][:, 0].copy() for name in (self.decay, self.scale) if name in slices}
        model = dataclasses.replace(self.model, **changes) if changes else self.model
        return model, np.ascontiguousarray(weights), None if couplings is None else np.ascontiguousarray(couplings)

    def bounds(self) -> list:
        """Per-parameter ``(lower, upper)`` of one neuron (None: unbounded)."""
        out = []
        slices = self._slices()
        for group in self.groups:
            width = slices[group].stop - slices[group].start
            if group in _GROUPS:
                out += [(None, None)] * width
            elif group == "beta":
                out.append((0.0, 1.0))
            elif group == "tau":
                out.append(tuple(float(self.tau_of_log_gain(math.log(gain))) for gain in GAIN_BOUNDS[::-1]))
            else:
                out.append((1e-8, None))
        return out

    def fixed(self) -> np.ndarray:
        """``(n_neurons, n_parameters)`` mask of the entries held at their initial value: a neuron's coupling
        from itself (its own spike history is the reset; the parameter list is the same for every neuron)."""
        if self.held is not None:
            return self.held
        mask = np.zeros((self.n_neurons, len(self.names)), dtype=bool)
        if "couplings" in self.groups:
            start = self._slices()["couplings"].start
            mask[np.arange(self.n_neurons), start + np.arange(self.n_neurons)] = True
        return mask

    def log_gain(self, tau):
        """The LIF's ``tau`` as the optimiser's coordinate ``z = log(gain) = log(1 - alpha)``: ``log(dt/tau)``
        (Euler) or ``log(-expm1(-dt/tau))`` (exact); see :data:`GAIN_BOUNDS`."""
        dt = self.model.dt
        return np.log(dt / tau) if self.model.method == "euler" else np.log(-np.expm1(-dt / tau))

    def tau_of_log_gain(self, z):
        """The inverse of :meth:`log_gain`: ``tau = dt exp(-z)`` (Euler) or ``-dt / log(-expm1(z))`` (exact)."""
        dt = self.model.dt
        return dt * np.exp(-z) if self.model.method == "euler" else -dt / np.log(-np.expm1(z))

    def typical(self) -> np.ndarray:
        """A typical magnitude per parameter (the step of the Hessian's differences is relative to it): 1,
        or the initial value for ``tau``."""
        out = np.ones((self.n_neurons, len(self.names)))
        if "tau" in self.groups:
            out[:, self._slices()["tau"]] = np.abs(self.initial[:, self._slices()["tau"]])
        return out

    def block(self, i: int) -> tuple["Problem", np.ndarray]:
        """Neuron ``i``'s own fitting problem and the columns of its parameters that are this problem's.

        The teacher-forced likelihood separates over neurons (the couplings act through the *observed*
        spikes): neuron ``i``'s terms are a one-neuron problem with the same covariates, the couplings
        ``V[i, :]`` acting on the delayed spikes of every recorded neuron, and neuron ``i``'s decay and
        scale. Every one of those is a column of the block (held at its value unless this problem fits it;
        ``V[i, i]`` is always held), and ``block_row[take]`` is row ``i`` of this problem's ``theta``.
        """
        has_couplings = self.fixed_couplings is not None
        n_neurons, n_inputs = self.n_neurons, self.n_inputs
        groups = ("weights",) + (("couplings",) if has_couplings else ()) + (self.decay, self.scale)
        names = [f"w_{name}" for name in self.input_names] + (
            [f"v_{j}" for j in range(n_neurons)] if has_couplings else []) + [self.decay, self.scale]
        model = _one_neuron(self.model, i, n_neurons)
        columns = {"weights": range(n_inputs), "couplings": range(n_inputs, n_inputs + n_neurons * has_couplings),
                   self.decay: [len(names) - 2], self.scale: [len(names) - 1]}
        held = np.ones((1, len(names)), dtype=bool)
        for group in self.groups:
            held[0, list(columns[group])] = False
        if has_couplings:
            held[0, n_inputs + i] = True
        row = [float(np.asarray(getattr(model, name))[0]) for name in (self.decay, self.scale)]
        couplings = self.fixed_couplings[i:i + 1] if has_couplings else None
        initial = np.hstack([self.fixed_weights[i]] + ([couplings[0]] if has_couplings else []) + [row])[None]
        take = np.array([names.index(name) for name in self.names])
        initial[0, take] = self.initial[i]
        presynaptic = None
        if has_couplings:
            if self.presynaptic is None:
                self.presynaptic = delayed(self.spikes)
            presynaptic = self.presynaptic
        block = Problem(model, np.ascontiguousarray(self.spikes[:, :, i:i + 1]), self.covariates, self.input_names,
                        groups, names, self.decay, self.scale, initial, self.fixed_weights[i:i + 1], couplings, held,
                        presynaptic)
        return block, take

    def evaluate(self, theta: np.ndarray, gradient: bool = True, spikes=None, covariates=None, silence=False,
                 parallel: bool = True, log_gain: bool = False):
        """``(log L per neuron, d(-log L)/d theta)`` (the gradient None if not asked; with ``silence=True``
        instead ``log(1 - p[t])`` per step). With ``log_gain=True`` the column of ``tau`` holds the derivative
        with respect to the optimiser's :meth:`log_gain` instead (finite and non-zero where the one in ``tau``
        underflows).

        Raises ValueError naming the neuron, step and parameters when a step has probability 0.
        """
        spikes = self.spikes if spikes is None else spikes
        covariates = self.covariates if covariates is None else covariates
        model, weights, couplings = self.unpack(theta)
        compiled = model.compile(self.n_neurons)
        try:
            result: Evaluation = evaluate_likelihood(compiled, RULES[model.firing], covariates, spikes, weights,
                                                     couplings, gradient and not silence, silence, parallel,
                                                     self.presynaptic if spikes is self.spikes else None)
        except InfeasibleSpikes as error:
            neuron, trial, step, what, u_free = error.args
            shown = ", ".join(f"{name}={theta[neuron, k]:.6g}" for k, name in enumerate(self.names))
            raise ValueError(
                f"log-likelihood is -inf: {what} (neuron {neuron}, trial {trial}, step {step}, u_free={u_free:.6g}, "
                f"threshold={float(np.asarray(model.threshold)):g}, noise={model.noise!r}) with the parameters of "
                f"neuron {neuron}: {shown}. A bounded family (triangular, uniform) or a refractory period cannot "
                f"produce this train there; start from a larger {self.scale} or choose another family") from None
        if silence:
            return result.log_likelihood, result.log_silence
        if not gradient:
            return result.log_likelihood, None
        grad = np.empty_like(theta)
        slices = self._slices()
        if "weights" in slices:
            grad[:, slices["weights"]] = result.grad_weights
        if "couplings" in slices:
            grad[:, slices["couplings"]] = result.grad_couplings
        if self.decay in slices:
            if self.decay == "beta":
                grad[:, slices["beta"]] = result.grad_alpha[:, None]
            else:
                # alpha = 1 - gain with gain = dt/tau (Euler) or 1 - exp(-dt/tau) (exact)
                grad_alpha = result.grad_alpha - result.grad_gain
                tau, dt = theta[:, slices["tau"]][:, 0], model.dt
                factor = dt / tau**2 if model.method == "euler" else compiled.alpha * dt / tau**2
                grad[:, slices["tau"]] = (-grad_alpha * compiled.gain if log_gain else grad_alpha * factor)[:, None]
        if self.scale in slices:
            grad[:, slices[self.scale]] = result.grad_scale[:, None]
        return result.log_likelihood, grad
