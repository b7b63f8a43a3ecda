"""Blocking keys precomputed at import and indexed in the ``records`` table.

A trace asks the store for records sharing any key with the account instead of scanning
every record; the same keys drive ``tracer resolve``'s blocking rules.
"""

from __future__ import annotations

#: Column order of the ``k_*`` columns in the records table.
KEY_COLUMNS = ("k_last", "k_first", "k_dob_year", "k_phone", "k_email", "k_zip", "k_addr")


#: The store queries a trace runs, as (label, SQL condition, features -> parameters).
#: Each is selective on its own; oversized blocks (common names) are capped.
TRACE_BLOCKS = (
    ("surname+birth year", "k_last = ? AND k_dob_year = ?",
     lambda f: (f.last_key, f.dob_year) if f.last_key and f.dob_year else None),
    ("surname+first name", "k_last = ? AND k_first = ?",
     lambda f: (f.last_key, f.first_root or f.first) if f.last_key and f.first else None),
    ("ssn last4+surname", "ssn_last4 = ? AND k_last = ?",
     lambda f: (f.ssn_last4, f.last_key) if f.ssn_last4 and f.last_key else None),
    ("ssn last4+birth year", "ssn_last4 = ? AND k_dob_year = ?",
     lambda f: (f.ssn_last4, f.dob_year) if f.ssn_last4 and f.dob_year else None),
    ("phone", "k_phone = ?", lambda f: (f.phone,) if f.phone else None),
    ("email", "k_email = ?", lambda f: (f.email,) if f.email else None),
    ("address", "k_addr = ?", lambda f: (f.addr_key,) if f.addr_key else None),
    ("zip+first name", "k_zip = ? AND k_first = ?",
     lambda f: (f.zip5, f.first_root or f.first) if f.zip5 and f.first else None),
)
