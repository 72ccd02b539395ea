"""The documentation's generated pages cover the package: every public module has a page listing every
public name, every experiment a tutorial, every public module a runnable example.

The public modules and names are found here from the files under ``nsnn_sim/`` (independently of the
package walk the docs extension does); the Sphinx build itself (``make docs``) warns, an error under
``-W``, for any public name it did not document.
"""

import doctest
import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import nsnn_docs  # noqa: E402

PACKAGE_DIR = ROOT / "nsnn_sim"


def module_names_from_files() -> list[str]:
    """Every public module, from the .py files: no part of the dotted name starts with ``_``."""
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = ["nsnn_sim", *path.relative_to(PACKAGE_DIR).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts[1:]):
            names.append(".".join(parts))
    return names


MODULES = module_names_from_files()


def expected_public_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, value in vars(module).items() if not name.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value)) and value.__module__ == module_name]


def autosummary_entries(page: str) -> list[str]:
    """The names listed in the page's autosummary directive."""
    match = re.search(r"\.\. autosummary::\n(?:   :.*\n)*\n((?:   \S+\n)+)", page)
    return match.group(1).split() if match else []


@pytest.fixture(scope="module")
def pages():
    return {name: nsnn_docs.api_page(name) for name in nsnn_docs.public_modules()}


def test_the_api_reference_has_a_page_for_every_public_module(pages):
    assert len(MODULES) > 60
    assert sorted(pages) == sorted(MODULES)


def test_the_api_reference_lists_every_public_name_of_every_module(pages):
    documented = {f"{module}.{entry}" for module, page in pages.items() for entry in autosummary_entries(page)}
    missing = []
    for module_name in MODULES:
        page = pages[module_name]
        links = dict(re.findall(r":py:obj:`(\w+) <([\w.]+)>`", page))
        modules = re.findall(r":py:mod:`([\w.]+)`", page.split("Modules: ")[-1]) if "Modules: " in page else []
        for name in expected_public_names(module_name):
            here = f"{module_name}.{name}"
            if here in documented or links.get(name) in documented:
                continue
            if any(target.rsplit(".", 1)[-1] == name and target in pages for target in modules):
                continue
            missing.append(here)
    assert missing == []
    assert len(documented) > 250


def test_a_name_defined_in_another_module_links_to_its_page_there(pages):
    page = pages["nsnn_sim"]
    assert ":py:obj:`simulate <nsnn_sim.simulator.engine.simulate>`" in page
    assert "   simulate\n" in nsnn_docs.api_page("nsnn_sim.simulator.engine")
    assert "simulate" not in autosummary_entries(page)


def test_every_experiment_has_a_tutorial_page_with_its_code():
    from nsnn_sim.experiments import registry

    experiment_files = {path.stem for path in (PACKAGE_DIR / "experiments").glob("*.py")
                        if not path.stem.startswith("_")}
    assert set(registry()) == experiment_files
    for name, experiment in registry().items():
        page = nsnn_docs.tutorial_page(name, experiment, None, warn=pytest.fail)
        assert f".. automodule:: nsnn_sim.experiments.{name}" in page
        assert ":pyobject: run" in page and ":pyobject: figure" in page
        assert (f".. image:: /figures/{name}.png" in page) == (ROOT / "docs" / "figures" / f"{name}.png").exists()


def test_a_missing_quick_run_is_reported(tmp_path):
    from nsnn_sim.experiments import get

    messages = []
    page = nsnn_docs.tutorial_page("demo", get("demo"), tmp_path, warn=messages.append)
    assert len(messages) == 1 and "demo" in messages[0]
    assert "missing from this build" in page


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_module_has_a_runnable_example(module_name):
    module = importlib.import_module(module_name)
    examples = [example for test in doctest.DocTestFinder().find(module) if test.filename
                and Path(test.filename).resolve() == Path(inspect.getsourcefile(module)).resolve()
                for example in test.examples]
    assert examples, f"{module_name} has no doctest example"
