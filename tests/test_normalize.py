"""Normalizers: tables of real-world variants, plus invariants checked with hypothesis."""

from __future__ import annotations

import dataclasses
import datetime
import re

import pytest
from hypothesis import given, settings, strategies as st

from tracer.matching.normalize import (
    AddressResult, DateResult, EmailResult, NameResult, PhoneResult, dates_transposed,
    first_root, nickname_roots, normalize_address, normalize_email, normalize_name, normalize_phone,
    normalize_state, normalize_zip, parse_date, valid_state,
)
from tracer.matching.normalize import normalize_ssn_last4, pub28
from tracer.matching.normalize.dates import redact


def _pick(result, fields):
    return {name: getattr(result, name) for name in fields}


# --- names -------------------------------------------------------------------------

NAMES = [
    (dict(full_name="SMITH, JOHN A JR"), dict(first="JOHN", middle="A", last="SMITH", suffix="JR")),
    (dict(full_name="Smith, John"), dict(first="JOHN", middle=None, last="SMITH", suffix=None)),
    (dict(full_name="John A. Smith Jr."), dict(first="JOHN", middle="A", last="SMITH", suffix="JR")),
    (dict(full_name="JOHN SMITH III"), dict(first="JOHN", middle=None, last="SMITH", suffix="III")),
    (dict(full_name="smith john"), dict(first="SMITH", last="JOHN")),
    (dict(full_name="DE LA CRUZ, MARIA"), dict(first="MARIA", last="DE LA CRUZ")),
    (dict(full_name="Maria de la Cruz"), dict(first="MARIA", middle=None, last="DE LA CRUZ")),
    (dict(full_name="O'Brien, Patrick"), dict(first="PATRICK", last="O'BRIEN")),
    (dict(full_name="Mary-Ann Smith-Jones"), dict(first="MARY-ANN", last="SMITH-JONES")),
    (dict(full_name="  John   Q.  Public  "), dict(first="JOHN", middle="Q", last="PUBLIC")),
    (dict(full_name="John Smith, Jr."), dict(first="JOHN", last="SMITH", suffix="JR")),
    (dict(full_name="SMITH JR, JOHN"), dict(first="JOHN", last="SMITH", suffix="JR")),
    (dict(full_name="SMITH, JOHN A, JR"), dict(first="JOHN", middle="A", last="SMITH", suffix="JR")),
    (dict(full_name="SMITH, JOHN V"), dict(first="JOHN", middle="V", suffix=None)),
    (dict(full_name="JOHN SMITH V"), dict(first="JOHN", last="SMITH", suffix="V")),
    (dict(full_name="Dr. John Smith, M.D."), dict(first="JOHN", last="SMITH", suffix=None)),
    (dict(full_name="John Smith 2nd"), dict(last="SMITH", suffix="II")),
    (dict(full_name="José Muñoz"), dict(first="JOSE", last="MUNOZ")),
    (dict(full_name="Ludwig van Beethoven"), dict(first="LUDWIG", last="VAN BEETHOVEN")),
    (dict(first="Bill", last="Smith Jr"), dict(first="BILL", last="SMITH", suffix="JR", first_root="WILLIAM")),
    (dict(first="Mary Ann", last="O\u2019Brien"), dict(first="MARY", middle="ANN", last="O'BRIEN")),
    (dict(first="Bob", last="smith", suffix="III"), dict(first="BOB", suffix="III", first_root="ROBERT")),
    (dict(first="john", last="smith", suffix="Esq."), dict(suffix=None)),
    (dict(first="john", last="smith", suffix="Junior"), dict(suffix="JR")),
    (dict(first="J", middle="A.", last="Smith"), dict(first="J", middle="A", last="SMITH")),
    (dict(last="SMITH", full_name="SMITH, JOHN"), dict(first="JOHN", last="SMITH")),
    (dict(first="JOHN", middle="A", last="SMITH", full_name="DOE, JANE"), dict(first="JOHN", last="SMITH")),
]


