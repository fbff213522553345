"""Everything a CI run shows besides the report, made in one go from reports/: the job summary, the badge, the cold
/ warm profiles and the Slack / Teams payloads. The workflow calls this (scripts/ci_outputs.py); run locally with
--dry-run it writes the same files and posts nothing — the CI steps, reproduced on a laptop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hologram_lib import atomic, config, credentials
from hologram_lib.ci import badge, notify, summary
from hologram_lib.ci.facts import Facts, gather
from hologram_lib.ci.run import ci_run
from hologram_lib.errors import InputError
from hologram_lib.layout import Reports


@dataclass
class Outputs:
    facts: Facts
    lines: list[str] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        return self.facts.verdict is not None


def write_summary(text: str, reports: Reports, environ: Mapping[str, str] | None = None) -> list[Path]:
    """reports/summary.md, and appended to $GITHUB_STEP_SUMMARY when the run has one."""
    written = [atomic.write_text(reports.summary, text)]
    step_summary = ci_run(environ).step_summary
    if step_summary:
        try:
            with open(
                step_summary, "a", encoding="utf-8"
            ) as sink:  # GitHub's file for this step: append, as documented
                sink.write(text)
        except OSError as exc:
            raise InputError(
                f"GITHUB_STEP_SUMMARY: cannot append the job summary: {exc.strerror}", step_summary
            ) from None
        written.append(Path(step_summary))
    return written


def produce(reports: Reports, environ: Mapping[str, str] | None = None, *, dry_run: bool) -> Outputs:
    out = Outputs(gather(reports, environ))
    if out.facts.problem:
        out.lines.append(f"ci: {out.facts.problem}")
    written = write_summary(summary.render(out.facts), reports, environ)
    out.lines.append("summary: wrote " + ", ".join(str(p) for p in written))
    shown = badge.write_badge(out.facts, reports.badge_svg, reports.badge_json)
    out.lines.append(f"badge: {shown.message} ({shown.color}) → {reports.badge_svg}, {reports.badge_json}")
    out.lines += _cache_profiles(out.facts)
    secrets = [credentials.probe_settings(environ=environ).graphql_token]
    for channel in notify.CHANNELS:
        url = config.webhook_url(channel, environ)
        delivery = notify.notify(channel, out.facts, url, reports.notification(channel), secrets, dry_run=dry_run)
        out.lines.append(delivery.line())
    return out


def _cache_profiles(facts: Facts) -> list[str]:
    """The cold / warm profiles as `hologram perf collect` wrote them (the CI outputs never recompute them)."""
    path = facts.reports.perf.cache_profiles
    if facts.cache_profiles is None:
        return [f"cache profiles: none (no readable {path}: `COLD=1 hologram perf collect` writes it)"]
    return [f"cache profiles: {len(facts.cache_profiles)} metrics in {path}"]
