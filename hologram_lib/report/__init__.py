"""The report: notebook parameters, tables and charts the notebooks show, the runner and the index page.

`params` is light (the CLI validates papermill parameters with it); `tables`, `charts` and `render` import
pandas / matplotlib / papermill and are loaded only by the notebooks and `hologram report`.
"""
