"""The source conformance kit: one contract every adapter must meet, built-in or plugin.

::

    results = check_source(CountyLiens, settings={"path": "liens.csv"})
    assert all(r.ok for r in results), format_results(results)

Checks, in order (each a :class:`CheckResult` that passes, fails or is skipped with a
reason): the declaration is well formed; its purposes and kind fit the purpose catalog
(``config/purposes.toml``); the adapter starts; searches return :class:`Record` objects
that use only the fields the source declares in ``returns``; a failing search raises
:class:`~tracer.errors.SourceError` (only when a failing query is known); nothing
SSN-shaped or the query's date of birth reaches the logs or error messages; and latency
stays within the source's timeout.

An adapter can help the kit with two optional class attributes:
``conformance_queries`` (searches that should find something) and
``conformance_failing_query`` (a search that must fail with SourceError).
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..consent.policy import QUERY_FIELDS
from ..consent.purposes import load_catalog
from ..errors import SourceError
from ..models import RECORD_FIELDS, Record
from ..privacy import mask_text
from .base import SOURCE_KINDS, NotConfigured, Source, SourceContext

#: Record attributes every source may set whatever it declares.
ALWAYS_ALLOWED = frozenset({"source", "record_id", "raw_hash", "ssn_hash"})
#: Synthetic values for a query built from ``query_fields`` when none is given.
SAMPLE_QUERY = {
    "account_id": "ACC-CONFORMANCE", "first_name": "Testy", "middle_name": "Q",
    "last_name": "Conformance", "suffix": "", "dob": "1970-07-15", "dob_year": "1970",
    "ssn_last4": "0000", "street": "1 Test Way", "unit": "", "city": "Springfield",
    "state": "IL", "zip": "62704", "phone": "2175550100", "email": "testy@example.com",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FULL_DATE = re.compile(r"\b(\d{4})[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.](\d{4})\b")
_DOB_LABEL = re.compile(r"(?i)\b(dob|birth\w*)\W{0,3}\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
DEFAULT_LATENCY_BUDGET_S = 10.0


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``status`` is ``pass``, ``fail`` or ``skip``."""

    source: str
    check: str
    status: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(record.getMessage())
        except Exception:  # a malformed log call is the adapter's bug, not the kit's
            self.lines.append(str(record.msg))


class _Run:
    """Collects results for one source so each check is a few lines."""

    def __init__(self, name: str):
        self.name = name
        self.results: list[CheckResult] = []

    def add(self, check: str, failures: list[str], passed: str = "", *, skip: str = "") -> None:
        status = "skip" if skip else ("fail" if failures else "pass")
        detail = skip or ("; ".join(failures) if failures else passed)
        self.results.append(CheckResult(self.name, check, status, _mask(detail)))


def _mask(text: str) -> str:
    """Details quote adapter errors, which may quote a query: keep SSNs and dates out."""
    return _FULL_DATE.sub(lambda m: f"{m.group(1) or m.group(2)}-XX-XX", mask_text(text))


