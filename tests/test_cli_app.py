"""Starting the app: credential problems end in one line before any UI starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowtui.cli import main


def test_no_credentials_is_one_line_before_the_app_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("FLOWTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("FLOWTUI_CONFIG_DIR", str(tmp_path / "config-dir"))
    code = main(["--region", "us-east-1"])
    captured = capsys.readouterr()
    assert code != 0
    assert captured.err.startswith("flowtui: no AWS credentials found")
    assert len(captured.err.strip().splitlines()) == 1


def test_an_unknown_profile_names_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("FLOWTUI_STATE_DIR", str(tmp_path / "state"))
    with pytest.raises(SystemExit) as exit_:
        main(["groups", "--profile", "nosuch"])
    assert exit_.value.code != 0
    assert "AWS profile 'nosuch' not found" in capsys.readouterr().err
