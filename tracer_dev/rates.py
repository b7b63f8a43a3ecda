"""The knobs of the portfolio world: one rate per phenomenon, each settable from the CLI.

Defaults are our own reading of a hard, ordinary placement portfolio (most debtors moved
after the creditor's snapshot, a fifth have gone dark, old numbers ring strangers); they
were not tuned to make any tracer figure look good or bad.  Probabilities are in 0..1;
names ending in ``_mean`` are expected counts, ``_per_year`` are Poisson rates.

    rates = WorldRates.with_overrides(["dark=0.3", "outcome_noise=0"])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

__all__ = ["WorldRates", "RateError"]


class RateError(ValueError):
    """A ``NAME=VALUE`` override names no rate or gives a value out of range."""


@dataclass(frozen=True)
class WorldRates:
    # -- the debtor against the creditor's snapshot
    moved: float = 0.75                 # debtor lives elsewhere than at the snapshot
    mobile_changed: float = 0.45        # debtor's snapshot mobile was dropped after it
    email_changed: float = 0.30         # debtor's snapshot email was abandoned after it
    dark: float = 0.20                  # nothing current of the debtor in any extract
    # -- everybody's life
    move_per_year: float = 0.12         # background moves
    number_change_per_year: float = 0.06
    email_change_per_year: float = 0.04
    mobile: float = 0.94                # has a mobile at all
    email: float = 0.72                 # has an email at all
    landline: float = 0.25              # a household keeps a landline at an address
    owner: float = 0.30                 # owns a (unit-less) home they lived in 2+ years
    # -- the people around a debtor
    spouse: float = 0.35
    separated: float = 0.12             # of spouses: stays at the old home, keeps the landline
    jr_sr: float = 0.04                 # debtor has a Jr or Sr of his name at home
    jr_sr_split: float = 0.30           # ... who stayed behind when the debtor moved
    relatives_mean: float = 0.5         # parents/siblings of his last name in town
    lived_with_relative: float = 0.35   # debtor's first address is a relative's home
    alikes_mean: float = 1.6            # same first and last name nearby
    alike_same_city: float = 0.65
    alike_same_year: float = 0.30       # ... born the same year
    alike_same_dob: float = 0.06        # ... born the same day
    bystanders_mean: float = 1.0        # unrelated people in the debtor's town
    new_occupant: float = 0.70          # someone moves into an address the household left
    old_house: float = 0.10             # debtor still owns a house he no longer lives in
    old_house_tenant: float = 0.70
    # -- numbers
    reassign_mobile: float = 0.70       # a dropped mobile is given to someone else
    reassign_landline: float = 0.30
    reassignee_seen: float = 0.50       # the new holder appears in some extract
    vendor_stale: float = 0.55          # vendor keeps a dropped number under the old holder
    vendor_fresh_dates: float = 0.60    # ... with a last_seen in the last few months
    vendor_stale_current_address: float = 0.50  # ... next to the holder's current address
    # -- events and the creditor's flags
    deceased: float = 0.025
    bankruptcy: float = 0.05
    judgment: float = 0.12              # debtor (others: a third of it) has a judgment/lien
    deceased_flagged: float = 0.45      # creditor knows and flagged it
    bankruptcy_flagged: float = 0.50
    death_index_coverage: float = 0.92
    alike_deceased: float = 0.04
    alike_bankruptcy: float = 0.04
    status_closed: float = 0.03
    status_paid: float = 0.03
    status_recalled: float = 0.02
    cease_communication: float = 0.015
    attorney_represented: float = 0.015
    disputed: float = 0.02
    military: float = 0.01
    litigious: float = 0.008
    involuntary: float = 0.07           # debt_origin involuntary (refused under FCRA)
    unknown_origin: float = 0.15
    # -- sources
    vendor_coverage: float = 0.85       # debtor household in the vendor append (others: 0.6 of it)
    vendor_phone: float = 0.85          # per phone of a covered person
    utility_coverage: float = 0.60      # per address period
    court_address: float = 0.90
    # -- record noise
    typo: float = 0.04                  # per name or street field
    zip_typo: float = 0.01
    nickname: float = 0.12
    suffix_drop: float = 0.40
    missing_dob: float = 0.15
    dob_transposed: float = 0.02
    # -- the earlier campaign
    campaign: float = 0.33              # accounts worked in the 18 months before as_of
    answer: float = 0.45                # a live holder picks up
    vendor_phones_dialed_mean: float = 1.2
    mail_forwarded: float = 0.60        # mail within a year of a move is forwarded
    mail_returned: float = 0.75         # otherwise a stranger's or vacant address returns it
    email_tried: float = 0.50
    email_bounce: float = 0.70          # an abandoned mailbox bounces
    outcome_noise: float = 0.03         # a disposition mislabeled

    COUNTS = ("relatives_mean", "alikes_mean", "bystanders_mean", "vendor_phones_dialed_mean")
    PER_YEAR = ("move_per_year", "number_change_per_year", "email_change_per_year")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def with_overrides(cls, items: list[str] | None) -> "WorldRates":
        """``["dark=0.3", ...]`` on top of the defaults; RateError says what is wrong."""
        changes: dict[str, float] = {}
        known = set(cls.names())
        for item in items or ():
            name, sep, text = item.partition("=")
            name = name.strip()
            if not sep or name not in known:
                raise RateError(f"unknown rate {name!r} (NAME=VALUE; known: {', '.join(sorted(known))})")
            try:
                value = float(text)
            except ValueError:
                raise RateError(f"rate {name}: {text!r} is not a number") from None
            limit = 20.0 if name in cls.COUNTS or name in cls.PER_YEAR else 1.0
            if not 0.0 <= value <= limit:
                raise RateError(f"rate {name}: {value} is outside 0..{limit:g}")
            changes[name] = value
        return replace(cls(), **changes)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)
