"""pytest configuration for the whole checkout: the doctests of nsnn_sim (``--doctest-modules``, pyproject.toml).

Importing Brian2 replaces pytest's ``DoctestModule`` with a subclass (``brian2.tests``) that fails on the
doctests of a package's ``__init__.py``; the original is put back before each collector runs, so the
doctests of ``nsnn_sim`` run the same whether or not a test imported Brian2 first.
"""

import _pytest.doctest

_DOCTEST_MODULE = _pytest.doctest.DoctestModule


def pytest_collectstart(collector):
    _pytest.doctest.DoctestModule = _DOCTEST_MODULE
