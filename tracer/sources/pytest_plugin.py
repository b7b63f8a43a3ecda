"""The conformance kit as a pytest plugin, for any adapter's own test suite.

In the adapter package's ``tests/conftest.py``::

    pytest_plugins = ["tracer.sources.pytest_plugin"]

then either ask for the fixture::

    def test_conforms(source_conformance):
        source_conformance(CountyLiens, settings={"path": str(LIENS_CSV)})

or parametrize one test per check (each check shows up as its own test id)::

    @pytest.mark.parametrize("result", conformance_params(CountyLiens), ids=str)
    def test_check(result):
        assert_check(result)
"""

from __future__ import annotations

import pytest

from .conformance import CheckResult, check_source, format_results


def assert_conformant(adapter_or_class, **kwargs) -> list[CheckResult]:
    """Run the kit and fail with every failed check listed; skipped checks are fine."""
    results = check_source(adapter_or_class, **kwargs)
    failed = [r for r in results if not r.ok]
    if failed:
        pytest.fail("source conformance failed:\n" + format_results(failed), pytrace=False)
    return results


def assert_check(result: CheckResult) -> None:
    if result.status == "skip":
        pytest.skip(result.detail)
    assert result.ok, format_results([result])


def conformance_params(adapter_or_class, **kwargs) -> list:
    """One ``pytest.param`` per check, with ids like ``county_liens.declared_fields``."""
    return [pytest.param(r, id=f"{r.source}.{r.check}")
            for r in check_source(adapter_or_class, **kwargs)]


@pytest.fixture
def source_conformance():
    """A callable: ``source_conformance(AdapterClass, settings=..., queries=...)`` runs
    every check and fails the test, naming each failed check."""
    return assert_conformant
