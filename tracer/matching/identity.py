"""A candidate identity as matching hands it to ranking: its records and its confidence."""

from __future__ import annotations

from dataclasses import dataclass, field

from .features import Features


@dataclass
class Identity:
    """A cluster of records believed to be one person, with the confidence that it is
    the account's debtor.  ``loose`` names the members that joined it on name and place
    (or birth year) alone: their contacts are only as sure as that link."""

    identity_id: str
    members: list[Features]
    confidence: float
    evidence: str = ""
    is_best: bool = False
    loose: frozenset[str] = field(default_factory=frozenset)
