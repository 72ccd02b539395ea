"""Mutation testing of every module a result depends on: a stratified fixed-seed sample of AST mutants.

The mutator is our own (``mutmut`` rewrites functions in a way that never reaches ``@njit`` kernels):
it finds *mutation sites* in the function bodies of the modules with :mod:`ast` and applies one
at a time as a text edit at the node's source position, so the rest of the file stays byte-identical
and kernels are mutated like any other code. Operators:

* ``binop``: ``+`` <-> ``-``, ``*`` <-> ``/``;
* ``compare``: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``;
* ``constant``: an int ``c`` -> ``c + 1``; a float ``0.0`` <-> ``1.0``, any other float ``c`` -> ``c * 1.02``;
* ``unary``: ``-x`` -> ``x``;
* ``boolop``: ``and`` <-> ``or`` (of a binary expression);
* ``return``: ``return a <op> b`` -> ``return -(a <op> b)`` (arithmetic results only);
* ``augassign``: ``x += y`` (any augmented assignment) -> ``pass``.

Not mutated: module level and class bodies (registries, constants), docstrings, default arguments,
decorators, annotations, f-strings, ``raise`` statements and the conditions of validation guards
(an ``if`` whose body only raises), ``assert`` statements, calls that log or warn, the arguments of
the argument checks of :mod:`nsnn_sim._core.validation` and of ``require_memory``, and in the experiment
modules the functions that only present results (:data:`PRESENTATION`: ``figure``, ``summary``,
``MARKDOWN``, ... and every function only they use, :func:`presentation`).

The modules (:data:`MODULES`, each with the pytest arguments of its tests in :data:`SELECTIONS`) are every
module with mutation sites except those in :data:`LEFT_OUT` (infrastructure and plotting, whose mutants
cannot change a result), which a test keeps complete. The sample is stratified (:func:`sample`): ``--per-module``
mutants of every module (default 10; all its sites if fewer), each module drawn with its own generator
seeded by ``--seed`` and its name.

Each mutant is run in its own copy of the package (:mod:`scratch_package`), with ``pytest -x -q -m "not slow"
-p no:cacheprovider`` on the tests of its module and a timeout; a failing test, a timeout or a failed
import kills it. Numba cache: a mutant that can make a cached kernel stale (its module holds kernels, or its
function runs at import; :func:`warm_cache.stale_modules`) has the kernels of its module and of every module
importing it left out of its cache; when those include the engine it runs in a fresh empty cache, as
before. Every other mutant (most: theory, analysis, coding, fit's Python, interop, experiments) runs in a
copy of one warm cache built per run on the unmutated copy by running each of their selections once
(:func:`warm_build`, which is also their baseline: each must pass), so it compiles nothing. One job builds
the warm cache while the others run the fresh-cache mutants. :mod:`warm_cache` gives the reasons.

Survivors are either killed by a new test or listed in :data:`EQUIVALENT` with the reason; an entry
names its mutant by id and by content (function, column, operator and the stripped source line), so it
still applies when the line moves and stops applying when the line changes (:func:`equivalent_reason`).

Usage: ``python tools/mutation.py [--per-module 10] [--seed 21] [--jobs 2] [--modules M ...] [--only ID ...]
[--list] [--estimate]``; the report (killed / survived / equivalent per module, the overall score, the wall time) goes
to ``benchmarks/results/mutation.md`` and ``.json``. ``--modules`` restricts a trial run to some modules
(write it elsewhere with ``--out``); ``--estimate`` measures the CPU cost of a complete run without
mutants (:func:`estimate`: the warm build and each module's selection once in its mutants' cache), a
check of the time budget before a complete run; ``--only`` re-runs chosen mutants and merges them into the existing
record; ``--report`` rewrites the report from the record (after the equivalent list changed).
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import warm_cache
from scratch_package import ROOT, copy_tree, run_tests

# the core modules and the tests each one's mutants run (pytest arguments after the options); every
# selection is narrowed with -k where a file is dominated by Numba compile time in a fresh cache
_ENGINE = "tests/test_engine.py::test_"
_TRANSCRIPTION = [f"{_ENGINE}engine_matches_plain_python_transcription_spike_for_spike",
                  f"{_ENGINE}heterogeneous_lif_with_poisson_weights_matches_transcription"]
_RECURRENT = [f"{_ENGINE}recurrent_delays_and_poisson_input_match_transcription",
              f"{_ENGINE}poisson_input_adds_binomial_jumps"]
_LEARN_KERNELS = ["tests/test_learn_gradients.py", "tests/test_learn.py", "-k",
                  "sample_gradient or mean_field_bptt or ndl_gradient or detached_reset or layer_delay_sets or "
                  "reference_firing or step_cross_entropy or linear_readout or one_forward_pass or simulator_runs"]
_LEARN_STATE_BOUNDED = ["-m", "slow or not slow", "tests/test_learn_state.py", *_LEARN_KERNELS[:-2],
                        "tests/test_learn_bounds.py", "-k", _LEARN_KERNELS[-1] + " or learn_state or learn_bounds"]
_CODING = ["tests/test_decoding.py", "tests/test_cue_integration.py", "tests/test_tuning.py"]
SELECTIONS: dict[str, list[str]] = {
    "simulator/noise": ["tests/test_noise.py"],
    "simulator/neurons": ["tests/test_neurons.py", *_TRANSCRIPTION],
    "simulator/engine": ["tests/test_kernel_shortcuts.py", *_TRANSCRIPTION, *_RECURRENT,
                         f"{_ENGINE}recurrent_windows_match_transcription_for_any_threads_and_trials",
                         "tests/test_spike_inputs.py::test_the_draw_without_a_table_is_the_tables",
                         f"{_ENGINE}recurrent_kernel_is_bit_identical_for_any_block_partition",
               f"{_ENGINE}binomial_draw_is_exact_in_the_tails_and_never_runs_away",
               f"{_ENGINE}a_long_run_is_announced_with_its_time_predicted_from_the_engines_speed",
               f"{_ENGINE}run_time_leaves_out_compilation_inside_the_run"],
    # inputs, delays and the stored projections: the kernels' transcriptions, then checks that run no kernel
    "simulator/network": [*_RECURRENT,
                          "tests/test_spike_inputs.py::test_a_constant_course_is_a_constant_rate_bit_for_bit"
                          "[unconnected-delta]",
                          "tests/test_spike_inputs.py::test_bad_inputs_are_refused_before_any_kernel_runs",
                          "tests/test_spike_inputs.py::test_prepared_poisson_groups_and_the_description_of_the_inputs",
                          "tests/test_api_conventions.py::test_connections_from_synapses_keep_their_steps_and_convert_"
                          "on_another_grid",
                          "tests/test_api_conventions.py::test_an_off_grid_delay_is_refused_naming_the_value_and_the_"
                          "nearest_whole_steps",
                          "tests/test_api_conventions.py::test_a_plain_delay_of_a_second_or_more_warns_and_plausible_"
                          "or_unit_delays_do_not",
                          "tests/test_current_receptor.py::test_bad_current_inputs_are_refused_before_any_kernel_runs"],
    # the recording's checks run the kernels; its argument checks and result assembly are what mutants change
    "simulator/recording": ["tests/test_recording.py"],
    "simulator/stimuli": ["tests/test_spike_inputs.py", "tests/test_network_sources.py"],
    "simulator/rng": ["tests/test_rng.py"],
    # a stack array holds the state of the commonest neuron with more state
    "_core/stack": ["tests/test_kernel_shortcuts.py", "tests/test_state_engine.py"],
    # the Bernoulli fixture and the experiments' statistics run the engine (a minute and more to compile)
    "analysis/stats": ["tests/test_stats.py", "tests/test_serial_correlation.py", "-k",
                       "not bernoulli_large_p and not experiments_the_brian2"],
    "coding/tuning": ["tests/test_tuning.py"],
    "coding/decoding": _CODING,
    "coding/posterior": _CODING,
    "coding/cue_integration": ["tests/test_cue_integration.py"],
    "coding/sampling": ["tests/test_sampling.py", "-k", "not keeps_converging"],
    # the theory's checks: exact (test_theory_exact), NEST's values, limits, hazard renewal, and against simulations
    # (cheap in the warm cache)
    "theory/lif": ["tests/test_theory_exact.py", "tests/test_theory.py", "tests/test_hazard.py",
                   "tests/test_theory_state.py::test_integrating_dead_time_renewal_equals_a_direct_sum_of_the_survivor",
                   "tests/test_theory_state.py::test_integrating_dead_time_in_continuous_time_is_clamped_with_the_"
                   "relaxed_reset"],
    # the bridge's tests but its one Cython case, the neurons with state and a network with every input (numpy
    # target; -k also selects by module name)
    "interop/brian2": ["tests/test_brian2_bridge.py", "tests/test_brian2_state.py",
                      "tests/test_brian2_network_inputs.py", "-k",
                      "expressions_equal_to_scipy or own_noise or rejects or refused or records_no_state or "
                      "hazard_firing_is_identical or heterogeneous or single_neuron or "
                      "(shared_noise_runs and not (True and model0)) or brian2_state or brian2_network_inputs"],
    # the layers with a trace or an adaptive threshold (test_learn_state) run the state kernels of forward/backward
    # (-k also selects by module name: "learn_state" keeps all of that file)
    # ... and last, for what passes all of those, the same tests with bounds checks compiled in (test_learn_bounds,
    # slow: about a minute): an access past an array's end that happens to read zeros fails there
    "learn/backward": _LEARN_STATE_BOUNDED,
    "learn/forward": _LEARN_STATE_BOUNDED,
    "learn/gradients": _LEARN_KERNELS,
    "learn/network": ["tests/test_learn_network.py", "tests/test_learn_state.py", *_LEARN_KERNELS[:-1],
                      _LEARN_KERNELS[-1] + " or learn_state or learn_network"],
    "learn/losses": ["tests/test_learn_losses.py", "tests/test_learn.py", "-k", "learn_losses or cross_entropy or "
                     "linear_readout or bad_inputs or one_forward_pass or tuning_task_fit or "
                     "bad_official_model_arguments"],
    "learn/data": ["tests/test_learn.py", "tests/test_learn_datasets.py", "-k", "randman or tuning_task or digits"],
    "learn/datasets": ["tests/test_learn_datasets.py"],
    "learn/optimizers": ["tests/test_learn.py", "-k", "adam_and_sgd"],
    "learn/perturbations": ["tests/test_learn_perturbations.py", "-k", "not identical_in_both_engines"],
    "learn/robustness": ["tests/test_learn.py", "tests/test_learn_perturbations.py", "-k",
                         "insertion or gradient_sign_attack or l2_sphere or expectation_over_noise"],
    "learn/simulator": ["tests/test_learn.py", "tests/test_learn_perturbations.py", "-k",
                        "simulator_runs or evaluate_in_learner_and_simulator or identical_in_both_engines or "
                        "membrane_perturbation_is_the_same"],
    "learn/train": ["tests/test_learn.py", "-k", "training or evaluate_averages or ensembles"],
    "learn/official": ["tests/test_learn.py", "-k", "official or reference_firing"],
    "simulator/state": ["tests/test_kernel_shortcuts.py::test_pair_update_is_state_update_bit_for_bit",
                        "tests/test_state.py", "tests/test_state_engine.py", "tests/test_current_receptor.py", "-k",
                        "not thread_count and not round_trips"],
    # the modules below hold no kernel (or only their own): their mutants run in a warm cache (warm_cache.py),
    # so a selection may run the simulator; what it costs is the tests' own run time
    "simulator/brunel": ["tests/test_populations.py", "tests/test_mutants_brunel.py", "-k", "brunel_model_a"],
    "simulator/results": ["tests/test_spikes.py", "tests/test_checksums.py", "tests/test_mutants_results.py", "-k",
                          "xarray or netcdf or round_trip or mutants_results"],
    "simulator/cluster": ["tests/test_cluster_trials.py"],
    "simulator/concatenate": ["tests/test_populations.py", "tests/test_mutants_concatenate.py", "-k",
                              "joined or two_populations or mutants_concatenate"],
    "simulator/connectivity": ["tests/test_populations.py", "tests/test_mutants_connectivity.py", "-k",
                               "mutants_connectivity or degree or one_to_one or explicit or bernoulli or "
                               "distributions or seeded"],
    "simulator/populations": ["tests/test_populations.py",
                              "tests/test_network_sources.py::test_a_generator_spike_moves_its_target_by_the_weight_"
                              "after_the_delay"],
    "theory/synaptic": ["tests/test_theory_state.py", "-k", "not within_2_percent"],
    "theory/adaptation": ["tests/test_theory_state.py", "-k", "adapted_rate"],
    "theory/network": ["tests/test_brunel_states.py", "-k", "self_consistent or without_recurrent or more_inhibition"],
    "analysis/_common": ["tests/test_spectral.py", "tests/test_spectral_exact.py", "tests/test_analysis_warnings.py"],
    "analysis/spectral": ["tests/test_spectral.py", "tests/test_spectral_exact.py"],
    "analysis/distances": ["tests/test_distances_exact.py", "tests/test_stats.py", "-k",
                           "victor or van_rossum or pairwise or distances or reliability"],
    "analysis/compare": ["tests/test_compare_exact.py", "tests/test_stats.py", "-k",
                         "experiments_the_brian2 or compare or unit_"],
    "coding/fisher": ["tests/test_fisher.py"],
    "fit/basis": ["tests/test_fit.py", "-k", "raised_cosine or filtered_covariates or glm"],
    "fit/compare": ["tests/test_fit.py", "tests/test_fit_exact.py", "-k", "glm or bits_per_spike or time_rescaling or "
                    "rescaled_intervals"],
    "fit/estimate": ["tests/test_fit.py", "tests/test_fit_exact.py"],
    # its exact checks (log L and gradient against a transcription and finite differences), not the fits
    "fit/likelihood": ["tests/test_fit.py", "-k", "independent_transcription or block_has or gradient_is_finite or "
                       "tau_coordinate or probability_zero or impossible_step"],
    "fit/problem": ["tests/test_fit.py", "tests/test_fit_exact.py"],
    "fit/gif": ["tests/test_fit_gif.py"],
    "fit/gif_likelihood": ["tests/test_fit_gif.py"],
    "interop/neo": ["tests/test_interop.py", "tests/test_mutants_neo.py", "-k", "neo or elephant"],
    "interop/nwb": ["tests/test_interop.py", "tests/test_mutants_nwb.py", "-k", "nwb"],
    "interop/times": ["tests/test_interop.py", "tests/test_units.py", "-k",
                      "from_times or from_neo or brian2 or network_delays"],
    "interop/brian2_monitor": ["tests/test_interop.py", "tests/test_mutants_brian2_monitor.py", "-k", "brian2"],
    "_core/checksums": ["tests/test_checksums.py", "tests/test_mutants_core.py"],
    "_core/units": ["tests/test_units.py"],
    "_core/timesteps": ["tests/test_timesteps.py", "tests/test_mutants_core.py"],
    "_core/validation": ["tests/test_validation.py", "tests/test_units.py", "tests/test_mutants_core.py"],
    "_core/special": ["tests/test_noise.py", "tests/test_theory.py", "-k",
                      "normal or gaussian or ppf or nest_reference"],
    "spikes": ["tests/test_spikes.py", "tests/test_mutants_spikes.py"],
    # every sweep test (killed workers, interruptions, resumes: about a minute) and the ready-made task's numbers
    "sweep": ["tests/test_sweep.py", "tests/test_stats.py::test_the_cv_and_fano_of_the_experiments_the_brian2_"
              "comparison_and_the_sweep_are_those_of_stats"],
    # the experiments' computations (their presentation functions are never mutated: PRESENTATION); "-m slow or
    # not slow" (after the default -m "not slow", so it wins) runs a quick run that make test leaves to test-slow;
    # a file of stubbed, kernel-free tests (tests/test_X_experiment.py) comes first where there is one, so most
    # mutants fail in seconds before the end-to-end run
    "experiments/variability": ["tests/test_variability_experiment.py", "tests/test_experiments.py", "-k",
                                "variability or fano"],
    "experiments/learning": ["tests/test_learning_experiment.py", "tests/test_experiments.py", "-k",
                             "learning_experiment"],
    "experiments/learning_memory": ["tests/test_experiments.py", "-k", "delayed_match or learning_memory"],
    "experiments/stochastic_resonance": ["tests/test_stochastic_resonance_experiment.py", "tests/test_experiments.py",
                                         "-k", "stochastic_resonance"],
    "experiments/contrast_invariance": ["tests/test_contrast_invariance_experiment.py", "tests/test_experiments.py",
                                        "-k", "contrast_invariance"],
    "experiments/fitting": ["tests/test_fitting_experiment.py", "tests/test_experiments.py", "-k",
                            "fitting_experiment"],
    "experiments/tuning": ["-m", "slow or not slow", "tests/test_tuning_experiment.py", "tests/test_experiments.py",
                           "-k", "tuning_experiment"],
    "experiments/decoding": ["-m", "slow or not slow", "tests/test_decoding_experiment.py", "tests/test_experiments.py",
                             "-k", "decoding_experiment"],
    "experiments/sampling": ["-m", "slow or not slow", "tests/test_sampling_experiment.py", "tests/test_experiments.py",
                             "-k", "sampling_experiment"],
    "experiments/brunel_states": ["tests/test_brunel_states_experiment.py", "tests/test_brunel_states.py"],
    "experiments/robustness": ["tests/test_robustness_experiment.py"],
    # the simulators, the training and compare() stubbed: no kernel, no Brian2 run
    "experiments/demo": ["tests/test_small_experiments.py", "-k", "demo"],
    "experiments/lif_convergence": ["tests/test_small_experiments.py", "-k", "lif_convergence"],
    "experiments/neuron_state": ["tests/test_small_experiments.py", "-k", "neuron_state"],
    "experiments/learning_official": ["tests/test_learning_official_experiment.py"],
    "experiments/brian2_identity": ["tests/test_brian2_identity_experiment.py"],
    "experiments/crossval_brian2": ["tests/test_crossval_brian2_experiment.py"],
}

MODULES = list(SELECTIONS)

# the modules with mutation sites that MODULES leaves out, and why: infrastructure whose mutants cannot change a
# result, and presentation
LEFT_OUT = {
    **dict.fromkeys(["_core/atomic", "_core/blas", "_core/compile_clock", "_core/kernel_cache", "_core/log",
                     "_core/memory", "_core/messages", "_core/progress", "_core/version", "cli", "reproduce",
                     "warmup", "experiments/__init__"],
                    "infrastructure (files, logs, messages, the command line, the kernel cache): no result "
                    "depends on it"),
    **dict.fromkeys(["analysis/plotting", "experiments/_style"], "presentation (figures)"),
}

# mutant id -> {"function", "text" (its stripped source line), "reason"}: the one-line reason it is
# equivalent (no test can tell it from the original); a small data file
EQUIVALENT: dict[str, dict[str, str]] = json.loads((Path(__file__).with_name("mutation_equivalent.json")).read_text())

PER_MODULE = 10  # mutants per module (all its sites if fewer)
# the functions of an experiment module that only present its results (never mutated; see presentation())
PRESENTATION = ("figure", "summary", "MARKDOWN", "markdown_table", "draw", "cue_caption")
# rough seconds per mutant on an idle machine (fresh-cache compile of the kernels the selection runs), to
# start the dearest first when no baseline was run
_COST = {"simulator/network": 60.0, "simulator/engine": 50.0, "coding/sampling": 50.0, "learn/simulator": 60.0,
         "simulator/neurons": 30.0,
         "learn/backward": 30.0, "learn/forward": 30.0, "learn/gradients": 30.0, "learn/network": 30.0,
         "learn/train": 30.0, "learn/losses": 30.0, "learn/perturbations": 30.0, "learn/robustness": 30.0}
TIMEOUT = 600.0  # seconds per mutant; a mutant that runs longer counts as killed (the report says so)
# a warm mutant compiles nothing, so its selection takes at most about the warm build's run of it (which compiled):
# a mutant that runs several times longer hangs (an endless loop), and waiting the whole TIMEOUT for it is the
# largest single cost of a run (two such mutants took 20 job-minutes of a survey)
WARM_TIMEOUT = (60.0, 4.0)  # seconds, factor: at most 60 s + 4 x the selection's warm-build wall time


def warm_timeout(built: dict | None, limit: float) -> float:
    """The timeout of a warm mutant whose selection's warm-build run is ``built`` (``{"wall": s, ...}``; None
    when unknown): ``min(limit, 60 + 4 wall)``."""
    if not built:
        return limit
    return min(limit, WARM_TIMEOUT[0] + WARM_TIMEOUT[1] * float(built["wall"]))

_SWAP_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_SWAP_COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                 ast.NotEq: ast.Eq}
_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
         ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.And: "and", ast.Or: "or"}
_QUIET_CALLS = {"warn", "_warn", "warning", "info", "debug", "error", "exception", "print", "get_logger"}
# argument checks (nsnn_sim._core.validation) and the memory guard: their bounds are validation, not computation
_CHECK_CALLS = {"whole_number", "numeric_parameter", "finite_array", "float_array", "per_neuron", "finite_values",
                "orientation_grid", "si_value", "describe", "require_memory"}


@dataclass(frozen=True)
class Mutant:
    """One mutation: replace ``original`` by ``mutated`` at byte offsets ``[start, end)`` of ``path``."""

    id: str  # "<module>:<line>:<column>:<operator>"
    module: str
    path: str  # relative to the checkout
    line: int
    operator: str
    start: int
    end: int
    original: str
    mutated: str
    function: str
    text: str  # the stripped source line where the mutation starts

    def apply(self, source: bytes) -> bytes:
        """The mutated source."""
        return source[:self.start] + self.mutated.encode() + source[self.end:]


def module_path(module: str) -> str:
    """The file of a core module, relative to the checkout."""
    return f"nsnn_sim/{module}.py"


def _offsets(source: bytes) -> list[int]:
    starts, position = [0], 0
    for line in source.splitlines(keepends=True):
        position += len(line)
        starts.append(position)
    return starts


def _excluded(node: ast.AST, parent: ast.AST | None) -> bool:
    """Subtrees never mutated: f-strings, raise / assert, logging and warning calls, validation guards."""
    if isinstance(node, (ast.JoinedStr, ast.Raise, ast.Assert)):
        return True
    if isinstance(parent, ast.If) and node is parent.test and all(isinstance(line, ast.Raise) for line in parent.body):
        return True
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        return name in _QUIET_CALLS or name in _CHECK_CALLS
    # docstrings and bare strings
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


class _Finder:
    """Collect the mutation sites of one module's function bodies."""

    def __init__(self, module: str, source: bytes):
        self.module, self.source, self.starts = module, source, _offsets(source)
        self.path = module_path(module)
        self.sites: list[Mutant] = []

    def _position(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column

    def _span(self, node: ast.AST) -> tuple[int, int]:
        return (self._position(node.lineno, node.col_offset), self._position(node.end_lineno, node.end_col_offset))

    def _add(self, node: ast.AST, operator: str, start: int, end: int, mutated: str, function: str) -> None:
        original = self.source[start:end].decode()
        line = self.source[:start].count(b"\n") + 1
        column = start - self.starts[line - 1]
        text = self.source[self.starts[line - 1]:self.starts[line]].decode().strip()
        self.sites.append(Mutant(f"{self.module}:{line}:{column}:{operator}", self.module, self.path, line,
                                 operator, start, end, original, mutated, function, text))

    def _between(self, left: ast.AST, right: ast.AST, text: str) -> tuple[int, int]:
        """Byte span of the operator ``text`` in the source between two nodes (outside comments)."""
        low, high = self._span(left)[1], self._span(right)[0]
        segment = self.source[low:high]
        cleaned = b"\n".join(line.split(b"#")[0] for line in segment.split(b"\n"))
        if text.isalpha():  # a word operator stands alone (spaces, a line break or brackets around it)
            found = re.search(rb"(?<![\w.])" + text.encode() + rb"(?!\w)", cleaned)
            index = found.start() if found else -1
        else:
            index = cleaned.find(text.encode())
        if index < 0:
            raise ValueError(f"{self.path}: no {text!r} between the operands at byte {low}")
        return low + index, low + index + len(text)

    def visit_function(self, function: ast.AST) -> None:
        for statement in function.body:
            self._visit(statement, function, function.name)

    def _visit(self, node: ast.AST, parent: ast.AST, name: str) -> None:
        if _excluded(node, parent):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for statement in node.body:  # nested functions: their bodies, not their defaults or decorators
                self._visit(statement, node, f"{name}.{node.name}")
            return
        if isinstance(node, (ast.ClassDef, ast.Lambda)):
            return
        self._sites_of(node, name)
        for field, value in ast.iter_fields(node):
            if isinstance(node, ast.AnnAssign) and field == "annotation":
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    self._visit(child, node, name)

    def _sites_of(self, node: ast.AST, name: str) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _SWAP_BINOP:
            old, new = _TEXT[type(node.op)], _TEXT[_SWAP_BINOP[type(node.op)]]
            self._add(node, "binop", *self._between(node.left, node.right, old), new, name)
        elif isinstance(node, ast.Compare):
            left = node.left
            for op, right in zip(node.ops, node.comparators):
                if type(op) in _SWAP_COMPARE:
                    old, new = _TEXT[type(op)], _TEXT[_SWAP_COMPARE[type(op)]]
                    self._add(node, "compare", *self._between(left, right, old), new, name)
                left = right
        elif isinstance(node, ast.BoolOp) and len(node.values) == 2:
            # only a binary and/or: swapping one operator of "a and b and c" regroups the expression (two nodes)
            old, new = _TEXT[type(node.op)], "or" if isinstance(node.op, ast.And) else "and"
            self._add(node, "boolop", *self._between(node.values[0], node.values[1], old), new, name)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            value = node.value
            if isinstance(value, int):
                new = repr(value + 1)
            else:
                new = "1.0" if value == 0.0 else "0.0" if value == 1.0 else repr(value * 1.02)
            self._add(node, "constant", *self._span(node), new, name)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            start, end = self._span(node.operand)
            self._add(node, "unary", *self._span(node), f"({self.source[start:end].decode()})", name)
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.BinOp):
            start, end = self._span(node.value)
            self._add(node, "return", start, end, f"-({self.source[start:end].decode()})", name)
        elif isinstance(node, ast.AugAssign):
            self._add(node, "augassign", *self._span(node), "pass", name)


