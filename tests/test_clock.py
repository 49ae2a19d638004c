"""The suite's own clock: whatever day the suite runs, every part of a test sees the frozen day —
the test process, the live server's thread, a subprocess and the browser."""
import subprocess
import urllib.request
from datetime import date, datetime

import pytest

from tracker.timeutil import CHINA, china_today

from . import clock


def test_the_test_process_is_on_the_suites_day(today):
    assert today == clock.TODAY
    assert china_today() == clock.TODAY
    assert date.today() == clock.TODAY
    moment = datetime.now(CHINA)
    assert moment.date() == clock.TODAY and moment >= clock.START


def test_a_subprocess_is_on_the_suites_day():
    code = "from tracker.timeutil import china_today; print(china_today().isoformat())"
    done = subprocess.run(clock.python_argv("-c", code), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == clock.TODAY.isoformat()


def test_python_argv_refuses_anything_but_a_module_or_code():
    with pytest.raises(ValueError):
        clock.python_argv("script.py")


def test_the_live_server_answers_on_the_suites_day(live_server):
    """The server thread stamps its response with the (frozen) present: werkzeug's Date header."""
    from email.utils import parsedate_to_datetime
    with urllib.request.urlopen(live_server + "/login", timeout=10) as response:
        stamped = parsedate_to_datetime(response.headers["Date"])
    assert stamped.astimezone(CHINA).date() == clock.TODAY


@pytest.mark.browser
def test_the_browser_date_is_the_suites_day(chromium, live_server):
    context = clock.new_context(chromium, live_server)
    try:
        page = context.new_page()
        page.goto("/login")
        shown = page.evaluate("() => new Date().toLocaleDateString('sv-SE', {timeZone: 'Asia/Shanghai'})")
        ticks = page.evaluate("() => new Promise(r => { const a = Date.now(); setTimeout(() => r(Date.now() - a), 50); })")
    finally:
        context.close()
    assert shown == clock.TODAY.isoformat()
    assert ticks >= 50  # the browser's clock runs on from the frozen moment
