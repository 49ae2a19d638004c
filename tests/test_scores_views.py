"""The score pages: what each role sees, the links from each deduction to its record, the office's
forms (manual items with evidence, voids, publication, re-runs, the rubric) and the unit's
objection; bad input changes nothing."""
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.scores.models import ManualEntry, Objection, Rubric, Score, ScoreItem
from tracker.timeutil import CHINA

from .scores_helpers import at, task_with_history

FINAL_DAY = date(2026, 10, 8)


@pytest.fixture
def world(app, make):
    office = make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    a = make.unit(code="mzj", name="民政局")
    b = make.unit(code="dongning", name="东宁镇", kind="town")
    ca, cb = make.user("contact", unit=a), make.user("contact", unit=b)
    duty = make.duty(a, title="城乡低保资金发放情况", review_required=False)
    late = task_with_history(app, make, duty, ca, date(2026, 7, 1), date(2026, 8, 5), title="七月低保名单")
    with at(FINAL_DAY):
        make.scores("2026-Q3", FINAL_DAY)
    with app.app_context():
        item = db.session.scalar(select(ScoreItem).where(ScoreItem.kind == "published_late"))
        db.session.expunge(item)
    return {"office": office, "leader": make.user("leader"), "a": a, "b": b, "ca": ca, "cb": cb, "task": late,
            "item": item}


def test_the_unit_page_links_each_deduction_to_its_record_with_rule_source_and_rubric(world, login):
    with at(FINAL_DAY):
        page = login(world["ca"]).get(f"/scores/2026-Q3/units/{world['a'].id}").get_data(as_text=True)
    assert f'href="/disclosure/tasks/{world["task"].id}"' in page and "七月低保名单" in page
    assert "逾期发布：每项扣2分" in page and "公开期限 2026-07-29，实际发布 2026-08-05" in page
    assert "第二十六条" in page  # the rule's legal source
    assert "2026年评分细则（第1版）" in page and 'id="score-total">98<' in page
    assert "本期无扣分，保留满分" in page


def test_unit_staff_see_only_their_unit_and_only_published_rankings(world, login):
    with at(FINAL_DAY):
        other = login(world["cb"])
        assert other.get(f"/scores/2026-Q3/units/{world['a'].id}").status_code == 404
        assert "还没有可查看的考核得分" in other.get("/scores/").get_data(as_text=True)  # not published yet
        assert other.get("/scores/export?period=2026-Q3").status_code == 404
        assert login(world["leader"]).get(f"/scores/2026-Q3/units/{world['a'].id}").status_code == 200


def test_the_office_enters_a_deduction_with_evidence_and_the_total_follows(app, world, login):
    with at(FINAL_DAY):
        office = login(world["office"])
        response = office.post(f"/scores/2026-Q3/units/{world['a'].id}/manual", {
            "item": "interpretation|finding", "points": "1", "reason": "重要政策未同步发布解读",
            "evidence": (io.BytesIO(b"%PDF-1.4 screenshot"), "解读缺失截图.pdf")},
            content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已录入扣分" in page and 'id="score-total">97<' in page
    assert "解读缺失截图.pdf" in page
    with app.app_context():
        entry = db.session.scalar(select(ManualEntry))
        assert entry.evidence.original_name == "解读缺失截图.pdf"
        evidence_url = f"/scores/files/{entry.evidence_id}"
    with at(FINAL_DAY):
        assert office.get(evidence_url).data == b"%PDF-1.4 screenshot"
        assert login(world["cb"]).get(evidence_url).status_code == 404  # another unit's file


@pytest.mark.parametrize("data, message", [
    ({"item": "interpretation|finding", "points": "9", "reason": "x"}, "分值须在1分范围内"),
    ({"item": "interpretation|finding", "points": "1", "reason": ""}, "理由"),
    ({"item": "nothing|here", "points": "1", "reason": "x"}, "请选择评分细则中的扣分或加分项目"),
    ({"item": "interpretation|finding", "points": "1", "reason": "x",
      "evidence": (io.BytesIO(b"MZ\x90\x00"), "virus.exe")}, "只能上传"),
])
def test_a_bad_manual_entry_is_refused_in_chinese_and_nothing_is_saved(app, world, login, data, message):
    with at(FINAL_DAY):
        response = login(world["office"]).post(f"/scores/2026-Q3/units/{world['a'].id}/manual", data,
                               content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ManualEntry)) == 0