def presentation(tree: ast.Module) -> set[str]:
    """The module-level functions of an experiment that only present results: those named in
    :data:`PRESENTATION` and, to a fixed point, every function that only they use (a name used at module
    level, or by a computation, keeps a function a computation)."""
    functions = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    users: dict[str, set[str]] = {name: set() for name in functions}
    for node in tree.body:
        owner = node.name if node in functions.values() else "<module>"
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and inner.id in users and inner.id != owner:
                users[inner.id].add(owner)
    found = set(PRESENTATION) & set(functions)
    while True:
        more = {name for name, used_by in users.items() if used_by and used_by <= found} - found
        if not more:
            return found
        found |= more


def sites(module: str, source: bytes | None = None) -> list[Mutant]:
    """Every mutation site of a module's function bodies (methods included), in source order; in an
    experiment module, not the functions that only present its results (:func:`presentation`)."""
    if source is None:
        return list(_sites_of_file(module))
    finder = _Finder(module, source)
    tree = ast.parse(source)
    skipped = presentation(tree) if module.startswith("experiments/") else set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in skipped:
            finder.visit_function(node)
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    finder.visit_function(member)
    return sorted(finder.sites, key=lambda mutant: (mutant.start, mutant.operator))


@functools.lru_cache(maxsize=None)
def _sites_of_file(module: str) -> tuple[Mutant, ...]:
    return tuple(sites(module, (ROOT / module_path(module)).read_bytes()))


