"""The evidence about each contact point a lookup found, read from its records.

One contact point per place it stands for (a phone's E.164, an email, an address with its
unit number whatever the designator: ``# 2B`` and ``APT 2B`` are one), whichever
identities' records carry it.  It belongs to the most confident identity that carries it
(its *owner*); the others that carry it are either the owner's household (the same
surname, or a shared address: a shared landline, a spouse at the house) or someone else
(a reassigned number's new holder, a new occupant).

Every fact is something a workspace has: record dates and sources, the other people in
the candidates, earlier outcomes of the value on any account, a collector's rejections.
:mod:`.contact_model` turns the evidence into a probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping, Sequence

from ..outcomes import Outcome
from .contact_model import SEEN_PREFIX, SOURCE_PREFIX
from .features import Features
from .normalize import address_identity
from .identity import Identity

CREDITOR_SOURCES = ("account",)
OWNER_EVENTS = ("property_owner",)
DAYS_PER_YEAR = 365.25


def contact_of(f: Features, kind: str) -> tuple[str, str] | None:
    """(value as shown, what it stands for) of a record's contact of ``kind``."""
    if kind == "phone":
        return (f.phone, f.phone) if f.phone else None
    if kind == "email":
        return (f.email, f.email) if f.email else None
    if not f.address:
        return None
    unit = f.address.split(",", 1)[0][len(f.street or ""):].strip() or None
    key = address_identity(f.street, unit, f.zip5, f.city)
    return (f.address, key) if key else None


@dataclass
class ContactSupport:
    """One contact point and what is known about it, before it is scored."""

    kind: str
    key: str
    owner: Identity
    records: list[Features] = field(default_factory=list)        # the owner's
    household: list[Features] = field(default_factory=list)      # relatives, housemates
    strangers: list[Features] = field(default_factory=list)      # someone else
    outcomes: list[Outcome] = field(default_factory=list)
    evidence: dict[str, float] = field(default_factory=dict)
    #: 2: never first (rejected, or a wrong party for this debtor); 1: after every
    #: uncontested contact (someone else took it over); 0: none
    demotion: int = 0
    notes: list[str] = field(default_factory=list)
    value: str = ""
    phone_type: str | None = None

    @property
    def observations(self) -> list[Features]:
        """The owner's records that are sightings (the creditor's data is not one)."""
        return [r for r in self.records if r.source not in CREDITOR_SOURCES]

    @property
    def sources(self) -> list[str]:
        return sorted({r.source for r in self.records})

    @property
    def first_seen(self) -> date | None:
        days = [r.first_seen or r.last_seen for r in self.records if r.first_seen or r.last_seen]
        return min(days) if days else None

    @property
    def last_seen(self) -> date | None:
        days = [r.last_seen or r.first_seen for r in self.records if r.last_seen or r.first_seen]
        days += [o.date for o in self.outcomes if o.verdict == "reached"]
        return max(days) if days else None


def _start(records: Iterable[Features]) -> date | None:
    days = [r.first_seen or r.last_seen for r in records if r.first_seen or r.last_seen]
    return min(days) if days else None


def _newest_start(records: Iterable[Features]) -> date | None:
    days = [r.first_seen or r.last_seen for r in records if r.first_seen or r.last_seen]
    return max(days) if days else None


def _years(as_of: date, day: date | None, cap: float) -> float:
    if day is None:
        return cap
    return round(min(cap, max(0.0, (as_of - day).days / DAYS_PER_YEAR)), 2)


def _phone_type(records: Sequence[Features]) -> str | None:
    kinds = [r.phone_type for r in records if r.phone_type in ("mobile", "landline", "voip")]
    if not kinds:
        return "unknown" if records else None
    return max(("mobile", "landline", "voip"), key=kinds.count)


def _group(support: ContactSupport) -> str:
    """Phones are replaced within their kind of line: a new mobile supersedes a mobile."""
    return "mobile" if support.kind == "phone" and support.phone_type == "mobile" else "other"


