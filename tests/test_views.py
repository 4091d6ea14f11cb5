"""Saved views: the file form, validation, and a store shared by several running instances."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import orjson
import pytest

from flowtui.core import config
from flowtui.core.query import TimeRange
from flowtui.core.views import (
    SCHEMA_VERSION,
    InvalidViewError,
    SavedView,
    ViewExistsError,
    ViewNotFoundError,
    ViewSource,
    ViewStorageError,
    ViewStore,
)

FULL = SavedView(
    name="Rejected to DB tier",
    source=ViewSource(
        log_group="/vpc/flow-logs/prod",
        profile="prod-readonly",
        region="eu-west-1",
        endpoint_url="http://127.0.0.1:5000",
        streams=("eni-0a1b-all", "eni-0c2d-all"),
    ),
    time_range=TimeRange.last(5400),
    filter_text="action = REJECT and dstport in (5432, 3306)",
    search_text="10.0.3.",
    columns=("start", "srcaddr", "dstaddr", "dstport", "action"),
    sort=(("bytes", True), ("start", False)),
    follow=True,
)


def simple(name: str, group: str = "/vpc/a") -> SavedView:
    return SavedView(name=name, source=ViewSource(log_group=group))


def view_files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "views").iterdir())


# --- the file form ---------------------------------------------------------------------------


def test_every_part_of_a_view_survives_a_save_and_load(tmp_path: Path) -> None:
    ViewStore(tmp_path).save(FULL)
    assert ViewStore(tmp_path).get(FULL.name) == FULL


def test_absolute_time_ranges_and_all_streams_round_trip(tmp_path: Path) -> None:
    view = SavedView(
        name="incident 42",
        source=ViewSource(log_group="/vpc/b"),
        time_range=TimeRange.between(1_700_000_000_000, None),
    )
    store = ViewStore(tmp_path)
    store.save(view)
    assert store.get("incident 42") == view
    assert store.get("incident 42").to_query().streams == ()


def test_the_file_is_readable_json_with_a_schema_version_and_mode_0600(tmp_path: Path) -> None:
    ViewStore(tmp_path).save(FULL)
    (name,) = view_files(tmp_path)
    path = tmp_path / "views" / name
    assert name == "rejected-to-db-tier.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith('{\n  "columns": [')
    data = orjson.loads(text)
    assert data["schema"] == SCHEMA_VERSION
    assert data["time_range"] == {"last": "90m"}
    assert data["sort"][0] == {"column": "bytes", "descending": True}


def test_to_query_carries_source_time_range_and_filter() -> None:
    query = FULL.to_query()
    assert (query.group, query.streams) == ("/vpc/flow-logs/prod", ("eni-0a1b-all", "eni-0c2d-all"))
    assert (query.time_range, query.filter_text) == (FULL.time_range, FULL.filter_text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sort": [["bytes", True]]}, "'sort' must be a list"),
        ({"follow": "yes"}, "'follow' must be true or false"),
        ({"time_range": {"last": "soon"}}, "not a duration"),
        ({"time_range": {"start_ms": 10, "end_ms": 5}}, "cannot end before it starts"),
        ({"columns": ["srcaddr", "srcaddr"]}, "listed twice"),
        ({"name": "  "}, "needs a name"),
        ({"schema": "one"}, "schema version"),
    ],
)
def test_invalid_view_data_names_what_is_wrong(change: dict[str, object], message: str) -> None:
    data = FULL.to_dict() | change
    with pytest.raises(InvalidViewError, match=message):
        SavedView.from_dict(data)


def test_missing_source_key_is_named_with_its_path() -> None:
    data = FULL.to_dict()
    del data["source"]["log_group"]
    with pytest.raises(InvalidViewError, match=r"'source\.log_group' is missing"):
        SavedView.from_dict(data)


@pytest.mark.parametrize(
    "url",
    ["https://AKIAEXAMPLE:secret@logs.example.com", "https://logs.example.com/?X-Amz-Credential=x"],
)
def test_an_endpoint_url_cannot_carry_credentials(url: str) -> None:
    with pytest.raises(InvalidViewError, match="endpoint URL"):
        ViewSource(log_group="/vpc/a", endpoint_url=url)


# --- the store -------------------------------------------------------------------------------


def test_saving_an_existing_name_needs_overwrite(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    store.save(simple("nat egress"))
    with pytest.raises(ViewExistsError, match="'nat egress' already exists"):
        store.save(simple("nat egress", group="/vpc/other"))
    assert store.get("nat egress").source.log_group == "/vpc/a"
    store.save(simple("nat egress", group="/vpc/other"), overwrite=True)
    assert store.get("nat egress").source.log_group == "/vpc/other"
    assert view_files(tmp_path) == ["nat-egress.json"]


def test_names_with_the_same_slug_get_separate_files(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    store.save(simple("DB tier"))
    store.save(simple("db-tier!"))
    assert [v.name for v in store.list()] == ["DB tier", "db-tier!"]
    assert view_files(tmp_path) == ["db-tier-2.json", "db-tier.json"]


def test_get_suggests_the_closest_name(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    store.save(simple("Rejected to DB"))
    with pytest.raises(ViewNotFoundError, match="did you mean 'Rejected to DB'"):
        store.get("rejected to db")
    with pytest.raises(ViewNotFoundError, match="did you mean 'Rejected to DB'"):
        store.get("Rejected to BD")


def test_rename_duplicate_and_delete(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    store.save(FULL)
    renamed = store.rename(FULL.name, "db rejects")
    assert renamed.filter_text == FULL.filter_text
    copy = store.duplicate("db rejects", "db rejects (copy)")
    assert [v.name for v in store.list()] == ["db rejects", "db rejects (copy)"]
    assert copy.source == FULL.source
    with pytest.raises(ViewExistsError):
        store.rename("db rejects", "db rejects (copy)")
    store.delete("db rejects")
    assert not store.exists("db rejects")
    assert store.exists("db rejects (copy)")
    with pytest.raises(ViewNotFoundError):
        store.delete("db rejects")


def test_two_instances_keep_each_others_saves_and_deletions(tmp_path: Path) -> None:
    first, second = ViewStore(tmp_path), ViewStore(tmp_path)
    first.save(simple("keep"))
    first.save(simple("doomed"))
    assert {v.name for v in second.list()} == {"keep", "doomed"}

    first.save(simple("new in first"))
    second.delete("doomed")
    second.save(simple("keep", group="/vpc/changed"), overwrite=True)
    first.save(simple("another in first"))

    for store in (first, second):
        assert [v.name for v in store.list()] == ["another in first", "keep", "new in first"]
        assert store.get("keep").source.log_group == "/vpc/changed"


def test_a_racing_save_of_the_same_name_is_refused_not_clobbered(tmp_path: Path) -> None:
    first, second = ViewStore(tmp_path), ViewStore(tmp_path)
    assert not second.exists("shared")
    first.save(simple("shared", group="/vpc/first"))
    with pytest.raises(ViewExistsError):
        second.save(simple("shared", group="/vpc/second"))
    assert first.get("shared").source.log_group == "/vpc/first"


def test_a_corrupt_file_is_reported_backed_up_and_never_overwritten(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    store.save(simple("good"))
    broken = tmp_path / "views" / "broken.json"
    broken.write_bytes(b'{"schema": 1, "name": "broken",')

    assert [v.name for v in store.list()] == ["good"]
    (problem,) = store.problems
    assert str(broken) in problem and "not valid JSON" in problem and "\n" not in problem
    backups = list((tmp_path / "backups" / "views").iterdir())
    assert [p.read_bytes() for p in backups] == [broken.read_bytes()]
    assert str(backups[0]) in problem

    store.save(simple("broken"))
    assert broken.read_bytes() == b'{"schema": 1, "name": "broken",'
    assert store.get("broken").name == "broken"
    assert len(list((tmp_path / "backups" / "views").iterdir())) == 1


def test_a_view_from_a_newer_schema_is_left_alone(tmp_path: Path) -> None:
    views = tmp_path / "views"
    views.mkdir()
    newer = views / "future.json"
    content = orjson.dumps(FULL.to_dict() | {"schema": SCHEMA_VERSION + 1, "name": "future"})
    newer.write_bytes(content)
    store = ViewStore(tmp_path)
    assert store.list() == []
    (problem,) = store.problems
    assert f"view schema {SCHEMA_VERSION + 1}" in problem and "newer flowtui" in problem
    store.save(simple("future"))
    assert newer.read_bytes() == content


def test_credential_like_keys_are_dropped_and_reported(tmp_path: Path) -> None:
    data = FULL.to_dict()
    data["aws_secret_access_key"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    data["source"]["session_token"] = "FQoGZXIvYXdzEXAMPLE"
    views = tmp_path / "views"
    views.mkdir()
    (views / "leaky.json").write_bytes(orjson.dumps(data))

    store = ViewStore(tmp_path)
    view = store.get(FULL.name)
    assert view == FULL
    (problem,) = store.problems
    assert "aws_secret_access_key" in problem and "source.session_token" in problem
    assert "wJalr" not in problem and "FQoG" not in problem
    store.save(view, overwrite=True)
    rewritten = (views / "leaky.json").read_text()
    assert "wJalr" not in rewritten and "FQoG" not in rewritten
    assert store.problems == []


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ViewStore(tmp_path)
    store.save(simple("existing"))

    def fail(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(ViewStorageError, match="No space left on device"):
        store.save(simple("existing", group="/vpc/new"), overwrite=True)
    assert view_files(tmp_path) == ["existing.json"]
    assert store.get("existing").source.log_group == "/vpc/a"


def test_config_dir_env_decides_where_views_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.CONFIG_DIR_ENV, str(tmp_path / "cfg"))
    ViewStore().save(simple("here"))
    assert (tmp_path / "cfg" / "views" / "here.json").exists()
