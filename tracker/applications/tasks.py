"""Scheduled work for applications: one daily sweep (``close_lapsed_applications``), run by ``scheduler.py``."""
from datetime import date

from ..extensions import db
from ..timeutil import china_today
from .services import close_lapsed_applications


def sweep_applications(today: date | None = None) -> dict:
    """Close lapsed corrections and payments, resume lapsed consultations; commits once.

    Idempotent: a second run on the same day finds nothing left to do.
    """
    result = close_lapsed_applications(today or china_today())
    db.session.commit()
    return result


__all__ = ["close_lapsed_applications", "sweep_applications"]
