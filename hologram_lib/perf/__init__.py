"""Latency measurement: the harness, the suites, the collect loop and the files they write.

Import the submodule you need (`hologram_lib.perf.files` stays free of HTTP clients).
"""
