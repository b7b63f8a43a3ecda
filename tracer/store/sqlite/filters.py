"""``--where`` (`tracer batch`, `tracer accounts list`): a small, safe filter language over
account columns, compiled to a SQLite condition.

Text never reaches SQL: the expression is tokenized and parsed into a tree, columns are
checked against a whitelist, and every value becomes a ``?`` parameter::

    >>> where_sql("state = 'IL' and balance > 100")
    ('("state" = ? AND "balance" > ?)', ['IL', 100])

Grammar (keywords are case-insensitive)::

    expr       := and_expr ( "or" and_expr )*
    and_expr   := not_expr ( "and" not_expr )*
    not_expr   := "not" not_expr | "(" expr ")" | comparison
    comparison := COLUMN op VALUE
                | COLUMN ["not"] "in" "(" VALUE ( "," VALUE )* ")"
                | COLUMN "is" ["not"] "null"
                | COLUMN ["not"] "like" STRING
                | "flags" ["not"] "has" STRING        -- one flag of the ;-list
    op         := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    VALUE      := 'text' (a quote doubled inside: 'O''Brien') | number
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...errors import InputError

#: Account columns a filter may name, and whether they hold numbers.  Personal
#: identifiers (names, DOB, SSN, phone, email) are deliberately absent.
COLUMNS: dict[str, bool] = {
    "account_id": False, "state": False, "zip": False, "city": False, "balance": True,
    "status": False, "flags": False, "assigned_to": False, "debt_origin": False,
    "last_activity": False, "imported_at": False, "updated_at": False,
}
KEYWORDS = {"and", "or", "not", "in", "is", "null", "like", "has"}
OPERATORS = ("<=", ">=", "!=", "<>", "=", "<", ">")
MAX_LENGTH = 2000
MAX_IN_VALUES = 1000
#: Deepest nesting of ``not`` and parentheses: far beyond any real filter, and far
#: below what Python's recursion or SQLite's expression depth would refuse.
MAX_DEPTH = 50

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<number>-?\d+(?:\.\d+)?)(?![A-Za-z_])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    )""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str   # string, number, word, op, punct, end
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise InputError(f"--where is longer than {MAX_LENGTH} characters")
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].lstrip()[:20]
            raise InputError(f"--where: cannot read {bad!r} at character {pos + 1}; "
                             "use column op 'text' or number, and/or/not, parentheses")
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "string":
            value: Any = raw[1:-1].replace("''", "'")
        elif kind == "number":
            value = float(raw) if "." in raw else int(raw)
        elif kind == "word":
            value = raw.lower()
        else:
            value = raw
        tokens.append(Token(kind, value, match.start(kind)))
        pos = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.params: list[Any] = []

    # -- token helpers -------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept_word(self, word: str) -> bool:
        if self.tok.kind == "word" and self.tok.value == word:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, value: Any = None) -> Token:
        tok = self.tok
        if tok.kind != kind or (value is not None and tok.value != value):
            want = repr(value) if value is not None else kind
            raise self.error(f"expected {want}")
        return self.take()

    def error(self, what: str) -> InputError:
        tok = self.tok
        found = "the end" if tok.kind == "end" else repr(tok.value)
        return InputError(f"--where: {what} at character {tok.pos + 1}, found {found}")

    # -- grammar -------------------------------------------------------------------
    def parse(self) -> str:
        sql = self.expr()
        if self.tok.kind != "end":
            raise self.error("expected and/or or the end")
        return sql

    def expr(self) -> str:
        parts = [self.and_expr()]
        while self.accept_word("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while self.accept_word("and"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def not_expr(self) -> str:
        if self.tok.kind == "word" and self.tok.value == "not" or (
                self.tok.kind == "punct" and self.tok.value == "("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"not and parentheses nested more than {MAX_DEPTH} "
                                 "deep (this parser's limit)")
            try:
                if self.accept_word("not"):
                    return f"NOT {self.not_expr()}"
                self.take()
                inner = self.expr()
                self.expect("punct", ")")
                return inner
            finally:
                self.depth -= 1
        return self.comparison()

    def column(self) -> tuple[str, bool]:
        tok = self.tok
        if tok.kind != "word" or tok.value in KEYWORDS:
            raise self.error("expected a column name")
        if tok.value not in COLUMNS:
            raise InputError(f"--where: unknown column {tok.value!r}; filter on "
                             + ", ".join(sorted(COLUMNS)))
        self.take()
        return tok.value, COLUMNS[tok.value]

    def value(self, numeric: bool, column: str) -> None:
        tok = self.tok
        if tok.kind not in ("string", "number"):
            raise self.error("expected a 'quoted text' or a number")
        if numeric and tok.kind != "number":
            raise self.error(f"{column} compares with numbers")
        if not numeric and tok.kind != "string":
            raise self.error(f"{column} compares with 'quoted text'")
        self.params.append(self.take().value)

    def comparison(self) -> str:
        name, numeric = self.column()
        col = f'"{name}"'
        negate = "NOT " if self.accept_word("not") else ""
        if self.accept_word("in"):
            self.expect("punct", "(")
            count = 1
            self.value(numeric, name)
            while self.tok.kind == "punct" and self.tok.value == ",":
                self.take()
                self.value(numeric, name)
                count += 1
                if count > MAX_IN_VALUES:
                    raise self.error(f"at most {MAX_IN_VALUES} values in a list")
            self.expect("punct", ")")
            return f"{col} {negate}IN ({', '.join('?' * count)})"
        if self.accept_word("like"):
            if numeric:
                raise self.error(f"{name} is a number; like compares text")
            self.value(False, name)
            return f"{col} {negate}LIKE ? ESCAPE '\\'"
        if self.accept_word("has"):
            if name != "flags":
                raise self.error("has applies to flags only")
            tok = self.expect("string")
            self.params.append(f"%;{_escape_like(tok.value)};%")
            return f"{negate}(';' || {col} || ';') LIKE ? ESCAPE '\\'"
        if negate:
            raise self.error("expected in, like or has after not")
        if self.accept_word("is"):
            neg = "NOT " if self.accept_word("not") else ""
            self.expect("word", "null")
            return f"{col} IS {neg}NULL"
        tok = self.tok
        if tok.kind != "op":
            raise self.error("expected a comparison (= != < <= > >=, in, like, is null)")
        self.take()
        self.value(numeric, name)
        return f"{col} {'!=' if tok.value == '<>' else tok.value} ?"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where_sql(text: str) -> tuple[str, list[Any]]:
    """Parse a filter expression into a parameterized SQL condition and its values."""
    if not text or not text.strip():
        raise InputError("--where is empty")
    parser = _Parser(text)
    return parser.parse(), parser.params


def mentions_status(text: str) -> bool:
    """Whether an expression filters on ``status`` itself (then the default
    "open accounts only" does not apply)."""
    return any(t.kind == "word" and t.value == "status" for t in tokenize(text))
