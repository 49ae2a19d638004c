"""The annual report's workflow: prepare, review, hand in (frozen), accept or return; consistency
rules refuse a broken report naming the cell; reminders; 雷同; the pages."""
from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.notify.models import Notification, OutboxMail
from tracker.reports import exports, services, workflow
from tracker.reports.models import AnnualReport, ReportSubmission
from tracker.units.models import Unit

from .reports_helpers import write_own_words

D = date


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2027, 1, 12, 2, 0, tzinfo=timezone.utc), tick=False):
        yield


@pytest.fixture
def unit_people(make):
    office_unit = make.unit("office", "东宁市人民政府办公室（政务公开办）", kind="office")
    unit = make.unit("mzj", "民政局")
    return {"unit": unit, "office": make.user("office", unit=office_unit), "contact": make.user("contact", unit=unit),
            "reviewer": make.user("reviewer", unit=unit), "other_reviewer": make.user("reviewer", unit=make.unit())}


def _u(user):
    return db.session.get(User, user.id)


def _ready(app, p, make):
    """A 2026 report, prepared and approved, with one application behind it."""
    make.application(p["unit"], D(2026, 5, 6))
    with app.app_context():
        report = workflow.start_report(2026, db.session.get(Unit, p["unit"].id), _u(p["contact"]))
        write_own_words(report)
        workflow.submit_for_review(report, _u(p["contact"]))
        workflow.approve(report, _u(p["reviewer"]))
        db.session.commit()
        return report.id


def test_start_writes_drafts_from_the_figures(app, make, unit_people):
    p = unit_people
    make.application(p["unit"], D(2026, 5, 6))
    with app.app_context():
        report = workflow.start_report(2026, db.session.get(Unit, p["unit"].id), _u(p["contact"]))
        assert report.state == "draft"
        assert "全年新收政府信息公开申请1件" in report.overview
        assert "结转下年度继续办理1件" in report.overview
        assert report.other_matters.startswith("2026年度，本机关未收取信息处理费。")
        assert "存在的主要问题" in report.problems


def test_only_the_units_own_reviewer_approves(app, make, unit_people):
    p = unit_people
    with app.app_context():
        report = workflow.start_report(2026, db.session.get(Unit, p["unit"].id), _u(p["contact"]))
        with pytest.raises(ServiceError, match="当前状态为“编制中”，不能审核通过"):
            workflow.approve(report, _u(p["reviewer"]))  # not yet submitted for review: wrong state...
    with app.app_context():
        report = db.session.get(AnnualReport, _ready(app, p, make))
        with pytest.raises(ServiceError):
            workflow.submit_for_review(report, _u(p["contact"]))  # already approved
        with pytest.raises(ServiceError, match="您不能"):
            workflow.submit(report, _u(p["other_reviewer"]))


def test_a_broken_sum_is_refused_naming_the_cell(app, make, unit_people):
    p = unit_people
    report_id = _ready(app, p, make)
    with app.app_context():
        report = db.session.get(AnnualReport, report_id)
        workflow.reopen(report, _u(p["contact"]))
        # typed by hand: one more application received than the records show
        workflow.set_override(report, "three/new/natural", "2", "系统外收到的纸质申请", _u(p["contact"]))
        content = services.unit_content(2026, report.unit, report)
        cells = {x.cell: x for x in content.problems}
        assert set(cells) == {"three/carry_next/natural", "three/new/total"}
        assert cells["three/new/total"].message == "“一、本年新收政府信息公开申请数量”行：总计为1，但自然人与法人或其他组织各列之和为2。"
        assert cells["three/carry_next/natural"].message.startswith("“自然人”列：一（2）+二（0）=2，不等于（七）总计（0）+四（1）=1")
        workflow.submit_for_review(report, _u(p["contact"]))
        workflow.approve(report, _u(p["reviewer"]))
        submission = workflow.submit(report, _u(p["contact"]))
        db.session.commit()
        assert submission.decision == "refused" and not submission.consistent
        assert report.state == "approved" and report.last_submission is None  # not handed in
        assert any("“自然人”列" in v["message"] for v in submission.violations)
        with pytest.raises(ServiceError, match="不能导出定稿（表三 · 四、结转下年度继续办理 · 自然人：本列第一项加第二项之和"):
            exports.export(content, "docx")
        assert b"\xe8\x8d\x89\xe7\xa8\xbf" in exports.export(content, "json", draft=True)  # 草稿
        # the correction that keeps the table consistent
        workflow.reopen(report, _u(p["contact"]))
        workflow.set_override(report, "three/new/total", "2", "同上", _u(p["contact"]))
        workflow.set_override(report, "three/carry_next/natural", "2", "同上，年底未办结", _u(p["contact"]))
        workflow.set_override(report, "three/carry_next/total", "2", "同上", _u(p["contact"]))
        assert services.unit_content(2026, report.unit, report).problems == []


