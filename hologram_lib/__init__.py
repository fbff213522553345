"""Hologram Pipeline: probe a Hologram deployment, gate its latency, render one report.

Submodules are imported on use, so `hologram --help` stays fast and free of numpy.
"""

__version__ = "0.1.0"
