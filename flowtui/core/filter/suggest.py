"""Completions for the filter bar: field names, or `field=value` once an operator is typed.

Values come from the records (most frequent first); for ports only well-known or named ones
are offered, never a client's ephemeral port.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

from flowtui.core.fields import FIELDS
from flowtui.core.filter.syntax import ALIASES, SHORTHANDS, FilterError, resolve_target
from flowtui.core.ports import port_service


def suggest(
    prefix: str,
    available_fields: Collection[str],
    values_seen: Mapping[str, Iterable[str]],
    limit: int = 10,
) -> list[str]:
    """Completions for the word being typed: field names, or `field=value` once an op is typed.

    Prefix matches come first, then fuzzy matches (rapidfuzz) over field names, aliases,
    enum values and the values seen in the data.
    """
    from rapidfuzz import fuzz, process

    match = re.match(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*(!=|<=|>=|=|<|>)(.*)$", prefix)
    if match is None:
        choices = _field_choices(frozenset(available_fields))
        typed = prefix.strip().lower()
        lead = ""
    else:
        word, op, typed = match.groups()
        typed = typed.strip()
        try:
            target = resolve_target(word)
        except FilterError:
            return []
        choices = _value_choices(target, values_seen)
        lead = f"{word}{op}"
    starts = [choice for choice in choices if choice.lower().startswith(typed.lower())]
    fuzzy = process.extract(typed, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
    ranked = list(dict.fromkeys([*starts, *(choice for choice, _, _ in fuzzy)]))
    return [lead + choice for choice in ranked[:limit]]


def _field_choices(available: frozenset[str]) -> list[str]:
    names = [name for name in FIELDS if name in available]
    names += [alias for alias, name in ALIASES.items() if name in available]
    names += [short for short, targets in SHORTHANDS.items() if available.intersection(targets)]
    return names


#: Port fields: of the ports seen, only well-known or named ones are worth completing.
_PORT_FIELDS = frozenset({"srcport", "dstport"})
_WELL_KNOWN_BELOW = 1024


def _worth_completing(name: str, value: str) -> bool:
    """A client's ephemeral port (49731) is noise in completions; 22, 443 and 5432 are not."""
    if name not in _PORT_FIELDS:
        return True
    if not value.isdecimal():
        return False
    port = int(value)
    return port < _WELL_KNOWN_BELOW or port_service(port) is not None


def _value_choices(target: str, values_seen: Mapping[str, Iterable[str]]) -> list[str]:
    names = SHORTHANDS.get(target, (target,))
    seen = [
        str(value)
        for name in names
        for value in values_seen.get(name, ())
        if _worth_completing(name, str(value))
    ]
    enum_values = list(FIELDS[names[0]].values)
    return list(dict.fromkeys([*enum_values, *seen]))