def test_office_returns_once_then_accepts_and_the_submissions_record_it(app, make, unit_people):
    p = unit_people
    report_id = _ready(app, p, make)
    with app.app_context():
        services.set_due_date(2026, D(2027, 1, 10), _u(p["office"]))
        report = db.session.get(AnnualReport, report_id)
        first = workflow.submit(report, _u(p["contact"]))
        assert report.state == "submitted" and first.late and first.due_date == D(2027, 1, 10)
        with pytest.raises(ServiceError, match="请填写退回原因"):
            workflow.return_report(report, "  ", _u(p["office"]))
        workflow.return_report(report, "第五部分未写明上年问题的整改情况", _u(p["office"]))
        assert report.state == "returned" and first.decision == "returned"
        workflow.save_narrative(report, {"problems": "上年问题已整改：……"}, _u(p["contact"]))
        workflow.submit_for_review(report, _u(p["contact"]))
        workflow.approve(report, _u(p["reviewer"]))
        second = workflow.submit(report, _u(p["reviewer"]))
        workflow.accept(report, _u(p["office"]))
        db.session.commit()
        assert report.state == "accepted"
        assert [(s.number, s.decision, s.reason) for s in report.submissions] == [
            (1, "returned", "第五部分未写明上年问题的整改情况"), (2, "accepted", None)]
        assert second.snapshot["narrative"]["problems"] == "上年问题已整改：……"
        with pytest.raises(ServiceError):
            workflow.save_narrative(report, {"problems": "改了"}, _u(p["contact"]))  # frozen
        # the people were told, through the bell and the outbox
        office_titles = db.session.scalars(select(Notification.title).where(
            Notification.user_id == p["office"].id)).all()
        assert office_titles.count("【年度报告已报送】民政局2026年政府信息公开工作年度报告") == 2
        assert db.session.scalar(select(OutboxMail.id).where(OutboxMail.subject.like("【年度报告被退回】%")))


def test_due_date_must_fall_in_january(app, unit_people):
    with app.app_context():
        with pytest.raises(ServiceError, match="1月1日至1月31日"):
            services.set_due_date(2026, D(2027, 2, 10), _u(unit_people["office"]))
        assert services.due_date(2026) == D(2027, 1, 31)  # none set: the statutory date


def test_reminders_before_the_internal_due_date_and_for_the_city(app, make, unit_people):
    from tracker.notify.reminders import sweep_reminders

    p = unit_people
    other = make.unit("czj", "财政局")
    make.user("contact", unit=other)
    report_id = _ready(app, p, make)
    with app.app_context():
        services.set_due_date(2026, D(2027, 1, 15), _u(p["office"]))
        workflow.submit(db.session.get(AnnualReport, report_id), _u(p["contact"]))
        db.session.commit()
        queued = sweep_reminders(D(2027, 1, 12))  # 3 working days before the 15th
        db.session.commit()
        titles = db.session.scalars(select(Notification.title)).all()
        assert "【即将到期】财政局2026年度政府信息公开工作年度报告的报送" in titles
        assert not any("民政局2026年度政府信息公开工作年度报告的报送" in t for t in titles)  # handed in
        assert sweep_reminders(D(2027, 1, 12)) == 0 and queued > 0   # run twice, do once
        sweep_reminders(D(2027, 3, 26))
        db.session.commit()
        office = db.session.scalars(select(Notification.body).where(Notification.user_id == p["office"].id)).all()
        assert any("全市 · 2026年度报告公开" in body for body in office)


