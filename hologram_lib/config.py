"""Environment variables and profiles → typed settings. The one module that reads os.environ.

Budgets are p95 limits in milliseconds. A profile sets the defaults; an env var beats the profile; a budgets
file (TOML) adds budgets for other metrics. Metric names in budgets may be fnmatch patterns, so the encode
budget applies to `core.encode_4MB_ms` as well as `core.encode_1MB_ms`.

Settings only: where a run came from (git, commit, branch, provenance) is `provenance`, the machine's kind is
`machine`, the CI run's facts are `ci.run`; they read their variables through `environment()` and so the registry.
Longer than ~400 lines for a reason: every setting of every command sits beside the one registry of variables it
reads (VARIABLES), so that a new variable cannot be read without being registered and documented.
"""

from __future__ import annotations

import fnmatch
import math
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hologram_lib import layout
from hologram_lib.errors import InputError

VERIFY_METRIC = "core.verify_ms"
ENCODE_METRIC_PATTERN = "core.encode_*MB_ms"
GRAPHQL_METRIC = "graphql.resolve_ms"

# verify / encode / graphql p95 budgets (ms) per profile, from the seed's runbook.
_PROFILE_BUDGETS: dict[str, tuple[float, float, float]] = {
    "pr": (15.0, 150.0, 150.0),
    "main": (8.0, 80.0, 80.0),
    "nightly": (10.0, 100.0, 100.0),
    "default": (10.0, 100.0, 100.0),
}
# Suites that a profile allows to be absent for a recorded reason (no services configured).
_PROFILE_ALLOWED_SKIPS: dict[str, frozenset[str]] = {
    "pr": frozenset({"graphql", "ipfs", "e2e"}),
    "main": frozenset(),
    "nightly": frozenset(),
    "default": frozenset({"graphql", "ipfs", "e2e"}),
}
# Process runs per suite that `perf collect` takes, and the ceiling when a budget stays inconclusive. Measured on
# this 2-core machine kind (docs/verdicts.md, "The process run is the unit of measurement"): a core run costs
# ≈0.6 s (start-up ≈0.25 s + 2 × 200 samples), so 10 runs keep a PR's `make report` within a minute; nightly buys
# the resolution of 30.
_PROFILE_RUNS: dict[str, tuple[int, int]] = {
    "pr": (10, 20),
    "main": (10, 20),
    "nightly": (30, 60),
    "default": (10, 20),
}
PROFILES = tuple(_PROFILE_BUDGETS)
_BUDGET_ENV = {
    VERIFY_METRIC: "SLO_VERIFY_P95_MS",
    ENCODE_METRIC_PATTERN: "SLO_ENCODE_P95_MS",
    GRAPHQL_METRIC: "SLO_GQL_P95_MS",
}

DEFAULT_PERF_DIR = layout.DEFAULT.perf.root
DEFAULT_BASELINE = layout.DEFAULT.perf.baseline


@dataclass(frozen=True)
class GateSettings:
    """What the budget gate needs: the profile, its budgets and the suites it allows to be skipped."""

    profile: str
    budgets: dict[str, float]
    allowed_skips: frozenset[str]
    budget_sources: dict[str, str] = field(default_factory=dict)
    allow_one_run: bool = False
    runs: int = 10
    max_runs: int = 20

    def budget_rule(self, metric: str) -> str | None:
        """The one budget name that governs a metric key, or None. Budget names are fnmatch patterns; when several
        match, the strongest source wins (an env var beats a budgets file beats the profile), then an exact name
        beats a pattern, then the first listed. Collect, the gate and drift all ask here."""
        order = list(self.budgets)
        matches = [name for name in order if fnmatch.fnmatchcase(metric, name)]
        if not matches:
            return None
        return max(matches, key=lambda name: (self._strength(name), name == metric, -order.index(name)))

    def budget_for(self, metric: str) -> float | None:
        """The p95 budget (ms) of a metric key under budget_rule; None if unbudgeted."""
        rule = self.budget_rule(metric)
        return None if rule is None else self.budgets[rule]

    def source_of(self, name: str) -> str:
        return self.budget_sources.get(name, f"profile {self.profile}")

    def _strength(self, name: str) -> int:
        source = self.source_of(name)
        return 3 if source in _BUDGET_ENV.values() else 1 if source.startswith("profile ") else 2


