"""What a source is: a declared adapter that, given a lookup's permitted query fields,
yields :class:`~tracer.models.Record` objects.

Sources get a narrow :class:`SourceContext` (their settings, a read-only record store,
a logger), never the database or the gate.  A source that lacks configuration raises
:class:`NotConfigured` from ``__init__`` and is listed as disabled with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping, Sequence

from ..errors import SourceError
from ..models import Record

SOURCE_KINDS = ("internal", "public_record", "vendor_file")


class NotConfigured(Exception):
    """Raised by a source's ``__init__`` when it cannot run; the message says why."""


@dataclass
class SourceContext:
    settings: Mapping[str, Any] = field(default_factory=dict)
    store: Any = None
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("tracer.sources"))


@dataclass(frozen=True)
class SourceInfo:
    """A source's declaration, as the gate and `tracer sources list` see it."""

    name: str
    kind: str
    purposes: tuple[str, ...]
    query_fields: tuple[str, ...]
    returns: tuple[str, ...]
    terms_url: str
    rate_limit_per_minute: float | None
    enabled: bool
    disabled_reason: str | None = None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


class Source:
    """Base class for adapters.  Subclasses set the class attributes and ``search``."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "public_record"
    #: Purpose codes that permit this source; ``("*",)`` means any purpose whose
    #: catalog entry allows the source's kind.
    purposes: ClassVar[tuple[str, ...]] = ("*",)
    query_fields: ClassVar[tuple[str, ...]] = ()
    returns: ClassVar[tuple[str, ...]] = ()
    terms_url: ClassVar[str] = ""
    rate_limit_per_minute: ClassVar[float | None] = None
    description: ClassVar[str] = ""

    def __init__(self, context: SourceContext):
        self.context = context

    def search(self, query: Mapping[str, Any]) -> Iterable[Record]:
        raise NotImplementedError

    def search_many(self, queries: Sequence[Mapping[str, Any]]
                    ) -> list[list[Record] | SourceError]:
        """One answer per query, in order: its records, or the :class:`SourceError` that
        search raised for it (one failed search does not sink the others).  The default
        asks :meth:`search` once per query; a source that answers many searches at once
        cheaper (OSCN: one crawl for a batch) overrides it."""
        answers: list[list[Record] | SourceError] = []
        for query in queries:
            try:
                answers.append(list(self.search(query)))
            except SourceError as exc:
                answers.append(exc)
        return answers

    @classmethod
    def info(cls, *, enabled: bool = True, reason: str | None = None) -> SourceInfo:
        return SourceInfo(cls.name, cls.kind, tuple(cls.purposes), tuple(cls.query_fields),
                          tuple(cls.returns), cls.terms_url, cls.rate_limit_per_minute,
                          enabled, reason, cls.description or (cls.__doc__ or "").strip().split("\n")[0])
