"""Demo 网站巡查: a small fixture website beside the app, labelled on every page as a demo with
made-up content, standing in for the city's government site; the demo city's columns registered
on it and its published tasks pointing at it, read once while the demo loads, so a newcomer sees
on the first day a column not updated (民政局 工作动态), a blank column (绥阳镇 规划计划), dead
links, and a leaked ID number in a published list of 低保 recipients.

The site serves what ``instance/demo-website.json`` (written here) describes; ``./scripts/demo``
runs it as ``python -m tracker.demo.serve_website`` on ``TRACKER_DEMO_WEBSITE_PORT`` (default: the
app's port + 2, so 5002) for the scheduler's later re-checks and for the links people click.
"""
from __future__ import annotations

import html as html_lib
import io
import json
import os
import socket
from datetime import date, timedelta

from sqlalchemy import select

from ..extensions import db
from ..timeutil import china_today, utcnow
from ..website.fixture_server import Reply, Site

BANNER = ("<div style='background:#fff3cd;border:1px solid #e0b000;padding:6px;margin-bottom:8px'>"
          "演示网站：本站是“政务公开监督平台”演示数据的一部分，内容均为虚构，并非真实政府网站。</div>")
MANIFEST = "demo-website.json"
OLD_BASE = "https://www.dongning.gov.cn"
DEMO_SETTINGS = {"allowed_domains": ["127.0.0.1"], "auto_verify": False, "recheck_days": 30, "column_hours": 24,
                 "max_list_pages": 3, "max_links": 6, "max_attachments": 5, "rectification_days": 10}


def port() -> int:
    value = os.environ.get("TRACKER_DEMO_WEBSITE_PORT", "").strip()
    if value.isdigit():
        return int(value)
    app_port = os.environ.get("PORT", "").strip()
    return int(app_port) + 2 if app_port.isdigit() else 5002


def base_url() -> str:
    return f"http://127.0.0.1:{port()}"


def _id_number(first17: str) -> str:
    from ..website.text import ID_CHECK, ID_WEIGHTS
    return first17 + ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


# --- the manifest: what the demo site serves ---------------------------------------------------------

def _column_items(name: str, latest: date, n: int, step: int) -> list[dict]:
    titles = {"通知公告": ["关于做好{}工作的通知", "关于开展{}的公告"], "工作动态": ["{}工作有序推进", "召开{}推进会"],
              "政策文件": ["关于印发{}实施办法的通知", "{}管理暂行规定"], "规划计划": ["{}工作计划", "{}发展规划"]}
    topics = ["冬季供暖", "安全生产大检查", "森林防火", "秋粮收购", "民生实事", "营商环境", "乡村振兴", "河长制"]
    out = []
    for i in range(n):
        pattern = titles.get(name, titles["通知公告"])[i % 2]
        out.append({"title": pattern.format(topics[i % len(topics)]), "date": (latest - timedelta(days=i * step)).isoformat()})
    return out


