"""The contact model: how likely a contact point is current and reaches the debtor.

``confidence = identity confidence × sigmoid(Σ coefficient × evidence)``, per kind
(address, phone, email).  The evidence (:mod:`.contact_evidence`) is what survives a
change of world: how recently and how independently the contact was seen, whether a
newer one of its kind replaced it, whether someone else was seen using it later, what
earlier outcomes said of it, whether only the creditor's own data or only a loosely
linked record supports it, and which sources support it.

Without outcomes a conservative prior holds (:data:`PRIOR`); ``tracer model calibrate``
fits the coefficients to the workspace's own outcomes (:mod:`.calibration`), versioned in
the workspace.  Nothing here is fitted to a truth file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

KINDS = ("address", "phone", "email")

#: Evidence names (feature -> what the waterfall says), shared by every kind; a kind
#: uses those its coefficients name.  Values are 0/1 indicators unless said otherwise.
EVIDENCE: dict[str, str] = {
    "base": "base rate of the kind",
    "mobile": "a mobile number",
    "landline": "a landline",
    "voip": "a VoIP number",
    "years_since_seen": "years since a source last saw it (capped at 5)",
    "years_since_new": "years since a source first saw it anew (capped at 10)",
    "years_since_confirmed": "years since a second source last saw it (capped at 5)",
    "extra_sources": "independent sources beyond the first (at most 3)",
    "quiet_years": "years since any source first saw anything new of this identity "
                   "(capped at 10): an identity that went quiet has moved on",
    "creditor_only": "only the creditor's own data has it",
    "owner_only": "only property records have it (owning is not living there)",
    "superseded": "a newer one of its kind appeared after it",
    "latest": "the newest of its kind for this identity",
    "other_later": "someone else was seen with it after the debtor",
    "other_after_last": "someone else was seen with it after every sighting of the debtor",
    "household": "a relative or housemate shares it",
    "outcome_bad": "an earlier attempt reached someone else or nobody",
    "outcome_good": "an earlier attempt reached the debtor on this account",
    "outcome_elsewhere": "an attempt on another account reached someone other than its debtor",
    "reached_elsewhere": "an attempt on another account reached that account's debtor",
    "outcome_unanswered": "earlier attempts went unanswered",
    "weak_support": "only records linked by name and place (or birth year) support it",
    "not_merged": "its identity was held apart from the account's (a possible namesake)",
    "rejected": "a collector rejected it",
}
#: Evidence whose value is a number, with its cap (indicators are 0 or 1).
NUMERIC = {"years_since_seen": 5.0, "years_since_new": 10.0, "extra_sources": 3.0,
           "outcome_unanswered": 3.0, "quiet_years": 10.0, "years_since_confirmed": 5.0}
#: A source's reliability is learned per kind too: ``source:<name>`` (it supports the
#: contact) and ``seen_by:<name>`` (years since that source last saw it, capped at 5:
#: some sources' dates mean the person is there, others' only that a file was refreshed).
SOURCE_PREFIX = "source:"
SEEN_PREFIX = "seen_by:"

#: The conservative prior: signs and sizes a collections analyst would defend, chosen
#: so that an old, single-source or contested contact is not offered as usable.  They are
#: log-odds of "current and reaches the debtor, given the identity is the debtor's".
PRIOR_COEFFICIENTS: dict[str, dict[str, float]] = {
    "phone": {"base": 0.3, "mobile": 0.3, "voip": -0.3,
              "years_since_seen": -0.4, "years_since_new": -0.1,
              "years_since_confirmed": -0.1, "quiet_years": -0.15, "extra_sources": 0.3,
              "creditor_only": -1.0, "superseded": -1.8, "latest": 0.8,
              "other_later": -3.0, "other_after_last": -1.0,
              "outcome_bad": -3.0, "outcome_good": 3.0, "outcome_unanswered": -0.3,
              "outcome_elsewhere": -0.5, "reached_elsewhere": -1.0,
              "weak_support": -1.5, "not_merged": -1.5, "rejected": -6.0},
    "address": {"base": 0.0, "years_since_seen": -0.5, "years_since_new": -0.1,
                "years_since_confirmed": -0.1, "quiet_years": -0.15, "extra_sources": 0.3,
                "creditor_only": -1.0, "owner_only": -1.0, "superseded": -2.5,
                "latest": 1.0, "other_later": -2.0, "other_after_last": -0.5,
                "outcome_bad": -3.0, "outcome_good": 1.0,
                "weak_support": -1.5, "not_merged": -1.5, "rejected": -6.0},
    "email": {"base": 0.5, "years_since_seen": -0.3, "years_since_new": -0.05,
              "years_since_confirmed": -0.05, "quiet_years": -0.1, "extra_sources": 0.3,
              "creditor_only": -0.6, "superseded": -2.0, "latest": 0.8,
              "other_later": -2.0, "other_after_last": -0.5, "outcome_bad": -3.0,
              "weak_support": -1.5, "not_merged": -1.5, "rejected": -6.0},
}


def _sigmoid(x: float) -> float:
    if x < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def describe(name: str) -> str:
    if name.startswith(SOURCE_PREFIX):
        return f"seen by {name[len(SOURCE_PREFIX):]}"
    if name.startswith(SEEN_PREFIX):
        return f"years since {name[len(SEEN_PREFIX):]} last saw it"
    return EVIDENCE.get(name, name)


def cap(name: str) -> float:
    """The largest value a piece of evidence counts with (1 for an indicator)."""
    return 5.0 if name.startswith(SEEN_PREFIX) else NUMERIC.get(name, 1.0)


def is_numeric(name: str) -> bool:
    return name in NUMERIC or name.startswith(SEEN_PREFIX)


@dataclass
class ContactModel:
    """Coefficients per kind, and where they came from (``prior`` or a fit)."""

    coefficients: dict[str, dict[str, float]]
    version: int = 0
    #: what the fit saw: examples per kind, held-out calibration, outcomes read
    fitted: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"contact model v{self.version}" if self.version else "contact model prior"

    def log_odds(self, kind: str, evidence: Mapping[str, float]
                 ) -> tuple[float, list[tuple[str, float]]]:
        """(log-odds, waterfall of (readable step, contribution)) for one contact."""
        coefs = self.coefficients.get(kind, {})
        total = coefs.get("base", 0.0)
        steps = [(describe("base") + f" ({kind})", round(total, 3))]
        for name, value in evidence.items():
            if name == "base" or not value:
                continue
            coef = coefs.get(name, 0.0)
            if not coef:
                continue
            value = min(float(value), cap(name))
            contribution = coef * value
            total += contribution
            label = f"{describe(name)}: {value:g}" if is_numeric(name) else describe(name)
            steps.append((label, round(contribution, 3)))
        return total, steps

    def p_current(self, kind: str, evidence: Mapping[str, float]) -> float:
        return _sigmoid(self.log_odds(kind, evidence)[0])

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "coefficients": self.coefficients,
                "fitted": self.fitted}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ContactModel":
        return cls({k: dict(v) for k, v in data["coefficients"].items()},
                   int(data.get("version", 0)), dict(data.get("fitted", {})))


PRIOR = ContactModel({k: dict(v) for k, v in PRIOR_COEFFICIENTS.items()})


def workspace_contact_model(ws) -> ContactModel:
    """The latest fitted contact model of the workspace, else the prior."""
    with ws.unit_of_work() as uow:
        row = uow.models.latest_contact()
    if row is None:
        return ContactModel({k: dict(v) for k, v in PRIOR_COEFFICIENTS.items()})
    model = ContactModel.from_dict(json.loads(row[1]))
    model.version = row[0]
    return model


def save_contact_model(ws, model: ContactModel, outcomes_seen: int) -> int:
    """Store ``model`` as the workspace's next contact model version; returns it."""
    with ws.unit_of_work(write=True) as uow:
        version = uow.models.next_contact_version()
        model.version = version
        uow.models.save_contact(json.dumps(model.to_dict(), sort_keys=True), outcomes_seen,
                                created_at=datetime.now(timezone.utc).isoformat(
                                    timespec="seconds"), version=version)
    return version


def calibrated_through(ws) -> int:
    """The newest outcome id the latest fit had seen (0: never fitted)."""
    with ws.unit_of_work() as uow:
        row = uow.models.latest_contact()
    return row[2] if row else 0
