"""Every parser of outside input, fuzzed: it answers or raises InputError (exit 2 with file and line) — never another
exception, never a hang. `make test` runs a bounded number of examples; `make soak` many more."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hologram_lib import config
from hologram_lib.baseline import read_baseline
from hologram_lib.e2e.events import read_events
from hologram_lib.errors import InputError
from hologram_lib.perf.files import read_samples, read_summary

EXAMPLES = int(os.environ.get("HOLOGRAM_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NASTY_TEXT = st.one_of(
    st.text(max_size=400),
    st.binary(max_size=400).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["\ufeffsuite,metric,run,sample_ms\n", '"', "\x00", "1e999", "-0", "１", "nan", "\r\n"]),
)


def written(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(delete=False, suffix=".csv")  # noqa: SIM115 - closed below, removed by caller
    handle.write(data)
    handle.close()
    return Path(handle.name)


def answers_or_input_error(parse, data: bytes) -> object:
    path = written(data)
    try:
        return parse(path)
    except InputError as exc:
        assert str(path) in exc.one_line() and "\n" not in exc.one_line()
        return exc
    finally:
        path.unlink()


@FUZZ
@given(st.lists(NASTY_TEXT, max_size=8))
def test_samples_reader(parts: list[str]) -> None:
    body = "suite,metric,run,sample_ms\n" + "\n".join(parts)
    answers_or_input_error(read_samples, body.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=600))
def test_samples_reader_on_random_bytes(data: bytes) -> None:
    answers_or_input_error(read_samples, data)


@FUZZ
@given(st.binary(max_size=600))
def test_summary_reader_on_random_bytes(data: bytes) -> None:
    answers_or_input_error(read_summary, b"suite,metric,p50_ms,p95_ms,p99_ms,avg_ms,n,note,runs\n" + data)


SAMPLE_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["core", "graphql", "e2e"]),
        st.sampled_from(["verify_ms", "encode_1MB_ms", "resolve_ms"]),
        st.integers(min_value=1, max_value=3),
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
    ),
    min_size=1,
    max_size=30,
)


def _same(left: object, right: object) -> bool:
    if isinstance(left, InputError) or isinstance(right, InputError):
        return isinstance(left, InputError) and isinstance(right, InputError)
    assert isinstance(left, dict) and isinstance(right, dict)
    return left.keys() == right.keys() and all(
        [list(r) for r in left[k][1]] == [list(r) for r in right[k][1]] for k in left
    )


@FUZZ
@given(SAMPLE_ROWS)
def test_fast_and_careful_readers_agree(rows: list[tuple[str, str, int, float]]) -> None:
    plain = "suite,metric,run,sample_ms\n" + "".join(f"{s},{m},{r},{v!r}\n" for s, m, r, v in rows)
    quoted = "suite,metric,run,sample_ms\n" + "".join(f'"{s}","{m}","{r}","{v!r}"\n' for s, m, r, v in rows)
    fast = answers_or_input_error(read_samples, plain.encode())  # unquoted: the bulk reader
    careful = answers_or_input_error(read_samples, quoted.encode())  # quoted: the csv module
    assert _same(fast, careful)


@FUZZ
@given(SAMPLE_ROWS, st.data())
def test_a_samples_file_cut_anywhere_never_reads_a_torn_value(rows: list[tuple[str, str, int, float]], data) -> None:
    text = "suite,metric,run,sample_ms\n" + "".join(f"{s},{m},1,{v!r}\n" for s, m, _, v in rows)
    cut = data.draw(st.integers(min_value=1, max_value=len(text)))
    found = answers_or_input_error(read_samples, text[:cut].encode())
    if isinstance(found, dict):  # only a cut at a line end reads, and then every value is one that was written
        assert text[:cut].endswith("\n")
        written_values = {v for _, _, _, v in rows}
        assert all(float(x) in written_values for _, runs in found.values() for run in runs for x in run)


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**500), max_value=10**500),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)


@FUZZ
@given(JSON_VALUES, st.sampled_from(["hologram-baseline/3", "hologram-baseline/2", None]))
def test_baseline_reader(metrics: object, schema: str | None) -> None:
    document = {"schema": schema, "metrics": metrics} if schema else metrics
    text = json.dumps(document, allow_nan=True)
    answers_or_input_error(read_baseline, text.encode())


@FUZZ
@given(st.binary(max_size=600))
def test_baseline_reader_on_random_bytes(data: bytes) -> None:
    answers_or_input_error(read_baseline, data)


@FUZZ
@given(st.lists(st.one_of(JSON_VALUES.map(json.dumps), st.binary(max_size=60).map(repr)), max_size=10))
def test_events_reader_skips_and_names_what_it_cannot_use(lines: list[str]) -> None:
    found = answers_or_input_error(read_events, "\n".join(lines).encode())
    assert not isinstance(found, InputError)  # a readable file never fails: bad lines are skipped and named
    events, problems = found
    assert all(isinstance(e.record["status"], str) and isinstance(e.record["ts"], str) for e in events)
    assert all(":" in p and "line skipped" in p for p in problems)


@FUZZ
@given(st.text(max_size=300))
def test_budgets_file(text: str) -> None:
    def parse(path: Path) -> object:
        return config.gate_settings("default", path, environ={})

    answers_or_input_error(parse, text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deeply_nested_json_is_refused_not_a_crash(depth: int) -> None:
    found = answers_or_input_error(read_baseline, ("[" * depth + "]" * depth).encode())
    assert isinstance(found, InputError)
