"""What spiders yield: plain dataclasses, one per fact, tagged with the query they answer.

A crawl may answer many searches at once (a batch), so every item carries
``query_index``: the position of its search in the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CaseParty:
    """One party of one court case, with one of its addresses (or none)."""

    query_index: int
    db: str
    case_number: str
    filed: str | None
    party_name: str
    party_type: str
    party_id: str | None = None
    judgment: bool = False
    address_lines: list[str] = field(default_factory=list)
    address_date: str | None = None
    address_status: str | None = None
    address_seq: int = 0


@dataclass
class SearchFailure:
    """A search that could not run at all (its results page failed or was forbidden)."""

    query_index: int
    error: str


@dataclass
class RecordItem:
    """A finished record (``Record.to_dict()``), ready to be written out."""

    query_index: int
    record: dict
