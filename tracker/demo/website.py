"""Demo 网站巡查: a small fixture website beside the app, labelled on every page as a demo with
made-up content, standing in for the city's government site; the demo city's columns registered
on it and its published tasks pointing at it, read once while the demo loads, so a newcomer sees
on the first day a column not updated (民政局 工作动态), a blank column (绥阳镇 规划计划), dead
links, and a leaked ID number in a published list of 低保 recipients.

The site serves what ``instance/demo-website.json`` (written here) describes; ``./scripts/demo``
starts it (``python -m tracker.demo.serve_website``, on ``TRACKER_DEMO_WEBSITE_PORT``, default the
app's port + 2, so 5002) before loading the demo, so the sweeps the demo runs once read it at once,
and keeps it up for the scheduler's re-checks and for the links people click.
"""
from __future__ import annotations

import html as html_lib
import io
import json
import os
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


def make_site(source) -> Site:
    """The demo site over a manifest (a dict, or a ``LiveManifest`` re-read as it changes)."""
    def answer(host: str, target: str) -> Reply | None:
        manifest = source.fresh() if hasattr(source, "fresh") else source
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


class LiveManifest(dict):
    """The manifest as ``flask demo`` last wrote it: the site starts before the demo is loaded
    and serves what the loader writes, re-read whenever the file changes."""

    def __init__(self, instance_path: str):
        super().__init__(pages={}, files={}, columns={})
        self.path, self.stamp = os.path.join(instance_path, MANIFEST), None

    def fresh(self) -> "LiveManifest":
        try:
            stamp = os.stat(self.path).st_mtime_ns
        except OSError:
            return self
        if stamp != self.stamp:
            with open(self.path, encoding="utf-8") as fh:
                self.update(json.load(fh))
            self.stamp = stamp
        return self


# --- loading the demo ----------------------------------------------------------------------------

def load_website_demo(instance_path: str, today: date | None = None) -> None:
    """Point the demo's published tasks at the demo site, register the columns (due now) and
    write the manifest the site serves. The reading is the sweeps' work: ``load_health_demo``
    runs them once while ``./scripts/demo``'s site is up, the scheduler goes on. Does nothing
    when columns exist."""
    from ..disclosure.models import Task
    from ..notify.models import Setting
    from ..units.models import Unit
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
    db.session.commit()   # the demo's sweeps (load_health_demo, then the scheduler) read them