def sample(per_module: int, seed: int, modules: list[str] | None = None) -> list[Mutant]:
    """A stratified fixed-seed sample: ``min(per_module, sites)`` mutants of every module, each module drawn
    with its own generator (seeded by ``seed`` and its name), so adding or editing one module leaves the
    others' samples unchanged."""
    chosen = []
    for module in modules or MODULES:
        found = sites(module)
        generator = random.Random(f"{seed}:{module}")
        chosen += sorted(generator.sample(found, min(per_module, len(found))), key=lambda mutant: mutant.start)
    return chosen


def selection(module: str) -> list[str]:
    """The pytest arguments of a module's mutants."""
    return SELECTIONS[module]


@dataclass
class Outcome:
    """The result of running one mutant."""

    id: str
    module: str
    line: int
    operator: str
    function: str
    original: str
    mutated: str
    tests: list[str]
    status: str  # "killed", "timeout", "import" (killed at import) or "survived"
    failing: list[str]
    seconds: float
    tail: str
    text: str  # the stripped source line of the mutation (for matching EQUIVALENT)
    cache: str = "fresh"  # "fresh" (an empty Numba cache) or "warm" (a copy of the run's warm cache)
    cpu: float = 0.0  # CPU seconds of the pytest run (exact with --jobs 1: see scratch_package.run_tests)


