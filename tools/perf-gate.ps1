# Windows convenience (seed runbook): the perf budget gate; exit 1 when it fails, 2 on bad input.
# Run from the project root after `make test` or `make report` created .venv (or your own venv with `pip install -e .`).
$ErrorActionPreference = "Stop"
$hologram = if (Test-Path ".venv\Scripts\hologram.exe") { ".venv\Scripts\hologram.exe" } else { "hologram" }
& $hologram gate @args
exit $LASTEXITCODE