@pytest.mark.parametrize("kwargs, expected", NAMES)
def test_normalize_name(kwargs, expected):
    result = normalize_name(**kwargs)
    assert _pick(result, expected) == expected
    assert result.problems == ()


BAD_NAMES = [
    (dict(full_name="J0hn Smith"), dict(first=None, last="SMITH"), "digits in first name"),
    (dict(first="123", last="Smith"), dict(first=None, last="SMITH"), "digits in first name"),
    (dict(first="John", last="4444"), dict(first="JOHN", last=None), "digits in last name"),
    (dict(full_name="!!!"), dict(first=None, last=None), "no name words"),
    (dict(full_name="John & Mary Smith"), dict(first=None, last=None), "more than one person"),
    (dict(full_name="Cher"), dict(first=None, last="CHER"), "only one word"),
    (dict(first="john", last="smith", suffix="xyz"), dict(suffix=None), "unknown name suffix"),
    (dict(first="Mary Ann", middle="B", last="Smith"), dict(first="MARY", middle="B"), "extra words"),
    (dict(first="Jo*hn", last="Smith"), dict(first="JOHN"), "dropped characters '*'"),
    (dict(first="---", last="Smith"), dict(first=None), "unreadable first name"),
]


@pytest.mark.parametrize("kwargs, expected, problem", BAD_NAMES)
def test_normalize_name_reports_problems(kwargs, expected, problem):
    result = normalize_name(**kwargs)
    assert _pick(result, expected) == expected
    assert any(problem in p for p in result.problems), result.problems


@pytest.mark.parametrize("value", [None, "", "   ", float("nan")])
def test_normalize_name_empty(value):
    assert normalize_name(value, value, value, value, value) == NameResult(
        None, None, None, None, None, None, None, ())


@pytest.mark.parametrize("nick, root", [
    ("BILL", "WILLIAM"), ("WILL", "WILLIAM"), ("BILLY", "WILLIAM"), ("Bob", "ROBERT"),
    ("peggy", "MARGARET"), ("JACK", "JOHN"), ("LIZ", "ELIZABETH"), ("TONY", "ANTHONY"),
    ("WILLIAM", "WILLIAM"), ("MICHAEL", "MICHAEL"), ("MARK", "MARK"), ("MARIA", "MARIA"),
    ("ZYXWV", "ZYXWV"), ("KATE", "KATHERINE"),
])
def test_first_root(nick, root):
    assert normalize_name(first=nick, last="X").first_root == root


def test_first_root_is_a_fixed_point():
    for name in ("BILL", "BOB", "PEGGY", "KATE", "NAT", "FLO", "SID", "HATTIE", "ABBY"):
        root = normalize_name(first=name, last="X").first_root
        assert normalize_name(first=root, last="X").first_root == root


def test_first_root_function():
    assert first_root("bill") == "WILLIAM" and first_root(" Peggy ") == "MARGARET"
    assert first_root(None) is None and first_root("42") is None


def test_nickname_roots():
    assert {"BILL", "WILLIAM"} <= nickname_roots("Bill")
    assert "ROBERT" in nickname_roots("bob")
    assert nickname_roots("Zyxwv") == frozenset({"ZYXWV"})
    assert nickname_roots(None) == frozenset()
    assert nickname_roots("123") == frozenset()


def test_phonetic_keys_survive_spelling():
    a, b = normalize_name(first="Jon", last="Smith"), normalize_name(first="John", last="Smyth")
    assert a.first_key == b.first_key and a.last_key == b.last_key
    assert a.last_key.isupper()


# --- addresses ---------------------------------------------------------------------

