"""`flowtui` with no subcommand: what happens before the app can start."""

from __future__ import annotations

import argparse

import pytest

from flowtui.core.config import Settings
from flowtui.ui.backend import Backend
from flowtui.ui.launch import run_app


def test_without_a_source_it_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(argparse.Namespace(theme=None, group=None)) == 1
    assert capsys.readouterr().err == "flowtui: no data source is wired into this build\n"


def test_a_source_that_cannot_start_gives_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    class NoCredentialsError(Exception):
        message = "no AWS credentials found: set AWS_PROFILE or pass --profile"

    def create(args: argparse.Namespace, settings: Settings) -> Backend:
        raise NoCredentialsError()

    assert run_app(argparse.Namespace(theme=None, group=None), create) == 1
    error = capsys.readouterr().err
    assert error == "flowtui: no AWS credentials found: set AWS_PROFILE or pass --profile\n"