# Every environment variable the product reads — the one registry: docs/environment.md lists USER_VARIABLES, the
# tests clear all of them, and reading a name that is not here is a bug (an AssertionError, never silent).
USER_VARIABLES = (
    "SLO_VERIFY_P95_MS",
    "SLO_ENCODE_P95_MS",
    "SLO_GQL_P95_MS",
    "HOLOGRAM_PROFILE",
    "HOLOGRAM_BUDGETS",
    "REGRESSION_THRESHOLD_PCT",
    "HOLOGRAM_RUNS",
    "HOLOGRAM_ALLOW_ONE_RUN",
    "ENC_MB",
    "GQL_SAMPLES",
    "GQL_WARMUP",
    "E2E_APP_NAME",
    "E2E_TIMEOUT_S",
    "GRAPHQL_URL",
    "GRAPHQL_TOKEN",
    "GRAPHQL_TEST_NAME",
    "IPFS_API",
    "HOLOGRAM_TARGET",
    "HOLOGRAM_SAMPLE_TIMEOUT_S",
    "HOLOGRAM_MEASURE",
    "COLD",
    "SLACK_WEBHOOK_URL",
    "TEAMS_WEBHOOK_URL",
    "HOLOGRAM_HISTORY",
    "HOLOGRAM_KUBO",
    "HOLOGRAM_KUBO_CACHE",
    "HOLOGRAM_BASELINE",
    "GITHUB_TOKEN",
)
CI_VARIABLES = (
    "GITHUB_EVENT_NAME",
    "GITHUB_REF",
    "GITHUB_REF_NAME",
    "GITHUB_HEAD_REF",
    "GITHUB_SHA",
    "RUNNER_NAME",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_EVENT_PATH",
    "GITHUB_API_URL",
)
MARKETPLACE_TOKEN = "HOLOGRAM_MARKETPLACE_TOKEN"  # from the stack to its marketplace process, never argv
VARIABLES = frozenset((*USER_VARIABLES, *CI_VARIABLES, MARKETPLACE_TOKEN))


class _Registered(Mapping[str, str]):
    """The environment as this module reads it: only registered names."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        assert name in VARIABLES, f"{name} is read but not in config.VARIABLES"
        return self._environ[name]

    def get(self, name: str, default: Any = None) -> Any:
        assert name in VARIABLES, f"{name} is read but not in config.VARIABLES"
        return self._environ.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._environ if name in VARIABLES)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def environment(environ: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """The environment (or the mapping given in its place) through the registry: the one way any module of the
    product reads a variable — provenance, machine facts and CI run facts read theirs here too."""
    return _Registered(os.environ if environ is None else environ)


_env = environment


def service_endpoints(environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """IPFS_API and GRAPHQL_URL as configured (None where unset or empty)."""
    env = _env(environ)
    return env.get("IPFS_API") or None, env.get("GRAPHQL_URL") or None


def marketplace_token(environ: Mapping[str, str] | None = None) -> str | None:
    """The marketplace's mutation token from its environment; None (no auth) only when it is not set at all — set
    but blank is refused, never read as "no token required"."""
    raw = _env(environ).get(MARKETPLACE_TOKEN)
    if raw is not None and not raw.strip():
        raise InputError(f"{MARKETPLACE_TOKEN} is set but blank: refusing to serve mutations without a token")
    return raw.strip() if raw else None


def positive_number(raw: str, what: str, path: str | None = None, line: int | None = None) -> float:
    """Parse a positive finite number or raise an InputError that names `what`."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{what}: expected a positive number, got {raw!r}", path, line)
    return value


