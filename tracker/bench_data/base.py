"""What every bench-data loader shares: the scale, seeded random streams, the city built so far,
and a bulk writer (Core ``INSERT`` executemany in batches, explicit ids, no ORM objects)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert

from ..extensions import db
from ..timeutil import CHINA

BATCH = 5000


@dataclass(frozen=True)
class Scale:
    """The size of a generated city. ``tasks`` and ``applications`` are exact totals."""

    name: str
    units: int           # including the office itself
    towns: int           # of which towns / streets; the rest are departments
    users: int           # every account, active and former staff
    tasks: int
    applications: int
    first_year: int = 2022
    office_staff: int = 12
    leaders: int = 4


SCALES = {
    # A county-sized city (like shared/seed's 东宁市, a little larger): 40 units.
    "small": Scale("small", units=40, towns=10, users=300, tasks=15_000, applications=1_500),
    # A prefecture-level city (the scale targets' large city): 200 units, 2,000 users, 148,000 tasks, 20,000 applications.
    "large": Scale("large", units=200, towns=60, users=2_000, tasks=148_000, applications=20_000),
}


@dataclass
class UnitRow:
    id: int
    code: str
    name: str
    kind: str
    weight: float                      # how busy the unit is (applications, ad hoc work)
    contacts: list[int] = field(default_factory=list)    # active contacts' user ids
    reviewers: list[int] = field(default_factory=list)   # active reviewers' user ids


@dataclass
class Context:
    """The state shared by the loaders of one run."""

    scale: Scale
    seed: int
    today: date
    now: datetime
    password_hash: str = ""          # every generated account signs in with city.PASSWORD
    units: list[UnitRow] = field(default_factory=list)      # supervised units (not the office)
    office_unit_id: int | None = None
    office_users: list[int] = field(default_factory=list)
    user_names: dict[int, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    id_counters: dict[str, int] = field(default_factory=dict)   # table -> last id given to a bulk row
    _buffers: dict = field(default_factory=dict)   # model -> pending rows, flushed in insertion order

    def rng(self, stream: str) -> random.Random:
        """An independent random stream per purpose, so adding a loader never shifts another's data."""
        return random.Random(f"{self.seed}:{self.scale.name}:{stream}")

    def next_id(self, table: str) -> int:
        value = self.id_counters.get(table, 0) + 1
        self.id_counters[table] = value
        return value

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A China-time moment on ``day`` as aware UTC, never later than now."""
        return min(datetime.combine(day, time(hour, minute), tzinfo=CHINA), self.now)

    def insert(self, model, rows: list[dict]) -> None:
        """Bulk insert ``rows`` into ``model``'s table in batches (executemany / multi-row VALUES)."""
        table = model.__table__
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(table), rows[start:start + BATCH])
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)

    def add(self, model, row: dict) -> None:
        """Queue one row; every queue is written when one is full, parents first (the order in
        which the models were first queued), so foreign keys hold on PostgreSQL."""
        self._buffers.setdefault(model, []).append(row)
        if len(self._buffers[model]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for model, rows in self._buffers.items():
            if rows:
                self.insert(model, rows)
                rows.clear()

    def days(self):
        """The first and the last legal day of the generated history."""
        return date(self.scale.first_year, 1, 1), self.today

    def weekday_on_or_before(self, day: date, floor: date) -> date:
        while day.weekday() >= 5 and day > floor:
            day -= timedelta(days=1)
        return day