def test_the_office_voids_a_deduction_with_a_reason_and_the_page_shows_it(app, world, login):
    with at(FINAL_DAY):
        office = login(world["office"])
        assert office.post(f"/scores/items/{world['item'].id}/void", {"reason": ""}).status_code == 422
        page = office.post(f"/scores/items/{world['item'].id}/void", {"reason": "网站故障，非单位原因"},
                           follow_redirects=True).get_data(as_text=True)
    assert "已撤销" in page and "撤销理由：网站故障，非单位原因" in page and 'id="score-total">100<' in page


def test_the_office_publishes_and_the_contact_objects_then_the_office_answers(app, world, login):
    with at(FINAL_DAY, 15):
        office = login(world["office"])
        page = office.post("/scores/periods/2026-Q3/publish", follow_redirects=True).get_data(as_text=True)
        assert "已发布2026年第3季度考核得分（2个单位）" in page and "申辩期限至 2026-10-14" in page
    with at(date(2026, 10, 9)):  # sessions last 8 hours: each day signs in again
        contact = login(world["ca"])
        bad = contact.post(f"/scores/items/{world['item'].id}/object", {"reason": ""})
        assert bad.status_code == 422 and "请填写申辩理由" in bad.get_data(as_text=True)
        response = contact.post(f"/scores/items/{world['item'].id}/object", {
            "reason": "8月5日发布前已在公示栏张贴", "evidence": (io.BytesIO(b"\x89PNG\r\n\x1a\nphoto"), "公示栏.png")},
            content_type="multipart/form-data", follow_redirects=True)
    assert "申辩已提交" in response.get_data(as_text=True)
    with app.app_context():
        objection_id = db.session.scalar(select(Objection.id))
    with at(date(2026, 10, 12)):
        office, contact = login(world["office"]), login(world["ca"])
        page = office.post(f"/scores/objections/{objection_id}/decide", {"decision": "reject",
                                                                         "reply": "公示栏不属于政府网站公开渠道"},
                           follow_redirects=True).get_data(as_text=True)
    assert "已答复申辩" in page and "申辩不成立" in page
    with at(date(2026, 10, 12)):
        assert "公示栏不属于政府网站公开渠道" in contact.get(f"/scores/objections/{objection_id}").get_data(as_text=True)


def test_the_ranking_sorts_filters_by_kind_and_exports_to_excel(app, world, login):
    with at(FINAL_DAY):
        office = login(world["office"])
        page = office.get("/scores/?period=2026-Q3&sort=total&dir=asc").get_data(as_text=True)
        assert page.index('data-unit="mzj"') < page.index('data-unit="dongning"')  # 98 before 100
        towns = office.get("/scores/?period=2026-Q3&kind=town").get_data(as_text=True)
        assert 'data-unit="dongning"' in towns and 'data-unit="mzj"' not in towns
        response = office.get("/scores/export?period=2026-Q3")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("单位代码", "单位", "组织制度") and rows[1][0] == "dongning"
    assert rows[0][-4:] == ("总分", "全市排名", "单位类别", "类别内排名")
    # the total, then the ranks: overall, and among the unit's kind (towns and departments apart)
    assert rows[1][-4:] == (100, 1, "镇（街道）", 1) and rows[2][-4:] == (98, 2, "市直部门", 1)


