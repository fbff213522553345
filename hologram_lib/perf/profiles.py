"""Cold vs warm: `COLD=1 hologram perf collect` measures into perf/cold/ and writes perf/cache_profiles.json.

Cold means every sample starts from scratch: no warm-up, CPU caches evicted before each in-process call, a new
connection for each network call. The ratio cold p95 / warm p95 shows what caches and keep-alive buy.
"""

from __future__ import annotations

from pathlib import Path

from hologram_lib import atomic, stats
from hologram_lib.errors import InputError
from hologram_lib.layout import PerfDir
from hologram_lib.perf.files import MetricData, load_perf_dir
from hologram_lib.units import ms


def _quantiles(data: MetricData | None) -> tuple[float | None, float | None]:
    if data is None or data.samples is None or not len(data.samples):
        return None, None
    return stats.quantile(data.samples, 0.5), stats.quantile(data.samples)


def cache_profiles(perf_dir: Path) -> dict[str, dict[str, float | None]]:
    """Per metric measured cold: cold and warm p50 / p95 (ms) and the p95 ratio cold / warm."""
    cold, warm = load_perf_dir(PerfDir(perf_dir).cold), load_perf_dir(perf_dir)
    profiles = {}
    for key in sorted(cold):
        cold_p50, cold_p95 = _quantiles(cold[key])
        warm_p50, warm_p95 = _quantiles(warm.get(key))
        if cold_p50 is None or cold_p95 is None:
            continue
        profiles[key] = {
            "cold_p50_ms": round(cold_p50, 6),
            "cold_p95_ms": round(cold_p95, 6),
            "warm_p50_ms": None if warm_p50 is None else round(warm_p50, 6),
            "warm_p95_ms": None if warm_p95 is None else round(warm_p95, 6),
            "ratio": None if not warm_p95 else round(cold_p95 / warm_p95, 3),
        }
    return profiles


def write_cache_profiles(perf_dir: Path) -> Path:
    return atomic.write_json(PerfDir(perf_dir).cache_profiles, cache_profiles(perf_dir))


_FIELDS = ("cold_p50_ms", "cold_p95_ms", "warm_p50_ms", "warm_p95_ms", "ratio")


def read_cache_profiles(path: Path) -> dict[str, dict[str, float | None]]:
    """cache_profiles.json as write_cache_profiles wrote it; anything else is an InputError naming the file."""
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the cold / warm profiles: {exc.strerror}", path) from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"expected JSON (metric → cold / warm p50 and p95): {exc}", path) from None
    if not isinstance(document, dict) or not all(
        isinstance(entry, dict) and all(_number_or_none(entry.get(name)) for name in _FIELDS)
        for entry in document.values()
    ):
        raise InputError(f"expected metric → {{{', '.join(_FIELDS)}}} with numbers or null", path)
    return document


def _number_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def profile_lines(profiles: dict[str, dict[str, float | None]]) -> list[str]:
    """The cold / warm table as text, one metric a line."""

    out = [f"{'metric':<24} {'cold p50':>10} {'cold p95':>10} {'warm p50':>10} {'warm p95':>10} {'cold/warm p95':>14}"]
    for metric, e in sorted(profiles.items()):
        out.append(
            f"{metric:<24} {ms(e['cold_p50_ms']):>10} {ms(e['cold_p95_ms']):>10} {ms(e['warm_p50_ms']):>10} "
            f"{ms(e['warm_p95_ms']):>10} {ms(e['ratio'], '×'):>14}"
        )
    return out


def refresh_cache_profiles(perf_dir: Path) -> dict[str, dict[str, float | None]]:
    """The cold / warm profiles of a perf folder: recomputed when its cold runs exist (the warm side may be newer),
    else as last written; neither is an InputError that says how to make them."""
    perf = PerfDir(perf_dir)
    if perf.cold.is_dir():
        write_cache_profiles(perf_dir)
    elif not perf.cache_profiles.exists():
        raise InputError(
            "no cold / warm profiles: expected cold runs in "
            f"{perf.cold} (run `COLD=1 hologram perf collect` after a warm `hologram perf collect`)",
            perf.cache_profiles,
        )
    return read_cache_profiles(perf.cache_profiles)
