"""Export (`e`): the rows as shown, to a file `flowtui query` reads back; never a silent overwrite."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from features_support import REJECTS, ROWS, explorer_of, notices, to_column, top
from textual.message import Message
from textual.widgets import Input
from ui_support import explorer_app, screen_text, settle

from flowtui import cli
from flowtui.core.export import raw_lines
from flowtui.core.ingest import Ingestor
from flowtui.core.store import RecordStore
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.export import ExportScreen
from tests.fixtures.sample_data import SampleBackend, sample_batch


def query_output(capsys: pytest.CaptureFixture[str], path: Path, output: str) -> str:
    capsys.readouterr()
    assert cli.main(["query", str(path), "--output", output]) == 0
    return capsys.readouterr().out


def shown_lines(app: FlowApp) -> list[str]:
    """The explorer's rows, in its order, as raw flow-log lines."""
    table = explorer_of(app).table
    assert table.snapshot is not None
    return list(raw_lines(table.snapshot.rows(table.view.row_ids), table.snapshot.formats))


async def open_export(app: FlowApp, pilot: object, path: Path, format_presses: int = 0) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.press("e")
    await settle(pilot)
    for _ in range(format_presses):
        await pilot.press("ctrl+n")
    top(app, ExportScreen).query_one("#path", Input).value = str(path)


@pytest.mark.parametrize(
    ("presses", "suffix"), [(0, ".csv"), (1, ".jsonl"), (2, ".log")], ids=["csv", "jsonl", "raw"]
)
async def test_export_of_filtered_sorted_rows_reads_back_with_flowtui_query(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], presses: int, suffix: str
) -> None:
    app = explorer_app(filter_text="action=reject")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await to_column(pilot, "dstport")
        await pilot.press("]")
        await settle(pilot)
        expected = shown_lines(app)
        assert len(expected) == REJECTS and " 3389 " in expected[0], "sorted by port, descending"
        await pilot.press("e")
        await settle(pilot)
        dialog = top(app, ExportScreen)
        for _ in range(presses):
            await pilot.press("ctrl+n")
        field = dialog.query_one("#path", Input)
        assert field.value.endswith(suffix), "the suggested name follows the format"
        path = tmp_path / f"rejects{suffix}"
        field.value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is explorer_of(app)
        exported = [notice for notice in notices(app) if f"Exported {REJECTS} rows" in notice]
        assert exported and str(path) in exported[0]
    assert query_output(capsys, path, "raw").splitlines() == expected
    assert query_output(capsys, path, "count").strip() == str(REJECTS)


async def test_an_existing_file_is_replaced_only_after_asking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "flows.csv"
    path.write_text("keep me\n")
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_export(app, pilot, path)
        await pilot.press("enter")
        await settle(pilot)
        top(app, ConfirmScreen)
        assert "exists. Replace it?" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        top(app, ExportScreen)
        assert path.read_text() == "keep me\n"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is explorer_of(app)
    assert query_output(capsys, path, "count").strip() == str(ROWS)


async def test_a_path_that_cannot_be_written_is_one_line_and_the_dialog_stays(
    tmp_path: Path,
) -> None:
    path = tmp_path / "missing" / "flows.csv"
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await open_export(app, pilot, path)
        await pilot.press("enter")
        await settle(pilot)
        dialog = top(app, ExportScreen)
        assert not dialog.running
        text = screen_text(app)
        assert "cannot export to" in text and "does not exist" in text
        assert not path.exists()
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is explorer_of(app)


@pytest.mark.parametrize("kind", ["fifo", "device"])
async def test_a_pipe_or_device_is_refused_before_any_replace_question(
    tmp_path: Path, kind: str
) -> None:
    import os

    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = Path("/dev/null")
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_export(app, pilot, path)
        await pilot.press("enter")
        await settle(pilot)
        assert not any(isinstance(screen, ConfirmScreen) for screen in app.screen_stack)
        dialog = top(app, ExportScreen)
        assert not dialog.running
        assert "cannot export to" in screen_text(app)
    assert path.exists() and not path.is_file()


async def test_a_large_export_reports_progress(tmp_path: Path) -> None:
    store = RecordStore()
    batch = sample_batch()
    ingestor = Ingestor(store)
    repeats = 900  # 116,100 rows: three chunks of the exporter
    lines = pl.Series(batch.messages * repeats)
    ingestor.add_lines(lines, 1, "big")
    seen: list[tuple[int, int]] = []

    def hook(message: Message) -> None:
        if type(message).__name__ == "_Progress":
            seen.append((message.done, message.total))  # type: ignore[attr-defined]

    app = explorer_app(SampleBackend(store=store))
    path = tmp_path / "big.log"
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await settle(pilot)
        await open_export(app, pilot, path, format_presses=2)
        await pilot.press("enter")
        await settle(pilot)
    total = len(batch.messages) * repeats
    assert seen and seen[-1] == (total, total)
    assert len(seen) >= 2 and seen[0][0] < total
    assert sum(1 for _ in path.open()) == total
