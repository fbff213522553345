#!/usr/bin/env bash
# CI: put the baseline of the newest successful push to main at reports/perf/baseline.json, or say there is none.
# Sources, in order: the newest unexpired `perf-baseline` artifact (only a push to main whose gate passed uploads
# one), then the copy in the history cache (.history/baseline.json, which outlives the artifacts' 14 days).
# Neither: "no baseline yet" — a note, not a failure; the verdict then says drift was not compared.
# The source is recorded in reports/perf/baseline_source.txt for the job summary. Needs GH_TOKEN, GITHUB_REPOSITORY.
set -euo pipefail

perf=reports/perf
mkdir -p "$perf"
rm -f "$perf/baseline.json"

newest='[.artifacts[] | select(.expired == false and .workflow_run.head_branch == "main")]
  | max_by(.created_at) | .workflow_run.id // empty'
run_id=$(gh api "repos/$GITHUB_REPOSITORY/actions/artifacts?name=perf-baseline&per_page=100" --jq "$newest") || {
  echo "baseline: could not list the artifacts (gh api failed); trying the history cache"
  run_id=""
}

if [ -n "$run_id" ] && gh run download "$run_id" --name perf-baseline --dir "$perf"; then
  source="the perf-baseline artifact of run $run_id (the newest successful push to main)"
elif [ -f .history/baseline.json ]; then
  cp .history/baseline.json "$perf/baseline.json"
  source="the history cache (.history/baseline.json, promoted by the last green push to main)"
else
  source="no baseline yet (no unexpired perf-baseline artifact and none in the history cache): drift not compared"
fi
echo "baseline: $source"
echo "$source" > "$perf/baseline_source.txt"
