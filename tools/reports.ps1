# Windows convenience (seed runbook): render reports\index.html from the data already collected.
# Run from the project root after `make test` or `make report` created .venv (or your own venv with `pip install -e .`).
$ErrorActionPreference = "Stop"
$hologram = if (Test-Path ".venv\Scripts\hologram.exe") { ".venv\Scripts\hologram.exe" } else { "hologram" }
& $hologram report --no-collect @args
exit $LASTEXITCODE