ADDRESSES = [
    (("123 North Main Street Apt 4", None, "Springfield", "Illinois", "62704"),
     dict(street="123 N MAIN ST", unit="APT 4", city="SPRINGFIELD", state="IL", zip5="62704",
          one_line="123 N MAIN ST APT 4, SPRINGFIELD, IL 62704", key="123|MAIN|62704")),
    (("123 N. Main St.", "#5", "springfield", "il", "62704-1234"),
     dict(street="123 N MAIN ST", unit="# 5", zip5="62704", key="123|MAIN|62704")),
    (("123 Main St #5", None, "X", "IL", "62704"), dict(street="123 MAIN ST", unit="# 5")),
    (("P.O. Box 12", None, "Boston", "MA", "2134"),
     dict(street="PO BOX 12", zip5="02134", one_line="PO BOX 12, BOSTON, MA 02134")),
    (("POB 12", None, "Boston", "MA", 2134.0), dict(street="PO BOX 12", zip5="02134")),
    (("4500 W Northeast Blvd Suite 200", None, "Chicago", "IL", "60601"),
     dict(street="4500 W NORTHEAST BLVD", unit="STE 200", key="4500|NORTHEAST|60601")),
    (("123 1/2 Oak Aven", "Apartment #4", "Oak Park", "IL", "60302"),
     dict(street="123 1/2 OAK AVE", unit="APT 4")),
    (("55 Elm Av", "Unit B", "X", "OH", "44101"), dict(street="55 ELM AVE", unit="UNIT B")),
    (("9 Elm Boulevard", "2nd Floor", "X", "OH", "44101"), dict(street="9 ELM BLVD", unit="FL 2")),
    (("9 Elm Str", "Room 5", "X", "OH", "44101"), dict(street="9 ELM ST", unit="RM 5")),
    (("10 Lake Parkway Northeast", "Bldg 2", "X", "OH", "44101"),
     dict(street="10 LAKE PKWY NE", unit="BLDG 2")),
    (("500 Hwy 61 N", None, "Tunica", "MS", "38676"), dict(street="500 HIGHWAY 61 N")),
    (("500 Highway 61 North", None, "Tunica", "MS", "38676"),
     dict(street="500 HIGHWAY 61 N", key="500|HIGHWAY 61|38676")),
    (("123 First Ave", None, "A", "NY", "10001"), dict(street="123 FIRST AVE", key="123|1ST|10001")),
    (("123 Main St Bldg 2 Apt 3", None, "X", "IL", "62704"), dict(unit="BLDG 2 APT 3")),
    (("123 Main St Fl 3 Rm 5", None, "X", "TX", "75001"), dict(street="123 MAIN ST", unit="FL 3 RM 5")),
    (("123 MAIN ST BSMT", None, "A", "NY", "10001"), dict(street="123 MAIN ST", unit="BSMT")),
    (("123 Main St, Springfield, IL 62704", None, None, None, None),
     dict(street="123 MAIN ST", city="SPRINGFIELD", state="IL", zip5="62704")),
    (("1600 Pennsylvania Avenue NW", None, "Washington", "D.C.", "20500-0003"),
     dict(street="1600 PENNSYLVANIA AVE NW", state="DC", zip5="20500")),
    (("RR 2 Box 15", None, "A", "IA", "50001"), dict(street="RR 2 BOX 15")),
    ((None, None, "Springfield", "IL", "62704"),
     dict(street=None, one_line=None, key=None, city="SPRINGFIELD", state="IL")),
    (("77 Sunset Terrace", None, None, None, None),
     dict(street="77 SUNSET TER", one_line="77 SUNSET TER", key=None)),
]


@pytest.mark.parametrize("args, expected", ADDRESSES)
def test_normalize_address(args, expected):
    result = normalize_address(*args)
    assert _pick(result, expected) == expected
    assert result.problems == ()


BAD_ADDRESSES = [
    (("garbage!!", None, None, None, None), dict(street=None, one_line=None), "unparseable street"),
    (("Main Street", None, "X", "IL", "62704"), dict(street="MAIN ST", key=None), "no house number"),
    (("7630 4th Awy", "Unit 21B", "X", "TN", "38103"),
     dict(street="7630 4TH AWY", unit="UNIT 21B", key=None), "unrecognised street"),
    (("Main St & Oak Ave", None, "X", "CA", "90210"), dict(key=None), "intersection"),
    (("123 Main St Apt", None, "X", "IL", "62704"), dict(unit=None), "unit without a number"),
    (("123 Main St Apt 4", "Apt 5", "X", "IL", "62704"), dict(unit="APT 5"), "differs"),
    (("1 Main St", None, "X", "ZZ", "62704"), dict(state=None), "unknown state"),
    (("1 Main St", None, "X", "IL", "K1A 0B6"), dict(zip5=None, key=None), "invalid zip"),
    (("1 Main St", None, "X", "IL", "00000"), dict(zip5=None), "invalid zip"),
    (("1 Main St", None, "12345", "IL", "62704"), dict(city=None), "unreadable city"),
    (("C/O John Smith 123 Main St", None, "X", "IL", "62704"), dict(street="123 MAIN ST"), "ignored"),
    (("123-45-6789", None, "X", "IL", "62704"), dict(street=None, unit=None), "unparseable street"),
]


