"""Cold vs warm: `COLD=1 hologram perf collect` measures into perf/cold/ and writes perf/cache_profiles.json.

Cold means every sample starts from scratch: no warm-up, CPU caches evicted before each in-process call, a new
connection for each network call. The ratio cold p95 / warm p95 shows what caches and keep-alive buy.
"""

from __future__ import annotations

from pathlib import Path

from hologram_lib import atomic, stats
from hologram_lib.layout import PerfDir
from hologram_lib.perf.files import MetricData, load_perf_dir


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
