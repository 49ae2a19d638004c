"""Benchmark data: a generated city for measuring the tracker at the size of a prefecture-level city.

``flask --app wsgi bench-data --scale small|large`` empties the database and fills it with a
deterministic city (seeded: the same scale, seed and day give the same rows): units and staff,
each unit's catalogue and every task since the first year, applications with every pause kind and
outcome. Rows are written with Core bulk inserts in batches (no ORM objects), so the large city
loads in minutes on SQLite and PostgreSQL.

It refuses a database that holds anything but bench data (its marker row is the ``bench_data``
setting) unless ``--force`` is given, because it deletes every row first.

Adding a feature's records is one function: ``load_<feature>(ctx)`` in a module of this package,
listed in ``LOADERS`` with the feature's own package, so a checkout without that feature skips it
with a note. Features that have landed without a loader are reported as such on every run.
"""
from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text

from ..extensions import db, delete_all_rows
from ..timeutil import china_today, utcnow
from .base import SCALES, Context, Scale  # noqa: F401  (Scale is used by the tests' small cities)
from .city import LOGINS, PASSWORD  # noqa: F401  (the benchmark signs in with these)

MARKER = "bench_data"
DEFAULT_SEED = 2026


@dataclass(frozen=True)
class Loader:
    name: str
    feature: str            # the package that must exist for the loader to run
    function: str | None    # "module:function" in this package; None while nobody has written it


LOADERS = [
    Loader("city", "tracker.units", "city:load_city"),
    Loader("disclosure", "tracker.disclosure", "disclosure:load_disclosure"),
    Loader("applications", "tracker.applications", "applications:load_applications"),
    Loader("inspections", "tracker.inspections", "supervision:load_inspections"),  # before scores (督查整改)
    Loader("reports", "tracker.reports", "reports:load_reports"),
    Loader("scores", "tracker.scores", "scores:load_scores"),  # after reports: some rules read them
    Loader("bulletins", "tracker.bulletins", "supervision:load_bulletins"),  # after scores: they carry them
    # Features landing later: write load_<name>(ctx) in a module here and name it in this list.
]


class NotBenchDatabase(Exception):
    """The database holds records that bench-data did not make."""


def bench_marker() -> dict | None:
    from ..notify.models import Setting
    row = db.session.get(Setting, MARKER)
    return row.value if row is not None else None


def holds_other_data() -> bool:
    """True when the database has units or accounts but no bench-data marker."""
    from ..accounts.models import User
    from ..units.models import Unit
    if bench_marker() is not None:
        return False
    return bool(db.session.scalar(select(func.count()).select_from(Unit)) or
                db.session.scalar(select(func.count()).select_from(User)))


def _sync_ids(ctx: Context) -> None:
    """After each loader: the bulk loaders' id counters and PostgreSQL's id sequences both continue
    after the largest id in each table, so bulk rows (explicit ids) and rows the services insert
    (sequence ids) never collide, whatever order the loaders run in."""
    postgres = db.engine.dialect.name == "postgresql"
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if not (len(pk) == 1 and pk[0].name == "id" and pk[0].type.python_type is int):
            continue
        top = db.session.scalar(select(func.max(pk[0])))
        if table.name in ctx.id_counters:
            ctx.id_counters[table.name] = top or 0
        if postgres:
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :v, :called)"),
                               {"v": top or 1, "called": top is not None})
    db.session.commit()


def _vacuum_analyze() -> None:
    """PostgreSQL: VACUUM ANALYZE (statistics for the planner, visibility map for index-only scans),
    as autovacuum does soon after any bulk load. SQLite is left as deployed (no statistics)."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def _resolve(loader: Loader) -> Callable[[Context], None]:
    module, function = loader.function.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def load(scale: Scale | str, seed: int = DEFAULT_SEED, today: date | None = None, force: bool = False,
         echo: Callable[[str], None] = print) -> Context:
    """Empty the database and generate the city at ``scale``; returns the context (row counts).

    Raises NotBenchDatabase when the database holds other data and ``force`` is not set.
    """
    from ..accounts.services import hash_password
    from ..notify.models import Setting

    scale = SCALES[scale] if isinstance(scale, str) else scale
    if holds_other_data() and not force:
        raise NotBenchDatabase("数据库中已有非基准测试数据（单位或用户），bench-data 会清空全部数据。"
                               "确认要清空时请加 --force。")
    delete_all_rows()
    # Marked first: a run that fails half way leaves a bench database, which the next run may erase.
    db.session.add(Setting(key=MARKER, value={"scale": scale.name, "seed": seed, "complete": False}))
    db.session.commit()
    ctx = Context(scale=scale, seed=seed, today=today or china_today(), now=utcnow(),
                  password_hash=hash_password(PASSWORD))
    started = time.perf_counter()
    for loader in LOADERS:
        present = importlib.util.find_spec(loader.feature) is not None
        if not present:
            echo(f"{loader.name}: {loader.feature} 不存在（该功能尚未合入），跳过。")
            continue
        if loader.function is None:
            echo(f"{loader.name}: {loader.feature} 已存在，但 bench-data 还没有它的生成函数"
                 f"（在 tracker/bench_data/ 中添加 load_{loader.name}(ctx) 并登记在 LOADERS）。")
            continue
        t0 = time.perf_counter()
        before = dict(ctx.counts)
        _resolve(loader)(ctx)
        ctx.flush()
        db.session.commit()
        _sync_ids(ctx)
        made = {k: v - before.get(k, 0) for k, v in ctx.counts.items() if v != before.get(k, 0)}
        echo(f"{loader.name}: " + "，".join(f"{k} {v:,}" for k, v in made.items()) +
             f"（{time.perf_counter() - t0:.1f} 秒）")
    db.session.get(Setting, MARKER).value = {"scale": scale.name, "seed": seed, "today": ctx.today.isoformat(),
                                             "counts": ctx.counts, "complete": True}
    db.session.commit()
    _vacuum_analyze()
    echo(f"完成：{scale.name}，用时 {time.perf_counter() - started:.1f} 秒。")
    return ctx
