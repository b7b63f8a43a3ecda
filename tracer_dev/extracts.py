"""Print observations as each source's extract (FORMATS.md section 2), with its habits.

Every source has its own column set and its own ways: the creditor's system writes ISO
dates and Title Case; the vendor MM/DD/YYYY, nicknames and units inside the street; the
utility YYYYMMDD, ``LAST, FIRST M`` or ``FIRST M LAST`` in one column and ZIP+4; the
assessor M/D/YY and spelled-out states; the courts year-only birth dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from . import habits as h
from .rates import WorldRates
from .sources import Obs

__all__ = ["COLUMNS", "PREFIX", "render"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "creditor_history": ("record_id", "first_name", "middle_name", "last_name", "suffix",
                         "dob", "ssn_last4", "street", "unit", "city", "state", "zip",
                         "phone", "phone_type", "email", "employer", "first_seen", "last_seen"),
    "phone_append": ("record_id", "first_name", "middle_name", "last_name", "suffix", "dob",
                     "street", "unit", "city", "state", "zip", "phone", "phone_type", "email",
                     "first_seen", "last_seen"),
    "utility_hookups": ("record_id", "full_name", "dob", "ssn_last4", "street", "unit", "city",
                        "state", "zip", "phone", "phone_type", "event", "event_date",
                        "first_seen", "last_seen"),
    "assessor_rolls": ("record_id", "parcel_id", "full_name", "street", "unit", "city", "state",
                       "zip", "event", "event_date", "first_seen", "last_seen"),
    "court_filings": ("record_id", "case_number", "court", "full_name", "dob", "street", "unit",
                      "city", "state", "zip", "event", "event_date", "first_seen", "last_seen"),
    "death_index": ("record_id", "first_name", "middle_name", "last_name", "suffix", "dob",
                    "ssn_last4", "city", "state", "zip", "event", "event_date"),
}
PREFIX = {"creditor_history": "CH", "phone_append": "PA", "utility_hookups": "UH",
          "assessor_rolls": "AR", "court_filings": "CF", "death_index": "DI"}


@dataclass(frozen=True)
class Style:
    dates: str
    name_case: str
    full_name: float         # P(one full_name column in LAST, FIRST order) when full names
    middle: str
    typo: float              # multiplier on the world's typo rate
    nickname: float
    suffix_drop: float
    dob_missing: float
    dob_year_only: float
    ssn4: float
    street_case: str
    long_forms: float
    inline_unit: float
    city_case: str
    spelled_state: float
    plus4: float
    phone_forms: tuple[int, ...]
    phone_type: float


STYLES = {
    "creditor_history": Style("iso", "title", 0, "mixed", 0.4, 0.3, 0.2, 0.05, 0, 0.9, "title",
                              0.3, 0.0, "title", 0.0, 0.1, (0, 2), 0.95),
    "phone_append": Style("mdy", "title", 0, "mixed", 1.0, 1.5, 1.0, 0.35, 0, 0, "title",
                          0.2, 0.7, "title", 0.0, 0.3, (3, 2), 0.7),
    "utility_hookups": Style("ymd", "upper", 0.5, "mixed", 1.0, 1.0, 1.0, 0.4, 1.0, 0.5,
                             "upper", 0.4, 0.5, "upper", 0.3, 0.5, (0, 1), 0.7),
    "assessor_rolls": Style("mdyy", "upper", 1.0, "initial", 0.6, 0.2, 0.5, 1, 0, 0, "upper",
                            0.1, 1.0, "upper", 0.8, 0.6, (0,), 0),
    "court_filings": Style("mdy", "upper", 0.4, "initial", 0.8, 0.5, 0.7, 0.4, 1.0, 0, "upper",
                           0.3, 1.0, "upper", 0.0, 0.0, (0,), 0),
    "death_index": Style("ymd", "upper", 0, "initial", 0.5, 0.0, 0.3, 0.0, 0.3, 0.8, "upper",
                         0, 0, "upper", 0.0, 0.0, (0,), 0),
}
_CHAPTER = ("7", "7", "7", "13")


def render(obs: Obs, rng: Random, r: WorldRates) -> tuple[dict, bool]:
    """(row without record_id, whether its address is legible as the true one)."""
    st = STYLES[obs.source]
    rr = rng.random
    noise = 0.0 if obs.clean else 1.0
    p = obs.person
    parts = h.name_parts(p, rng, typo_rate=r.typo * st.typo * noise,
                         nickname=r.nickname * st.nickname * noise,
                         suffix_drop=min(1.0, r.suffix_drop * st.suffix_drop) * noise,
                         middle=st.middle, case=st.name_case)
    row: dict = {}
    if "full_name" in COLUMNS[obs.source]:
        row["full_name"] = h.full_name(parts, "last_first" if rr() < st.full_name else "first_last")
    else:
        row["first_name"], row["middle_name"], row["last_name"], row["suffix"] = parts
    if "dob" in COLUMNS[obs.source]:
        row["dob"] = h.dob_text(p, rng, st.dates if st.dates != "mdyy" else "mdy",
                                missing=min(1.0, st.dob_missing + r.missing_dob * noise),
                                year_only=st.dob_year_only, transposed=r.dob_transposed * noise)
    if st.ssn4 and rr() < st.ssn4:
        row["ssn_last4"] = p.ssn[-4:]
    legible = False
    if obs.place is not None:
        place = obs.place
        street, unit, ok_street = h.street_parts(place, rng, long_forms=st.long_forms,
                                                 inline_unit=st.inline_unit,
                                                 typo_rate=r.typo * st.typo * noise,
                                                 case=st.street_case)
        zip_, ok_zip = h.zip_text(place, rng, plus4=st.plus4, typo_rate=r.zip_typo * noise)
        if "street" in COLUMNS[obs.source]:
            row["street"], row["unit"] = street, unit
            legible = ok_street and ok_zip
        row["city"] = h.city_text(place, rng, case=st.city_case, typo_rate=r.typo * 0.5 * noise)
        row["state"] = h.state_text(place, rng, st.spelled_state)
        row["zip"] = zip_
    if obs.phone is not None:
        row["phone"] = h.phone_text(obs.phone.value, rng, st.phone_forms)
        x = rr()
        if x < st.phone_type:
            row["phone_type"] = obs.phone.kind
        elif x < st.phone_type + (1 - st.phone_type) / 3:
            row["phone_type"] = "landline" if obs.phone.kind == "mobile" else "mobile"
    if obs.email:
        row["email"] = obs.email.upper() if rr() < 0.03 else obs.email
    if "employer" in COLUMNS[obs.source] and obs.extra.get("employer") and rr() < 0.6:
        row["employer"] = obs.extra["employer"]
    row["first_seen"] = h.fmt_date(obs.first_seen, st.dates)
    row["last_seen"] = h.fmt_date(obs.last_seen, st.dates)
    if obs.event:
        row["event"] = obs.event
        row["event_date"] = h.fmt_date(obs.event_date, st.dates)
    if obs.source == "assessor_rolls":
        row["parcel_id"] = f"{int(rr() * 9000) + 1000:04d}-{int(rr() * 900) + 100}-{int(rr() * 900) + 100}"
    elif obs.source == "court_filings":
        year = h.fmt_date(obs.event_date, "iso")[2:4]
        if obs.event == "bankruptcy":
            state = obs.place.state if obs.place else "US"
            row["court"] = f"US BANKRUPTCY COURT {state}"
            row["case_number"] = f"{year}-{int(rr() * 90000) + 10000} CH{_CHAPTER[int(rr() * 4)]}"
        else:
            where = obs.place.city if obs.place else "STATE"
            row["court"] = f"{where} DISTRICT COURT"
            kind = "CV" if obs.event == "judgment" else "TL"
            row["case_number"] = f"{year}-{kind}-{int(rr() * 90000) + 10000}"
    return row, legible