def check_source(adapter_or_class: Source | type[Source], *,
                 queries: Iterable[Mapping[str, Any]] | None = None,
                 failing_query: Mapping[str, Any] | None = None,
                 settings: Mapping[str, Any] | None = None, store: Any = None,
                 live: bool = True) -> list[CheckResult]:
    """Run every check on an adapter instance or class (instantiated with ``settings``
    and ``store``).  ``live=False`` runs only the declaration checks (no search)."""
    cls = adapter_or_class if isinstance(adapter_or_class, type) else type(adapter_or_class)
    run = _Run(getattr(cls, "name", "") or cls.__name__)
    _check_declaration(run, cls)
    _check_purposes(run, cls)
    capture = _Capture()
    # The adapter's own logger first: its handlers run before the CLI's masking filter
    # (on "tracer") rewrites the record, so a leak is seen as the adapter wrote it.
    watched = {logging.getLogger(), logging.getLogger(f"tracer.sources.{run.name}")}
    if not isinstance(adapter_or_class, type):
        watched.add(adapter_or_class.context.logger)
    old_levels = {n: logging.getLogger(n).level for n in ("", "tracer")}
    for watched_logger in watched:
        watched_logger.addHandler(capture)
    for n in old_levels:
        logging.getLogger(n).setLevel(logging.DEBUG)
    try:
        adapter = _start(run, adapter_or_class, cls, settings, store)
        searches = [dict(q) for q in (queries or getattr(cls, "conformance_queries", None)
                                      or [_sample_query(cls)])]
        failing = failing_query if failing_query is not None else \
            getattr(cls, "conformance_failing_query", None)
        if adapter is None or not live:
            why = "not searched: " + ("the adapter did not start" if adapter is None
                                      else "live=False (declaration checks only)")
            for check in ("returns_records", "declared_fields", "error_mapping", "latency"):
                run.add(check, [], skip=why)
            errors: list[str] = []
        else:
            records, latencies, errors = _search(run, adapter, searches)
            _check_fields(run, cls, records)
            errors += _check_errors(run, adapter, failing)
            _check_latency(run, adapter, latencies)
    finally:
        for watched_logger in watched:
            watched_logger.removeHandler(capture)
        for n, level in old_levels.items():
            logging.getLogger(n).setLevel(level)
    _check_privacy(run, capture.lines + errors, searches)
    return run.results


def _sample_query(cls) -> dict[str, Any]:
    return {f: SAMPLE_QUERY[f] for f in cls.query_fields if SAMPLE_QUERY.get(f)}


def _check_declaration(run: _Run, cls) -> None:
    problems = []
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        problems.append(f"{cls!r} is not a tracer.sources.base.Source subclass")
    if not _NAME.match(getattr(cls, "name", "") or ""):
        problems.append(f"name {getattr(cls, 'name', '')!r} must be lower_snake_case")
    if getattr(cls, "kind", None) not in SOURCE_KINDS:
        problems.append(f"kind {getattr(cls, 'kind', None)!r} is not one of {', '.join(SOURCE_KINDS)}")
    unknown_q = [f for f in cls.query_fields if f not in QUERY_FIELDS and f != "account_id"]
    if unknown_q:
        problems.append(f"query_fields {unknown_q} are not fields the gate can grant")
    if not cls.query_fields:
        problems.append("query_fields is empty: the gate can never grant this source a query")
    unknown_r = [f for f in cls.returns if f not in RECORD_FIELDS]
    if unknown_r:
        problems.append(f"returns {unknown_r} are not Record fields")
    if not cls.returns:
        problems.append("returns is empty")
    if not cls.terms_url:
        problems.append("terms_url is empty: say where the source's terms of use are")
    rate = cls.rate_limit_per_minute
    if rate is not None and not (isinstance(rate, (int, float)) and rate > 0):
        problems.append(f"rate_limit_per_minute {rate!r} must be a positive number or None")
    if not (cls.description or (cls.__doc__ or "").strip()):
        problems.append("no description or docstring")
    run.add("declaration", problems, "name, kind, fields, terms and rate limit are well formed")


def _check_purposes(run: _Run, cls) -> None:
    catalog = load_catalog()
    purposes = tuple(cls.purposes)
    problems = [f"purpose {p!r} is not in the catalog ({catalog.version})"
                for p in purposes if p != "*" and catalog.get(p) is None]
    if not purposes:
        problems.append("purposes is empty: no lookup could ever use this source")
    usable = [p.code for p in catalog.purposes.values()
              if ("*" in purposes or p.code in purposes) and cls.kind in p.source_kinds]
    if purposes and not problems and not usable:
        problems.append(f"no declared purpose allows source kind {cls.kind!r}")
    run.add("purposes", problems, f"usable under {', '.join(usable)}")


