"""The source conformance kit: it catches each kind of broken adapter, and every source
registered in a fresh workspace passes it (a new plugin gets this test for free)."""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urlparse

import pytest

from tracer.errors import SourceError
from tracer.models import Record
from tracer.sources.base import NotConfigured, Source
from tracer.sources.conformance import check_source, format_results
from tracer.sources.registry import SourceRegistry, _with_env
from tracer.sources.record_store import RecordStore
from tracer.workspace import open_workspace


class Good(Source):
    """A well-behaved adapter the broken ones below derive from."""

    name = "good"
    kind = "public_record"
    purposes = ("collect-debt",)
    query_fields = ("first_name", "last_name")
    returns = ("first_name", "last_name", "city")
    terms_url = "https://example.org/records/terms"
    conformance_failing_query = {"first_name": "only"}

    def search(self, query):
        if "last_name" not in query:
            raise SourceError(self.name, "last_name is required")
        return [Record(self.name, "r1", first_name=query.get("first_name"),
                       last_name=query["last_name"], city="Springfield")]


class ExtraField(Good):
    def search(self, query):
        return [Record(self.name, "r1", last_name="X", phone="2175550100")]


class UnknownPurpose(Good):
    purposes = ("find-anyone",)


class KindNotPermitted(Good):
    kind = "vendor_file"
    purposes = ("locate-estate-representative",)  # allows internal and public_record only


class BadDeclaration(Good):
    name = "Bad Name"
    query_fields = ("ssn",)
    returns = ("favourite_colour",)
    terms_url = ""


class UnmappedError(Good):
    def search(self, query):
        return [Record(self.name, "r1", last_name=query["last_name"])]  # KeyError


class NeverFails(Good):
    def search(self, query):
        return []


class LogsSsn(Good):
    def search(self, query):
        self.context.logger.warning("looked up 912-34-5678")
        return super().search(query)


class DobInError(Good):
    query_fields = ("last_name", "dob")
    conformance_queries = [{"last_name": "Okafor", "dob": "1961-03-05"}]

    def search(self, query):
        raise SourceError(self.name, f"no match for dob {query['dob']}")


class Slow(Good):
    def search(self, query):
        time.sleep(0.05)
        return super().search(query)


class NotStarting(Good):
    def __init__(self, context):
        raise NotConfigured("needs a token")


class CrashesOnStart(Good):
    def __init__(self, context):
        raise KeyError("token")


class YieldsDicts(Good):
    def search(self, query):
        return [{"last_name": "X"}]


def statuses(cls, **kwargs) -> dict[str, str]:
    return {r.check: r.status for r in check_source(cls, **kwargs)}


@pytest.mark.parametrize("cls, kwargs, check, status", [
    (Good, {}, "declared_fields", "pass"),
    (Good, {}, "error_mapping", "pass"),
    (ExtraField, {}, "declared_fields", "fail"),
    (UnknownPurpose, {}, "purposes", "fail"),
    (KindNotPermitted, {}, "purposes", "fail"),
    (BadDeclaration, {}, "declaration", "fail"),
    (UnmappedError, {}, "error_mapping", "fail"),
    (NeverFails, {}, "error_mapping", "fail"),
    (NeverFails, {"failing_query": None}, "declared_fields", "skip"),
    (LogsSsn, {}, "no_sensitive_logs", "fail"),
    (DobInError, {}, "no_sensitive_logs", "fail"),
    (DobInError, {}, "returns_records", "fail"),
    (Slow, {"settings": {"timeout": 0.01}}, "latency", "fail"),
    (Slow, {}, "latency", "pass"),
    (NotStarting, {}, "starts", "skip"),
    (NotStarting, {}, "returns_records", "skip"),
    (CrashesOnStart, {}, "starts", "fail"),
    (YieldsDicts, {}, "returns_records", "fail"),
    (Good, {"live": False}, "returns_records", "skip"),
])
def test_the_kit_catches_each_kind_of_broken_adapter(cls, kwargs, check, status):
    assert statuses(cls, **kwargs)[check] == status


def test_without_a_failing_query_the_error_check_is_skipped_with_its_reason():
    class NoHint(Good):
        conformance_failing_query = None
    [result] = [r for r in check_source(NoHint) if r.check == "error_mapping"]
    assert result.status == "skip" and "failing_query" in result.detail


def test_results_never_repeat_the_sensitive_text_they_report():
    report = format_results(check_source(LogsSsn) + check_source(DobInError))
    assert "912-34-5678" not in report and "1961-03-05" not in report


def test_a_running_adapter_can_be_checked_too():
    from tracer.sources.base import SourceContext
    assert all(r.ok for r in check_source(Good(SourceContext())))


# --- every registered source -------------------------------------------------------

REGISTERED = sorted(info.name for info in SourceRegistry().infos())


@pytest.fixture
def loopback_only(monkeypatch):
    """Any connection to a host other than this machine fails the test (invariant 6)."""
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else ""
        if host and host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"a test tried to reach {host}")
        return real_connect(self, address)
    monkeypatch.setattr(socket.socket, "connect", connect)


def _remote(settings: dict) -> bool:
    urls = [v for k, v in settings.items() if k.endswith("url") and isinstance(v, str)]
    return any(urlparse(u).hostname not in ("127.0.0.1", "localhost", "::1") for u in urls)


@pytest.mark.parametrize("name", REGISTERED)
def test_every_registered_enabled_source_conforms(name, ws, loopback_only):
    workspace = open_workspace(ws.db)
    try:
        registry = SourceRegistry(RecordStore(workspace))
        info = next(i for i in registry.infos() if i.name == name)
        if not info.enabled:
            pytest.skip(f"{name} is disabled: {info.disabled_reason}")
        adapter = registry.adapter(name)
        # A source configured for a remote service gets the declaration checks only.
        live = not _remote(_with_env(name, dict(registry.settings.get(name, {}))))
        results = check_source(adapter, store=RecordStore(workspace), live=live)
    finally:
        workspace.close()
    assert all(r.ok for r in results), format_results(results)
