"""The mutator of ``tools/mutation.py`` (``make mutation``): sites, edits, the stratified fixed-seed sample, the
module list and its selections, and the warm Numba cache of ``tools/warm_cache.py`` (tiny kernels only)."""

import ast
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))  # tools/ is not a package
import mutation  # noqa: E402
import warm_cache  # noqa: E402

SOURCE = b'''"""Module docstring 1 + 2."""
LIMIT = 3 + 4


def f(x, scale=2.0):
    """Docstring 5 * 6."""
    if x < 0:
        raise ValueError(f"bad x {x + 1}")
    if np.any(x > 1.0):
        raise ValueError("x above 1")
    n = whole_number("n", x + 1, minimum=2)
    y = x * 2.5 - 1  # a comment with - and *
    y += 3
    return y + x


class K:
    size = 7 - 1

    def g(self, a, b):
        return -a if a >= b and b != 0 else a / b
'''


def changed_nodes(before: ast.AST, after: ast.AST) -> int:
    """Number of maximal subtrees that differ between two trees walked in parallel (positions ignored)."""
    if type(before) is not type(after):
        return 1
    if not isinstance(before, ast.AST):
        if isinstance(before, list):
            if len(before) != len(after):
                return 1
            return sum(changed_nodes(one, other) for one, other in zip(before, after))
        return int(before != after)
    differing = [changed_nodes(getattr(before, name), getattr(after, name)) for name in before._fields]
    own = [name for name in before._fields if not isinstance(getattr(before, name), (ast.AST, list))]
    if any(getattr(before, name) != getattr(after, name) for name in own):
        return 1  # e.g. a constant's value
    return sum(differing)


def test_sites_of_a_known_source_are_exactly_the_function_body_operators():
    found = {(site.operator, site.original, site.mutated) for site in mutation.sites("synthetic", SOURCE)}
    assert found == {
        ("binop", "-", "+"), ("binop", "*", "/"), ("constant", "2.5", "2.55"), ("constant", "1", "2"),
        ("augassign", "y += 3", "pass"), ("constant", "3", "4"), ("return", "y + x", "-(y + x)"),
        ("binop", "+", "-"),
        ("unary", "-a", "(a)"), ("compare", ">=", ">"), ("boolop", "and", "or"), ("compare", "!=", "=="),
        ("constant", "0", "1"), ("binop", "/", "*"),
    }  # not the docstrings, the module or class level, the default 2.0, the guard x < 0 nor its f-string, nor
    # the arguments of an argument check


def test_every_sampled_mutant_parses_and_differs_from_the_original_in_exactly_one_node():
    chosen = mutation.sample(3, 21)  # three of every module (parsing the whole sample takes a minute)
    sources = {}
    for mutant in chosen:
        if mutant.path not in sources:
            source = (mutation.ROOT / mutant.path).read_bytes()
            sources[mutant.path] = (source, ast.parse(source))
        source, tree = sources[mutant.path]
        assert source[mutant.start:mutant.end].decode() == mutant.original
        mutated = mutant.apply(source)
        assert changed_nodes(tree, ast.parse(mutated)) == 1, mutant.id
        assert mutated.count(b"\n") == source.count(b"\n") or mutant.operator == "augassign"


def test_docstrings_and_f_strings_are_never_mutated():
    for module in ("simulator/noise", "simulator/neurons", "theory/lif"):
        source = (mutation.ROOT / mutation.module_path(module)).read_bytes()
        protected = []
        for node in ast.walk(ast.parse(source)):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                protected.append(body[0])
            if isinstance(node, (ast.JoinedStr, ast.Raise)):
                protected.append(node)
        lines = source.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        spans = [(starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset)
                 for node in protected]
        for site in mutation.sites(module):
            assert not any(low <= site.start < high for low, high in spans), site.id


def test_the_sample_is_fixed_by_its_seed_and_covers_every_module():
    first, again = mutation.sample(mutation.PER_MODULE, 21), mutation.sample(mutation.PER_MODULE, 21)
    other = mutation.sample(mutation.PER_MODULE, 22)
    assert [mutant.id for mutant in first] == [mutant.id for mutant in again]
    assert [mutant.id for mutant in first] != [mutant.id for mutant in other]
    assert len({mutant.id for mutant in first}) == len(first)
    assert {mutant.module for mutant in first} == set(mutation.MODULES)