def build_manifest(today: date) -> dict:
    """Pages for every demo task published to the website, columns for every unit; the planted
    problems named in the module docstring."""
    from ..disclosure.models import Task
    from ..units.models import Unit

    units = db.session.scalars(select(Unit).where(Unit.kind != "office", Unit.active.is_(True))
                               .order_by(Unit.kind.desc(), Unit.code)).all()
    tasks = db.session.execute(select(Task.id, Task.title, Task.url, Task.published_on, Task.state, Unit.code)
                               .join(Unit, Unit.id == Task.unit_id).where(Task.url.is_not(None))
                               .order_by(Task.id)).all()
    leak = next((t for t in tasks if t.state == "published"), None) or next((t for t in tasks if t.code == "mzj"), None)
    dead = next((t for t in tasks if t.state == "published" and t is not leak), None)
    pages, files = {}, {}
    for t in tasks:
        path = t.url.split("://", 1)[1].split("/", 1)[1] if "://" in t.url else t.url
        page = {"title": t.title, "date": (t.published_on or today).isoformat(), "attachments": []}
        if leak is not None and t.id == leak.id:
            page["attachments"] = [{"name": "低保对象名单.docx", "href": "/files/dibao-list.docx"}]
            files["/files/dibao-list.docx"] = {"kind": "leak"}
        elif dead is not None and t.id == dead.id:
            page["attachments"] = [{"name": "明细表.xlsx", "href": "/files/missing-detail.xlsx"}]
        pages["/" + path] = page
    columns = {}
    for unit in units:
        for slug, name, kind in (("tzgg", "通知公告", "notice"), ("gzdt", "工作动态", "news")):
            latest = today - timedelta(days=(unit.id % 5) + 1)
            if unit.code == "mzj" and slug == "gzdt":
                latest = today - timedelta(days=38)         # 民政局: news not updated for five weeks
            items = _column_items(name, latest, 18, 9 if kind == "notice" else 3)
            if unit.code == "czj" and slug == "tzgg":
                items[1]["href"] = f"/lanmu/{unit.code}/{slug}/deleted.html"     # a link that no longer opens
            columns[f"/lanmu/{unit.code}/{slug}/"] = {"unit": unit.code, "name": name, "kind": kind, "items": items,
                                                      "unit_name": unit.name}
    columns["/lanmu/suiyang/ghjh/"] = {"unit": "suiyang", "name": "规划计划", "kind": "plan", "items": [],
                                       "unit_name": "绥阳镇"}
    columns["/lanmu/mzj/zcwj/"] = {"unit": "mzj", "name": "政策文件", "kind": "policy", "unit_name": "民政局",
                                   "items": _column_items("政策文件", today - timedelta(days=60), 6, 30)}
    return {"base": base_url(), "pages": pages, "files": files, "columns": columns,
            "leak_task": leak.id if leak else None}


# --- serving it ---------------------------------------------------------------------------------