def test_similar_text_is_flagged_naming_the_other_report(app, make, unit_people, login):
    p = unit_people
    other = make.unit("czj", "财政局")
    other_contact = make.user("contact", unit=other)
    own = ("本单位建立了每周一次的公开栏目巡查制度，由办公室专人负责检查网站栏目更新情况，对发现的问题当日整改；"
           "同时在便民服务大厅设置查阅点，配备查询电脑两台，全年接待群众现场查询两百余人次，收到良好效果。")
    with app.app_context():
        mine = workflow.start_report(2026, db.session.get(Unit, p["unit"].id), _u(p["contact"]))
        theirs = workflow.start_report(2026, db.session.get(Unit, other.id), _u(other_contact))
        db.session.commit()
    # two drafts as the system wrote them share only the template: not 雷同, but flagged as drafts
    page = login(p["contact"]).get("/reports/2026/units/%d" % p["unit"].id).get_data(as_text=True)
    assert "雷同提示" not in page
    assert "基本仍是系统根据数据生成的草稿" in page and "“一、总体情况”、“五、存在的主要问题及改进情况”" in page
    with app.app_context():
        mine, theirs = db.session.merge(mine), db.session.merge(theirs)
        workflow.save_narrative(mine, {"overview": mine.overview + "\n" + own}, _u(p["contact"]))
        workflow.save_narrative(theirs, {"overview": theirs.overview + "\n" + own.replace("两台", "三台")},
                                _u(other_contact))
        db.session.commit()
    page = login(p["contact"]).get("/reports/2026/units/%d" % p["unit"].id).get_data(as_text=True)
    assert "雷同提示" in page
    assert "“一、总体情况”与《财政局2026年政府信息公开工作年度报告》同一部分的相似度为 9" in page


def test_similarity_measures_own_words():
    from tracker.reports import narrative

    template = narrative.skeleton("2021", "overview")
    a = "我局在全市率先推行公开事项清单动态管理，每季度对照权责清单逐项核对，新增事项十二项。"
    assert narrative.similarity(narrative.own_words(a, template), narrative.own_words(a, template)) == 1.0
    b = "镇里组织村干部学习条例，利用农闲时节走村入户发放宣传资料，群众知晓率明显提高，效果较好。"
    assert narrative.similarity(narrative.own_words(a, template), narrative.own_words(b, template)) < 0.3
    # re-spacing, punctuation and changed figures do not hide a copy
    assert narrative.own_words("我局 在全市，率先推行123", template) == narrative.own_words("我局在全市率先推行9", template)


def test_unit_staff_see_only_their_own_units_report(app, make, unit_people, login):
    p = unit_people
    other = make.unit("czj", "财政局")
    client = login(p["contact"])
    assert client.get(f"/reports/2026/units/{other.id}").status_code == 404
    assert client.get(f"/reports/2026/units/{p['unit'].id}").status_code == 200
    assert client.get("/reports/2026/city").status_code == 403


def test_the_page_marks_the_wrong_cell_with_the_rule(app, make, unit_people, login):
    p = unit_people
    report_id = _ready(app, p, make)
    with app.app_context():
        report = db.session.get(AnnualReport, report_id)
        workflow.reopen(report, _u(p["contact"]))
        workflow.set_override(report, "four/reconsideration/total", "3", "手工录入", _u(p["contact"]))
        db.session.commit()
    client = login(p["contact"])
    page = client.get(f"/reports/2026/units/{p['unit'].id}").get_data(as_text=True)
    assert 'class="num cell-wrong cell-adjusted"' in page
    assert "总计应等于结果维持、结果纠正、其他结果、尚未审结四项之和" in page
    # handing it in through the page is refused and the attempt kept
    client.post(f"/reports/{report_id}/act/submit_review")
    login(p["reviewer"]).post(f"/reports/{report_id}/act/approve")
    response = client.post(f"/reports/{report_id}/act/submit", follow_redirects=True)
    assert "未通过勾稽校验，未能报送" in response.get_data(as_text=True)
    with app.app_context():
        attempts = db.session.scalars(select(ReportSubmission)).all()
        assert [(a.decision, a.consistent) for a in attempts] == [("refused", False)]


