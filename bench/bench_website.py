"""Benchmark: one full pass of 网站巡查 over a city-sized website on loopback.

Run from the repository root:

    python bench/bench_website.py                       # SQLite in a temporary directory
    python bench/bench_website.py --database-url postgresql://postgres@127.0.0.1:5432/test_web --reset
    python bench/bench_website.py --hosts 1             # every unit on one host (one per-host limit)

The fixture: 200 units × 8 columns, each column 3 list pages of 20 dated items (pagination
followed), and 20,000 published pages (one task each; every 20th with a PDF attachment), served
by a separate process (``--server-processes``, default 1) on 127.0.0.1 under the names
``unitNNN.bench.gov.cn`` (``--hosts 200``, the default: each unit's site its own host) resolved
to loopback by ``WEBSITE_RESOLVE``. Crawling: per-host concurrency 4, no delay, the defaults
otherwise (20 same-host links checked per column, 10 attachments per page).

Measured, each as the scheduler would run it (``sweep_columns`` / ``sweep_pages`` with no time
limit): the column pass, the publication checks of the 20,000 addresses, and a re-check pass
of all of them (made due again). "Full pass" = columns + re-checks. Peak memory is the crawling
process's maximum resident set size (``ru_maxrss``); the fixture server's is reported apart.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

UNITS, COLUMNS, LIST_PAGES, ITEMS, PAGES = 200, 8, 3, 20, 20_000
KINDS = ["news", "notice", "policy", "notice", "news", "personnel", "plan", "policy"]
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)   # 10:00 in China on TODAY


def host(unit: int, hosts: int) -> str:
    return f"unit{unit % hosts:03d}.bench.gov.cn"


# --- the fixture site (a process of its own) ---------------------------------------------------------

def _reply(path: str):
    from tests.website_site import pdf
    from tracker.website.fixture_server import Reply, html

    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0].startswith("u") and parts[1].startswith("c"):   # /uN/cM/index[_k].html
        u, c, name = int(parts[0][1:]), int(parts[1][1:]), parts[2]
        if name.startswith("index"):
            k = int(name[6:-5] or 0) if name != "index.html" else 0
            stale = (u + c) % 10 == 0            # one column in ten not updated for months
            rows = []
            for i in range(ITEMS):
                day = TODAY - timedelta(days=(200 if stale else 1) + k * ITEMS + i)
                href = f"/u{u}/c{c}/p{k}-{i}.html" if (u * 7 + c + i) % 97 else f"/u{u}/c{c}/gone{k}-{i}.html"
                rows.append(f"<li><a href='{href}'>第{u}单位栏目{c}信息{k}-{i}</a><span>{day.isoformat()}</span></li>")
            pager = f"<a href='/u{u}/c{c}/index_{k + 1}.html'>下一页</a>" if k + 1 < LIST_PAGES else ""
            return html(f"<html><head><title>栏目{c}</title></head><body><div><a href='/'>首页</a></div>"
                        f"<ul>{''.join(rows)}</ul>{pager}</body></html>")
        if name.startswith("p"):
            return html(f"<html><head><title>信息</title></head><body><p>{name}</p></body></html>")
        return None
    if len(parts) == 2 and parts[0] == "pages":                                      # /pages/N.html
        n = int(parts[1].split(".")[0])
        attach = f"<a href='/files/{n}.pdf'>附件{n}.pdf</a>" if n % 20 == 0 else ""
        leak = f"<p>联系人身份证号：{_id(n)}</p>" if n % 500 == 0 else ""
        body = ("<p>" + "根据有关规定，现将有关情况公开如下。" * 40 + "</p>") + leak + attach
        return html(f"<html><head><title>公开信息{n}</title></head><body><h1>公开信息{n}</h1>"
                    f"<p>发布日期：2026-11-{n % 28 + 1:02d}</p>{body}</body></html>")
    if len(parts) == 2 and parts[0] == "files":
        n = int(parts[1].split(".")[0])
        return Reply(body=pdf([f"Attachment {n}", "Figures 1 2 3"]), headers={"Content-Type": "application/pdf"})
    if path in ("/", "/index.html"):
        return html("<html><head><title>首页</title></head><body>首页</body></html>")
    return None


def _id(n: int) -> str:
    from tracker.website.text import ID_CHECK, ID_WEIGHTS
    first = f"231024198{n % 10}0101{n % 1000:03d}"[:17]
    return first + ID_CHECK[sum(int(c) * w for c, w in zip(first, ID_WEIGHTS)) % 11]


def _serve(port: int, ready) -> None:
    from tracker.website.fixture_server import Server, Site, _handler

    class Reusing(Server):
        allow_reuse_address = True

    cache: dict = {}

    def answer(host_name, target):
        path = target.split("?", 1)[0]
        if path not in cache:
            cache[path] = _reply(path)
        return cache[path]

    server = Reusing(("127.0.0.1", port), _handler(Site(handler=answer)))
    ready.set()
    server.serve_forever()


# --- the data ------------------------------------------------------------------------------------

def load(app, hosts: int, port: int) -> None:
    from sqlalchemy import insert

    from tracker.disclosure.models import Duty, KeyArea, Task, TaskChannel
    from tracker.extensions import db
    from tracker.notify.models import Setting
    from tracker.units.models import Unit
    from tracker.website.models import WebColumn

    with app.app_context():
        db.session.execute(insert(Unit), [{"code": f"u{u:03d}", "name": f"测试单位{u:03d}", "kind": "department",
                                           "active": True} for u in range(UNITS)])
        area = db.session.scalar(db.select(KeyArea).where(KeyArea.name == "其他"))
        if area is None:
            area = KeyArea(name="其他")
            db.session.add(area)
            db.session.flush()
        units = [row[0] for row in db.session.execute(db.select(Unit.id).order_by(Unit.id))]
        db.session.execute(insert(Duty), [{"unit_id": uid, "title": "政府采购项目信息", "key_area_id": area.id,
                                           "cadence": "adhoc", "channels": ["website"], "review_required": False,
                                           "start_date": date(2026, 1, 1)} for uid in units])
        duties = dict(db.session.execute(db.select(Duty.unit_id, Duty.id)).all())
        rows = []
        for n in range(PAGES):
            u = n % UNITS
            rows.append({"duty_id": duties[units[u]], "unit_id": units[u], "key_area_id": area.id,
                         "title": f"公开信息{n}", "formed_date": date(2026, 10, 1), "due_date": date(2026, 10, 29),
                         "state": "verified", "published_on": date(2026, 11, n % 28 + 1),
                         "url": f"http://{host(u, hosts)}:{port}/pages/{n}.html"})
        db.session.execute(insert(Task), rows)
        task_ids = [row[0] for row in db.session.execute(db.select(Task.id))]
        db.session.execute(insert(TaskChannel), [{"task_id": t, "channel": "website"} for t in task_ids])
        now = NOW - timedelta(hours=1)   # registered before the pass
        db.session.execute(insert(WebColumn), [
            {"unit_id": units[u], "name": f"栏目{c}", "url": f"http://{host(u, hosts)}:{port}/u{u}/c{c}/index.html",
             "kind": KINDS[c], "active": True, "next_check_at": now, "status": "pending", "created_at": now}
            for u in range(UNITS) for c in range(COLUMNS)])
        db.session.add(Setting(key="website", value={"allowed_domains": ["bench.gov.cn"], "auto_verify": False,
                                                     "recheck_days": 30, "column_hours": 24, "max_list_pages": 3,
                                                     "max_links": 20, "max_attachments": 10,
                                                     "rectification_days": 10}))
        db.session.commit()


def timed(app, label: str, fn) -> float:
    from tracker.extensions import db
    with app.app_context():
        started = time.perf_counter()
        result = fn()
        db.session.commit()
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from tracker.website.tasks import TIMES
    print(f"{label:<34} {elapsed:8.1f} s   peak RSS so far {peak:6.0f} MB   {result}  {TIMES}", flush=True)
    TIMES.clear()
    return elapsed


def main() -> int:
    global UNITS, PAGES
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    parser.add_argument("--reset", action="store_true", help="PostgreSQL: drop and recreate the public schema first")
    parser.add_argument("--hosts", type=int, default=UNITS, help="host names the units' sites spread over")
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--global-limit", type=int, default=16)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--units", type=int, default=UNITS, help="a smaller city for a quick look")
    parser.add_argument("--pages", type=int, default=PAGES)
    args = parser.parse_args()
    UNITS, PAGES = args.units, args.pages

    tmp = tempfile.mkdtemp(prefix="bench-website-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    os.environ.setdefault("TRACKER_INSTANCE_PATH", tmp)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(args.port, ready), daemon=True)
    server.start()
    ready.wait(30)

    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import drop_public_schema

    resolve = ",".join(f"{host(u, args.hosts)}=127.0.0.1" for u in range(min(args.hosts, UNITS)))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "UPLOAD_FOLDER": tmp,
                      "WEBSITE_ALLOW_PRIVATE": True, "WEBSITE_RESOLVE": resolve, "WEBSITE_DELAY_SECONDS": 0,
                      "WEBSITE_PER_HOST": args.per_host, "WEBSITE_GLOBAL_LIMIT": args.global_limit})
    with app.app_context():
        if args.reset:
            drop_public_schema()
        upgrade()
    started = time.perf_counter()
    load(app, args.hosts, args.port)
    print(f"fixture: {UNITS} units × {COLUMNS} columns × {LIST_PAGES} list pages, {PAGES} published pages, "
          f"{args.hosts} host(s), per host {args.per_host}, global {args.global_limit}, no delay; "
          f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}; loaded in {time.perf_counter() - started:.1f} s",
          flush=True)

    from sqlalchemy import update

    from tracker.extensions import db
    from tracker.website import tasks
    from tracker.website.models import WebPage

    now = NOW
    columns = timed(app, f"columns ({UNITS * COLUMNS:,}, {LIST_PAGES} list pages each)",
                    lambda: tasks.sweep_columns(now, seconds=None))
    first = timed(app, f"publication checks ({PAGES:,})", lambda: tasks.sweep_pages(now, seconds=None))

    def recheck():
        db.session.execute(update(WebPage).values(next_check_at=now))
        db.session.commit()
        return tasks.sweep_pages(now + timedelta(days=31), seconds=None)
    again = timed(app, f"re-checks ({PAGES:,})", recheck)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"full pass (columns + re-checks): {columns + again:.1f} s; publication checks {first:.1f} s; "
          f"crawler peak RSS {peak:.0f} MB")
    with app.app_context():
        from sqlalchemy import func, select

        from tracker.website.models import WebFinding
        print("findings:", dict(db.session.execute(select(WebFinding.kind, func.count()).group_by(WebFinding.kind)).all()))
    server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