def test_a_rerun_of_a_published_period_is_shown_old_to_new_before_the_office_accepts(app, world, login, make):
    from tracker.disclosure.models import Task
    with at(FINAL_DAY, 15):
        office = login(world["office"])
        office.post("/scores/periods/2026-Q3/publish")
    with at(date(2026, 10, 20)):  # the task's acknowledgement turns out to have been on 07-09, not 07-01
        with app.app_context():
            task = db.session.get(Task, world["task"].id)
            task.acknowledged_at = datetime(2026, 7, 9, 10, tzinfo=CHINA)  # corrected by the administrator
            db.session.commit()
        office = login(world["office"])
        page = office.post("/scores/periods/compute", {"period": "2026-Q3"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "重新计算结果另行保存（1个单位有变化）" in text
    assert 'data-col="old">98<' in text and 'data-col="new">97.5<' in text
    with app.app_context():
        assert db.session.scalar(select(Score.total).where(Score.unit_code == "mzj")) == Decimal(98)
        from tracker.scores.models import ScoreRerun
        rerun_id = db.session.scalar(select(ScoreRerun.id))
    with at(date(2026, 10, 20), 11):
        office.post(f"/scores/reruns/{rerun_id}/accept")
    with app.app_context():
        assert db.session.scalar(select(Score.total).where(Score.unit_code == "mzj")) == Decimal("97.5")


def test_the_office_edits_the_rubric_and_bad_numbers_change_nothing(app, world, login):
    office = login(world["office"])
    with app.app_context():
        rubric_id = db.session.scalar(select(Rubric.id))
    form = office.get(f"/scores/rubrics/{rubric_id}/edit").get_data(as_text=True)
    assert 'value="逾期发布"' not in form and "未配备在岗联络员" in form
    data = _form_fields(form)
    rule_row = next(k for k, v in data.items() if v == "published_late").rsplit("-", 1)[0]
    bad = dict(data, **{f"{rule_row}-points": "两分"})
    response = office.post(f"/scores/rubrics/{rubric_id}/edit", bad)
    assert response.status_code == 422 and "须为数字" in response.get_data(as_text=True)
    good = dict(data, **{f"{rule_row}-points": "3", "note": "逾期发布加重扣分"})
    page = office.post(f"/scores/rubrics/{rubric_id}/edit", good, follow_redirects=True).get_data(as_text=True)
    assert "逾期发布：每项扣3分" in page and "已保存2026年评分细则（第1版）" in page


def _form_fields(html: str) -> dict:
    """The values a browser would send for a form page (inputs and selected options)."""
    import re
    fields = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        fields[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        fields[name] = next(g for g in chosen.groups() if g is not None) if chosen else ""
    fields.pop("csrf_token", None)
    return {k: v for k, v in fields.items() if not k.endswith("-remove")}


def test_the_leaders_dashboard_leads_with_the_ranking_and_the_units_in_trouble(app, world, login, make):
    make.manual_item(world["a"], "2026-Q3", "confidentiality", "leak", "10", "泄露个人信息", by=world["office"],
                     today=FINAL_DAY)
    make.manual_item(world["a"], "2026-Q3", "organisation", "training", "5", "未组织培训", by=world["office"],
                     today=FINAL_DAY)  # 98 − 10 − 5 = 83: below 85
    with at(FINAL_DAY, 15):
        login(world["office"]).post("/scores/periods/2026-Q3/publish")
        page = login(world["leader"]).get("/dashboard").get_data(as_text=True)
    panel = page[page.index('id="scores-panel"'):]
    assert "2026年第3季度考核排名" in panel
    trouble = panel[panel.index('id="scores-trouble"'):]
    assert "民政局" in trouble and ">83<" in trouble and "东宁镇" not in trouble


def test_a_manual_items_type_is_named_once(app, world, login, make):
    make.manual_item(world["a"], "2026-Q3", "applications", "reply_document", "1", "答复书未载明救济途径",
                     by=world["office"], today=FINAL_DAY)
    with at(FINAL_DAY, 15):
        make.scores("2026-Q3", FINAL_DAY)
        page = login(world["office"]).get(f"/scores/2026-Q3/units/{world['a'].id}").get_data(as_text=True)
    items = page[page.index('id="items"'):]
    items = items[:items.index('name="item"')]  # not the manual entry form's list of types
    assert items.count("答复文书不规范（每件）") == 1 and "答复书未载明救济途径" in page


def test_the_trend_chart_names_quarters_in_chinese(app, world):
    from tracker.scores.ranking import unit_trend
    with app.app_context():
        assert unit_trend(world["a"].id)["labels"] == ["26年Q3（待发布）"]


def test_every_page_names_its_icon_and_the_icon_is_served(app, world, login):
    page = login(world["office"]).get("/dashboard").get_data(as_text=True)
    assert 'rel="icon"' in page and "/static/favicon.svg" in page
    assert login(world["office"]).get("/static/favicon.svg").status_code == 200
