"""`flowtui query` over files: what a user sees on stdout, stderr and in the exit status."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest

from flowtui.cli import main

GOOD = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
REJECT = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_count_of_a_plain_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.log", [GOOD, REJECT, "", NODATA])
    code, out, err = run(["query", str(path), "--output", "count"], capsys)
    assert (code, out, err) == (0, "3\n", "")


def test_malformed_lines_go_to_stderr_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "b.log", [GOOD, "2 1 eni-1 oops", GOOD + " #annotation"])
    code, out, err = run(["query", str(path), "--output", "count"], capsys)
    assert code == 0
    assert out == "1\n"
    assert f"{path}:2: expected 14 or 36 fields, found 4" in err
    assert f"{path}:3: trailing text after the record: '#annotation'" in err
    assert err.rstrip().endswith("2 malformed lines skipped")


def test_gzip_files_and_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    packed = tmp_path / "c.log.gz"
    packed.write_bytes(gzip.compress(("\n".join([GOOD, REJECT]) + "\n").encode()))
    plain = write(tmp_path, "d.log", [NODATA])
    code, out, _ = run(["query", str(packed), str(plain), "--output", "count"], capsys)
    assert (code, out) == (0, "3\n")


def test_stdin_is_dash(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = io.BytesIO(("\n".join([GOOD, GOOD]) + "\n").encode())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(data))
    code, out, _ = run(["query", "-", "--output", "count"], capsys)
    assert (code, out) == (0, "2\n")


def test_non_utf8_bytes_are_reported_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "e.log"
    path.write_bytes(GOOD.encode() + b"\n2 1 eni-\xff\xfe - - - - - - - 1 2 - NODATA\n")
    code, out, err = run(["query", str(path), "--output", "count"], capsys)
    assert (code, out) == (0, "1\n")
    assert f"{path}:2: non-UTF-8 bytes" in err


def test_unreadable_file_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["query", "/no/such/file.log"], capsys)
    assert code != 0 and out == ""
    assert err == "flowtui: /no/such/file.log: no such file\n"


def test_invalid_format_names_the_closest_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "f.log", [GOOD])
    code, _, err = run(["query", str(path), "--log-format", "${version} ${dstprt}"], capsys)
    assert code != 0
    assert "unknown flow-log field 'dstprt' (did you mean 'dstport'?)" in err
    assert "Traceback" not in err


def test_undetectable_format_asks_for_log_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "g.log", ["a b c", "d e f"])
    code, _, err = run(["query", str(path), "--output", "count"], capsys)
    assert code != 0
    assert "give the format with --log-format" in err


def test_custom_format_from_an_s3_header_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "h.log", ["version srcaddr dstaddr action", "3 10.0.0.1 10.0.0.2 REJECT"]
    )
    code, out, err = run(["query", str(path), "--output", "count"], capsys)
    assert (code, out, err) == (0, "1\n", "")


@pytest.mark.parametrize("output", ["raw", "csv", "jsonl"])
def test_each_export_format_reads_back_through_query(
    output: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(
        tmp_path,
        "custom.log",
        [
            "version vpc-id srcaddr dstaddr dstport tcp-flags action log-status",
            "3 vpc-1 10.0.0.1 2001:db8::5 22 19 REJECT OK",
            "3 vpc-1 - - - - - NODATA",
        ],
    )
    code, exported, _ = run(["query", str(source), "--output", output], capsys)
    assert code == 0
    copy = tmp_path / f"copy.{output}"
    copy.write_text(exported)
    code, again, err = run(["query", str(copy), "--output", "raw"], capsys)
    _, original, _ = run(["query", str(source), "--output", "raw"], capsys)
    assert (code, err) == (0, "")
    assert again == original


def test_jsonl_output_is_typed_and_decodes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import orjson

    path = write(tmp_path, "a.log", [GOOD, NODATA])
    _, out, _ = run(["query", str(path), "--decode"], capsys)
    first, second = (orjson.loads(line) for line in out.splitlines())
    assert first["dstport"] == 22 and first["srcaddr"] == "172.31.16.139"
    assert first["decoded"]["protocol"] == "TCP"
    assert first["decoded"]["dstport"] == "ssh"
    assert second["srcaddr"] is None and second["log-status"] == "NODATA"
