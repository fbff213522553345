#!/usr/bin/env bash
# CI (pull requests): paired A/B of this checkout against its merge base with $1 (e.g. origin/main), base and head
# measured in interleaved runs of this job. Exit 0 when it ran: 0 (no regression) or 1 (a regression: the gate judges
# it after the report shows it). Anything else stops the job with that code — 2 bad input, 3 could not run, 4 an
# internal error (docs/verdicts.md): a crashing `hologram ab` is never read as "it ran". Without a
# merge base (a shallow clone, unrelated histories) it says so and exits 0: drift is then judged from the baseline.
set -uo pipefail

base_ref=$1
if ! merge_base=$(git merge-base HEAD "$base_ref" 2>/dev/null); then
  echo "paired A/B skipped: no merge base with $base_ref in this checkout; drift is judged from the main baseline"
  exit 0
fi
echo "paired A/B: this checkout against its merge base $merge_base with $base_ref"
.venv/bin/hologram ab --base "$merge_base" --runs 10
status=$?
case "$status" in
  0 | 1) exit 0 ;;
  *)
    echo "paired A/B did not run (hologram ab exit $status): see the line above" >&2
    exit "$status"
    ;;
esac
