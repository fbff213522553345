"""Callgrind profiles: read one (totals and per-function costs), estimate cycles, and say where work moved.

Pure parsing and arithmetic, no processes: `perf.counted` runs valgrind, this module reads what it wrote.

Estimated cycles. Instructions alone miss a change that keeps the instruction count and thrashes the caches, so
every counted metric also carries a cycle estimate from callgrind's cache simulation, with the weights used by
iai-callgrind and CodSpeed (after Itamar Turner-Trauring, "Faster, more reliable benchmarks with cachegrind"):

    L1 hits  = Ir + Dr + Dw − (I1mr + D1mr + D1mw)
    LL hits  = (I1mr + D1mr + D1mw) − (ILmr + DLmr + DLmw)
    RAM hits = ILmr + DLmr + DLmw
    estimated cycles = L1 hits + 5 · LL hits + 35 · RAM hits

(KCachegrind's own "CEst" weighs the same misses 10 and 100 on top of Ir; the iai-callgrind form counts every
access once, which is what a cycle is closer to.) The cache geometry is pinned on the command line
(`perf.counted.CACHE_GEOMETRY`), so the estimate does not follow the host CPU's caches.

Attribution. Python 3.11 has no perf trampoline, so callgrind sees C functions only: the interpreter's
(`_PyEval_EvalFrameDefault`, `PyNumber_Add`, …) and numpy's (`UBYTE_add_AVX2`, `npy_memcpy`, …). A change in
a Python function shows up as the C work it does: more bytecode → more `_PyEval_EvalFrameDefault` self cost; an
extra array operation → the ufunc inner loop and the allocator that it calls. That is what `top_changes` names.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

from hologram_lib import atomic
from hologram_lib.errors import ProfileError

EVENTS = ("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")
_NAMED = re.compile(r"\((\d+)\)(?: (.*))?")


@dataclass
class Profile:
    """The measured region of one process: event totals and, per C function, self and inclusive instructions."""

    totals: dict[str, int]
    self_ir: dict[str, int] = field(default_factory=dict)
    inclusive_ir: dict[str, int] = field(default_factory=dict)

    @property
    def instructions(self) -> int:
        return self.totals.get("Ir", 0)


def estimated_cycles(totals: dict[str, int]) -> int:
    """The cycle estimate above from callgrind's event totals (cache events absent → instructions only)."""
    get = totals.get
    l1_misses = get("I1mr", 0) + get("D1mr", 0) + get("D1mw", 0)
    ram = get("ILmr", 0) + get("DLmr", 0) + get("DLmw", 0)
    accesses = get("Ir", 0) + get("Dr", 0) + get("Dw", 0)
    return (accesses - l1_misses) + 5 * (l1_misses - ram) + 35 * ram


def _open_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the callgrind profile ({exc.strerror})") from None
    try:
        return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8", "replace")
    except (OSError, EOFError) as exc:
        raise ProfileError(f"{path}: the compressed callgrind profile is cut short ({exc})") from None


def _name(value: str, table: dict[str, str]) -> str:
    """Callgrind's name compression: `(12) name` defines id 12, a later `(12)` refers to it."""
    match = _NAMED.fullmatch(value)
    if match is None:
        return value
    ident, name = match.groups()
    if name is not None:
        table[ident] = name
        return name
    return table.get(ident, f"({ident})")


def _first_cost(line: str) -> int:
    """The Ir of a cost line (`position Ir Dr …`); positions come first and may be +n / -n / *."""
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 else 0


def read_profile(path: Path) -> Profile:
    """Parse a callgrind output file (plain or gzip). Its `totals:` line is written last, so a file without one
    was cut short: a ProfileError, never a partial count."""
    text = _open_text(path)
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# callgrind format"):
        raise ProfileError(f"{path}: expected a callgrind profile ('# callgrind format' on the first line)")
    events: list[str] = []
    totals: dict[str, int] | None = None
    functions: dict[str, str] = {}
    self_ir: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    current, in_call = "", False
    for line in lines:
        if not line:
            continue
        head = line[0]
        if head.isdigit() or head in "+-*":
            cost = _first_cost(line)
            if in_call:
                inclusive[current] = inclusive.get(current, 0) + cost
                in_call = False
            elif current:
                self_ir[current] = self_ir.get(current, 0) + cost
        elif line.startswith("fn="):
            current = _name(line[3:], functions)
        elif line.startswith("cfn="):
            _name(line[4:], functions)  # defines a compressed name a later fn= may use
        elif line.startswith("calls="):
            in_call = True
        elif line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("totals:"):
            totals = dict(zip(events, (int(v) for v in line.split()[1:]), strict=False))
    if totals is None or not events:
        raise ProfileError(f"{path}: the callgrind profile is cut short (no 'totals:' line)")
    for name, cost in self_ir.items():
        inclusive[name] = min(inclusive.get(name, 0) + cost, totals.get("Ir", 0))  # recursion counts calls twice
    return Profile(totals, self_ir, inclusive)


@dataclass(frozen=True)
class FunctionChange:
    """One C function's instructions per call, base vs head."""

    function: str
    base_inclusive: float
    head_inclusive: float
    base_self: float
    head_self: float
    delta_self: float
    share_pct: float  # of the metric's whole change (base → head total)

    def line(self) -> str:
        return (
            f"{self.function}: self {self.base_self:,.0f} → {self.head_self:,.0f} ({self.delta_self:+,.0f}, "
            f"{self.share_pct:.0f}% of the change); inclusive {self.base_inclusive:,.0f} → {self.head_inclusive:,.0f}"
        )


def top_changes(base: Profile, head: Profile, base_calls: int, head_calls: int, limit: int = 5) -> list[FunctionChange]:
    """The functions whose self instructions per call moved most between two profiles of the same metric. Self
    cost partitions the total, so the shares of all functions add up to the whole change; inclusive cost is shown
    beside it to say which caller the work went through."""
    total_delta = head.instructions / head_calls - base.instructions / base_calls
    names = set(base.self_ir) | set(head.self_ir)
    changes = []
    for name in names:
        base_self = base.self_ir.get(name, 0) / base_calls
        head_self = head.self_ir.get(name, 0) / head_calls
        delta = head_self - base_self
        if delta == 0:
            continue
        share = 100.0 * delta / total_delta if total_delta else 0.0
        changes.append(
            FunctionChange(
                name,
                base.inclusive_ir.get(name, 0) / base_calls,
                head.inclusive_ir.get(name, 0) / head_calls,
                base_self,
                head_self,
                delta,
                share,
            )
        )
    changes.sort(key=lambda c: (-abs(c.delta_self), c.function))
    return changes[:limit]


def compress(source: Path, target: Path) -> Path:
    """Keep a profile gzip-compressed (≈10× smaller); the source is removed. Written via a temp file + rename."""
    atomic.write_bytes(target, gzip.compress(source.read_bytes(), compresslevel=6, mtime=0))
    source.unlink(missing_ok=True)
    return target
