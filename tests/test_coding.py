"""nsnn_sim.coding is a thin re-export of the coding modules: every name it had before the split
is still there and is the very object of its new home; and every coding module's Examples run.

The computations are tested in test_tuning.py, test_fisher.py, test_decoding.py and
test_cue_integration.py.
"""

import doctest
import importlib

import pytest

from nsnn_sim import coding

# the public names of nsnn_sim.coding before it was split (its __all__ and its two constants)
NAMES_BEFORE_THE_SPLIT = {
    "tuning": ["von_mises_tuning", "fit_tuning_curves", "TUNING_PARAMETERS"],
    "fisher": ["linear_fisher_information", "fisher_information_by_population_size", "discrimination_threshold"],
    "decoding": ["PoissonDecoder", "EmpiricalDecoder"],
    "posterior": ["circular_error", "covers", "coverage", "PERIOD"],
}
CODING_MODULES = ["coding.tuning", "coding.fisher", "coding.decoding", "coding.posterior", "coding.cue_integration",
                  "coding", "_core.validation"]


def test_every_old_public_name_is_still_in_coding_and_is_the_same_object():
    for module_name, names in NAMES_BEFORE_THE_SPLIT.items():
        home = importlib.import_module(f"nsnn_sim.coding.{module_name}")
        for name in names:
            assert getattr(coding, name) is getattr(home, name), name
    old = [name for names in NAMES_BEFORE_THE_SPLIT.values() for name in names]
    assert set(old) <= set(coding.__all__)


def test_coding_exports_every_public_name_of_the_coding_modules():
    for module_name in ("tuning", "fisher", "decoding", "posterior", "cue_integration"):
        home = importlib.import_module(f"nsnn_sim.coding.{module_name}")
        for name in home.__all__:
            assert getattr(coding, name) is getattr(home, name), (module_name, name)
            assert name in coding.__all__, name
    for name in coding.__all__:
        assert hasattr(coding, name), name


@pytest.mark.parametrize("module_name", CODING_MODULES)
def test_module_examples_run_and_give_their_stated_output(module_name):
    module = importlib.import_module(f"nsnn_sim.{module_name}")
    results = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0, f"nsnn_sim.{module_name} has no runnable Examples"
    assert results.failed == 0
