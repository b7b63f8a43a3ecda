"""One account's records to ranked contact points: the lookup's match-and-rank stage.

A plain function of plain data (the account row, the records the sources returned, the
date, the models, earlier outcomes): the lookup runs it once per trace, and ``tracer
model calibrate`` runs it as of each outcome's date to learn what the evidence was worth.

    ranked = match_and_rank(account_row, rows, as_of=date(2025, 6, 30), model=model,
                            contact_model=contact_model, outcomes=lambda keys: {...})
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..models import ContactPoint
from .contact_evidence import contact_of
from .contact_model import ContactModel
from .engine import IdentityResult, identify
from .features import Features, features_of
from .model import MatchModel
from .ranking import rank_contacts

OutcomesFor = Callable[[set[tuple[str, str]]], Mapping]
#: Which of these other accounts are the same debtor's (a re-placed debt)?
SameDebtor = Callable[[Features, set[str]], set[str]]


@dataclass
class Ranked:
    account: Features
    records: list[Features]
    matching: IdentityResult
    contacts: list[ContactPoint]
    min_identity_confidence: float


def candidate_features(rows: Iterable[Mapping[str, Any]], as_of: date) -> list[Features]:
    """The records' features, each once, as known on ``as_of``: research as of a date sees
    only what was known by then, so a record first seen later is left out and a sighting
    later than ``as_of`` counts as one on ``as_of``."""
    out: list[Features] = []
    seen: set[str] = set()
    for row in rows:
        f = features_of(row)
        if (f.first_seen and f.first_seen > as_of) or f.key in seen:
            continue
        seen.add(f.key)
        if f.last_seen and f.last_seen > as_of:
            f = replace(f, last_seen=as_of)
        out.append(f)
    return out


def match_and_rank(account: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *,
                   as_of: date, model: MatchModel, contact_model: ContactModel,
                   outcomes: OutcomesFor | None = None,
                   kinds: Sequence[str] = ("address", "phone", "email"),
                   rejected: set[tuple[str, str]] = frozenset(),
                   same_debtor: SameDebtor | None = None) -> Ranked:
    """Identities of ``rows`` for ``account`` and their contact points, ranked."""
    account_features = features_of(account, key=f"account:{account['account_id']}",
                                   source="account")
    records = candidate_features(rows, as_of)
    matching = identify(account_features, records, model,
                        model.settings.get("term_frequencies", {}))
    min_conf = float(model.settings.get("min_identity_confidence", 0.2))
    values = {(kind, got[1]) for ident in matching.identities for f in ident.members
              for kind in kinds if (got := contact_of(f, kind))}
    found = outcomes(values) if outcomes is not None and values else {}
    others = {o.account_id for items in found.values() for o in items} - {account["account_id"]}
    same = same_debtor(account_features, others) if same_debtor and others else set()
    contacts = rank_contacts(
        matching.identities, as_of=as_of, kinds=kinds, rejected=rejected,
        min_identity_confidence=min_conf, outcomes=found,
        account_id=str(account["account_id"]), model=contact_model,
        record_evidence={k: (s.probability, s.explain())
                         for k, s in matching.account_scores.items()}, same_debtor=same)
    return Ranked(account_features, records, matching, contacts, min_conf)
