"""Which year the demo city's records fill."""
from datetime import date


def record_year(today: date) -> int:
    """This year, except in January and February — the annual report season, when this year has
    barely begun — where it is last year: the demo then shows a whole year's work, its fourth
    quarter closing and its annual reports being prepared, instead of a few days of records."""
    return today.year if today.month > 2 else today.year - 1
