"""The redactor measured both ways on the corpus of tests/data/redact: secret cases caught (every secret part gone)
and look-alikes kept byte for byte; then on heldout.jsonl, shapes written after the patterns (not a test: what it
still misses is printed, to be honest about the corpus the patterns were fitted on). With `--detect-secrets PATH`
(the executable of a venv of its own — not a dependency of the project), Yelp's detector with its default plugins
on the same cases, for comparison (a case counts as caught when it flags the case's line; it flags, never redacts).

Run from the project root: `.venv/bin/python tests/bench/study_redactor.py [--detect-secrets /path/to/detect-secrets]`
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hologram_lib.redact import redact  # noqa: E402 - after the path is set

CORPUS = ROOT / "tests" / "data" / "redact"


def corpus() -> tuple[list[dict[str, object]], list[str]]:
    cases = [json.loads(line) for line in (CORPUS / "secrets.jsonl").read_text(encoding="utf-8").splitlines()]
    return cases, (CORPUS / "lookalikes.txt").read_text(encoding="utf-8").splitlines()


def ours(cases: list[dict[str, object]], lookalikes: list[str]) -> tuple[int, int, list[str]]:
    missed = [str(c["text"]) for c in cases if any(p in redact(str(c["text"])) for p in c["secret"])]  # type: ignore[attr-defined]
    mangled = [line for line in lookalikes if redact(line) != line]
    return len(cases) - len(missed), len(lookalikes) - len(mangled), missed + mangled


def detect_secrets(executable: str, text: str) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        case = Path(folder) / "case.txt"
        case.write_text(text + "\n", encoding="utf-8")
        scan = subprocess.run([executable, "scan", str(case)], capture_output=True, text=True, cwd=folder, check=True)
        return bool(json.loads(scan.stdout)["results"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detect-secrets", help="path of a detect-secrets executable, to compare")
    args = parser.parse_args()
    cases, lookalikes = corpus()
    caught, kept, wrong = ours(cases, lookalikes)
    print(f"hologram redact: secrets caught {caught}/{len(cases)}, look-alikes kept {kept}/{len(lookalikes)}")
    for line in wrong:
        print(f"  wrong: {line[:100]!r}")
    heldout = [json.loads(line) for line in (CORPUS / "heldout.jsonl").read_text(encoding="utf-8").splitlines()]
    caught_heldout, _, missed = ours(heldout, [])
    print(f"hologram redact, held-out shapes: caught {caught_heldout}/{len(heldout)}")
    for line in missed:
        print(f"  missed: {line[:100]!r}")
    if args.detect_secrets:
        flagged = sum(detect_secrets(args.detect_secrets, str(c["text"])) for c in cases)
        false = [line for line in lookalikes if detect_secrets(args.detect_secrets, line)]
        print(
            f"detect-secrets (default plugins): secrets flagged {flagged}/{len(cases)}, "
            f"look-alikes kept {len(lookalikes) - len(false)}/{len(lookalikes)}"
        )
        for line in false:
            print(f"  flagged look-alike: {line[:100]!r}")
        flagged_heldout = sum(detect_secrets(args.detect_secrets, str(c["text"])) for c in heldout)
        print(f"detect-secrets, held-out shapes: flagged {flagged_heldout}/{len(heldout)}")


if __name__ == "__main__":
    main()
