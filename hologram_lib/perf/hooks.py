"""What the counted worker needs inside valgrind, and nothing more: every import here runs under valgrind's JIT,
so this module imports only the standard library (numpy is already loaded by the suite).

callgrind's start / stop instrumentation client requests come from the compiled hooks of the `pytest-codspeed`
wheel, loaded on their own (the plugin package would import pytest into the measured process).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import platform
from collections.abc import Callable
from pathlib import Path

from hologram_lib.errors import HooksMissing


def hooks_path() -> Path | None:
    spec = importlib.util.find_spec("pytest_codspeed")  # finds the package without importing it (and pytest)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "instruments" / "hooks"
    found = sorted(folder.glob("dist_instrument_hooks*.so"))
    return found[0] if found else None


def instrumentation() -> tuple[Callable[[], None], Callable[[], None]]:
    """callgrind's start / stop instrumentation client requests (no-ops outside valgrind)."""
    path = hooks_path()
    if path is None:
        raise HooksMissing("the pytest-codspeed wheel (callgrind instrument hooks) is not installed")
    loader = importlib.machinery.ExtensionFileLoader("dist_instrument_hooks", str(path))
    spec = importlib.util.spec_from_file_location("dist_instrument_hooks", path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    start: Callable[[], None] = module.callgrind_start_instrumentation
    stop: Callable[[], None] = module.callgrind_stop_instrumentation
    return start, stop


def _numpy_simd() -> str:
    """The SIMD extensions numpy dispatches to in this process (under valgrind: those valgrind's CPU reports)."""
    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:  # numpy 1.x
        umath = importlib.import_module("numpy.core._multiarray_umath")
    features: dict[str, bool] = getattr(umath, "__cpu_features__", {})
    dispatch: list[str] = list(getattr(umath, "__cpu_dispatch__", []))
    return ",".join(name for name in dispatch if features.get(name)) or "baseline only"


def process_fingerprint() -> dict[str, str]:
    """What a count depends on besides the code: taken inside the counted process (the worker)."""
    build = ", ".join(platform.python_build())
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()} ({build})",
        "numpy": importlib.import_module("numpy").__version__,
        "numpy_simd": _numpy_simd(),
        "arch": platform.machine(),
    }
