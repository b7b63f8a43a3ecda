"""Personal names: split, clean and key them so "Bill Smith Jr." meets "SMITH, WILLIAM JR".

Sources print names every which way (``SMITH, JOHN A JR``, ``John A. Smith Jr.``,
separate columns with the suffix glued to the surname).  We reduce them to upper-case
parts, a generation suffix, a nickname root and phonetic keys, and say what we could
not read rather than guess.  A comma means "last, first"; without one we assume
"first [middle] last", which is how people and most forms write it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from nicknames import NickNamer

from .dates import as_text, redact

__all__ = ["NameResult", "first_root", "nickname_roots", "normalize_name"]


@dataclass(frozen=True)
class NameResult:
    first: str | None
    middle: str | None
    last: str | None
    suffix: str | None
    first_root: str | None
    first_key: str | None
    last_key: str | None
    problems: tuple[str, ...] = ()


GENERATIONS = {
    "JR": "JR", "JUNIOR": "JR", "JNR": "JR", "SR": "SR", "SENIOR": "SR", "SNR": "SR",
    "II": "II", "2ND": "II", "III": "III", "3RD": "III", "IV": "IV", "4TH": "IV",
    "V": "V", "5TH": "V",
}
#: Credentials say nothing about identity, so they are dropped.
PROFESSIONAL = frozenset({
    "MD", "ESQ", "ESQUIRE", "PHD", "DDS", "DMD", "DVM", "CPA", "RN", "LPN", "JD", "MBA",
    "CFA", "RET", "USA", "USN", "USMC", "USAF",
})
#: "V" is also a middle initial; it counts as a suffix only after two name words.
_AMBIGUOUS_SUFFIX = frozenset({"V"})
TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MX", "DR", "REV", "PROF", "SIR", "HON", "FR"})
#: Surname particles: "Maria de la Cruz" has the surname "DE LA CRUZ".
PARTICLES = frozenset({
    "DE", "DEL", "DELA", "DELLA", "DER", "DI", "DA", "DAS", "DOS", "DU", "LA", "LE", "LOS",
    "VAN", "VON", "DEN", "TER", "TEN", "ST", "STE", "SAINT", "BIN", "BEN", "AL", "EL", "MAC",
})

# Common US nicknames and record-keeping abbreviations whose root the nicknames data
# gets wrong or leaves ambiguous (it links BILL to ROBERT and JACK to JACQUELINE).
_ROOTS_TEXT = """
WILLIAM: BILL BILLY BILLIE WILL WILLIE WILLY WM
ROBERT: BOB BOBBY BOBBIE ROB ROBBIE ROBBY ROBT
RICHARD: DICK DICKY DICKIE RICK RICKY RICKIE RICH RICHIE
JAMES: JIM JIMMY JIMMIE JAS
MICHAEL: MIKE MIKEY MICKEY MICK
THOMAS: TOM TOMMY THOS
JOHN: JACK JOHNNY JOHNNIE JNO
JOSEPH: JOE JOEY JOS
CHARLES: CHARLIE CHUCK CHAS
DAVID: DAVE DAVEY DAVY
DANIEL: DAN DANNY
CHRISTOPHER: CHRIS
ANTHONY: TONY
STEVEN: STEVE STEVIE
EDWARD: ED EDDIE EDDY TED TEDDY EDW
MATTHEW: MATT MATTY
NICHOLAS: NICK NICKY
BENJAMIN: BEN BENNY BENJ
ALEXANDER: ALEX
ANDREW: ANDY DREW
KENNETH: KEN KENNY
RONALD: RON RONNIE
DONALD: DON DONNIE
GERALD: JERRY GERRY
GREGORY: GREG
LAWRENCE: LARRY
HENRY: HANK HARRY
FREDERICK: FRED FREDDY FREDDIE
SAMUEL: SAM SAMMY SAML
PATRICK: PAT PADDY
TIMOTHY: TIM TIMMY
JEFFREY: JEFF
JONATHAN: JON
PETER: PETE
RAYMOND: RAY
WALTER: WALT
EUGENE: GENE
LEONARD: LEN LENNY
DOUGLAS: DOUG
PHILIP: PHIL
ARTHUR: ART
RANDALL: RANDY
ZACHARY: ZACH ZACK
JOSHUA: JOSH
JACOB: JAKE
VINCENT: VINCE VINNY
GEORGE: GEO
ELIZABETH: LIZ LIZZY LIZZIE BETH BETTY BETSY
MARGARET: PEGGY MAGGIE MEG MARGE MADGE
KATHERINE: KATE KATIE KATHY KAT KATHIE
CATHERINE: CATHY CATHIE
SUSAN: SUE SUSIE SUZY SUZIE
DEBORAH: DEB DEBBIE DEBBY
BARBARA: BARB BARBIE BABS
PATRICIA: PATTY PATSY TRISH TRICIA
JENNIFER: JEN JENNY JENNI
CYNTHIA: CINDY
ABIGAIL: ABBY ABBIE
AMANDA: MANDY
CHRISTINA: TINA CHRISSY
VICTORIA: VICKY VICKI VICKIE
JESSICA: JESS
REBECCA: BECKY BECCA
DOROTHY: DOT DOTTIE DOTTY
MARY: MOLLY POLLY MAMIE
JUDITH: JUDY
VIRGINIA: GINNY
THERESA: TERRI TESS TESSA
SANDRA: SANDY
PAMELA: PAM
KIMBERLY: KIM
STEPHANIE: STEPH
ANGELA: ANGIE
JACQUELINE: JACKIE
GWENDOLYN: GWEN
MADELINE: MADDIE MADDY
"""
# Given names in their own right that the nicknames data would re-root (MARK -> MARCUS).
_STANDALONE = frozenset("""
MARK GARY FRANK AUSTIN CARL RALPH ALAN ALBERT DENNIS ROGER NATHAN TERRY KELLY LAURA AMY
MARIA MARIE EMILY CAROL ANNA ANN ANNE EMMA NICOLE JANET JOAN MEGAN JEAN SOPHIA DEBRA LORI
DIANA DIANE JANE JULIE ELLEN HELEN KAREN LYNN ROSE GRACE JOY HOPE MAX LEO TRACY LEE ANGEL
""".split())
_NICKNAME_ROOTS: dict[str, str] = {}
for _line in _ROOTS_TEXT.strip().splitlines():
    _root, _, _nicks = _line.partition(":")
    _NICKNAME_ROOTS.update({nick: _root for nick in _nicks.split()})
_KNOWN_ROOTS = frozenset(_NICKNAME_ROOTS.values()) | _STANDALONE
_NICKNAMER = NickNamer()

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_DISALLOWED = re.compile(r"[^A-Z0-9'\- ,]")
_TOKEN = re.compile(r"[A-Z]+(?:['\-]+[A-Z]+)*")
_JOINT = re.compile(r"&| AND ")


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    """Upper-case, strip accents, straighten apostrophes, drop periods ("A." -> "A"),
    and spell other scripts in Latin letters (ÞÓRSSON -> THORSSON, МАРИЯ -> MARIIA,
    王 -> WANG), as US sources print them; an unreadable name is no empty name."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    if not text.isascii():     # letters only: an emoji is no name (":grinning:")
        text = "".join(anyascii(ch) if ch.isalpha() and not ch.isascii() else ch
                       for ch in text)
    return " ".join(text.upper().replace(".", "").split())


