"""The seed's Windows wrappers call hologram subcommands that exist (PowerShell itself is not on this machine)."""

from __future__ import annotations

import re

import pytest

from hologram_lib.cli import build_parser
from tests.helpers import ROOT


@pytest.mark.parametrize(("script", "command"), [("reports.ps1", "report"), ("perf-gate.ps1", "gate")])
def test_wrapper_calls_an_existing_command(script: str, command: str) -> None:
    text = (ROOT / "tools" / script).read_text()
    called = re.search(r"& \$hologram (\S+)", text)
    assert called and called.group(1) == command
    assert "exit $LASTEXITCODE" in text
    build_parser().parse_args([command] if command == "gate" else [command, "--no-collect"])
