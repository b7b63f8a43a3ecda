"""The portfolio world generator (tracer_dev.portfolio_world): deterministic, its truth
consistent with its own files, its outcomes following the truth, its schema the one
world-dev's score.py reads.

The checks read what was written (CSV and truth.json), through tracer's normalizers and,
when it is present, world-dev's own score.py: the generator's internals are not trusted.
"""

from __future__ import annotations

import csv
import filecmp
import importlib.util
import json
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import phonenumbers
import pytest
from rapidfuzz import fuzz
from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.matching.normalize import normalize_email, normalize_phone, parse_date
from tracer_dev import baselines, portfolio_world
from tracer_dev.campaign import allowed_outcomes
from tracer_dev.canon import street_key
from tracer_dev.people import AREA_CODES
from tracer_dev.portfolio_world import build_world, write_world
from tracer_dev.rates import WorldRates

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout (/work/main), or beside the worktrees' folder (/work/wt/x)
SCORE_PY = next((p / "shared" / "data" / "world-dev" / "score.py" for p in ROOT.parents
                 if (p / "shared" / "data" / "world-dev" / "score.py").exists()),
                ROOT.parent / "shared" / "data" / "world-dev" / "score.py")
AS_OF = date(2025, 6, 30)
ACCOUNT_KEYS = {"person_id", "must_refuse", "refuse_reasons", "scrub", "snapshot_date",
                "moved_since_snapshot", "current_address", "current_phones", "current_email",
                "locatable", "phone_findable", "email_findable", "dark", "flags", "status",
                "debt_origin"}
PERSON_KEYS = {"kind", "name", "dob", "died", "addresses", "phones", "emails"}
SOURCES = {"creditor_history", "phone_append", "utility_hookups", "assessor_rolls",
           "court_filings", "death_index"}


