"""The command line refuses what it cannot use before it connects or reads: argparse's usage
line and one `error:` line, exit status 2, never a traceback; and each headless error says why."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from flowtui.cli import main
from flowtui.core.query import TimeRange
from flowtui.core.views import SavedView, ViewSource, ViewStore

GOOD = (
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK"
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLOWTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("FLOWTUI_STATE_DIR", str(tmp_path / "state"))
    # No test here may reach a network: a wrong value must be refused before connecting.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def usage_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The `error:` line of a refused command line (exit 2, nothing on stdout, no traceback)."""
    code, out, err = run(args, capsys)
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    assert err.startswith("usage: ")
    return err.strip().splitlines()[-1]


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "flows.log"
    path.write_text(GOOD + "\n")
    return path


# --- 16.1: --view opens the app --------------------------------------------------------------


def test_view_opens_the_app_at_the_saved_view(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import flowtui.ui.launch
    from flowtui.ui.app import Start

    view = SavedView(
        name="bastion ssh rejects",
        source=ViewSource(log_group="/vpc/flow-logs", region="eu-west-1"),
        time_range=TimeRange.last(3 * 3600),
        filter_text="action=reject dport=22",
        follow=True,
    )
    ViewStore(tmp_path / "config").save(view)
    started: list[object] = []

    def launch(args: argparse.Namespace, create_backend: object, start: object) -> int:
        started.append(start)
        assert args.region == "eu-west-1"
        return 0

    monkeypatch.setattr(flowtui.ui.launch, "run_app", launch)
    code, _, err = run(["--view", "bastion ssh rejects"], capsys)
    assert (code, err) == (0, "")
    (start,) = started
    assert isinstance(start, Start)
    assert start.view == view and start.follow
    assert start.filter_text == "action=reject dport=22"
    assert start.query is not None and start.query.group == "/vpc/flow-logs"
    assert start.query.time_range == TimeRange.last(3 * 3600)


# --- 16.2: every argument is checked at the command line -------------------------------------


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--endpoint-url", "notaurl", "groups"], "'notaurl' is not an endpoint URL"),
        (["groups", "--endpoint-url", "ftp://host"], "'ftp://host' is not an endpoint URL"),
        (["groups", "--endpoint-url", "http://host:99999"], "is not a URL"),
        (["query", "--group", "G", "--rate-budget", "-1"], "must be a positive number"),
        (["query", "--group", "G", "--rate-budget", "0"], "must be a positive number"),
        (["query", "--group", "G", "--rate-budget", "nan"], "must be a positive number"),
        (["--rate-budget", "inf"], "must be a positive number"),
        (["streams", "--group", "G", "--rate-budget", "many"], "'many' is not a number"),
        (["demo", "--serve", "--rate", "0"], "must be a positive number"),
        (["demo", "--rate", "-5"], "must be a positive number"),
        (["query", "--group", "G", "--since", "yesterday"], "'yesterday' is not a time"),
        (["query", "--group", "G", "--until", "1764237600000"], "looks like milliseconds"),
        (["query", "--group", ""], "argument --group: must not be empty"),
        (["query", "--group", "G", "--stream", " "], "argument --stream: must not be empty"),
        (["streams", "--group", ""], "argument --group: must not be empty"),
        (["--group", ""], "argument --group: must not be empty"),
        (["query", "--group", "G", "--follow", "--until", "now"], "drop one of them"),
    ],
)
def test_a_wrong_value_is_refused_with_its_reason(
    args: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = usage_error(args, capsys)
    assert line.startswith("flowtui") and "error: " in line
    assert reason in line


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--output", "table"], "use one of jsonl, csv, raw, count (not 'table')"),
        (["--output", "xml"], "use one of jsonl, csv, raw, count (not 'xml')"),
        (["--stats", "talkers", "--output", "raw"], "with --stats, use one of table, csv, jsonl"),
        (["--decode", "--output", "csv"], "only --output jsonl records carry decoded meanings"),
        (["--follow"], "--follow apply to --group"),
        (["--since", "1h", "--stream", "eni-1"], "--stream/--since apply to --group"),
        (["--group", "G"], "give FILEs or --group/--view, not both"),
    ],
)
def test_options_that_do_not_fit_the_query_are_refused(
    extra: list[str], reason: str, flow_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert reason in usage_error(["query", str(flow_file), *extra], capsys)


def test_output_help_offers_what_each_mode_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["query", "--help"], capsys)[0] == 0
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "records: jsonl, csv, raw, count (default jsonl); with --stats: table, csv, jsonl" in text
    )


@pytest.mark.parametrize("command", ["streams", "explain"])
def test_group_is_described_in_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([command, "--help"], capsys)[0] == 0
    with pytest.raises(SystemExit):
        main([command, "--help"])
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("--group"))
    described = " ".join(lines[at : at + 2])
    assert "log group" in described and "(name or ARN)" in described