def gather(identities: Sequence[Identity], *, kinds: Sequence[str],
           min_identity_confidence: float) -> list[ContactSupport]:
    """The contact points of the reportable identities, each with its owner and the other
    identities' records that carry it too."""
    by_key: dict[tuple[str, str], dict[str, list[Features]]] = {}
    shown: dict[tuple[str, str], dict[str, int]] = {}
    ident_of = {ident.identity_id: ident for ident in identities}
    for ident in identities:
        for f in ident.members:
            for kind in kinds:
                got = contact_of(f, kind)
                if got is None:
                    continue
                value, key = got
                by_key.setdefault((kind, key), {}).setdefault(ident.identity_id, []).append(f)
                counts = shown.setdefault((kind, key), {})
                counts[value] = counts.get(value, 0) + 1
    _merge_spellings(by_key, shown)
    out = []
    for (kind, key), holders in by_key.items():
        owner = max((ident_of[i] for i in holders),
                    key=lambda ident: (ident.confidence, ident.is_best, ident.identity_id))
        if owner.confidence < min_identity_confidence:
            continue
        support = ContactSupport(kind, key, owner, list(holders[owner.identity_id]))
        surnames = {m.last_key for m in owner.members if m.last_key}
        places = {m.addr_key for m in owner.members if m.addr_key}
        for ident_id, records in holders.items():
            if ident_id == owner.identity_id:
                continue
            for r in records:
                family = (r.last_key in surnames) or (kind != "address" and r.addr_key in places)
                (support.household if family else support.strangers).append(r)
        counts = shown[(kind, key)]
        support.value = max(counts, key=lambda v: (counts[v], v))
        support.phone_type = _phone_type(support.records) if kind == "phone" else None
        out.append(support)
    return out


#: Two spellings of one street, at one house number, unit and ZIP, this close (an
#: optimal string alignment distance: one typo, a dropped or swapped letter) are one
#: address; the spelling most records carry names it.
SPELLING_DISTANCE = 1
MIN_STREET_NAME = 4


_DIRECTIONS = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW"})


def _core(key: str) -> str:
    """The street name of an address key, without house number, directions and type."""
    words = key.split("|")[0].split()[1:]
    return " ".join(w for w in words[:-1] if w not in _DIRECTIONS)


def _merge_spellings(by_key: dict, shown: dict) -> None:
    """Fold address keys that differ by a typo in the street name into the best
    attested spelling (``138 WDRD ST`` into ``138 WARD ST``), in place."""
    from rapidfuzz.distance import OSA

    buckets: dict[tuple, list[str]] = {}
    for kind, key in by_key:
        if kind != "address":
            continue
        street, unit, place = key.split("|")
        number, _, name = street.partition(" ")
        words = name.split()
        core = " ".join(w for w in words[:-1] if w not in _DIRECTIONS)
        if len(core) >= MIN_STREET_NAME:
            # a typo in the name, never a different direction or street type
            frame = tuple(w for w in words if w in _DIRECTIONS) + (words[-1],)
            buckets.setdefault((number, unit, place, frame), []).append(key)

    def weight(key: str) -> tuple:
        records = [r for rs in by_key[("address", key)].values() for r in rs]
        return (len(records), len({r.source for r in records}), key)
    for keys in buckets.values():
        if len(keys) < 2:
            continue
        keys.sort(key=weight, reverse=True)
        kept: list[str] = []
        for key in keys:
            name = _core(key)
            into = next((k for k in kept if OSA.distance(
                name, _core(k), score_cutoff=SPELLING_DISTANCE) <= SPELLING_DISTANCE), None)
            if into is None:
                kept.append(key)
                continue
            target = by_key[("address", into)]
            for ident_id, records in by_key.pop(("address", key)).items():
                target.setdefault(ident_id, []).extend(records)
            counts = shown[("address", into)]
            for value, count in shown.pop(("address", key)).items():
                counts[value] = counts.get(value, 0) + count


