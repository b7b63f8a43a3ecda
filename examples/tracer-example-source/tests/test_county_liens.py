"""county_liens meets tracer's source contract and finds what the bundled file holds."""

import pytest

from tracer.errors import SourceError
from tracer.sources.base import NotConfigured, SourceContext
from tracer.sources.pytest_plugin import assert_check, conformance_params
from tracer_example_source.county_liens import CountyLiens


def test_conforms(source_conformance):
    source_conformance(CountyLiens)


@pytest.mark.parametrize("result", conformance_params(CountyLiens))
def test_each_check(result):
    assert_check(result)


@pytest.mark.parametrize("query, expected", [
    ({"first_name": "Alice", "last_name": "Example"}, ["L-0001", "L-0002"]),
    ({"last_name": "sample"}, ["L-0003"]),
    ({"first_name": "Zed", "last_name": "Example"}, []),
    ({"last_name": "Nobody"}, []),
])
def test_search(query, expected):
    source = CountyLiens(SourceContext())
    assert [r.record_id for r in source.search(query)] == expected


def test_a_search_without_a_last_name_is_a_source_error():
    with pytest.raises(SourceError, match="last_name is required"):
        list(CountyLiens(SourceContext()).search({"first_name": "Alice"}))


@pytest.mark.parametrize("settings, reason", [
    ({"path": "/nonexistent/liens.csv"}, "does not exist"),
    ({"license_key_env": "COUNTY_LIENS_TEST_KEY_UNSET"}, "set COUNTY_LIENS_TEST_KEY_UNSET"),
])
def test_missing_configuration_switches_the_source_off(settings, reason):
    with pytest.raises(NotConfigured, match=reason):
        CountyLiens(SourceContext(settings=settings))
