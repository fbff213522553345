"""What every command does with its result: lines to stdout, a JSON document where --json asks."""

from __future__ import annotations

from pathlib import Path


def print_lines(lines: list[str]) -> None:
    print("\n".join(lines))


def say(line: str) -> None:
    """A progress line, shown at once (a long command's log is read while it runs)."""
    print(line, flush=True)


def write_json(path: Path | None, document: dict[str, object]) -> None:
    """Write `document` atomically to --json's path; nothing when the option was not given."""
    if path is not None:
        from hologram_lib import atomic

        atomic.write_json(path, document)