def weigh(points: list[ContactSupport], *, as_of: date, account_id: str,
          outcomes: Mapping[tuple[str, str], Sequence[Outcome]],
          rejected: set[tuple[str, str]], same_debtor: set[str] = frozenset()) -> None:
    """Fill each point's ``evidence`` (names of :data:`.contact_model.EVIDENCE`), its
    demotion and its notes.  Outcomes on ``account_id`` or on an account of the same
    debtor (``same_debtor``: a re-placed debt) are this debtor's."""
    ours = {account_id, *same_debtor}
    channel = {"phone": "phone", "address": "address", "email": "email"}
    by_owner: dict[tuple[str, str, str], list[ContactSupport]] = {}
    for p in points:
        p.outcomes = [o for o in outcomes.get((channel[p.kind], p.key), ()) if o.date <= as_of]
        by_owner.setdefault((p.owner.identity_id, p.kind, _group(p)), []).append(p)
    quiet: dict[str, float] = {}
    for p in points:
        if p.owner.identity_id not in quiet:
            news = [r.first_seen or r.last_seen for r in p.owner.members
                    if r.source not in CREDITOR_SOURCES and (r.first_seen or r.last_seen)]
            quiet[p.owner.identity_id] = _years(as_of, max(news) if news else None, 10.0)
    for p in points:
        obs = p.observations
        ev: dict[str, float] = {"quiet_years": quiet[p.owner.identity_id]}
        if p.kind == "phone" and p.phone_type in ("mobile", "landline", "voip"):
            ev[p.phone_type] = 1.0
        last = max([r.last_seen or r.first_seen for r in obs if r.last_seen or r.first_seen]
                   + [o.date for o in p.outcomes
                      if o.verdict == "reached" and o.account_id in ours],
                   default=None)
        ev["years_since_seen"] = _years(as_of, last, 5.0)
        ev["years_since_new"] = _years(as_of, _newest_start(obs), 10.0)
        sources = {r.source for r in obs}
        ev["extra_sources"] = float(min(3, max(0, len(sources) - 1)))
        latest_by: dict[str, date] = {}
        for r in obs:
            day = r.last_seen or r.first_seen
            if day and day > latest_by.get(r.source, date.min):
                latest_by[r.source] = day
        for source in sources:
            ev[SOURCE_PREFIX + source] = 1.0
            ev[SEEN_PREFIX + source] = _years(as_of, latest_by.get(source), 5.0)
        ordered = sorted(latest_by.values(), reverse=True)
        ev["years_since_confirmed"] = _years(as_of, ordered[1] if len(ordered) > 1 else None,
                                             5.0)
        if not obs:
            ev["creditor_only"] = 1.0
        if p.kind == "address" and obs and all(r.event in OWNER_EVENTS for r in obs):
            ev["owner_only"] = 1.0
        start, newest = _start(obs), _newest_start(obs)
        rivals = [q for q in by_owner[(p.owner.identity_id, p.kind, _group(p))] if q is not p]
        later = [q for q in rivals if (s := _start(q.observations)) and newest and s > newest]
        if later:
            ev["superseded"] = 1.0
            p.notes.append(f"a newer {p.kind} appeared")
        elif newest and all((_start(q.observations) or date.min) <= (start or date.min)
                            for q in rivals):
            ev["latest"] = 1.0
        if p.household:
            ev["household"] = 1.0
        others = [r.first_seen or r.last_seen for r in p.strangers if r.first_seen or r.last_seen]
        if others and start and max(others) > start:
            ev["other_later"] = 1.0
            p.demotion = max(p.demotion, 1)
            p.notes.append("someone else was seen with it later")
            if last and max(others) > last:
                ev["other_after_last"] = 1.0
        since = start or date.min
        mine = [o for o in p.outcomes if o.account_id in ours and o.date >= since]
        elsewhere = [o for o in p.outcomes if o.account_id not in ours and o.date >= since]
        bad_here = [o for o in mine if o.verdict == "not_theirs"]
        bad_any = bad_here + [o for o in elsewhere if o.outcome == "disconnected"]
        if bad_any:
            ev["outcome_bad"] = 1.0
            o = bad_any[-1]
            p.notes.append(f"{o.outcome.replace('_', ' ')} {o.date.isoformat()}")
        if [o for o in elsewhere if o.outcome == "wrong_party"]:
            ev["outcome_elsewhere"] = 1.0
        if [o for o in elsewhere if o.verdict == "reached"]:
            ev["reached_elsewhere"] = 1.0
        good = [o for o in mine if o.verdict == "reached"]
        if good and not (bad_here and bad_here[-1].date > good[-1].date):
            ev["outcome_good"] = 1.0
            p.notes.append(f"reached the debtor {good[-1].date.isoformat()}")
        unanswered = [o for o in mine if o.verdict is None]
        if unanswered:
            ev["outcome_unanswered"] = float(len(unanswered))
        if not p.owner.is_best:
            ev["not_merged"] = 1.0
        if p.records and all(r.key in p.owner.loose for r in p.records):
            ev["weak_support"] = 1.0
            p.notes.append("linked by name and place only")
        if (p.kind, p.key) in rejected or any(o.outcome == "wrong_party" for o in bad_here):
            ev["rejected"] = 1.0 if (p.kind, p.key) in rejected else 0.0
            p.demotion = 2
            p.notes.append("rejected before" if (p.kind, p.key) in rejected
                           else "wrong party for this debtor")
        p.evidence = ev


def rejected_keys(rejected: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """A collector's rejected (kind, value as shown) as (kind, what it stands for)."""
    from ..outcomes import contact_value
    out = set()
    for kind, value in rejected:
        got = contact_value(kind, value)
        if got:
            out.add((kind, got[1]))
        out.add((kind, value))
    return out
