"""History: every report's runs in a store (`store`), read back as series (`series`), with level shifts found by
`change_points`. Importing this package loads no database driver: the store is opened by its own module."""

from hologram_lib.history.changes import ChangePoint, change_points

__all__ = ["ChangePoint", "change_points"]