@pytest.mark.parametrize("args, expected, problem", BAD_ADDRESSES)
def test_normalize_address_reports_problems(args, expected, problem):
    result = normalize_address(*args)
    assert _pick(result, expected) == expected
    assert any(problem in p for p in result.problems), result.problems


@pytest.mark.parametrize("text, code", [
    ("IL", "IL"), ("il", "IL"), ("Illinois", "IL"), ("NEW YORK", "NY"), ("Ill.", "IL"),
    ("District of Columbia", "DC"), ("PR", "PR"), ("AE", "AE"), ("ZZ", None), ("", None),
    (None, None), ("Atlantis", None),
])
def test_normalize_state(text, code):
    assert normalize_state(text) == code


def test_valid_state():
    assert valid_state("IL") and valid_state("dc") and valid_state("GU")
    assert not valid_state("ZZ") and not valid_state("Illinois") and not valid_state(None)


@pytest.mark.parametrize("text, zip5", [
    ("62704", "62704"), ("62704-1234", "62704"), ("627041234", "62704"), ("2134", "02134"),
    (2134, "02134"), ("2134.0", "02134"), ("02134-0001", "02134"), ("21340001", "02134"),
    (" 62704 ", "62704"), ("627", None), ("ABCDE", None), ("", None), (None, None),
    ("00000", None), ("6270412345", None),
])
def test_normalize_zip(text, zip5):
    assert normalize_zip(text) == zip5


def test_pub28_tables():
    assert pub28.street_suffix("Avenue") == pub28.street_suffix("AVEN") == "AVE"
    assert pub28.street_suffix("STR") == "ST" and pub28.street_suffix("Pkwy.") == "PKWY"
    assert pub28.suffix_name("HWY") == "HIGHWAY"
    assert pub28.directional("northeast") == pub28.directional("N.E.") == "NE"
    assert pub28.unit_designator("Suite") == "STE" and pub28.unit_designator("#") == "#"
    assert len(set(pub28.STREET_SUFFIXES.values())) > 150


# --- phones ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "(217) 555-0123", "217.555.0123", "2175550123", "+1 217 555 0123", "1-217-555-0123",
    "217-555-0123 x12", "217-555-0123 ext. 12", "tel: 217-555-0123", "1 (217) 555 0123",
])
def test_normalize_phone(text):
    assert normalize_phone(text) == PhoneResult("+12175550123", "unknown", ())


@pytest.mark.parametrize("declared, line_type", [
    ("mobile", "mobile"), ("Cell", "mobile"), ("landline", "landline"), ("VOIP", "voip"),
    ("unknown", "unknown"), (None, "unknown"),
])
def test_declared_phone_type_wins(declared, line_type):
    assert normalize_phone("217-555-0123", declared_type=declared).line_type == line_type


def test_phone_other_region_and_library_type():
    result = normalize_phone("+44 20 7946 0958")
    assert result.e164 == "+442079460958" and result.line_type == "landline"


@pytest.mark.parametrize("text, problem", [
    ("555-0123", "invalid phone"), ("21755", "phone number"), ("1-800-FLOWERS", "letters"),
    ("abc", "letters"), ("12345678901234567890", "too many digits"), ("+", "phone number"),
])
def test_normalize_phone_rejects(text, problem):
    result = normalize_phone(text)
    assert result.e164 is None and result.line_type is None
    assert any(problem in p for p in result.problems), result.problems


