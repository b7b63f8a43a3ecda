"""Plain data that flows between the stages: no stage imports another's internals.

Sources yield :class:`Record`; matching turns records into :class:`CandidateIdentity`
and :class:`ContactPoint`; the gate produces a :class:`Decision`.  Everything here is
a frozen dataclass or a small mutable one that is serialised with ``asdict``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, asdict
from typing import Any

#: Columns of a record extract (FORMATS.md section 2), in order.
RECORD_FIELDS = (
    "record_id", "first_name", "middle_name", "last_name", "suffix", "full_name",
    "dob", "ssn_last4", "street", "unit", "city", "state", "zip", "phone",
    "phone_type", "email", "employer", "first_seen", "last_seen", "event", "event_date",
)

PHONE_TYPES = ("mobile", "landline", "voip", "unknown")
#: Events a record may carry (FORMATS.md section 2 and what the adapters give); an import
#: reports any other value instead of keeping it.
RECORD_EVENTS = (
    "deceased", "bankruptcy", "judgment", "lien", "lawsuit", "probate", "property_owner",
    "property_party", "utility_connect", "workplace", "registered_agent",
    "address_verified", "vacant", "undeliverable", "unit_missing", "unit_unconfirmed",
    "business", "deliverable",
)

#: A well-formed account id: what an import accepts and `batch --accounts` reads.
ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}")
ACCOUNT_FLAGS = (
    "bankruptcy", "deceased", "cease_communication", "attorney_represented",
    "disputed", "military", "litigious",
)
ACCOUNT_STATUSES = ("open", "closed", "paid", "recalled")
DEBT_ORIGINS = ("consumer_credit", "involuntary", "unknown")
CONTACT_KINDS = ("address", "phone", "email")


@dataclass(frozen=True)
class Record:
    """One source's statement about one person (FORMATS.md section 2).

    Dates are ISO strings (``YYYY-MM-DD``) or a bare year for ``dob``; everything else
    is the text the source gave, trimmed.  ``source`` names the adapter that produced it.
    """

    source: str
    record_id: str
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    full_name: str | None = None
    dob: str | None = None
    ssn_last4: str | None = None
    street: str | None = None
    unit: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    phone: str | None = None
    phone_type: str | None = None
    email: str | None = None
    employer: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    event: str | None = None
    event_date: str | None = None
    ssn_hash: str | None = None
    raw_hash: str | None = None

    @property
    def key(self) -> str:
        return f"{self.source}:{self.record_id}"

    def to_dict(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies and costs ~2 ms per trace.
        return {name: getattr(self, name) for name in _RECORD_ATTRS}


_RECORD_ATTRS = tuple(Record.__dataclass_fields__)


@dataclass(frozen=True)
class ContactPoint:
    """An address, phone or email ranked by how likely it is current and reaches the debtor."""

    kind: str
    value: str
    rank: int
    confidence: float
    identity_confidence: float
    sources: tuple[str, ...]
    first_seen: str | None
    last_seen: str | None
    explanation: str
    record_keys: tuple[str, ...] = ()
    waterfall: tuple[tuple[str, float], ...] = ()
    #: mobile, landline, voip or unknown (phones only): TCPA treats mobiles apart
    phone_type: str | None = None
    #: the contact model's evidence (name, value), what a calibration learns from
    evidence: tuple[tuple[str, float], ...] = ()
    #: what the value stands for (an address without its unit designator): outcomes of
    #: the value on any account are found by it
    value_key: str | None = None

    @property
    def ref(self) -> str:
        """A short stable reference a collector can type (``phone:1``)."""
        return f"{self.kind}:{self.rank}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["sources"] = list(self.sources)
        out["record_keys"] = list(self.record_keys)
        out["waterfall"] = [list(step) for step in self.waterfall]
        out["evidence"] = dict(self.evidence)
        out["ref"] = self.ref
        return out


@dataclass(frozen=True)
class CandidateIdentity:
    """A cluster of records believed to be one person."""

    identity_id: str
    record_keys: tuple[str, ...]
    confidence: float
    evidence: tuple[str, ...] = ()
    events: tuple[tuple[str, str | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity_id": self.identity_id,
            "record_keys": list(self.record_keys),
            "confidence": self.confidence,
            "evidence": list(self.evidence),
            "events": [list(e) for e in self.events],
        }


@dataclass(frozen=True)
class Reason:
    """Why a rule allowed, restricted or denied: a code, readable text and citations."""

    code: str
    text: str
    citations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "citations": list(self.citations)}


@dataclass(frozen=True)
class Decision:
    """The gate's verdict on one lookup: ``allow``, ``restrict`` or ``deny``."""

    outcome: str
    reasons: tuple[Reason, ...]
    policy_version: str
    allowed_sources: tuple[str, ...] = ()
    allowed_kinds: tuple[str, ...] = ()
    flags: tuple[str, ...] = field(default_factory=tuple)
    #: source name -> the query fields that source may receive (field minimisation).
    source_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    relatives: bool = False
    #: path and SHA-256 of the policy, purposes and sources settings decided under
    settings: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.outcome in ("allow", "restrict")

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reasons": [r.to_dict() for r in self.reasons],
            "policy_version": self.policy_version,
            "allowed_sources": list(self.allowed_sources),
            "allowed_kinds": list(self.allowed_kinds),
            "flags": list(self.flags),
            "source_fields": {k: list(v) for k, v in sorted(self.source_fields.items())},
            "relatives": self.relatives,
            "settings": self.settings,
        }

    @property
    def citations(self) -> list[str]:
        return [c for r in self.reasons for c in r.citations]
