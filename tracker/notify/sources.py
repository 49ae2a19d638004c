"""Imports every feature's notification module once, so their reminder sources, summary sources
and email-link actions are registered in web workers and in the scheduler alike."""


def load() -> None:
    from ..applications import reminders as _applications  # noqa: F401
    from ..disclosure import reminders as _disclosure  # noqa: F401
    from ..inspections import reminders as _inspections  # noqa: F401
    from ..reports import reminders as _reports  # noqa: F401