@dataclass(frozen=True)
class WarmCache:
    """The warm Numba cache of a run: built on the unmutated copy ``tree`` into ``folder`` (:func:`warm_build`)."""

    folder: Path
    tree: Path


def run_mutant(mutant: Mutant, scratch: Path, python: str, timeout: float = TIMEOUT,
               warm: WarmCache | None = None, stale: frozenset[str] = frozenset()) -> Outcome:
    """Run one mutant's module tests in a copy of the package holding only that mutation: in a fresh
    empty Numba cache, or (``warm``) in a copy of the run's warm cache without the kernels of the
    ``stale`` modules (:func:`warm_cache.copy_warm_cache`)."""
    tree = scratch / mutant.id.replace(":", "_").replace("/", "_")
    copy_tree(tree)
    path = tree / mutant.path
    original = path.read_bytes()
    mutated = mutant.apply(original)
    ast.parse(mutated)  # the mutator only writes code that parses
    path.write_bytes(mutated)
    tests = selection(mutant.module)
    cache = None
    if warm is not None:
        cache = Path(tempfile.mkdtemp(prefix="numba_cache_", dir=scratch))
        warm_cache.copy_warm_cache(warm.folder, warm.tree, tree, cache, stale)
    start = time.perf_counter()
    run = run_tests(tree, tests, python, extra=("-x",), timeout=timeout, cache=cache)
    seconds = time.perf_counter() - start
    shutil.rmtree(tree, ignore_errors=True)
    status = ("import" if run.import_failed else "timeout" if run.timed_out else
              "killed" if run.failed else "survived")
    return Outcome(mutant.id, mutant.module, mutant.line, mutant.operator, mutant.function, mutant.original,
                   mutant.mutated, tests, status, run.failing, seconds, run.tail, mutant.text,
                   "fresh" if warm is None else "warm", run.cpu)


