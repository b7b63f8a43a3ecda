"""The street-line key by which two printings of an address are the same address.

Same conventions as world-dev's ``score.py`` (USPS Pub. 28 suffix and direction
abbreviations, unit designators interchangeable, case and periods ignored), so that a
record the generator calls *legible* is one the scorer matches to the true address: a
typo that leaves the key unchanged (``AVE`` -> ``AV``) is no typo to either.
"""

from __future__ import annotations

import re

__all__ = ["street_key"]

SUFFIX = {"STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "AVN": "AVE",
          "ROAD": "RD", "DRIVE": "DR", "DRV": "DR", "LANE": "LN", "COURT": "CT",
          "BOULEVARD": "BLVD", "BOUL": "BLVD", "PLACE": "PL", "TERRACE": "TER", "TERR": "TER",
          "CIRCLE": "CIR", "CIRC": "CIR", "PARKWAY": "PKWY", "PKY": "PKWY", "TRAIL": "TRL",
          "HIGHWAY": "HWY", "HIWAY": "HWY", "SQUARE": "SQ", "ALLEY": "ALY",
          "EXPRESSWAY": "EXPY", "FREEWAY": "FWY", "CROSSING": "XING", "POINT": "PT"}
DIRECTION = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE",
             "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW"}
UNIT_DESIGNATORS = {"APT", "APARTMENT", "UNIT", "STE", "SUITE", "#", "NO", "NUM", "RM", "ROOM",
                    "FL", "FLOOR", "BLDG", "LOT", "SPC", "SPACE", "TRLR"}
_TOKEN = re.compile(r"#|[A-Z0-9]+")


def street_key(street: str, unit: str = "") -> tuple[str, str]:
    """(street tokens, unit number) of a street line with its unit inline or apart."""
    tokens = _TOKEN.findall(" ".join(f"{street} {unit}".upper().replace(".", " ").split()))
    words, number, i = [], "", 0
    while i < len(tokens):
        t = tokens[i]
        if t in UNIT_DESIGNATORS and words:
            number = "".join(tokens[i + 1:i + 2]).lstrip("0") or number
            i += 2
            continue
        words.append(SUFFIX.get(t, DIRECTION.get(t, t)) if words else t)
        i += 1
    return " ".join(words), number
