"""Aggregations over the record store: top talkers, rejections, value counts, traffic over time.

Pure polars and no I/O: callers run these off the UI thread. Every function takes the current
(filtered) frame, laid out as `flowtui.core.schema` says, and returns a small `StatsTable` whose
values are already rendered for people (addresses as text, protocols by name, null as "-"), so
the TUI and the headless CLI show the same numbers. A table that needs a field the records do
not have comes back empty, with `missing_fields` set and a note that says so.

Counting: a flow between two monitored ENIs, or through a NAT gateway, is recorded once on each
ENI it crosses. `Counting` picks how records are counted, and every table's note names it.

Modules:

- `counting`: how records are counted (`Counting`, one record per flow), `StatsTable`, and the
  empty table for records that lack a needed field.
- `grouping`: grouping, ranking and rendering shared by every table.
- `talkers`: top talkers and rejections; `values`: value counts and counts per field;
  `timeline`: traffic over time.
- `report`: several tables at once (the stats view, `query --stats`) and their text output.
- `drill`: the filter of the records behind a row or a time bucket (drill-down).
"""
