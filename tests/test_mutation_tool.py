"""The mutator of ``tools/mutation.py`` (``make mutation``): sites, edits and the fixed-seed sample. No Numba."""

import ast
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))  # tools/ is not a package
import mutation  # noqa: E402

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
    chosen = mutation.sample(200, 21)
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
    first, again, other = mutation.sample(200, 21), mutation.sample(200, 21), mutation.sample(200, 22)
    assert [mutant.id for mutant in first] == [mutant.id for mutant in again]
    assert [mutant.id for mutant in first] != [mutant.id for mutant in other]
    assert len(first) == 200 and len({mutant.id for mutant in first}) == 200
    modules = {mutant.module for mutant in first}
    assert modules == set(mutation.MODULES)
    assert set(mutation.SELECTIONS) == set(mutation.MODULES)


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