@pytest.mark.parametrize("text, undialable", [
    ("779-907-5660", None),                        # assigned: a contact (e164)
    ("17959150695", "+17959150695"),               # area code 795 is not assigned
    ("(123) 456-7890", "+11234567890"),            # nor is 123
    ("555-0123", None),                            # seven digits: no area code at all
    ("21755", None), ("1-800-FLOWERS", None),
])
def test_an_undialable_number_is_still_its_digits(text, undialable):
    """Only a contact needs a number someone can dial; as evidence that two records
    share a number, ten digits agree or not whether or not the area code is assigned."""
    result = normalize_phone(text)
    assert result.undialable == undialable
    assert result.digits == (result.e164 or undialable)
    if undialable:
        assert result.e164 is None and result.line_type is None
        assert any("invalid phone number" in p for p in result.problems)


_SEPARATED = st.sampled_from(["{a}{b}{c}", "{a}-{b}-{c}", "({a}) {b}-{c}", "{a}.{b}.{c}",
                              "+1 {a} {b} {c}", "1-{a}-{b}-{c}", "1{a}{b}{c}",
                              "+1 ({a})    {b} - {c}", "{a} .-. {b}     {c}", "1 . {a}{b}{c}"])


@settings(max_examples=400, deadline=None)
@given(area=st.integers(0, 999), exchange=st.integers(0, 999), line=st.integers(0, 9999),
       shape=_SEPARATED, declared=st.sampled_from([None, "mobile", "landline", "voip", "pager"]))
def test_ten_nanp_digits_skip_the_parser_with_its_answer(area, exchange, line, shape,
                                                         declared):
    """The parser-free NANP path gives phonenumbers' own answer on the text as given,
    valid or not."""
    from tracer.matching.normalize import phones

    text = shape.format(a=f"{area:03d}", b=f"{exchange:03d}", c=f"{line:04d}")
    fast = normalize_phone(text, declared_type=declared)
    saved = phones._NANP
    phones._NANP = []
    phones._normalize.cache_clear()
    try:
        slow = phones._normalize(text, "US", declared or "")     # the parser, on the text
    finally:
        phones._NANP = saved
        phones._normalize.cache_clear()
    assert fast == slow
    if fast.undialable:       # the problem quotes the text as redact() would
        assert fast.problems[-1] == f"invalid phone number '{redact(text)}'"


def test_unknown_declared_phone_type_is_reported():
    result = normalize_phone("2175550123", declared_type="pager")
    assert result.e164 == "+12175550123" and result.line_type == "unknown"
    assert result.problems == ("unknown phone type 'pager'",)


# --- emails ------------------------------------------------------------------------

@pytest.mark.parametrize("text, email", [
    ("  John.Smith@Example.COM ", "john.smith@example.com"), ("mailto:a@b.co", "a@b.co"),
    ("<x@y.org>", "x@y.org"), ("first+tag@sub.example.co.uk", "first+tag@sub.example.co.uk"),
    ("o'neil@example.com", "o'neil@example.com"),
])
def test_normalize_email(text, email):
    assert normalize_email(text) == EmailResult(email, ())


@pytest.mark.parametrize("text, problem", [
    ("a@b", "domain"), ("a@@b.com", "exactly one @"), ("ab.com", "exactly one @"),
    ("a b@c.com", "spaces"), ("a@b.com; c@d.com", "several emails"), ("a@b..com", "domain"),
    ("a.@b.com", "user part"), ("@b.com", "user part"), ("noemail@none.com", "placeholder"),
    ("a@b.c0m", "domain"),
])
def test_normalize_email_rejects(text, problem):
    result = normalize_email(text)
    assert result.email is None
    assert any(problem in p for p in result.problems), result.problems


# --- dates -------------------------------------------------------------------------

