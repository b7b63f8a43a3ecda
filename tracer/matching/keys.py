"""Blocking keys precomputed at import and indexed in the ``records`` table, and the
blocking rules a trace retrieves its candidates by.

The rules are the same data objects as ``tracer resolve``'s (:class:`.blocking.BlockingRule`,
columns named as in the :class:`.table.RecordTable`); the store compiles each into a
condition over the stored key columns (``tracer.store.sqlite.records.compile_rule``),
so it runs the rule rather than a query written by hand.  Inside the candidates the engine then applies every
people rule (:data:`.blocking.PEOPLE_RULES`), as resolve does.
"""

from __future__ import annotations

from typing import Any, Callable

from .blocking import BlockingRule, block_on
from .features import Features

#: Column order of the ``k_*`` columns in the records table.
KEY_COLUMNS = ("k_last", "k_first", "k_dob_year", "k_phone", "k_email", "k_zip", "k_addr")

#: Table column -> (records column, value of a record's features).
STORED_KEYS: dict[str, tuple[str, Callable[[Features], Any]]] = {
    "last_key": ("k_last", lambda f: f.last_key),
    "first_any": ("k_first", lambda f: f.first_root or f.first),
    "dob_year": ("k_dob_year", lambda f: f.dob_year),
    "phone": ("k_phone", lambda f: f.phone),
    "email": ("k_email", lambda f: f.email),
    "zip5": ("k_zip", lambda f: f.zip5),
    "addr_key": ("k_addr", lambda f: f.addr_key),
    "ssn_last4": ("ssn_last4", lambda f: f.ssn_last4),
}


def key_values(f: Features) -> tuple:
    """The ``k_*`` values of one record, in :data:`KEY_COLUMNS` order (stored at import)."""
    by_column = {column: get(f) for column, get in STORED_KEYS.values()}
    return tuple(by_column[c] for c in KEY_COLUMNS)


#: The rules a trace asks the store by, each selective on its own and each backed by an
#: index (tests/test_store_scale.py checks the query plans); oversized blocks (common
#: names) are capped.
RETRIEVAL_RULES: tuple[BlockingRule, ...] = (
    block_on("last_key", "dob_year", name="surname+birth year"),
    block_on("last_key", "first_any", name="surname+first name"),
    block_on("ssn_last4", "last_key", name="ssn last4+surname"),
    block_on("ssn_last4", "dob_year", name="ssn last4+birth year"),
    block_on("phone", name="phone"),
    block_on("email", name="email"),
    block_on("addr_key", name="address"),
    block_on("zip5", "first_any", name="zip+first name"),
)

#: The contact keys a second hop follows: records that share a phone, email or address
#: with a first-hop candidate (who else used the debtor's number, who lives there now).
CONTACT_KEYS = ("phone", "email", "addr_key")


def stored_column(name: str) -> str:
    return STORED_KEYS[name][0]