def _html(title: str, body: str) -> Reply:
    text = (f"<html><head><meta charset='utf-8'><title>{html_lib.escape(title)}（演示网站）</title></head><body>"
            f"{BANNER}<div><a href='/'>首页</a></div>{body}</body></html>")
    return Reply(body=text.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"})


def _leak_docx() -> bytes:
    from docx import Document
    doc = Document()
    doc.add_paragraph("（演示数据，人物均为虚构）2026年城乡低保对象名单")
    table = doc.add_table(rows=1, cols=3)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text, table.rows[0].cells[2].text = "姓名", "身份证号码", "保障金额"
    for name, first17, amount in (("王某某", "23102419560312112", "620"), ("李某某", "23102419630927232", "580")):
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = name, _id_number(first17), amount
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def make_site(manifest: dict) -> Site:
    def answer(host: str, target: str) -> Reply | None:
        path = target.split("?", 1)[0]
        if path == "/":
            links = "".join(f"<li><a href='{p}index.html'>{html_lib.escape(c['unit_name'])} · {c['name']}</a></li>"
                            for p, c in manifest["columns"].items())
            return _html("东宁市人民政府（演示）", f"<h1>东宁市人民政府（演示网站）</h1><ul>{links}</ul>")
        if path in manifest["pages"]:
            p = manifest["pages"][path]
            files = "".join(f"<li><a href='{a['href']}'>{html_lib.escape(a['name'])}</a></li>" for a in p["attachments"])
            return _html(p["title"], f"<h1>{html_lib.escape(p['title'])}</h1><p>发布日期：{p['date']}</p>"
                                     f"<p>（演示正文）</p>{'<p>附件：</p><ul>' + files + '</ul>' if files else ''}")
        if manifest["files"].get(path, {}).get("kind") == "leak":
            return Reply(body=_leak_docx(), headers={"Content-Type": "application/vnd.openxmlformats-officedocument."
                                                                     "wordprocessingml.document"})
        for prefix, column in manifest["columns"].items():
            if path.startswith(prefix):
                return _column_page(prefix, column, path[len(prefix):])
        return None

    return Site(handler=answer)


def _column_page(prefix: str, column: dict, rest: str) -> Reply | None:
    per_page = 8
    if rest in ("", "index.html") or rest.startswith("index_"):
        n = 0 if rest in ("", "index.html") else int(rest[6:].split(".")[0] or 0)
        items = column["items"][n * per_page:(n + 1) * per_page]
        rows = "".join(f"<li><a href='{i.get('href', f'{prefix}{n}-{k}.html')}'>{html_lib.escape(i['title'])}</a>"
                       f"<span>{i['date']}</span></li>" for k, i in enumerate(items))
        more = len(column["items"]) > (n + 1) * per_page
        pager = f"<a href='{prefix}index_{n + 1}.html'>下一页</a>" if more else ""
        body = f"<ul>{rows}</ul>{pager}" if rows else "<p>暂无信息</p>"
        return _html(column["name"], f"<h2>{html_lib.escape(column['unit_name'])} · {column['name']}</h2>{body}")
    if rest.endswith(".html") and rest[0].isdigit():
        return _html(column["name"], "<p>（演示正文）</p>")
    return None


def read_manifest(instance_path: str) -> dict:
    with open(os.path.join(instance_path, MANIFEST), encoding="utf-8") as fh:
        return json.load(fh)


# --- loading the demo ----------------------------------------------------------------------------

def load_website_demo(instance_path: str, today: date | None = None) -> None:
    """Point the demo's published tasks at the demo site, register the columns, and read them
    all once (the demo site served in a thread meanwhile). Does nothing when columns exist."""
    from flask import current_app

    from ..disclosure.models import Task
    from ..notify.models import Setting
    from ..units.models import Unit
    from ..website import tasks as sweeps
    from ..website.models import COLUMN_KINDS, WebColumn

    if db.session.scalar(select(WebColumn.id).limit(1)) is not None:
        return
    today = today or china_today()
    for task in db.session.scalars(select(Task).where(Task.url.like(OLD_BASE + "%"))):
        task.url = base_url() + task.url[len(OLD_BASE):]
    row = db.session.get(Setting, "website") or Setting(key="website", value={})
    row.value = dict(DEMO_SETTINGS)
    db.session.add(row)
    manifest = build_manifest(today)
    os.makedirs(instance_path, exist_ok=True)
    with open(os.path.join(instance_path, MANIFEST), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False)
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    now = utcnow()
    for path, column in manifest["columns"].items():
        assert column["kind"] in COLUMN_KINDS
        db.session.add(WebColumn(unit_id=units[column["unit"]], name=column["name"], url=base_url() + path,
                                 kind=column["kind"], active=True, next_check_at=now, status="pending"))
    db.session.commit()
    server = _serve_if_free(instance_path)
    saved = {k: current_app.config.get(k) for k in ("WEBSITE_ALLOW_PRIVATE", "WEBSITE_DELAY_SECONDS",
                                                    "WEBSITE_PER_HOST")}
    current_app.config.update(WEBSITE_ALLOW_PRIVATE=True, WEBSITE_DELAY_SECONDS=0, WEBSITE_PER_HOST=4)
    try:
        sweeps.sweep_columns(now, seconds=None)
        sweeps.sweep_pages(now, seconds=None)
        db.session.commit()
    finally:
        current_app.config.update(saved)
        if server is not None:
            server.terminate()
            server.wait(10)


def _listening() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port())) == 0


def _serve_if_free(instance_path: str):
    """Start the demo site (a process of its own: in a thread it would share this process's
    interpreter lock with the crawler) unless something — ``./scripts/demo``'s site — already
    listens on its port. Returns the process to stop, or None."""
    import subprocess
    import sys
    import time

    if _listening():
        return None
    process = subprocess.Popen([sys.executable, "-m", "tracker.demo.serve_website", "--instance", instance_path],
                               stdout=subprocess.DEVNULL, env={**os.environ, "TRACKER_DEMO_WEBSITE_PORT": str(port())})
    deadline = time.monotonic() + 90   # a busy machine takes its time to start a Python process
    while time.monotonic() < deadline:
        if _listening():
            return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"演示网站未能在端口 {port()} 启动")
