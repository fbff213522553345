"""The CI outputs of a judged report: `hologram summary | badge | notify | comment | ci-outputs`. Each exits 0 when
its output was written, 2 when the report could not be judged (after writing what it could) or is absent."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hologram_lib.commands import Commands, options
from hologram_lib.commands.output import print_lines
from hologram_lib.config import WEBHOOK_VARIABLES
from hologram_lib.errors import ExitCode, InputError
from hologram_lib.outcomes import Posting

if TYPE_CHECKING:
    from hologram_lib.ci.facts import Facts

CI_HELP = "(exit 0 when written; 2 when the report could not be judged or is absent)"
NOTIFY_TIMEOUT_S = 10.0
COMMENT_TIMEOUT_S = 30.0


def register(commands: Commands) -> None:
    commands.add_command("summary", f"job summary Markdown from reports/ {CI_HELP}", _declare_summary)
    commands.add_command("badge", f"reports/badge.svg + shields.io endpoint JSON {CI_HELP}", _declare_badge)
    commands.add_command(
        "notify", f"post the verdict to Slack / Teams; a webhook failure is reported, never fatal {CI_HELP}",
        _declare_notify,
    )  # fmt: skip
    commands.add_command(
        "comment",
        f"create or edit the PR's one comment (GITHUB_TOKEN); a fork or a 403 is said, not fatal {CI_HELP}",
        _declare_comment,
    )
    commands.add_command(
        "ci-outputs", f"summary + badge + cache profiles + Slack / Teams, as the workflow runs them {CI_HELP}",
        _declare_outputs,
    )  # fmt: skip


def _declare_summary(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_summary)
    options.reports_dir(parser)
    options.out(parser, "write here (default: append to $GITHUB_STEP_SUMMARY when set, else print)")


def _declare_badge(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_badge)
    options.reports_dir(parser)


def _declare_notify(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_notify)
    parser.add_argument("channel", choices=tuple(WEBHOOK_VARIABLES))
    options.reports_dir(parser)
    options.timeout(parser, "seconds for the webhook (%(default)s)", NOTIFY_TIMEOUT_S)
    options.dry_run(parser, "write the payload, post nothing")


def _declare_comment(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_comment)
    options.reports_dir(parser)
    options.dry_run(parser, "write the Markdown, post nothing")
    options.out(parser, "where the Markdown goes (default: REPORTS_DIR/comment.md)")
    options.timeout(parser, "seconds in all (%(default)s)", COMMENT_TIMEOUT_S)


def _declare_outputs(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_ci_outputs)
    options.reports_dir(parser)
    options.dry_run(parser, "write every payload, post nothing (local runs)")


def _facts(reports_dir: Path) -> Facts:
    """The report folder judged; nothing there at all is an InputError (exit 2) before anything is written."""
    from hologram_lib.ci.facts import gather, nothing_to_judge
    from hologram_lib.layout import Reports

    reports = Reports(reports_dir)
    absent = nothing_to_judge(reports)
    if absent:
        raise InputError(absent)
    return gather(reports)


def _judged(facts: Facts) -> int:
    """0 when the report was judged; 2 (after the outputs were written) when it could not be, said on stderr."""
    if facts.verdict is None:
        print(f"hologram: error: {facts.problem}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    return ExitCode.OK


def run_summary(args: argparse.Namespace) -> int:
    from hologram_lib import atomic
    from hologram_lib.ci.outputs import write_summary
    from hologram_lib.ci.run import ci_run
    from hologram_lib.ci.summary import render
    from hologram_lib.layout import Reports

    facts = _facts(args.reports_dir)
    text = render(facts)
    if args.out is not None:
        atomic.write_text(args.out, text)
    elif ci_run().step_summary:
        write_summary(text, Reports(args.reports_dir))
    else:
        sys.stdout.write(text)
    return _judged(facts)


def run_badge(args: argparse.Namespace) -> int:
    from hologram_lib.ci.badge import write_badge
    from hologram_lib.layout import Reports

    facts = _facts(args.reports_dir)
    reports = Reports(args.reports_dir)
    badge = write_badge(facts, reports.badge_svg, reports.badge_json)
    print(f"badge: {badge.message} ({badge.color}) → {reports.badge_svg}, {reports.badge_json}")
    return _judged(facts)


def run_notify(args: argparse.Namespace) -> int:
    from hologram_lib.ci.notify import notify
    from hologram_lib.config import webhook_url
    from hologram_lib.credentials import probe_settings
    from hologram_lib.layout import Reports

    facts = _facts(args.reports_dir)
    payload_file = Reports(args.reports_dir).notification(args.channel)
    secrets = [probe_settings().graphql_token]
    delivery = notify(
        args.channel, facts, webhook_url(args.channel), payload_file, secrets, args.timeout, dry_run=args.dry_run
    )
    print(delivery.line(), file=sys.stderr if delivery.outcome == Posting.FAILED else sys.stdout)
    return _judged(facts)


def run_comment(args: argparse.Namespace) -> int:
    from hologram_lib import atomic
    from hologram_lib.ci.comment import post, render
    from hologram_lib.ci.run import pull_request_api
    from hologram_lib.config import secret_values

    facts = _facts(args.reports_dir)
    body = render(facts)
    out = args.out if args.out is not None else args.reports_dir / "comment.md"
    atomic.write_text(out, body)
    if args.dry_run:
        print(f"comment: dry run: {out} written, nothing posted")
        return _judged(facts)
    posted = post(body, pull_request_api(), secret_values(), args.timeout)
    print(posted.line(), file=sys.stderr if posted.outcome == Posting.FAILED else sys.stdout)
    if posted.outcome == Posting.FAILED:
        return ExitCode.NOT_RUN
    return _judged(facts)


def run_ci_outputs(args: argparse.Namespace) -> int:
    from hologram_lib.ci.outputs import produce
    from hologram_lib.layout import Reports

    outputs = produce(Reports(args.reports_dir), dry_run=args.dry_run)
    print_lines(outputs.lines)
    return _judged(outputs.facts)
