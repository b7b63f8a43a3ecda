"""Source health from the audit trail: calls, errors, latency, hit rate, field coverage.

Computed from the tamper-evident record itself (``source_result`` and ``source_error``
entries), so the figures a data team sees are the ones a reviewer can verify.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: a value that really occurred."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def source_health(ws, since: str | None = None) -> dict[str, dict[str, Any]]:
    """Per source, from the audit trail's source_result and source_error entries."""
    stats: dict[str, dict[str, Any]] = {}
    with ws.unit_of_work() as uow:
        rows = uow.audit.entries(events=("source_result", "source_error"), since=since)
    for _seq, ts, event, _actor, _account, _lookup, payload, _hash, _auth in rows:
        try:
            data = json.loads(payload)
        except (TypeError, json.JSONDecodeError):
            continue  # a redacted entry keeps its hash, not its payload
        if not isinstance(data, dict) or not data.get("source"):
            continue
        s = stats.setdefault(data["source"], {"latencies": [], "calls": 0, "errors": 0,
                                              "results": 0, "hits": 0, "records": 0,
                                              "fields": {}, "last_success": None})
        s["calls"] += 1
        if isinstance(data.get("elapsed_ms"), (int, float)):
            s["latencies"].append(float(data["elapsed_ms"]))
        if event == "source_error":
            s["errors"] += 1
        else:
            s["results"] += 1
            s["hits"] += 1 if (data.get("count") or 0) > 0 else 0
            s["records"] += data.get("count") or 0
            for name, n in (data.get("field_coverage") or {}).items():
                s["fields"][name] = s["fields"].get(name, 0) + n
            s["last_success"] = ts
    return {name: {
        "calls": s["calls"], "errors": s["errors"],
        "error_rate": round(s["errors"] / s["calls"], 4) if s["calls"] else None,
        "p50_ms": _percentile(s["latencies"], 0.50), "p95_ms": _percentile(s["latencies"], 0.95),
        "hit_rate": round(s["hits"] / s["results"], 4) if s["results"] else None,
        "field_coverage": {f: round(n / s["records"], 4) for f, n in sorted(s["fields"].items())}
        if s["records"] else {},
        "last_success": s["last_success"],
    } for name, s in sorted(stats.items())}