def _score_module():
    if not SCORE_PY.exists():
        return None
    spec = importlib.util.spec_from_file_location("world_dev_score", SCORE_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SCORE = _score_module()


def make(out: Path, seed: int = 1, accounts: int = 400, **rates) -> dict:
    r = WorldRates.with_overrides([f"{k}={v}" for k, v in rates.items()])
    return write_world(build_world(seed, accounts, AS_OF, r), out)


def rows_of(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def addr_of(row: dict) -> str | None:
    if not row.get("street"):
        return None
    unit = f" {row['unit']}" if row.get("unit") else ""
    return f"{row['street']}{unit}, {row.get('city', '')}, {row.get('state', '')} {row.get('zip', '')}"


def same_address(a: str | None, b: str | None) -> bool:
    """World-dev's judgement when score.py is at hand, else street key + ZIP."""
    if a is None or b is None:
        return False
    if SCORE is not None:
        return SCORE.same_address(SCORE.canon_address(a), SCORE.canon_address(b))
    sa, sb = a.split(","), b.split(",")
    return street_key(sa[0]) == street_key(sb[0]) and sa[-1].split()[-1][:5] == sb[-1].split()[-1][:5]


def day(text: str | None) -> int | None:
    return None if text is None else date.fromisoformat(text).toordinal()


def covers(start: str, end: str | None, on: int) -> bool:
    return day(start) <= on and (end is None or on < day(end))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    truth = make(out)
    records = {}
    for source in SOURCES:
        for row in rows_of(out / "input" / "sources" / f"{source}.csv"):
            records[row["record_id"]] = (source, row)
    return out, truth, records


def debtor_records(truth: dict, records: dict) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for source, recs in truth["records"].items():
        for rid, pid in recs.items():
            out[pid].append(records[rid][1])
    return out


# --------------------------------------------------------------------- determinism

def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    make(tmp_path / "a", seed=5, accounts=120)
    make(tmp_path / "b", seed=5, accounts=120)
    make(tmp_path / "c", seed=6, accounts=120)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 9                       # portfolio, 6 sources, outcomes, truth
    for rel in files:
        assert filecmp.cmp(tmp_path / "a" / rel, tmp_path / "b" / rel, shallow=False), rel
    assert not filecmp.cmp(tmp_path / "a" / "truth.json", tmp_path / "c" / "truth.json",
                           shallow=False)


# -------------------------------------------------------------------------- schema

def test_layout_and_truth_schema_are_world_devs(world):
    out, truth, _ = world
    assert set(truth) == {"meta", "accounts", "persons", "records"}
    assert truth["meta"]["now"] == "2025-06-30"
    assert set(truth["records"]) == SOURCES
    for a in truth["accounts"].values():
        assert set(a) == ACCOUNT_KEYS
        assert a["person_id"] in truth["persons"]
    for p in truth["persons"].values():
        assert set(p) == PERSON_KEYS
        assert all(len(x) == 3 for x in p["addresses"] + p["emails"])
        assert all(len(x) == 4 and x[1] in ("mobile", "landline") for x in p["phones"])
    portfolio = rows_of(out / "input" / "portfolio.csv")
    assert [r["account_id"] for r in portfolio] == list(truth["accounts"])
    outcomes = rows_of(out / "input" / "outcomes.csv")
    assert list(outcomes[0]) == ["account_id", "channel", "value", "outcome", "date", "user", "note"]
    headers = {s: list(rows_of(out / "input" / "sources" / f"{s}.csv")[0]) for s in SOURCES}
    assert len({tuple(h) for h in headers.values()}) == len(SOURCES)   # each its own columns
    for source, recs in truth["records"].items():
        assert len(recs) == len(rows_of(out / "input" / "sources" / f"{source}.csv"))


def test_everything_is_clearly_fictional(world):
    out, truth, records = world
    for p in truth["persons"].values():
        for number, *_ in p["phones"]:
            assert number[5:10] == "55501", number        # the fictional range (< 3,000 accounts)
        for mail, *_ in p["emails"]:
            assert mail.split("@")[1].endswith(("example.com", "example.net", "example.org"))
    for row in rows_of(out / "input" / "portfolio.csv"):
        assert not row["ssn"] or row["ssn"].startswith("9")
    for area in AREA_CODES:        # every number tracer may see parses as a valid US number
        n = phonenumbers.parse(f"+1{area}5550100")
        assert phonenumbers.is_valid_number(n) and phonenumbers.region_code_for_number(n) == "US"


# ------------------------------------------------------- truth against truth

@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), dark=st.sampled_from([0.0, 0.2, 1.0]),
       reassign=st.sampled_from([0.0, 0.7, 1.0]))
def test_lives_are_well_formed(tmp_path_factory, seed, dark, reassign):
    truth = make(tmp_path_factory.mktemp("w"), seed=seed, accounts=25, dark=dark,
                 reassign_mobile=reassign)
    persons = truth["persons"]
    holders = defaultdict(list)
    mailboxes = defaultdict(set)
    for pid, p in persons.items():
        spans = p["addresses"]
        assert spans, pid
        for (_a, s, e), nxt in zip(spans, spans[1:] + [None]):
            assert e is None or s < e
            assert nxt is None or (e is not None and e <= nxt[1]), (pid, spans)
        for number, _kind, s, e in p["phones"]:
            assert e is None or s < e
            holders[number].append((pid, s, e))
        for mail, s, e in p["emails"]:
            mailboxes[mail].add(pid)
        if p["died"]:
            assert all(e is not None and e <= p["died"] for _a, _s, e in spans)
    assert all(len(pids) == 1 for pids in mailboxes.values())
    for number, spans in holders.items():          # only a household shares a line
        for i, (p1, s1, e1) in enumerate(spans):
            for p2, s2, e2 in spans[i + 1:]:
                lo, hi = max(day(s1), day(s2)), min(day(e1) or 10**7, day(e2) or 10**7)
                if p1 != p2 and lo < hi:
                    a1 = {a for a, s, e in persons[p1]["addresses"] if covers(s, e, lo)}
                    a2 = {a for a, s, e in persons[p2]["addresses"] if covers(s, e, lo)}
                    assert a1 & a2, (number, p1, p2)
    now = date(2025, 6, 30).toordinal()
    for a in truth["accounts"].values():
        d = persons[a["person_id"]]
        assert d["kind"] == "debtor"
        current = [x for x, _s, e in d["addresses"] if e is None]
        assert a["current_address"] == (current[-1] if current else None)
        assert a["current_phones"] == sorted(n for n, _k, _s, e in d["phones"] if e is None)
        mails = [m for m, _s, e in d["emails"] if e is None]
        assert a["current_email"] == (mails[-1] if mails else None)
        if d["died"]:
            assert day(d["died"]) < now and a["current_address"] is None and not a["dark"]
        if a["dark"]:
            assert a["moved_since_snapshot"]
            assert not (a["locatable"] or a["phone_findable"] or a["email_findable"])
    allowed = [a for a in truth["accounts"].values() if not a["must_refuse"] and not a["scrub"]
               and not persons[a["person_id"]]["died"]]
    if dark == 1.0:
        assert all(a["dark"] for a in allowed)
    if dark == 0.0:
        assert not any(a["dark"] for a in allowed)
        assert all(a["locatable"] or a["phone_findable"] or a["email_findable"] for a in allowed)


