"""Trials of one simulation on a dask.distributed cluster: :func:`nsnn_sim.simulate` with ``client=``.

The trials are split into runs of consecutive trials ``first:stop``, one task each. Every random number of
the engine is drawn from the stream of its (seed, trial, neuron, purpose) (:mod:`nsnn_sim.simulator.rng`), and
a task runs its trials with their own trial numbers (``first_trial``), so trial ``k`` is the same whichever
trials share its task. A task receives the inputs of its trials: a per-trial current ``(n_trials, n_steps,
n_neurons)``, a per-trial inhomogeneous Poisson rate of that shape, spike inputs given per trial and a per-trial
``initial_state`` ``(n_trials, n_neurons)`` are sliced on their trial axis; the
other inputs, the model and the connections are sent once, as a task of their own whose result the workers
share. The merge concatenates the spikes in trial order (:func:`nsnn_sim.spikes.stack_trials`) and the
recorded state along its trial axis: the result equals the local run's bit for bit, whatever the number of
workers or trials per task.

A task whose worker dies (a crash, SIGKILL, memory exhaustion) is run again by the scheduler on another worker,
as is a finished task whose result was held on the dead worker; a task that kills
``distributed.scheduler.allowed-failures`` + 1 workers (4 by default) ends the call with a ``RuntimeError``
naming its trials. The dask machinery is imported only when a client is given (the extra ``sweep``).

Examples
--------
Five trials on two worker threads: two tasks, each sent its trials of a per-trial current and its first trial.

>>> import numpy as np
>>> from nsnn_sim.simulator.cluster import split_trials, trial_chunks
>>> chunks = trial_chunks(5, None, 2)
>>> chunks
[(0, 3), (3, 5)]
>>> shared, tasks = split_trials({"inputs": np.zeros((5, 100, 8)), "initial_state": 0.2, "seed": 1, "n_trials": 5},
...                              chunks)
>>> shared
{'initial_state': 0.2, 'seed': 1}
>>> [(task["first_trial"], task["n_trials"], task["inputs"].shape) for task in tasks]
[(0, 3, (3, 100, 8)), (3, 2, (2, 100, 8))]
"""

from __future__ import annotations

import dataclasses
import math
import uuid
import warnings

import numpy as np

from nsnn_sim._core.extras import require
from nsnn_sim._core.messages import describe
from nsnn_sim._core.progress import progress_bar
from nsnn_sim._core.validation import whole_number
from nsnn_sim.simulator.network import INPUT_ITEMS, CurrentInput, InhomogeneousPoissonInput, _input_items
from nsnn_sim.simulator.results import SimulationResult
from nsnn_sim.simulator.stimuli import ProjectedSpikes, SpikeInput, is_per_trial, trials_of_events
from nsnn_sim.spikes import stack_trials

__all__: list[str] = []  # reached through simulate(client=...)


def check_client(client, trials_per_task) -> None:
    """``TypeError`` unless ``client`` is a ``distributed.Client``; ``ValueError`` for ``trials_per_task``
    without a client."""
    if client is None:
        raise ValueError(f"trials_per_task={describe(trials_per_task)} needs client=distributed.Client(...): "
                         "without a client the trials run on this machine")
    distributed = require("distributed", "sweep")
    if not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a distributed.Client, e.g. Client(LocalCluster()) or "
                        f"Client('tcp://host:8786'), got {describe(client)}")


