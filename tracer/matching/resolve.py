"""Bulk entity resolution: deduplicate one file or link two (``tracer resolve``).

normalize (:mod:`.table`) → block (:mod:`.blocking`) → compare (:mod:`.levels`) →
train u/m without labels (:mod:`.training`, :mod:`.em`) → score with term-frequency
adjustments (:mod:`.model`, :mod:`.tf`) → cluster with the mixed-file guard
(:func:`.clustering.cluster_pairs`).  Every step runs on the table in canonical order
(file, record_id), so shuffling the input rows cannot change a single output value.

    result = resolve_rows(rows, ResolveConfig(extra_kinds={"soc_sec_id": "identifier"}))
    result.cluster_ids()      # one cluster id per record, in input order
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import InputError
from .blocking import (DEFAULT_MAX_BLOCK, PEOPLE_RULES, BlockingReport, BlockingRule, block_on,
                       candidate_pairs, rules_for)
from .clustering import (DOB_NEAR, DOB_STRICT, DOB_WAIVED, YEAR_TOLERANCE, cluster_pairs,
                         dense_key, generation_families, generational_addresses, iso_dobs_conflict,
                         namesake_groups, suffix_namesakes)
from .comparisons import (CROSSED_DEFAULT_M, EXTRA_DEFAULT_M, PEOPLE_COMPARISONS, Comparison,
                          extra_comparison)
from .levels import pair_levels
from .model import MatchModel, default_model
from .table import RecordTable, identifier_half
from .tf import MAX_ADJUSTMENT, MIN_ADJUSTMENT, TF_COMPARISONS
from .training import train_model

log = logging.getLogger("tracer.matching.resolve")

#: A pair at or above this match probability joins two records (``--threshold``).
DEFAULT_THRESHOLD = 0.9
#: Pairs below this probability are not written to ``--pairs`` (they are noise).
PAIRS_MIN_PROBABILITY = 0.01

Progress = Callable[[str, int, int], None]


@dataclass
class ResolveConfig:
    threshold: float = DEFAULT_THRESHOLD
    max_block: int = DEFAULT_MAX_BLOCK
    extra_kinds: dict[str, str] = field(default_factory=dict)
    #: extra columns declared together, compared crosswise too (values keyed in the
    #: other column: address lines 1 and 2 swapped)
    extra_groups: list[tuple[str, ...]] = field(default_factory=list)
    link: bool = False
    bridge_strength: float = 0.0
    workers: int | None = None


@dataclass
class Resolution:
    """Everything one resolve run computed, on the table in canonical order."""

    table: RecordTable
    input_position: np.ndarray      # canonical row -> input row
    left: np.ndarray
    right: np.ndarray
    gammas: np.ndarray
    tf_weights: dict[int, np.ndarray]
    weight: np.ndarray
    probability: np.ndarray
    labels: np.ndarray              # canonical row -> canonical row of its cluster's label
    model: MatchModel
    report: BlockingReport
    timings: dict[str, float]
    link: bool = False
    #: records left alone because they link into two clusters the guard keeps apart
    ambiguous: int = 0
    #: records left alone because a namesake (Jr/Sr) could be theirs as well
    isolated: int = 0

    def cluster_ids(self) -> list[str]:
        """Cluster id per *input* row: the id of the cluster's first record in canonical
        order (prefixed with the file number when linking)."""
        canonical = [self._label(int(self.labels[k])) for k in range(len(self.table))]
        out = [""] * len(self.table)
        for k, pos in enumerate(self.input_position.tolist()):
            out[pos] = canonical[k]
        return out

    def _label(self, k: int) -> str:
        rid = str(self.table.ids[k])
        return f"{int(self.table.file[k]) + 1}:{rid}" if self.link else rid

    def clusters(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for k, label in enumerate(self.labels.tolist()):
            out.setdefault(label, []).append(k)
        return out

    def evidence(self, k: int, bf: list | None = None) -> list[tuple[str, str, float]]:
        """(comparison, level label, log2 Bayes factor incl. term frequency) of pair k."""
        bf = self.model.bayes_factor_table() if bf is None else bf
        out = []
        for c, comp in enumerate(self.model.comparisons):
            level = int(self.gammas[k, c])
            value = float(bf[c][level])
            if c in self.tf_weights:
                value += float(self.tf_weights[c][k])
            out.append((comp.name, comp.levels[level].label, round(value, 3)))
        return out

    def pair_rows(self, min_probability: float = PAIRS_MIN_PROBABILITY,
                  chunk: int = 100_000) -> Iterator[dict]:
        """The pairs from ``min_probability`` up, strongest first, with their evidence
        (the same values :meth:`evidence` gives), computed a chunk of pairs at a time."""
        keep = np.flatnonzero(self.probability >= min_probability)
        keep = keep[np.lexsort((self.right[keep], self.left[keep], -self.probability[keep]))]
        bf = self.model.bayes_factor_table()
        columns = self.pair_columns()
        for start in range(0, len(keep), chunk):
            part = keep[start:start + chunk]
            a, b = self.left[part], self.right[part]
            values: list = []
            if self.link:
                values += [(self.table.file[a] + 1).tolist(), (self.table.file[b] + 1).tolist()]
            values += [self.table.ids[a].tolist(), self.table.ids[b].tolist(),
                       np.round(self.probability[part], 6).tolist(),
                       np.round(self.weight[part], 3).tolist(),
                       (self.labels[a] == self.labels[b]).astype(int).tolist()]
            for c, comp in enumerate(self.model.comparisons):
                levels = self.gammas[part, c]
                labels = np.array([lvl.label for lvl in comp.levels], dtype=object)
                value = bf[c][levels]
                if c in self.tf_weights:
                    value = value + self.tf_weights[c][part]
                values += [labels[levels].tolist(), np.round(value, 3).tolist()]
            for row in zip(*values):
                yield dict(zip(columns, row))

    def pair_columns(self) -> list[str]:
        cols = (["left_file", "right_file"] if self.link else []) + [
            "left_id", "right_id", "probability", "match_weight", "same_cluster"]
        for comp in self.model.comparisons:
            cols += [comp.name, f"{comp.name}_bf"]
        return cols


def comparisons_for(table: RecordTable, extra_kinds: Mapping[str, str],
                    groups: Sequence[Sequence[str]] = ()) -> list[Comparison]:
    """The people comparisons whose attribute the input fills, then the declared extras
    (each also compared with the other columns of its group)."""
    out = [c for c in PEOPLE_COMPARISONS
           if table.has_values(c.attribute) or (c.attribute == "dob_year"
                                                and table.has_values("dob_year"))]
    partners: dict[str, list[str]] = {}
    for group in groups:
        for column in group:
            partners.setdefault(column, []).extend(c for c in group if c != column)
    out += [extra_comparison(column, kind, partners.get(column, ()))
            for column, kind in extra_kinds.items()]
    return out


def rules_for_table(table: RecordTable, extra_kinds: Mapping[str, str]) -> list[BlockingRule]:
    rules = rules_for(table, PEOPLE_RULES)
    for column, kind in extra_kinds.items():
        if kind in ("identifier", "exact") and table.has_values(column):
            rules.append(block_on(column, covers=(column,), name=column))
        if kind == "identifier":
            # A typo or two swapped digits leave one half whole, whatever the names say
            # (a first name keyed as another, names swapped); the first initial narrows
            # a half that is too common to block on alone.
            for part, label in ((0, "first"), (1, "second")):
                half = identifier_half(column, part)
                if table.has_values(half):
                    rules.append(block_on(half, covers=(column,), name=f"{column} {label} half",
                                          trains_m=False))
                    rules.append(block_on(half, "first_initial", covers=(column,),
                                          name=f"{column} {label} half + first initial",
                                          trains_m=False))
    return rules


def term_weights(model: MatchModel, table: RecordTable, left, right, gammas,
                 frequencies: Mapping[str, Any] | None = None) -> dict:
    """Per comparison with a term-frequency adjustment: extra weight per pair.

    tf(v) is the share of records with a value that carry v: the table's own by default;
    ``frequencies`` (``{"first": {value: share}, "last": ..., "records": n}``) gives the
    workspace's instead, for a table of a few hundred candidates that share their surname
    by construction (a trace); an attribute it does not name is left unadjusted."""
    out = {}
    for c, comp in enumerate(model.comparisons):
        attribute = TF_COMPARISONS.get(comp.name)
        if attribute is None and table.extra_kinds.get(comp.name) == "name":
            attribute = comp.name
        if attribute is None:
            continue
        if frequencies is not None and attribute not in frequencies:
            continue
        labels = [lvl.label for lvl in comp.levels]
        if "exact" not in labels:
            continue
        exact = labels.index("exact")
        u_exact = float(model.u.get(comp.name, {}).get("exact", 0.01))
        codes, values = table.coded(attribute)
        rows = np.flatnonzero(gammas[:, c] == exact)
        weights = np.zeros(len(left), dtype=np.float32)
        if frequencies is not None:
            given = frequencies[attribute]
            floor = 1.0 / max(float(frequencies.get("records", 0) or 0), 1.0)
            by_code = np.array([given.get(v, floor) for v in values] + [floor])
            share = by_code[codes[left[rows]]] if len(rows) else np.zeros(0)
        else:
            present = codes[codes >= 0]
            share = (np.bincount(present)[codes[left[rows]]] / len(present)
                     if len(rows) and len(present) else np.zeros(0))
        if len(rows) and len(share):
            # tf(v): the share of records with a value that carry v (tracer.matching.tf).
            weights[rows] = np.clip(np.log2(max(u_exact, 1e-12) / np.maximum(share, 1e-12)),
                                    MIN_ADJUSTMENT, MAX_ADJUSTMENT)
        out[c] = weights
    return out


#: Levels that identify a person rather than a household (a shared address, phone or
#: surname is what relatives have in common).
PERSONAL_LEVELS = {"dob": ("exact", "transposed", "one digit off"), "ssn_last4": ("exact",),
                   "email": ("exact",)}


def _household_only(model: MatchModel, gammas: np.ndarray, full_id: np.ndarray) -> np.ndarray:
    """Pairs whose first names disagree outright and that agree on nothing personal:
    a spouse, a parent, a new occupant, not the same person."""
    names = [c.name for c in model.comparisons]
    if "first_name" not in names:
        return np.zeros(len(gammas), dtype=bool)
    c = names.index("first_name")
    labels = [lvl.label for lvl in model.comparisons[c].levels]
    out = gammas[:, c] == labels.index("else")
    personal = full_id.copy()
    for name, good in PERSONAL_LEVELS.items():
        if name in names:
            k = names.index(name)
            wanted = [i for i, lvl in enumerate(model.comparisons[k].levels) if lvl.label in good]
            personal |= np.isin(gammas[:, k], wanted)
    return out & ~personal


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
    full_id = np.zeros(n, dtype=bool)
    id_close = np.zeros(n, dtype=bool)
    for c, comp in enumerate(model.comparisons):
        if model.settings.get("extra_kinds", {}).get(comp.name) == "identifier":
            levels = comp.levels
            full_id |= np.isin(gammas[:, c], [i for i, lvl in enumerate(levels) if lvl.agree])
            id_close |= np.isin(gammas[:, c], [i for i, lvl in enumerate(levels)
                                               if lvl.agree or lvl.label == "two edits"])
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
    allowed &= ~_household_only(model, gammas, full_id)
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


#: Namesakes at one address: the same first name (nickname root), surname (phonetic) and
#: address.  Two of them conflicting on a hard identifier, or one carrying a generation
#: suffix, make the group ambiguous.
NAMESAKE_ADDRESS = ("first_any", "last_key", "addr_key")
#: Wider namesakes, among which a generation suffix makes the group ambiguous: the same
#: name in one ZIP (surname phonetic, or its letters sorted, which a transposition typo
#: keeps), or the same first name, middle initial and surname anywhere (a father and son
#: share all three; records of one of them turn up where the other never lived).  A
#: record whose middle initial differs from the suffix bearer's is nobody's namesake.
#: The ZIP ones keep a bare record alone (unless it has a personal contact); the last
#: ("anywhere") lets it join through its email or mobile only (:func:`namesakes`).
NAMESAKE_WIDE = (("first_any", "last_key", "zip5"), ("first_any", "last_letters", "zip5"),
                 ("first_any", "middle_initial", "last_key", "anywhere"))


#: Where a Jr and a Sr of a name both show up (two suffixes of the name in one ZIP area,
#: at one house or two), a family of that name lives.
FAMILY_PLACE = "zip3"
#: A refused pair this probable (partial SSN and the name, say) still says its two
#: clusters may be one man: enough to suspect, never to merge.
TIE_PROBABILITY = 0.5


def _last_letters(table: RecordTable) -> np.ndarray:
    """Codes of the surname's letters, sorted (SCOTT, SCTOT and CSOTT agree)."""
    codes, values = table.coded("last")
    index: dict[str, int] = {}
    remap = np.array([index.setdefault("".join(sorted(v)), len(index)) for v in values]
                     + [-1], dtype=np.int64)
    return remap[codes]          # code -1 picks the trailing -1


