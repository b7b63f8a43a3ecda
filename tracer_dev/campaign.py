"""Outcomes of an earlier campaign (FORMATS.md section 4), each following from the truth.

About a third of the accounts were worked in the 18 months before the as-of day, the
way a collector of that time would have: the creditor's phone, address and email on file,
plus the phones (and an address) a vendor append returned for the debtor's name at the
time, which is how alikes' numbers and reassigned numbers get dialed.  On the day of the
attempt:

* phone: the debtor held the number and picked up -> ``right_party``; someone else held
  it and picked up -> ``wrong_party``; nobody held it -> ``disconnected``; nobody picked
  up -> ``voicemail`` / ``no_answer`` (noise, either way);
* mail: the debtor lived there -> ``no_return``; otherwise ``returned_mail``, unless the
  post office forwarded it (within a year of his move) or a stranger kept it;
* email: the debtor's mailbox -> ``delivered`` (rarely ``opted_out``); a mailbox he
  abandoned -> mostly ``bounced``; somebody else's -> ``delivered``.

A share ``outcome_noise`` of dispositions is then mislabeled, as real ones are.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from random import Random

from . import habits as h
from .people import Person, Place
from .portfolio import Account
from .rates import WorldRates
from .sources import Obs

__all__ = ["OUTCOME_COLUMNS", "OUTCOMES", "Timeline", "run_campaign", "allowed_outcomes"]

OUTCOME_COLUMNS = ("account_id", "channel", "value", "outcome", "date", "user", "note")
OUTCOMES = {
    "phone": ("right_party", "wrong_party", "disconnected", "no_answer", "voicemail"),
    "address": ("returned_mail", "no_return"),
    "email": ("bounced", "delivered", "opted_out"),
}
_NOTES = {
    "right_party": ("spoke with consumer", "consumer promised to call back",
                    "consumer verified identity"),
    "wrong_party": ("says wrong number", "does not know the consumer", "new owner of number"),
    "disconnected": ("number not in service", "SIT tone"),
    "returned_mail": ("RTS: not at this address", "RTS: attempted, not known",
                      "RTS: unable to forward"),
    "bounced": ("550 mailbox unavailable",),
}


def allowed_outcomes(channel: str, holds: bool, held_by_other: bool, was_his: bool) -> set:
    """The outcomes the truth permits before mislabeling (also what the tests check)."""
    if channel == "phone":
        return ({"right_party", "no_answer", "voicemail"} if holds else
                {"wrong_party", "no_answer", "voicemail"} if held_by_other else
                {"disconnected", "no_answer"})
    if channel == "address":
        return {"no_return"} if holds else {"returned_mail", "no_return"}
    return ({"delivered", "opted_out"} if holds else
            {"bounced", "delivered"} if was_his else
            {"delivered", "opted_out"} if held_by_other else {"bounced"})


class Timeline:
    """Who held a number, lived at a place, or read a mailbox on a given day."""

    def __init__(self, persons: list[Person]):
        self.index: dict[tuple, list] = defaultdict(list)
        for p in persons:
            for s in p.phones:
                self.index[("phone", s.value)].append((p.pid, s))
            for s in p.addresses:
                self.index[("address", s.value.one_line())].append((p.pid, s))
            for s in p.emails:
                self.index[("email", s.value)].append((p.pid, s))

    def holders(self, channel: str, key: str, day: int) -> set[str]:
        return {pid for pid, s in self.index.get((channel, key), ()) if s.covers(day)}

    def ended_for(self, channel: str, key: str, pid: str, day: int) -> int | None:
        """The day ``pid`` stopped holding it (None if he never held it before ``day``)."""
        ends = [s.end for q, s in self.index.get((channel, key), ())
                if q == pid and s.end is not None and s.end <= day]
        return max(ends) if ends else None


def _vendor_leads(obs: list[Obs]) -> dict[tuple[str, str], list[Obs]]:
    leads = defaultdict(list)
    for o in obs:
        if o.source == "phone_append" and o.phone is not None:
            leads[(o.person.first, o.person.last)].append(o)
    return leads


def run_campaign(accounts: list[Account], obs: list[Obs], persons: list[Person],
                 rng: Random, r: WorldRates, as_of: int) -> list[dict]:
    tl = Timeline(persons)
    leads = _vendor_leads(obs)
    rows: list[tuple[int, int, dict]] = []
    rr = rng.random

    def attempt(acct: Account, channel: str, key: str, shown: str, day: int) -> str:
        pid = acct.dc.debtor.pid
        holders = tl.holders(channel, key, day)
        holds, other = pid in holders, bool(holders - {pid})
        ended = tl.ended_for(channel, key, pid, day)
        if channel == "phone":
            picked = rr() < r.answer
            outcome = ("right_party" if picked else "voicemail" if rr() < 0.6 else "no_answer") \
                if holds else ("wrong_party" if picked else "voicemail" if rr() < 0.6 else "no_answer") \
                if other else ("disconnected" if rr() < 0.95 else "no_answer")
        elif channel == "address":
            forwarded = ended is not None and day - ended <= 365 and rr() < r.mail_forwarded
            outcome = "no_return" if holds or forwarded else \
                "returned_mail" if rr() < r.mail_returned else "no_return"
        else:
            outcome = ("opted_out" if rr() < 0.05 else "delivered") if holds else \
                ("bounced" if rr() < r.email_bounce else "delivered") if ended is not None else \
                ("opted_out" if rr() < 0.1 else "delivered") if other else "bounced"
        if rr() < r.outcome_noise:
            choices = [o for o in OUTCOMES[channel] if o != outcome]
            outcome = choices[int(rr() * len(choices))]
        user = {"phone": "dialer" if rr() < 0.8 else (acct.row["assigned_to"] or "c01"),
                "address": "lettershop", "email": "email_platform"}[channel]
        notes = _NOTES.get(outcome, ())
        note = notes[int(rr() * len(notes))] if notes and rr() < 0.35 else ""
        when = date.fromordinal(day).isoformat()
        if rr() < 0.3:
            when += f"T{8 + int(rr() * 12):02d}:{int(rr() * 60):02d}:{int(rr() * 60):02d}"
        rows.append((day, len(rows), {"account_id": acct.account_id, "channel": channel,
                                      "value": shown, "outcome": outcome, "date": when,
                                      "user": user, "note": note}))
        return outcome

    for acct in accounts:
        if rr() >= r.campaign:
            continue
        d = acct.dc.debtor
        first = as_of - 540 + int(rr() * (540 - 21))
        days = [first]
        for _ in range(0 if rr() < 0.55 else 1 if rr() < 0.65 else 2):
            nxt = days[-1] + 14 + int(rr() * 46)
            if nxt < as_of - 7:
                days.append(nxt)
        phones = [acct.phone] if acct.phone else []
        state = acct.place.state if acct.place else ""
        found = sorted((o for o in leads.get((d.first, d.last), ())
                        if o.first_seen <= first and (o.place is None or o.place.state == state)),
                       key=lambda o: -min(o.last_seen, first))
        want = min(3, int(rng.expovariate(1 / r.vendor_phones_dialed_mean) + 0.5)) \
            if r.vendor_phones_dialed_mean > 0 else 0
        for o in found:
            if len(phones) >= want + (1 if acct.phone else 0):
                break
            if o.phone.value not in phones:
                phones.append(o.phone.value)
        places: list[Place] = [acct.place] if acct.place and rr() < 0.9 else []
        if found and found[0].place is not None and rr() < 0.4 and \
                all(found[0].place is not p for p in places):
            places.append(found[0].place)
        email = acct.email if acct.email and rr() < r.email_tried else None
        stop: set = set()
        for i, day in enumerate(days):
            reached = False
            for number in phones:
                if number in stop or (i and rr() < 0.2):
                    continue
                shown = h.phone_text(number, rng, (0, 1, 2, 3, 4, 5, 6))
                out = attempt(acct, "phone", number, shown, day)
                if out in ("wrong_party", "disconnected"):
                    stop.add(number)
                reached = reached or out == "right_party"
            for place in places:
                if place.one_line() in stop or (i and rr() < 0.7):
                    continue
                if attempt(acct, "address", place.one_line(), _mail_line(place, rng), day) \
                        == "returned_mail":
                    stop.add(place.one_line())
            if email and i == 0:
                attempt(acct, "email", email, email.upper() if rr() < 0.05 else email, day)
            if reached:
                break
    rows.sort(key=lambda t: (t[0], t[1]))
    return [row for _, _, row in rows]


def _mail_line(place: Place, rng: Random) -> str:
    """A letter shop's one-line address (legible: no typos)."""
    case = "title" if rng.random() < 0.5 else "upper"
    street, unit, _ = h.street_parts(place, rng, long_forms=0.3, inline_unit=1.0,
                                     typo_rate=0.0, case=case)
    city = place.city.title() if case == "title" else place.city
    zip_, _ = h.zip_text(place, rng, plus4=0.3, typo_rate=0.0)
    return f"{street}, {city}, {place.state} {zip_}"
