"""Contact ranking: evidence that survives a change of world, an honest confidence.

Identities and outcomes are built by hand here; tests/test_outcomes.py drives the same
rules through the CLI, and tests/test_calibration.py learns them from outcomes."""

from __future__ import annotations

import math
from datetime import date

import pytest

from tracer.matching.contact_model import PRIOR
from tracer.matching.features import features_of
from tracer.matching.identity import Identity
from tracer.matching.ranking import USABLE, rank_contacts
from tracer.outcomes import Outcome

AS_OF = date(2025, 6, 30)


def rec(key, source="vendor_append", **row):
    row.setdefault("first_name", "Ida")
    row.setdefault("last_name", "Marsh")
    return features_of(row, key=f"{source}:{key}", source=source)


def debtor(*records, loose=()):
    return Identity("I1", list(records), 1.0, "dob exact", is_best=True,
                    loose=frozenset(loose))


def stranger(*records, confidence=0.0):
    return Identity("I2", list(records), confidence)


def ranked(identities, **kw):
    return rank_contacts(identities, as_of=AS_OF, **kw)


def of_kind(contacts, kind):
    return [c for c in contacts if c.kind == kind]


def test_the_waterfall_adds_up_to_the_confidence():
    contacts = ranked([debtor(
        rec("1", phone="2175550101", phone_type="mobile", street="12 Oak St", zip="62704",
            city="Springfield", state="IL", email="ida@example.org",
            first_seen="2024-01-05", last_seen="2025-04-30"),
        rec("2", source="utility", phone="2175550144", street="9 Elm St", zip="62704",
            first_seen="2019-03-01", last_seen="2023-11-30"))])
    assert contacts
    for cp in contacts:
        steps = [v for label, v in cp.waterfall if label != "identity confidence"]
        identity = dict(cp.waterfall)["identity confidence"]
        assert cp.confidence == pytest.approx(identity / (1 + math.exp(-sum(steps))), abs=2e-3)


def test_a_reassigned_number_never_ranks_first():
    """The old holder's vendor row keeps fresh dates; the number's new holder is seen
    later: the number comes after the debtor's other phone, and is not offered as usable."""
    old = rec("1", phone="3125550111", phone_type="mobile", first_seen="2016-01-01",
              last_seen="2025-06-01")
    landline = rec("2", source="utility", phone="3125550122", phone_type="landline",
                   street="4 Ash Ct", zip="60611", first_seen="2019-05-01",
                   last_seen="2023-02-01")
    holder = rec("3", first_name="Ravi", last_name="Khan", phone="3125550111",
                 phone_type="mobile", first_seen="2023-04-01", last_seen="2024-10-01")
    phones = of_kind(ranked([debtor(old, landline), stranger(holder)]), "phone")
    assert phones[0].value == "+13125550122"
    reassigned = next(c for c in phones if c.value == "+13125550111")
    assert reassigned.rank > 1 and reassigned.confidence < USABLE
    assert "someone else was seen with it later" in reassigned.explanation
    alone = of_kind(ranked([debtor(old), stranger(holder)]), "phone")
    assert alone[0].confidence < USABLE


def test_a_household_sharing_a_landline_is_not_someone_else():
    line = dict(phone="3125550133", phone_type="landline", street="4 Ash Ct", zip="60611")
    me = rec("1", first_seen="2015-01-01", last_seen="2025-05-01", **line)
    spouse = rec("2", first_name="Tom", first_seen="2018-01-01", last_seen="2025-05-01", **line)
    phone = of_kind(ranked([debtor(me), stranger(spouse)]), "phone")[0]
    evidence = dict(phone.evidence)
    assert evidence.get("household") == 1.0 and "other_later" not in evidence


def outcome(value, what, day, account="A-1", channel="phone"):
    return Outcome(account, channel, value, value, what, date.fromisoformat(day))


def test_an_outcome_is_evidence_on_every_account():
    mobile = rec("1", phone="3125550111", phone_type="mobile", first_seen="2020-01-01",
                 last_seen="2025-05-01")
    other = rec("2", source="utility", phone="3125550144", phone_type="mobile",
                first_seen="2019-01-01", last_seen="2025-03-01")
    plain = {c.value: c for c in ranked([debtor(mobile, other)], account_id="A-1")}
    bad = {("phone", "+13125550111"): [outcome("+13125550111", "disconnected", "2025-02-01",
                                               account="B-9")]}
    after = {c.value: c for c in ranked([debtor(mobile, other)], account_id="A-1",
                                        outcomes=bad)}
    assert after["+13125550111"].confidence < plain["+13125550111"].confidence / 4
    assert after["+13125550111"].rank == 2
    assert "disconnected 2025-02-01" in after["+13125550111"].explanation


def test_a_wrong_party_for_this_debtor_never_ranks_first_again():
    mobile = rec("1", phone="3125550111", phone_type="mobile", first_seen="2024-01-01",
                 last_seen="2025-06-01")
    older = rec("2", phone="3125550199", phone_type="landline", first_seen="2012-01-01",
                last_seen="2019-01-01")
    said = {("phone", "+13125550111"): [outcome("+13125550111", "wrong_party", "2025-01-10",
                                               account="B-2")]}
    for same in (set(), {"B-2"}):
        phones = of_kind(ranked([debtor(mobile, older)], account_id="A-1", outcomes=said,
                                same_debtor=same), "phone")
        first = phones[0]
        if same:    # the same debtor's other account: it reached a wrong party for them
            assert first.value == "+13125550199"
        else:       # another debtor's account: evidence, weaker
            assert dict(first.evidence).get("outcome_elsewhere") == 1.0 or \
                first.value == "+13125550199"