def worker_threads(client) -> int:
    """The number of threads of the cluster's workers now (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def trial_chunks(n_trials: int, trials_per_task, n_threads: int) -> list[tuple[int, int]]:
    """``(first, stop)`` of each task's trials: ``trials_per_task`` (in [1, n_trials]) consecutive trials each,
    the last task taking the rest; by default ``ceil(n_trials / n_threads)``, one task per thread."""
    if trials_per_task is None:
        size = math.ceil(n_trials / n_threads)
    else:
        size = whole_number("trials_per_task", trials_per_task, minimum=1, maximum=n_trials)
    return [(first, min(first + size, n_trials)) for first in range(0, n_trials, size)]


def _per_trial(item) -> bool:
    """Whether an input item differs between trials: a current ``(n_trials, n_steps, n_neurons)``, an
    inhomogeneous Poisson rate of that shape, or spike inputs of several trials."""
    if isinstance(item, InhomogeneousPoissonInput):
        return item.rate.ndim == 3
    if isinstance(item, (SpikeInput, ProjectedSpikes)):
        return is_per_trial(item)
    if isinstance(item, CurrentInput):
        return np.ndim(item.values) == 3
    return item is not None and not isinstance(item, INPUT_ITEMS) and np.ndim(item) == 3


def _item_of_trials(item, first: int, stop: int):
    """Trials ``first:stop`` of a per-trial input item (:func:`_per_trial`)."""
    if isinstance(item, InhomogeneousPoissonInput):
        return InhomogeneousPoissonInput(item.rate[first:stop], item.weight, item.n_sources, item.receptor)
    if isinstance(item, (SpikeInput, ProjectedSpikes)):
        return trials_of_events(item, first, stop)
    if isinstance(item, CurrentInput):
        return CurrentInput(np.asarray(item.values)[first:stop], item.receptor)
    return np.asarray(item)[first:stop]


def trials_of(inputs, first: int, stop: int):
    """The inputs of trials ``first:stop`` of checked ``inputs``: per-trial items sliced (:func:`_per_trial`), the
    rest as they are (a list or tuple of inputs keeps its kind); ``inputs`` itself when nothing is per trial."""
    items = _input_items(inputs)
    if not any(_per_trial(item) for item in items):
        return inputs
    if len(items) == 1 and items[0] is inputs:
        return _item_of_trials(inputs, first, stop)
    return type(inputs)(_item_of_trials(item, first, stop) if _per_trial(item) else item for item in items)


def trials_of_initial_state(initial_state, first: int, stop: int):
    """The checked ``initial_state`` of trials ``first:stop``: a per-trial ``(n_trials, n_neurons)`` array
    sliced; a scalar or per-neuron value (or None) itself."""
    if initial_state is None or np.ndim(initial_state) != 2:
        return initial_state
    return np.asarray(initial_state)[first:stop]


def split_trials(arguments: dict, chunks: list[tuple[int, int]]) -> tuple[dict, list[dict]]:
    """``(shared, tasks)``: the keyword arguments every task shares, and each task's own (``n_trials``,
    ``first_trial``, and its trials of per-trial ``inputs`` or ``initial_state``)."""
    shared = {name: value for name, value in arguments.items() if name != "n_trials"}
    tasks = [dict(n_trials=stop - first, first_trial=first) for first, stop in chunks]
    for name, of_trials in (("inputs", trials_of), ("initial_state", trials_of_initial_state)):
        value = arguments[name]
        if of_trials(value, 0, 1) is not value:  # per-trial: each task is sent its trials only
            del shared[name]
            for task, (first, stop) in zip(tasks, chunks):
                task[name] = of_trials(value, first, stop)
    return shared, tasks


def _shared(arguments: dict) -> dict:
    """The task that holds the shared arguments (its result: them)."""
    return arguments


def _task(function, shared: dict, own: dict):
    """One task of :func:`run_tasks`: ``function(**shared, **own)``."""
    return function(**shared, **own)


def run_tasks(client, function, shared: dict, tasks: list[dict], chunks: list[tuple[int, int]],
              show_progress: bool) -> list:
    """``function(**shared, **task)`` of every task on ``client``, the results in task order.

    ``shared`` is sent once, as a task of its own whose result the workers fetch from each other (and which the
    scheduler computes again if the worker holding it dies), not once per task. Each finished task is released
    at once (its result is here: a worker lost later must not make the scheduler run it again); on an error or
    an interruption the tasks not yet finished are cancelled.
    """
    import dask
    from distributed import KilledWorker, as_completed

    call = uuid.uuid4().hex[:8]
    with warnings.catch_warnings():
        # dask warns of a large graph, meaning data sent again with every task: here each array is sent once
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        common = client.submit(_shared, shared, pure=False, key=f"nsnn-simulate-{call}-shared")
        futures = [client.submit(_task, function, common, task, pure=False,
                                 key=f"nsnn-simulate-{call}-trials-{first}-{stop}")
                   for task, (first, stop) in zip(tasks, chunks)]
    position = {future.key: index for index, future in enumerate(futures)}
    results = [None] * len(futures)
    bar = progress_bar(len(futures), show_progress, "simulate", "task")
    try:
        for future in as_completed(futures):
            index = position[future.key]
            try:
                results[index] = future.result()
            except KilledWorker as error:
                deaths = int(dask.config.get("distributed.scheduler.allowed-failures", 3)) + 1
                first, stop = chunks[index]
                raise RuntimeError(f"the task of trials {first}..{stop - 1} killed its worker {deaths} times (a "
                                   f"crash, SIGKILL or memory exhaustion): {error}") from error
            future.release()
            bar.update(1)
    except BaseException:  # an error, Ctrl-C or a lost scheduler: nothing keeps running for a result never read
        client.cancel(futures + [common])
        raise
    finally:
        bar.close()
    common.release()
    return results


def merged(results: list[SimulationResult], inputs_description: str) -> SimulationResult:
    """The tasks' results (in trial order) as one: spikes stacked with their trials renumbered from each task's
    first, recorded state and population spike counts concatenated along their trial axis, ``run_time`` and
    ``compile_time`` summed over the tasks (worker-seconds) and the description of the whole ``inputs``."""
    first = results[0]
    state = None if first.state is None else np.concatenate([result.state for result in results], axis=0)
    counts = (None if first.rate_counts is None
              else np.concatenate([result.rate_counts for result in results], axis=0))
    return dataclasses.replace(
        first, spikes=stack_trials([result.spikes for result in results]), state=state, rate_counts=counts,
        inputs_description=inputs_description, run_time=sum(result.run_time for result in results),
        compile_time=sum(result.compile_time for result in results))
