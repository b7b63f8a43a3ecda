"""The mixed-file guard, pair by pair: which scored pairs may join two records at all.

A pair may join only when no hard identifier disagrees outright, something beyond names
and partial SSN agrees, and it is not a household (first names that differ with
nothing personal agreeing).  Pairs refused only for lack of corroboration still count
as evidence that a record could be either of two people (ambiguity, in
:func:`.clustering.cluster_pairs`).  Everything here works on the level matrix and the
coded columns, so it costs a few vector passes at a million pairs and nothing at a
trace's few hundred.

    allowed, evidence, tolerance = pair_guard(model, gammas, weight)
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .clustering import DOB_NEAR, DOB_STRICT, DOB_WAIVED
from .model import MatchModel
from .table import RecordTable


def _identifier_levels(comparisons, extra_kinds, c: int, two_edits: bool) -> list[int]:
    levels = comparisons[c].levels
    return [i for i, lvl in enumerate(levels) if lvl.agree or (two_edits and lvl.label == "two edits")]


def full_id_agree(model: MatchModel, gammas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a declared full identifier agrees up to one edit, up to two edits) per pair."""
    n = len(gammas)
    full_id = np.zeros(n, dtype=bool)
    id_close = np.zeros(n, dtype=bool)
    kinds = model.settings.get("extra_kinds", {})
    for c, comp in enumerate(model.comparisons):
        if kinds.get(comp.name) == "identifier":
            full_id |= np.isin(gammas[:, c], _identifier_levels(model.comparisons, kinds, c, False))
            id_close |= np.isin(gammas[:, c], _identifier_levels(model.comparisons, kinds, c, True))
    return full_id, id_close


#: Levels that identify a person rather than a household (a shared address, phone or
#: surname is what relatives have in common).
PERSONAL_LEVELS = {"dob": ("exact", "transposed", "one digit off"), "ssn_last4": ("exact",),
                   "email": ("exact",)}


def household_comparisons(comparisons: Sequence, extra_kinds: Mapping[str, str]) -> list[int]:
    """The comparisons :func:`household_pairs` reads (first name, the personal ones and
    declared identifiers), by index; empty when there is no first-name comparison."""
    names = [c.name for c in comparisons]
    if "first_name" not in names:
        return []
    return [c for c, name in enumerate(names)
            if name == "first_name" or name in PERSONAL_LEVELS
            or extra_kinds.get(name) == "identifier"]


def household_pairs(comparisons: Sequence, extra_kinds: Mapping[str, str],
                    levels: Mapping[int, np.ndarray], n: int) -> np.ndarray:
    """Pairs whose first names disagree outright and that agree on nothing personal (a
    DOB, an SSN last-4, an email, a declared identifier): a spouse, a parent, a new
    occupant, not the same person.  ``levels`` holds the level of each pair for the
    comparisons :func:`household_comparisons` names."""
    names = [c.name for c in comparisons]
    if "first_name" not in names:
        return np.zeros(n, dtype=bool)
    c = names.index("first_name")
    labels = [lvl.label for lvl in comparisons[c].levels]
    out = levels[c] == labels.index("else")
    personal = np.zeros(n, dtype=bool)
    for k, name in enumerate(names):
        if name in PERSONAL_LEVELS:
            good = PERSONAL_LEVELS[name]
            wanted = [i for i, lvl in enumerate(comparisons[k].levels) if lvl.label in good]
        elif extra_kinds.get(name) == "identifier":
            wanted = _identifier_levels(comparisons, extra_kinds, k, False)
        else:
            continue
        personal |= np.isin(levels[k], wanted)
    return out & ~personal


def household_only(model: MatchModel, gammas: np.ndarray) -> np.ndarray:
    """:func:`household_pairs` over a whole level matrix."""
    comparisons = model.comparisons
    kinds = model.settings.get("extra_kinds", {})
    wanted = household_comparisons(comparisons, kinds)
    return household_pairs(comparisons, kinds, {c: gammas[:, c] for c in wanted}, len(gammas))


#: Levels at which a first or last name counts as the same name.
NAME_AGREE = ("exact", "nickname", "jw>=0.92")
#: Without its DOB, a pair whose other evidence gives at least this probability may
#: carry a DOB a small typo apart (``near``) instead of being refused outright.
NEAR_DOB_EVIDENCE = 0.99