def cache_plans(chosen: list[Mutant], python: str) -> dict[str, frozenset[str] | None]:
    """Per mutant id: ``None`` for a fresh empty cache (a mutant that can make the engine's cached kernels
    stale recompiles them anyway, so it need not wait for the warm cache), else the modules whose cached
    kernels its copy of the warm cache leaves out (:func:`warm_cache.stale_modules`)."""
    import_time = warm_cache.import_time_functions(python)
    plans = {}
    for mutant in chosen:
        stale = warm_cache.stale_modules(mutant.module, mutant.function, import_time)
        plans[mutant.id] = None if "simulator/engine" in stale else stale
    return plans


def warm_build(scratch: Path, python: str, selections: list[list[str]], timeout: float) -> tuple[WarmCache, dict]:
    """Run each distinct selection, one after the other, on an unmutated copy in one Numba cache: the warm
    cache of the run, and the baseline of those selections (each must pass). Wall and CPU seconds per selection."""
    warm = WarmCache(scratch / "warm_cache", scratch / "warm")
    copy_tree(warm.tree)
    warm.folder.mkdir()
    seconds = {}
    for tests in selections:
        # compiling for the first time: four times a mutant's timeout
        run = run_tests(warm.tree, tests, python, extra=("-x",), timeout=4 * timeout, cache=warm.folder,
                        keep_cache=True)
        seconds[" ".join(tests)] = {"wall": run.elapsed, "cpu": run.cpu}
        print(f"warm     {run.elapsed:5.0f} s (cpu {run.cpu:4.0f}) {'FAILED' if run.failed else 'ok'} "
              f"{' '.join(tests)}: {run.tail}", flush=True)
        if run.failed:
            raise SystemExit(f"this selection fails on the unmutated package: {' '.join(tests)}")
    return warm, seconds