# --- 16.14 and 16.16: where the records come from ---------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_query_without_input_on_a_terminal_says_what_to_give(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal())
    line = usage_error(["query", "--output", "count"], capsys)
    assert "no input: give flow-log FILEs (or - to read a pipe), or --group" in line


def test_query_without_input_reads_a_pipe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{GOOD}\n".encode())))
    assert run(["query", "--output", "count"], capsys) == (0, "1\n", "")


def test_an_s3_url_says_to_copy_the_objects(capsys: pytest.CaptureFixture[str]) -> None:
    line = usage_error(["query", "s3://bucket/AWSLogs/"], capsys)
    assert line.endswith(
        "error: s3:// URLs are not read directly; copy the objects locally "
        "(aws s3 cp --recursive s3://bucket/AWSLogs/ DIR) and pass the files"
    )


# --- 12.4: every headless error says why -----------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "reason", "caret"),
    [
        ("dstprot=22", "unknown field 'dstprot' (did you mean 'dstport'?)", "^^^^^^^"),
        ("dport=abc", "'abc' is not a port number", "      ^^^"),
        ("srcaddr=10.0.0.0/33", "'10.0.0.0/33' is not an IP address or CIDR", "        ^^^^^^"),
        ("(action=reject", "this '(' is never closed", "^"),
        ("start>yesterday", "'yesterday' is not a time", "      ^^^^^^^^^"),
    ],
)
def test_a_filter_error_gives_the_reason_and_a_caret(
    expression: str, reason: str, caret: str, flow_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["query", str(flow_file), "--filter", expression], capsys)
    assert (code, out) == (2, "")
    first, shown, pointer = err.rstrip("\n").split("\n")
    assert first.startswith(f"flowtui: invalid --filter: {reason}")
    assert shown == f"  {expression}"
    assert pointer.startswith(f"  {caret}")


def test_a_format_error_gives_the_reason(
    flow_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["query", str(flow_file), "--log-format", "${version} ${dstprt}"], capsys)
    assert code == 2
    assert err == (
        "flowtui: invalid --log-format: unknown flow-log field 'dstprt' (did you mean 'dstport'?)\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--view", "bastion ssh rejcts"],
        ["query", "--view", "bastion ssh rejcts"],
        ["views", "show", "bastion ssh rejcts"],
        ["views", "rm", "bastion ssh rejcts"],
    ],
)
def test_a_view_error_gives_the_reason(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ViewStore(tmp_path / "config").save(
        SavedView(name="bastion ssh rejects", source=ViewSource(log_group="/vpc/flow-logs"))
    )
    code, out, err = run(args, capsys)
    assert code != 0 and out == ""
    assert err == (
        "flowtui: no view named 'bastion ssh rejcts' (did you mean 'bastion ssh rejects'?)\n"
    )


def test_a_view_whose_filter_does_not_parse_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ViewStore(tmp_path / "config").save(
        SavedView(
            name="old",
            source=ViewSource(log_group="/vpc/flow-logs", endpoint_url="http://127.0.0.1:9"),
            filter_text="dstprot=22",
        )
    )
    code, out, err = run(["query", "--view", "old", "--region", "us-east-1"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(
        "flowtui: invalid --filter: unknown field 'dstprot' (did you mean 'dstport'?)\n"
    )


def test_one_malformed_line_is_counted_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "one-bad.log"
    path.write_text(f"{GOOD}\n2 1 eni-1 oops\n")
    code, out, err = run(["query", str(path), "--output", "count"], capsys)
    assert (code, out) == (0, "1\n")
    assert err.splitlines()[-1] == "1 malformed line skipped"


def test_headless_commands_take_the_rate_budget_from_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from flowtui.commands import connection

    (tmp_path / "config.json").write_text('{"rate_budget": 1.5}')
    monkeypatch.setenv("FLOWTUI_CONFIG_DIR", str(tmp_path))
    args = argparse.Namespace(
        profile=None, region="eu-west-1", endpoint_url="http://127.0.0.1:9", rate_budget=None
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    _, limiter = connection.open_connection(args)
    assert limiter.calls_per_s == 1.5
    args.rate_budget = 3.0
    _, limiter = connection.open_connection(args)
    assert limiter.calls_per_s == 3.0


def test_a_filter_typo_is_refused_before_any_file_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noisy = tmp_path / "flows.log"
    noisy.write_text("not a flow record\n" * 50 + GOOD + "\n")
    with pytest.raises(SystemExit) as stopped:
        main(["query", str(noisy), "--filter", "dstprot=22"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "did you mean 'dstport'" in err
    assert "not a flow record" not in err and "fields" not in err