def _levels_in(model: MatchModel, gammas: np.ndarray, name: str, labels) -> np.ndarray:
    names = [c.name for c in model.comparisons]
    if name not in names:
        return np.zeros(len(gammas), dtype=bool)
    c = names.index(name)
    wanted = [i for i, lvl in enumerate(model.comparisons[c].levels) if lvl.label in labels]
    return np.isin(gammas[:, c], wanted)


def pair_guard(model: MatchModel, gammas: np.ndarray, weight: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(may join, is evidence, DOB tolerance) per pair: the mixed-file guard, pair by pair.

    Refused: a hard identifier that disagrees outright; nothing beyond names and partial
    SSN agreeing (a same name in the same ZIP or ZIP area does corroborate); first names that
    differ with nothing personal agreeing (a household).
    DOBs a small typo apart (level ``near``) are soft evidence when a full identifier
    agrees up to two edits, or when first and last name agree and the rest of the
    evidence alone is convincing; a full identifier agreeing up to one edit waives the
    DOB conflict altogether.  SSN last-4 and suffix conflicts always hold.  Evidence
    pairs are the allowed ones plus those refused only for lack of corroboration.
    """
    n = len(gammas)
    full_id, id_close = full_id_agree(model, gammas)
    names = [c.name for c in model.comparisons]
    near = _levels_in(model, gammas, "dob", ("near",))
    if near.any():
        c = names.index("dob")
        without_dob = weight - model.bayes_factor_table()[c][gammas[:, c]]
        strong_names = (_levels_in(model, gammas, "first_name", NAME_AGREE)
                        & _levels_in(model, gammas, "last_name", NAME_AGREE))
        evidence = np.log2(NEAR_DOB_EVIDENCE / (1 - NEAR_DOB_EVIDENCE))
        near_ok = near & (id_close | (strong_names & (without_dob >= evidence)))
    else:
        near_ok = near
    allowed = ~(near & ~near_ok)
    corroborated = np.zeros(n, dtype=bool)
    for c, (conflict, agree) in enumerate(model.level_masks()):
        hit = conflict[gammas[:, c]]
        if model.comparisons[c].name == "dob":
            hit &= ~full_id
        allowed &= ~hit
        corroborated |= agree[gammas[:, c]]
    allowed &= ~household_only(model, gammas)
    # Uncorroborated pairs (a name in the same town) never join records, but they are
    # evidence that a record could belong to either of two clusters (ambiguity).
    evidence = allowed.copy()
    # The same first and last name in the same ZIP, or across town (a move within one
    # three-digit ZIP area), corroborates when the model, with term frequencies, still
    # puts the pair over the threshold: a rare name in a town (county-assessor records
    # carry nothing else), never JAMES SMITH in a city.
    corroborated |= (_levels_in(model, gammas, "first_name", NAME_AGREE)
                     & _levels_in(model, gammas, "last_name", NAME_AGREE)
                     & _levels_in(model, gammas, "address", ("same zip", "same area")))
    allowed &= corroborated
    tolerance = np.where(full_id, DOB_WAIVED, np.where(near_ok, DOB_NEAR, DOB_STRICT))
    return allowed, evidence, tolerance.astype(np.int8)


#: Contacts that are one person's, not a household's.
PERSONAL_CONTACTS = ("email", "mobile")


def share_identifier(table: RecordTable, left: np.ndarray, right: np.ndarray,
                     columns: Sequence[str] = ("dob_year", "ssn_last4", "suffix",
                                               *PERSONAL_CONTACTS)) -> np.ndarray:
    """Per pair: do the two records carry the same DOB (or birth year), SSN last-4,
    suffix, email or mobile number (or whichever of these ``columns`` names)?"""
    out = np.zeros(len(left), dtype=bool)
    for column in columns:
        if column in table.columns:
            codes = table.codes(column)
            a, b = codes[left], codes[right]
            out |= (a >= 0) & (a == b)
    return out


def full_identifiers(table: RecordTable) -> np.ndarray | None:
    """Per record, the values of the declared ``identifier`` columns (a tuple, None when
    the record has none), or None when no column is declared: what a DOB waiver in the
    clustering is checked against."""
    names = [c for c, kind in table.extra_kinds.items()
             if kind == "identifier" and c in table.columns]
    if not names:
        return None
    columns = [table.column(c) for c in names]
    out = np.full(len(table), None, dtype=object)
    for i, values in enumerate(zip(*columns)):
        if any(v is not None for v in values):
            out[i] = tuple(None if v is None else str(v) for v in values)
    return out