# ------------------------------------------------------ truth against the files

def test_findability_is_what_the_debtors_records_carry(world):
    _out, truth, records = world
    by_pid = debtor_records(truth, records)
    for aid, a in truth["accounts"].items():
        mine = by_pid[a["person_id"]]
        phones = {normalize_phone(r.get("phone")).e164 for r in mine} - {None}
        mails = {normalize_email(r.get("email")).email for r in mine} - {None}
        located = any(same_address(addr_of(r), a["current_address"]) for r in mine)
        assert a["phone_findable"] == bool(phones & set(a["current_phones"])), aid
        assert a["email_findable"] == (a["current_email"] in mails), aid
        assert a["locatable"] == located, aid
        if a["dark"]:                # nothing current in any record of his, legible or not
            assert not phones & set(a["current_phones"]) and a["current_email"] not in mails
            assert not any(number_and_zip(addr_of(r)) == number_and_zip(a["current_address"])
                           for r in mine if r.get("street"))


def number_and_zip(line: str) -> tuple[str, str]:
    """House number and ZIP5: survives most typos elsewhere in the street line."""
    return line.split()[0], line.split()[-1][:5]


def test_portfolio_holds_the_snapshot_and_refusals_follow_it(world):
    out, truth, _ = world
    persons = truth["persons"]
    for row in rows_of(out / "input" / "portfolio.csv"):
        a = truth["accounts"][row["account_id"]]
        d = persons[a["person_id"]]
        snap = day(a["snapshot_date"])
        then = [x for x, s, e in d["addresses"] if covers(s, e, snap)]
        if not same_address(addr_of(row), then[-1]):      # a typo: still nearest of his
            printed = addr_of(row).upper()
            assert max((x for x, _s, _e in d["addresses"]),
                       key=lambda x: fuzz.ratio(x, printed)) == then[-1]
        if a["current_address"]:
            assert a["moved_since_snapshot"] == (then[-1] != a["current_address"])
        if row["phone"]:
            e164 = normalize_phone(row["phone"]).e164
            assert any(n == e164 and covers(s, e, snap) for n, _k, s, e in d["phones"])
        last = parse_date(row["last_activity"]).value.toordinal()
        assert snap < last < day(truth["meta"]["now"])
        flags = set(filter(None, row["flags"].split(";")))
        want = ({f"status_{row['status']}"} if row["status"] != "open" else set()) | \
            (flags & {"bankruptcy", "deceased", "cease_communication", "attorney_represented",
                      "disputed"}) | ({"involuntary_debt_fcra"} if row["debt_origin"] == "involuntary" else set())
        assert set(a["refuse_reasons"]) == want and a["must_refuse"] == bool(want)
        assert a["flags"] == [f for f in row["flags"].split(";") if f]


