#!/usr/bin/env bash
# CI: when the history cache was lost (GitHub evicts a cache unused for 7 days), rebuild .history/ from the newest
# unexpired `hologram-history` artifact (the Parquet export every push to main uploads). A cache that was restored
# is left alone; no artifact either: said, and the history starts again (not a failure).
# Needs GH_TOKEN and GITHUB_REPOSITORY. Local test: HOLOGRAM_HISTORY_ZIP=export.zip restores from a zip instead.
set -euo pipefail

store=${HOLOGRAM_HISTORY:-.history/history.duckdb}
if [ -f "$store" ]; then
  echo "history: the cache restored $store"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${HOLOGRAM_HISTORY_ZIP:-}" ]; then
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$HOLOGRAM_HISTORY_ZIP" "$work"
  source="$HOLOGRAM_HISTORY_ZIP"
else
  newest='[.artifacts[] | select(.expired == false and .workflow_run.head_branch == "main")]
    | max_by(.created_at) | .workflow_run.id // empty'
  run_id=$(gh api "repos/$GITHUB_REPOSITORY/actions/artifacts?name=hologram-history&per_page=100" --jq "$newest") ||
    run_id=""
  if [ -z "$run_id" ] || ! gh run download "$run_id" --name hologram-history --dir "$work"; then
    echo "history: no cache and no hologram-history artifact: the history starts again with this run"
    exit 0
  fi
  source="the hologram-history artifact of run $run_id"
fi
.venv/bin/hologram history import "$work" --store "$store"
echo "history: restored $store from $source"
