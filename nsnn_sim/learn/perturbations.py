"""The official code's spike-level perturbations: deletion and insertion in every spiking layer, EventDrop.

Protocols of Ma, Yan & Tang (2023), genema/Noisy-Spiking-Neuron-Nets (``testing_cifar10.py``,
``testing_dvs-cifar10.py``; ../shared/REFERENCES.md, "Robustness protocols of the official code"):

* :class:`SpikePerturbation` (``kind="delete"``, ``"insert"`` or ``"both"``): a hook on every spiking
  layer. For each sample ``b`` and layer ``l``, with ``n_spikes`` the layer's spikes of that sample
  over all (step, neuron) slots and ``n_empty`` its silent slots, ``"delete"`` sets
  ``int(p * n_spikes)`` of the spikes, chosen uniformly without replacement, to 0 and ``"insert"``
  sets ``int(p * n_empty)`` silent slots to 1; ``"both"`` does both with the same ``p``, the two
  counts and choices taken on the unperturbed spikes (the official ``spike_noise_hook`` does both in
  one hook). The hook changes only what the layer passes on (to the next layer or the
  readout): the neuron's own reset keeps its original spike, because the layer's kernel has already
  run with the unperturbed spikes when the hook sees them. Pass it as ``spike_hook`` to
  :func:`~nsnn_sim.learn.forward.forward`, :func:`~nsnn_sim.learn.simulator.simulate_network` or
  :func:`~nsnn_sim.learn.train.evaluate` (either engine).
* :func:`event_drop`: on event input (spike patterns or event counts), drop ``int(p * n_events)`` of
  each sample's events uniformly without replacement (default ``p = 0.25``).

Randomness: the draw of sample ``b`` in layer ``l`` comes from ``numpy.random.default_rng`` keyed by
(the perturbation's seed, ``l``, the forward pass's noise seed, the sample's trial id), so it is the
same in both engines and independent of how samples are grouped into threads.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim import learn
>>> events = np.ones((1, 4, 5))  # one sample, 20 events
>>> int(learn.event_drop(events, 0.25, seed=0).sum())  # int(0.25 * 20) = 5 dropped
15
"""

from __future__ import annotations

import numpy as np

from nsnn_sim._core.validation import finite_array, numeric_parameter, seed_value

__all__ = ["SpikePerturbation", "event_drop", "SPIKE_KINDS"]

SPIKE_KINDS = ("delete", "insert", "both")
_KIND_CODES = {"delete": 1, "insert": 2, "event_drop": 3}
_OPERATIONS = {"delete": ("delete",), "insert": ("insert",), "both": ("delete", "insert")}


class SpikePerturbation:
    """Delete or insert spikes in every spiking layer (module docstring); a ``spike_hook``.

    Parameters
    ----------
    kind : {"delete", "insert", "both"}
    probability : float
        ``p`` in [0, 1]: the fraction of a sample's spikes deleted, or of its silent slots filled.
    seed : int
        Seed of the choices (combined with the forward pass's noise seed and each sample's trial).
    """

    def __init__(self, kind: str, probability: float, seed: int = 0):
        if kind not in SPIKE_KINDS:
            raise ValueError(f"kind={kind!r} is not allowed; allowed: {SPIKE_KINDS}")
        self.kind = kind
        self.probability = float(numeric_parameter("probability", probability, lower=0.0, upper=1.0))
        self.seed = seed_value(seed)

    def __repr__(self) -> str:
        return f"SpikePerturbation({self.kind!r}, probability={self.probability}, seed={self.seed})"

    def __call__(self, spikes: np.ndarray, layer: int, pass_seed: int, trials: np.ndarray) -> np.ndarray:
        """The spikes ``(batch, step, neuron)`` of layer ``layer`` as the layer passes them on."""
        if not np.all((spikes == 0.0) | (spikes == 1.0)):
            raise ValueError("spike perturbations need 0/1 spikes (not the mean-field network's probabilities)")
        out = spikes.copy()
        for b in range(out.shape[0]):
            original = spikes[b].reshape(-1)
            flat = out[b].reshape(-1)
            for operation in _OPERATIONS[self.kind]:
                target = 1.0 if operation == "delete" else 0.0
                candidates = np.flatnonzero(original == target)
                count = int(self.probability * candidates.size)
                if count:
                    generator = np.random.default_rng([self.seed, layer, int(pass_seed), int(trials[b]),
                                                       _KIND_CODES[operation]])
                    flat[generator.choice(candidates, count, replace=False)] = 1.0 - target
        return out


def event_drop(patterns, probability: float = 0.25, seed: int = 0) -> np.ndarray:
    """EventDrop: remove ``int(probability * n_events)`` of each sample's input events.

    ``patterns`` (samples, n_steps, n_inputs) hold event counts (0/1 spike patterns, or the counts
    of :func:`~nsnn_sim.learn.datasets.load_shd`); each unit of a count is one event, and the events
    dropped are chosen uniformly without replacement with the generator keyed by (``seed``, sample).
    """
    patterns = finite_array("patterns", patterns, "an array of event counts (0, 1, 2, ...)")
    probability = float(numeric_parameter("probability", probability, lower=0.0, upper=1.0))
    seed = seed_value(seed)
    if patterns.ndim != 3:
        raise ValueError(f"patterns has shape {patterns.shape}; expected (samples, n_steps, n_inputs)")
    if not np.all((patterns >= 0) & (patterns == np.round(patterns))):
        raise ValueError("patterns must hold event counts (whole numbers >= 0) for event_drop")
    out = patterns.copy()
    for b in range(out.shape[0]):
        flat = out[b].reshape(-1)
        cells = np.flatnonzero(flat)
        events = np.repeat(cells, flat[cells].astype(np.int64))
        count = int(probability * events.size)
        if count:
            generator = np.random.default_rng([seed, b, _KIND_CODES["event_drop"]])
            np.subtract.at(flat, events[generator.choice(events.size, count, replace=False)], 1.0)
    return out