@pytest.mark.parametrize("text, iso, precision", [
    ("1961-03-05", "1961-03-05", "day"), ("03/05/1961", "1961-03-05", "day"),
    ("3/5/1961", "1961-03-05", "day"), ("3/5/61", "1961-03-05", "day"),
    ("1/2/24", "2024-01-02", "day"), ("19610305", "1961-03-05", "day"),
    ("03051961", "1961-03-05", "day"), ("03-05-1961", "1961-03-05", "day"),
    ("1961/03/05", "1961-03-05", "day"), ("Mar 5 1961", "1961-03-05", "day"),
    ("5 March 1961", "1961-03-05", "day"), ("March 5, 1961", "1961-03-05", "day"),
    ("March 5th, 1961", "1961-03-05", "day"), ("05-MAR-61", "1961-03-05", "day"),
    ("Sept. 30, 1999", "1999-09-30", "day"), ("1961-03-05T00:00:00", "1961-03-05", "day"),
    ("1961-03-05 12:30:00", "1961-03-05", "day"), (19610305, "1961-03-05", "day"),
    ("1961", "1961", "year"), (1961, "1961", "year"), ("1961-03", "1961-03", "month"),
    ("03/1961", "1961-03", "month"), ("March 1961", "1961-03", "month"),
    # Excel's US date-times in a CSV export
    ("3/5/1961 0:00", "1961-03-05", "day"), ("03/05/1961 00:00:00", "1961-03-05", "day"),
    ("3/5/1961 12:00:00 AM", "1961-03-05", "day"),
])
def test_parse_date(text, iso, precision):
    result = parse_date(text)
    assert (result.iso, result.precision, result.problems) == (iso, precision, ())
    assert result.year == int(iso[:4])
    assert (result.value is not None) == (precision == "day")


def test_parse_date_dayfirst():
    assert parse_date("05/03/1961", dayfirst=True).iso == "1961-03-05"
    assert parse_date("05/03/1961").iso == "1961-05-03"


def test_two_digit_year_is_never_in_the_future():
    today = datetime.date.today()
    result = parse_date(f"{today.month}/{today.day}/{today.year % 100:02d}")
    assert result.value == today
    assert parse_date("12/31/99").year == 1999


@pytest.mark.parametrize("text, problem", [
    ("02/30/1990", "invalid calendar date"), ("13/45/99", "invalid calendar date"),
    ("1961-13", "invalid calendar date"), ("1849-01-01", "date year out of range"),
    ("2101", "date year out of range"), ("garbage", "unparseable date"),
    ("1961 March 5", "unparseable date"), ("3/5", "unparseable date"),
    ("030561", "unparseable date"), ("March 5 1961 10am", "unparseable date"),
])
def test_parse_date_rejects(text, problem):
    assert parse_date(text) == DateResult(None, None, None, (problem,))


@pytest.mark.parametrize("value", [None, "", "  ", float("nan")])
def test_parse_date_missing_is_not_a_problem(value):
    result = parse_date(value)
    assert (result.precision, result.iso, result.problems) == (None, None, ())


def test_dates_transposed():
    d = datetime.date
    assert dates_transposed(d(1961, 3, 5), d(1961, 5, 3))
    assert not dates_transposed(d(1961, 3, 3), d(1961, 3, 3))
    assert not dates_transposed(d(1961, 3, 5), d(1962, 5, 3))
    assert not dates_transposed(d(1961, 3, 5), None)


# --- invariants --------------------------------------------------------------------

RESULTS = (NameResult, AddressResult, PhoneResult, EmailResult, DateResult)
junk = st.one_of(st.none(), st.text(max_size=60), st.integers(), st.floats(), st.booleans(),
                 st.lists(st.text(max_size=3), max_size=2))
SSN = "123456789"
ssn_text = st.tuples(st.text(max_size=20), st.sampled_from(["123-45-6789", "123456789", "123 45 6789"]),
                     st.text(max_size=20)).map("".join)


def _all_results(value):
    return [
        normalize_name(value, value, value, value, value), normalize_name(full_name=value),
        normalize_address(value, value, value, value, value), normalize_phone(value),
        normalize_phone("2175550123", declared_type=value), normalize_email(value),
        parse_date(value), parse_date(value, dayfirst=True),
    ]


