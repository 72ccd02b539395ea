"""Every Python code block of ``README.md`` and ``docs/*.rst`` runs as written.

The blocks of one file run in order in one namespace (a page builds on its earlier blocks), in a temporary
folder. A block that is deliberately not run is marked by a comment right before it, with its reason:

* reStructuredText: ``.. not-run: REASON`` on the line before ``.. code-block:: python``;
* Markdown: ``<!-- not-run: REASON -->`` on the line before the fence.

A block may instead be shortened for the test, ``.. test-replace: OLD -> NEW (REASON)`` (Markdown:
``<!-- test-replace: ... -->``): ``OLD`` must occur in the block. Both kinds are listed in :data:`MARKED`, so
a new one is a visible decision; a block that fails and is not marked fails its page's test. Blocks that
are not run are still compiled, so their syntax cannot rot. Other spellings of a Python block (```` ```py ````,
``.. code::``, ``.. sourcecode::``) are refused, so none escapes the test.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]

# the languages of blocks that are not Python (plain fences and code-blocks hold text)
NOT_PYTHON = {"", "sh", "text", "toml"}

# every marked block: (file, its first line of code) -> the marker's text
MARKED = {
    ("docs/interop.rst", "independent = run_brian2(model, 0.85, 100, 5000, seed=4, target=\"cpp_standalone\")"):
        "not-run: cpp_standalone builds and compiles a C++ project, about a minute; make crossval runs it",
    ("docs/papers_model.rst", "from nsnn_sim import learn"):
        "test-replace: epochs=30 -> epochs=1 (30 epochs take about 20 s; the test trains one)",
    ("docs/running.rst", "from nsnn_sim.sweep import sweep, lif_statistics"):
        "not-run: starts a dask LocalCluster of one process per core; tests/test_sweep.py runs sweeps",
    ("docs/running.rst", "from distributed import Client, LocalCluster"):
        "not-run: starts a dask LocalCluster of two processes; tests/test_cluster_trials.py runs it",
}


@dataclass(frozen=True)
class Block:
    file: str  # relative to the repository
    line: int  # of the first line of code
    code: str
    marker: str = ""  # "not-run: ..." or "test-replace: ...", or ""

    @property
    def replacement(self) -> tuple[str, str] | None:
        match = re.fullmatch(r"test-replace: (.+?) -> (.+?) \(.+\)", self.marker)
        return (match.group(1), match.group(2)) if match else None


def _markdown_blocks(text: str, name: str) -> list[Block]:
    blocks = []
    for match in re.finditer(r"(?:^<!-- ((?:not-run|test-replace): .*?) -->\n)?^```python\n(.*?)^```", text,
                             re.M | re.S):
        line = text.count("\n", 0, match.start(2)) + 1
        blocks.append(Block(name, line, match.group(2), match.group(1) or ""))
    return blocks


def _rst_blocks(text: str, name: str) -> list[Block]:
    lines, blocks = text.splitlines(), []
    for index, line in enumerate(lines):
        directive = re.fullmatch(r"( *)\.\. code-block:: python\s*", line)
        if not directive:
            continue
        indent = len(directive.group(1))
        marker = re.fullmatch(r" *\.\. ((?:not-run|test-replace): .*)", lines[index - 1]) if index else None
        body, start = [], None
        for number in range(index + 1, len(lines)):
            text_line = lines[number]
            if text_line.strip() and len(text_line) - len(text_line.lstrip()) <= indent:
                break
            if start is None and text_line.strip() and not text_line.strip().startswith(":"):
                start = number
            if start is not None:
                body.append(text_line)
        assert start is not None, f"{name}:{index + 1}: a code-block without code"
        blocks.append(Block(name, start + 1, textwrap.dedent("\n".join(body)).strip() + "\n",
                            marker.group(1) if marker else ""))
    return blocks


def blocks_of(path: Path) -> list[Block]:
    name = path.relative_to(ROOT).as_posix()
    text = path.read_text()
    return _markdown_blocks(text, name) if path.suffix == ".md" else _rst_blocks(text, name)


def _first_line(block: Block) -> str:
    return block.code.strip().splitlines()[0]


def test_python_blocks_are_spelled_so_that_this_test_finds_them():
    for path in SOURCES:
        text = path.read_text()
        if path.suffix == ".md":
            languages = re.findall(r"^```(\S*)\s*$", text, re.M)[::2]  # the opening fences
        else:
            assert not re.search(r"^ *\.\. (code|sourcecode|doctest|testcode)::", text, re.M), path
            languages = re.findall(r"^ *\.\. code-block::[ \t]*(\S*)", text, re.M)
        assert set(languages) <= {"python", *NOT_PYTHON}, (path, languages)
    found = {path.name: len(blocks_of(path)) for path in SOURCES}
    assert found["README.md"] == 1 and found["models.rst"] >= 2 and found["interop.rst"] >= 5, found


def test_every_marked_block_is_listed_with_its_reason_and_still_compiles():
    marked = {}
    for path in SOURCES:
        for block in blocks_of(path):
            compile(block.code, f"{block.file}:{block.line}", "exec")
            if block.marker:
                marked[(block.file, _first_line(block))] = block.marker
                if block.marker.startswith("test-replace"):
                    assert block.replacement and block.replacement[0] in block.code, block
                else:
                    assert len(block.marker) > len("not-run: ") + 10, f"{block.file}:{block.line}: give a reason"
    assert marked == MARKED


def _check_readme(namespace: dict) -> None:
    assert namespace["again"].spikes == namespace["net"].spikes  # the round trip the example claims
    assert namespace["counts"].dims == ("trial", "neuron", "time")


def _check_interop(namespace: dict) -> None:
    """The recipe "Compare your Brian2 model": the matching model passes, a model with another drive does not."""
    import nsnn_sim as ns
    from nsnn_sim.analysis.compare import compare

    comparison, ours, theirs = namespace["comparison"], namespace["ours"], namespace["theirs"]
    assert set(comparison.p_values) >= {"rate", "cv", "fano", "isi_ks"}
    assert comparison.smallest_p() > 1e-3, comparison.p_values
    assert ours.shape == theirs.shape and len(theirs) > 1000
    stronger = ns.simulate(ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, method="euler", threshold_crossing="grid"), 1.0,
                           n_neurons=ours.n_neurons, n_steps=ours.n_steps, seed=8).spikes
    assert compare(stronger, theirs, warmup=0.05).smallest_p() < 1e-6
    # the recipe with an exponential synaptic current: the matching model passes, the delta synapse with the same
    # charge per input spike (which fires about 50 % faster, docs/nest_models.rst) does not
    ours_syn, theirs_syn = namespace["ours_syn"], namespace["theirs_syn"]
    assert len(theirs_syn) > 1000
    assert compare(ours_syn, theirs_syn, warmup=0.05).smallest_p() > 1e-3
    delta = ns.LIF(tau=10e-3, dt=1e-4, noise="none", tau_ref=1.9e-3, method="exact")
    faster = ns.simulate(delta, ns.poisson_input(1.0, namespace["weight"], 1800), n_neurons=ours_syn.n_neurons,
                         n_steps=ours_syn.n_steps, seed=9).spikes
    assert compare(faster, theirs_syn, warmup=0.05).smallest_p() < 1e-6


def _check_papers_model(namespace: dict) -> None:
    network = namespace["net"]
    assert (network.layer_delay, network.readout.kind, network.layers[0].firing) == (0, "linear", "reference")
    assert namespace["history"].sizes["epoch"] == 1
    assert set(namespace["accuracy"]) == {1, 2, 4, 8}
    assert all(0.0 <= value <= 1.0 for value in namespace["accuracy"].values())


CHECKS = {"README.md": _check_readme, "docs/interop.rst": _check_interop,
          "docs/papers_model.rst": _check_papers_model}


@pytest.mark.parametrize("path", [path for path in SOURCES if blocks_of(path)],
                         ids=lambda path: path.relative_to(ROOT).as_posix())
def test_the_code_blocks_of_each_page_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for block in blocks_of(path):
        if block.marker.startswith("not-run"):
            continue
        code = block.code.replace(*block.replacement) if block.replacement else block.code
        exec(compile("\n" * (block.line - 1) + code, block.file, "exec"), namespace)
    check = CHECKS.get(path.relative_to(ROOT).as_posix())
    if check:
        check(namespace)
