#!/usr/bin/env bash
# CI (pull requests): paired A/B of this checkout against its merge base with $1 (e.g. origin/main), base and head
# measured in interleaved runs of this job. Exit 0 when it ran, also on a regression (exit 1 of `hologram ab`: the
# gate judges it after the report shows it); a bad input (exit 2) stops the job. Without a merge base (a shallow
# clone, unrelated histories) it says so and exits 0: drift is then judged from the main baseline alone.
set -uo pipefail

base_ref=$1
if ! merge_base=$(git merge-base HEAD "$base_ref" 2>/dev/null); then
  echo "paired A/B skipped: no merge base with $base_ref in this checkout; drift is judged from the main baseline"
  exit 0
fi
echo "paired A/B: this checkout against its merge base $merge_base with $base_ref"
.venv/bin/hologram ab --base "$merge_base" --runs 10
status=$?
if [ "$status" -le 1 ]; then
  exit 0
fi
exit "$status"
