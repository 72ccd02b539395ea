"""Bad input over every public entry point: each case must raise ``ValueError``, ``TypeError`` or
``OSError`` (``MemoryError`` where a request cannot fit) whose message names the parameter or file.

The list of entry points is generated from the package (every ``__all__`` callable of every module),
so an entry point added later is either given cases here, or listed in :data:`NOT_USER_FACING` with a
reason, or :func:`test_every_public_entry_point_has_bad_input_cases` fails. Each case runs in-process
(all checks run before any Numba kernel, so nothing here compiles a kernel).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import scipy.sparse as sp
import xarray as xr

import nsnn_sim
import nsnn_sim as ns
import nsnn_sim.analysis.plotting
import nsnn_sim.fit.compare
import nsnn_sim.interop.brian2
import nsnn_sim.interop.brian2_monitor
import nsnn_sim.interop.neo
import nsnn_sim.interop.nwb
import nsnn_sim.simulator.brunel
import nsnn_sim.sweep
from nsnn_sim import coding, fit, learn, theory
from nsnn_sim.analysis import compare as crossval
from nsnn_sim.analysis import spectral, stats
from nsnn_sim.coding import sampling
from nsnn_sim.interop import times as interop_times
from nsnn_sim.simulator import noise
from nsnn_sim.simulator.recording import compile_recording
from nsnn_sim.simulator.state import Adaptation, AlphaSynapse, ExpSynapse, MovingThreshold

#: Modules that are not part of the user's API (internals, tooling), with the reason.
INTERNAL_MODULES = {
    "nsnn_sim._core.validation": "the checks themselves",
    "nsnn_sim._core.messages": "how values are shown in error messages",
    "nsnn_sim.simulator.rules": "the rule codes (constants)",
    "nsnn_sim._core.memory": "size estimates used by the checks",
    "nsnn_sim._core.checksums": "file digests, exercised through ns.load in test_checksums.py",
    "nsnn_sim._core.kernel_cache": "Numba cache housekeeping",
    "nsnn_sim.simulator.rng": "counter-based streams called by kernels",
    "nsnn_sim._core.special": "a Numba scalar function (AS 241)",
    "nsnn_sim._core.compile_clock": "timing helper",
    "nsnn_sim._core.log": "logging setup",
    "nsnn_sim._core.version": "provenance",
    "nsnn_sim._core.progress": "progress-bar helper",
    "nsnn_sim.warmup": "cache warm-up tool (no arguments)",
    "nsnn_sim._core.extras": "optional-dependency import helper",
    "nsnn_sim.reproduce": "CLI tooling (bad CLI input is tested in test_cli.py)",
    "nsnn_sim.cli": "the CLI (bad CLI input is tested in test_cli.py)",
    "nsnn_sim.experiments": "experiment registry (tested in test_experiments.py)",
    "nsnn_sim._core.units": "unit conversion used by the checks (tested in test_units.py)",
    "nsnn_sim.learn.backward": "the learner's internals; the user's entry points are in nsnn_sim.learn",
    "nsnn_sim.learn.forward": "the learner's internals; the user's entry points are in nsnn_sim.learn",
    "nsnn_sim.learn.losses": "the learner's internals; the user's entry points are in nsnn_sim.learn",
    "nsnn_sim.fit.likelihood": "the fit's kernels; the user's entry points are in nsnn_sim.fit",
    "nsnn_sim.fit.problem": "the fit's checks and packing; the user's entry points are in nsnn_sim.fit",
    "nsnn_sim.fit.gif_likelihood": "the GIF fit's kernels; the user's entry points are in nsnn_sim.fit",
}

#: Public callables that take no user data (result containers built by the package, kernels).
NOT_USER_FACING = {
    "nsnn_sim.simulator.neurons.CompiledNeurons": "built by model.compile",
    "nsnn_sim.simulator.state.linear_system": "the matrices of LIF(synapses=...), from validated parameters",
    "nsnn_sim.simulator.state.discretise": "the one-step map of LIF(synapses=...), from validated matrices",
    "nsnn_sim.simulator.state.stationary_covariance": "a Lyapunov solve on validated matrices",
    "nsnn_sim.simulator.neurons.neuron_step": "Numba kernel",
    "nsnn_sim.simulator.neurons.neuron_update": "Numba kernel",
    "nsnn_sim.simulator.neurons.mean_field_step": "Numba kernel",
    "nsnn_sim.simulator.neurons.integrate": "Numba kernel",
    "nsnn_sim.simulator.neurons.reset_membrane": "Numba kernel",
    "nsnn_sim.simulator.neurons.neuron_constants": "Numba kernel",
    "nsnn_sim.simulator.neurons.rule_codes": "Numba kernel",
    "nsnn_sim.simulator.network.CompiledInputs": "built by prepare_inputs",
    "nsnn_sim.simulator.stimuli.ProjectedSpikes": "built by Network for its source populations (checked there)",
    "nsnn_sim.simulator.network.CompiledConnections": "built by Connections.compile",
    "nsnn_sim.simulator.network.prepare_inputs": "called by simulate with checked sizes (its inputs cases run there)",
    "nsnn_sim.simulator.results.SimulationResult": "built by simulate and load",
    "nsnn_sim.simulator.results.population_rate": "the DataArray of the kernels' counts (SimulationResult's method)",
    "nsnn_sim.simulator.recording.Recording": "built by compile_recording",
    "nsnn_sim.learn.forward.Trace": "built by forward",
    "nsnn_sim.learn.simulator.SimulatedNetwork": "built by simulate_network",
    "nsnn_sim.learn.data.RandmanData": "built by randman",
    "nsnn_sim.learn.data.TuningTask": "built by tuning_task",
    "nsnn_sim.learn.forward.forward": "internal module (listed for its re-export in nsnn_sim.learn)",
    "nsnn_sim.learn.backward.backward": "takes a Trace built by forward",
    "nsnn_sim.learn.train.batch_seed": "seed arithmetic for the learner",
    "nsnn_sim.learn.forward.layer_seed": "seed arithmetic for the learner",
    "nsnn_sim.analysis.compare.Comparison": "built by compare",
    "nsnn_sim.simulator.brunel.BrunelNetwork": "built by brunel_model_a",
    "nsnn_sim.interop.brian2.Brian2Model": "built by to_brian2",
    "nsnn_sim.simulator.noise.FamilySpec": "validated by register (cases below)",
    "nsnn_sim.simulator.noise.Brian2Function": "part of a FamilySpec",
    "nsnn_sim.simulator.noise.specs": "no arguments",
    "nsnn_sim.simulator.noise.names": "no arguments",
    "nsnn_sim.simulator.noise.registry_fingerprint": "no arguments",
    "nsnn_sim.simulator.noise.kernel_cache_dir": "no arguments",
    "nsnn_sim.simulator.noise.dispatch_source": "no arguments",
    "nsnn_sim.simulator.noise.cdf": "Numba dispatch (family codes are checked by the models)",
    "nsnn_sim.simulator.noise.pdf": "Numba dispatch",
    "nsnn_sim.simulator.noise.ppf": "Numba dispatch",
    "nsnn_sim.simulator.noise.may_fire": "Numba dispatch",
    "nsnn_sim.simulator.noise.below_cdf": "Numba dispatch",
    "nsnn_sim.simulator.noise.always_may_fire": "Numba kernel",
    "nsnn_sim.simulator.noise.sample_standard_uniform": "test helper of the noise module",
    "nsnn_sim.sweep.condition_seed": "seed arithmetic for sweep",
    "nsnn_sim.analysis.plotting.save_figure": "writes a matplotlib figure",
    "nsnn_sim.fit.estimate.FitResult": "built by fit_escape",
    "nsnn_sim.fit.compare.PoissonGLM": "built by fit_poisson_glm",
    "nsnn_sim.fit.gif.GIFFit": "built by fit_gif",
    "nsnn_sim.fit.gif.GIFProblem": "built by fit_gif from checked arguments (its cases run there)",
    "nsnn_sim.learn.datasets.ClassificationData": "built by digits",
    "nsnn_sim.simulator.populations.BuiltNetwork": "built by Network.build",
    "nsnn_sim.simulator.populations.NetworkResult": "built by Network.simulate",
    "nsnn_sim.simulator.connectivity.ConnectionRule": "the base class of the rules (no arguments)",
    "nsnn_sim.simulator.connectivity.Distribution": "the base class of the distributions (no arguments)",
    "nsnn_sim.simulator.connectivity.one_to_one": "no arguments (its sizes are checked by Network.connect)",
    "nsnn_sim.simulator.connectivity.all_to_all": "no arguments",
    "nsnn_sim.simulator.results.state_array": "builds the recorded state's DataArray from a result's checked arrays",
    "nsnn_sim.simulator.results.state_from_kernel": "a view of the kernels' state buffer",
    # named results (NamedTuple), built by the functions that return them
    "nsnn_sim.analysis._common.Estimate": "built by stats.stationary_rate, spectral.spectral_snr, ...",
    "nsnn_sim.fit.compare.FamilyComparison": "built by compare_families",
    "nsnn_sim.fit.compare.TimeRescaling": "built by time_rescaling",
    "nsnn_sim.fit.gif.HistoryKernel": "built by spike_history_kernel",
    "nsnn_sim.learn.datasets.LabelledInputs": "built by load_shd",
    "nsnn_sim.learn.losses.LossValue": "built by the losses",
    "nsnn_sim.learn.train.Evaluation": "built by evaluate",
    "nsnn_sim.theory.lif.OUParameters": "built by euler_equivalent_ou",
    "nsnn_sim.theory.lif.RenewalStatistics": "built by hazard_renewal",
    "nsnn_sim.theory.lif.TrainStatistics": "built by bernoulli_train",
    "nsnn_sim.theory.network.BrunelInput": "built by brunel_input",
}


@dataclass(frozen=True)
class Case:
    entry: str  # "module.qualname" of the entry point the case calls
    label: str
    call: Callable
    names: tuple  # substrings the message must contain (the parameter, the file)
    errors: tuple = (ValueError, TypeError)


CASES: list[Case] = []


def case(entry, label, names, errors=(ValueError, TypeError)):
    def register_case(function):
        CASES.append(Case(entry, label, function, tuple(names), errors))
        return function
    return register_case


def bad(entry, label, names, call, errors=(ValueError, TypeError)):
    CASES.append(Case(entry, label, call, tuple(names), errors))


# ------------------------------------------------------------------ small valid objects
def spikes():
    return ns.SpikeTrains.from_times([0.001, 0.004, 0.0021, 0.008], [0, 0, 1, 1], [0, 0, 0, 1], dt=1e-4,
                                     n_steps=100, n_neurons=2, n_trials=2)


def tuning_curves():
    stimuli = np.arange(8) * np.pi / 8
    preferred = np.arange(4) * np.pi / 4
    values = coding.von_mises_tuning(stimuli[:, None], preferred, 1.0, 1.0, 5.0)
    return xr.DataArray(values, dims=("stimulus", "neuron"), coords={"stimulus": stimuli})


def decoded():
    return coding.PoissonDecoder(tuning_curves(), grid_size=16).decode(np.array([[1, 2, 3, 4], [2, 2, 2, 2]]))


def network():
    return learn.official_network(4, [5], 3)


X = np.ones((2, 6, 4))
Y = np.array([0, 1])
LIF = ns.LIF(method="euler")  # Brian2's configuration: the bridge takes it
NSNN = ns.NSNN()

# ------------------------------------------------------------------ models
SIM = "nsnn_sim.simulator.engine.simulate"
for model_name, model_class, parameters in (
        ("LIF", ns.LIF, ("tau", "threshold", "u_rest", "u_reset", "tau_ref", "sigma", "dt")),
        ("NSNN", ns.NSNN, ("beta", "threshold", "noise_scale", "dt"))):
    entry = f"nsnn_sim.simulator.neurons.{model_name}"
    for parameter in parameters:
        bad(entry, f"{parameter}=nan", [parameter], lambda c=model_class, p=parameter: c(**{p: np.nan}))
        bad(entry, f"{parameter}='0.5'", [parameter], lambda c=model_class, p=parameter: c(**{p: "0.5"}))
    for parameter in ("noise", "firing", "reset"):
        bad(entry, f"{parameter}='bogus'", [parameter], lambda c=model_class, p=parameter: c(**{p: "bogus"}))
    bad(entry, "threshold complex", ["threshold"], lambda c=model_class: c(threshold=1 + 1j))
    bad(entry, "threshold 2-D", ["threshold"], lambda c=model_class: c(threshold=np.ones((2, 2))))
bad("nsnn_sim.simulator.neurons.NSNN", "noise_scale=1e308 (overflows the kernel)", ["noise_scale"],
    lambda: ns.NSNN(noise_scale=1e308))
bad("nsnn_sim.simulator.neurons.LIF", "sigma=1e300 (overflows the kernel)", ["sigma"], lambda: ns.LIF(sigma=1e300,
                                                                                                      method="euler"))
bad("nsnn_sim.simulator.neurons.LIF", "tau=-1", ["tau"], lambda: ns.LIF(tau=-0.01, method="euler"))
bad("nsnn_sim.simulator.neurons.NSNN", "beta=1.5", ["beta"], lambda: ns.NSNN(beta=1.5))
bad("nsnn_sim.simulator.neurons.model_from_dict", "unknown kind", ["kind"],
    lambda: ns.simulator.neurons.model_from_dict({"kind": "X"}))
bad("nsnn_sim.simulator.neurons.model_from_dict", "not a dict", ["dict"],
    lambda: ns.simulator.neurons.model_from_dict(5))

# ------------------------------------------------------------------ simulate
bad(SIM, "model is the class", ["model", "LIF()"], lambda: ns.simulate(ns.LIF, 0.9))
bad(SIM, "model is a string", ["model"], lambda: ns.simulate("LIF", 0.9))
bad(SIM, "inputs nan", ["inputs", "nan"], lambda: ns.simulate(LIF, np.nan))
bad(SIM, "inputs '0.9'", ["inputs"], lambda: ns.simulate(LIF, "0.9"))
bad(SIM, "inputs complex", ["inputs"], lambda: ns.simulate(LIF, 0.9 + 0j))
bad(SIM, "inputs 1e308 (overflows the kernel)", ["inputs"], lambda: ns.simulate(LIF, 1e308))
bad(SIM, "inputs wrong shape", ["inputs", "shape"], lambda: ns.simulate(LIF, np.ones(3), n_neurons=2))
bad(SIM, "n_neurons=1.5", ["n_neurons"], lambda: ns.simulate(LIF, 0.9, n_neurons=1.5))
bad(SIM, "n_neurons=0", ["n_neurons"], lambda: ns.simulate(LIF, 0.9, n_neurons=0))
bad(SIM, "n_neurons=True", ["n_neurons"], lambda: ns.simulate(LIF, 0.9, n_neurons=True))
bad(SIM, "n_steps=2**64", ["n_steps"], lambda: ns.simulate(LIF, 0.9, n_steps=2**64))
bad(SIM, "duration off the grid", ["duration", "whole number of steps"],
    lambda: ns.simulate(LIF, 0.9, duration=1.5e-4))
bad(SIM, "duration shorter than a step", ["duration", "one step"], lambda: ns.simulate(LIF, 0.9, duration=0.0))
bad(SIM, "duration and n_steps", ["duration", "n_steps", "not both"],
    lambda: ns.simulate(LIF, 0.9, n_steps=10, duration=1e-3))
bad(SIM, "duration in volts", ["duration"], lambda: ns.simulate(LIF, 0.9, duration="1 mV"))
bad(SIM, "n_trials=-1", ["n_trials"], lambda: ns.simulate(LIF, 0.9, n_trials=-1))
bad(SIM, "seed=-1", ["seed"], lambda: ns.simulate(LIF, 0.9, seed=-1))
bad(SIM, "seed=2**64", ["seed"], lambda: ns.simulate(LIF, 0.9, seed=2**64))
bad(SIM, "seed='a'", ["seed"], lambda: ns.simulate(LIF, 0.9, seed="a"))
bad(SIM, "n_threads=0", ["n_threads"], lambda: ns.simulate(LIF, 0.9, n_threads=0))
bad(SIM, "record_state=[5] of 2 neurons", ["record_state"], lambda: ns.simulate(LIF, 0.9, n_neurons=2,
                                                                                record_state=[5]))
bad(SIM, "record_state=True", ["record_state"], lambda: ns.simulate(LIF, 0.9, record_state=True))
bad("nsnn_sim.simulator.recording.compile_recording", "state_every 0", ["state_every"],
    lambda: compile_recording(LIF, 3, 10, [0], 0, True, None))
bad("nsnn_sim.simulator.recording.compile_recording", "a variable the NSNN lacks", ["record_state", "'w_0'"],
    lambda: compile_recording(ns.NSNN(synapses={"exc": 0.5}), 3, 10, {"w_0": [0]}, 1, True, None))
bad(SIM, "record_state variable the model lacks", ["record_state", "'I_exc'"],
    lambda: ns.simulate(LIF, 0.9, record_state={"I_exc": [0]}))
bad(SIM, "record_state variable out of range", ["record_state['u']"],
    lambda: ns.simulate(LIF, 0.9, n_neurons=2, record_state={"u": [2]}))
bad(SIM, "state_every=0", ["state_every"], lambda: ns.simulate(LIF, 0.9, record_state=[0], state_every=0))
bad(SIM, "state_every='2'", ["state_every"], lambda: ns.simulate(LIF, 0.9, record_state=[0], state_every="2"))
bad(SIM, "record_spikes=[3] of 2 neurons", ["record_spikes"],
    lambda: ns.simulate(LIF, 0.9, n_neurons=2, record_spikes=[3]))
bad(SIM, "record_spikes='yes'", ["record_spikes"], lambda: ns.simulate(LIF, 0.9, record_spikes="yes"))
bad(SIM, "record_rate overlapping", ["record_rate['b']"],
    lambda: ns.simulate(LIF, 0.9, n_neurons=3, record_rate={"a": [0, 1], "b": [1, 2]}))
bad(SIM, "record_rate a list", ["record_rate"], lambda: ns.simulate(LIF, 0.9, n_neurons=3, record_rate=[0, 1]))
bad(SIM, "record_rate of 10^4 populations x 10^9 steps (memory)", ["record_rate"],
    lambda: ns.simulate(LIF, 0.9, n_neurons=10**4, n_steps=10**9, record_rate={str(i): [i] for i in range(10**4)}),
    errors=(MemoryError, ValueError))
bad(SIM, "initial_state nan", ["initial_state"], lambda: ns.simulate(LIF, 0.9, n_neurons=2,
                                                                     initial_state=[np.nan, 0.0]))
bad(SIM, "initial_state wrong length", ["initial_state"], lambda: ns.simulate(LIF, 0.9, n_neurons=2,
                                                                              initial_state=[0.0, 0, 0]))
bad(SIM, "n_neurons=2**31-1 (memory)", ["n_neurons"], lambda: ns.simulate(LIF, 0.9, n_neurons=2**31 - 1, n_steps=1),
    errors=(MemoryError, ValueError))
bad(SIM, "record_state of 2000 x 10^7 steps (memory)", ["record_state"],
    lambda: ns.simulate(LIF, 0.9, n_neurons=2000, n_steps=10**7, record_state=np.arange(2000)),
    errors=(MemoryError, ValueError))
bad(SIM, "n_threads=10**6 (would hang starting threads)", ["n_threads"],
    lambda: ns.simulate(LIF, 0.9, n_threads=10**6))
bad(SIM, "n_trials=10**9 (memory)", ["n_trials"], lambda: ns.simulate(LIF, 0.9, n_trials=10**9, n_steps=1),
    errors=(MemoryError, ValueError))
bad(SIM, "progress='yes'", ["progress"], lambda: ns.simulate(LIF, 0.9, progress="yes"))
bad(SIM, "connections a string", ["weights"], lambda: ns.simulate(LIF, 0.9, connections="W"))
bad(SIM, "connections of the wrong size", ["weights", "shape"],
    lambda: ns.simulate(LIF, 0.9, n_neurons=3, connections=ns.connect(np.zeros((2, 2)))))

# ------------------------------------------------------------------ inputs and connections
PI = "nsnn_sim.simulator.network.poisson_input"
bad(PI, "rate nan", ["rate"], lambda: ns.poisson_input(np.nan, 0.1, 10))
bad(PI, "rate -1", ["rate"], lambda: ns.poisson_input(-1.0, 0.1, 10))
bad(PI, "weight '0.1'", ["weight"], lambda: ns.poisson_input(10.0, "0.1", 10))
bad(PI, "weight 1e308 (overflows the kernel)", ["weight"], lambda: ns.poisson_input(10.0, 1e308, 10))
bad(PI, "n_sources 1e30", ["n_sources"], lambda: ns.poisson_input(1e-30, 0.1, 10**30))
bad(PI, "n_sources 2.5", ["n_sources"], lambda: ns.poisson_input(10.0, 0.1, 2.5))
bad(SIM, "Poisson rate above 1/dt", ["rate"], lambda: ns.simulate(LIF, ns.poisson_input(1e6, 0.1, 1)))
bad(SIM, "client an address", ["client", "distributed.Client"],
    lambda: ns.simulate(LIF, 0.9, n_trials=4, client="tcp://localhost:8786"))
bad(SIM, "client a dict", ["client"], lambda: ns.simulate(LIF, 0.9, n_trials=4, client={"workers": 2}))
bad(SIM, "trials_per_task without a client", ["trials_per_task", "client"],
    lambda: ns.simulate(LIF, 0.9, n_trials=4, trials_per_task=2))
bad(SIM, "trials_per_task=0 without a client", ["trials_per_task"],
    lambda: ns.simulate(LIF, 0.9, n_trials=4, trials_per_task=0))
bad(SIM, "two currents", ["inputs"], lambda: ns.simulate(LIF, [0.1, 0.2, ns.poisson_input(1.0, 0.1, 1)]))
CI = "nsnn_sim.simulator.network.current_input"
bad(CI, "receptor None", ["receptor", "string"], lambda: ns.current_input(0.5, None))
bad(CI, "receptor 3", ["receptor", "3"], lambda: ns.current_input(0.5, 3))
bad(CI, "values a Poisson input", ["values", "PoissonInput"],
    lambda: ns.current_input(ns.poisson_input(1.0, 0.1, 1), "a"))
bad(CI, "receptor the model lacks", ["current_input", "receptor='exc'", "('delta',)"],
    lambda: ns.simulate(LIF, ns.current_input(0.5, "exc"), n_neurons=2, n_steps=10))
bad(CI, "values NaN", ["inputs", "finite"],
    lambda: ns.simulate(ns.LIF(tau_syn=2e-3), ns.current_input(np.nan, "syn"), n_neurons=2, n_steps=10))
bad(CI, "values of the wrong shape", ["inputs", "shape (3,)"],
    lambda: ns.simulate(ns.LIF(tau_syn=2e-3), ns.current_input(np.ones(3), "syn"), n_neurons=2, n_steps=10))
IPI = "nsnn_sim.simulator.network.inhomogeneous_poisson_input"
bad(IPI, "rate negative", ["rate", ">= 0"], lambda: ns.inhomogeneous_poisson_input([10.0, -1.0], 0.1, 10))
bad(IPI, "rate NaN", ["rate", "finite"], lambda: ns.inhomogeneous_poisson_input([10.0, np.nan], 0.1, 10))
bad(IPI, "rate scalar", ["rate", "poisson_input"], lambda: ns.inhomogeneous_poisson_input(10.0, 0.1, 10))
bad(IPI, "rate 4-D", ["rate", "(n_steps,)"], lambda: ns.inhomogeneous_poisson_input(np.ones((1, 1, 1, 1)), 0.1, 10))
bad("nsnn_sim.simulator.network.InhomogeneousPoissonInput", "rate 0-D", ["rate"],
    lambda: ns.simulator.network.InhomogeneousPoissonInput(5.0, 0.1, 2))
bad(IPI, "rate strings", ["rate"], lambda: ns.inhomogeneous_poisson_input(["fast", "slow"], 0.1, 1))
bad(SIM, "inhomogeneous rate of the wrong length", ["rate", "n_steps=10"],
    lambda: ns.simulate(LIF, ns.inhomogeneous_poisson_input(np.ones(9), 0.1, 1), n_neurons=2, n_steps=10))
bad(SIM, "inhomogeneous rate of the wrong shape", ["rate", "(n_steps, n_neurons) = (10, 2)"],
    lambda: ns.simulate(LIF, ns.inhomogeneous_poisson_input(np.ones((10, 3)), 0.1, 1), n_neurons=2, n_steps=10))
bad(SIM, "inhomogeneous rate*dt above 1", ["rate", "1/dt"],
    lambda: ns.simulate(LIF, ns.inhomogeneous_poisson_input(np.r_[1.0, 2e4], 0.1, 1), n_neurons=1, n_steps=2))
bad(SIM, "inhomogeneous mean count above 100", ["n_sources*rate*dt"],
    lambda: ns.simulate(LIF, ns.inhomogeneous_poisson_input(np.r_[1.0, 5e3], 0.1, 1000), n_neurons=1, n_steps=2))
bad(PI, "rate (n_steps, n_neurons)", ["rate", "inhomogeneous_poisson_input"],
    lambda: ns.poisson_input(np.ones((5, 2)), 0.1, 10))
SI = "nsnn_sim.simulator.stimuli.spike_input"
bad(SI, "times NaN", ["times[1]", "finite"], lambda: ns.spike_input([[0.001], [np.nan]], 0.1))
bad(SI, "times negative", ["times[0]", ">= 0"], lambda: ns.spike_input([[-0.001]], 0.1))
bad(SI, "times not sorted", ["times[0]", "sorted"], lambda: ns.spike_input([[0.002, 0.001]], 0.1))
bad(SI, "times a flat array (one train per neuron?)", ["times"], lambda: ns.spike_input(np.array([0.1, 0.2]), 0.1))
bad(SI, "a train a scalar", ["times[0]", "1-D"], lambda: ns.spike_input([0.001], 0.1))
bad(SI, "times strings", ["times[0]"], lambda: ns.spike_input([["a"]], 0.1))
bad(SI, "weight NaN", ["weight"], lambda: ns.spike_input([[0.001]], np.nan))
bad(SI, "receptor 3", ["receptor"], lambda: ns.spike_input([[0.001]], 0.1, 3))
bad(SI, "off_grid 'up'", ["off_grid"], lambda: ns.spike_input([[0.001]], 0.1, off_grid="up"))
bad("nsnn_sim.simulator.stimuli.SpikeInput", "times None", ["times"], lambda: ns.simulator.stimuli.SpikeInput(None))
bad(SIM, "spike times outside the run", ["spike_input times", "outside the run"],
    lambda: ns.simulate(LIF, ns.spike_input([[0.0005], [0.001]], 0.1), n_neurons=2, n_steps=10))
bad(SIM, "spike times off the grid", ["spike_input times", "whole number of steps"],
    lambda: ns.simulate(LIF, ns.spike_input([[0.00015]], 0.1), n_neurons=1, n_steps=10))
bad(SIM, "spike trains fewer than neurons", ["spike_input times", "n_neurons=3"],
    lambda: ns.simulate(LIF, ns.spike_input([[0.0001]], 0.1), n_neurons=3, n_steps=10))
bad(SIM, "spike weights of the wrong length", ["spike_input weight", "n_neurons=2"],
    lambda: ns.simulate(LIF, ns.spike_input([[], []], [0.1, 0.2, 0.3]), n_neurons=2, n_steps=10))
bad(SIM, "spike input to an unknown receptor", ["spike input #0", "receptor='gaba'"],
    lambda: ns.simulate(LIF, ns.spike_input([[0.0001]], 0.1, "gaba"), n_neurons=1, n_steps=10))
bad(SIM, "spike input SpikeTrains of another dt", ["spike_input times", "dt"],
    lambda: ns.simulate(ns.LIF(dt=1e-3, method="euler"), ns.spike_input(spikes(), 0.1), n_neurons=2, n_steps=100,
                        n_trials=2))
bad(SIM, "spike input SpikeTrains of 2 trials in a run of 3", ["spike_input times", "n_trials=3"],
    lambda: ns.simulate(LIF, ns.spike_input(spikes(), 0.1), n_neurons=2, n_steps=100, n_trials=3))
SG, PS = "nsnn_sim.simulator.stimuli.SpikeGenerator", "nsnn_sim.simulator.stimuli.PoissonSource"
bad(SG, "times not sorted", ["times[1]", "sorted"], lambda: ns.simulator.stimuli.SpikeGenerator([[], [0.2, 0.1]]))
bad(SG, "off_grid 'up'", ["off_grid"], lambda: ns.simulator.stimuli.SpikeGenerator([[0.1]], off_grid="up"))
bad(PS, "rate negative", ["rate", ">= 0"], lambda: ns.simulator.stimuli.PoissonSource([1.0, -2.0]))
bad(PS, "rate a time course without time_course", ["rate", "time_course=True"],
    lambda: ns.simulator.stimuli.PoissonSource(np.ones((10, 2))))
bad(PS, "rate NaN", ["rate", "finite"], lambda: ns.simulator.stimuli.PoissonSource(np.nan))
bad("nsnn_sim.simulator.populations.Network.source_spikes", "a population of neurons", ["'E'", "not a source"],
    lambda: ns.Network().add("E", LIF, 2).source_spikes("E", n_steps=10))
bad("nsnn_sim.simulator.populations.Network.add", "a source with inputs", ["inputs", "'s'"],
    lambda: ns.Network().add("s", ns.simulator.stimuli.PoissonSource(1.0), 2, inputs=0.3))
CONNECT = "nsnn_sim.simulator.network.connect"
bad(CONNECT, "weights complex", ["weights", "complex"], lambda: ns.connect(np.ones((2, 2)) * (0.1 + 0.1j)))
bad(CONNECT, "sparse weights complex", ["weights", "complex"],
    lambda: ns.connect(sp.csr_matrix(np.ones((2, 2)) * (0.1 + 0.1j))))
bad(CONNECT, "weights numeric strings", ["weights"], lambda: ns.connect(np.full((2, 2), "0.1")))
bad(CONNECT, "weights nan", ["weights", "finite"], lambda: ns.connect(np.full((2, 2), np.nan)))
bad(CONNECT, "weights 1e308 (overflows the kernel)", ["weights"], lambda: ns.connect(np.full((2, 2), 1e308)))
bad(CONNECT, "weights 1-D", ["weights", "2-D"], lambda: ns.connect(np.ones(3)))
bad(CONNECT, "delay nan", ["delay", "nan"], lambda: ns.connect(np.ones((2, 2)), delay=np.nan))
bad(CONNECT, "delay 0", ["delay"], lambda: ns.connect(np.ones((2, 2)), delay=0))
bad(CONNECT, "delay a string", ["delay"], lambda: ns.connect(np.ones((2, 2)), delay="2ms"))
bad(CONNECT, "delay True", ["delay"], lambda: ns.connect(np.ones((2, 2)), delay=True))
bad(SIM, "delay 1.5 steps", ["delay", "0.00015", "whole number of steps"],
    lambda: ns.simulate(LIF, 0.9, n_neurons=2, connections=ns.connect(np.ones((2, 2)), delay=1.5e-4)))
bad(SIM, "delay half a step", ["delay", "shorter than one step"],
    lambda: ns.simulate(LIF, 0.9, n_neurons=2, connections=ns.connect(np.ones((2, 2)), delay=0.5e-4)))
bad(CONNECT, "sparse delay with dense weights", ["delay", "sparse"],
    lambda: ns.connect(np.ones((2, 2)), delay=sp.csr_matrix(np.full((2, 2), 2e-4))))
bad("nsnn_sim.simulator.network.Connections", "weights None", ["weights"], lambda: ns.Connections(None))
bad("nsnn_sim.simulator.network.PoissonInput", "rate string", ["rate"], lambda: ns.PoissonInput("a", 0.1, 1))
bad("nsnn_sim.simulator.network.CurrentInput", "receptor a number", ["receptor"],
    lambda: ns.simulator.network.CurrentInput(0.5, 1))

# ------------------------------------------------------------------ networks of populations
NET = "nsnn_sim.simulator.populations.Network"
RULES = "nsnn_sim.simulator.connectivity"


def two_populations():
    return ns.Network().add("E", ns.LIF(method="euler"), 4).add("I", ns.LIF(method="euler"), 2)


bad(NET, "seed -1", ["seed"], lambda: ns.Network(seed=-1))
bad(NET, "seed 1.5", ["seed"], lambda: ns.Network(seed=1.5))
bad(f"{NET}.add", "name 3", ["name"], lambda: ns.Network().add(3, ns.LIF(method="euler"), 2))
bad(f"{NET}.add", "size 0", ["size"], lambda: ns.Network().add("E", ns.LIF(method="euler"), 0))
bad(f"{NET}.add", "model is the class", ["model"], lambda: ns.Network().add("E", ns.LIF, 2))
bad(f"{NET}.connect", "unknown source", ["source", "'X'"],
    lambda: two_populations().connect("X", "E", ns.all_to_all(), 0.1))
bad(f"{NET}.connect", "unknown target", ["target", "'X'"],
    lambda: two_populations().connect("E", "X", ns.all_to_all(), 0.1))
bad(f"{NET}.connect", "rule a string", ["rule"], lambda: two_populations().connect("E", "I", "all", 0.1))
bad(f"{NET}.connect", "weight nan", ["weight"], lambda: two_populations().connect("E", "I", ns.all_to_all(), np.nan))
bad(f"{NET}.connect", "weight complex", ["weight"],
    lambda: two_populations().connect("E", "I", ns.all_to_all(), 0.1 + 1j))
bad(f"{NET}.connect", "weight (n_pre, n_post)", ["weight", "shape"],
    lambda: two_populations().connect("E", "I", ns.all_to_all(), np.ones((4, 2))))
bad(f"{NET}.connect", "delay -1 ms", ["delay"],
    lambda: two_populations().connect("E", "I", ns.all_to_all(), 0.1, delay=-1e-3))
bad(f"{NET}.connect", "delay below dt", ["delay", "dt"],
    lambda: two_populations().connect("E", "I", ns.all_to_all(), 0.1, delay=1e-5))
bad(f"{NET}.connect", "delay nan", ["delay"],
    lambda: two_populations().connect("E", "I", ns.all_to_all(), 0.1, delay=np.nan))
bad(f"{NET}.connect", "receptor 3", ["receptor"],
    lambda: two_populations().connect("E", "I", ns.all_to_all(), 0.1, receptor=3))
bad(f"{NET}.connect", "receptor unknown", ["receptor", "'ampa'"],
    lambda: two_populations().connect("E", "I", ns.all_to_all(), 0.1, receptor="ampa"))
bad(f"{NET}.connect", "k > n_pre without multapses", ["k=3"],
    lambda: two_populations().connect("I", "E", ns.fixed_indegree(3), 0.1))
bad(f"{NET}.build", "no populations", ["populations"], lambda: ns.Network().build())
bad(f"{NET}.simulate", "n_steps 0", ["n_steps"], lambda: two_populations().simulate(n_steps=0))
bad(f"{NET}.simulate", "state_every 0", ["state_every"], lambda: two_populations().simulate(n_steps=5, state_every=0))
bad(f"{NET}.simulate", "record_state a list", ["record_state"],
    lambda: two_populations().simulate(n_steps=5, record_state=[0]))
bad(f"{NET}.simulate", "record_state id out of range", ["record_state['I']"],
    lambda: two_populations().simulate(n_steps=5, record_state={"I": [2]}))
bad(f"{NET}.simulate", "record_state variable unknown", ["record_state['E']", "'I_x'"],
    lambda: two_populations().simulate(n_steps=5, record_state={"E": {"I_x": [0]}}))
bad(f"{NET}.simulate", "record_state variable id out of range", ["record_state['I']['u']"],
    lambda: two_populations().simulate(n_steps=5, record_state={"I": {"u": [5]}}))
bad(f"{NET}.simulate", "record_spikes unknown", ["record_spikes", "'X'"],
    lambda: two_populations().simulate(n_steps=5, record_spikes=["X"]))
bad(f"{NET}.simulate", "initial_state nan", ["initial_state['E']"],
    lambda: two_populations().simulate(n_steps=5, initial_state={"E": np.nan}))
bad(f"{NET}.simulate", "two model classes", ["model class"],
    lambda: two_populations().add("N", ns.NSNN(), 2).simulate(n_steps=5))
bad(f"{RULES}.pairwise_bernoulli", "p nan", ["p"], lambda: ns.pairwise_bernoulli(np.nan))
bad(f"{RULES}.pairwise_bernoulli", "p 1.5", ["p"], lambda: ns.pairwise_bernoulli(1.5))
bad(f"{RULES}.pairwise_bernoulli", "p an array", ["p", "scalar"], lambda: ns.pairwise_bernoulli(np.ones(2) / 2))
bad(f"{RULES}.fixed_indegree", "k 2.5", ["k"], lambda: ns.fixed_indegree(2.5))
bad(f"{RULES}.fixed_indegree", "multapses 'yes'", ["multapses"], lambda: ns.fixed_indegree(2, multapses="yes"))
bad(f"{RULES}.fixed_outdegree", "k -1", ["k"], lambda: ns.fixed_outdegree(-1))
bad(f"{RULES}.explicit", "matrix 1-D", ["matrix", "2-D"], lambda: ns.explicit(np.ones(3)))
bad(f"{RULES}.explicit", "sparse matrix complex", ["matrix"], lambda: ns.explicit(sp.csr_matrix(np.ones((2, 2)) * 1j)))
bad(f"{RULES}.normal", "sd -1", ["sd"], lambda: ns.simulator.connectivity.normal(0.0, -1.0))
bad(f"{RULES}.normal", "mean nan", ["mean"], lambda: ns.simulator.connectivity.normal(np.nan, 1.0))
bad(f"{RULES}.uniform", "high < low", ["high", "low"], lambda: ns.simulator.connectivity.uniform(1.0, 0.0))
bad("nsnn_sim.simulator.concatenate.concatenate_models", "two methods", ["method"],
    lambda: ns.simulator.concatenate.concatenate_models([ns.LIF(method="euler"), ns.LIF(method="exact")], [1, 1],
                                                        ["E", "I"]))
bad("nsnn_sim.simulator.concatenate.concatenate_inputs", "current of the wrong shape", ["inputs of population 'E'"],
    lambda: ns.simulator.concatenate.concatenate_inputs([np.ones(3)], [2], ["E"], None, 1))

# ------------------------------------------------------------------ spike trains and files
ST = "nsnn_sim.spikes.SpikeTrains"
bad(ST, "dt 0", ["dt"], lambda: ns.SpikeTrains([0], [0], [0], dt=0.0, n_trials=1, n_neurons=1, n_steps=1))
bad(ST, "step beyond n_steps", ["step"], lambda: ns.SpikeTrains([0], [0], [5], dt=1e-3, n_trials=1,
                                                                 n_neurons=1, n_steps=2))
bad(ST, "neuron negative", ["neuron"], lambda: ns.SpikeTrains([0], [-1], [0], dt=1e-3, n_trials=1, n_neurons=1,
                                                              n_steps=2))
bad(ST, "arrays of unequal length", ["trial", "neuron", "step"],
    lambda: ns.SpikeTrains([0, 0], [0], [0], dt=1e-3, n_trials=1, n_neurons=1, n_steps=2))
bad("nsnn_sim.spikes.SpikeTrains.counts", "window nan", ["window"], lambda: spikes().counts(window=np.nan))
bad("nsnn_sim.spikes.SpikeTrains.counts", "window 1 step of a 10^10-step train (memory)", ["window"],
    lambda: ns.SpikeTrains.from_times([0.0], [0], [0], dt=1e-4, n_steps=10**10).counts(window=1e-4),
    errors=(MemoryError, ValueError))
bad("nsnn_sim.spikes.SpikeTrains.crop", "t_stop before t_start", ["t_stop"], lambda: spikes().crop(0.005, 0.001))
bad("nsnn_sim.spikes.SpikeTrains.to_dense", "dtype a string", ["dtype"], lambda: spikes().to_dense(dtype="abc"))
bad("nsnn_sim.spikes.stack_trials", "empty list", ["trains"], lambda: nsnn_sim.spikes.stack_trials([]))
bad("nsnn_sim.spikes.stack_trials", "different dt", ["dt"],
    lambda: nsnn_sim.spikes.stack_trials([spikes(), ns.SpikeTrains([0], [0], [0], dt=1e-3, n_trials=1, n_neurons=2,
                                                              n_steps=100)]))
FT = "nsnn_sim.interop.times.from_times"
bad(FT, "times nan", ["times"], lambda: interop_times.from_times([np.nan], [0], [0], dt=1e-3))
bad(FT, "times off the grid", ["times"], lambda: interop_times.from_times([0.00015], [0], [0], dt=1e-4))
bad(FT, "dt negative", ["dt"], lambda: interop_times.from_times([0.0], [0], [0], dt=-1e-3))
bad(FT, "neurons float", ["neurons"], lambda: interop_times.from_times([0.0], [0.5], [0], dt=1e-3))
bad("nsnn_sim.interop.times.time_step", "dt '1ms'", ["dt"], lambda: interop_times.time_step("1ms"))
bad("nsnn_sim.interop.times.whole_steps", "duration negative", ["duration"],
    lambda: interop_times.whole_steps("duration", -0.1, 1e-4))


@case("nsnn_sim.simulator.results.load", "a directory", ["tmp"], errors=(OSError,))
def _load_directory(tmp_path):
    ns.load(tmp_path)


@case("nsnn_sim.simulator.results.load", "a text file", ["notes.txt"], errors=(OSError,))
def _load_text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a result")
    ns.load(path)


@case("nsnn_sim.simulator.results.load", "a missing file", ["missing.nc"], errors=(OSError,))
def _load_missing(tmp_path):
    ns.load(tmp_path / "missing.nc")


def a_result() -> ns.SimulationResult:
    return ns.SimulationResult(spikes(), None, np.zeros(0, dtype=np.int64), ns.NSNN(), 0)


@case("nsnn_sim.simulator.results.SimulationResult.to_netcdf", "inside a file",
      ["file.txt"], errors=(OSError, ValueError))
def _save_inside_file(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    a_result().to_netcdf(tmp_path / "file.txt" / "result.nc")


@case("nsnn_sim.simulator.results.SimulationResult.to_netcdf", "into a missing folder", ["missing", "does not exist"],
      errors=(OSError,))
def _save_missing_folder(tmp_path):
    a_result().to_netcdf(tmp_path / "missing" / "r.nc")


@case("nsnn_sim.simulator.results.SimulationResult.to_netcdf", "onto a folder",
      ["out.nc", "is a folder"], errors=(OSError,))
def _save_onto_folder(tmp_path):
    (tmp_path / "out.nc").mkdir()
    a_result().to_netcdf(tmp_path / "out.nc")


@case("nsnn_sim.simulator.results.SimulationResult.to_netcdf", "a '.partial' name", ["r.partial.nc", ".partial"])
def _save_partial_name(tmp_path):
    a_result().to_netcdf(tmp_path / "r.partial.nc")


@case("nsnn_sim.simulator.results.load", "the temporary file of an unfinished write",
      [".run.1-ab.partial.nc", "did not finish"],
      errors=(OSError,))
def _load_partial(tmp_path):
    a_result().to_netcdf(tmp_path / "run.nc")
    (tmp_path / "run.nc").rename(tmp_path / ".run.1-ab.partial.nc")  # a whole file: refused for its name
    ns.load(tmp_path / ".run.1-ab.partial.nc")


@case("nsnn_sim.interop.nwb.load_nwb", "the temporary file of an unfinished write", ["x.partial.nwb", "did not finish"],
      errors=(OSError,))
def _nwb_partial(tmp_path):
    (tmp_path / "x.partial.nwb").write_bytes(b"\x89HDF")
    ns.load_nwb(tmp_path / "x.partial.nwb")


@case("nsnn_sim.interop.nwb.to_nwb", "into a missing folder", ["missing", "does not exist"], errors=(OSError,))
def _nwb_missing_folder(tmp_path):
    a_result().to_nwb(tmp_path / "missing" / "x.nwb")


@case("nsnn_sim.interop.nwb.to_nwb", "onto a folder", ["x.nwb", "is a folder"], errors=(OSError,))
def _nwb_onto_folder(tmp_path):
    (tmp_path / "x.nwb").mkdir()
    a_result().to_nwb(tmp_path / "x.nwb")


@case("nsnn_sim.interop.nwb.load_nwb", "a text file", ["notes.nwb"], errors=(OSError, ValueError))
def _nwb_text(tmp_path):
    path = tmp_path / "notes.nwb"
    path.write_text("not NWB")
    ns.load_nwb(path)


@case("nsnn_sim.interop.nwb.to_nwb", "not a result", ["result"])
def _nwb_not_result(tmp_path):
    from nsnn_sim.interop import nwb
    nwb.to_nwb(spikes(), tmp_path / "x.nwb")


bad("nsnn_sim.interop.neo.to_neo", "not SpikeTrains", ["spikes"], lambda: nsnn_sim.interop.neo.to_neo([1, 2]))
bad("nsnn_sim.interop.neo.from_neo", "not a Neo object", ["source"], lambda: nsnn_sim.interop.neo.from_neo(5, 1e-3))
bad("nsnn_sim.interop.neo.from_neo", "dt 0", ["dt"], lambda: nsnn_sim.interop.neo.from_neo([], 0.0))
bad("nsnn_sim.interop.brian2_monitor.from_brian2", "not a monitor", ["monitor"],
    lambda: nsnn_sim.interop.brian2_monitor.from_brian2(5, dt=1e-4))

# ------------------------------------------------------------------ statistics
bad("nsnn_sim.analysis.stats.firing_rates", "not SpikeTrains", ["spikes"], lambda: stats.firing_rates(np.ones(3)))
bad("nsnn_sim.analysis.stats.firing_rates", "t_stop before t_start", ["t_stop"],
    lambda: stats.firing_rates(spikes(), t_start=0.005, t_stop=0.001))
bad("nsnn_sim.analysis.stats.psth", "bin_width 0", ["bin_width"], lambda: stats.psth(spikes(), 0.0))
bad("nsnn_sim.analysis.stats.psth", "one-step bins of a 10^10-step train (memory)", ["bin_width"],
    lambda: stats.psth(ns.SpikeTrains.from_times([0.0], [0], [0], dt=1e-4, n_steps=10**10), 1e-4),
    errors=(MemoryError, ValueError))
bad("nsnn_sim.analysis.stats.psth", "smoothing nan", ["smoothing"],
    lambda: stats.psth(spikes(), 1e-3, smoothing=np.nan))
bad("nsnn_sim.analysis.stats.isi_cv", "pool='x'", ["pool"], lambda: stats.isi_cv(spikes(), pool="x"))
bad("nsnn_sim.analysis.stats.cv_of_intervals", "intervals nan", ["intervals"],
    lambda: stats.cv_of_intervals([np.nan, 1.0]))
bad("nsnn_sim.analysis.stats.cv_of_intervals", "groups of the wrong length", ["groups"],
    lambda: stats.cv_of_intervals([1.0, 2.0], groups=[0]))
bad("nsnn_sim.analysis.stats.cv2", "not SpikeTrains", ["spikes"], lambda: stats.cv2("spikes"))
bad("nsnn_sim.analysis.stats.lv", "not SpikeTrains", ["spikes"], lambda: stats.lv(None))
bad("nsnn_sim.analysis.stats.fano_factor", "windows negative", ["windows"],
    lambda: stats.fano_factor(spikes(), [-1e-3]))
bad("nsnn_sim.analysis.stats.fano_factor", "across='x'", ["across"],
    lambda: stats.fano_factor(spikes(), [1e-3], across="x"))
bad("nsnn_sim.analysis.stats.fano_of_counts", "ddof 1.5", ["ddof"],
    lambda: stats.fano_of_counts(np.ones((3, 2)), ddof=1.5))
bad("nsnn_sim.analysis.stats.fano_of_counts", "counts strings", ["counts"],
    lambda: stats.fano_of_counts(np.array(["1", "2"])))
bad("nsnn_sim.analysis.stats.count_correlations", "window 0", ["window"],
    lambda: stats.count_correlations(spikes(), 0.0))
bad("nsnn_sim.analysis.stats.correlations_of_counts", "counts 1-D", ["counts"],
    lambda: stats.correlations_of_counts(np.ones(3)))
bad("nsnn_sim.analysis.distances.van_rossum_distance", "tau 0", ["tau"],
    lambda: stats.van_rossum_distance([0.1], [0.2], 0.0))
bad("nsnn_sim.analysis.distances.van_rossum_distance", "times nan", ["times_a"],
    lambda: stats.van_rossum_distance([np.nan], [0.2], 0.01))
bad("nsnn_sim.analysis.distances.van_rossum_distance", "tau inf", ["tau"],
    lambda: stats.van_rossum_distance([0.1], [0.2], np.inf))
bad("nsnn_sim.analysis.distances.van_rossum_distance", "times_b inf", ["times_b"],
    lambda: stats.van_rossum_distance([0.1], [0.2, np.inf], 0.01))
bad("nsnn_sim.analysis.distances.van_rossum_distance", "times_b a string", ["times_b"],
    lambda: stats.van_rossum_distance([0.1], "0.2", 0.01))
bad("nsnn_sim.analysis.distances.pairwise_distances", "van Rossum tau nan", ["tau"],
    lambda: stats.pairwise_distances(spikes(), "van_rossum", np.nan, 0))
bad("nsnn_sim.analysis.distances.van_rossum_distance", "convention 'x'", ["convention"],
    lambda: stats.van_rossum_distance([0.1], [0.2], 0.01, convention="x"))
bad("nsnn_sim.analysis.distances.victor_purpura_distance", "cost -1", ["cost"],
    lambda: stats.victor_purpura_distance([0.1], [0.2], -1.0))
bad("nsnn_sim.analysis.distances.pairwise_distances", "metric 'x'", ["metric"],
    lambda: stats.pairwise_distances(spikes(), "x", 0.01, 0))
bad("nsnn_sim.analysis.distances.pairwise_distances", "neuron 9", ["neuron"],
    lambda: stats.pairwise_distances(spikes(), "van_rossum", 0.01, 9))
bad("nsnn_sim.analysis.distances.reliability", "sigma 0", ["sigma"], lambda: stats.reliability(spikes(), sigma=0.0))

bad("nsnn_sim.analysis.stats.isi_serial_correlation", "max_lag 0", ["max_lag"],
    lambda: stats.isi_serial_correlation(spikes(), 0))
bad("nsnn_sim.analysis.stats.isi_serial_correlation", "not spike trains", ["spikes"],
    lambda: stats.isi_serial_correlation([0.1, 0.2]))

# ------------------------------------------------------------------ neurons with more state
bad("nsnn_sim.simulator.state.ExpSynapse", "tau 0", ["tau"], lambda: ExpSynapse(0.0))
bad("nsnn_sim.simulator.state.ExpSynapse", "tau '2ms'", ["tau"], lambda: ExpSynapse("2ms"))
bad("nsnn_sim.simulator.state.ExpSynapse", "sigma -1", ["sigma"], lambda: ExpSynapse(2e-3, -1.0))
bad("nsnn_sim.simulator.state.AlphaSynapse", "tau nan", ["tau"], lambda: AlphaSynapse(np.nan))
bad("nsnn_sim.simulator.state.Adaptation", "tau -1", ["tau"], lambda: Adaptation(-1.0))
bad("nsnn_sim.simulator.state.Adaptation", "b inf", ["b"], lambda: Adaptation(0.1, 0.0, np.inf))
bad("nsnn_sim.simulator.state.MovingThreshold", "tau 0", ["tau"], lambda: MovingThreshold(0.0, 0.1))
bad("nsnn_sim.simulator.state.MovingThreshold", "jump 'x'", ["jump"], lambda: MovingThreshold(0.1, "x"))
bad("nsnn_sim.simulator.neurons.LIF", "tau_syn 0", ["tau"], lambda: ns.LIF(tau_syn=0.0, method="euler"))
bad("nsnn_sim.simulator.neurons.LIF", "synapses a number", ["synapses"], lambda: ns.LIF(synapses=5e-3, method="euler"))
bad("nsnn_sim.simulator.neurons.LIF", "receptor 'delta'", ["delta"],
    lambda: ns.LIF(synapses={"delta": ExpSynapse(5e-3)}, method="euler"))
bad("nsnn_sim.simulator.neurons.LIF", "refractory 'x'", ["refractory"], lambda: ns.LIF(refractory="x", method="euler"))
bad("nsnn_sim.simulator.neurons.LIF", "substep with a synapse", ["threshold_crossing"],
    lambda: ns.LIF(method="exact", tau_syn=2e-3, threshold_crossing="substep"))
bad("nsnn_sim.simulator.network.poisson_input", "receptor 3", ["receptor"], lambda: ns.poisson_input(10.0, 0.1, 2, 3))
bad("nsnn_sim.simulator.network.connect", "receptor 3", ["receptor"], lambda: ns.connect(np.zeros((2, 2)), 1e-3, 3))
bad("nsnn_sim.simulator.engine.simulate", "unknown receptor", ["receptor"],
    lambda: ns.simulate(ns.LIF(tau_syn=2e-3, method="euler"), ns.poisson_input(10.0, 0.1, 2, "gaba"), n_neurons=2,
                        n_steps=10))
bad("nsnn_sim.theory.synaptic.fourcaud_brunel_rate", "tau_syn -1", ["tau_syn"],
    lambda: theory.fourcaud_brunel_rate(0.9, 0.5, -1.0))
bad("nsnn_sim.theory.synaptic.coloured_noise_shift", "sigma nan", ["sigma"],
    lambda: theory.coloured_noise_shift(np.nan, 1e-3))
bad("nsnn_sim.theory.adaptation.adapted_rate", "b -1", ["b"], lambda: theory.adapted_rate(0.9, 0.5, b=-1.0))
bad("nsnn_sim.theory.network.brunel_rate", "g -1", ["g"], lambda: theory.brunel_rate(-1.0, 2.0))
bad("nsnn_sim.theory.network.brunel_rate", "threshold <= u_reset", ["threshold"],
    lambda: theory.brunel_rate(5.0, 2.0, threshold=10.0, u_reset=10.0))
bad("nsnn_sim.theory.network.brunel_input", "nu -1", ["nu"], lambda: theory.brunel_input(-1.0, 5.0, 2.0))
bad("nsnn_sim.theory.network.brunel_input", "c_e 0", ["c_e"], lambda: theory.brunel_input(10.0, 5.0, 2.0, c_e=0))
bad("nsnn_sim.theory.adaptation.adapted_rate", "tau_w 0", ["tau_w"], lambda: theory.adapted_rate(0.9, 0.5, tau_w=0.0))
bad("nsnn_sim.theory.lif.hazard_renewal", "refractory 'x'", ["refractory"],
    lambda: theory.hazard_renewal(0.9, 100.0, 0.1, refractory="x"))

# ------------------------------------------------------------------ theory
for function in (theory.siegert_rate, theory.isi_cv):
    entry = f"nsnn_sim.theory.lif.{function.__name__}"
    bad(entry, "sigma 0", ["sigma"], lambda f=function: f(0.9, 0.0))
    bad(entry, "mu nan", ["mu"], lambda f=function: f(np.nan, 0.5))
    bad(entry, "tau '0.01'", ["tau"], lambda f=function: f(0.9, 0.5, tau="0.01"))
    bad(entry, "u_reset above threshold", ["u_reset"], lambda f=function: f(0.9, 0.5, u_reset=2.0))
bad("nsnn_sim.theory.lif.siegert_rate", "mu an array", ["mu"], lambda: theory.siegert_rate(np.array([0.9, 1.0]), 0.5))
bad("nsnn_sim.theory.lif.hazard_renewal", "rho_0 0", ["rho_0"], lambda: theory.hazard_renewal(0.9, 0.0, 0.1))
bad("nsnn_sim.theory.lif.hazard_renewal", "method 'x'", ["method"], lambda: theory.hazard_renewal(0.9, 100.0, 0.1,
                                                                                             method="x"))
bad("nsnn_sim.theory.lif.euler_rate", "dt >= 2 tau", ["dt"], lambda: theory.euler_rate(0.9, 0.5, dt=0.05))
bad("nsnn_sim.theory.lif.euler_rate", "crossing 'x'", ["crossing"],
    lambda: theory.euler_rate(0.9, 0.5, 1e-4, crossing="x"))
bad("nsnn_sim.theory.lif.euler_equivalent_ou", "sigma nan", ["sigma"],
    lambda: theory.euler_equivalent_ou(0.01, np.nan, 1e-4))
bad("nsnn_sim.analysis.stats.stationary_part", "warmup nan", ["warmup"],
    lambda: stats.stationary_part(spikes(), np.nan))
bad("nsnn_sim.analysis.stats.stationary_rate", "warmup longer than the run", ["warmup"],
    lambda: stats.stationary_rate(spikes(), warmup=1.0))
bad("nsnn_sim.simulator.neurons.LIF", "firing='hazard' with rho_0=0", ["rho_0"],
    lambda: ns.LIF(firing="hazard", rho_0=0.0, method="euler"))
bad("nsnn_sim.simulator.neurons.LIF", "firing='hazard' with delta_u nan", ["delta_u"],
    lambda: ns.LIF(firing="hazard", delta_u=np.nan, method="euler"))
bad("nsnn_sim.simulator.neurons.LIF", "threshold_crossing 'x'", ["threshold_crossing"],
    lambda: ns.LIF(threshold_crossing="x", method="euler"))
bad("nsnn_sim.theory.lif.noise_free_rate", "tau_ref -1", ["tau_ref"], lambda: theory.noise_free_rate(1.5, tau_ref=-1.0))
bad("nsnn_sim.theory.lif.bernoulli_train", "probability 1.5", ["probability"], lambda: theory.bernoulli_train(1.5))
bad("nsnn_sim.theory.lif.grid_threshold_shift", "dt 0", ["dt"], lambda: theory.grid_threshold_shift(0.5, 0.0))

# ------------------------------------------------------------------ coding
bad("nsnn_sim.coding.tuning.von_mises_tuning", "kappa nan", ["kappa"],
    lambda: coding.von_mises_tuning(0.1, 0.0, np.nan, 1.0, 1.0))
bad("nsnn_sim.coding.tuning.von_mises_tuning_derivative", "gain string", ["gain"],
    lambda: coding.von_mises_tuning_derivative(0.1, 0.0, 1.0, 1.0, "a"))
bad("nsnn_sim.coding.tuning.fit_tuning_curves", "responses without a stimulus dimension", ["responses"],
    lambda: coding.fit_tuning_curves(np.ones((3, 4))))
bad("nsnn_sim.coding.fisher.linear_fisher_information", "delta_stimulus 0", ["delta_stimulus"],
    lambda: coding.linear_fisher_information(np.ones((10, 3)), np.ones((10, 3)), 0.0))
bad("nsnn_sim.coding.fisher.fisher_information_by_population_size", "sizes above the population", ["sizes"],
    lambda: coding.fisher_information_by_population_size(np.random.default_rng(0).normal(size=(20, 3)),
                                                         np.random.default_rng(1).normal(size=(20, 3)), 0.1, [5]))
bad("nsnn_sim.coding.fisher.poisson_fisher_information", "tuning negative", ["tuning"],
    lambda: coding.poisson_fisher_information(-np.ones((2, 3)), np.ones((2, 3))))
bad("nsnn_sim.coding.fisher.discrimination_threshold", "d_prime 0", ["d_prime"],
    lambda: coding.discrimination_threshold(1.0, d_prime=0.0))
DEC = "nsnn_sim.coding.decoding.PoissonDecoder"
bad(DEC, "grid_size 10^10 (memory)", ["grid_size"], lambda: coding.PoissonDecoder(tuning_curves(), grid_size=10**10),
    errors=(MemoryError, ValueError))
bad(DEC, "grid_size 1", ["grid_size"], lambda: coding.PoissonDecoder(tuning_curves(), grid_size=1))
bad(DEC, "window 0", ["window"], lambda: coding.PoissonDecoder(tuning_curves(), window=0.0))
bad(DEC, "tuning a string", ["tuning"], lambda: coding.PoissonDecoder("curves"))
bad("nsnn_sim.coding.decoding.PoissonDecoder.decode", "counts 1e308", ["counts"],
    lambda: coding.PoissonDecoder(tuning_curves(), grid_size=16).decode(np.full(4, 1e308)))
bad("nsnn_sim.coding.decoding.PoissonDecoder.decode", "counts negative", ["counts"],
    lambda: coding.PoissonDecoder(tuning_curves(), grid_size=16).decode(-np.ones(4)))
bad("nsnn_sim.coding.decoding.PoissonDecoder.decode", "counts of 3 neurons for 4", ["counts"],
    lambda: coding.PoissonDecoder(tuning_curves(), grid_size=16).decode(np.ones(3)))
bad("nsnn_sim.coding.decoding.EmpiricalDecoder", "smoothing -1", ["smoothing"],
    lambda: coding.EmpiricalDecoder(tuning_curves(), smoothing=-1.0))
bad("nsnn_sim.coding.posterior.circular_error", "estimate string", ["estimate"],
    lambda: coding.circular_error("a", 0.1))
bad("nsnn_sim.coding.posterior.covers", "level 1.5", ["level"], lambda: coding.covers(decoded(), 0.1, level=1.5))
bad("nsnn_sim.coding.posterior.coverage", "levels 0", ["levels"], lambda: coding.coverage(decoded(), [0.1, 0.2], [0.0]))
bad("nsnn_sim.coding.cue_integration.combine_cues", "variance_a negative", ["variance_a"],
    lambda: coding.combine_cues(0.1, -1.0, 0.2, 1.0))
bad("nsnn_sim.coding.cue_integration.combine_posteriors", "credible 1.0", ["credible"],
    lambda: coding.combine_posteriors(decoded(), decoded(), credible=1.0))

# ------------------------------------------------------------------ sampling and cross-validation
bad("nsnn_sim.coding.sampling.BoltzmannTarget", "weights not symmetric", ["weights"],
    lambda: sampling.BoltzmannTarget(np.array([[0.0, 1.0], [0.0, 0.0]]), np.zeros(2)))
bad("nsnn_sim.coding.sampling.sample_states", "n_sweeps 0", ["n_sweeps"],
    lambda: sampling.sample_states(sampling.BoltzmannTarget(np.zeros((2, 2)), np.zeros(2)), 0))
bad("nsnn_sim.coding.sampling.sample_states", "n_sweeps 10^12 (memory)", ["n_sweeps"],
    lambda: sampling.sample_states(sampling.BoltzmannTarget(np.zeros((2, 2)), np.zeros(2)), 10**12),
    errors=(MemoryError, ValueError))
bad("nsnn_sim.coding.sampling.sample_states", "noise 'x'", ["noise"],
    lambda: sampling.sample_states(sampling.BoltzmannTarget(np.zeros((2, 2)), np.zeros(2)), 10, noise="x"))
bad("nsnn_sim.coding.sampling.state_distribution", "states not integers", ["states"],
    lambda: sampling.state_distribution(np.full((3, 2), 0.5), 2))
bad("nsnn_sim.coding.sampling.state_distribution", "states beyond 2**n_units", ["states"],
    lambda: sampling.state_distribution(np.array([0, 4]), 2))
bad("nsnn_sim.coding.sampling.kl_divergence", "p not normalised", ["p"],
    lambda: sampling.kl_divergence([0.2, 0.2], [0.5, 0.5]))
bad("nsnn_sim.analysis.compare.compare", "fano_window 0", ["fano_window"],
    lambda: crossval.compare(spikes(), spikes(), fano_window=0.0))
bad("nsnn_sim.analysis.compare.compare", "b not SpikeTrains", ["b"], lambda: crossval.compare(spikes(), 5))
bad("nsnn_sim.analysis.compare.unit_rates", "not SpikeTrains", ["spikes"], lambda: crossval.unit_rates([1]))
bad("nsnn_sim.analysis.compare.unit_fano", "window -1", ["window"], lambda: crossval.unit_fano(spikes(), -1.0))
bad("nsnn_sim.analysis.compare.unit_cv", "not SpikeTrains", ["spikes"], lambda: crossval.unit_cv(None))
bad("nsnn_sim.simulator.brunel.brunel_model_a", "g nan", ["g"],
    lambda: nsnn_sim.simulator.brunel.brunel_model_a(n_excitatory=100, g=np.nan))
bad("nsnn_sim.simulator.brunel.brunel_model_a", "n_excitatory 0", ["n_excitatory"],
    lambda: nsnn_sim.simulator.brunel.brunel_model_a(0))

# ------------------------------------------------------------------ noise registry
bad("nsnn_sim.simulator.noise.get", "unknown family", ["noise", "bogus"], lambda: noise.get("bogus"))
bad("nsnn_sim.simulator.noise.get", "scale 0", ["scale"], lambda: noise.get("gaussian", 0.0))
bad("nsnn_sim.simulator.noise.NoiseFamily", "scale nan", ["scale"], lambda: noise.NoiseFamily("gaussian", np.nan))
bad("nsnn_sim.simulator.noise.spec", "unknown", ["bogus"], lambda: noise.spec("bogus"))
bad("nsnn_sim.simulator.noise.code_of", "unknown", ["bogus"], lambda: noise.code_of("bogus"))
bad("nsnn_sim.simulator.noise.check_scale", "negative", ["noise_scale"],
    lambda: noise.check_scale("noise_scale", -1.0, "gaussian"))
bad("nsnn_sim.simulator.noise.register", "not a FamilySpec", ["FamilySpec"], lambda: noise.register({"name": "x"}))

# ------------------------------------------------------------------ learner
bad("nsnn_sim.learn.network.SpikingLayer", "n_neurons 0", ["n_neurons"], lambda: learn.SpikingLayer(0))
bad("nsnn_sim.learn.network.SpikingLayer", "firing 'x'", ["firing"], lambda: learn.SpikingLayer(3, firing="x"))
bad("nsnn_sim.learn.network.SpikingLayer", "noise_scale nan", ["noise_scale"],
    lambda: learn.SpikingLayer(3, noise_scale=np.nan))
bad("nsnn_sim.learn.network.Readout", "kind 'x'", ["kind"], lambda: learn.Readout("x"))
for state_argument, bad_value in (("alpha_syn", 1.5), ("alpha_syn", np.nan), ("alpha_syn", "0.5"), ("alpha_syn", -1.0),
                                  ("threshold_decay", 2.0), ("threshold_decay", np.nan), ("threshold_jump", np.inf),
                                  ("threshold_jump", 1e300), ("alpha_syn", [0.5, 0.5])):
    bad("nsnn_sim.learn.network.SpikingLayer", f"{state_argument} {bad_value!r}", [state_argument],
        lambda a=state_argument, v=bad_value: learn.SpikingLayer(3, **{a: v}))
for learn_flag in ("learn_alpha_syn", "learn_threshold_decay"):  # a learn flag without its feature
    bad("nsnn_sim.learn.network.SpikingLayer", f"{learn_flag} alone", [learn_flag],
        lambda f=learn_flag: learn.SpikingLayer(3, **{f: True}), errors=(ValueError,))
bad("nsnn_sim.learn.network.SpikingLayer", "learn_threshold_jump 1", ["learn_threshold_jump"],
    lambda: learn.SpikingLayer(3, threshold_jump=0.5, learn_threshold_jump=1))
bad("nsnn_sim.learn.network.Network", "layers empty", ["layers"], lambda: learn.Network(4, []))
bad("nsnn_sim.learn.network.Network", "layer_delay 2", ["layer_delay"],
    lambda: learn.Network(4, [learn.SpikingLayer(3)], layer_delay=2))
bad("nsnn_sim.learn.network.erf_surrogate_sd", "alpha 0", ["alpha"], lambda: learn.erf_surrogate_sd(0.0))
bad("nsnn_sim.learn.official.official_layer", "noise 'x'", ["noise"], lambda: learn.official_layer(3, noise="x"))
bad("nsnn_sim.learn.official.official_network", "n_hidden 0", ["n_hidden"], lambda: learn.official_network(4, [0], 3))
TRAIN = "nsnn_sim.learn.train.train"
bad(TRAIN, "inputs nan", ["inputs"], lambda: learn.train(network(), np.full((2, 6, 4), np.nan), Y, epochs=1,
                                                        progress=False))
bad(TRAIN, "targets out of range", ["targets", "7"], lambda: learn.train(network(), X, np.array([0, 7]), epochs=1,
                                                                        progress=False))
bad(TRAIN, "mse targets nan", ["targets"], lambda: learn.train(network(), X, np.full((2, 3), np.nan), loss="mse",
                                                              epochs=1, progress=False))
bad(TRAIN, "epochs 0", ["epochs"], lambda: learn.train(network(), X, Y, epochs=0, progress=False))
bad(TRAIN, "loss 'x'", ["loss"], lambda: learn.train(network(), X, Y, loss="x", progress=False))
bad(TRAIN, "batch_size 0", ["batch_size"], lambda: learn.train(network(), X, Y, batch_size=0, progress=False))
EVAL = "nsnn_sim.learn.train.evaluate"
bad(EVAL, "seed -1", ["seed"], lambda: learn.evaluate(network(), X, Y, seed=-1))
bad(EVAL, "membrane_noise nan (simulator)", ["membrane_noise"],
    lambda: learn.evaluate(network(), X, Y, engine="simulator", membrane_noise=np.nan))
bad(EVAL, "membrane_noise -1", ["membrane_noise"], lambda: learn.evaluate(network(), X, Y, membrane_noise=-1.0))
bad(EVAL, "engine 'x'", ["engine"], lambda: learn.evaluate(network(), X, Y, engine="x"))
bad(EVAL, "n_ensembles 0", ["n_ensembles"], lambda: learn.evaluate(network(), X, Y, n_ensembles=0))
bad("nsnn_sim.learn.simulator.simulate_network", "membrane_noise nan", ["membrane_noise"],
    lambda: learn.simulate_network(network(), X, membrane_noise=np.nan))
bad("nsnn_sim.learn.simulator.simulate_network", "membrane_noise -1", ["membrane_noise"],
    lambda: learn.simulate_network(network(), X, membrane_noise=-1.0))
bad("nsnn_sim.learn.simulator.simulate_network", "inputs of 3 channels for 4", ["inputs"],
    lambda: learn.simulate_network(network(), np.ones((2, 6, 3))))
bad("nsnn_sim.learn.gradients.loss_and_gradients", "targets of 3 labels for 2 samples", ["targets"],
    lambda: learn.loss_and_gradients(network(), X, np.array([0, 1, 2])))
bad("nsnn_sim.learn.optimizers.SGD", "learning_rate -1", ["learning_rate"], lambda: learn.SGD(-1.0))
bad("nsnn_sim.learn.optimizers.Adam", "beta1 1", ["beta1"], lambda: learn.Adam(beta1=1.0))
bad("nsnn_sim.learn.losses.cross_entropy", "labels float", ["labels"], lambda: learn.cross_entropy(np.ones((2, 3)),
                                                                                                  [0.5, 1]))
bad("nsnn_sim.learn.losses.mean_squared_error", "targets of the wrong shape", ["targets"],
    lambda: learn.mean_squared_error(np.ones((2, 3)), np.ones((2, 2))))
bad("nsnn_sim.learn.losses.step_cross_entropy", "step_outputs 2-D", ["step_outputs"],
    lambda: learn.step_cross_entropy(np.ones((2, 3)), [0, 1]))
bad("nsnn_sim.learn.data.randman", "n_classes 0", ["n_classes"], lambda: learn.randman(n_classes=0))
bad("nsnn_sim.learn.data.randman", "n_train 10^9 (memory)", ["n_train"], lambda: learn.randman(n_train=10**9),
    errors=(MemoryError, ValueError))
bad("nsnn_sim.learn.data.tuning_task", "n_steps 10^9 (memory)", ["n_steps"], lambda: learn.tuning_task(n_steps=10**9),
    errors=(MemoryError, ValueError))
bad("nsnn_sim.learn.network.Network", "10^6 x 10^6 weights (memory)", ["n_inputs"],
    lambda: learn.Network(10**6, [learn.SpikingLayer(10**6)]), errors=(MemoryError, ValueError))
bad("nsnn_sim.learn.data.tuning_task", "kappa nan", ["kappa"], lambda: learn.tuning_task(kappa=np.nan))
bad("nsnn_sim.learn.robustness.delete_spikes", "probability 1.5", ["probability"],
    lambda: learn.delete_spikes(np.zeros((2, 3, 4)), 1.5))
bad("nsnn_sim.learn.robustness.insert_spikes", "probability nan", ["probability"],
    lambda: learn.insert_spikes(np.zeros((2, 3, 4)), np.nan))
bad("nsnn_sim.learn.robustness.gradient_sign_attack", "epsilon nan", ["epsilon"],
    lambda: learn.gradient_sign_attack(network(), X, Y, np.nan))
bad("nsnn_sim.learn.robustness.input_gradient", "n_samples 0", ["n_samples"],
    lambda: learn.input_gradient(network(), X, Y, n_samples=0))

# ------------------------------------------------------------------ spectra and information
SPEC = "nsnn_sim.analysis.spectral"
bad(f"{SPEC}.power_spectrum", "segment longer than the run", ["segment"],
    lambda: spectral.power_spectrum(spikes(), 1e-3, 1.0))
bad(f"{SPEC}.power_spectrum", "bin_width 0", ["bin_width"], lambda: spectral.power_spectrum(spikes(), 0.0, 0.005))
bad(f"{SPEC}.power_spectrum", "sides 'x'", ["sides"], lambda: spectral.power_spectrum(spikes(), 1e-3, 0.005, sides="x"))
bad(f"{SPEC}.poisson_level", "rate -1", ["rate"], lambda: spectral.poisson_level(-1.0))
bad(f"{SPEC}.poisson_level", "probability 2", ["probability"], lambda: spectral.poisson_level(10.0, probability=2.0))
bad(f"{SPEC}.spectral_snr", "frequency nan", ["frequency"],
    lambda: spectral.spectral_snr(spikes(), np.nan, (100.0, 200.0), 1e-3, 0.005))
bad(f"{SPEC}.coherence", "signal of the wrong length", ["signal"],
    lambda: spectral.coherence(spikes(), np.zeros(7), 1e-3, 0.005))
bad(f"{SPEC}.coherence", "signal nan", ["signal"],
    lambda: spectral.coherence(spikes(), np.full(100, np.nan), 1e-4, 0.005))
bad(f"{SPEC}.information_lower_bound", "not a coherence result", ["coherence_result"],
    lambda: spectral.information_lower_bound(5, 10.0))

# ------------------------------------------------------------------ fitting models to spike trains
FIT_SPIKES = np.zeros((1, 200, 2))
FIT_SPIKES[0, ::10, 0] = FIT_SPIKES[0, 5::7, 1] = 1
FIT_INPUTS = np.ones((1, 200, 1))
ESCAPE = ns.NSNN(firing="escape", noise="logistic")
bad("nsnn_sim.fit.estimate.fit_escape", "spikes not 0/1", ["spikes"],
    lambda: fit.fit_escape(ESCAPE, FIT_INPUTS, FIT_SPIKES * 0.5))
bad("nsnn_sim.fit.estimate.fit_escape", "inputs of other steps", ["inputs"],
    lambda: fit.fit_escape(ESCAPE, np.ones((1, 100, 1)), FIT_SPIKES))
bad("nsnn_sim.fit.estimate.fit_escape", "inputs nan", ["inputs"],
    lambda: fit.fit_escape(ESCAPE, np.full((1, 200, 1), np.nan), FIT_SPIKES))
bad("nsnn_sim.fit.estimate.fit_escape", "membrane firing (no exact likelihood)", ["firing"],
    lambda: fit.fit_escape(ns.NSNN(), FIT_INPUTS, FIT_SPIKES))
bad("nsnn_sim.fit.estimate.fit_escape", "unknown parameter", ["parameters"],
    lambda: fit.fit_escape(ESCAPE, FIT_INPUTS, FIT_SPIKES, parameters=("bogus",)))
bad("nsnn_sim.fit.estimate.log_likelihood", "weights of the wrong shape", ["weights"],
    lambda: fit.log_likelihood(ESCAPE, FIT_INPUTS, FIT_SPIKES, np.zeros((3, 1))))
bad("nsnn_sim.fit.basis.raised_cosine_basis", "n_basis 0", ["n_basis"], lambda: fit.raised_cosine_basis(0, 10))
bad("nsnn_sim.fit.basis.filtered_covariates", "signal nan", ["signal"],
    lambda: fit.filtered_covariates(np.full(10, np.nan), fit.raised_cosine_basis(2, 5)))
bad("nsnn_sim.fit.compare.bits_per_spike", "n_spikes 0", ["n_spikes"], lambda: fit.bits_per_spike(-1.0, -2.0, 0))
bad("nsnn_sim.fit.compare.homogeneous_log_likelihood", "test_spikes of other neurons", ["test_spikes"],
    lambda: fit.homogeneous_log_likelihood(FIT_SPIKES, np.zeros((1, 200, 3))))
bad("nsnn_sim.fit.compare.compare_families", "families unknown", ["bogus"],
    lambda: fit.compare_families(ESCAPE, FIT_INPUTS, FIT_SPIKES, FIT_INPUTS, FIT_SPIKES, families=("bogus",)))
bad("nsnn_sim.fit.compare.fit_poisson_glm", "history_steps 0", ["history_steps"],
    lambda: fit.fit_poisson_glm(FIT_INPUTS, FIT_SPIKES, history_steps=0))
bad("nsnn_sim.fit.compare.fit_poisson_glm", "max_iterations 0", ["max_iterations"],
    lambda: fit.fit_poisson_glm(FIT_INPUTS, FIT_SPIKES, max_iterations=0))
bad("nsnn_sim.fit.compare.fit_poisson_glm", "max_iterations 2.5", ["max_iterations"],
    lambda: fit.fit_poisson_glm(FIT_INPUTS, FIT_SPIKES, max_iterations=2.5))
bad("nsnn_sim.fit.compare.fit_poisson_glm", "spikes not 0/1", ["spikes"],
    lambda: fit.fit_poisson_glm(FIT_INPUTS, FIT_SPIKES * 2))
bad("nsnn_sim.fit.estimate.fit_escape", "initial weights inf", ["weights"],
    lambda: fit.fit_escape(ESCAPE, FIT_INPUTS, FIT_SPIKES, weights=np.full((2, 1), np.inf)))
bad("nsnn_sim.fit.estimate.fit_escape", "hazard LIF with couplings nan", ["couplings"],
    lambda: fit.fit_escape(ns.LIF(firing="hazard", method="exact", dt=1e-3), FIT_INPUTS, FIT_SPIKES,
                           ("weights", "couplings"), couplings=np.full((2, 2), np.nan)))
bad("nsnn_sim.fit.estimate.log_likelihood", "weights nan", ["weights"],
    lambda: fit.log_likelihood(ESCAPE, FIT_INPUTS, FIT_SPIKES, np.full((2, 1), np.nan)))
bad("nsnn_sim.fit.compare.time_rescaling", "log_silence positive", ["log_silence"],
    lambda: fit.time_rescaling(np.ones((1, 200, 2)), FIT_SPIKES))
bad("nsnn_sim.fit.compare.rescaled_intervals", "log_silence of the wrong shape", ["log_silence"],
    lambda: nsnn_sim.fit.compare.rescaled_intervals(-np.ones((1, 100, 2)), FIT_SPIKES))
GIF = ns.LIF(firing="hazard", method="exact", dt=1e-3, adaptation=Adaptation(0.1, 0.0, 0.1),
             moving_threshold=MovingThreshold(0.01, 0.2))
GIF_FIT = "nsnn_sim.fit.gif.fit_gif"
bad(GIF_FIT, "spikes not 0/1", ["spikes"], lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES * 0.5))
bad(GIF_FIT, "inputs of other steps", ["inputs"], lambda: fit.fit_gif(GIF, np.ones((1, 100, 1)), FIT_SPIKES))
bad(GIF_FIT, "an NSNN", ["model", "NSNN"], lambda: fit.fit_gif(ESCAPE, FIT_INPUTS, FIT_SPIKES))
bad(GIF_FIT, "membrane firing", ["firing"], lambda: fit.fit_gif(ns.LIF(dt=1e-3, method="euler"), FIT_INPUTS,
                                                                FIT_SPIKES))
bad(GIF_FIT, "subthreshold adaptation", ["adaptation[0].a"],
    lambda: fit.fit_gif(dataclasses.replace(GIF, adaptation=Adaptation(0.1, 0.5, 0.1)), FIT_INPUTS, FIT_SPIKES))
bad(GIF_FIT, "per-neuron time constants", ["moving_threshold[0].tau"],
    lambda: fit.fit_gif(dataclasses.replace(
        GIF, moving_threshold=MovingThreshold(np.array([0.01, 0.02]), 0.2)), FIT_INPUTS, FIT_SPIKES))
bad(GIF_FIT, "u_rest 0.1", ["u_rest"],
    lambda: fit.fit_gif(dataclasses.replace(GIF, u_rest=0.1), FIT_INPUTS, FIT_SPIKES))
bad(GIF_FIT, "reset subtract", ["reset"],
    lambda: fit.fit_gif(dataclasses.replace(GIF, reset="subtract"), FIT_INPUTS, FIT_SPIKES))
bad(GIF_FIT, "synapses", ["synapses"],
    lambda: fit.fit_gif(dataclasses.replace(GIF, tau_syn=5e-3, synapses=None), FIT_INPUTS, FIT_SPIKES))
bad(GIF_FIT, "refractory integrate with a dead time", ["refractory"],
    lambda: fit.fit_gif(dataclasses.replace(GIF, refractory="integrate", tau_ref=2e-3), FIT_INPUTS, FIT_SPIKES))
bad(GIF_FIT, "voltage of the wrong shape", ["voltage"],
    lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, voltage=np.zeros((1, 200, 3))))
bad(GIF_FIT, "voltage nan", ["voltage"],
    lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, voltage=np.full((200, 2), np.nan)))
bad(GIF_FIT, "voltage strings", ["voltage"], lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, voltage="v"))
bad(GIF_FIT, "unknown parameter", ["parameters", "bogus"],
    lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, parameters=("bogus",)))
bad(GIF_FIT, "a step-1 parameter with a voltage", ["parameters", "tau"],
    lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, voltage=np.zeros((200, 2)), parameters=("tau",)))
bad(GIF_FIT, "parameters empty", ["parameters"], lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, parameters=()))
bad(GIF_FIT, "weights of the wrong shape", ["weights"],
    lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, weights=np.zeros((3, 1))))
bad(GIF_FIT, "weights inf", ["weights"],
    lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, weights=np.full((2, 1), np.inf)))
bad(GIF_FIT, "input_names too few", ["input_names"],
    lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, input_names=[]))
bad(GIF_FIT, "max_iterations 0", ["max_iterations"], lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, max_iterations=0))
bad(GIF_FIT, "tolerance -1", ["tolerance"], lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, tolerance=-1.0))
bad(GIF_FIT, "hessian_step 1", ["hessian_step"], lambda: fit.fit_gif(GIF, FIT_INPUTS, FIT_SPIKES, hessian_step=1.0))
bad("nsnn_sim.fit.gif.gif_log_likelihood", "weights nan", ["weights"],
    lambda: fit.gif_log_likelihood(GIF, FIT_INPUTS, FIT_SPIKES, np.full((2, 1), np.nan)))
bad("nsnn_sim.fit.gif.spike_history_kernel", "adaptation at the membrane's tau", ["tau"],
    lambda: fit.spike_history_kernel(dataclasses.replace(GIF, tau=0.1)))
bad("nsnn_sim.fit.gif.spike_history_kernel", "an NSNN", ["model"], lambda: fit.spike_history_kernel(ESCAPE))
bad("nsnn_sim.fit.gif.spike_history_kernel", "neuron -1", ["neuron"], lambda: fit.spike_history_kernel(GIF, -1))

# ------------------------------------------------------------------ data sets and perturbations
bad("nsnn_sim.learn.datasets.digits", "test_fraction 1", ["test_fraction"], lambda: learn.digits(test_fraction=1.0))
bad("nsnn_sim.learn.datasets.digits", "n_steps 0", ["n_steps"], lambda: learn.digits(n_steps=0))
bad("nsnn_sim.learn.perturbations.SpikePerturbation", "kind 'x'", ["kind"], lambda: learn.SpikePerturbation("x", 0.1))
bad("nsnn_sim.learn.perturbations.SpikePerturbation", "probability nan", ["probability"],
    lambda: learn.SpikePerturbation("delete", np.nan))
bad("nsnn_sim.learn.perturbations.event_drop", "probability 2", ["probability"],
    lambda: learn.event_drop(np.zeros((2, 3, 4)), 2.0))
bad("nsnn_sim.learn.perturbations.event_drop", "patterns strings", ["patterns"],
    lambda: learn.event_drop(np.full((2, 3, 4), "1"), 0.1))
bad("nsnn_sim.learn.robustness.l2_sphere_attack", "gamma nan", ["gamma"],
    lambda: learn.l2_sphere_attack(network(), X, Y, np.nan))
bad("nsnn_sim.learn.train.evaluate", "spike_hook not callable", ["spike_hook"],
    lambda: learn.evaluate(network(), X, Y, spike_hook=5))


@case("nsnn_sim.learn.datasets.load_shd", "a text file", ["digits.h5"], errors=(OSError, ValueError))
def _shd_text(tmp_path):
    path = tmp_path / "digits.h5"
    path.write_text("not HDF5")
    learn.load_shd(path, n_steps=10, dt=1e-3)


@case("nsnn_sim.learn.datasets.load_shd", "an HDF5 file of another layout", ["other.h5", "spikes"],
      errors=(OSError, ValueError))
def _shd_layout(tmp_path):
    import h5py
    with h5py.File(tmp_path / "other.h5", "w") as handle:
        handle["labels"] = np.zeros(2, dtype=np.int64)
    learn.load_shd(tmp_path / "other.h5", n_steps=10, dt=1e-3)


bad("nsnn_sim.learn.datasets.load_shd", "dt 0", ["dt"], lambda: learn.load_shd("x.h5", n_steps=10, dt=0.0))

# ------------------------------------------------------------------ sweeps and plotting
bad("nsnn_sim.sweep.sweep", "grid not a dict", ["grid"], lambda: nsnn_sim.sweep.sweep(lambda **k: {}, [1, 2], "store"))
bad("nsnn_sim.sweep.sweep", "function not callable", ["function"], lambda: nsnn_sim.sweep.sweep(5, {"a": [1]}, "store"))
bad("nsnn_sim.sweep.conditions_of", "values not a list", ["grid"], lambda: nsnn_sim.sweep.conditions_of({"a": 5}))
bad("nsnn_sim.analysis.plotting.raster", "trial 5", ["trial"],
    lambda: nsnn_sim.analysis.plotting.raster(spikes(), trial=5))
bad("nsnn_sim.analysis.plotting.raster", "neurons out of range", ["neurons"],
    lambda: nsnn_sim.analysis.plotting.raster(spikes(), neurons=[0, 2]))
bad("nsnn_sim.analysis.plotting.raster", "neurons floats", ["neurons"],
    lambda: nsnn_sim.analysis.plotting.raster(spikes(), neurons=[0.5]))
bad("nsnn_sim.analysis.plotting.population_rate", "bin_width 0", ["bin_width"],
    lambda: nsnn_sim.analysis.plotting.population_rate(spikes(), 0.0))
bad("nsnn_sim.analysis.plotting.raster_and_rate", "bin_width nan", ["bin_width"],
    lambda: nsnn_sim.analysis.plotting.raster_and_rate(spikes(), np.nan))

# ------------------------------------------------------------------ Brian2 bridge (checks run before Brian2)
bad("nsnn_sim.interop.brian2.to_brian2", "n_neurons 0", ["n_neurons"],
    lambda: nsnn_sim.interop.brian2.to_brian2(LIF, 0.9, n_neurons=0))
bad("nsnn_sim.interop.brian2.run_brian2", "target 'x'", ["target"],
    lambda: nsnn_sim.interop.brian2.run_brian2(LIF, 0.9, target="x"))
bad("nsnn_sim.interop.brian2.run_brian2", "inputs nan", ["inputs"],
    lambda: nsnn_sim.interop.brian2.run_brian2(LIF, np.nan))


# ------------------------------------------------------------------ the tests
def public_modules():
    """Every module of the package except the private ones (``_name``) and the experiments."""
    for info in pkgutil.walk_packages(nsnn_sim.__path__, "nsnn_sim."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts[1:]) or parts[1] == "experiments" and len(parts) > 2:
            continue
        yield importlib.import_module(info.name)


def qualified(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def public_entry_points() -> dict:
    """``qualified name -> object`` of every public callable (each ``__all__`` name, and the public
    methods of public classes that take user data), across the user-facing modules."""
    entries = {}
    for module in public_modules():
        if module.__name__ in INTERNAL_MODULES:
            continue
        names = getattr(module, "__all__", None)
        if names is None:
            if [name for name in vars(module) if not name.startswith("_")] and module.__name__ != "nsnn_sim.interop":
                raise AssertionError(f"{module.__name__} has no __all__: list its public names")
            continue
        for name in names:
            obj = getattr(module, name)
            if callable(obj) and getattr(obj, "__module__", "").startswith("nsnn_sim"):
                entries.setdefault(qualified(obj), obj)
    return entries


def test_the_fuzz_table_is_large():
    assert len(CASES) >= 80


def test_every_public_entry_point_has_bad_input_cases():
    covered = {case.entry for case in CASES}
    missing = sorted(name for name in public_entry_points() if name not in covered and name not in NOT_USER_FACING)
    assert not missing, f"public entry points without bad-input cases in test_fuzz.py: {missing}"


def test_every_case_names_a_real_entry_point():
    known = set(public_entry_points())
    methods = {case.entry for case in CASES if case.entry not in known}
    for entry in methods:  # methods of public classes: "module.Class.method"
        module_name, class_name, method = entry.rsplit(".", 2)
        cls = getattr(importlib.import_module(module_name), class_name)
        assert callable(getattr(cls, method)), entry


@pytest.mark.parametrize("bad_case", CASES, ids=[f"{c.entry.rsplit('.', 1)[-1]}: {c.label}" for c in CASES])
def test_bad_input_gives_a_clear_error(bad_case, tmp_path):
    code = bad_case.call.__code__
    arguments = (tmp_path,) if "tmp_path" in code.co_varnames[:code.co_argcount] else ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning (ComplexWarning, overflow) is not an error message
        with pytest.raises(bad_case.errors) as raised:
            bad_case.call(*arguments)
    message = str(raised.value)
    for name in bad_case.names:
        assert name in message, f"{type(raised.value).__name__}: {message!r} does not name {name!r}"


# ------------------------------------------------------------------ extremes that are not errors
def test_a_broadcast_current_stays_a_view():
    """A zero-stride input costs nothing: simulate's kernels read the caller's array (no full copy)."""
    row = np.linspace(0.5, 1.0, 1000)
    huge = np.broadcast_to(row, (10**5, 1000))  # 800 MB if it were copied
    compiled = ns.simulator.network.prepare_inputs(huge, n_neurons=1000, n_steps=10**5, n_trials=1, dt=1e-3)
    assert np.shares_memory(compiled.current, row)
    with pytest.raises(ValueError, match=r"inputs=.*1 non-finite"):  # and its check sees every value
        ns.simulator.network.prepare_inputs(np.broadcast_to(np.r_[row[:-1], np.nan], (10**5, 1000)),
                                            1000, 10**5, 1, 1e-3)


def test_reliability_of_a_kernel_wider_than_the_run_is_its_limit():
    """sigma >> run: every smoothed train is constant over the run, so trials with spikes are collinear
    (R = 1) -- computed with the kernel's reach capped at the run, not an overflow."""
    trains = ns.SpikeTrains.from_times([0.001, 0.004, 0.002, 0.009, 0.005], [0, 0, 0, 0, 0], [0, 0, 1, 1, 2],
                                       dt=1e-4, n_steps=100, n_neurons=1, n_trials=3)
    assert float(stats.reliability(trains, sigma=1e30)[0]) == pytest.approx(1.0, abs=1e-12)
