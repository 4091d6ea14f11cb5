"""Exports: raw lines rebuilt per format, JSON Lines, CSV, and safe file writing."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Mapping
from pathlib import Path

import orjson
import polars as pl
import pytest

from flowtui.core import export
from flowtui.core.events import EventBatch
from flowtui.core.export import ExportError
from flowtui.core.formats import DEFAULT_FORMAT, LogFormat, parse_format
from flowtui.core.parse import FormatRegistry, LineParser
from flowtui.core.schema import FORMAT_INDEX, ipv4_to_int, store_schema
from tests.samples import sample_blocks

CUSTOM = parse_format("version vpc-id srcaddr dstaddr tcp-flags flow-direction")
FORMATS = [DEFAULT_FORMAT, CUSTOM]

V2_ACCEPT = (
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK"
)
V2_IPV6 = (
    "2 123456789010 eni-f41c42bf 2001:db8:1234:a100:8d6e:3477:df66:f105 "
    "2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK"
)
V2_NODATA = "2 123456789010 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - NODATA"


def frame_of(rows: list[dict[str, object]], formats: list[LogFormat] = FORMATS) -> pl.DataFrame:
    """A store frame built by hand: one dict per record, AWS names, '-' fields left out."""
    schema = store_schema({name for fmt in formats for name in fmt.fields})
    numbered = [{"_row_id": i, **row} for i, row in enumerate(rows)]
    return pl.DataFrame(numbered, schema=schema)


def v2_row(**values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "_fmt": 0,
        "version": 2,
        "account-id": "123456789010",
        "interface-id": "eni-1",
        "srcaddr": ipv4_to_int("10.0.0.1"),
        "dstaddr": ipv4_to_int("192.168.1.255"),
        "srcport": 443,
        "dstport": 51000,
        "protocol": 6,
        "packets": 10,
        "bytes": 2**64 - 1,
        "start": 1_700_000_000,
        "end": 1_700_000_060,
        "action": "ACCEPT",
        "log-status": "OK",
    }
    row.update(values)
    return row


def custom_row(**values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "_fmt": 1,
        "version": 3,
        "vpc-id": "vpc-1",
        "srcaddr": ipv4_to_int("255.255.255.255"),
        "dstaddr": 0,
        "tcp-flags": 19,
        "flow-direction": "egress",
    }
    row.update(values)
    return row


def parse_text(text: str) -> tuple[pl.DataFrame, tuple[LogFormat, ...]]:
    """Read lines back the way `flowtui query` does (format detection, header switching)."""
    registry = FormatRegistry()
    result = LineParser(registry).parse_batch(EventBatch(text.splitlines()))
    assert result.malformed == []
    return result.frame, registry.formats


def raw_text(frame: pl.DataFrame, formats: list[LogFormat] = FORMATS) -> str:
    out = io.StringIO()
    export.write_raw(frame, formats, out)
    return out.getvalue()


def records(frame: pl.DataFrame, formats: list[LogFormat] = FORMATS) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in export.jsonl_records(frame, formats)]


# --- raw -------------------------------------------------------------------------------------


def test_raw_lines_rebuild_default_records_exactly() -> None:
    frame, formats = parse_text("\n".join([V2_ACCEPT, V2_IPV6, V2_NODATA]))
    assert list(export.raw_lines(frame, list(formats))) == [V2_ACCEPT, V2_IPV6, V2_NODATA]
    assert raw_text(frame, list(formats)) == f"{V2_ACCEPT}\n{V2_IPV6}\n{V2_NODATA}\n"


def test_raw_renders_ipv4_extremes_and_nulls_as_dashes() -> None:
    frame = frame_of([custom_row(), custom_row(**{"tcp-flags": None, "vpc-id": None})])
    assert list(export.raw_lines(frame, FORMATS)) == [
        "3 vpc-1 255.255.255.255 0.0.0.0 19 egress",
        "3 - 255.255.255.255 0.0.0.0 - egress",
    ]


def test_raw_custom_format_starts_with_its_header_line() -> None:
    text = raw_text(frame_of([custom_row(), custom_row(version=5)]))
    assert text.splitlines() == [
        CUSTOM.header_line(),
        "3 vpc-1 255.255.255.255 0.0.0.0 19 egress",
        "5 vpc-1 255.255.255.255 0.0.0.0 19 egress",
    ]


def test_raw_mixed_formats_are_grouped_with_one_header_per_format() -> None:
    frame = frame_of(
        [v2_row(), custom_row(), v2_row(protocol=17), custom_row(version=5), v2_row(protocol=1)]
    )
    lines = raw_text(frame).splitlines()
    # The default format's block first (no header needed), rows in order within each block.
    assert [line.split()[7] for line in lines[:3]] == ["6", "17", "1"]
    assert lines[3:] == [
        CUSTOM.header_line(),
        "3 vpc-1 255.255.255.255 0.0.0.0 19 egress",
        "5 vpc-1 255.255.255.255 0.0.0.0 19 egress",
    ]
    assert parse_text("\n".join(lines) + "\n")[0].height == 5


def test_raw_written_in_batches_continues_the_block_it_ended_with() -> None:
    out = io.StringIO()
    last = export.write_raw(frame_of([v2_row(), custom_row()]), FORMATS, out)
    assert last == CUSTOM
    export.write_raw(frame_of([v2_row(), custom_row(version=7)]), FORMATS, out, previous=last)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["2", "version", "3", "7", "version", "2"]
    assert lines[4] == DEFAULT_FORMAT.header_line()


def test_raw_output_of_every_aws_example_reads_back_to_the_same_records() -> None:
    blocks = [block for block in sample_blocks() if block.records]
    text = ""
    for block in blocks:
        usable = [
            line for line in block.records if "#" not in line
        ]  # annotated lines are malformed
        text += " ".join(block.format_names) + "\n" + "\n".join(usable) + "\n"
    original, formats = parse_text(text)
    exported = raw_text(original, list(formats))
    again, again_formats = parse_text(exported)
    assert again_formats == formats
    # Raw output groups records by format, keeping their order within each format.
    for index in range(len(formats)):
        back = again.filter(pl.col(FORMAT_INDEX) == index).drop("_row_id", strict=False)
        assert back.equals(
            original.filter(pl.col(FORMAT_INDEX) == index).drop("_row_id", strict=False)
        )
    assert again.height == original.height


def test_raw_lines_keep_row_order_across_many_alternating_formats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", 3)
    rows = [v2_row(srcport=i) if i % 2 else custom_row(version=i) for i in range(10)]
    lines = list(export.raw_lines(frame_of(rows), FORMATS))
    assert [int(line.split()[5 if i % 2 else 0]) for i, line in enumerate(lines)] == list(range(10))


# --- JSON Lines ------------------------------------------------------------------------------


def test_jsonl_keys_follow_each_records_format_and_values_are_typed() -> None:
    frame = frame_of([v2_row(dstport=None, dstaddr_v6="2001:db8::1", dstaddr=None), custom_row()])
    first, second = records(frame)
    assert list(first) == list(DEFAULT_FORMAT.fields)
    assert first["bytes"] == 2**64 - 1
    assert first["start"] == 1_700_000_000
    assert first["srcaddr"] == "10.0.0.1"
    assert first["dstaddr"] == "2001:db8::1"
    assert first["dstport"] is None
    assert first["action"] == "ACCEPT"
    assert second == {
        "version": 3,
        "vpc-id": "vpc-1",
        "srcaddr": "255.255.255.255",
        "dstaddr": "0.0.0.0",
        "tcp-flags": 19,
        "flow-direction": "egress",
    }


def test_jsonl_adds_log_stream_and_ingestion_time_only_to_records_that_have_them() -> None:
    frame = frame_of([v2_row(_stream='eni-1-all "quoted"', _ingest=1_700_000_061_000), v2_row()])
    with_origin, without = records(frame)
    assert with_origin["log_stream"] == 'eni-1-all "quoted"'
    assert with_origin["ingestion_time"] == 1_700_000_061_000
    assert list(with_origin)[-2:] == ["log_stream", "ingestion_time"]
    assert "log_stream" not in without
    assert "ingestion_time" not in without


def test_jsonl_decode_adds_a_decoded_object_from_the_typed_record() -> None:
    seen: list[Mapping[str, object]] = []

    def decode(record: Mapping[str, object]) -> dict[str, object]:
        seen.append(dict(record))
        return {"protocol": "TCP" if record["protocol"] == 6 else "?"}

    frame = frame_of([v2_row()])
    (line,) = export.jsonl_records(frame, FORMATS, decode=decode)
    assert orjson.loads(line)["decoded"] == {"protocol": "TCP"}
    assert seen[0]["srcaddr"] == "10.0.0.1"


def test_write_jsonl_matches_jsonl_records_line_for_line() -> None:
    frame = frame_of([v2_row(), custom_row(), v2_row(_stream="s")])
    out = io.StringIO()
    export.write_jsonl(frame, FORMATS, out)
    expected = [line.decode() for line in export.jsonl_records(frame, FORMATS)]
    assert out.getvalue().splitlines() == expected


# --- CSV -------------------------------------------------------------------------------------


def test_csv_header_is_the_union_of_used_formats_in_catalog_order_then_origin() -> None:
    frame = frame_of([v2_row(_stream="a,b", _ingest=5), custom_row()])
    out = io.StringIO()
    export.write_csv(frame, FORMATS, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    expected_header = [*DEFAULT_FORMAT.fields, "vpc-id", "tcp-flags", "flow-direction"]
    assert rows[0] == [*expected_header, "log_stream", "ingestion_time"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["srcaddr"] == "10.0.0.1"
    assert first["bytes"] == str(2**64 - 1)
    assert first["log_stream"] == "a,b"
    assert first["vpc-id"] == "-"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert (second["tcp-flags"], second["account-id"], second["log_stream"]) == ("19", "-", "-")
    assert len(rows) == 3


def test_csv_of_one_format_has_its_fields_in_its_order() -> None:
    out = io.StringIO()
    export.write_csv(frame_of([custom_row()]), FORMATS, out)
    assert (
        out.getvalue().splitlines()[0] == "version,vpc-id,srcaddr,dstaddr,tcp-flags,flow-direction"
    )


# --- files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["raw", "jsonl", "csv"])
def test_export_writes_a_private_file_that_reads_back(
    kind: export.ExportKind, tmp_path: Path
) -> None:
    frame = frame_of([v2_row(), custom_row()])
    target = tmp_path / f"out.{kind}"
    result = export.export(frame, FORMATS, target, kind)
    assert result == export.ExportResult(rows=2, bytes=target.stat().st_size, path=target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text()
    if kind == "raw":
        assert parse_text(text)[0].height == 2
    elif kind == "jsonl":
        assert [orjson.loads(line)["version"] for line in text.splitlines()] == [2, 3]
    else:
        assert [row["version"] for row in csv.DictReader(io.StringIO(text))] == ["2", "3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_export_refuses_to_overwrite_without_permission(tmp_path: Path) -> None:
    target = tmp_path / "flows.log"
    target.write_text("keep me\n")
    with pytest.raises(ExportError, match="file exists"):
        export.export(frame_of([v2_row()]), FORMATS, target, "raw")
    assert target.read_text() == "keep me\n"
    export.export(frame_of([v2_row()]), FORMATS, target, "raw", overwrite=True)
    assert target.read_text().startswith("2 123456789010 eni-1 ")


def test_export_writes_through_a_symlink_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real" / "flows.log"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "latest.log"
    link.symlink_to(real)
    with pytest.raises(ExportError, match="file exists"):
        export.export(frame_of([v2_row()]), FORMATS, link, "raw")
    result = export.export(frame_of([v2_row()]), FORMATS, link, "raw", overwrite=True)
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text().startswith("2 123456789010 eni-1 ")
    assert result.path == real
    # A new file at the link's target is created the same way, and nothing is left behind.
    assert sorted(p.name for p in real.parent.iterdir()) == ["flows.log"]


def test_export_refuses_a_link_that_points_nowhere(tmp_path: Path) -> None:
    link = tmp_path / "latest.log"
    link.symlink_to(tmp_path / "gone.log")
    with pytest.raises(ExportError, match=r"symbolic link to .*gone\.log, which does not exist"):
        export.export(frame_of([v2_row()]), FORMATS, link, "raw", overwrite=True)
    assert link.is_symlink() and not (tmp_path / "gone.log").exists()


def test_export_never_replaces_a_fifo_socket_or_device(tmp_path: Path) -> None:
    import socket

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with socket.socket(socket.AF_UNIX) as server:
        sock = tmp_path / "sock"
        server.bind(str(sock))
        for path, what in (
            (fifo, "a named pipe (FIFO)"),
            (sock, "a socket"),
            (Path("/dev/null"), "a device"),
        ):
            for overwrite in (False, True):
                with pytest.raises(ExportError) as refused:
                    export.export(frame_of([v2_row()]), FORMATS, path, "raw", overwrite=overwrite)
                assert str(refused.value) == (
                    f"cannot export to {path}: it is {what}, not a regular file"
                )
        assert stat.S_ISFIFO(fifo.lstat().st_mode) and stat.S_ISSOCK(sock.lstat().st_mode)
    # The check the app makes before offering to replace a file says the same.
    with pytest.raises(ExportError, match="it is a device"):
        export.check_target("/dev/full", overwrite=True)
    assert export.check_target(tmp_path / "new.csv", overwrite=False) == tmp_path / "new.csv"


def test_export_names_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist") as raised:
        export.export(frame_of([v2_row()]), FORMATS, tmp_path / "nope" / "x.csv", "csv")
    assert "\n" not in str(raised.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_export_names_a_read_only_directory(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="not writable"):
            export.export(frame_of([v2_row()]), FORMATS, tmp_path / "x.csv", "csv")
    finally:
        tmp_path.chmod(0o700)


def test_failed_export_leaves_neither_file_nor_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export.export(
            frame_of([v2_row()] * 5), FORMATS, tmp_path / "x.log", "raw", progress=progress
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", export.EXPORT_KINDS)
def test_export_reports_progress_per_chunk(
    kind: export.ExportKind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    calls: list[tuple[int, int]] = []
    frame = frame_of([v2_row()] * 5)
    export.export(frame, FORMATS, tmp_path / "x", kind, progress=lambda *call: calls.append(call))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_exports_carry_only_flow_log_fields_and_origin(tmp_path: Path) -> None:
    frame = frame_of([v2_row(_stream="s", _event_id=7)]).with_columns(
        pl.lit("prod-admin").alias("profile"),
        pl.lit("AKIAIOSFODNN7EXAMPLE").alias("aws_access_key_id"),
    )
    for kind in export.EXPORT_KINDS:
        text = export.export(frame, FORMATS, tmp_path / kind, kind).path.read_text()
        assert "prod-admin" not in text
        assert "AKIA" not in text
        assert "_event_id" not in text and "profile" not in text


def test_frames_without_valid_format_indexes_are_refused() -> None:
    frame = frame_of([v2_row()])
    with pytest.raises(ValueError, match="only 1 formats"):
        list(
            export.raw_lines(
                frame.with_columns(pl.lit(1, pl.UInt16).alias("_fmt")), [DEFAULT_FORMAT]
            )
        )


def test_an_empty_selection_exports_an_empty_file_or_just_the_csv_header(tmp_path: Path) -> None:
    empty = frame_of([v2_row()]).head(0)
    sizes = {
        kind: export.export(empty, FORMATS, tmp_path / kind, kind).bytes
        for kind in ("raw", "jsonl")
    }
    assert sizes == {"raw": 0, "jsonl": 0}
    header = export.export(empty, FORMATS, tmp_path / "csv", "csv").path.read_text()
    assert header.startswith("version,account-id,") and header.count("\n") == 1
