"""Take the README screenshots: a throw-away instance with the demo city, served locally, shot with
Debian's headless Chromium. Usage: .venv/bin/python scripts/screenshots.py [page-name ...]"""
import os
import re
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"

# (file name, user, path)
SHOTS = [
    ("home", None, "/"),
    ("login", None, "/login"),
    ("office-dashboard", "office", "/dashboard"),
    ("contact-dashboard", "mzj-lly", "/dashboard"),
    ("todo", "mzj-lly", "/todo"),
    ("supervision", "office", "/disclosure/supervision"),
    ("tasks", "mzj-lly", "/disclosure/tasks"),
    ("register", "leader", "/disclosure/register"),
    ("applications", "office", "/applications/"),
    ("statistics", "office", "/applications/statistics"),
    ("apply", None, "/apply"),
    ("status", None, "status"),  # the demo's printed tracking code, looked up
    ("calendar", "office", "/calendar/?year=2026"),
    ("notifications", "mzj-lly", "/notifications"),
    ("outbox", "office", "/admin/outbox"),
    ("health", "office", "/admin/health"),
    ("units", "office", "/admin/units/"),
    ("audit", "office", "/audit/"),
    ("tasks-phone", "mzj-lly", "/disclosure/tasks?sort=due"),  # shot at 390 x 844
    ("annual-reports", "office", "/reports/?year=2025"),
    ("annual-report", "office", "/reports/2025/city#section-applications"),
    ("scores", "leader", "/scores/"),
    ("bulletin", "office", "/bulletins/3"),
    ("rectifications", "office", "/rectifications"),
    ("inspections", "office", "/inspections"),
]
PHONE = {"tasks-phone"}


def main(only: list[str]) -> None:
    instance = tempfile.mkdtemp(prefix="tracker-shots-")
    os.environ["TRACKER_INSTANCE_PATH"] = instance
    os.environ.pop("TRACKER_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from tracker import create_app

    app = create_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lookup = re.search(r"查询码 (\S+)，查询密码 (\S+)", result.output)
    result = runner.invoke(args=["sweep"])  # reminders and the bell, as the scheduler would
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        for name, user, path in SHOTS:
            if only and name not in only:
                continue
            size = {"width": 390, "height": 844} if name in PHONE else {"width": 1366, "height": 860}
            context = browser.new_context(base_url=base, locale="zh-CN", viewport=size)
            page = context.new_page()
            if user:
                page.goto("/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", "gongkai2026")
                page.click("button[type=submit]")
                page.wait_for_url("**/dashboard")
            if path == "status":
                page.goto("/apply/status")
                page.fill("input[name=code]", lookup.group(1))
                page.fill("input[name=password]", lookup.group(2))
                page.click("button[type=submit]")
            else:
                page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
            print("wrote", OUT / f"{name}.png")
            context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
