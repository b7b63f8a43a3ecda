"""The usaddress-free fast path for simple street lines gives usaddress's answer."""

from __future__ import annotations

import pytest

from tracer.matching.normalize import addresses as A
from tracer_dev.synthetic import iter_people_records

HAND = ["123 NORTH MAIN STREET", "12 PARK AVE", "55 N ST", "9 E 4TH ST", "100 MAIN ST N",
        "3 OAK HILL RD", "44 FIRST AVE", "8 ST JAMES PL", "17 COUNTY RD", "6 N MAPLE AVENUE",
        "1 BROADWAY", "7 SW 10TH ST", "12 AVE B", "3913 E 3RD ROAD", "4 LA SALLE ST"]


def _slow(text: str):
    original = A._fast_street
    A._fast_street = lambda _text: None
    A._parse_street.cache_clear()
    try:
        return A._parse_street(text)
    finally:
        A._fast_street = original
        A._parse_street.cache_clear()


def _streets():
    seen = set(A._clean(s) for s in HAND)
    for row, _pid in iter_people_records(6000, seed=9):
        if row["street"]:
            seen.add(A._clean(row["street"]))
    return sorted(seen)


@pytest.mark.parametrize("chunk", range(4))
def test_fast_street_agrees_with_usaddress(chunk):
    streets = _streets()[chunk::4]
    fast_taken = 0
    for text in streets:
        fast = A._fast_street(text)
        if fast is None:
            continue
        fast_taken += 1
        assert fast == _slow(text), text
    assert fast_taken > len(streets) // 3