def test_scrub_accounts_are_public_events_the_creditor_did_not_flag(world):
    _out, truth, records = world
    events = defaultdict(set)
    for source in ("death_index", "court_filings"):
        for rid, pid in truth["records"][source].items():
            events[pid].add(records[rid][1]["event"])
    for a in truth["accounts"].values():
        ev = events[a["person_id"]] - set(a["flags"])
        expected = "deceased" if "deceased" in ev else "bankruptcy" if "bankruptcy" in ev else None
        died = truth["persons"][a["person_id"]]["died"]
        if expected == "deceased":
            assert died
        assert a["scrub"] == expected


def test_the_phenomena_are_in_the_files(world):
    _out, truth, records = world
    persons, accts = truth["persons"], truth["accounts"]
    now = day(truth["meta"]["now"])
    allowed = [a for a in accts.values() if not a["must_refuse"] and not a["scrub"]]
    assert 0.6 <= sum(a["moved_since_snapshot"] for a in allowed) / len(allowed) <= 0.95
    assert 0.12 <= sum(a["dark"] for a in allowed) / len(allowed) <= 0.28
    kinds = {k: sum(p["kind"] == k for p in persons.values()) for k in
             ("spouse", "alike", "occupant", "reassignee", "relative", "bystander")}
    assert all(n > 20 for n in kinds.values()), kinds
    assert any(p["kind"] in ("jr", "sr") for p in persons.values())
    debtors = {a["person_id"] for a in accts.values()}
    by_name = defaultdict(list)
    for pid, p in persons.items():
        by_name[(p["name"].split()[0], p["name"].split()[-1])].append(p)
    assert sum(p["kind"] == "alike" and any(q["dob"] == p["dob"] and q["kind"] == "debtor"
                                            for q in by_name[(p["name"].split()[0], p["name"].split()[-1])])
               for p in persons.values()) >= 3
    # a vendor row gives a debtor a number someone else holds now, dated after the handover
    holder_now = {n: pid for pid, p in persons.items() for n, _k, _s, e in p["phones"] if e is None}
    stale = 0
    for rid, pid in truth["records"]["phone_append"].items():
        row = records[rid][1]
        e164 = normalize_phone(row.get("phone")).e164
        other = holder_now.get(e164)
        if pid in debtors and other and other != pid and persons[other]["kind"] == "reassignee":
            handed = min(day(s) for n, _k, s, _e in persons[other]["phones"] if n == e164)
            stale += parse_date(row["last_seen"]).value.toordinal() > handed
    assert stale >= 10
    # fresh property rows at a house the debtor owns but left
    fresh = 0
    for rid, pid in truth["records"]["assessor_rolls"].items():
        row = records[rid][1]
        if pid in debtors and now - parse_date(row["last_seen"]).value.toordinal() < 365:
            cur = next(a["current_address"] for a in accts.values() if a["person_id"] == pid)
            fresh += not same_address(addr_of(row), cur)
    assert fresh >= 3
    # a death index entry under a debtor's name that is not the debtor
    names = {(persons[p]["name"].split()[0].upper(), persons[p]["name"].split()[-1].upper())
             for p in debtors}
    assert any(records[rid][1]["last_name"] in {n[1] for n in names} and pid not in debtors
               for rid, pid in truth["records"]["death_index"].items())


# ---------------------------------------------------------------------- outcomes

def addr_key(line: str):
    if SCORE is not None:
        return SCORE.addr_key(SCORE.canon_address(line))
    return street_key(line.split(",")[0]), line.split()[-1][:5]


def holdings(truth: dict) -> dict:
    """(channel, key) -> [(pid, start, end)] over every person of the world."""
    index = defaultdict(list)
    for pid, p in truth["persons"].items():
        for n, _k, s, e in p["phones"]:
            index[("phone", n)].append((pid, s, e))
        for m, s, e in p["emails"]:
            index[("email", m)].append((pid, s, e))
        for x, s, e in p["addresses"]:
            index[("address", addr_key(x))].append((pid, s, e))
    return index


