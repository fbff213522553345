"""Where the project is and which kernel runs its notebooks.

A notebook's default paths (`reports/perf`, …) are relative to the project root, never to the kernel's working
directory: JupyterLab starts a kernel in the notebook's folder (`notebooks/`), papermill in whatever `--cwd` says,
and both used to read `notebooks/reports/perf` — absent — and report every budgeted metric missing.

The `hologram` kernel spec runs this interpreter (the project venv): JupyterLab and papermill pick the project's
packages whatever other kernels the machine has.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hologram_lib.errors import InputError

KERNEL = "hologram"
KERNEL_DISPLAY_NAME = "Hologram (project venv)"


def is_project_root(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "notebooks").is_dir() and (path / "hologram_lib").is_dir()


def project_root(cwd: Path | None = None) -> Path:
    """The checkout holding the working directory (a kernel in notebooks/ finds its parent), else the checkout
    this package was imported from (papermill run from anywhere), else the working directory itself."""
    start = (cwd or Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if is_project_root(candidate):
            return candidate
    package_checkout = Path(__file__).resolve().parents[2]
    return package_checkout if is_project_root(package_checkout) else start


def resolve(path: str, root: Path) -> str:
    """A path parameter as an absolute path: relative ones are taken from the project root; "" stays unset."""
    if not path:
        return path
    candidate = Path(path).expanduser()
    return str(candidate if candidate.is_absolute() else root / candidate)


def kernel_runs_this_interpreter() -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return False
    return bool(spec.argv) and Path(spec.argv[0]) == Path(sys.executable)


def ensure_kernel() -> str:
    """Install the `hologram` kernel spec into this environment unless it already runs this interpreter (kept by
    ipykernel's own installer: the spec format and the launcher are its business); return the kernel's name."""
    if kernel_runs_this_interpreter():
        return KERNEL
    from ipykernel.kernelspec import install

    installed = install(kernel_name=KERNEL, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix)
    if not kernel_runs_this_interpreter():  # another `hologram` spec earlier on Jupyter's path shadows this one
        raise InputError(
            f"the Jupyter kernel {KERNEL!r} found first does not run {sys.executable} (installed ours at {installed}):"
            f" remove the other one with `jupyter kernelspec remove {KERNEL}` and run this again"
        )
    return KERNEL
