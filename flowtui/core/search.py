"""Row search: exact (case-insensitive) over the visible columns as displayed, and fuzzy ranking.

Exact search looks for the text in each visible cell's displayed text. When the text is an IP
address it matches whole addresses only: `10.0.1.5` finds `10.0.1.5`, never `10.0.11.5` or
`10.0.1.50`. Any other text is a substring match. Missing values (null) match nothing.

Displayed text comes from `render(column) -> pl.Expr` (default `aws_text`: the value as AWS
writes it). Evaluation is vectorised and never formats a million strings when it can avoid it:
- a column rendered from one store column is matched once per distinct value (an enum's
  categories, or the column's unique values), then mapped back with `is_in`;
- with the default rendering, text that cannot appear in a column's spelling (letters in a
  number, `reject` in an address) skips the column, an IPv4 address is an integer comparison,
  and digits are looked for in integers over the column's value range, or arithmetically.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Sequence

import polars as pl
from polars.datatypes import IntegerType

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.schema import ROW_ID, ipv4_text, ipv4_to_int, v6_column

Render = Callable[[str], pl.Expr]
RowScore = tuple[int, float]

_MATCH = "_match"
_NUMERIC_KINDS = frozenset({FieldKind.INTEGER, FieldKind.TIMESTAMP})
_IPV4_CHARS = frozenset("0123456789.")
_IPV6_CHARS = frozenset("0123456789abcdef:.")
#: Integer columns whose values span at most this many are matched over the whole span.
_SPAN_LIMIT = 1 << 16


def aws_text(column: str) -> pl.Expr:
    """A store column's value as AWS writes it in the record; null for `-`."""
    spec = FIELDS.get(column)
    if spec is not None and spec.kind is FieldKind.ADDRESS:
        return pl.coalesce(ipv4_text(pl.col(column)), pl.col(v6_column(column)).cast(pl.String))
    return pl.col(column).cast(pl.String)


class _Needle:
    """What to look for, as a test on displayed text."""

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self.chars = frozenset(self.text.lower())
        self.digits_only = self.text.isascii() and self.text.isdigit()
        #: For an IP address: the characters that would make it part of a longer address.
        self.neighbours = _address_neighbours(self.text)

    def test(self, shown: pl.Expr) -> pl.Expr:
        """Vectorised: does each displayed text contain the needle?"""
        if self.neighbours is None:
            return shown.str.to_lowercase().str.contains(self.text.lower(), literal=True)
        escaped = "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in self.text)
        outside = f"[^{self.neighbours}]"
        return shown.str.contains(f"(?i)(?:^|{outside}){escaped}(?:$|{outside})")

    def spans(self, shown: str) -> list[tuple[int, int]]:
        """Where the needle appears in one displayed text, as (start, end) pairs."""
        if not self.text:
            return []
        pattern = re.escape(self.text)
        if self.neighbours is not None:
            pattern = rf"(?<![{self.neighbours}]){pattern}(?![{self.neighbours}])"
        return [(m.start(), m.end()) for m in re.finditer(pattern, shown, re.IGNORECASE)]