def classify(truth: dict, index: dict, row: dict) -> set:
    """The outcomes truth permits for this attempt on its day."""
    pid = truth["accounts"][row["account_id"]]["person_id"]
    on = date.fromisoformat(row["date"][:10]).toordinal()
    channel, value = row["channel"], row["value"]
    key = (normalize_phone(value).e164 if channel == "phone" else
           value.lower() if channel == "email" else addr_key(value))
    spans = index.get((channel, key), [])
    holds = any(q == pid and covers(s, e, on) for q, s, e in spans)
    other = any(q != pid and covers(s, e, on) for q, s, e in spans)
    was = any(q == pid and e is not None and day(e) <= on for q, s, e in spans)
    return allowed_outcomes(channel, holds, other, was)


@pytest.mark.parametrize("noise", [0.0, 0.03])
def test_outcomes_follow_the_truth_up_to_the_noise(tmp_path, noise):
    truth = make(tmp_path, seed=11, accounts=250, outcome_noise=noise)
    rows = rows_of(tmp_path / "input" / "outcomes.csv")
    now = day(truth["meta"]["now"])
    assert 0.22 <= len({r["account_id"] for r in rows}) / 250 <= 0.45
    assert {r["channel"] for r in rows} == {"phone", "address", "email"}
    for r in rows:
        on = date.fromisoformat(r["date"][:10]).toordinal()
        assert now - 550 <= on < now
    index = holdings(truth)
    wrong = sum(r["outcome"] not in classify(truth, index, r) for r in rows)
    if noise == 0:
        assert wrong == 0
    else:                         # a mislabel can land inside the permitted set
        assert wrong <= noise * len(rows) + 3 * (noise * len(rows)) ** 0.5
    outcomes = {r["outcome"] for r in rows}
    assert {"right_party", "wrong_party", "disconnected", "returned_mail", "no_return"} <= outcomes


# ------------------------------------------------------------------------- scoring

@pytest.mark.skipif(SCORE is None, reason="world-dev's score.py is not here")
def test_score_py_scores_the_truth_perfectly_and_a_naive_trace_badly(world, tmp_path):
    out, _truth, _ = world
    baselines.write_contacts(baselines.truth_rows(out), tmp_path / "truth.csv")
    perfect = SCORE.score(out, tmp_path / "truth.csv")
    assert perfect["warnings"] == []
    assert {k: perfect[k] for k in ("located@1", "wrong_party@1", "phone@3", "email@1",
                                    "abstention", "ece", "gate_violations", "scrub_misses")} == \
        {"located@1": 1.0, "wrong_party@1": 0.0, "phone@3": 1.0, "email@1": 1.0,
         "abstention": 1.0, "ece": 0.0, "gate_violations": 0, "scrub_misses": 0}
    baselines.write_contacts(baselines.naive_rows(out), tmp_path / "naive.csv")
    naive = SCORE.score(out, tmp_path / "naive.csv")
    assert naive["wrong_party@1"] > 0.2 and naive["abstention"] < 0.3 and naive["ece"] > 0.15
    assert naive["gate_violations"] > 0 and naive["scrub_misses"] > 0
    assert naive["wrong_party_by_other_person"].get("reassignee", 0) > 0


# ----------------------------------------------------------------------------- CLI

@pytest.mark.parametrize("args, message", [
    (["--rate", "nosuch=1"], "unknown rate 'nosuch'"),
    (["--rate", "dark=2"], "rate dark: 2.0 is outside 0..1"),
    (["--rate", "dark"], "unknown rate"),
    (["--as-of", "30/06/2025"], "Invalid isoformat"),
    (["--accounts", "0"], "--accounts must be at least 1"),
])
def test_cli_refuses_bad_arguments_in_one_line(tmp_path, capsys, args, message):
    assert portfolio_world.main(["--out", str(tmp_path / "w"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "w").exists()


def test_cli_writes_a_world(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tracer_dev.portfolio_world", "--seed", "2",
                           "--accounts", "40", "--out", str(tmp_path), "--rate", "campaign=1"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert len(truth["accounts"]) == 40 and truth["meta"]["rates"]["campaign"] == 1.0
    assert len({r["account_id"] for r in rows_of(tmp_path / "input" / "outcomes.csv")}) == 40


def test_every_rate_is_documented():
    text = (ROOT / "tracer_dev" / "README.md").read_text()
    for name in WorldRates.names():
        assert f"| `{name}` |" in text, name
