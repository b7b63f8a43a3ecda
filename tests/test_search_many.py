"""``Source.search_many``: one answer per query, in order, whatever the source; the
default asks ``search`` per query, OSCN overrides it with one crawl (test_sources_scrapy)."""

from __future__ import annotations

import pytest

from tracer.errors import SourceError
from tracer.models import Record
from tracer.sources.base import Source, SourceContext


class Directory(Source):
    """A source that knows two surnames and refuses a query without one."""

    name = "directory"
    query_fields = ("last_name",)
    KNOWN = {"OKAFOR": 2, "PRUITT": 1}

    def search(self, query):
        last = query.get("last_name")
        if not last:
            raise SourceError(self.name, "a last_name is required")
        return [Record(self.name, f"{last}-{i}", last_name=last)
                for i in range(self.KNOWN.get(last, 0))]


@pytest.mark.parametrize("queries, expected", [
    ([], []),
    ([{"last_name": "OKAFOR"}], [2]),
    ([{"last_name": "OKAFOR"}, {}, {"last_name": "NOBODY"}, {"last_name": "PRUITT"}],
     [2, "a last_name is required", 0, 1]),
])
def test_the_default_answers_each_query_in_order(queries, expected):
    answers = Directory(SourceContext()).search_many(queries)
    shown = [f"{a}".split(": ", 1)[1] if isinstance(a, SourceError) else len(a)
             for a in answers]
    assert shown == expected
    for query, answer in zip(queries, answers):
        if not isinstance(answer, SourceError):
            assert answer == list(Directory(SourceContext()).search(query))


def test_an_error_that_is_not_a_source_error_still_raises():
    class Broken(Directory):
        def search(self, query):
            raise RuntimeError("bug")
    with pytest.raises(RuntimeError):
        Broken(SourceContext()).search_many([{"last_name": "OKAFOR"}])