def test_a_right_party_outcome_counts_as_a_sighting():
    mobile = rec("1", phone="3125550111", phone_type="mobile", first_seen="2020-01-01",
                 last_seen="2021-01-01")
    good = {("phone", "+13125550111"): [outcome("+13125550111", "right_party", "2025-06-01")]}
    before = of_kind(ranked([debtor(mobile)], account_id="A-1"), "phone")[0]
    after = of_kind(ranked([debtor(mobile)], account_id="A-1", outcomes=good), "phone")[0]
    assert after.confidence > USABLE > before.confidence
    assert after.last_seen == "2025-06-01"


OLD = dict(street="12 Oak St", city="Springfield", state="IL", zip="62704",
           phone="2175550101", phone_type="mobile", email="ida@example.org")


def test_a_dark_debtor_gets_no_usable_contact():
    """Nothing new of the debtor for years: every source last saw them long ago."""
    records = [rec("1", source="utility", first_seen="2016-02-01", last_seen="2021-09-01",
                   **OLD),
               rec("2", first_seen="2017-05-01", last_seen="2022-05-20", **OLD),
               rec("3", source="internal", first_seen="2015-01-01", last_seen="2020-12-01",
                   **OLD)]
    contacts = ranked([debtor(*records)])
    assert contacts and max(c.confidence for c in contacts) < USABLE


def test_a_vendor_refreshing_an_old_number_does_not_make_it_usable():
    """A vendor keeps reporting an old mobile with fresh dates; nothing else is new."""
    records = [rec("1", source="utility", first_seen="2016-02-01", last_seen="2021-09-01",
                   **OLD),
               rec("2", first_seen="2017-05-01", last_seen="2025-05-20", **OLD)]
    phone = of_kind(ranked([debtor(*records)]), "phone")[0]
    assert phone.confidence < USABLE


def test_a_recent_move_seen_by_two_sources_is_usable():
    new = dict(street="77 Pine Ave", unit="Apt 2", city="Peoria", state="IL", zip="61602")
    contacts = ranked([debtor(
        rec("1", source="utility", first_seen="2025-01-15", last_seen="2025-06-20", **new),
        rec("2", first_seen="2025-02-01", last_seen="2025-06-01", **new),
        rec("3", street="12 Oak St", zip="62704", first_seen="2015-05-01",
            last_seen="2024-12-31"))])
    first = of_kind(contacts, "address")[0]
    assert first.value.startswith("77 PINE AVE APT 2") and first.confidence >= USABLE


@pytest.mark.parametrize("units", [("# 2B", "APT 2B"), ("Unit 2B", "#2B"), ("APT 02B", "Apt 2B")])
def test_one_address_written_two_ways_is_one_contact(units):
    a, b = units
    contacts = ranked([debtor(
        rec("1", street="5 Oak St", unit=a, zip="62704", city="Springfield",
            first_seen="2024-01-01", last_seen="2025-05-01"),
        rec("2", source="utility", street="5 Oak Street", unit=b, zip="62704",
            first_seen="2024-02-01", last_seen="2025-06-01"))])
    addresses = of_kind(contacts, "address")
    assert len(addresses) == 1 and len(addresses[0].record_keys) == 2


@pytest.mark.parametrize("typo, merged", [("138 Wdrd St", True), ("138 Ward Rd", False),
                                          ("138 N Ward St", False), ("138 Wood St", False)])
def test_a_typo_in_a_street_name_is_the_same_address(typo, merged):
    contacts = ranked([debtor(
        rec("1", street="138 Ward St", zip="71142", first_seen="2022-01-01",
            last_seen="2025-05-01"),
        rec("2", source="utility", street="138 Ward St", zip="71142",
            first_seen="2022-03-01", last_seen="2025-06-01"),
        rec("3", street=typo, zip="71142", first_seen="2024-06-01", last_seen="2025-06-20"))])
    addresses = of_kind(contacts, "address")
    assert (len(addresses) == 1) == merged
    if merged:    # the spelling most records carry names it
        assert addresses[0].value.startswith("138 WARD ST")


def test_the_explanation_names_the_supporting_records_evidence():
    contacts = ranked([debtor(
        rec("1", source="utility", street="77 Pine Ave", zip="61602", first_seen="2025-01-15",
            last_seen="2025-06-20"))],
        record_evidence={"utility:1": (0.999, "dob exact, ssn_last4 exact")})
    assert "utility record matches on dob exact, ssn_last4 exact" in contacts[0].explanation


def test_a_record_linked_by_name_and_place_only_is_worth_less():
    row = dict(street="77 Pine Ave", zip="61602", first_seen="2025-01-15",
               last_seen="2025-06-20")
    sure = of_kind(ranked([debtor(rec("1", **row))]), "address")[0]
    loose = of_kind(ranked([debtor(rec("1", **row), loose={"vendor_append:1"})]), "address")[0]
    assert loose.confidence < sure.confidence
    assert "linked by name and place only" in loose.explanation


def test_the_prior_is_the_default_model():
    assert PRIOR.version == 0 and PRIOR.label == "contact model prior"


@pytest.mark.parametrize("phone, offered", [
    ("(217) 555-0101", ["+12175550101"]),
    ("(795) 915-0695", []),          # area code 795 is not assigned: no one to call
    ("123-456-7890", []),
])
def test_only_a_dialable_number_is_a_contact(phone, offered):
    """Resolve compares an undialable number's digits (test_matching_resolve.py); as a
    contact it is nothing: ranking offers only numbers that can be dialed."""
    contacts = ranked([debtor(rec("1", phone=phone, phone_type="mobile", street="12 Oak St",
                                  zip="62704", city="Springfield", state="IL",
                                  first_seen="2024-01-05"))])
    assert [c.value for c in of_kind(contacts, "phone")] == offered
    assert of_kind(contacts, "address")
