"""Saved views: save (`ctrl+s`) and reopen (`v`) round-trip; the picker renames, copies, deletes
and says which files it skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from features_support import REJECTS, explorer_of, notices, to_column, top, typed
from textual.pilot import Pilot
from textual.widgets import Input
from ui_support import SIZES, fixed_clock, screen_text, settle

from flowtui.core.query import TimeRange
from flowtui.core.views import SavedView, ViewSource, ViewStore
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.views import NameScreen, SaveViewScreen, ViewsScreen
from tests.fixtures.sample_data import GROUP, REGION, SampleBackend, sample_query, sample_views


def app_with(store: ViewStore, backend: SampleBackend | None = None) -> FlowApp:
    return FlowApp(
        backend or SampleBackend(),
        start=Start(query=sample_query()),
        clock=fixed_clock,
        view_store=store,
    )


async def save_as(pilot: Pilot[Any], name: str) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("ctrl+u", *typed(name), "enter")
    await settle(pilot)


async def pick(pilot: Pilot[Any], name: str) -> None:
    """Highlight the view `name` in the open picker."""
    screen = pilot.app.screen
    assert isinstance(screen, ViewsScreen)
    keys = screen.pick_list.shown_keys
    screen.pick_list.move_to(keys.index(name))
    await settle(pilot)


async def test_save_then_reopen_round_trips_the_view(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    backend = SampleBackend()
    app = app_with(store, backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        explorer = explorer_of(app)
        await pilot.press("f", *typed("action=reject"), "enter")
        await settle(pilot)
        await to_column(pilot, "dstport")
        await pilot.press("]")
        await pilot.press("slash", *typed("bastion"), "enter")
        await settle(pilot)
        order = explorer.column_order
        order.remove("interface-id")
        order.insert(0, "interface-id")
        explorer.set_columns(order, explorer.hidden_columns | {"bytes", "packets"})
        await save_as(pilot, "rejected ssh")
        assert app.screen is explorer
        assert "Saved view 'rejected ssh'" in notices(app)

        saved = store.get("rejected ssh")
        assert saved.source == ViewSource(GROUP, region=REGION)
        assert saved.time_range == TimeRange.last(3600)
        assert saved.filter_text == "action=reject"
        assert saved.search_text == "bastion"
        assert saved.sort == (("dstport", True),)
        assert saved.columns == tuple(explorer.visible_columns)
        assert saved.columns[0] == "interface-id" and "bytes" not in saved.columns
        assert not saved.follow

        await pilot.press("v")
        await settle(pilot)
        await pick(pilot, "rejected ssh")
        await pilot.press("enter")
        await settle(pilot)
        reopened = explorer_of(app)
        assert reopened is not explorer and app.screen is reopened
        assert reopened.view_name == "rejected ssh"
        assert reopened.filter_text == "action=reject"
        assert reopened.sort == (("dstport", True),)
        assert reopened.search_text == "bastion"
        assert reopened.visible_columns == list(saved.columns)
        assert len(reopened.table.view) == REJECTS
        assert reopened.table.current_column is not None
        await pilot.press("ctrl+s")
        await settle(pilot)
        field = top(app, SaveViewScreen).query_one(Input)
        assert field.value == "rejected ssh", "the name it was opened from is offered"


async def test_follow_is_saved_and_restored(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    backend = SampleBackend()
    app = app_with(store, backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        await save_as(pilot, "live")
        assert store.get("live").follow
        backend.calls.clear()
        await pilot.press("v", "enter")
        await settle(pilot)
        assert explorer_of(app).follow
        assert ("set_follow", True) in backend.calls


async def test_a_taken_name_is_replaced_only_after_asking(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    app = app_with(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await save_as(pilot, "mine")
        await pilot.press("f", *typed("dstport=22"), "enter")
        await settle(pilot)
        await save_as(pilot, "mine")
        top(app, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        top(app, SaveViewScreen)
        assert store.get("mine").filter_text == ""
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is explorer_of(app)
        assert store.get("mine").filter_text == "dstport=22"


async def test_a_name_must_be_given(tmp_path: Path) -> None:
    app = app_with(ViewStore(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await save_as(pilot, "   ")
        top(app, SaveViewScreen)
        assert "a view needs a name" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is explorer_of(app)
        assert ViewStore(tmp_path).list() == []


@pytest.mark.parametrize("size", SIZES)
async def test_picker_renames_duplicates_and_deletes(tmp_path: Path, size: tuple[int, int]) -> None:
    store = ViewStore(tmp_path)
    for view in sample_views():
        store.save(view)
    app = app_with(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        screen = top(app, ViewsScreen)
        text = screen_text(app)
        assert "[bold]markup[/]" in text and "srcaddr=[red]" in text
        await pilot.press("f", *typed("nat egres"))
        await settle(pilot)
        assert screen.pick_list.shown_keys[0] == "NAT egress by bytes"
        await pilot.press("escape", "escape")  # clear the filter, back to the list
        await settle(pilot)
        assert len(screen.pick_list.shown_keys) == len(sample_views())
        await pick(pilot, "NAT egress by bytes")
        await pilot.press("r")
        await settle(pilot)
        assert top(app, NameScreen).query_one(Input).value == "NAT egress by bytes"
        await pilot.press("ctrl+u", *typed("nat bytes"), "enter")
        await settle(pilot)
        assert {view.name for view in store.list()} >= {"nat bytes"}
        assert not store.exists("NAT egress by bytes")
        assert "Renamed 'NAT egress by bytes' to 'nat bytes'" in screen_text(app)

        await pick(pilot, "nat bytes")
        await pilot.press("d")
        await settle(pilot)
        assert top(app, NameScreen).query_one(Input).value == "nat bytes copy"
        await pilot.press("enter")
        await settle(pilot)
        assert store.get("nat bytes copy").sort == (("bytes", True),)
        assert "nat bytes copy" in screen.views

        await pick(pilot, "ssh probes")
        await pilot.press("x")
        await settle(pilot)
        top(app, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert store.exists("ssh probes")
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not store.exists("ssh probes")
        assert "ssh probes" not in screen.views
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ExplorerScreen)


async def test_rename_to_a_taken_name_says_so(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    for view in sample_views():
        store.save(view)
    app = app_with(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pick(pilot, "ssh probes")
        await pilot.press("r", "ctrl+u", *typed("database tier"), "enter")
        await settle(pilot)
        assert "a view named 'database tier' already exists" in screen_text(app)
        assert store.exists("ssh probes")


@pytest.mark.parametrize("size", SIZES)
async def test_picker_shows_skipped_files_as_plain_text(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    store = ViewStore(tmp_path)
    store.save(sample_views()[0])
    folder = tmp_path / "views"
    (folder / "[bold]broken[red].json").write_text("{not json")
    newer = sample_views()[1].to_dict() | {"schema": 99}
    (folder / "future.json").write_bytes(orjson.dumps(newer))
    app = app_with(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        screen = top(app, ViewsScreen)
        assert list(screen.views) == ["ssh probes"], "the other views still work"
        assert len(screen.problems) == 2
        flat = "".join(screen_text(app).split())
        assert "[bold]broken[red].json:notvalidJSON" in flat
        assert "writtenbyanewerflowtui(viewschema99" in flat
        assert "acopyisat" in flat
        assert (folder / "[bold]broken[red].json").read_text() == "{not json", "left untouched"


async def test_a_view_saved_elsewhere_opens_here_with_a_warning(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    store.save(SavedView("prod", ViewSource(GROUP, profile="prod", region="us-east-1")))
    app = app_with(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("v", "enter")
        await settle(pilot)
        assert explorer_of(app).view_name == "prod"
        warned = [notice for notice in notices(app) if "was saved for" in notice]
        assert warned == [
            "View 'prod' was saved for profile prod, region us-east-1; it opens here with "
            "the default credentials, region eu-west-1"
        ]


async def test_view_names_are_shown_as_typed_never_as_markup(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    app = app_with(store)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle(pilot)
        await save_as(pilot, "[b]rejects[/b]")
        assert store.exists("[b]rejects[/b]")
        for _ in range(40):  # the toast is drawn a frame or two later on a busy machine
            if "Saved view '[b]rejects[/b]'" in screen_text(app):
                break
            await pilot.pause(0.05)
        assert "Saved view '[b]rejects[/b]'" in screen_text(app), "the toast, literally"
        await pilot.press("v")
        await settle(pilot)
        assert "[b]rejects[/b]" in screen_text(app)