def positive_int(raw: str, what: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise InputError(f"{what}: expected a positive integer, got {raw!r}")
    return value


def resolve_profile(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """--profile, else HOLOGRAM_PROFILE, else from GitHub's event and ref, else `default`."""
    env = _env(environ)
    name = explicit or env.get("HOLOGRAM_PROFILE", "").strip()
    if name:
        if name not in _PROFILE_BUDGETS:
            raise InputError(f"unknown profile {name!r}: expected one of {', '.join(PROFILES)}")
        return name
    event = env.get("GITHUB_EVENT_NAME", "")
    if event in ("pull_request", "pull_request_target"):
        return "pr"
    if event == "schedule":
        return "nightly"
    if env.get("GITHUB_REF", "") == "refs/heads/main":
        return "main"
    return "default"


def gate_settings(
    profile: str | None = None,
    budgets_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> GateSettings:
    env = _env(environ)
    name = resolve_profile(profile, env)
    budgets = dict(zip(_BUDGET_ENV, _PROFILE_BUDGETS[name], strict=True))
    sources = dict.fromkeys(budgets, f"profile {name}")
    path = budgets_file or env.get("HOLOGRAM_BUDGETS") or None
    if path:
        for metric, value in _read_budgets_file(Path(path), name).items():
            budgets[metric] = value
            sources[metric] = str(path)
    for metric, var in _BUDGET_ENV.items():
        raw = env.get(var)
        if raw is not None and raw.strip():
            budgets[metric] = positive_number(raw, var)
            sources[metric] = var
    runs, max_runs = _PROFILE_RUNS[name]
    raw_runs = env.get("HOLOGRAM_RUNS", "").strip()
    if raw_runs:
        runs = positive_int(raw_runs, "HOLOGRAM_RUNS")
        max_runs = max(max_runs, runs)
    allow_one_run = env.get("HOLOGRAM_ALLOW_ONE_RUN", "").strip().lower() in ("1", "true", "yes")
    return GateSettings(name, budgets, _PROFILE_ALLOWED_SKIPS[name], sources, allow_one_run, runs, max_runs)


def _read_budgets_file(path: Path, profile: str) -> dict[str, float]:
    """`[budgets]` applies to every profile; `[profiles.<name>.budgets]` overrides it for one profile."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read budgets file: {exc.strerror}", path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"expected TOML with a [budgets] table: {exc}", path) from None
    merged: dict[str, float] = {}
    tables = [document.get("budgets", {}), document.get("profiles", {}).get(profile, {}).get("budgets", {})]
    for table in tables:
        if not isinstance(table, dict):
            raise InputError("expected [budgets] to be a table of metric = p95 milliseconds", path)
        for metric, value in table.items():
            merged[metric] = positive_number(str(value), f"budget for {metric}", str(path))
    return merged


# GRAPHQL_URL → (token, the file it came from, the URL to connect to), or None: the embedded stack's token
# discovery (`devstack.token.find_stack_token`), handed in by `hologram_lib.credentials`; settings never import it.
TokenFinder = Callable[[str], "tuple[str, Path, str] | None"]


def _graphql_token(
    env: Mapping[str, str], graphql_url: str | None, find_token: TokenFinder | None
) -> tuple[str | None, Path | None, str | None]:
    """GRAPHQL_TOKEN, or — only when it is unset, a finder is handed in and GRAPHQL_URL is the marketplace of an
    embedded stack of this checkout that is running — that stack's token and the file it came from (the seed's smoke
    test sets the URL and never a token). The third value is the URL to connect to: with the stack's token, the
    stack's own recorded address."""
    explicit = env.get("GRAPHQL_TOKEN") or None
    if explicit or not graphql_url or find_token is None:
        return explicit, None, graphql_url
    found = find_token(graphql_url)
    if found is None:
        return None, None, graphql_url
    return found


def token_notice(token_file: Path | None) -> str | None:
    """The one line that says the embedded stack's token is in use (the path, never the token)."""
    return f"using the embedded stack's token from {token_file} (GRAPHQL_TOKEN is unset)" if token_file else None


@dataclass(frozen=True)
class PerfKnobs:
    """The seed's measurement knobs (ENC_MB, GQL_SAMPLES, GQL_WARMUP, GRAPHQL_TEST_NAME, endpoints, target)."""

    enc_mb: int
    samples: int
    gql_samples: int
    gql_warmup: int
    graphql_url: str | None
    graphql_token: str | None
    graphql_test_name: str
    ipfs_api: str | None
    target: str | None
    timeout_s: float
    cold: bool = False
    token_file: Path | None = None  # where graphql_token came from when GRAPHQL_TOKEN was unset
    measure: str = "wall"  # wall | instructions | auto (HOLOGRAM_MEASURE, --measure): see perf.counted

    def public(self) -> dict[str, object]:
        """The knobs that may be recorded in a baseline's provenance (never the token)."""
        return {
            "ENC_MB": self.enc_mb,
            "samples": self.samples,
            "GQL_SAMPLES": self.gql_samples,
            "GQL_WARMUP": self.gql_warmup,
            "GRAPHQL_TEST_NAME": self.graphql_test_name,
            "HOLOGRAM_TARGET": self.target or "hologram_lib.atlas",
            "COLD": self.cold,
            "endpoints": endpoint_hosts(self.ipfs_api, self.graphql_url),
        }


LOOPBACK = "loopback (the embedded stack)"


def endpoint_hosts(ipfs_api: str | None, graphql_url: str | None) -> dict[str, str]:
    """What a run measured, for its recorded knobs: the host of IPFS_API and GRAPHQL_URL (never a path, a port or
    credentials); unset or a loopback address is the embedded stack. Runs of different targets are not compared."""
    from urllib.parse import urlsplit

    def host(url: str | None) -> str:
        try:
            name = urlsplit(url).hostname if url else None
        except ValueError:
            name = None
        return LOOPBACK if name in (None, "127.0.0.1", "localhost", "::1") else str(name)

    return {"IPFS_API": host(ipfs_api), "GRAPHQL_URL": host(graphql_url)}


DEFAULT_SAMPLES = 200
MAX_ENC_MB = 256


def perf_knobs(
    samples: int | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    cold: bool = False,
    find_token: TokenFinder | None = None,
) -> PerfKnobs:
    env = _env(environ)
    base = samples or DEFAULT_SAMPLES

    def number(var: str, default: int) -> int:
        raw = env.get(var, "").strip()
        return positive_int(raw, var) if raw else default

    enc_mb = number("ENC_MB", 1)
    if enc_mb > MAX_ENC_MB:  # the payload and its grids live in memory: 10,000 MiB asked for 78 GiB
        raise InputError(f"ENC_MB: expected at most {MAX_ENC_MB} (MiB encoded per sample), got {enc_mb}")
    graphql_token, token_file, graphql_url = _graphql_token(env, env.get("GRAPHQL_URL") or None, find_token)
    return PerfKnobs(
        enc_mb=enc_mb,
        samples=base,
        gql_samples=number("GQL_SAMPLES", base),
        gql_warmup=number("GQL_WARMUP", 5),
        graphql_url=graphql_url,
        graphql_token=graphql_token,
        graphql_test_name=env.get("GRAPHQL_TEST_NAME") or "demo/object/alpha",
        ipfs_api=env.get("IPFS_API") or None,
        target=env.get("HOLOGRAM_TARGET") or None,
        timeout_s=positive_number(env.get("HOLOGRAM_SAMPLE_TIMEOUT_S", "10"), "HOLOGRAM_SAMPLE_TIMEOUT_S"),
        cold=cold or env.get("COLD", "").strip().lower() in ("1", "true", "yes"),
        token_file=token_file,
        measure=measure_mode(env.get("HOLOGRAM_MEASURE")),
    )


MEASURES = ("wall", "instructions", "auto")


def measure_mode(raw: str | None) -> str:
    """HOLOGRAM_MEASURE / --measure: wall (clock only, the default), instructions (also count the in-process suites
    under callgrind; exit 2 without valgrind), auto (count when valgrind is present, else say so and use the clock)."""
    value = (raw or "wall").strip().lower()
    if value not in MEASURES:
        raise InputError(f"HOLOGRAM_MEASURE={raw!r}: expected one of {', '.join(MEASURES)}")
    return value


DEFAULT_THRESHOLD_PCT = 10.0


def regression_threshold_pct(explicit: float | None = None, environ: Mapping[str, str] | None = None) -> float:
    if explicit is not None:
        return positive_number(str(explicit), "--threshold-pct")
    raw = _env(environ).get("REGRESSION_THRESHOLD_PCT", "").strip()
    return positive_number(raw, "REGRESSION_THRESHOLD_PCT") if raw else DEFAULT_THRESHOLD_PCT


DEFAULT_EVENTS = layout.DEFAULT.events
DEFAULT_HISTORY = Path(".history") / "history.duckdb"
# Where drift's baseline comes from when none is named (history.baseline_source applies the rule), and how many
# green main runs a history baseline takes: settings, so that a command's --help need not load DuckDB to list them.
BASELINE_SOURCES = ("auto", "history", "file")
HISTORY_RUNS = 10
NEW_CHANGE_RUNS = 10  # a change point among a series' last 10 runs is "new" (`verdict --fail-on-change-point`)


def history_path(explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The history store: --store, else HOLOGRAM_HISTORY, else .history/history.duckdb in the working directory (the
    project root for `make` and the seed's commands)."""
    raw = _env(environ).get("HOLOGRAM_HISTORY", "").strip()
    return explicit or (Path(raw) if raw else DEFAULT_HISTORY)


def kubo_sources(environ: Mapping[str, str] | None = None) -> tuple[Path | None, Path]:
    """The embedded stack's Kubo: HOLOGRAM_KUBO (a binary to run, else None) and the directory where a Kubo built
    here is cached (HOLOGRAM_KUBO_CACHE, else ~/.cache/hologram: outside the checkout, shared by every clone)."""
    env = _env(environ)
    binary = env.get("HOLOGRAM_KUBO", "").strip()
    cache = env.get("HOLOGRAM_KUBO_CACHE", "").strip()
    return (Path(binary) if binary else None), (Path(cache) if cache else Path.home() / ".cache" / "hologram")


def named_baseline(explicit: Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The baseline the user named: --baseline, else HOLOGRAM_BASELINE; None when neither (then the rule picks)."""
    raw = _env(environ).get("HOLOGRAM_BASELINE", "").strip()
    return explicit or (Path(raw) if raw else None)


@dataclass(frozen=True)
class ProbeSettings:
    """What the E2E probe needs: endpoints, the token (never logged), the app name and timeouts."""

    ipfs_api: str | None
    graphql_url: str | None
    graphql_token: str | None
    app_name: str
    timeout_s: float
    token_file: Path | None = None  # where graphql_token came from when GRAPHQL_TOKEN was unset


DEFAULT_E2E_TIMEOUT_S = 10.0


def probe_settings(
    timeout_s: float | None = None, environ: Mapping[str, str] | None = None, *, find_token: TokenFinder | None = None
) -> ProbeSettings:
    env = _env(environ)
    raw_timeout = env.get("E2E_TIMEOUT_S", "").strip()
    graphql_token, token_file, graphql_url = _graphql_token(env, env.get("GRAPHQL_URL") or None, find_token)
    return ProbeSettings(
        ipfs_api=env.get("IPFS_API") or None,
        graphql_url=graphql_url,
        graphql_token=graphql_token,
        token_file=token_file,
        app_name=env.get("E2E_APP_NAME") or "demo/app/hello",
        timeout_s=timeout_s
        or (positive_number(raw_timeout, "E2E_TIMEOUT_S") if raw_timeout else DEFAULT_E2E_TIMEOUT_S),
    )


WEBHOOK_VARIABLES = {"slack": "SLACK_WEBHOOK_URL", "teams": "TEAMS_WEBHOOK_URL"}
SECRET_VARIABLES = ("GRAPHQL_TOKEN", "SLACK_WEBHOOK_URL", "TEAMS_WEBHOOK_URL", "GITHUB_TOKEN", MARKETPLACE_TOKEN)


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The configured secrets, for the redactor: each secret variable's value, and for a webhook URL its path and
    query on their own too (a server may echo them, percent-decoded or not, without the host)."""
    from urllib.parse import unquote, urlsplit

    env = _env(environ)
    values = [value.strip() for name in SECRET_VARIABLES if (value := env.get(name, "")).strip()]
    for value in list(values):
        try:
            parts = urlsplit(value)
        except ValueError:
            continue
        if parts.scheme in ("http", "https"):
            values += [p for part in (parts.path, parts.query) if len(part) > 1 for p in {part, unquote(part)}]
    return values


def webhook_url(channel: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The Slack / Teams incoming-webhook URL — a secret: whoever has it can post to the channel."""
    return _env(environ).get(WEBHOOK_VARIABLES[channel], "").strip() or None
