"""The fast path for clean blocks of a file: polars' CSV reader as the tokenizer.

Most input is clean: every line has exactly the fields of one format, single spaces, no
control characters. For such a block the multi-threaded CSV reader splits and parses integers
natively, several times cheaper than splitting strings column by column. Anything unusual in a
block (a malformed line, a header line, a blank line, a double space, a control byte) sends the
whole block to the careful path in parse.py, which reports each line exactly; so this path only
ever has to recognise clean input, never explain bad input.
"""

from __future__ import annotations

import io
import re

import polars as pl

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.formats import LogFormat
from flowtui.core.schema import field_dtype, v6_column, valid_ipv6_mask

#: Bytes a clean block may hold: printable ASCII and newlines. Deleting them leaves nothing
#: unless the block has control bytes ('\r' included) or non-ASCII text for the careful path.
_CLEAN_BYTES = bytes(range(0x20, 0x7F)) + b"\n"
#: A line made only of lower-case letters, hyphens and spaces: possibly an S3 header line
#: (an empty line matches too: blank lines take the careful path, which counts them).
_HEADER_LIKE = re.compile(rb"(?m)^[a-z -]*$")
_IPV4_SHAPE = r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$"


def line_count(block: bytes) -> int:
    return block.count(b"\n") + (0 if block.endswith(b"\n") else 1) if block else 0


def first_token_count(block: bytes) -> int:
    end = block.find(b"\n")
    first = block[: end if end >= 0 else len(block)]
    return first.count(b" ") + 1


def parse_clean_block(block: bytes, fmt: LogFormat) -> pl.DataFrame | None:
    """Typed records of `block` in `fmt`, or None when the block is not entirely clean."""
    if not block or block.translate(None, _CLEAN_BYTES) or _may_hold_header(block, fmt):
        return None
    names = list(fmt.fields)
    last = names[-1]
    try:
        tokens = pl.read_csv(
            io.BytesIO(block),
            separator=" ",
            has_header=False,
            quote_char=None,
            schema={n: _read_dtype(n, n == last) for n in names},
            null_values={name: "-" for name in names if name != last},
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError):
        return None
    if tokens.height != line_count(block):
        return None
    # Longer lines make the reader fail; shorter ones leave the text-typed last column null.
    if tokens[last].null_count():
        return None
    return _typed(tokens, fmt)


def _may_hold_header(block: bytes, fmt: LogFormat) -> bool:
    """A header line makes the reader fail on a numeric column; only all-text formats need a
    look at every line."""
    numeric = (FieldKind.INTEGER, FieldKind.TIMESTAMP)
    if any(FIELDS[name].kind in numeric for name in fmt.fields[:-1]):
        return False
    body = block[:-1] if block.endswith(b"\n") else block
    return _HEADER_LIKE.search(body) is not None


def _read_dtype(name: str, is_last: bool) -> pl.DataType:
    """Integers are parsed by the reader; the last column stays text to tell '-' from absent."""
    spec = FIELDS[name]
    if is_last:
        return pl.String()
    if spec.kind is FieldKind.INTEGER:
        return field_dtype(spec)
    if spec.kind is FieldKind.TIMESTAMP:
        return pl.UInt64()
    return pl.String()


def _typed(tokens: pl.DataFrame, fmt: LogFormat) -> pl.DataFrame | None:
    exprs: list[pl.Expr] = []
    errors: list[pl.Expr] = []
    last = fmt.fields[-1]
    for name in fmt.fields:
        value, error = _convert(name, name == last)
        exprs.extend(value)
        errors.append(error)
    addresses = [name for name in fmt.fields if FIELDS[name].kind is FieldKind.ADDRESS]
    # Stages, so that each address is split and classified once (polars does not share
    # sub-expressions through map_batches).
    typed = (
        tokens.lazy()
        .with_columns(
            pl.col(name).str.split_exact(".", 3).alias(f"octets:{name}") for name in addresses
        )
        .with_columns(
            expr for name in addresses for expr in _address_flags(name, _text(name, name == last))
        )
        .select(*exprs, pl.any_horizontal(errors).any().alias("__bad"))
        .collect()
    )
    if typed["__bad"][0]:
        return None
    return typed.drop("__bad")


def _text(name: str, is_last: bool) -> pl.Expr:
    # The last column was read as text: '-' is still a token there.
    column = pl.col(name)
    return pl.when(column != "-").then(column) if is_last else column


def _convert(name: str, is_last: bool) -> tuple[list[pl.Expr], pl.Expr]:
    spec = FIELDS[name]
    column = pl.col(name)
    text = _text(name, is_last)
    if spec.kind is FieldKind.ADDRESS:
        return _address(name, text)
    if spec.kind is FieldKind.TEXT:
        return [text.cast(pl.Categorical).alias(name)], pl.lit(False)
    if spec.kind is FieldKind.ENUM:
        value = text.cast(field_dtype(spec), strict=False)
        return [value.alias(name)], value.is_null() & text.is_not_null()
    if spec.kind is FieldKind.TIMESTAMP:
        raw = text.cast(pl.UInt64, strict=False) if is_last else column
        value = pl.when(raw > 2**31 - 1).then(raw // 1000).otherwise(raw).cast(pl.Int64)
        return [value.alias(name)], raw.is_null() & text.is_not_null()
    value = text.cast(field_dtype(spec), strict=False) if is_last else column
    return [value.alias(name)], value.is_null() & text.is_not_null()


def _octets(name: str) -> list[pl.Expr]:
    octets = pl.col(f"octets:{name}")
    return [
        octets.struct.field(f"field_{i}").cast(pl.UInt8, strict=False).cast(pl.UInt32)
        for i in range(4)
    ]


def _address_flags(name: str, text: pl.Expr) -> list[pl.Expr]:
    numbers = _octets(name)
    is_v4 = text.str.contains(_IPV4_SHAPE) & pl.all_horizontal([n.is_not_null() for n in numbers])
    is_v6 = text.str.contains(":", literal=True)
    v6_valid = pl.when(is_v6).then(text).map_batches(valid_ipv6_mask, return_dtype=pl.Boolean)
    return [
        is_v4.fill_null(False).alias(f"v4:{name}"),
        v6_valid.fill_null(False).alias(f"v6:{name}"),
    ]


def _address(name: str, text: pl.Expr) -> tuple[list[pl.Expr], pl.Expr]:
    numbers = _octets(name)
    is_v4, v6_valid = pl.col(f"v4:{name}"), pl.col(f"v6:{name}")
    ipv4 = numbers[0] * 16777216 + numbers[1] * 65536 + numbers[2] * 256 + numbers[3]
    values = [
        pl.when(is_v4).then(ipv4).alias(name),
        pl.when(v6_valid).then(text).cast(pl.Categorical).alias(v6_column(name)),
    ]
    return values, text.is_not_null() & ~is_v4 & ~v6_valid