def test_an_equivalent_entry_follows_its_line_when_code_above_moves_and_lapses_when_the_line_changes(monkeypatch):
    target = next(site for site in mutation.sites("synthetic", SOURCE) if site.original == "2.5")
    monkeypatch.setattr(mutation, "EQUIVALENT", {target.id: {"function": target.function, "text": target.text,
                                                             "reason": "because"}})
    moved = SOURCE.replace(b"def f(x, scale=2.0):\n", b"def f(x, scale=2.0):\n    z = 1\n")
    again = next(site for site in mutation.sites("synthetic", moved) if site.original == "2.5")
    assert again.id != target.id and again.line == target.line + 1
    assert mutation.equivalent_reason(asdict(again)) == "because"
    edited = next(site for site in mutation.sites("synthetic", SOURCE.replace(b"- 1  #", b"- 2  #"))
                  if site.original == "2.5")
    assert edited.id == target.id and mutation.equivalent_reason(asdict(edited)) is None


def test_every_equivalent_entry_names_a_mutation_site_of_the_current_source():
    """An entry whose line was edited or removed no longer applies: it must be re-examined, not kept."""
    current = {mutation._content(site.id, site.function, site.text)
               for module in mutation.MODULES for site in mutation.sites(module)}
    stale = [key for key, entry in mutation.EQUIVALENT.items()
             if mutation._content(key, entry["function"], entry["text"]) not in current]
    assert not stale, stale


def test_the_stratified_sample_takes_ten_of_every_module_or_all_its_sites_and_each_module_its_own_draw():
    chosen = mutation.sample(mutation.PER_MODULE, 21)
    for module in mutation.MODULES:
        mine = [mutant.id for mutant in chosen if mutant.module == module]
        assert len(mine) == len(set(mine)) == min(mutation.PER_MODULE, len(mutation.sites(module))), module
    alone = mutation.sample(mutation.PER_MODULE, 21, ["theory/lif"])
    assert [m.id for m in alone] == [m.id for m in chosen if m.module == "theory/lif"]  # independent of the others
    assert [m.id for m in mutation.sample(3, 22, ["theory/lif"])] != [m.id for m in alone[:3]]


def test_the_module_list_covers_every_module_with_sites_and_every_selection_names_existing_tests():
    package = {path.relative_to(mutation.ROOT / "nsnn_sim").with_suffix("").as_posix()
               for path in (mutation.ROOT / "nsnn_sim").rglob("*.py")}
    with_sites = {module for module in package if not module.endswith("__main__") and mutation.sites(module)}
    assert not set(mutation.MODULES) & set(mutation.LEFT_OUT)
    assert with_sites == set(mutation.MODULES) | set(mutation.LEFT_OUT)  # a new module must be placed
    assert set(mutation.SELECTIONS) == set(mutation.MODULES)
    for module, arguments in mutation.SELECTIONS.items():
        files = [argument.split("::")[0] for argument in arguments if argument.startswith("tests/")]
        assert files, module
        for name in files:
            assert (mutation.ROOT / name).is_file(), (module, name)


def test_an_experiments_presentation_and_what_only_it_uses_are_not_mutated():
    source = b'''
def helper(x):
    return x + 1


def only_for_the_figure(x):
    return x * 2


def run(x):
    return helper(x) - 1


def figure(data):
    return only_for_the_figure(data) + helper(data)


def summary(data):
    return [data - 1]
'''
    tree = ast.parse(source)
    assert mutation.presentation(tree) == {"figure", "summary", "only_for_the_figure"}
    assert {site.function for site in mutation.sites("experiments/synthetic", source)} == {"helper", "run"}
    assert {site.function for site in mutation.sites("analysis/synthetic", source)} == {
        "helper", "only_for_the_figure", "run", "figure", "summary"}  # only experiments are filtered
    for module in mutation.MODULES:
        if module.startswith("experiments/"):
            assert not {site.function for site in mutation.sites(module)} & set(mutation.PRESENTATION), module


