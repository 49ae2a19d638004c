"""Imports every feature's work source once, so the dashboards and 待办 list all kinds of work."""


def load() -> None:
    from ..applications import worklist as _applications  # noqa: F401
    from ..disclosure import worklist as _disclosure  # noqa: F401
    from ..inspections import worklist as _inspections  # noqa: F401
