"""Condense events.jsonl for triage: counts, success rates, last events, deployments, the CID trail."""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hologram_lib.e2e.events import STEPS, LogLine, read_events
from hologram_lib.outcomes import Step


@dataclass(kw_only=True)
class Summary:
    path: str
    problems: list[str]
    counts: dict[str, dict[str, int]]
    success_rate: dict[str, dict[str, float | int]]
    last_events: dict[str, dict[str, Any]]
    latest_run: dict[str, Any] | None
    latest_deployment: dict[str, Any] | None
    cid_trail: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest_failed(self) -> bool:
        return self.latest_run is not None and self.latest_run["status"] not in (Step.OK, Step.SKIP)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "hologram-e2e-summary/1", **self.__dict__}

    def lines(self) -> list[str]:
        out = list(self.problems)
        run = self.latest_run
        if run is None:
            out.append(f"e2e: no runs in {self.path}")
            return out
        where = f"stopped at {run['failed_step']} (last ok: {run['last_ok']}): {run.get('error', '')}"
        state = {Step.OK: "PASS", Step.SKIP: f"SKIP ({run.get('reason', '')})"}.get(run["status"], f"FAIL, {where}")
        out.append(f"e2e: latest run {run['run_id']} {state}")
        if self.latest_deployment:
            d = self.latest_deployment
            out.append(f"  latest successful deployment: {d['name']} → {d['cid']} ({d['ts']})")
        out.append("  success rate per step (last runs):")
        out += [
            f"    {step:<20} {r['ok']}/{r['runs']} ok ({100 * r['rate']:.0f}%)" for step, r in self.success_rate.items()
        ]
        out.append("  events: " + ", ".join(f"{e} {dict(c)}" for e, c in self.counts.items()))
        return out


def _runs(events: list[LogLine]) -> OrderedDict[str, list[dict[str, Any]]]:
    runs: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    for item in events:
        runs.setdefault(str(item.record.get("run_id", "?")), []).append(item.record)
    return runs


def _run_outcome(run_id: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    end = next((r for r in reversed(records) if r["event"] == "run_end"), None)
    if end is None:  # a run that never wrote run_end died mid-way: that is a failure
        last_ok = next((r["event"] for r in reversed(records) if r.get("status") == Step.OK), None)
        return {
            "run_id": run_id,
            "status": Step.INCOMPLETE,
            "last_ok": last_ok,
            "failed_step": "(no run_end)",
            "error": "the run ended without a run_end event",
            "ts": records[-1].get("ts"),
        }
    keys = ("status", "last_ok", "failed_step", "error", "reason", "ts")
    return {"run_id": run_id, **{k: end.get(k) for k in keys}}


def summarize(path: Path, last_runs: int = 20) -> Summary:
    events, problems = read_events(path)
    counts: dict[str, Counter[str]] = {}
    last_events: dict[str, dict[str, Any]] = {}
    trail = []
    for item in events:
        record = item.record
        counts.setdefault(record["event"], Counter())[str(record.get("status", "?"))] += 1
        last_events[record["event"]] = record
        if record.get("cid") and record["event"] in ("ipfs_publish", "marketplace_publish", "resolve"):
            trail.append({k: record.get(k) for k in ("ts", "run_id", "event", "name", "cid", "status")})
    runs = _runs(events)
    recent = list(runs.items())[-last_runs:]
    rates: dict[str, dict[str, float | int]] = {}
    for step in STEPS:
        outcomes = [r.get("status") for _, records in recent for r in records if r["event"] == step]
        judged = [s for s in outcomes if s in (Step.OK, Step.FAIL)]
        if judged:
            ok = judged.count(Step.OK)
            rates[step] = {"ok": ok, "runs": len(judged), "rate": ok / len(judged)}
    deployment = None
    for run_id, records in reversed(runs.items()):
        if _run_outcome(run_id, records)["status"] == Step.OK:
            publish = next(
                (r for r in records if r["event"] == "marketplace_publish" and r.get("status") == Step.OK), None
            )
            if publish:
                deployment = {
                    "run_id": run_id,
                    "name": publish.get("name"),
                    "cid": publish.get("cid"),
                    "ts": publish["ts"],
                }
                break
    latest = _run_outcome(*list(runs.items())[-1]) if runs else None
    return Summary(
        path=str(path),
        problems=problems,
        counts={k: dict(v) for k, v in counts.items()},
        success_rate=rates,
        last_events=last_events,
        latest_run=latest,
        latest_deployment=deployment,
        cid_trail=trail,
    )