def _address_neighbours(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return "0-9." if address.version == 4 else "0-9A-Fa-f:."


def search_mask(
    frame: pl.DataFrame, text: str, columns: Sequence[str], render: Render = aws_text
) -> pl.Series:
    """True for each row where some visible column shows `text` (see the module docstring)."""
    needle = _Needle(text)
    if not needle.text or not columns or frame.height == 0:
        return pl.Series(_MATCH, [False] * frame.height, dtype=pl.Boolean)
    masks = [_column_mask(frame, column, render(column), needle) for column in columns]
    # with_columns, unlike select, stretches an all-literal result to the frame's height.
    matches = pl.any_horizontal(masks).fill_null(False).alias(_MATCH)
    return frame.with_columns(matches).get_column(_MATCH)


def _column_mask(frame: pl.DataFrame, column: str, shown: pl.Expr, needle: _Needle) -> pl.Expr:
    spec = FIELDS.get(column)
    if spec is not None and shown.meta.eq(aws_text(column)):
        if spec.kind in _NUMERIC_KINDS:
            return _integer_mask(frame, column, needle)
        if spec.kind is FieldKind.ADDRESS:
            return _ipv4_mask(frame, column, needle) | _ipv6_mask(frame, column, needle)
    roots = shown.meta.root_names()
    if len(roots) == 1:
        return _distinct_mask(frame, roots[0], shown, needle)
    return needle.test(shown)


def _integer_mask(frame: pl.DataFrame, column: str, needle: _Needle) -> pl.Expr:
    """Decimal digits in plain integers, without formatting every row."""
    values = frame.get_column(column)
    low, high = values.min(), values.max()
    if not needle.digits_only or low is None or high is None:
        return pl.lit(False)
    assert isinstance(low, int) and isinstance(high, int)
    assert isinstance(values.dtype, IntegerType)
    if high - low <= _SPAN_LIMIT:
        span = pl.int_range(low, high + 1, dtype=values.dtype, eager=True).alias(column)
        return _distinct_matches(span, pl.col(column).cast(pl.String), needle)
    return _decimal_contains(pl.col(column).abs(), needle.text, max(abs(low), abs(high)))


def _decimal_contains(values: pl.Expr, digits: str, largest: int) -> pl.Expr:
    """Whether str(value) contains `digits`, for values >= 0, by comparing digit windows."""
    width = len(digits)
    checks = []
    for shift in range(len(str(largest)) - width + 1):
        window = (values // 10**shift) % 10**width == int(digits)
        top_digit = shift + width - 1
        if digits.startswith("0") and top_digit > 0:
            window &= values >= 10**top_digit  # the window must lie inside the number
        checks.append(window)
    return pl.any_horizontal(checks) if checks else pl.lit(False)


def _ipv4_mask(frame: pl.DataFrame, column: str, needle: _Needle) -> pl.Expr:
    if not needle.chars <= _IPV4_CHARS:
        return pl.lit(False)
    if needle.neighbours is not None:
        return pl.col(column) == ipv4_to_int(needle.text)  # a whole IPv4 address
    return _dotted_quad_contains(pl.col(column), needle.text.split("."))


def _dotted_quad_contains(address: pl.Expr, parts: list[str]) -> pl.Expr:
    """Whether the dotted quad contains `".".join(parts)`, decided octet by octet.

    The text spans consecutive octets: it starts at the end of one (a suffix of its decimal),
    covers whole octets, and stops inside the last (a prefix); one part is a plain substring.
    Each test is membership in a set of 0-255 values worked out here, so no text is built.
    """
    octets = [(address // (1 << shift)) % 256 for shift in (24, 16, 8, 0)]
    texts = [str(value) for value in range(256)]
    last = len(parts) - 1

    def fits(text: str, index: int) -> bool:
        part = parts[index]
        if last == 0:
            return part in text
        if index == 0:
            return text.endswith(part)
        return text.startswith(part) if index == last else text == part

    alignments = []
    for first in range(len(octets) - last):
        allowed = [[v for v, text in enumerate(texts) if fits(text, i)] for i in range(last + 1)]
        if all(allowed):
            tests = [octets[first + i].is_in(values) for i, values in enumerate(allowed)]
            alignments.append(pl.all_horizontal(tests))
    return pl.any_horizontal(alignments) if alignments else pl.lit(False)


def _ipv6_mask(frame: pl.DataFrame, column: str, needle: _Needle) -> pl.Expr:
    if not needle.chars <= _IPV6_CHARS:
        return pl.lit(False)
    v6 = v6_column(column)
    return _distinct_mask(frame, v6, pl.col(v6).cast(pl.String), needle)


def _distinct_mask(frame: pl.DataFrame, source: str, shown: pl.Expr, needle: _Needle) -> pl.Expr:
    """Match once per distinct value of `source`, then map back to rows."""
    values = frame.get_column(source)
    if isinstance(values.dtype, pl.Enum):
        distinct = pl.Series(source, values.dtype.categories).cast(values.dtype)
    else:
        distinct = values.unique()
    return _distinct_matches(distinct, shown, needle)


def _distinct_matches(distinct: pl.Series, shown: pl.Expr, needle: _Needle) -> pl.Expr:
    matched = distinct.to_frame().filter(needle.test(shown).fill_null(False)).to_series()
    if matched.len() == 0:
        return pl.lit(False)
    return pl.col(distinct.name).is_in(matched.implode())


def row_texts(frame: pl.DataFrame, columns: Sequence[str], render: Render = aws_text) -> pl.Series:
    """Each row's visible cells as one lower-case line (missing values shown as `-`)."""
    shown = [render(column).fill_null("-") for column in columns]
    line = pl.concat_str(shown, separator=" ").str.to_lowercase()
    return frame.select(line.alias("text")).to_series()


def fuzzy_rank(
    frame: pl.DataFrame,
    text: str,
    columns: Sequence[str],
    chunk_size: int = 20_000,
    *,
    render: Render = aws_text,
    score_cutoff: float = 70.0,
) -> Iterator[list[RowScore]]:
    """Fuzzy scores (0-100) of rows against `text`, one list per chunk of `chunk_size` rows.

    Each list holds (`_row_id`, score) for the chunk's rows scoring at least `score_cutoff`,
    best first, so a caller can show the first results before the rest are scored.
    """
    from rapidfuzz import fuzz, process

    query = text.strip().lower()
    if not query or not columns:
        return
    for offset in range(0, frame.height, chunk_size):
        chunk = frame.slice(offset, chunk_size)
        lines = row_texts(chunk, columns, render).to_list()
        row_ids = chunk.get_column(ROW_ID).to_list()
        found = process.extract(
            query, lines, scorer=fuzz.partial_ratio, limit=None, score_cutoff=score_cutoff
        )
        yield [(row_ids[index], score) for _, score, index in found]


def highlight_spans(shown: str, text: str) -> list[tuple[int, int]]:
    """Where `text` appears in one displayed cell, as (start, end) pairs, by search's rules."""
    return _Needle(text).spans(shown)