def test_a_forged_action_changes_nothing(app, make, unit_people, login):
    p = unit_people
    report_id = _ready(app, p, make)
    response = login(p["contact"]).post(f"/reports/{report_id}/act/accept")
    assert response.status_code == 422
    assert "您不能对该年度报告执行“接收”" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AnnualReport, report_id).state == "approved"


def test_facts_for_the_scores_annual_report_rule(app, make, unit_people):
    """What the 年度报告 rule reads: handed in after the internal due date; a refused attempt."""
    from tracker.reports import scoring

    p = unit_people
    silent = make.unit("czj", "财政局")
    report_id = _ready(app, p, make)
    with app.app_context():
        services.set_due_date(2026, D(2027, 1, 10), _u(p["office"]))
        report = db.session.get(AnnualReport, report_id)
        workflow.reopen(report, _u(p["contact"]))
        workflow.set_override(report, "four/reconsideration/total", "1", "手工", _u(p["contact"]))
        workflow.submit_for_review(report, _u(p["contact"]))
        workflow.approve(report, _u(p["reviewer"]))
        assert workflow.submit(report, _u(p["contact"])).decision == "refused"
        workflow.reopen(report, _u(p["contact"]))
        workflow.set_override(report, "four/reconsideration/total", "0", "", _u(p["contact"]))
        workflow.submit_for_review(report, _u(p["contact"]))
        workflow.approve(report, _u(p["reviewer"]))
        workflow.submit(report, _u(p["contact"]))
        workflow.return_report(report, "请补充", _u(p["office"]))
        db.session.commit()
        mine, theirs = scoring.report_facts(2026, [p["unit"].id, silent.id])
    assert mine.first_handed_on == D(2027, 1, 12) and mine.due_date == D(2027, 1, 10)
    assert scoring.handed_in_late(mine, D(2027, 1, 31))
    assert scoring.failed_consistency(mine) and mine.first_refused_on == D(2027, 1, 12)
    assert mine.refused_violations == ("“行政复议”的总计为1，但前四项之和为0。",)
    assert mine.returned == 1 and mine.label == "民政局2026年政府信息公开工作年度报告"
    assert theirs.report_id is None and theirs.first_handed_on is None
    assert not scoring.handed_in_late(theirs, D(2027, 1, 10)) and scoring.handed_in_late(theirs, D(2027, 1, 11))
    assert not scoring.failed_consistency(theirs)


def test_history_loaded_unannounced_tells_nobody_and_the_next_step_tells_again(app, make, unit_people):
    """bench-data loads past years' reports inside ``workflow.unannounced()``: the same transitions,
    audited, but no bell and no mail; outside it the office is told as usual."""
    p = unit_people
    make.application(p["unit"], D(2026, 5, 6))
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    with app.app_context():
        unit = db.session.get(Unit, p["unit"].id)
        with workflow.unannounced():
            report = workflow.start_report(2026, unit, _u(p["contact"]))
            write_own_words(report)
            workflow.submit_for_review(report, _u(p["contact"]))
            workflow.approve(report, _u(p["reviewer"]))
        assert report.state == "approved" and (count(Notification), count(OutboxMail)) == (0, 0)
        workflow.submit(report, _u(p["contact"]))
        assert count(Notification) == 1 and count(OutboxMail) == 1  # the office user


# --- placeholders never leave the building ----------------------------------------------------------------

PLACEHOLDER_STEPS = [  # (action, who, the state it starts from)
    ("submit_review", "contact", "draft"), ("approve", "reviewer", "in_review"),
    ("submit", "contact", "approved"), ("accept", "office", "submitted")]


