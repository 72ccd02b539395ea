"""The model of the official code of Ma, Yan & Tang (2023), genema/Noisy-Spiking-Neuron-Nets, by name.

* :func:`official_layer` with a noise family: the NILIF neuron (``models/NILIF*.py``): decay
  ``1/tau = 0.5``, threshold 1, noise added to the membrane and kept, a Bernoulli draw with the noise
  cdf of the noisy potential (``firing="reference"``), reset to zero *not* detached, nothing learned
  in the neuron; the gradient ``pdf(u_fire - theta)`` at the noisy potential. Default scales of the
  official files: Gaussian sigma 0.4 (``NILIF.py``), logistic s 0.4 (``NILIF_sigmoid.py``),
  triangular a 0.6 (``NILIF_triang.py``), uniform a 0.4 (``NILIF_uniform.py``).
* :func:`official_layer` with ``noise="none"``: the deterministic baseline (DSNN, ``models/LIF.py``):
  the same neuron without noise, spiking on ``u - theta > 0`` and trained with the ERF surrogate
  ``alpha/sqrt(pi) exp(-(alpha x)**2)``, ``alpha = 1`` (``surrogate="erf"``, i.e. the Gaussian pdf with
  SD ``1/(sqrt(2) alpha) = 0.707``). nsnn_sim's deterministic rule is ``u >= theta``: the two differ
  only when ``u`` equals ``theta`` exactly (see docs/papers_model.rst, "The paper's model").
* :func:`official_network`: ``ToyNet`` (``models/toy_net.py``): input -> Linear (no bias) -> neuron ->
  Linear (no bias), layers stacked without delay (``layer_delay=0``), per-step logits
  (``Readout("linear")``), trained with ``loss="step_cross_entropy"`` and Adam; prediction is the
  argmax of the time-averaged logits, optionally averaged over noisy passes
  (``evaluate(..., n_ensembles=K)``).

Examples
--------
>>> from nsnn_sim.learn.official import OFFICIAL_NOISE_SCALES, official_layer, official_network
>>> layer = official_layer(100, noise="logistic")
>>> layer.beta, layer.noise_scale, layer.firing, layer.reset
(0.5, 0.4, 'reference', 'zero')
>>> network = official_network(20, 100, 10)
>>> network.readout.kind, network.layer_delay
('linear', 0)
"""

from __future__ import annotations

import numpy as np

from nsnn_sim._core.validation import whole_number
from nsnn_sim.learn.network import Network, Readout, SpikingLayer

__all__ = ["OFFICIAL_NOISE_SCALES", "official_layer", "official_network"]

OFFICIAL_NOISE_SCALES = {"gaussian": 0.4, "logistic": 0.4, "triangular": 0.6, "uniform": 0.4}
"""The scale each official neuron file uses by default (there is no Cauchy / arctan file)."""


def official_layer(n_neurons: int, noise: str = "gaussian", noise_scale: float | None = None,
                   **overrides) -> SpikingLayer:
    """A layer of the official neuron (module docstring); ``overrides`` replace any field.

    ``noise_scale`` defaults to :data:`OFFICIAL_NOISE_SCALES` (required for a family without an
    official file). ``noise="none"`` gives the official deterministic baseline (ERF surrogate).
    """
    if noise == "none":
        settings = dict(noise="none", firing="membrane", surrogate="erf", surrogate_scale=1.0)
    else:
        if noise_scale is None:
            if noise not in OFFICIAL_NOISE_SCALES:
                raise ValueError(f"noise={noise!r} has no official neuron file (official: "
                                 f"{tuple(OFFICIAL_NOISE_SCALES)}); give noise_scale")
            noise_scale = OFFICIAL_NOISE_SCALES[noise]
        settings = dict(noise=noise, noise_scale=noise_scale, firing="reference")
    settings = dict(n_neurons=n_neurons, beta=0.5, threshold=1.0, reset="zero", detach_reset=False, **settings)
    settings.update(overrides)
    return SpikingLayer(**settings)


def official_network(n_inputs: int, n_hidden, n_outputs: int, noise: str = "gaussian",
                     noise_scale: float | None = None, weight_gain: float = 1.0, seed: int = 0) -> Network:
    """The official feed-forward network: ``n_inputs`` -> ``n_hidden`` (an int, or a list for several
    hidden layers) official neurons -> ``n_outputs`` per-step linear logits, ``layer_delay=0``.
    Train it with ``loss="step_cross_entropy"``."""
    sizes = [n_hidden] if isinstance(n_hidden, (int, np.integer)) else list(n_hidden)
    if not sizes:
        raise ValueError("n_hidden must be a layer size or a non-empty list of them, got []")
    sizes = [whole_number("n_hidden", size) for size in sizes]
    layers = [official_layer(size, noise=noise, noise_scale=noise_scale) for size in sizes]
    return Network(n_inputs, layers, Readout("linear", n_outputs=n_outputs), weight_gain=weight_gain, seed=seed,
                   layer_delay=0)
