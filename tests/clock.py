"""The suite's clock: every test runs on one frozen day, whatever day the suite itself runs.

The day is ``TRACKER_TEST_TODAY`` (``YYYY-MM-DD``), by default :data:`DEFAULT_DAY`, a working day.
The clock starts at 09:30 China time on that day and ticks from there, in the test process, in the
live server's thread (the same process), in every subprocess started through :func:`python_argv`
and, through :func:`new_context`, in the browser's ``Date``. A test that needs another day says
which: ``@pytest.mark.on_day("2026-11-27")`` (fixtures included; ``tests/conftest.py``), or
``time_machine.travel(...)`` around what it does.

``./scripts/test-days`` runs the suite once for each day of its matrix: days chosen because things
change on them (the year's last working days, the first working day of a year, the Spring Festival,
the eve of the National Day holiday, a midsummer Wednesday).
"""
import os
import sys
from datetime import date, datetime, time, timezone

from tracker.timeutil import CHINA

DEFAULT_DAY = "2026-11-27"

TODAY: date = date.fromisoformat(os.environ.get("TRACKER_TEST_TODAY") or DEFAULT_DAY)
START: datetime = datetime.combine(TODAY, time(9, 30), tzinfo=CHINA)


def now() -> datetime:
    """The suite's present moment (frozen start plus the time the suite has run)."""
    return datetime.now(timezone.utc)


_CHILD = (
    "import runpy, sys, time_machine\n"
    "time_machine.travel(float(sys.argv[1]), tick=True).start()\n"
    "kind, target = sys.argv[2], sys.argv[3]\n"
    "sys.argv = [target] + sys.argv[4:]\n"
    "if kind == '-c':\n"
    "    sys.argv[0] = '-c'\n"
    "    exec(compile(target, '<string>', 'exec'), {'__name__': '__main__'})\n"
    "else:\n"
    "    runpy.run_module(target, run_name='__main__', alter_sys=True)\n"
)


def python_argv(*args: str) -> list[str]:
    """The command line of a Python subprocess that lives on the suite's clock: ``python_argv("-m",
    "flask", "--app", "wsgi", "sweep")`` or ``python_argv("-c", code)``, started at this moment of the
    suite's (frozen) time and ticking."""
    if len(args) < 2 or args[0] not in ("-m", "-c"):
        raise ValueError("python_argv takes '-m module ...' or '-c code ...'")
    return [sys.executable, "-c", _CHILD, repr(now().timestamp()), *args]


def new_context(chromium, base_url: str, **options):
    """A browser context whose ``Date`` starts at the suite's present moment and ticks."""
    options.setdefault("locale", "zh-CN")
    context = chromium.new_context(base_url=base_url, **options)
    context.clock.install(time=now())
    return context
