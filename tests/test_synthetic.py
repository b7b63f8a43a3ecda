"""Tests for tracer_dev.synthetic: contracts, fictional-data guarantees, world model, demo."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date

import pytest

from tracer_dev import synthetic as syn
from tracer_dev.synthetic import (
    PORTFOLIO_COLUMNS, RECORD_COLUMNS, SOURCE_NAMES, demo_world, generate_world,
    iter_people_records, write_csv,
)

SPEC_PORTFOLIO = [
    "account_id", "first_name", "last_name", "middle_name", "suffix", "dob", "ssn",
    "street", "unit", "city", "state", "zip", "phone", "email", "employer", "balance",
    "status", "flags", "assigned_to", "debt_origin", "last_activity",
]
SPEC_RECORD = [
    "record_id", "first_name", "middle_name", "last_name", "suffix", "full_name", "dob",
    "ssn_last4", "street", "unit", "city", "state", "zip", "phone", "phone_type", "email",
    "employer", "first_seen", "last_seen", "event", "event_date",
]
FLAGS = {"bankruptcy", "deceased", "cease_communication", "attorney_represented",
         "disputed", "military", "litigious"}
PHONE_RE = re.compile(r"^(\(\d{3}\) |\d{3}-)555-01\d\d$")
EMAIL_RE = re.compile(r"^[a-z0-9.]+@example\.(com|org|net)$")
SSN_RE = re.compile(r"^9\d\d-\d\d-\d{4}$")
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\d$")


@pytest.fixture(scope="module")
def world():
    return generate_world(600, seed=11)


@pytest.fixture(scope="module")
def records(world):
    return list(world.record_rows())


@pytest.fixture(scope="module")
def accounts(world):
    return list(world.account_rows())


def _write_all(w, d):
    write_csv(d / "accounts.csv", w.account_rows(), PORTFOLIO_COLUMNS)
    write_csv(d / "records.csv", w.record_rows(), RECORD_COLUMNS)
    return (d / "accounts.csv").read_bytes(), (d / "records.csv").read_bytes()


# -- contracts ---------------------------------------------------------------------------


def test_columns_exactly_as_specified(records, accounts, tmp_path):
    assert list(PORTFOLIO_COLUMNS) == SPEC_PORTFOLIO
    assert list(RECORD_COLUMNS) == SPEC_RECORD
    assert all(list(r) == SPEC_RECORD for r in records)
    assert all(list(a) == SPEC_PORTFOLIO for a in accounts)
    n = write_csv(tmp_path / "sub" / "r.csv", records[:50], RECORD_COLUMNS)
    assert n == 50
    with open(tmp_path / "sub" / "r.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == SPEC_RECORD and len(rows) == 51


def test_record_columns_match_models_if_present():
    models = pytest.importorskip("tracer.models")
    fields = getattr(models, "RECORD_FIELDS", None)
    if fields is None:
        pytest.skip("tracer.models has no RECORD_FIELDS")
    assert tuple(fields) == RECORD_COLUMNS


def test_same_seed_byte_identical_other_seed_differs(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
    a = _write_all(generate_world(200, seed=5), tmp_path / "a")
    b = _write_all(generate_world(200, seed=5), tmp_path / "b")
    c = _write_all(generate_world(200, seed=6), tmp_path / "c")
    assert a == b
    assert a != c
    s1 = [r for r, _ in iter_people_records(500, seed=9)]
    s2 = [r for r, _ in iter_people_records(500, seed=9)]
    assert s1 == s2


def test_unknown_rate_is_rejected():
    with pytest.raises(TypeError):
        generate_world(5, typo_rat=0.1)


def test_exact_people_count_and_unique_ids(world, records):
    assert len(world.people) == 600
    assert len({p.person_id for p in world.people}) == 600
    ids = [r["record_id"] for r in records]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"R\d{7}", i) for i in ids)


def test_truth_covers_every_record_and_account(world, records, accounts):
    truth = world.record_truth()
    assert set(truth) == {r["record_id"] for r in records}
    people = {p.person_id for p in world.people}
    assert set(truth.values()) <= people
    sources = world.record_sources()
    assert set(sources) == set(truth) and set(sources.values()) <= set(SOURCE_NAMES)
    assert set(sources.values()) == set(SOURCE_NAMES)
    at = world.account_truth()
    assert [a["account_id"] for a in accounts] == list(at)
    assert set(at.values()) <= people
    assert len(accounts) == round(0.3 * 600)
    assert len(list(world.account_rows(10))) == 10
    assert list(world.account_rows(10))[0] == accounts[0]     # stable prefix


# -- fictional-data guarantees ------------------------------------------------------------


def test_every_ssn_starts_with_9(world, records, accounts):
    assert all(SSN_RE.match(p.ssn) for p in world.people)
    assert len({p.ssn for p in world.people}) == len(world.people)
    masked = 0
    for a in accounts:
        if a["ssn"].startswith("XXX"):
            masked += 1
            assert re.fullmatch(r"XXX-XX-\d{4}", a["ssn"])
        else:
            assert a["ssn"] == "" or SSN_RE.match(a["ssn"])
    assert masked > 0
    truth = world.record_truth()
    for r in records:
        if r["ssn_last4"]:
            assert world.person(truth[r["record_id"]]).ssn.endswith(r["ssn_last4"])


def test_every_phone_is_555_01xx(world, records, accounts):
    phones = [r["phone"] for r in records if r["phone"]]
    phones += [a["phone"] for a in accounts if a["phone"]]
    phones += [ph.number for p in world.people for ph in p.phones]
    assert phones
    for ph in phones:
        assert PHONE_RE.match(ph), ph
        assert re.search(r"555-01\d\d", ph)
    assert {r["phone_type"] for r in records} <= {"", "mobile", "landline"}


def test_emails_on_example_domains(world, records, accounts):
    emails = [e for p in world.people for e in p.emails]
    emails += [r["email"] for r in records if r["email"]]
    emails += [a["email"] for a in accounts if a["email"]]
    assert emails
    assert all(EMAIL_RE.match(e) for e in emails)
    person_emails = [e for p in world.people for e in p.emails]
    assert len(person_emails) == len(set(person_emails))


def test_employers_are_from_fake_table(records, accounts):
    used = {r["employer"] for r in records} | {a["employer"] for a in accounts}
    assert used - {""} and used - {""} <= set(syn._EMPLOYERS)


# -- record shapes and noise --------------------------------------------------------------


def test_record_field_shapes(world, records):
    truth = world.record_truth()
    for r in records:
        assert ISO_RE.match(r["first_seen"]) and ISO_RE.match(r["last_seen"])
        assert r["first_seen"] <= r["last_seen"]
        assert r["dob"] == "" or ISO_RE.match(r["dob"]) or re.fullmatch(r"\d{4}", r["dob"])
        assert r["ssn_last4"] == "" or re.fullmatch(r"\d{4}", r["ssn_last4"])
        assert re.fullmatch(r"\d{5}", r["zip"])
        assert r["full_name"] == "" or (not r["first_name"] and not r["last_name"])
        assert r["full_name"] or r["first_name"]
        # observation window lies inside the person's address history
        p = world.person(truth[r["record_id"]])
        lo = p.addresses[0].start.isoformat()
        hi = (p.addresses[-1].end or world.as_of).isoformat()
        assert lo <= r["first_seen"] and r["last_seen"] <= hi
        assert (r["event"] == "") == (r["event_date"] == "")


def test_sources_have_their_shapes(world, records):
    by_src = defaultdict(list)
    sources = world.record_sources()
    for r in records:
        by_src[sources[r["record_id"]]].append(r)
    assert all(r["full_name"] and not r["phone"] for r in by_src["county_assessor"])
    util = by_src["utility_connect"]
    assert all(r["event"] == "utility_connect" and r["event_date"] == r["first_seen"] for r in util)
    assert sum(bool(r["phone"]) for r in util) > 0.9 * len(util)
    court = by_src["court_index"]
    assert all(r["full_name"] and r["event"] in ("judgment", "bankruptcy", "deceased")
               for r in court)
    assert any(re.fullmatch(r"\d{4}", r["dob"]) for r in court)
    full = [r["full_name"] for r in records if r["full_name"]]
    assert all(re.fullmatch(r"[A-Z' -]+, [A-Z]+( [A-Z])?( (JR|SR|II|III))?", f) for f in full)
    assert any(re.search(r", [A-Z]+ [A-Z] (JR|SR)$", f) for f in full)   # "SMITH, JOHN A JR"


def test_noise_is_present_at_sensible_rates(world, records):
    truth = world.record_truth()
    n = len(records)
    nick = typo_first = missing_ssn = 0
    for r in records:
        p = world.person(truth[r["record_id"]])
        if r["first_name"]:
            f = r["first_name"].upper()
            if f in syn.NICKNAMES.get(p.first, ()):
                nick += 1
            elif f != p.first:
                typo_first += 1
        if not r["ssn_last4"]:
            missing_ssn += 1
    assert 0.02 < nick / n < 0.25
    assert 0 < typo_first / n < 0.15
    assert missing_ssn / n > 0.3
    assert any(r["full_name"] for r in records)
    assert any(re.fullmatch(r"\d{4}", r["dob"]) for r in records)
    assert 0.05 < sum(not r["dob"] for r in records) / n < 0.8
    assert {r["event"] for r in records} >= {"utility_connect", "judgment", "bankruptcy"}


def test_common_names_are_shared(world):
    names = Counter((p.first, p.last) for p in world.people)
    surnames = Counter(p.last for p in world.people)
    assert surnames.most_common(1)[0][1] >= 8          # SMITH & co. dominate
    assert sum(1 for c in names.values() if c > 1) >= 3  # distinct people, same name


# -- world model --------------------------------------------------------------------------


def test_jr_sr_pairs(world, records):
    pairs = world.jr_sr_pairs()
    assert pairs
    for sr, jr in pairs:
        assert (sr.suffix, jr.suffix) == ("SR", "JR")
        assert (sr.first, sr.middle, sr.last) == (jr.first, jr.middle, jr.last)
        assert sr.current.address == jr.current.address
        assert sr.dob != jr.dob and (jr.dob - sr.dob).days > 20 * 365
        assert sr.ssn != jr.ssn and sr.person_id != jr.person_id
        assert sr.household_id == jr.household_id
    juniors = {jr.person_id for _, jr in pairs}
    truth = world.record_truth()
    jr_rows = [r for r in records if truth[r["record_id"]] in juniors]
    assert any(r["first_name"] and not r["suffix"] for r in jr_rows)   # suffix dropped


def test_a_jr_who_leaves_home_lives_at_his_own_addresses_after():
    """``jr_leaves_home_rate`` (opt-in; the default world keeps every Jr at each of his
    Sr's addresses): a son who left (at 20-30) lives only at addresses his father never
    had after the day he left, and until then only at his father's."""
    world = generate_world(600, seed=5, jr_sr_rate=0.5, jr_leaves_home_rate=1.0,
                           new_occupant_rate=0.0)
    left = 0
    for sr, jr in world.jr_sr_pairs():
        fathers = {a.address for a in sr.addresses}
        own = [a for a in jr.addresses if a.address not in fathers]
        shared = [a for a in jr.addresses if a.address in fathers]
        if not own:                                     # too young to have left yet
            assert (world.as_of - jr.dob).days < 32 * 366, jr.person_id
            continue
        if shared:
            left += 1
            assert max(a.end for a in shared) <= min(a.start for a in own)
        assert sr.current.address != jr.current.address
    assert left >= 5          # some left inside the 15-year window: shared, then own


def test_households_share_last_name_address_and_landline(world):
    hh = [m for m in world.households().values()     # a death ends the shared history
          if not any(p.suffix in ("SR", "JR") or p.deceased for p in m)]
    assert len(hh) >= 10
    for a, b in hh:
        assert len({a.household_id, b.household_id}) == 1
        assert a.last == b.last and a.first != b.first and a.dob != b.dob
        assert a.current.address == b.current.address
        land_a = {ph.number for ph in a.phones if ph.phone_type == "landline"}
        land_b = {ph.number for ph in b.phones if ph.phone_type == "landline"}
        assert land_a & land_b


def test_moves_new_occupants_and_reassigned_phones(world):
    assert Counter(len(p.addresses) for p in world.people).keys() >= {1, 2, 3}
    assert all(1 <= len(p.addresses) <= 4 and 1 <= len(p.phones) <= 3 for p in world.people)
    assert all(len(p.emails) <= 2 for p in world.people)
    occupants = defaultdict(list)
    numbers = defaultdict(list)
    for p in world.people:
        for a in p.addresses:
            occupants[a.address].append((p, a))
        for ph in p.phones:
            numbers[ph.number].append((p, ph))
    # someone moved into an address another (unrelated) person had left earlier
    assert any(x.household_id == "" or x.household_id != y.household_id
               for occ in occupants.values() for (x, pa) in occ for (y, pb) in occ
               if x is not y and pa.end is not None and pa.end <= pb.start)
    # a number someone dropped shows up later for another person
    assert any(x is not y and not (x.household_id and x.household_id == y.household_id)
               and pa.end is not None and pa.end <= pb.start
               for uses in numbers.values() for (x, pa) in uses for (y, pb) in uses)


def test_people_spread_over_each_citys_zip_area(world):
    """ZIPs stay inside the city's real three-digit area; moves across town change ZIP
    about as often as not, so namesakes sharing a ZIP do not grow with the stream."""
    by_city = defaultdict(set)
    same_city = other_zip = 0
    for p in world.people:
        for a in p.addresses:
            assert a.address.zip in syn._CITY_ZIPS[(a.address.city, a.address.state)]
            by_city[a.address.city, a.address.state].add(a.address.zip)
        for old, new in zip(p.addresses, p.addresses[1:]):
            if (old.address.city, old.address.state) == (new.address.city, new.address.state):
                same_city += 1
                other_zip += old.address.zip != new.address.zip
    assert max(len(z) for z in by_city.values()) > 5
    assert same_city and 0.3 < other_zip / same_city < 0.9


def test_events_and_deceased(world, records):
    kinds = Counter(k for p in world.people for k, _ in p.events)
    assert kinds["bankruptcy"] >= 5
    truth = world.record_truth()
    for p in world.people:
        d = p.deceased
        if d is not None:
            assert all(a.end is not None and a.end <= d for a in p.addresses)
    ev = [(r["event"], truth[r["record_id"]]) for r in records
          if r["event"] in ("bankruptcy", "deceased")]
    assert len(ev) == sum(kinds.values())


def test_accounts_carry_old_addresses_and_sane_values(world, accounts):
    truth = world.account_truth()
    moved = stale = 0
    for a in accounts:
        p = world.person(truth[a["account_id"]])
        assert (a["zip"], a["city"]) in {(x.address.zip, x.address.city) for x in p.addresses}
        if len(p.addresses) > 1:
            moved += 1
            stale += a["street"] != p.current.address.street
        assert set(filter(None, a["flags"].split(";"))) <= FLAGS
        assert re.fullmatch(r"\d+\.\d\d", a["balance"])
        assert a["dob"] == "" or a["dob"] == p.dob.isoformat()
        assert ISO_RE.match(a["last_activity"])
    assert moved and stale / moved > 0.7
    statuses = Counter(a["status"] for a in accounts)
    origins = Counter(a["debt_origin"] for a in accounts)
    assert statuses.most_common(1)[0][0] == "open" and statuses["open"] > 0.7 * len(accounts)
    assert origins.most_common(1)[0][0] == "consumer_credit"
    assert sum(1 for a in accounts if a["flags"]) < 0.3 * len(accounts)
    assert any(a["flags"] for a in accounts)


# -- streaming ----------------------------------------------------------------------------


def test_streaming_yields_requested_count():
    out = list(iter_people_records(3000, seed=3))
    assert len(out) == 3000
    assert len({r["record_id"] for r, _ in out}) == 3000
    assert all(list(r) == SPEC_RECORD for r, _ in out)
    per_person = Counter(pid for _, pid in out)
    assert 2.0 < 3000 / len(per_person) < 4.5
    trip = list(iter_people_records(50, seed=3, with_source=True, records_per_person=5))
    assert len(trip) == 50 and all(s in SOURCE_NAMES for _, _, s in trip)
    assert list(iter_people_records(0)) == []


# -- demo ---------------------------------------------------------------------------------


def test_demo_world_guarantees():
    w = demo_world()
    assert 50 <= len(w.people) <= 70
    accounts = {a["account_id"]: a for a in w.account_rows()}
    truth = w.account_truth()
    sources = w.record_sources()

    # DEMO-1001: moved; account has the old address; >= 2 sources show the new one later
    a = accounts["DEMO-1001"]
    p = w.person(truth["DEMO-1001"])
    assert len(p.addresses) >= 2
    new = p.current.address
    assert (a["street"], a["zip"]) != (new.street, new.zip)
    assert (a["street"], a["zip"]) in {(x.address.street, x.address.zip) for x in p.addresses[:-1]}
    rows = w.records_of(p.person_id)
    at_new = [r for r, _ in rows if (r["street"], r["zip"]) == (new.street, new.zip)]
    at_old = [r for r, _ in rows if (r["street"], r["zip"]) == (a["street"], a["zip"])]
    assert len({sources[r["record_id"]] for r in at_new}) >= 2
    assert at_old
    assert min(r["last_seen"] for r in at_new) > max(r["last_seen"] for r in at_old)
    assert a["phone"] and a["phone"] not in {ph.number for ph in p.phones if ph.end is None}
    assert not a["flags"]

    # DEMO-1002: flagged bankruptcy, backed by a court record
    b = accounts["DEMO-1002"]
    assert "bankruptcy" in b["flags"].split(";")
    q = w.person(truth["DEMO-1002"])
    assert any(r["event"] == "bankruptcy" and s == "court_index" for r, s in w.records_of(q.person_id))

    assert w.jr_sr_pairs() and w.households()
    # deterministic
    w2 = demo_world()
    assert list(w2.account_rows()) == list(accounts.values())
    assert list(w2.record_rows()) == list(w.record_rows())


def test_cli_writes_four_files(tmp_path):
    assert syn.main(["--people", "40", "--seed", "7", "--out", str(tmp_path)]) == 0
    names = {f.name for f in tmp_path.iterdir()}
    assert {"accounts.csv", "records.csv", "truth_records.csv", "truth_accounts.csv"} <= names
    with open(tmp_path / "records.csv", encoding="utf-8", newline="") as fh:
        recs = list(csv.DictReader(fh))
    with open(tmp_path / "truth_records.csv", encoding="utf-8", newline="") as fh:
        tr = list(csv.DictReader(fh))
    assert [r["record_id"] for r in recs] == [t["record_id"] for t in tr]
    with open(tmp_path / "truth_accounts.csv", encoding="utf-8", newline="") as fh:
        ta = list(csv.DictReader(fh))
    with open(tmp_path / "accounts.csv", encoding="utf-8", newline="") as fh:
        acc = list(csv.DictReader(fh))
    assert [a["account_id"] for a in acc] == [t["account_id"] for t in ta] and len(acc) == 12
    assert date.fromisoformat(acc[0]["last_activity"])
