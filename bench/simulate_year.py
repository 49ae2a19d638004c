"""A simulated year of unattended operation: the demo city driven through the scheduler's jobs day by
day on a moved clock, every day checked (``tracker/sweeps/simulation.py``: no failed job, nothing
queued twice, quiet days quiet, bulletins and final scores on the first working day of each
quarter, no deadline moved without its history).

Run from the repository root (the test extras provide time-machine and aiosmtpd):

    .venv/bin/python bench/simulate_year.py                        # 2026-12-20 .. 2027-12-20, SQLite
    .venv/bin/python bench/simulate_year.py --end 2027-01-20       # the month the suite runs
    .venv/bin/python bench/simulate_year.py --database-url postgresql://postgres@127.0.0.1:5432/bench --reset

Mail goes to a real SMTP server on loopback (aiosmtpd) that keeps count. The office records the
2027 holiday notice on 2026-12-28 (the suite's test notice). Prints one line per month and exits
non-zero if any day broke a check.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 12, 20))
    parser.add_argument("--end", type=date.fromisoformat, default=date(2027, 12, 20))
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    parser.add_argument("--reset", action="store_true", help="PostgreSQL: drop and recreate the public schema first")
    args = parser.parse_args()

    import time_machine
    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade

    from tests.test_simulated_month import NOTICE_DAY, record_2027_notice
    from tracker import create_app
    from tracker.extensions import drop_public_schema
    from tracker.sweeps.simulation import simulate
    from tracker.timeutil import CHINA

    tmp = tempfile.mkdtemp(prefix="simulate-year-")
    os.environ.setdefault("TRACKER_INSTANCE_PATH", tmp)
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp}/simulate.db",
                      "SECRET_KEY": "bench", "PASSWORD_HASH_FAST": True, "UPLOAD_FOLDER": tmp,
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_TIMEOUT_SECONDS": 5})
    eve = datetime.combine(args.start - timedelta(days=1), datetime.min.time(), CHINA).replace(hour=18)
    broken, month, started = 0, None, time.perf_counter()
    totals = {"days": 0, "runs": 0, "reminders": 0, "mails": 0}
    try:
        with time_machine.travel(eve, tick=False) as traveller:
            with app.app_context():
                if args.reset:
                    drop_public_schema()
                upgrade()
            loaded = app.test_cli_runner().invoke(args=["demo"])
            if loaded.exit_code != 0:
                print(loaded.output, file=sys.stderr)
                return 2
            print(f"demo city loaded in {time.perf_counter() - started:.1f} s")
            events = {NOTICE_DAY: record_2027_notice} if args.start <= NOTICE_DAY <= args.end else {}
            month_started = time.perf_counter()
            for report in simulate(app, args.start, args.end, traveller.move_to, events=events):
                if month != (report.day.year, report.day.month):
                    month, month_started = (report.day.year, report.day.month), time.perf_counter()
                totals["days"] += 1
                for key in ("runs", "reminders", "mails"):
                    totals[key] += getattr(report, key)
                for line in report.failures + report.problems:
                    broken += 1
                    print(f"  {report.day} {line}")
                if report.day.month != (report.day + timedelta(days=1)).month or report.day == args.end:
                    print(f"{month[0]}-{month[1]:02d}: {time.perf_counter() - month_started:6.1f} s, "
                          f"through {report.day}", flush=True)
    finally:
        controller.stop()
    elapsed = time.perf_counter() - started
    print(f"{totals['days']} days, {totals['runs']} job runs, {totals['reminders']} bell messages, "
          f"{totals['mails']} mails queued, {sink.count} delivered (with those the demo's history queued), "
          f"{broken} broken checks, {elapsed:.0f} s in all")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
