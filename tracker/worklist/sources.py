"""Imports every feature's work source once, so the dashboards and 待办 list all kinds of work."""


def load() -> None:
    from ..applications import worklist as _applications  # noqa: F401
    from ..bulletins import worklist as _bulletins  # noqa: F401
    from ..disclosure import worklist as _disclosure  # noqa: F401
    from ..inspections import worklist as _inspections  # noqa: F401
    from ..reports import worklist as _reports  # noqa: F401
    from ..scores import worklist as _scores  # noqa: F401
    from . import services, turns
    services.register_work_source(turns.office_turns)  # the office's turns, one source for all, listed last