def _words(text: str) -> list[str]:
    return text.replace(",", " ").split()


def _strip_suffixes(tokens: list[str], keep: int) -> tuple[list[str], list[str]]:
    """Split trailing suffix words off ``tokens``, leaving at least ``keep`` name words."""
    suffixes: list[str] = []
    while len(tokens) > keep:
        word = tokens[-1]
        if word in _AMBIGUOUS_SUFFIX and len(tokens) - 1 < max(keep, 1):
            break
        if word not in GENERATIONS and word not in PROFESSIONAL:
            break
        suffixes.insert(0, tokens.pop())
    return tokens, suffixes


def _strip_titles(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and tokens[0] in TITLES:
        tokens = tokens[1:]
    return tokens


def _split_uncomma(tokens: list[str]) -> tuple[list[str], list[str], list[str]]:
    """"first [middle...] last", the surname keeping any particles before it."""
    if len(tokens) == 1:
        return [], [], tokens
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in PARTICLES:
        start -= 1
    return tokens[:1], tokens[1:start], tokens[start:]


def _parse_full(text: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """(first, middle, last, suffix words) from a printed full name."""
    parts = [p.split() for p in text.split(",")]
    parts = [p for p in parts if p]
    if not parts:
        return [], [], [], []
    tail = [w for p in parts[1:] for w in p]
    if len(parts) == 1 or all(w in GENERATIONS or w in PROFESSIONAL for w in tail):
        tokens, suffixes = _strip_suffixes(_strip_titles(parts[0]), keep=2)
        first, middle, last = _split_uncomma(tokens)
        return first, middle, last, suffixes + tail
    last, suffixes = _strip_suffixes(parts[0], keep=1)
    given, given_suffixes = _strip_suffixes(_strip_titles(parts[1]), keep=2)
    rest = [w for p in parts[2:] for w in p]
    return given[:1], given[1:], last, suffixes + given_suffixes + rest


def _clean_part(words: list[str], label: str, problems: list[str]) -> str | None:
    """Join name words, or None with a problem when they are not letters."""
    if not words:
        return None
    text = " ".join(words)
    if any(ch.isdigit() for ch in text):
        problems.append(f"digits in {label} name")  # may be an SSN or a date of birth
        return None
    tokens = [t.strip("'-") for t in words]
    tokens = [t for t in tokens if t]
    if not tokens or not all(_TOKEN.fullmatch(t) for t in tokens):
        problems.append(f"unreadable {label} name '{redact(text)}'")
        return None
    return " ".join(tokens)


def _canonical_suffix(words: list[str], problems: list[str]) -> str | None:
    generation = None
    unknown = [w for w in words if w not in GENERATIONS and w not in PROFESSIONAL]
    if unknown:
        problems.append(f"unknown name suffix '{redact(' '.join(unknown))}'")
    for word in words:
        if word in GENERATIONS:
            if generation and GENERATIONS[word] != generation:
                problems.append(f"conflicting suffixes {generation} and {GENERATIONS[word]}")
            generation = generation or GENERATIONS[word]
    return generation


def first_root(first: object) -> str | None:
    """Nickname root of a first name: "Bill" -> "WILLIAM"; unknown names -> themselves."""
    words = _words(_DISALLOWED.sub("", _fold(as_text(first))))
    return _root(words[0]) if words and _TOKEN.fullmatch(words[0]) else None


@lru_cache(maxsize=65536)
def _root(first: str) -> str:
    """Root of a clean upper-case first name.

    Our own tables decide the common names; otherwise, for a name the nicknames data
    knows only as a nickname, the longer canonical name starting with the same letter
    that has the most nicknames, ties alphabetical.  Anything else is its own root.
    """
    if first in _NICKNAME_ROOTS:
        return _NICKNAME_ROOTS[first]
    if first in _KNOWN_ROOTS or not first.isalpha():
        return first
    low = first.lower()
    if _NICKNAMER.nicknames_of(low):  # has nicknames itself: a given name, not a nickname
        return first
    candidates = [c for c in _NICKNAMER.canonicals_of(low) if len(c) > len(low) and c[0] == low[0]]
    if not candidates:
        return first
    best = min(candidates, key=lambda c: (-len(_NICKNAMER.nicknames_of(c)), c))
    return best.upper()


@lru_cache(maxsize=65536)
def _roots(first: str) -> frozenset[str]:
    if not first:
        return frozenset()
    names = {first, _root(first)}
    names.update(c.upper() for c in _NICKNAMER.canonicals_of(first.lower()))
    return frozenset(names)


def nickname_roots(first: object) -> frozenset[str]:
    """Every canonical name a first name may stand for, itself included (upper-case)."""
    words = _words(_DISALLOWED.sub("", _fold(as_text(first))))
    return _roots(words[0]) if words and _TOKEN.fullmatch(words[0]) else frozenset()


@lru_cache(maxsize=65536)
def _phonetic(name: str | None) -> str | None:
    """Metaphone of the letters: it keeps SMITH = SMYTH and BROWN = BRAUN, as NYSIIS doesn't."""
    letters = "".join(ch for ch in name if ch.isalpha()) if name else ""
    return jellyfish.metaphone(letters).upper() or None if letters else None


def normalize_name(first: object = None, middle: object = None, last: object = None,
                   suffix: object = None, full_name: object = None) -> NameResult:
    """Normalize a name from parts, falling back to ``full_name`` for missing parts."""
    return _normalize(*(_fold(as_text(v)) for v in (first, middle, last, suffix, full_name)))


@lru_cache(maxsize=65536)
def _normalize(first: str, middle: str, last: str, suffix: str, full: str) -> NameResult:
    problems: list[str] = []
    given_any = any((first, middle, last, suffix, full))
    joint = bool(_JOINT.search(f" {full} "))
    unreadable = _DISALLOWED.findall(" ".join((first, middle, last, suffix, full)))
    if unreadable and not joint:
        problems.append(f"dropped characters '{redact(''.join(sorted(set(unreadable))), 20)}' from name")
    first, middle, last, suffix, full = (_DISALLOWED.sub("", v) for v in (first, middle, last, suffix, full))

    first_w, middle_w, last_w = _words(first), _words(middle), _words(last)
    suffix_w = _words(suffix)
    if full and not (first_w and last_w):
        if joint:
            problems.append("full name names more than one person")
        else:
            f_w, m_w, l_w, s_w = _parse_full(full)
            if l_w and not f_w:
                problems.append("full name has only one word")
            first_w, middle_w = first_w or f_w, middle_w or m_w
            last_w, suffix_w = last_w or l_w, suffix_w or s_w

    last_w, last_suffixes = _strip_suffixes(last_w, keep=1)
    middle_w, middle_suffixes = _strip_suffixes(middle_w, keep=0)
    suffix_w = suffix_w + last_suffixes + middle_suffixes
    first_w = _strip_titles(first_w)
    if len(first_w) > 1:
        if middle_w:
            problems.append("extra words in first name")
            first_w = first_w[:1]
        else:
            first_w, middle_w = first_w[:1], first_w[1:]

    first_name = _clean_part(first_w, "first", problems)
    middle_name = _clean_part(middle_w, "middle", problems)
    last_name = _clean_part(last_w, "last", problems)
    generation = _canonical_suffix(suffix_w, problems)
    if given_any and not joint and not (first_w or middle_w or last_w or suffix_w):
        problems.append("no name words found")

    return NameResult(
        first=first_name, middle=middle_name, last=last_name, suffix=generation,
        first_root=_root(first_name) if first_name else None,
        first_key=_phonetic(first_name),
        last_key=_phonetic(last_name),
        problems=tuple(problems),
    )
