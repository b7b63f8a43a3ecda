"""Normalizers: turn what sources print into comparable values, and say what they couldn't.

One module per kind of value.  Every normalizer takes raw cell values (None, NaN,
numbers and garbage included), never raises, and returns a frozen result whose
``problems`` lists, in plain words, what it could not read.  Problems never quote a full
SSN or date of birth.  Results are cached: the same names, streets and ZIPs recur
across a million records.

    >>> normalize_name(full_name="SMITH, BILL A JR").first_root
    'WILLIAM'
    >>> normalize_address("123 North Main Street Apt 4", None, "Springfield", "Illinois", "62704").one_line
    '123 N MAIN ST APT 4, SPRINGFIELD, IL 62704'
"""

from .addresses import (
    AddressResult, address_identity, normalize_address, normalize_state, normalize_unit, normalize_zip, valid_state,
)
from .dates import DateResult, dates_transposed, parse_date
from .emails import EmailResult, normalize_email
from .names import NameResult, first_root, nickname_roots, normalize_name
from .phones import LINE_TYPES, PhoneResult, normalize_phone, normalize_phone_type
from .ssns import Last4Result, normalize_ssn_last4

__all__ = [
    "AddressResult", "address_identity", "DateResult", "EmailResult", "LINE_TYPES", "Last4Result", "NameResult",
    "PhoneResult",
    "dates_transposed", "first_root", "nickname_roots", "normalize_address", "normalize_email",
    "normalize_name", "normalize_phone", "normalize_phone_type", "normalize_state",
    "normalize_ssn_last4", "normalize_unit", "normalize_zip", "parse_date", "valid_state",
]
