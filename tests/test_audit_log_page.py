"""The 操作日志 speaks Chinese: states, channels, units and records by name, never the stored codes."""
import re
from datetime import date, datetime, timezone

import pytest
import time_machine

from tracker.extensions import db

D = date

RAW = ("pending_ack", "acknowledged", "in_review", "['website']", "website", "<CalendarNotice", "unit_id",
       "from_unit_id", "receipt_date", "in_person", "True", "False", "None")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc), tick=True):
        yield


def _log(client, **args):
    import re
    page = client.get("/audit/", query_string=args).get_data(as_text=True)
    table = page[page.index('id="audit-log"'):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))


def test_task_states_channels_and_titles_read_in_chinese(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    task = make.task(make.duty(unit, review_required=False), title="城乡低保对象名单（2026年3月）")
    client = login(contact)
    client.post(f"/disclosure/tasks/{task.id}/acknowledge")
    client.post(f"/disclosure/tasks/{task.id}/publish", {"published_on": "2026-03-20", "channels": ["website", "wechat"],
                                                        "url": "https://www.example.gov.cn/a.html"})
    log = _log(login(office))
    assert "签收公开任务" in log and "状态： 待签收 → 已签收" in log
    assert "状态： 已签收 → 已发布待核验" in log and "公开渠道： 政府网站、政务微信" in log
    assert "城乡低保对象名单（2026年3月）" in log and "公开任务" in log
    for raw in RAW:
        assert raw not in log, raw


def test_application_units_and_channels_read_by_name(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    first, second = make.unit(name="民政局"), make.unit(name="财政局")
    application = make.application(first, D(2026, 11, 2), title="低保资金明细")
    client = login(office)
    form = client.get(f"/applications/{application.id}")
    assert form.status_code == 200
    client.post(f"/applications/{application.id}/act/route", {"route-unit_id": str(second.id), "route-note": "职责调整"})
    log = _log(client)
    assert "承办单位： 民政局 → 财政局" in log or ("原承办单位： 民政局" in log and "承办单位： 财政局" in log)
    assert "收到申请的渠道： 当面" in log and application.tracking_code in log
    for raw in RAW:
        assert raw not in log, raw


def test_a_recorded_holiday_notice_is_named_by_its_year(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    client = login(office)
    text = "2027-01-01~2027-01-03 元旦\n2027-02-06~2027-02-12 春节\n2027-02-13 上班"
    assert client.post("/calendar/notice", {"year": "2027", "title": "", "text": text, "confirm": "1"}).status_code == 302
    log = _log(client)
    assert "2027年节假日安排" in log and "元旦 2027-01-01 至 2027-01-03" in log and "调休上班日： 2027-02-13" in log
    assert "<CalendarNotice" not in log and "holidays" not in log


def test_an_old_row_with_an_unreadable_label_is_named_from_its_record(app, make, login):
    """Rows written before records had names (``<CalendarNotice 1>``) still read as the notice's year."""
    from tracker.audit.services import record
    office = make.user("office", unit=make.unit(kind="office"))
    with app.app_context():
        record("calendar.notice", object_type="calendar_notice", object_id="1", object_label="<CalendarNotice 1>",
               after={"year": 2028, "holidays": [], "makeup_days": []})
        db.session.commit()
    log = _log(login(office))
    assert "2028年节假日安排" in log and "<CalendarNotice" not in log


def test_unit_and_account_changes_read_in_chinese(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    client = login(office)
    client.post(f"/admin/users/{contact.id}/active", {"active": "0", "reason": "调离岗位"})
    log = _log(client)
    assert "账号状态： 启用 → 停用" in log and "调离岗位" in log
    assert "角色： 联络员" in log and "所属单位： 民政局" in log  # the creation row
    for raw in RAW:
        assert raw not in log, raw


def test_records_are_linked_only_for_those_who_may_open_them(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    leader = make.user("leader")
    unit = make.unit()
    contact = make.user("contact", unit=unit)
    task = make.task(make.duty(unit))
    login(contact).post(f"/disclosure/tasks/{task.id}/acknowledge")
    as_leader = login(leader).get("/audit/").get_data(as_text=True)
    assert f'href="/disclosure/tasks/{task.id}"' in as_leader  # leaders may read tasks
    assert f'href="/admin/users/{contact.id}"' not in as_leader  # but not open the account pages
    assert f'href="/admin/users/{contact.id}"' in login(office).get("/audit/").get_data(as_text=True)


def test_patterned_keys_such_as_report_cells_read_by_their_labels(app, make, login):
    """Keys that follow a pattern (an annual report's cells) are named by a registered resolver."""
    from tracker.audit.services import record
    office = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    with app.app_context():
        record("report.figures", object_type="unit", object_id=unit.id, object_label="民政局2026年度表二数据",
               before={"two/licence/decisions": None}, after={"two/licence/decisions": 12})
        db.session.commit()
    log = _log(login(office))
    assert "表二 行政许可·本年处理决定数量： — → 12" in log and "two/" not in log


def _record_exports(app, at, numbers):
    """``application.export`` events noted 导出第N批, all at the same instant ``at``, with a login
    between each (another action, which the filter leaves out)."""
    from tracker.audit.services import record
    with time_machine.travel(at, tick=False), app.app_context():
        for n in numbers:
            record("application.export", object_type="application", note=f"导出第{n:03d}批")
            record("user.login", object_type="user_account", note="登录")
        db.session.commit()


def _batches(page: str) -> list[int]:
    import re
    return [int(n) for n in re.findall(r"导出第(\d{3})批", page)]


def _link(page: str, label: str) -> str | None:
    import html
    import re
    found = re.search(r'href="([^"]+)">' + label + "<", page)
    return html.unescape(found.group(1)) if found else None


def test_the_log_pages_by_older_and_newer_links_across_events_of_the_same_instant(app, make, login):
    from sqlalchemy import event
    office = make.user("office", unit=make.unit(kind="office"))
    _record_exports(app, datetime(2026, 11, 19, 1, 0, tzinfo=timezone.utc), range(1, 31))   # 30 at one instant
    _record_exports(app, datetime(2026, 11, 19, 3, 0, tzinfo=timezone.utc), range(31, 71))  # 40 at a later one
    client = login(office)
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, sql, *a: statements.append(sql.lower())  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        first = client.get("/audit/?action=application.export").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert not [sql for sql in statements if "count(" in sql and "audit_event" in sql]  # no total is counted
    assert _batches(first) == list(range(70, 20, -1))  # the newest 50: 40 later, 10 of the earlier instant
    assert _link(first, "较新") is None
    older_link = _link(first, "较早")
    assert "action=application.export" in older_link  # the filter stays
    older = client.get(older_link).get_data(as_text=True)
    assert _batches(older) == list(range(20, 0, -1))  # the rest of the instant: none repeated, none skipped
    assert _link(older, "较早") is None
    back = client.get(_link(older, "较新")).get_data(as_text=True)
    assert _batches(back) == _batches(first) and _link(back, "较新") is None


def test_a_cursor_that_names_no_event_shows_the_newest_page(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    _record_exports(app, datetime(2026, 11, 19, 1, 0, tzinfo=timezone.utc), range(1, 4))
    client = login(office)
    for query in ("older=abc", "older=99999999999", "newer=-1", "newer=999999"):
        response = client.get(f"/audit/?action=application.export&{query}")
        assert response.status_code == 200, query
        assert _batches(response.get_data(as_text=True)) == [3, 2, 1], query


# --- every action recorded anywhere reads in Chinese and can be filtered on ---------------------------

# Sites that build the action's name from a variable, with the pattern of the calls that name it:
# each call's string argument (group 1) completes the prefix.
DYNAMIC_ACTIONS = {
    'f"disclosure.{action}"': ("disclosure.", r'_move\(task, "([a-z_]+)"'),
    'f"application.{action}"': ("application.", r'_transition\(app, [^,]+, "([a-z_]+)"'),
    'f"rectification.{action}"': ("rectification.", r'_move\(item, "([a-z_]+)"'),
    'f"scores.{to_state}"': ("scores.", r'_move\(row, "([a-z_]+)"|target = "([a-z_]+)" if [^\n]* else "([a-z_]+)"'),
    'f"import.{kind}"': ("import.", r'_finish\("([a-z_]+)"'),
    "f\"scores.manual_{'bonus' if category == BONUS else 'deduction'}\"": ("scores.manual_", r"(bonus|deduction)"),
    'f"scores.objection_{objection.state}"': ("scores.objection_",
                                              r'objection\.state = "([a-z_]+)" if accept else "([a-z_]+)"'),
}


def _recorded_actions() -> set[str]:
    """Every action name ``record`` is called with in tracker/ (bench data excepted: it copies them)."""
    import pathlib
    root = pathlib.Path(__file__).resolve().parent.parent / "tracker"
    sources = {p: p.read_text(encoding="utf-8") for p in root.rglob("*.py") if "bench_data" not in p.parts}
    found, unknown = set(), []
    for path, text in sources.items():
        for call in re.findall(r'\brecord\(\s*(f?"[^"]*")', text):
            if not call.startswith("f"):
                found.add(call.strip('"'))
            elif call in DYNAMIC_ACTIONS:
                prefix, pattern = DYNAMIC_ACTIONS[call]
                names = {n for t in sources.values() for m in re.findall(pattern, t)
                         for n in ((m,) if isinstance(m, str) else m) if n}
                assert names, f"no calls found for {call} in {path}"
                found |= {prefix + n for n in names}
            else:
                unknown.append(f"{path.name}: {call}")
    assert not unknown, f"say in DYNAMIC_ACTIONS which names these build: {unknown}"
    return found


def test_every_recorded_action_has_a_chinese_label_and_a_filter_entry(app, make, login):
    from tracker.audit.services import ACTION_LABELS
    actions = _recorded_actions()
    assert {"disclosure.fail_verification", "application.confirm", "scores.published"} <= actions
    missing = sorted(a for a in actions if a not in ACTION_LABELS)
    assert not missing, f"actions without a Chinese label: {missing}"
    assert all(re.search(r"[\u4e00-\u9fff]", ACTION_LABELS[a]) for a in actions)
    page = login(make.user("office")).get("/audit/").get_data(as_text=True)
    options = set(re.findall(r'<option value="([^"]+)"', page[page.index('name="action"'):]))
    assert actions <= options, sorted(actions - options)