def _at_step_with_a_placeholder(app, p, make, state: str) -> int:
    """A report brought to ``state`` with its text written, then a placeholder back in section 五
    (as a report handed on before this rule existed would hold)."""
    report_id = _ready(app, p, make)
    with app.app_context():
        report = db.session.get(AnnualReport, report_id)
        if state == "draft":
            workflow.reopen(report, _u(p["contact"]))
        elif state == "in_review":
            workflow.reopen(report, _u(p["contact"]))
            workflow.submit_for_review(report, _u(p["contact"]))
        elif state == "submitted":
            workflow.submit(report, _u(p["contact"]))
        report.problems += "\n改进情况：【请逐条说明改进情况】。"
        if state == "submitted":  # handed in with it: the frozen text holds it too
            handed = report.last_submission
            handed.snapshot = {**handed.snapshot, "narrative": {**handed.snapshot["narrative"],
                                                                "problems": report.problems}}
        db.session.commit()
        assert report.state == state
        return report_id


@pytest.mark.parametrize("action, who, state", PLACEHOLDER_STEPS)
def test_a_placeholder_refuses_each_step_naming_the_section(app, make, unit_people, action, who, state):
    p = unit_people
    report_id = _at_step_with_a_placeholder(app, p, make, state)
    with app.app_context():
        report = db.session.get(AnnualReport, report_id)
        submissions = len(report.submissions)
        label = workflow.ACTIONS[action][0]
        with pytest.raises(ServiceError, match=f"以下部分仍有待补充内容：五、存在的主要问题及改进情况.*不能{label}"):
            workflow.act(report, action, _u(p[who]))
        assert report.state == state and len(report.submissions) == submissions  # nothing moved, no attempt


def test_a_fresh_draft_names_every_section_still_holding_a_placeholder(app, make, unit_people):
    p = unit_people
    with app.app_context():
        report = workflow.start_report(2026, db.session.get(Unit, p["unit"].id), _u(p["contact"]))
        with pytest.raises(ServiceError) as refused:
            workflow.submit_for_review(report, _u(p["contact"]))
        assert refused.value.message.startswith("以下部分仍有待补充内容：一、总体情况；五、存在的主要问题及改进情况（")
        assert report.state == "draft"


@pytest.mark.parametrize("action, who, state", PLACEHOLDER_STEPS)
def test_the_page_of_each_step_shows_the_placeholder_message_and_changes_nothing(
        app, make, unit_people, login, action, who, state):
    p = unit_people
    report_id = _at_step_with_a_placeholder(app, p, make, state)
    events = lambda: db.session.scalar(select(func.count()).select_from(AuditEvent).where(  # noqa: E731
        AuditEvent.action.like("report.%")))
    with app.app_context():
        before = events()
    response = login(p[who]).post(f"/reports/{report_id}/act/{action}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "以下部分仍有待补充内容：五、存在的主要问题及改进情况（【】标注处），不能" in page  # the refusal
    assert 'id="unwritten"' in page  # and the page's standing notice
    with app.app_context():
        report = db.session.get(AnnualReport, report_id)
        assert report.state == state and "【请逐条说明改进情况】" in report.problems
        assert events() == before and not db.session.scalar(select(func.count()).select_from(ReportSubmission).where(
            ReportSubmission.decision == "refused"))


def test_a_final_export_refuses_a_placeholder_and_a_draft_export_is_allowed(app, make, unit_people, login):
    p = unit_people
    report_id = _at_step_with_a_placeholder(app, p, make, "draft")
    with app.app_context():
        content = workflow.content_of(db.session.get(AnnualReport, report_id))
        with pytest.raises(ServiceError, match="五、存在的主要问题及改进情况.*不能导出定稿。可导出草稿"):
            exports.export(content, "xlsx")
        assert exports.export(content, "xlsx", draft=True)
    client = login(p["contact"])
    url = f"/reports/2026/units/{p['unit'].id}/export/docx"
    refused = client.get(url, headers={"Referer": f"http://localhost/reports/2026/units/{p['unit'].id}"},
                         follow_redirects=True)
    assert refused.status_code == 200 and "不能导出定稿" in refused.get_data(as_text=True)
    draft = client.get(url + "?draft=1")
    assert draft.status_code == 200 and draft.mimetype.endswith("wordprocessingml.document")
