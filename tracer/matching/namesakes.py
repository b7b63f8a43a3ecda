"""Namesakes: a Jr and a Sr (or any two men of one name) whose records must not mix.

A bare record (no DOB, SSN last-4 or suffix) at a house where two men of its name lived
could be either's; one whose name a suffix bearer carries elsewhere may be that man's
or his father's.  :func:`namesakes` finds them with numpy group-bys over the coded
columns, and :func:`cluster_with_namesakes` clusters with their joins restricted: they
join only through a shared DOB, SSN last-4, suffix, email or mobile, or not at all, and a
second pass leaves out those that reached a Jr/Sr family's cluster anyway.

    labels = cluster_with_namesakes(table, left, right, probability, allowed, evidence,
                                    tolerance, threshold=0.9, bridge_strength=0.0)
"""

from __future__ import annotations

import numpy as np

from .clustering import (YEAR_TOLERANCE, cluster_pairs, dense_key, generation_families,
                         generational_addresses, iso_dobs_conflict, namesake_groups,
                         suffix_namesakes)
from .guards import PERSONAL_CONTACTS, full_identifiers, share_identifier
from .table import RecordTable


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


def cluster_with_namesakes(table: RecordTable, left: np.ndarray, right: np.ndarray,
                           probability: np.ndarray, allowed: np.ndarray, evidence: np.ndarray,
                           tolerance: np.ndarray, *, threshold: float,
                           bridge_strength: float, report: dict | None = None,
                           cluster=cluster_pairs) -> np.ndarray:
    """Cluster labels (:func:`.clustering.cluster_pairs`) with the namesake rules: the
    pairs ``allowed`` by the pair guard, restricted further around namesakes, and
    ``evidence`` pairs for ambiguity.  ``allowed`` is not changed.  ``cluster`` (the
    signature of :func:`.clustering.cluster_pairs`) clusters the pairs: another backend
    (Spark) passes one that runs it per connected component where the pairs are."""
    allowed = allowed.copy()
    # Namesakes (a Jr and a Sr at one address): their records join only records that
    # share a DOB, SSN last-4, suffix, email or mobile with them; those with none join
    # nothing.
    group, isolated, far = namesakes(table)
    in_group = group >= 0
    # A bare record that an address namesake's record matches strongly, though a typo in
    # the name or the ZIP keeps it out of the namesake keys, is as ambiguous as those the
    # keys find (two such records at a Jr and Sr house could be the two men's).
    bare = namesake_bare(table)
    strong = evidence & (probability >= threshold)
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
    codes = {name: table.codes(name) for name in ("dob", "ssn_last4", "suffix")}

    def clusters(isolated: np.ndarray) -> np.ndarray:
        return cluster(len(table), left[evidence], right[evidence], probability[evidence],
                             dob=table.column("dob"), ssn_last4=table.column("ssn_last4"),
                             suffix=table.column("suffix"), tolerance=tolerance[evidence],
                             allowed=allowed[evidence], dob_year=table.column("dob_year"),
                             identifier=identifier,
                             isolated=isolated, link_threshold=threshold,
                             bridge_strength=bridge_strength, report=report,
                             codes=codes)

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
    return labels
