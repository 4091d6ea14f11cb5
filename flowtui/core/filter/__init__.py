"""The field-level filter language: text -> syntax tree -> polars boolean expression.

Syntax
------
A filter is terms `field op value` (spaces around `op` are allowed):

- ops: `=` `!=` `<` `<=` `>` `>=`; `<`-style ops take one number or time.
- values: numbers (`bytes>1000`), lists (`dstport=22,3389`), ranges (`dstport=1024-65535`),
  addresses and CIDRs, IPv4 and IPv6 (`srcaddr=10.0.0.0/8`, `addr=2001:db8::/32`,
  `srcaddr=10.0.2.*`), wildcards on text (`eni=eni-0a*`), protocol names (`protocol=tcp`),
  port service names (`dstport=ssh`), enum values in any case (`action=reject`), quoted
  strings (`"..."`: taken literally, no wildcard or list), and `-` for a missing value.
- times on `start`/`end`: `start>=2026-11-27T10:00Z`, `start>-15m` (relative to `now`), epoch
  seconds.
- fields are AWS names (`log-status`, or `log_status`), aliases (src, dst, sport, dport, proto,
  eni, status) or the shorthands `addr` (srcaddr or dstaddr) and `port` (srcport or dstport).
- terms side by side are ANDed (`and` may be written); `or`; `not` or `!`; parentheses.
  Precedence: not > and > or. Keywords are case-insensitive.

Semantics
---------
- A missing value (`-`, stored as null) equals nothing and orders with nothing: `dstport=22` and
  `bytes>0` are false for NODATA records. Only `field=-` matches it.
- `field!=v` is exactly `not field=v`, so it is true when the value is missing.
- `addr=X` (and `addr<...`) is true when either address satisfies it; `addr!=X` is
  `not addr=X`: neither address is X. `port` likewise.
- A list means any of its values; `field!=a,b` means none of them.
- Text comparisons are case-sensitive (as in CloudWatch); enum values are not.
- IPv4 and IPv6 values only ever match addresses of their own family.

Every failure is a `FilterError` carrying the position of the offending text, so an input box
can point at it while the user types.

Modules
-------
- `syntax`: the syntax tree, its values, `FilterError` and field names (`resolve_target`).
- `parser`: text -> syntax tree (`parse_filter`).
- `compiler`: syntax tree -> polars expression (`compile_filter`, `Filter`, `check`).
- `suggest`: completions for the filter bar (`suggest`).
"""
