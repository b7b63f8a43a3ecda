"""Ranking contact points by the probability that each is current and reaches the debtor.

``confidence = P(the identity is the debtor) × P(current and theirs | the evidence)``: the
evidence of each contact point (:mod:`.contact_evidence`) scored by the workspace's
contact model (:mod:`.contact_model`: a conservative prior, or coefficients fitted to the
workspace's outcomes).  Each step's contribution is kept, so the explanation and the
full waterfall say why a contact ranks where it does.  Order within a kind: a contact a
collector rejected, or that reached a wrong party for this debtor, never ranks first; one
someone else was seen using later comes after every uncontested one; then by confidence.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Mapping, Sequence

from ..models import ContactPoint
from .contact_evidence import ContactSupport, gather, rejected_keys, weigh
from .contact_model import PRIOR, ContactModel, _sigmoid
from .identity import Identity

__all__ = ["Identity", "USABLE", "rank_contacts"]

#: A contact offered at this confidence or more is one tracer recommends acting on; a
#: lookup whose best contact is below it found nothing current.
USABLE = 0.5


def rank_contacts(identities: Sequence[Identity], *, as_of: date,
                  kinds: Iterable[str] = ("address", "phone", "email"),
                  rejected: set[tuple[str, str]] = frozenset(),
                  min_identity_confidence: float = 0.2,
                  outcomes: Mapping | None = None, account_id: str = "",
                  model: ContactModel | None = None,
                  record_evidence: Mapping[str, tuple[float, str]] | None = None,
                  same_debtor: set[str] = frozenset()) -> list[ContactPoint]:
    """Every contact point of the reportable identities, ranked within its kind.

    ``outcomes`` maps (channel, value key) to earlier outcomes of the value on any
    account (those of ``same_debtor`` accounts count as this debtor's); ``record_evidence``
    maps a record key to (probability, how it matches the account): the explanation names
    the evidence of the records behind each contact."""
    kinds = tuple(kinds)
    model = model or PRIOR
    points = gather(identities, kinds=kinds, min_identity_confidence=min_identity_confidence)
    weigh(points, as_of=as_of, account_id=account_id, outcomes=outcomes or {},
          rejected=rejected_keys(rejected), same_debtor=set(same_debtor))
    ranked: list[tuple[int, ContactPoint]] = []
    for p in points:
        log_odds, steps = model.log_odds(p.kind, p.evidence)
        p_current = _sigmoid(log_odds)
        ident = p.owner
        confidence = round(ident.confidence * p_current, 4)
        cp = ContactPoint(
            kind=p.kind, value=p.value, rank=0, confidence=confidence,
            identity_confidence=round(ident.confidence, 4), sources=tuple(p.sources),
            first_seen=p.first_seen.isoformat() if p.first_seen else None,
            last_seen=p.last_seen.isoformat() if p.last_seen else None,
            explanation=_explain(p, p_current, record_evidence or {}),
            record_keys=tuple(sorted({r.key for r in p.records})),
            waterfall=tuple(steps) + (("identity confidence", round(ident.confidence, 4)),),
            phone_type=p.phone_type, value_key=p.key,
            evidence=tuple(sorted((k, float(v)) for k, v in p.evidence.items() if v)),
        )
        ranked.append((p.demotion, cp))
    out: list[ContactPoint] = []
    for kind in kinds:
        rows = sorted(((demoted, cp) for demoted, cp in ranked if cp.kind == kind),
                      key=lambda t: (t[0], -t[1].confidence, -len(t[1].sources), t[1].value))
        for index, (_demoted, cp) in enumerate(rows, start=1):
            out.append(ContactPoint(**{**cp.__dict__, "rank": index}))
    return out


def _explain(p: ContactSupport, p_current: float,
             record_evidence: Mapping[str, tuple[float, str]]) -> str:
    """One line: when and by whom it was seen, what stands for or against it, and how the
    records behind it match the account."""
    when = p.last_seen.strftime("%Y-%m") if p.last_seen else "undated"
    n = len(p.sources)
    what = f"{p.phone_type} " if p.phone_type and p.phone_type != "unknown" else ""
    parts = [f"{what}seen {when} by {'+'.join(p.sources)} ({n} source{'s' if n != 1 else ''})"]
    if p.notes:
        parts.append(", ".join(p.notes))
    elif p_current >= USABLE and p.evidence.get("latest"):
        parts.append(f"newest {p.kind} of this identity")
    best = max(p.records, key=lambda r: (r.source != "account",
                                         record_evidence.get(r.key, (0.0, ""))[0], r.key))
    how = record_evidence.get(best.key, (0.0, ""))[1] or p.owner.evidence
    parts.append(f"identity {p.owner.confidence:.2f}: {best.source} record matches on {how}"
                 if how else f"identity {p.owner.confidence:.2f}")
    return "; ".join(parts)
