"""One minibatch's loss and gradients: what :func:`~nsnn_sim.learn.train.train` does per minibatch,
and what users call for gradient checks and for their own optimisers.

:func:`loss_and_gradients` validates everything (inputs, loss name against the readout, targets,
seed, mean_field) before any kernel runs, then runs one forward pass with the given noise seed
(:func:`~nsnn_sim.learn.forward.forward`), applies the loss (:mod:`~nsnn_sim.learn.losses`) and
backpropagates with the NDL rule (:func:`~nsnn_sim.learn.backward.backward`).

Examples
--------
>>> import numpy as np
>>> from nsnn_sim import learn
>>> from nsnn_sim.learn.gradients import loss_and_gradients
>>> network = learn.Network(3, [learn.SpikingLayer(4, noise="gaussian", noise_scale=0.3, firing="escape")],
...                         learn.Readout("membrane", n_outputs=2), seed=0)
>>> loss, grads = loss_and_gradients(network, np.ones((2, 5, 3)), np.array([0, 1]), seed=1)
>>> loss > 0, sorted(grads) == sorted(network.parameters)
(True, True)
"""

from __future__ import annotations

from nsnn_sim._core.validation import seed_value
from nsnn_sim.learn.backward import backward
from nsnn_sim.learn.forward import check_inputs, check_mean_field, forward
from nsnn_sim.learn.losses import check_loss, check_targets, loss_gradients

__all__ = ["loss_and_gradients"]


def loss_and_gradients(network, inputs, targets, loss: str = "cross_entropy", seed: int = 0,
                       mean_field: bool = False, *, trials=None, input_gradient: bool = False,
                       return_trace: bool = False):
    """The loss of one forward pass and the gradient of every parameter.

    Parameters
    ----------
    network : Network
    inputs : array, shape (batch, n_steps, n_inputs)
    targets : array
        Class labels ``(batch,)`` in ``[0, n_outputs)`` for ``"cross_entropy"`` and
        ``"step_cross_entropy"``; target outputs ``(batch, n_outputs)`` for ``"mse"``.
    loss : {"cross_entropy", "mse", "step_cross_entropy"}
        ``"step_cross_entropy"`` (mean over steps of each step's cross-entropy, the official
        objective) needs ``Readout("linear")``.
    seed : int
        Noise seed of the forward pass (as in :func:`~nsnn_sim.learn.forward.forward`).
    mean_field : bool
        Use the mean-field network (its exact gradient).
    trials : array of int, optional
        Trial id (stream key) of each sample, default ``0..batch-1``.
    input_gradient : bool
        Also return ``grads["input"]`` = ``dL/dx``, shape of ``inputs``.
    return_trace : bool
        Also return the forward pass (:class:`~nsnn_sim.learn.forward.Trace`).

    Returns
    -------
    loss : float
    grads : dict of str -> ndarray
        One gradient per entry of ``network.parameters``, same keys and shapes (``"0.W"``,
        ``"1.W"``, ``"0.V"``, ``"0.beta"``, ``"0.threshold"``, ``"readout.W"``, ...); the optimiser
        of :func:`~nsnn_sim.learn.train.train` uses those of ``network.trainable()``.
    trace : Trace
        Only with ``return_trace=True``.

    Raises
    ------
    ValueError
        Bad ``inputs``, an unknown ``loss`` or a step loss without the linear readout, ``targets`` of
        the wrong shape or out of range, ``mean_field=True`` with a reference layer; all before any
        kernel runs.
    """
    inputs = check_inputs(network, inputs)
    loss = check_loss(loss, network.readout.kind)
    targets = check_targets(loss, targets, inputs.shape[0], network.n_outputs)
    seed = seed_value(seed)
    mean_field = check_mean_field(network, mean_field)
    trace = forward(network, inputs, seed=seed, mean_field=mean_field, trials=trials)
    value, grad_outputs, grad_step_outputs = loss_gradients(loss, trace.outputs, trace.step_outputs, targets)
    raw = backward(network, trace, grad_outputs, input_gradient=bool(input_gradient),
                   grad_step_outputs=grad_step_outputs)
    grads = {name: raw[name] for name in network.parameters}
    if input_gradient:
        grads["input"] = raw["input"]
    return (value, grads, trace) if return_trace else (value, grads)
