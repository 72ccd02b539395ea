"""Layered NSNN networks for learning: layer specifications, readouts, parameters.

A :class:`Network` is a stack of spiking layers followed by a readout. Layer ``l`` is a population
of NSNN neurons (:class:`nsnn_sim.NSNN`, the simulator's own model) whose external current is

    I_0[t] = W_0 x[t]                                  (the input pattern, no delay)
    I_l[t] = W_l s_{l-1}[t - layer_delay]   (l >= 1)    (the layer below; layer_delay = 0 or 1)

and, with ``recurrent=True``, whose recurrent spikes arrive one step later as the jump
``J_l[t] = V_l s_l[t - 1]``. Each neuron then follows the one neuron equation
(:func:`nsnn_sim.simulator.neurons.neuron_step`)::

    u_free[t] = beta*u[t-1] + I[t] + J[t];  s[t] = fire(u_free[t] [+ noise]);  u[t] = reset(...)

``layer_delay=0`` is the official code's stacking (layer ``l`` at step ``t`` sees layer ``l-1`` at
the same step ``t``, as every layer sees the input); ``layer_delay=1`` (the default, this package's
original convention) adds one step of synaptic delay between layers. Both run unchanged in
:func:`nsnn_sim.simulate`: layer ``l`` is a ``simulate`` call with ``inputs = I_l`` and
``connections = connect(V_l)`` (a delay of one step) (:mod:`nsnn_sim.learn.simulator`).

Layers with more state (:class:`SpikingLayer` ``alpha_syn``, ``threshold_decay``, ``threshold_jump``) are the
simulator's NSNN with a synaptic trace and an adaptive threshold
(:func:`nsnn_sim.simulator.state.compile_nsnn_state`)::

    i[t]      = alpha_syn*i[t-1] + I[t] + J[t]                 (synaptic layers; else i[t] = I[t] + J[t])
    u_free[t] = beta*u[t-1] + i[t];   theta_t = theta + q[t],   q[t] = rho*q_after[t-1]
    s[t] = fire(u_free[t] [+ noise], theta_t);  u[t] = reset(...);  q_after[t] = q[t] + threshold_jump*s[t]

Readouts: ``"count"`` takes the last layer's spike counts as the outputs (scaled by ``scale``);
``"membrane"`` adds non-spiking leaky units ``y[t] = beta*y[t-1] + W_out s_L[t-1]`` and outputs
``max_t y[t]`` or ``mean_t y[t]``; ``"linear"`` (the official code's last layer) gives logits
``y[t] = W_out s_L[t]`` at every step (no leak, no delay) and outputs their time average
``mean_t y[t]``. ``layer_delay`` concerns the spiking layers only: the membrane readout keeps its
one-step delay, the linear readout has none.

The gradient of a spike (:mod:`nsnn_sim.learn.backward`) is a pdf evaluated at one of the
potentials of the trace, set by the firing rule (:attr:`SpikingLayer.gradient_potential`):

* ``"escape"``: ``d s / d u_free = pdf(u_free - theta)``; here ``u_fire = u_free`` (no membrane noise),
  the exact derivative of the firing probability ``F(u_free - theta)`` (NDL).
* ``"membrane"``: ``d s / d u_free = pdf(u_free - theta)`` at the *noise-free* ``u_free``, although the
  spike is ``H(u_fire - theta)`` of the noisy ``u_fire = u_free + eps``: the derivative of the expected
  spike ``E[s | u_free] = F(u_free - theta)`` (NDL).
* ``"reference"``: ``d s / d u_fire = pdf(u_fire - theta)`` at the *noisy* ``u_fire`` whose cdf the
  Bernoulli draw used, as the official code does; ``d u_fire / d u_free = 1`` (additive noise).
* ``noise="none"``: the surrogate's pdf at ``u_free`` (``= u_fire``).

Examples
--------
>>> from nsnn_sim.learn.network import Network, Readout, SpikingLayer, erf_surrogate_sd
>>> network = Network(3, [SpikingLayer(4, beta=0.9)], Readout("count", n_outputs=2), seed=0)
>>> sorted(network.parameters)
['0.W', '0.beta', '0.threshold']
>>> network.parameters["0.W"].shape
(4, 3)
>>> round(erf_surrogate_sd(1.0), 4)
0.7071
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from nsnn_sim._core.memory import require_memory
from nsnn_sim._core.validation import describe, numeric_parameter, seed_value, whole_number
from nsnn_sim.simulator import noise as noise_families
from nsnn_sim.simulator.neurons import NSNN

__all__ = ["SpikingLayer", "Readout", "Network", "erf_surrogate_sd"]

_LEARNABLE_FIRING = ("escape", "membrane", "reference")
_READOUTS = ("count", "membrane", "linear")
_LAYER_DELAYS = (0, 1)
_SQRT2 = float(np.sqrt(2.0))
SYNAPSE_RECEPTOR = "syn"  # the receptor of a layer's synaptic trace in the simulator's NSNN


def erf_surrogate_sd(alpha: float) -> float:
    """SD of the Gaussian whose pdf is the official ERF surrogate ``alpha/sqrt(pi) exp(-(alpha x)**2)``:
    ``1 / (sqrt(2) alpha)`` (0.7071 for the official ``alpha = 1``)."""
    alpha = numeric_parameter("alpha", alpha, lower=0.0, lower_open=True)
    if np.ndim(alpha):
        raise ValueError(f"alpha={describe(alpha)} must be a single number")
    return 1.0 / (_SQRT2 * alpha)


@dataclass(frozen=True)
class SpikingLayer:
    """One layer of NSNN neurons (validated on construction).

    Parameters
    ----------
    n_neurons : int
        Number of neurons, >= 1.
    beta, threshold : float
        Initial decay per step (in [0, 1]) and threshold (> 0), the same for every neuron; they
        become per-neuron parameters of the :class:`Network`.
    noise : str
        Noise family, or ``"none"`` for the deterministic SNN (DSNN).
    noise_scale : float
        The family's scale (ignored for ``"none"``).
    firing : {"escape", "membrane", "reference"}
        Spike rule of :class:`nsnn_sim.NSNN`. The spike's gradient is taken at
        :attr:`gradient_potential`: ``pdf(u_free - theta)`` for ``"escape"`` (where ``u_fire = u_free``)
        and ``"membrane"`` (the derivative of the expected spike ``F(u_free - theta)``, at the
        noise-free potential), ``pdf(u_fire - theta)`` at the noisy potential for ``"reference"``
        (the official code: noise added to the membrane and kept, a Bernoulli draw with the cdf of the
        noisy potential, noise derivative 1). ``"reference"`` has no mean-field form.
    reset : {"zero", "subtract"}
    recurrent : bool
        Add recurrent weights ``V`` (one step of delay).
    learn_beta, learn_threshold : bool
        Train the per-neuron decay and threshold as well as the weights.
    surrogate, surrogate_scale : str, float
        For ``noise="none"`` only: ``d s / d u`` is taken as the pdf of this family at this scale
        (a surrogate gradient, the escape-noise view of Gygax & Zenke 2025). A noisy layer always
        uses its own noise pdf (NDL). ``surrogate="erf"`` is the official deterministic baseline's
        surrogate (``models/LIF.py``), ``alpha/sqrt(pi) exp(-(alpha x)**2)`` with
        ``alpha = surrogate_scale`` (official: 1): exactly ``surrogate="gaussian"`` with
        ``surrogate_scale = 1/(sqrt(2) alpha)`` (:func:`erf_surrogate_sd`).
    detach_reset : bool
        Leave the reset's dependence on the spike out of the gradient (``d u_after / d s = 0``);
        the reset still scales the membrane's own gradient (``d u_after / d u_fire = 1 - s`` for
        the zero reset). The official code does not detach (``detach_reset=False``). The adaptive
        threshold's jump ``q <- q + threshold_jump*s`` is never detached: it is the layer's memory.
    alpha_syn : float, optional
        A synaptic trace (snnTorch's ``Synaptic``; the simulator's ``NSNN(synapses={"syn": alpha_syn})``):
        every input, feed-forward and recurrent, joins the trace ``i[t] = alpha_syn*i[t-1] + W s_in[t]
        (+ V s[t-1])`` and the membrane takes it, ``u_free[t] = beta*u[t-1] + i[t]``. Decay per step in
        [0, 1]; ``None`` (default): no trace, the input enters ``u`` directly (``alpha_syn = 0`` is the same
        model with a trace variable).
    threshold_decay, threshold_jump : float
        An adaptive threshold ``theta_t = theta + q[t]``, ``q[t] = threshold_decay*q_after[t-1]``,
        ``q_after[t] = q[t] + threshold_jump*s[t]`` (the simulator's ``NSNN(threshold_decay=,
        threshold_jump=)``): the threshold at step ``t`` holds ``rho*jump`` of a spike at ``t - 1``
        (``rho = threshold_decay``), never the spike of step ``t`` itself. e-prop's ``a <- rho*a + s``
        with ``theta + beta_a*a`` is ``threshold_jump = beta_a/rho``; Bellec et al. 2018's LSNN
        ``a <- rho*a + (1 - rho)*s/dt`` is ``threshold_jump = beta_a*(1 - rho)/(rho*dt)``. A subtractive
        reset removes ``theta_t``. ``threshold_decay`` in [0, 1]; the layer is adaptive when
        ``threshold_jump != 0`` or ``learn_threshold_jump``.
    learn_alpha_syn, learn_threshold_decay, learn_threshold_jump : bool
        Train the per-neuron trace decay, threshold decay and threshold jump (each needs its feature).

    Notes
    -----
    The official deterministic baseline (``models/LIF.py``) spikes when ``u - theta > 0``; nsnn_sim's
    deterministic rule is ``u >= theta``. They differ only when ``u`` equals ``theta`` exactly
    (in floating point, ``u > theta`` is ``u >= nextafter(theta, inf)``); see the documentation's page
    "The paper's model" (docs/papers_model.rst) for how often that happens.
    """

    n_neurons: int
    beta: float = 0.5
    threshold: float = 1.0
    noise: str = "gaussian"
    noise_scale: float = 0.4
    firing: str = "escape"
    reset: str = "zero"
    recurrent: bool = False
    learn_beta: bool = False
    learn_threshold: bool = False
    surrogate: str = "logistic"
    surrogate_scale: float = 0.2
    detach_reset: bool = True
    alpha_syn: float | None = None
    threshold_decay: float = 0.0
    threshold_jump: float = 0.0
    learn_alpha_syn: bool = False
    learn_threshold_decay: bool = False
    learn_threshold_jump: bool = False

    def __post_init__(self):
        object.__setattr__(self, "n_neurons", whole_number("n_neurons", self.n_neurons))
        if self.firing not in _LEARNABLE_FIRING:
            raise ValueError(f"firing={self.firing!r} is not allowed for learning; allowed: {_LEARNABLE_FIRING}")
        # the simulator's model validates beta, threshold, noise, noise_scale and reset
        NSNN(beta=self.beta, threshold=self.threshold, noise=self.noise, noise_scale=self.noise_scale,
             firing=self.firing, reset=self.reset)
        for name in ("beta", "threshold", "noise_scale", "surrogate_scale"):
            value = getattr(self, name)
            if np.ndim(value) != 0:
                raise ValueError(f"{name} must be a scalar for a layer (it is per neuron once learned)")
            object.__setattr__(self, name, float(value))
        allowed = tuple(n for n in noise_families.names() if n != "none") + ("erf",)
        if self.surrogate == "none":
            raise ValueError(f"surrogate='none' has a zero derivative; allowed: {allowed}")
        if self.surrogate != "erf":
            if not isinstance(self.surrogate, str) or self.surrogate not in noise_families.names():
                raise ValueError(f"surrogate={self.surrogate!r} is not allowed; allowed: {allowed}")
        noise_families.check_scale("surrogate_scale", self.surrogate_scale,
                                   "gaussian" if self.surrogate == "erf" else self.surrogate)
        for name in ("recurrent", "learn_beta", "learn_threshold", "detach_reset", "learn_alpha_syn",
                     "learn_threshold_decay", "learn_threshold_jump"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {describe(getattr(self, name))}")
        self._check_state()

    def _check_state(self):
        """``alpha_syn``, ``threshold_decay`` and ``threshold_jump`` as floats (before the simulator's NSNN sees
        them, so that errors name the layer's arguments), and each learn flag with its feature."""
        bounds = {"alpha_syn": dict(lower=0.0, upper=1.0), "threshold_decay": dict(lower=0.0, upper=1.0),
                  "threshold_jump": {}}
        for name, limits in bounds.items():
            value = getattr(self, name)
            if value is None and name == "alpha_syn":
                continue
            value = numeric_parameter(name, value, **limits)
            if np.ndim(value) != 0:
                raise ValueError(f"{name} must be a scalar for a layer (it is per neuron once learned)")
            object.__setattr__(self, name, float(value))
        if self.learn_alpha_syn and self.alpha_syn is None:
            raise ValueError("learn_alpha_syn=True needs a synaptic trace: give alpha_syn (a decay in [0, 1])")
        if self.learn_threshold_decay and not self.adaptive:
            raise ValueError("learn_threshold_decay=True needs an adaptive threshold: give threshold_jump != 0 "
                             "or learn_threshold_jump=True")

    @property
    def synaptic(self) -> bool:
        """Whether the layer has a synaptic trace (``alpha_syn`` given)."""
        return self.alpha_syn is not None

    @property
    def adaptive(self) -> bool:
        """Whether the layer has an adaptive threshold (``threshold_jump != 0`` or ``learn_threshold_jump``)."""
        return self.threshold_jump != 0.0 or bool(self.learn_threshold_jump)

    @property
    def state_parameters(self) -> dict:
        """The layer's state parameters and their learn flags: ``name -> (initial value, learned)``."""
        out = {}
        if self.synaptic:
            out["alpha_syn"] = (self.alpha_syn, bool(self.learn_alpha_syn))
        if self.adaptive:
            out["threshold_decay"] = (self.threshold_decay, bool(self.learn_threshold_decay))
            out["threshold_jump"] = (self.threshold_jump, bool(self.learn_threshold_jump))
        return out

    @property
    def gradient_family(self) -> tuple[str, float]:
        """The family and scale whose pdf is ``d s / d u``: the noise (NDL) or the surrogate
        (``"erf"`` with ``alpha`` is the Gaussian with SD ``1/(sqrt(2) alpha)``)."""
        if self.noise == "none":
            if self.surrogate == "erf":
                return "gaussian", erf_surrogate_sd(self.surrogate_scale)
            return self.surrogate, self.surrogate_scale
        return self.noise, self.noise_scale

    @property
    def gradient_potential(self) -> str:
        """The trace's potential at which ``d s / d u = pdf(u - theta)`` is evaluated: ``"u_fire"``
        (the noisy potential) for ``firing="reference"``, else ``"u_free"`` (the noise-free one)."""
        return "u_fire" if self.firing == "reference" else "u_free"


@dataclass(frozen=True)
class Readout:
    """How the network's outputs (logits or rates) are read from the last spiking layer.

    Parameters
    ----------
    kind : {"count", "membrane", "linear"}
        ``"count"``: ``output_k = scale * sum_t s_L[t, k]`` (the last layer is the output layer).
        ``"membrane"``: ``n_outputs`` non-spiking leaky units ``y[t] = beta*y[t-1] + W s_L[t-1]``.
        ``"linear"``: per-step logits ``y[t] = W s_L[t]`` (no leak, no delay; the official code's last
        layer), ``output = mean_t y[t]``; the step losses (``"step_cross_entropy"``) use every ``y[t]``.
    n_outputs : int, optional
        Number of readout units (required for ``"membrane"`` and ``"linear"``).
    beta : float
        Decay of the membrane readout, in [0, 1] (membrane readout only).
    reduce : {"max", "mean"}
        ``output = max_t y[t]`` or ``mean_t y[t]`` (membrane readout only).
    scale : float
        Factor on the counts (count readout), e.g. ``1 / n_steps`` for spikes per step.
    """

    kind: str = "count"
    n_outputs: int | None = None
    beta: float = 0.9
    reduce: str = "max"
    scale: float = 1.0

    def __post_init__(self):
        if self.kind not in _READOUTS:
            raise ValueError(f"kind={self.kind!r} is not allowed; allowed: {_READOUTS}")
        if self.reduce not in ("max", "mean"):
            raise ValueError(f"reduce={self.reduce!r} is not allowed; allowed: ('max', 'mean')")
        if self.kind in ("membrane", "linear"):
            if self.n_outputs is None:
                raise ValueError(f"n_outputs is required for the {self.kind} readout")
            object.__setattr__(self, "n_outputs", whole_number("n_outputs", self.n_outputs))
        object.__setattr__(self, "beta", float(numeric_parameter("beta", self.beta, lower=0.0, upper=1.0)))
        object.__setattr__(self, "scale", float(numeric_parameter("scale", self.scale)))


class Network:
    """Spiking layers + readout, with their parameters as named float64 arrays.

    Parameters
    ----------
    n_inputs : int
        Input channels (the last axis of the input patterns).
    layers : list of SpikingLayer
    readout : Readout
    weight_gain : float
        Initial weights are drawn ``N(0, (weight_gain / sqrt(fan_in))**2)``.
    seed : int
        Seed of the initial weights.
    layer_delay : {1, 0}
        Steps of delay from layer ``l-1`` to layer ``l`` (module docstring): ``0`` is the official
        code's same-step stacking, ``1`` (default) one step of synaptic delay. Irrelevant for a
        single layer (the input always drives layer 0 at the same step).

    Attributes
    ----------
    parameters : dict of str -> ndarray
        ``"l.W"`` (n_l x fan_in), ``"l.V"`` (recurrent, n_l x n_l), ``"l.beta"``, ``"l.threshold"``
        (per neuron) for each layer ``l``, ``"l.alpha_syn"`` (synaptic layers), ``"l.threshold_decay"`` and
        ``"l.threshold_jump"`` (adaptive layers), per neuron, and ``"readout.W"`` for the membrane and linear
        readouts.
    """

    def __init__(self, n_inputs: int, layers, readout: Readout | None = None, weight_gain: float = 1.0,
                 seed: int = 0, layer_delay: int = 1):
        self.n_inputs = whole_number("n_inputs", n_inputs)
        self.layers = list(layers)
        if not self.layers or not all(isinstance(layer, SpikingLayer) for layer in self.layers):
            raise TypeError("layers must be a non-empty list of SpikingLayer")
        self.readout = Readout() if readout is None else readout
        if not isinstance(self.readout, Readout):
            raise TypeError(f"readout must be a Readout, got {type(self.readout).__name__}")
        self.weight_gain = float(numeric_parameter("weight_gain", weight_gain, lower=0.0))
        self.seed = seed_value(seed)
        if (isinstance(layer_delay, (bool, np.bool_)) or not isinstance(layer_delay, (int, np.integer))
                or int(layer_delay) not in _LAYER_DELAYS):
            raise ValueError(f"layer_delay={describe(layer_delay)} is not allowed; allowed: {_LAYER_DELAYS} "
                             "(steps from one spiking layer to the next)")
        self.layer_delay = int(layer_delay)
        sizes = [self.n_inputs] + [layer.n_neurons for layer in self.layers]
        n_weights = sum(post * pre + (post * post if layer.recurrent else 0)
                        for layer, pre, post in zip(self.layers, sizes[:-1], sizes[1:]))
        require_memory(8.0 * (n_weights + sizes[-1] * (self.readout.n_outputs or 0)),
                       f"Network(n_inputs={self.n_inputs}, layer sizes {sizes[1:]}) weights")
        generator = np.random.default_rng(self.seed)
        self.parameters: dict[str, np.ndarray] = {}
        fan_in = self.n_inputs
        for index, layer in enumerate(self.layers):
            n = layer.n_neurons
            self.parameters[f"{index}.W"] = generator.normal(0.0, self.weight_gain / np.sqrt(fan_in), (n, fan_in))
            if layer.recurrent:
                self.parameters[f"{index}.V"] = generator.normal(0.0, self.weight_gain / np.sqrt(n), (n, n))
            self.parameters[f"{index}.beta"] = np.full(n, layer.beta)
            self.parameters[f"{index}.threshold"] = np.full(n, layer.threshold)
            for name, (value, _) in layer.state_parameters.items():
                self.parameters[f"{index}.{name}"] = np.full(n, value)
            fan_in = n
        if self.readout.kind in ("membrane", "linear"):
            self.parameters["readout.W"] = generator.normal(
                0.0, self.weight_gain / np.sqrt(fan_in), (self.readout.n_outputs, fan_in))

    @property
    def n_outputs(self) -> int:
        """Number of outputs (classes)."""
        return self.layers[-1].n_neurons if self.readout.kind == "count" else self.readout.n_outputs

    def trainable(self) -> list[str]:
        """Names of the parameters the optimiser updates."""
        names = []
        for name in self.parameters:
            index, kind = name.split(".")
            if kind in ("W", "V"):
                names.append(name)
            elif kind == "beta" and self.layers[int(index)].learn_beta:
                names.append(name)
            elif kind == "threshold" and self.layers[int(index)].learn_threshold:
                names.append(name)
            elif index != "readout" and self.layers[int(index)].state_parameters.get(kind, (0, False))[1]:
                names.append(name)
        return names

    def constrain(self) -> None:
        """Keep learned decays (``beta``, ``alpha_syn``, ``threshold_decay``) in [0, 1] and thresholds >= 1e-3
        (the NSNN's allowed range)."""
        for index in range(len(self.layers)):
            for kind in ("beta", "alpha_syn", "threshold_decay"):
                if f"{index}.{kind}" in self.parameters:
                    np.clip(self.parameters[f"{index}.{kind}"], 0.0, 1.0, out=self.parameters[f"{index}.{kind}"])
            np.maximum(self.parameters[f"{index}.threshold"], 1e-3, out=self.parameters[f"{index}.threshold"])

    def layer_model(self, index: int) -> NSNN:
        """Layer ``index`` as the simulator's :class:`nsnn_sim.NSNN` with its current parameters."""
        layer = self.layers[index]
        state = {}
        if layer.synaptic:
            state["synapses"] = {SYNAPSE_RECEPTOR: self.parameters[f"{index}.alpha_syn"].copy()}
        if layer.adaptive:
            state.update(threshold_decay=self.parameters[f"{index}.threshold_decay"].copy(),
                         threshold_jump=self.parameters[f"{index}.threshold_jump"].copy())
        return NSNN(beta=self.parameters[f"{index}.beta"].copy(),
                    threshold=self.parameters[f"{index}.threshold"].copy(),
                    noise=layer.noise, noise_scale=layer.noise_scale, firing=layer.firing, reset=layer.reset, **state)

    def config(self) -> dict:
        """The architecture (not the weights) as plain values, for provenance."""
        return {"n_inputs": self.n_inputs, "layers": [asdict(layer) for layer in self.layers],
                "readout": asdict(self.readout), "weight_gain": self.weight_gain, "seed": self.seed,
                "layer_delay": self.layer_delay}

    def config_json(self) -> str:
        return json.dumps(self.config())

    def copy(self) -> "Network":
        """An independent copy (same architecture, copied parameters)."""
        twin = object.__new__(Network)
        twin.__dict__.update(self.__dict__)
        twin.parameters = {name: value.copy() for name, value in self.parameters.items()}
        return twin

    def save(self, path) -> None:
        """Parameters and architecture to an ``.npz`` file (:meth:`load` inverts it)."""
        np.savez(path, config=np.array(self.config_json()), **{f"param:{k}": v for k, v in self.parameters.items()})

    @classmethod
    def load(cls, path) -> "Network":
        with np.load(path) as data:
            config = json.loads(str(data["config"]))
            network = cls(config["n_inputs"], [SpikingLayer(**layer) for layer in config["layers"]],
                          Readout(**config["readout"]), config["weight_gain"], config["seed"],
                          layer_delay=config.get("layer_delay", 1))  # files written before layer_delay: 1
            for key in data.files:
                if key.startswith("param:"):
                    network.parameters[key[len("param:"):]] = data[key].copy()
        return network

    def __repr__(self) -> str:
        sizes = " -> ".join([str(self.n_inputs)] + [str(layer.n_neurons) for layer in self.layers])
        return (f"Network({sizes}, readout={self.readout.kind}, noise={[layer.noise for layer in self.layers]}, "
                f"layer_delay={self.layer_delay})")
