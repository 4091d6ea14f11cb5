"""The headless AWS commands against the embedded endpoint with the demo account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from flowtui.demo.account import DemoAccount
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.server import logs_client
from tests.cli_support import demo_endpoint, isolate_aws_env, run_cli

pytestmark = pytest.mark.endpoint


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[InProcessEndpoint, DemoAccount]]:
    with demo_endpoint(seed=3, rate=20.0) as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws_env(monkeypatch, tmp_path)


run = run_cli


def conn(server: InProcessEndpoint) -> list[str]:
    return ["--endpoint-url", server.url, "--region", "us-east-1"]


def test_groups_mark_flow_logs_formats_and_coverage_warnings(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    code, out, err = run(["groups", *conn(server)], capsys)
    assert code == 0, err
    main_line = next(line for line in out.splitlines() if line.startswith(account.main_group))
    assert "default v2" in main_line and "custom v8" in main_line
    assert "captures ACCEPT traffic only: no REJECT can ever appear" in out
    assert "which does not exist" in out and "Access error" in out


def test_streams_show_what_each_eni_belongs_to(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    code, out, _ = run(["streams", *conn(server), "--group", account.main_group], capsys)
    assert code == 0
    web = next(eni for eni in account.enis if eni.name == "web-1")
    line = next(line for line in out.splitlines() if line.startswith(f"{web.id}-all"))
    assert "web-1" in line and web.private_ip in line


def test_find_leads_from_a_name_or_address_to_the_stream(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    web = next(eni for eni in account.enis if eni.name == "web-1")
    for target in ("web-1", web.private_ip):
        code, out, _ = run(["find", *conn(server), target], capsys)
        assert code == 0
        assert f"stream {web.id}-all in {account.main_group}" in out
        assert "covered by" in out
    code, out, _ = run(["find", *conn(server), "10.99.99.99"], capsys)
    assert code == 1 and "no network interface matches" in out


def test_query_a_group_counts_every_event_and_filters_exactly(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    client = logs_client(server.url, account.region)
    expected = 0
    token = None
    while True:
        page = client.filter_log_events(
            logGroupName=account.main_group,
            interleaved=True,
            **({"nextToken": token} if token else {}),
        )
        expected += len(page["events"])
        token = page.get("nextToken")
        if not token:
            break
    base = ["query", *conn(server), "--group", account.main_group, "--since", "2h"]
    code, out, err = run([*base, "--output", "count"], capsys)
    assert code == 0, err
    assert int(out) == expected
    code, out, _ = run([*base, "--filter", "action=reject dport=22"], capsys)
    records = [orjson.loads(line) for line in out.splitlines()]
    assert records and all(r["action"] == "REJECT" and r["dstport"] == 22 for r in records)


def test_raw_output_of_a_group_reads_back_as_a_file(
    demo: tuple[InProcessEndpoint, DemoAccount],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    server, account = demo
    base = ["query", *conn(server), "--group", account.main_group, "--since", "2h"]
    _, raw, _ = run([*base, "--output", "raw"], capsys)
    _, count, _ = run([*base, "--output", "count"], capsys)
    copy = tmp_path / "group.log"
    copy.write_text(raw)
    code, again, err = run(["query", str(copy), "--output", "count"], capsys)
    assert (code, err) == (0, "")
    assert again == count


def test_unknown_group_and_unreachable_endpoint_are_one_line(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = demo
    code, out, err = run(["query", *conn(server), "--group", "/no/such/group"], capsys)
    assert code != 0 and out == ""
    assert err.startswith("flowtui: ") and "/no/such/group" in err
    assert len(err.strip().splitlines()) == 1
    dead = ["--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"]
    code, _, err = run(["streams", *dead, "--group", "g", "--rate-budget", "50"], capsys)
    assert code != 0
    # What is being tried (after a second without an answer), then why it gave up.
    *trying, gave_up = err.strip().splitlines()
    assert "Traceback" not in err and len(trying) <= 1
    assert gave_up.startswith("flowtui: endpoint unreachable: http://127.0.0.1:9")


def test_explain_names_the_acl_rule_for_a_denied_range(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, account = demo
    bastion = next(eni for eni in account.enis if eni.name == "bastion")
    record = (
        f"2 123456789012 {bastion.id} 203.0.113.32 {bastion.private_ip} 35717 80 6 1 56 "
        "1795776182 1795776201 REJECT OK"
    )
    base = ["explain", *conn(server), "--group", account.main_group]
    code, out, err = run([*base, record, "--output", "json"], capsys)
    assert code == 0, err
    verdict = orjson.loads(out)
    assert verdict["verdict"] == "nacl-deny"
    assert verdict["rule"]["type"] == "network-acl" and verdict["rule"]["number"] == 50
    code, out, _ = run([*base, record], capsys)
    assert "is denied by network ACL" in out and "rule 50" in out
    code, _, err = run([*base, "2 1 eni-1 not a record"], capsys)
    assert code != 0 and "does not parse" in err and "Traceback" not in err