def namesakes(table: RecordTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(address namesake group per record or -1, records to keep alone, records that
    join only through their email or mobile, or a man no Jr/Sr family could be).

    A record with no DOB, SSN last-4 or suffix of its own whose name is shared, at its
    address, by records that conflict on a hard identifier or carry a generation suffix,
    or in its ZIP by a record with a generation suffix (a Jr and a Sr), could belong to
    either namesake: it joins nothing.  One whose first name, middle initial and surname
    a suffix bearer shares only elsewhere, or whose name a Jr and a Sr carry in its ZIP
    area (:data:`FAMILY_PLACE`), joins through its email or mobile, or a man no Jr/Sr
    family of its name could be (:func:`generation_risk`).  Numpy group-bys over the
    coded columns (:func:`.clustering.namesake_groups`)."""
    n = len(table)
    none = np.full(n, -1, dtype=np.int64)
    if not all(c in table.columns for c in ("first_any", "last", "last_key")):
        return none, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    year, ssn, sfx = table.codes("dob_year"), table.codes("ssn_last4"), table.codes("suffix")
    ids = dict(dob_year=year, ssn_last4=ssn, suffix=sfx)
    codes = {"last_letters": _last_letters(table)}

    def column(name: str) -> np.ndarray:
        return codes[name] if name in codes else table.codes(name)

    group = none
    if "addr_key" in table.columns:
        group, _ = namesake_groups(*(column(c) for c in NAMESAKE_ADDRESS), **ids)
    in_any = group >= 0
    codes["anywhere"] = np.zeros(n, dtype=np.int64)
    middle = table.codes("middle_initial") if "middle_initial" in table.columns else none
    far = np.zeros(n, dtype=bool)
    for key in NAMESAKE_WIDE:
        if all(c in table.columns or c in codes for c in key):
            hit = suffix_namesakes(*(column(c) for c in key), middle=middle, suffix=sfx)
            if key[-1] == "anywhere":
                far |= hit
            else:
                in_any |= hit
    if FAMILY_PLACE in table.columns:
        far |= generation_families(column("first_any"), column("last_key"),
                                   column(FAMILY_PLACE), suffix=sfx)
    if all(c in table.columns for c in ("dob", "addr_key")):
        in_any |= generational_addresses(column("first_any"), column("last_key"),
                                         column("dob"), column("addr_key"), suffix=sfx)
    bare = namesake_bare(table)
    return group, in_any & bare, far & ~in_any & bare


def generation_risk(table: RecordTable, labels: np.ndarray, far: np.ndarray) -> np.ndarray:
    """Per record of ``far`` (a bare namesake of a Jr or Sr seen elsewhere) that joined a
    cluster: could that cluster be one of the men of a Jr/Sr family of its name?

    Yes when the cluster holds a generation suffix, or when a family of the name (one
    ZIP area where the name carries two different suffixes) has a man whose birth years
    are within :data:`YEAR_TOLERANCE` of the cluster's, or either's years are unknown,
    and whose full DOBs or SSN last-4s do not say he is someone else.  A man born in
    another generation than both, or on another day, is not that family's."""
    n = len(table)
    out = np.zeros(n, dtype=bool)
    sfx = table.codes("suffix")
    bearer = sfx >= 0
    candidates = far & (np.bincount(labels, minlength=n)[labels] > 1)
    if not candidates.any() or not bearer.any():
        return out
    suffixed = np.zeros(n, dtype=bool)         # per cluster label: carries a suffix
    suffixed[labels[bearer]] = True
    out |= candidates & suffixed[labels]
    year = np.asarray(table.column("dob_year"), dtype=np.int64)
    has = year > 0
    lo = np.full(n, 1 << 30, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    np.minimum.at(lo, labels[has], year[has])
    np.maximum.at(hi, labels[has], year[has])
    first, last = table.codes("first_any"), table.codes("last_key")
    middle = table.codes("middle_initial") if "middle_initial" in table.columns \
        else np.full(n, -1, dtype=np.int64)
    # The family's men: its records in clusters carrying a suffix, or at its house.
    family = generation_families(first, last, table.codes(FAMILY_PLACE), suffix=sfx) \
        & ~namesake_bare(table) \
        & (suffixed[labels] | generation_families(first, last, table.codes("addr_key"),
                                                  suffix=sfx))
    men_lo, men_hi = _generation_years(table, labels, family, lo, hi)
    men: dict[tuple[int, int], set[tuple[int, int, int, int]]] = {}
    for k in np.flatnonzero(family).tolist():
        c = labels[k]
        men.setdefault((int(first[k]), int(last[k])), set()).add(
            (int(middle[k]), int(men_lo[c]), int(men_hi[c]), int(c)))
    pending = np.flatnonzero(candidates & ~out)
    wanted = np.unique(np.concatenate([labels[family], labels[pending]]))
    known = _cluster_identifiers(table, labels, wanted)
    for k in pending.tolist():
        c, mk = labels[k], int(middle[k])
        for m, men_lo, men_hi, men_c in men.get((int(first[k]), int(last[k])), ()):
            if m >= 0 and mk >= 0 and m != mk:
                continue
            if _other_man(known.get(int(c)), known.get(men_c)):
                continue
            if hi[c] < 0 or men_hi < 0 or (lo[c] - YEAR_TOLERANCE <= men_hi
                                           and men_lo <= hi[c] + YEAR_TOLERANCE):
                out[k] = True
                break
    return out


#: A Sr is at least, and at most, this many years older than his Jr.
GENERATION_GAP = (15, 50)


def _generation_years(table: RecordTable, labels: np.ndarray, family: np.ndarray,
                      lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Birth-year spans per cluster (``lo``/``hi``, -1 unknown), those of a family's Jr
    or Sr of unknown birth filled in from the other man's: a Sr born in 1950 has a Jr
    born between 1965 and 2000 (:data:`GENERATION_GAP`)."""
    codes, values = table.coded("suffix")
    index = {v: i for i, v in enumerate(values)}
    n = len(table)
    role = {}
    for name in ("JR", "SR"):
        flag = np.zeros(n, dtype=bool)
        if name in index:
            flag[labels[codes == index[name]]] = True
        role[name] = flag
    place = dense_key(table.codes("first_any"), table.codes("last_key"),
                      table.codes(FAMILY_PLACE))
    spans: dict[tuple[int, str], tuple[int, int]] = {}
    members = np.flatnonzero(family).tolist()
    for k in members:
        c = labels[k]
        for name, flag in role.items():
            if hi[c] >= 0 and flag[c]:
                a, b = spans.get((int(place[k]), name), (lo[c], hi[c]))
                spans[(int(place[k]), name)] = (min(a, lo[c]), max(b, hi[c]))
    lo, hi = lo.copy(), hi.copy()
    young, old = GENERATION_GAP
    for k in members:
        c = labels[k]
        if hi[c] >= 0 or role["JR"][c] == role["SR"][c]:
            continue
        if role["SR"][c] and (int(place[k]), "JR") in spans:
            a, b = spans[(int(place[k]), "JR")]
            lo[c], hi[c] = a - old, b - young
        elif role["JR"][c] and (int(place[k]), "SR") in spans:
            a, b = spans[(int(place[k]), "SR")]
            lo[c], hi[c] = a + young, b + old
    return lo, hi


def torn_from_family(table: RecordTable, labels: np.ndarray, family: np.ndarray,
                     left: np.ndarray, right: np.ndarray, probable: np.ndarray) -> np.ndarray:
    """Records with a bare birth year (no full DOB, no SSN last-4) that a probable
    pair ties to a Jr/Sr family man's cluster (``family``) while they sit in another
    cluster whose DOBs or SSN last-4s say it is another man: the record may be the
    family man's, so it is as ambiguous as a seam record."""
    n = len(table)
    out = np.zeros(n, dtype=bool)
    in_family = np.isin(labels, family)
    a, b = left[probable], right[probable]
    a_out, b_out = in_family[b] & ~in_family[a], in_family[a] & ~in_family[b]
    record = np.concatenate([a[a_out], b[b_out]])       # outside, tied to a family man
    man = np.concatenate([labels[b[a_out]], labels[a[b_out]]])
    weak = (table.codes("ssn_last4") < 0) & (table.codes("dob") < 0) \
        & (table.codes("dob_year") >= 0)                               # a bare year
    joined = np.bincount(labels, minlength=n)[labels] > 1
    keep = weak[record] & joined[record]
    record, man = record[keep], man[keep]
    if not len(record):
        return out
    known = _cluster_identifiers(table, labels, np.unique(np.concatenate([labels[record], man])))
    for r, f in zip(record.tolist(), man.tolist()):
        if _other_man(known.get(int(labels[r])), known.get(int(f))):
            out[r] = True
    return out


def _cluster_identifiers(table: RecordTable, labels: np.ndarray, wanted: np.ndarray
                         ) -> dict[int, tuple[frozenset, frozenset]]:
    """(full DOBs, SSN last-4 codes) of each cluster in ``wanted``."""
    dob = table.column("dob")
    ssn = table.codes("ssn_last4")
    sets: dict[int, tuple[set, set]] = {}
    for k in np.flatnonzero(np.isin(labels, wanted)).tolist():
        dobs, ssns = sets.setdefault(int(labels[k]), (set(), set()))
        if dob[k]:
            dobs.add(dob[k])
        if ssn[k] >= 0:
            ssns.add(int(ssn[k]))
    return {c: (frozenset(d), frozenset(s)) for c, (d, s) in sets.items()}


def _other_man(a, b) -> bool:
    """Do two clusters' identifiers say they are two men: full DOBs that all conflict,
    or SSN last-4s that share none?"""
    if a is None or b is None:
        return False
    (dobs_a, ssns_a), (dobs_b, ssns_b) = a, b
    if dobs_a and dobs_b and all(iso_dobs_conflict(x, y) for x in dobs_a for y in dobs_b):
        return True
    return bool(ssns_a and ssns_b and not ssns_a & ssns_b)


def namesake_bare(table: RecordTable) -> np.ndarray:
    """Records with no DOB (not even a year), SSN last-4 or suffix."""
    return ((table.codes("dob_year") < 0) & (table.codes("ssn_last4") < 0)
            & (table.codes("suffix") < 0))


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


def resolve_table(table: RecordTable, config: ResolveConfig, *, model: MatchModel | None = None,
                  progress: Progress | None = None,
                  frequencies: Mapping[str, Any] | None = None) -> Resolution:
    """Resolve a table built in input order; see :func:`resolve_rows`."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now
        if progress:
            progress(name, 1, 1)

    order = table.canonical_order()
    table = table.take(order)
    extra = dict(table.extra_kinds)
    if model is not None:
        rules = [BlockingRule.from_dict(r) for r in model.settings.get("blocking_rules", [])] \
            or rules_for_table(table, extra)
    else:
        rules = rules_for_table(table, extra)
    rules = [r for r in rules if all(c in table.columns for c in r.columns)]
    rule_codes: list[np.ndarray] = []
    left, right, report = candidate_pairs(table, rules, max_block=config.max_block,
                                          link=config.link, rule_codes=rule_codes)
    step("block")
    comparisons = tuple(model.comparisons) if model is not None \
        else tuple(comparisons_for(table, extra, config.extra_groups))
    gammas = pair_levels(comparisons, table, left, right)
    step("compare")
    if model is None:
        n = len(table)
        union_codes = left * n + right
        m_defaults = dict(default_model().m)
        for column, kind in extra.items():
            m_defaults[column] = dict(EXTRA_DEFAULT_M[kind])
        for comp in comparisons:
            for lvl in comp.levels:
                if lvl.kind == "crossed":
                    m_defaults[comp.name][lvl.label] = CROSSED_DEFAULT_M
        model = train_model(table, comparisons, rules, rule_codes, union_codes, gammas,
                            link=config.link, m_defaults=m_defaults,
                            settings={"link_threshold": config.threshold,
                                      "bridge_strength": config.bridge_strength,
                                      "max_block": config.max_block,
                                      "extra_kinds": extra,
                                      "extra_groups": [list(g) for g in config.extra_groups],
                                      "link": config.link})
        step("train")
    tf = term_weights(model, table, left, right, gammas, frequencies)
    tf_total = sum(tf.values()) if tf else None
    weight, probability = model.score_gammas(gammas, tf_total)
    allowed, evidence, tolerance = pair_guard(model, gammas, weight)
    step("score")
    cluster_report: dict[str, int] = {}
    # Namesakes (a Jr and a Sr at one address): their records join only records that
    # share a DOB, SSN last-4, suffix, email or mobile with them; those with none join
    # nothing.
    group, isolated, far = namesakes(table)
    in_group = group >= 0
    # A bare record that an address namesake's record matches strongly, though a typo in
    # the name or the ZIP keeps it out of the namesake keys, is as ambiguous as those the
    # keys find (two such records at a Jr and Sr house could be the two men's).
    bare = namesake_bare(table)
    strong = evidence & (probability >= config.threshold)
    sl, sr = left[strong], right[strong]
    touched = np.zeros(len(table), dtype=bool)
    touched[sr[in_group[sl] & bare[sr] & ~in_group[sr]]] = True
    touched[sl[in_group[sr] & bare[sl] & ~in_group[sl]]] = True
    isolated = isolated | (touched & ~far)
    allowed &= ~((in_group[left] | in_group[right]) & ~share_identifier(table, left, right))
    # A bare namesake that has an email or a mobile number (one person's; a shared house
    # or landline is the family's) joins through them only, instead of nothing.  A
    # namesake of a Jr or Sr seen only elsewhere (same first name, middle initial and
    # surname), or of a Jr and a Sr in its ZIP area, joins through them too, or a record with a DOB or SSN last-4 and no
    # suffix, unless that man could be one of a Jr/Sr family's (second pass below).
    personal = np.zeros(len(table), dtype=bool)
    for column in PERSONAL_CONTACTS:
        if column in table.columns:
            personal |= table.codes(column) >= 0
    through_contact = isolated & personal
    isolated = isolated & ~personal
    contact = share_identifier(table, left, right, PERSONAL_CONTACTS)
    if through_contact.any():
        allowed &= ~((through_contact[left] | through_contact[right]) & ~contact)
    if far.any():
        identified = ~bare & (table.codes("suffix") < 0)      # a DOB or SSN last-4
        allowed &= ~((far[left] & ~identified[right] | far[right] & ~identified[left])
                     & ~contact)

    identifier = full_identifiers(table)

    def clusters(isolated: np.ndarray) -> np.ndarray:
        return cluster_pairs(len(table), left[evidence], right[evidence], probability[evidence],
                             dob=table.column("dob"), ssn_last4=table.column("ssn_last4"),
                             suffix=table.column("suffix"), tolerance=tolerance[evidence],
                             allowed=allowed[evidence], dob_year=table.column("dob_year"),
                             identifier=identifier,
                             isolated=isolated, link_threshold=config.threshold,
                             bridge_strength=config.bridge_strength, report=cluster_report)

    labels = clusters(isolated)
    # A record with no hard identifier that reached, through others, a cluster holding a
    # namesake (a member of a Jr/Sr family) could be the other namesake's: left alone.
    again = False
    family = np.unique(labels[in_group])
    if in_group.any():
        # ... or reached a cluster that a refused but probable pair of identified
        # records (an SSN last-4 and the name) ties to such a cluster: that cluster may
        # be one of the men.
        tied = evidence & ~allowed & (probability >= TIE_PROBABILITY) & ~bare[left] \
            & ~bare[right]
        tl, tr = labels[left[tied]], labels[right[tied]]
        family = np.union1d(family, np.concatenate([tr[np.isin(tl, family)],
                                                    tl[np.isin(tr, family)]]))
        suspect = bare & ~isolated & ~through_contact & ~far & np.isin(labels, family)
        # A record with a bare year, probably a family man's, in another man's cluster.
        suspect |= torn_from_family(table, labels, np.unique(labels[in_group]), left, right,
                                    evidence & (probability >= TIE_PROBABILITY)) & ~isolated
        if suspect.any():
            isolated = isolated | suspect
            again = True
    if far.any():
        # ... a cluster that is, or may be, a Jr/Sr family man's (as above) is one too
        far_suspect = far & (generation_risk(table, labels, far) | np.isin(labels, family))
        if far_suspect.any():
            allowed &= ~((far_suspect[left] | far_suspect[right]) & ~contact)
            again = True
    if again:
        labels = clusters(isolated)
    step("cluster")
    return Resolution(table, order, left, right, gammas, tf, weight, probability, labels,
                      model, report, timings, config.link,
                      ambiguous=cluster_report.get("ambiguous", 0),
                      isolated=cluster_report.get("isolated", 0))


def resolve_rows(rows: Sequence[Mapping[str, Any]], config: ResolveConfig | None = None, *,
                 other: Sequence[Mapping[str, Any]] | None = None,
                 model: MatchModel | None = None, progress: Progress | None = None
                 ) -> Resolution:
    """Deduplicate ``rows`` (or link them to ``other``): FORMATS.md §2 dictionaries with
    a unique ``record_id`` within each file."""
    config = config or ResolveConfig()
    if other is not None:
        config.link = True
    files = [rows] if other is None else [rows, other]
    all_rows: list[Mapping[str, Any]] = []
    file_of: list[int] = []
    for number, part in enumerate(files):
        seen: set[str] = set()
        for row in part:
            rid = str(row.get("record_id") or "").strip()
            if not rid:
                raise InputError(f"a row of file {number + 1} has no record_id")
            if rid in seen:
                raise InputError(f"record_id {rid!r} appears twice in file {number + 1}")
            seen.add(rid)
        all_rows.extend(part)
        file_of.extend([number] * len(part))
    extra = dict(config.extra_kinds)
    if model is not None:
        extra = {**model.settings.get("extra_kinds", {}), **extra}
    table = RecordTable.from_rows(
        all_rows, file=file_of, extra_kinds=extra, workers=config.workers,
        progress=(lambda done: progress("normalize", done, len(all_rows))) if progress else None)
    return resolve_table(table, config, model=model, progress=progress)