def estimate(scratch: Path, python: str, per_module: int, seed: int, jobs: int, modules: list[str],
             timeout: float) -> dict:
    """The CPU cost of a complete run, measured without mutants: the warm build, then each module's selection
    once on the unmutated copy in the cache its mutants get (a copy of the warm cache without the kernels
    its module can make stale, or a fresh one). A surviving mutant costs about that (a killed one, with -x,
    less); on an idle machine CPU seconds are about wall seconds, so the run's wall time is about
    (warm build + sum over modules of mutants x cost + 2 s each for the copy and the import probe) / jobs."""
    chosen = sample(per_module, seed, modules)
    plans = cache_plans(chosen, python)
    import_time = warm_cache.import_time_functions(python)
    wanted = {" ".join(SELECTIONS[m.module]): SELECTIONS[m.module] for m in chosen if plans[m.id] is not None}
    warm, built = warm_build(scratch, python, sorted(wanted.values()), timeout)
    rows = {}
    for module in modules:
        count = sum(mutant.module == module for mutant in chosen)
        stale = warm_cache.stale_modules(module, "", import_time)
        tree = scratch / f"estimate_{module.replace('/', '_')}"
        copy_tree(tree)
        cache = None
        if "simulator/engine" not in stale:
            cache = Path(tempfile.mkdtemp(prefix="numba_cache_", dir=scratch))
            warm_cache.copy_warm_cache(warm.folder, warm.tree, tree, cache, stale)
        run = run_tests(tree, SELECTIONS[module], python, extra=("-x",), timeout=timeout, cache=cache)
        shutil.rmtree(tree, ignore_errors=True)
        rows[module] = {"mutants": count, "cpu": run.cpu, "wall": run.elapsed, "cache": "fresh" if cache is None
                        else "warm", "total": count * (run.cpu + 2.0)}
        print(f"estimate {module:35s} {count:3d} x (cpu {run.cpu:5.1f} + 2) s, {rows[module]['cache']}, "
              f"{'FAILED' if run.failed else 'ok'}", flush=True)
    build = sum(value["cpu"] for value in built.values())
    total = build + sum(row["total"] for row in rows.values())
    print(f"warm build {build / 60:.1f} CPU min; all mutants {(total - build) / 60:.1f} CPU min; "
          f"estimated wall with {jobs} jobs on an idle machine: {total / jobs / 60:.1f} min", flush=True)
    return {"warm_build": built, "modules": rows, "estimated_wall_minutes": total / jobs / 60}


def baseline(scratch: Path, python: str, jobs: int, timeout: float) -> dict[str, float]:
    """Run every distinct selection on the unmutated package (each in a fresh cache); seconds per selection.

    A selection that fails here would kill every mutant of its modules for nothing: stop."""
    tree = scratch / "original"
    copy_tree(tree)
    distinct = sorted({" ".join(tests): tests for tests in SELECTIONS.values()}.items())
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(lambda item: run_tests(tree, item[1], python, extra=("-x",), timeout=timeout), distinct))
    shutil.rmtree(tree, ignore_errors=True)
    for (name, _), run in zip(distinct, runs):
        print(f"baseline {run.elapsed:5.0f} s {'FAILED' if run.failed else 'ok'} {name}: {run.tail}", flush=True)
    failed = [name for (name, _), run in zip(distinct, runs) if run.failed]
    if failed:
        raise SystemExit(f"these selections fail on the unmutated package: {failed}")
    return {name: run.elapsed for (name, _), run in zip(distinct, runs)}


def _content(mutant_id: str, function: str, text: str) -> tuple[str, str, str, str, str]:
    """What names a mutant apart from its line number: module, column, operator, function, source line."""
    module, _line, column, operator = mutant_id.rsplit(":", 3)
    return module, column, operator, function, text


def equivalent_reason(outcome: dict) -> str | None:
    """The reason an outcome's mutant is listed as equivalent, or None: the :data:`EQUIVALENT` entry with
    the same module, column, operator, function and stripped source line (its line number may differ:
    code above it moved)."""
    wanted = _content(outcome["id"], outcome["function"], outcome["text"])
    return next((entry["reason"] for key, entry in EQUIVALENT.items()
                 if _content(key, entry["function"], entry["text"]) == wanted), None)


def _score(outcomes: list[dict]) -> tuple[int, int, int]:
    """(killed, non-equivalent, equivalent) counts; timeouts and failed imports count as killed."""
    equivalent = sum(outcome["status"] == "survived" and equivalent_reason(outcome) is not None
                     for outcome in outcomes)
    killed = sum(outcome["status"] != "survived" for outcome in outcomes)
    return killed, len(outcomes) - equivalent, equivalent


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("\n", " ").replace("`", "'") + "`"