@settings(max_examples=80, deadline=None)
@given(junk)
def test_normalizers_never_raise(value):
    for result in _all_results(value):
        assert isinstance(result, RESULTS)
        assert dataclasses.is_dataclass(result) and hash(result) is not None
        assert all(isinstance(p, str) and p for p in result.problems)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_date_problems_never_quote_input(text):
    for result in (parse_date(text), parse_date(text, dayfirst=True)):
        for problem in result.problems:
            assert not re.search(r"\d", problem)


@settings(max_examples=60, deadline=None)
@given(ssn_text)
def test_problems_never_echo_an_ssn(text):
    for result in _all_results(text):
        assert SSN not in re.sub(r"\D", "", " ".join(result.problems)), result.problems


@pytest.mark.parametrize("text", [
    "123-45-6789", "SSN 123456789", "03/05/1961", "March 5, 1961", "5-Mar-61", "1961-03-05",
])
def test_redact_hides_ssns_and_dates(text):
    shown = redact(text)
    assert "6789" not in shown or "12345" not in re.sub(r"\D", "", shown)
    assert not re.search(r"\d{1,2}\D+\d{1,2}\D+\d{2,4}", shown)
    assert "1961-03-05" not in shown and "03/05" not in shown


@pytest.mark.parametrize("text, last4, problem", [
    ("0378", "0378", None),
    (" 1234 ", "1234", None),
    ("XXX-XX-1234", "1234", None),
    ("***-**-0042", "0042", None),
    ("xxxxx5678", "5678", None),
    ("123-45-6789", "6789", "full SSN"),          # kept, and never quoted back
    ("123456789", "6789", "full SSN"),
    ("378", None, "3 digits"),                    # a spreadsheet dropped the zero: no guess
    ("12a4", None, "not 4 digits"),
    ("N/A", None, "0 digits"),
    ("", None, None),
    (None, None, None),
])
def test_normalize_ssn_last4(text, last4, problem):
    result = normalize_ssn_last4(text)
    assert result.last4 == last4
    if problem is None:
        assert result.problems == ()
    else:
        assert problem in result.problems[0]
        assert "6789" not in result.problems[0] and "123" not in result.problems[0]


@pytest.mark.parametrize("kwargs, first, last", [
    (dict(first="Мария", last="Иванова"), "MARIYA", "IVANOVA"),        # Cyrillic
    (dict(full_name="李, 王"), "WANG", "LI"),                          # CJK
    (dict(first="Jón", last="Þórsson"), "JON", "THORSSON"),            # Þ has no NFKD form
    (dict(first="Σωκράτης", last="Παπαδόπουλος"), "SOKRATIS", "PAPADOPOYLOS"),
    (dict(first="José", last="Muñoz"), "JOSE", "MUNOZ"),
    (dict(first="😀", last="Lee"), None, "LEE"),                        # no letters: dropped
])
def test_other_scripts_are_spelt_in_latin_letters(kwargs, first, last):
    name = normalize_name(kwargs.get("first"), None, kwargs.get("last"), None,
                          kwargs.get("full_name"))
    assert (name.first, name.last) == (first, last)
    assert bool(name.problems) is (first is None)


def test_the_region_table_by_prefix_walks_the_regions_phonenumbers_would():
    """``_nanp_type`` looks regions up by the number's first digits (``_BY_PREFIX``);
    every area code, with exchanges that reach the Caribbean and Dominican leads, gets the
    answer of walking every NANP region in ``region_code_for_number`` order."""
    from phonenumbers import PhoneNumberType

    from tracer.matching.normalize import phones

    def walk(national):
        for region in phones._NANP:
            if region.lead is None:
                kind = region.kind(national)
                if kind != PhoneNumberType.UNKNOWN:
                    return kind
            elif region.lead.match(national):
                return region.kind(national)
        return PhoneNumberType.UNKNOWN

    assert phones._BY_PREFIX is not None
    for area in range(200, 1000):
        for rest in ("1234567", "4620123", "5550134", "0019876", "9990000"):
            national = f"{area:03d}{rest}"
            assert phones._nanp_type(national) == walk(national), national