def test_every_module_importing_numba_is_a_kernel_module_and_a_kernel_mutant_drops_its_importers_kernels():
    kernels = warm_cache.kernel_modules()
    assert {"simulator/engine", "simulator/noise", "simulator/state", "fit/likelihood", "learn/forward"} <= kernels
    assert "theory/lif" not in kernels and "analysis/spectral" not in kernels
    assert "simulator/engine" in warm_cache.stale_modules("simulator/neurons", "neuron_update", {})
    assert warm_cache.importers("fit/likelihood") >= {"fit/estimate"}
    assert warm_cache.stale_modules("theory/lif", "siegert_rate", {}) == frozenset()
    # a pure-Python function that runs at import can set a global a kernel freezes: treated like a kernel
    ran = {"_core/validation": frozenset({"with_units", "decorate"})}
    assert "simulator/engine" in warm_cache.stale_modules("_core/validation", "with_units.decorate", ran)
    assert warm_cache.stale_modules("_core/validation", "finite_values", ran) == frozenset()


def test_the_cache_subfolder_is_numbas_own(tmp_path):
    from numba.core.caching import UserProvidedCacheLocator

    source = tmp_path / "nsnn_sim" / "simulator" / "engine.py"
    assert warm_cache.cache_subdir(str(source.parent)) == UserProvidedCacheLocator.get_suitable_cache_subpath(
        str(source))


KERNEL = "from numba import njit\n\n\n@njit(cache=True)\ndef g(x):\n    return x + {}\n"
USER = ("from numba import njit\n\nfrom nsnn_sim.k import g\n\n\n@njit(cache=True)\ndef h(x):\n    return g(x) * 10\n")
CALL = ("from nsnn_sim.user import h\nfrom nsnn_sim.k import g\n"
        "print(g(1), h(1), sum(g.stats.cache_hits.values()), sum(h.stats.cache_hits.values()))")


def _run_kernels(tree: Path, cache: Path) -> list[int]:
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache))
    run = subprocess.run([sys.executable, "-c", CALL], env=env, cwd=tree, capture_output=True, text=True, check=True)
    return [int(word) for word in run.stdout.split()]  # g(1), h(1) and their numbers of cache hits


def _package(tree: Path, increment: int) -> None:
    (tree / "nsnn_sim").mkdir(parents=True)
    (tree / "nsnn_sim" / "__init__.py").write_text("")
    (tree / "nsnn_sim" / "k.py").write_text(KERNEL.format(increment))
    (tree / "nsnn_sim" / "user.py").write_text(USER)


def test_a_warm_copy_serves_unchanged_kernels_and_never_a_mutated_kernel_or_one_that_inlines_it(tmp_path):
    """The hazard and its cure, with two tiny kernels: h (user.py) calls g (k.py). Numba keys g's entry on
    k.py's content, so a mutated k.py recompiles g; h's entry is keyed on user.py only and would give the
    unmutated g's answer, unless the copy leaves out the kernels of k's importers (stale_modules)."""
    warm, warm_cache_folder = tmp_path / "warm", tmp_path / "warm_cache"
    _package(warm, 1)
    assert _run_kernels(warm, warm_cache_folder) == [2, 20, 0, 0]  # compiled into the warm cache
    same = tmp_path / "same"
    _package(same, 1)
    copied = tmp_path / "copied"
    assert warm_cache.copy_warm_cache(warm_cache_folder, warm, same, copied, frozenset()) == 0
    assert _run_kernels(same, copied) == [2, 20, 1, 1]  # both served from the renamed copy
    mutant = tmp_path / "mutant"
    _package(mutant, 2)  # g mutated: returns x + 2
    stale = warm_cache.stale_modules("k", "g", {}, root=mutant)
    assert stale == {"k", "user"}
    unsafe = tmp_path / "unsafe"
    warm_cache.copy_warm_cache(warm_cache_folder, warm, mutant, unsafe, frozenset())
    assert _run_kernels(mutant, unsafe) == [3, 20, 0, 1]  # g recompiled, h served stale: why stale_modules exists
    safe = tmp_path / "safe"
    assert warm_cache.copy_warm_cache(warm_cache_folder, warm, mutant, safe, stale) == 4  # index + data of g, h
    assert _run_kernels(mutant, safe) == [3, 30, 0, 0]


def test_a_warm_mutant_times_out_at_four_times_its_selections_warm_build_plus_a_minute_at_most_the_limit():
    assert mutation.warm_timeout({"wall": 10.0, "cpu": 3.0}, 600.0) == 100.0
    assert mutation.warm_timeout({"wall": 200.0}, 600.0) == 600.0
    assert mutation.warm_timeout(None, 600.0) == 600.0