def _start(run: _Run, adapter_or_class, cls, settings, store) -> Source | None:
    if not isinstance(adapter_or_class, type):
        run.add("starts", [], "given a running adapter")
        return adapter_or_class
    context = SourceContext(settings=dict(settings or {}), store=store,
                            logger=logging.getLogger(f"tracer.sources.{cls.name}"))
    try:
        adapter = cls(context)
    except NotConfigured as exc:
        run.add("starts", [], skip=f"not configured: {exc}")
        return None
    except Exception as exc:
        run.add("starts", [f"__init__ raised {type(exc).__name__}: {exc} "
                           "(raise NotConfigured to switch the source off with a reason)"])
        return None
    run.add("starts", [], "instantiated")
    return adapter


def _search(run: _Run, adapter: Source, queries: list[dict]):
    records: list[Record] = []
    latencies: list[float] = []
    problems: list[str] = []
    errors: list[str] = []
    for query in queries:
        started = time.perf_counter()
        try:
            found = list(adapter.search(query))
        except SourceError as exc:
            errors.append(str(exc))
            problems.append(f"search {sorted(query)} raised SourceError: {exc}")
            continue
        except Exception as exc:
            errors.append(str(exc))
            problems.append(f"search {sorted(query)} raised {type(exc).__name__} "
                            f"(not SourceError): {exc}")
            continue
        finally:
            latencies.append(time.perf_counter() - started)
        for item in found:
            if not isinstance(item, Record):
                problems.append(f"search yielded {type(item).__name__}, not Record")
            elif item.source in ("", None) or not item.record_id:
                problems.append(f"record {item.key!r} lacks a source or record_id")
            else:
                records.append(item)
    run.add("returns_records", problems,
            f"{len(queries)} search(es), {len(records)} record(s)")
    return records, latencies, errors


def _check_fields(run: _Run, cls, records: list[Record]) -> None:
    if not records:
        run.add("declared_fields", [], skip="no records returned to inspect "
                "(give queries=... or conformance_queries that find something)")
        return
    declared = set(cls.returns) | ALWAYS_ALLOWED
    used = {f for r in records for f, v in r.to_dict().items() if v not in (None, "")}
    extra = sorted(used - declared)
    run.add("declared_fields", [f"records set undeclared fields {extra}"] if extra else [],
            f"records use {len(used - ALWAYS_ALLOWED)} of {len(cls.returns)} declared fields")


def _check_errors(run: _Run, adapter: Source, failing) -> list[str]:
    if failing is None:
        run.add("error_mapping", [], skip="no failing query known (pass failing_query=... or "
                "set conformance_failing_query on the adapter)")
        return []
    try:
        list(adapter.search(dict(failing)))
    except SourceError as exc:
        run.add("error_mapping", [], f"failure raised SourceError: {exc}")
        return [str(exc)]
    except Exception as exc:
        run.add("error_mapping", [f"failure raised {type(exc).__name__}, not SourceError: {exc}"])
        return [str(exc)]
    run.add("error_mapping", ["the failing query did not raise SourceError"])
    return []


def _check_latency(run: _Run, adapter: Source, latencies: list[float]) -> None:
    if not latencies:
        run.add("latency", [], skip="no search completed")
        return
    budget = float(adapter.context.settings.get("timeout", DEFAULT_LATENCY_BUDGET_S))
    p50, worst = statistics.median(latencies), max(latencies)
    detail = f"p50 {p50 * 1000:.1f} ms, max {worst * 1000:.1f} ms (budget {budget:g} s)"
    run.add("latency", [detail] if worst > budget else [], detail)


def _check_privacy(run: _Run, texts: list[str], queries: list[dict]) -> None:
    dobs = {str(q["dob"]) for q in queries if q.get("dob")}
    problems = []
    for text in texts:
        if mask_text(text) != text:
            problems.append("SSN-shaped text in a log line or error")
        if any(d in text for d in dobs) or _DOB_LABEL.search(text):
            problems.append("a full date of birth in a log line or error")
    run.add("no_sensitive_logs", sorted(set(problems)),
            f"{len(texts)} log line(s) and error(s) free of SSN- and DOB-shaped text")


def format_results(results: list[CheckResult]) -> str:
    return "\n".join(f"{r.status.upper():4} {r.source}.{r.check}: {r.detail}" for r in results)
