"""Ranking contact points by the probability that each is current and reaches the debtor.

P(contact) = P(identity is the debtor) × P(contact is current | identity), where the second
factor is a logistic model over readable factors (recency as of the lookup date, number of
independent sources, superseded by a later contact of the same kind, used by another
identity later, rejected by a collector).  Each factor's contribution is kept so the
explanation and the full waterfall say why a contact ranks where it does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Sequence

from ..models import ContactPoint
from .features import Features

#: Logistic coefficients (log-odds), fitted by ``bench/match_calibration.py`` (maximum
#: likelihood of "the rank-1 contact is the person's current one" under confidence =
#: identity x sigmoid(factors), synthetic world seed 11, 3,000 people) and checked on
#: another world (seed 12).  "rejected" and "unknown_date" never occur in that data and
#: keep their hand-set values, "used_later_by_other" is held (see the bench); ordering
#: rules (rejected and reused contacts never rank first) do not depend on these numbers.
#: ``phone`` and ``email`` are added to ``base`` for those kinds, so each kind is
#: calibrated on its own and not only on average.
COEFFICIENTS = {
    "base": -0.0731,
    "per_month_old": -0.0282,
    "unknown_date": -1.2,
    "extra_source": 0.3573,
    "latest_of_kind": 1.5,
    "superseded": -1.8352,
    "used_later_by_other": -0.0857,
    "rejected": -6.0,
    "creditor_has_it": 0.199,
    "phone": 2.8955,
    # no email truth in the bench world: an email keeps the log-odds it had when one
    # base served every kind (0.9655)
    "email": 1.0386,
}
CREDITOR_SOURCES = ("account",)
#: Kinds with a term of their own added to ``base`` (addresses are the baseline): a
#: debtor's latest phone is more often still theirs than a latest address.
KIND_TERMS = ("phone", "email")


@dataclass
class Identity:
    """A candidate identity for ranking: its records' features and its confidence."""

    identity_id: str
    members: list[Features]
    confidence: float
    evidence: str = ""
    is_best: bool = False


@dataclass
class _Point:
    kind: str
    value: str
    identity: Identity
    records: list[Features] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({r.source for r in self.records})

    @property
    def first_seen(self) -> date | None:
        dates = [r.first_seen or r.last_seen for r in self.records if r.first_seen or r.last_seen]
        return min(dates) if dates else None

    @property
    def last_seen(self) -> date | None:
        dates = [r.last_seen or r.first_seen for r in self.records if r.last_seen or r.first_seen]
        return max(dates) if dates else None


def _value(f: Features, kind: str) -> str | None:
    return {"address": f.address, "phone": f.phone, "email": f.email}[kind]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def rank_contacts(identities: Sequence[Identity], *, as_of: date,
                  kinds: Iterable[str] = ("address", "phone", "email"),
                  rejected: set[tuple[str, str]] = frozenset(),
                  min_identity_confidence: float = 0.2) -> list[ContactPoint]:
    kinds = tuple(kinds)
    points: dict[tuple[str, str, str], _Point] = {}
    for ident in identities:
        for f in ident.members:
            for kind in kinds:
                value = _value(f, kind)
                if value:
                    key = (ident.identity_id, kind, value)
                    point = points.setdefault(key, _Point(kind, value, ident))
                    point.records.append(f)
    # When did any *other* identity last use each value?
    others_last: dict[tuple[str, str], list[tuple[str, date]]] = {}
    for (ident_id, kind, value), point in points.items():
        if point.last_seen:
            others_last.setdefault((kind, value), []).append((ident_id, point.last_seen))

    ranked: list[tuple[int, ContactPoint]] = []
    for (ident_id, kind, value), point in points.items():
        ident = point.identity
        if ident.confidence < min_identity_confidence:
            continue
        same_kind = [p for (i, k, _v), p in points.items() if i == ident_id and k == kind]
        steps: list[tuple[str, float]] = [("base", COEFFICIENTS["base"])]
        if kind in KIND_TERMS:
            steps.append((f"kind {kind}", COEFFICIENTS[kind]))
        notes: list[str] = []
        last = point.last_seen
        if last is None:
            steps.append(("no dates", COEFFICIENTS["unknown_date"]))
        else:
            months = max(0.0, (as_of - last).days / 30.44)
            steps.append((f"last seen {months:.0f} months before {as_of.isoformat()}",
                          COEFFICIENTS["per_month_old"] * months))
        n_sources = len(point.sources)
        if n_sources > 1:
            steps.append((f"{n_sources} independent sources",
                          COEFFICIENTS["extra_source"] * min(n_sources - 1, 3)))
        later = [p for p in same_kind if p is not point and p.first_seen and last
                 and p.first_seen > last]
        if later:
            steps.append(("a newer " + kind + " exists", COEFFICIENTS["superseded"]))
            notes.append("superseded")
        elif last and all((p.last_seen or date.min) <= last for p in same_kind):
            steps.append(("latest " + kind + " of this identity", COEFFICIENTS["latest_of_kind"]))
        used_later = [(i, d) for i, d in others_last.get((kind, value), [])
                      if i != ident_id and last and d > last]
        if used_later:
            steps.append(("used later by another person", COEFFICIENTS["used_later_by_other"]))
            notes.append("used later by someone else")
        if (kind, value) in rejected:
            steps.append(("rejected by a collector", COEFFICIENTS["rejected"]))
            notes.append("rejected before")
        if set(point.sources) <= set(CREDITOR_SOURCES):
            steps.append(("only the creditor's own data", COEFFICIENTS["creditor_has_it"]))
        log_odds = sum(v for _, v in steps)
        p_current = _sigmoid(log_odds)
        confidence = round(ident.confidence * p_current, 4)
        explanation = _explain(point, ident, p_current, notes)
        cp = ContactPoint(
            kind=kind, value=value, rank=0, confidence=confidence,
            identity_confidence=round(ident.confidence, 4), sources=tuple(point.sources),
            first_seen=point.first_seen.isoformat() if point.first_seen else None,
            last_seen=last.isoformat() if last else None, explanation=explanation,
            record_keys=tuple(sorted({r.key for r in point.records})),
            waterfall=tuple((label, round(v, 3)) for label, v in steps)
            + (("identity confidence", round(ident.confidence, 4)),),
        )
        # Reassigned numbers, new occupants and rejected contacts never rank first.
        # A collector's rejection outranks every other signal.
        demotion = 2 if (kind, value) in rejected else 1 if used_later else 0
        ranked.append((demotion, cp))

    out: list[ContactPoint] = []
    for kind in kinds:
        rows = sorted(((demoted, cp) for demoted, cp in ranked if cp.kind == kind),
                      key=lambda t: (t[0], -t[1].confidence, -len(t[1].sources), t[1].value))
        for index, (_demoted, cp) in enumerate(rows, start=1):
            out.append(ContactPoint(**{**cp.__dict__, "rank": index}))
    return out


def _explain(point: _Point, ident: Identity, p_current: float, notes: list[str]) -> str:
    when = point.last_seen.strftime("%Y-%m") if point.last_seen else "undated"
    srcs = "+".join(point.sources)
    n = len(point.sources)
    parts = [f"seen {when} by {srcs} ({n} source{'s' if n != 1 else ''})"]
    if notes:
        parts.append(", ".join(notes))
    elif p_current >= 0.5:
        parts.append(f"latest {point.kind} on file")
    parts.append(f"identity {ident.confidence:.2f}: {ident.evidence}" if ident.evidence
                 else f"identity {ident.confidence:.2f}")
    return "; ".join(parts)
