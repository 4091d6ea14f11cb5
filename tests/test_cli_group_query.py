"""`flowtui query --group` on the demo account: what a user sees for absurd ranges, a wrong
stream, raw output over a group of two formats, --follow from a range's start, and an endpoint
that does not answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from flowtui.demo.account import DemoAccount
from flowtui.demo.faults import InProcessEndpoint
from tests.cli_support import demo_endpoint, isolate_aws_env, run_cli

pytestmark = pytest.mark.endpoint


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[InProcessEndpoint, DemoAccount]]:
    with demo_endpoint(seed=5, rate=3.0) as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws_env(monkeypatch, tmp_path)


run = run_cli


def query(server: InProcessEndpoint, group: str, *extra: str) -> list[str]:
    return [
        "query",
        "--endpoint-url",
        server.url,
        "--region",
        "us-east-1",
        "--group",
        group,
        *extra,
    ]


# --- 16.5: a range is checked before loading ------------------------------------------------


def test_a_range_reaching_before_what_the_group_holds_is_clamped_with_a_note(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    code, out, err = run(
        query(server, account.main_group, "--since", "99999d", "--output", "count"), capsys
    )
    assert code == 0, err
    assert "Parameter validation failed" not in err
    assert err.startswith("note: loading from ") and len(err.splitlines()) == 1
    _, everything, _ = run(
        query(server, account.main_group, "--since", "2h", "--output", "count"), capsys
    )
    assert int(out) == int(everything) > 0


def test_a_range_before_anything_the_group_can_hold_is_refused(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    args = query(server, account.main_group, "--since", "2001-01-01", "--until", "2001-01-02")
    code, out, err = run(args, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(
        "flowtui: the time range ends at 2001-01-02T00:00:00Z, before any record the log group"
        " can hold ("
    )
    assert len(err.splitlines()) == 1


# --- 16.9: a wrong stream is an error -------------------------------------------------------


def test_a_stream_that_does_not_exist_is_an_error(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    group = account.main_group
    code, out, err = run(query(server, group, "--stream", "nosuch", "--output", "count"), capsys)
    assert (code, out) == (1, "")
    assert err == (
        f"flowtui: no stream 'nosuch' in log group {group}; "
        f"`flowtui streams --group {group}` lists them\n"
    )
    web = next(eni for eni in account.enis if eni.name == "web-1")
    code, _, err = run(query(server, group, "--stream", web.id, "--output", "count"), capsys)
    assert code == 1 and f"(did you mean '{web.id}-all'?)" in err
    code, out, err = run(
        query(server, group, "--stream", f"{web.id}-all", "--output", "count"), capsys
    )
    assert code == 0 and int(out) > 0, err


# --- 12.4: a filter that does not fit the group's formats says why --------------------------


def test_a_filter_on_a_field_the_group_lacks_says_why(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    args = query(server, account.main_group, "--filter", "ecs-cluster-arn=x", "--output", "count")
    code, out, err = run(args, capsys)
    assert (code, out) == (2, "")
    # A loaded machine may first say "no answer yet" (the endpoint runs in this process).
    said = [line for line in err.splitlines() if not line.startswith("flowtui: no answer yet")]
    assert said == [
        "flowtui: invalid --filter: field 'ecs-cluster-arn' is not in these records' formats",
        "  ecs-cluster-arn=x",
        "  ^^^^^^^^^^^^^^^",
    ]


def test_explain_with_a_group_that_does_not_exist_says_so(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = demo
    record = "2 123456789012 eni-1 1.2.3.4 10.0.0.1 1 22 6 1 40 1 2 REJECT OK"
    args = ["explain", "--endpoint-url", server.url, "--region", "us-east-1"]
    code, out, err = run([*args, "--group", "/no/such", record], capsys)
    assert (code, out) == (1, "")
    assert err == "flowtui: log group /no/such does not exist in region us-east-1\n"


# --- 16.15: raw output over a group of two formats ------------------------------------------


def test_raw_output_of_a_mixed_format_group_has_one_header_per_format(
    demo: tuple[InProcessEndpoint, DemoAccount],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    server, account = demo
    base = query(server, account.main_group, "--since", "2h")
    code, raw, err = run([*base, "--output", "raw"], capsys)
    assert code == 0, err
    lines = raw.splitlines()
    headers = [line for line in lines if line.startswith("version ")]
    # One header per format block, never repeated (a leading default-v2 block needs none).
    assert len(headers) == len(set(headers)) and len(headers) in (1, 2)
    assert lines[0].startswith("version ") or len(headers) == 1
    copy = tmp_path / "group.log"
    copy.write_text(raw)
    _, again, _ = run(["query", str(copy), "--output", "count"], capsys)
    assert int(again) == len(lines) - len(headers)


# --- 16.6: --follow starts from the requested range -----------------------------------------


def test_follow_prints_nothing_from_before_the_requested_start(
    demo: tuple[InProcessEndpoint, DemoAccount],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flowtui.commands import cloudwatch
    from flowtui.sources.tail import PollKind, Tailer

    server, account = demo
    sweeps: list[PollKind] = []

    def first_sweep_only(tailer: Tailer) -> None:
        # The tail's first read is a sweep over the lookback (16 minutes back): the moment a
        # follow used to replay records from before the requested range.
        report = tailer.poll_once()
        assert report is not None
        sweeps.append(report.kind)

    monkeypatch.setattr(cloudwatch, "_follow", first_sweep_only)
    started_s = time.time()
    # The demo's records arrive minutes late, as flow logs do: ten minutes hold some.
    args = query(server, account.main_group, "--since", "10m", "--follow", "--output", "jsonl")
    code, out, err = run(args, capsys)
    assert code == 0, err
    assert sweeps == [PollKind.SWEEP]
    records = [orjson.loads(line) for line in out.splitlines()]
    assert records
    # Event timestamps are the records' start times in the demo.
    assert min(record["start"] for record in records) >= int(started_s) - 600 - 1
    assert len(records) == len({tuple(sorted(record.items())) for record in records})


# --- 16.13: an endpoint that does not answer ------------------------------------------------


def test_a_dead_endpoint_says_what_it_tries_and_gives_up_in_time(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from flowtui.commands import connection

    monkeypatch.setattr(connection, "ONE_SHOT_PATIENCE_S", 2.0)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    for args in (["groups"], ["query", "--group", "G", "--output", "count"]):
        started = time.monotonic()
        code, out, err = run(["--endpoint-url", dead, "--region", "us-east-1", *args], capsys)
        elapsed = time.monotonic() - started
        assert (code, out) == (2, "")
        trying, gave_up = err.splitlines()
        assert trying == f"flowtui: cannot connect yet to {dead} (us-east-1); giving up within 10 s"
        assert gave_up.startswith(f"flowtui: endpoint unreachable: {dead}")
        # The patience, then one line; a loaded machine adds start-up time, never a second
        # patience for a second call (the query makes several).
        assert elapsed < 2.0 + 4.0