def write_report(record: dict, out: Path) -> None:
    """The markdown report of a run record (and the record itself as ``.json`` beside it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=1))
    order = {module: index for index, module in enumerate(record["modules"])}
    outcomes = sorted(record["mutants"], key=lambda outcome: (order[outcome["module"]], outcome["line"], outcome["id"]))
    killed, candidates, equivalent = _score(outcomes)
    first = sum(outcome["first_status"] != "survived" for outcome in outcomes)
    later = sum(outcome["first_status"] == "survived" and outcome["status"] != "survived" for outcome in outcomes)
    survivors = [outcome for outcome in outcomes if outcome["status"] == "survived"]
    pieces = len(record.get("segments", []))
    segment_text = f" in {pieces} segments (stopped and resumed with --resume)" if pieces > 1 else ""
    per_module = record.get("per_module")
    sampled = (f"`tools/mutation.py --per-module {per_module} --seed {record['seed']} --jobs {record['jobs']}`"
               if per_module else f"`tools/mutation.py --count {record['count']} --seed {record['seed']} "
               f"--jobs {record['jobs']}`")
    warm = sum(outcome.get("cache") == "warm" for outcome in outcomes)
    lines = ["# Mutation testing of the modules", "",
             f"Measured by `make mutation` ({sampled}): {len(outcomes)} mutants sampled with a fixed seed from "
             f"{record['sites']} mutation sites of the function bodies of {len(record['modules'])} modules"
             f"{f' (at most {per_module} per module)' if per_module else ''}, each in its own copy of the package, "
             f"{warm} in a copy of the run's warm Numba cache without the kernels the mutant can make stale and "
             f"{len(outcomes) - warm} in a fresh empty `NUMBA_CACHE_DIR` (tools/warm_cache.py), against "
             "`pytest -x -q -m \"not slow\" -p no:cacheprovider` on its module's selection (below). Source: commit "
             f"{record.get('commit', 'not recorded')}.", "",
             *([f"**The run was stopped before its end: {record['count'] - len(outcomes)} of the "
                f"{record['count']} sampled mutants were not run.**", ""] if len(outcomes) < record["count"] else []),
             f"**Mutation score: {killed} of {candidates} non-equivalent mutants killed "
             f"({100.0 * killed / max(candidates, 1):.1f} %)**; {equivalent} equivalent.", "",
             f"* killed in the first run: {first} (of which by a timeout of {record['timeout']:.0f} s, or for a "
             f"warm mutant {WARM_TIMEOUT[0]:.0f} s + {WARM_TIMEOUT[1]:.0f} x its selection's warm-build time if less: "
             f"{sum(outcome['first_status'] == 'timeout' for outcome in outcomes)}; at import: "
             f"{sum(outcome['first_status'] == 'import' for outcome in outcomes)})",
             f"* survivors of the first run killed since, by new tests or a widened selection: {later}",
             f"* survivors now: {len(survivors)}, of which equivalent: {equivalent}", "",
             f"Wall time of the run: {record['wall_seconds'] / 60:.1f} min with {record['jobs']} jobs"
             f"{segment_text} "
             f"(load average during it: {record.get('load', '?')}); per mutant: median "
             f"{sorted(o['seconds'] for o in outcomes)[len(outcomes) // 2]:.0f} s, "
             f"max {max(o['seconds'] for o in outcomes):.0f} s.", ""]
    lines += [*record.get("notes", []), ""] if record.get("notes") else []
    for rerun in record.get("reruns", []):
        lines.append(f"Re-run of {rerun['count']} mutants after new tests: {rerun['wall_seconds'] / 60:.1f} min.")
    if record.get("warm_build"):
        walls = [value["wall"] if isinstance(value, dict) else value for value in record["warm_build"].values()]
        lines.append(f"Building the warm cache (every warm selection once, on the unmutated copy, one job): "
                     f"{sum(walls) / 60:.1f} min.")
    lines += ["", "## Per module", "",
              "| module | sites | mutants | killed | timeout | at import | survived | equivalent | score "
              "| median s | selection (as now; each mutant's own is in the .json) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for module in record["modules"]:
        mine = [outcome for outcome in outcomes if outcome["module"] == module]
        count = {status: sum(outcome["status"] == status for outcome in mine)
                 for status in ("killed", "timeout", "import", "survived")}
        same = sum(outcome["status"] == "survived" and equivalent_reason(outcome) is not None for outcome in mine)
        mine_killed, mine_candidates, _ = _score(mine)
        median = sorted(outcome["seconds"] for outcome in mine)[len(mine) // 2] if mine else float("nan")
        lines.append(f"| {module} | {record['sites_per_module'][module]} | {len(mine)} | {count['killed']} "
                     f"| {count['timeout']} | {count['import']} | {count['survived']} | {same} "
                     f"| {mine_killed}/{mine_candidates} | {median:.0f} | {_cell(' '.join(SELECTIONS[module]))} |")
    lines += ["", "## Survivors", "", "| mutant | function | original -> mutated | disposition |", "|---|---|---|---|"]
    for outcome in survivors:
        reason = (equivalent_reason(outcome) or "**not killed, not equivalent** (see the notes)").replace("|", "\\|")
        lines.append(f"| `{outcome['id']}` | `{outcome['function']}` | {_cell(outcome['original'])} -> "
                     f"{_cell(outcome['mutated'])} | {reason} |")
    revived = [outcome for outcome in outcomes
               if outcome["first_status"] == "survived" and outcome["status"] != "survived"]
    if revived:
        lines += ["", "## Survivors of the first run killed since (new tests, widened selections)", "",
                  "| mutant | function | original -> mutated | killed by |", "|---|---|---|---|"]
        for outcome in revived:
            lines.append(f"| `{outcome['id']}` | `{outcome['function']}` | {_cell(outcome['original'])} -> "
                         f"{_cell(outcome['mutated'])} | {', '.join(f'`{name}`' for name in outcome['failing'])} |")
    lines += ["", "## Every mutant", "", "| mutant | original -> mutated | status | s | failing test |",
              "|---|---|---|---|---|"]
    for outcome in outcomes:
        lines.append(f"| `{outcome['id']}` | {_cell(outcome['original'])} -> {_cell(outcome['mutated'])} "
                     f"| {outcome['status']} | {outcome['seconds']:.0f} | {', '.join(outcome['failing'][:1])} |")
    out.write_text("\n".join(lines) + "\n")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _commit() -> str:
    """The checkout's commit, with "+changes" when the package's source differs from it."""
    def git(*words):
        return subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--", "nsnn_sim") else "")


def _new_record(args, outcomes: list[dict], wall: float, loads: list[str]) -> dict:
    for outcome in outcomes:
        outcome["first_status"] = outcome["status"]
    return {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(time.time() - wall)), "loads": loads,
            "per_module": args.per_module, "count": len(sample(args.per_module, args.seed, args.modules)),
            "seed": args.seed, "jobs": args.jobs, "timeout": args.timeout, "wall_seconds": wall,
            "load": loads[len(loads) // 2] if loads else _load(), "modules": args.modules or MODULES,
            "commit": _commit(), "sites": sum(len(sites(module)) for module in args.modules or MODULES),
            "sites_per_module": {module: len(sites(module)) for module in args.modules or MODULES},
            "mutants": outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-module", type=int, default=PER_MODULE,
                        help="mutants per module (all its sites if fewer)")
    parser.add_argument("--modules", nargs="*", help="only these modules (a trial run)")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once, each in its own copy")
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    parser.add_argument("--only", nargs="*", help="mutant ids to re-run, merged into the existing record")
    parser.add_argument("--survivors", action="store_true", help="re-run the survivors of the existing record")
    parser.add_argument("--missing", action="store_true",
                        help="run the sampled mutants that the existing record lacks (a stopped run), merged into it")
    parser.add_argument("--list", action="store_true", help="print the sample and stop")
    parser.add_argument("--baseline", action="store_true",
                        help="first run every selection on the unmutated package (each must pass)")
    parser.add_argument("--resume", action="store_true",
                        help="continue a stopped run: skip the mutants of .partial.jsonl, report them all at the end")
    parser.add_argument("--cheap-first", action="store_true",
                        help="run the mutants of the cheapest selections first (default: the dearest first)")
    parser.add_argument("--round-robin", action="store_true",
                        help="take the modules in turn (with --cheap-first: the cheapest first in each round)")
    parser.add_argument("--from-partial", action="store_true",
                        help="write the report from the outcomes of a stopped run (.partial.jsonl)")
    parser.add_argument("--estimate", action="store_true",
                        help="measure the CPU cost of a complete run without mutants (estimate()) and stop")
    parser.add_argument("--report", action="store_true",
                        help="rewrite the report from the existing record (e.g. after the equivalent list changed)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "mutation.md"))
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    out = Path(args.out)
    chosen = sample(args.per_module, args.seed, args.modules)
    if args.list:
        for mutant in chosen:
            print(f"{mutant.id:40s} {mutant.original!r} -> {mutant.mutated!r}")
        return
    if args.estimate:
        with tempfile.TemporaryDirectory(prefix="mutation_") as scratch:
            result = estimate(Path(scratch), args.python, args.per_module, args.seed, args.jobs,
                              args.modules or MODULES, args.timeout)
        out.with_name("mutation_estimate.json").write_text(json.dumps(result, indent=1))
        return
    if args.report:
        write_report(json.loads(out.with_suffix(".json").read_text()), out)
        return
    if args.from_partial:
        lines = out.with_suffix(".partial.jsonl").read_text().splitlines()
        segments = json.loads(out.with_suffix(".partial.segments.json").read_text())
        segments[-1][1] = segments[-1][1] or time.time()
        wall = sum(end - begin for begin, end in segments)
        record = _new_record(args, [json.loads(line) for line in lines], wall, [])
        record["segments"] = segments
        record["started"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(segments[0][0]))
        write_report(record, out)
        return
    merge = args.only or args.survivors or args.missing
    earlier = json.loads(out.with_suffix(".json").read_text()) if merge else None
    if earlier is not None:
        if args.missing:  # a recorded mutant that the source no longer gives (it changed since) is run again
            current = {(mutant.id, mutant.original, mutant.mutated) for mutant in chosen}
            earlier["mutants"] = [o for o in earlier["mutants"] if (o["id"], o["original"], o["mutated"]) in current]
            wanted = {mutant.id for mutant in chosen} - {o["id"] for o in earlier["mutants"]}
        else:
            wanted = set(args.only or [o["id"] for o in earlier["mutants"] if o["status"] == "survived"])
        chosen = [mutant for mutant in chosen if mutant.id in wanted]
    partial = out.with_suffix(".partial.jsonl")
    segments_file = out.with_suffix(".partial.segments.json")
    done = [json.loads(line) for line in partial.read_text().splitlines()] if args.resume and partial.exists() else []
    segments = json.loads(segments_file.read_text()) if args.resume and segments_file.exists() else []
    if not args.resume and earlier is None:
        partial.unlink(missing_ok=True)
    chosen = [mutant for mutant in chosen if mutant.id not in {row["id"] for row in done}]
    segments.append([time.time(), None])
    segments_file.write_text(json.dumps(segments))
    print(f"{len(chosen)} mutants, {args.jobs} jobs, load {_load()}", flush=True)
    loads = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutation_") as scratch:
        scratch = Path(scratch)
        costs = {}
        if args.baseline:
            costs = baseline(scratch, args.python, args.jobs, args.timeout)
        plans = cache_plans(chosen, args.python)
        # the fresh-cache mutants first (they need not wait for the warm cache; the dearest first, so that the
        # jobs end together), then the warm ones
        def cost(mutant):
            return costs.get(" ".join(SELECTIONS[mutant.module]), _COST.get(mutant.module, 0.0))
        chosen.sort(key=lambda mutant: (plans[mutant.id] is not None, (1 if args.cheap_first else -1) * cost(mutant)))
        if args.round_robin:  # one mutant of each module in turn, the cheapest modules first
            rank = {mutant.id: sum(other.module == mutant.module for other in chosen[:index])
                    for index, mutant in enumerate(chosen)}
            chosen.sort(key=lambda mutant: (plans[mutant.id] is not None, rank[mutant.id]))
        wanted = {" ".join(SELECTIONS[m.module]): SELECTIONS[m.module] for m in chosen if plans[m.id] is not None}

        def one(mutant):
            warm, timeout = None, args.timeout
            if plans[mutant.id] is not None:
                warm, built = warm_future.result()
                timeout = warm_timeout(built.get(" ".join(SELECTIONS[mutant.module])), args.timeout)
            outcome = run_mutant(mutant, scratch, args.python, timeout, warm, plans[mutant.id] or frozenset())
            loads.append(_load())
            with open(partial, "a") as record_file:  # kept if the run is stopped
                record_file.write(json.dumps(asdict(outcome)) + "\n")
            print(f"{outcome.status:8s} {outcome.seconds:5.0f} s (cpu {outcome.cpu:4.0f}) {outcome.cache:5s} "
                  f"{mutant.id} {mutant.original!r} -> "
                  f"{mutant.mutated!r} {(outcome.failing or [outcome.tail])[0]}", flush=True)
            return outcome
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            # first in the queue: one job builds the warm cache while the others run the fresh-cache mutants
            warm_future = pool.submit(warm_build, scratch, args.python, sorted(wanted.values()), args.timeout)
            outcomes = [asdict(outcome) for outcome in pool.map(one, chosen)]
            warm_seconds = warm_future.result()[1]
    wall = time.perf_counter() - start
    segments[-1][1] = time.time()
    if earlier is None:
        wall = sum(end - begin for begin, end in segments)
        record = _new_record(args, [*done, *outcomes], wall, loads)
        record["segments"] = segments
        record["started"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(segments[0][0]))
        record["baseline"] = costs
        record["warm_build"] = warm_seconds
    else:
        record = earlier
        rows = {row["id"]: row for row in record["mutants"]}
        for outcome in outcomes:
            first = rows[outcome["id"]]["first_status"] if outcome["id"] in rows else outcome["status"]
            outcome["first_status"] = first
            rows[outcome["id"]] = outcome
        record["mutants"] = list(rows.values())
        if args.missing:  # the rest of the first run: its time and load belong to the run
            record["wall_seconds"] += wall
            record.setdefault("segments", []).append(segments[-1])
            record["loads"] = record.get("loads", []) + loads
        else:
            record.setdefault("reruns", []).append({"count": len(outcomes), "wall_seconds": wall})
    write_report(record, out)
    partial.unlink(missing_ok=True)
    segments_file.unlink(missing_ok=True)
    killed, candidates, equivalent = _score(record["mutants"])
    print(f"score {killed}/{candidates} ({100.0 * killed / max(candidates, 1):.1f} %), {equivalent} equivalent, "
          f"wall {wall / 60:.1f} min; wrote {out}")


if __name__ == "__main__":
    main()
