"""The scores' constructed data set: two units, one quarter (2026-Q3, July 1 – September 30), every
kind of item — late and on-time publications, overdue tasks at period end, late acknowledgements,
a late reply, a late correction notice, a reconsideration ending in 纠正, manual deductions, bonuses
(one over the cap), a void and a category whose deductions exceed its points. Each category and
total is checked against figures computed by hand (written out below), and the CSV export must
show exactly those figures.

民政局 (mzj, department)                               东宁镇 (dongning, town)
  组织制度 10: has an active contact         → 10          its only contact deactivated: −5; training
  主动公开 35: A1 acknowledged late −0.5;                   documents missing −5 and −4 → 14 > 10 → 0
      A2 published late −2 (voided → 0);                  B1 never acknowledged −0.5, overdue at end
      A3 overdue at end −2; A4 (due in Q2) and               −2 → 32.5
      A5 (due in Q4) do not count      → 32.5             reconsideration decided 纠正 −3 → 17
  依申请公开 20: reply late −6; correction notice         bonuses 3 + 4 = 7, capped at 5
      after 7 working days −1; on-time reply 0 → 13       total 0+32.5+17+10+10+10+5+5 = 89.5
  解读回应 5: manual −1 → 4; bonus +2
  total 10+32.5+13+10+10+10+4+2 = 91.5
"""
from datetime import date, datetime
from decimal import Decimal

import pytest

from tracker.accounts.models import User
from tracker.extensions import db
from tracker.timeutil import CHINA

from . import scores_helpers
from .scores_helpers import at, get

Q3_FINAL_DAY = date(2026, 10, 8)  # the first working day after 2026-Q3 (National Day holiday before it)
HEADER = "单位代码,单位,组织制度,主动公开,依申请公开,年度报告,督查整改,保密审查,解读回应,加分,总分"
EXPECTED = {
    "mzj": {"organisation": "10", "proactive": "32.5", "applications": "13", "annual_report": "10",
            "inspection": "10", "confidentiality": "10", "interpretation": "4", "bonus": "2", "total": "91.5"},
    "dongning": {"organisation": "0", "proactive": "32.5", "applications": "17", "annual_report": "10",
                 "inspection": "10", "confidentiality": "10", "interpretation": "5", "bonus": "5", "total": "89.5"},
}


def _task(model_id):
    from tracker.disclosure.models import Task
    return db.session.get(Task, model_id)


def _user(user):
    return get(User, user)


def acknowledge(run, task, contact):
    from tracker.disclosure import services
    run(lambda: services.acknowledge(_task(task.id), _user(contact)))


def publish(run, task, contact, on: date):
    from tracker.disclosure import services
    record = services.PublicationRecord(on, ["website"], f"https://www.dongning.gov.cn/zwgk/{task.id}.html")
    run(lambda: services.publish(_task(task.id), _user(contact), record, on))


def application_action(run, application, fn):
    from tracker.applications.models import Application
    run(lambda: fn(db.session.get(Application, application.id)))


@pytest.fixture
def dataset(app, make):
    from tracker.accounts.services import set_user_active
    from tracker.applications import services as apps

    def run(fn):
        return scores_helpers.run(app, fn)
    office = make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    mzj = make.unit(code="mzj", name="民政局", kind="department")
    town = make.unit(code="dongning", name="东宁镇", kind="town")
    ca, cb = make.user("contact", unit=mzj), make.user("contact", unit=town)
    make.user("reviewer", unit=mzj)
    duty_a = make.duty(mzj, title="城乡低保资金发放情况", review_required=False)
    duty_b = make.duty(town, title="农村危房改造对象公示", review_required=False)
    ids = {}

    with at(date(2026, 5, 6)):  # A4: due 2026-06-02 (Q2), published late in Q3 — counts in Q2, not here
        ids["A4"] = make.task(duty_a, formed=date(2026, 5, 6), title="A4 二季度到期")
        acknowledge(run, ids["A4"], ca)
    with at(date(2026, 6, 1)):  # town's application, replied on time in Q2; its reconsideration comes later
        app_b = make.application(town, date(2026, 6, 1))
    with at(date(2026, 6, 10)):
        application_action(run, app_b, lambda a: apps.reply(a, "grant", date(2026, 6, 10), "signed",
                                                             date(2026, 6, 10), actor=_user(cb)))
    with at(date(2026, 7, 1)):  # issued July 1 (Wednesday): acknowledge by July 6, publish by July 29
        for name in ("A1", "A2", "A3"):
            ids[name] = make.task(duty_a, formed=date(2026, 7, 1), title=f"{name} 七月信息")
        ids["B1"] = make.task(duty_b, formed=date(2026, 7, 1), title="B1 七月公示")
        late_reply = make.application(mzj, date(2026, 7, 1))       # due July 29
        late_correction = make.application(mzj, date(2026, 7, 1))  # correction notice due by July 10
    with at(date(2026, 7, 2)):
        acknowledge(run, ids["A2"], ca)
        acknowledge(run, ids["A3"], ca)
    with at(date(2026, 7, 6)):
        on_time = make.application(mzj, date(2026, 7, 6))
    with at(date(2026, 7, 8)):
        publish(run, ids["A4"], ca, date(2026, 7, 8))
    with at(date(2026, 7, 9)):
        acknowledge(run, ids["A1"], ca)  # three days after the limit
    with at(date(2026, 7, 10)):
        make.application_case(app_b, filed_on=date(2026, 7, 10))
    with at(date(2026, 7, 15)):
        application_action(run, late_correction, lambda a: apps.request_correction(
            a, date(2026, 7, 15), None, "请写明所需文件的文号", actor=_user(ca)))
    with at(date(2026, 7, 20)):
        publish(run, ids["A1"], ca, date(2026, 7, 20))
        application_action(run, late_correction, lambda a: apps.receive_correction(a, date(2026, 7, 20),
                                                                                   actor=_user(ca)))
        application_action(run, on_time, lambda a: apps.reply(a, "grant", date(2026, 7, 20), "signed",
                                                               date(2026, 7, 20), actor=_user(ca)))
    with at(date(2026, 8, 3)):
        application_action(run, late_reply, lambda a: apps.reply(a, "partial", date(2026, 8, 3), "signed",
                                                                 date(2026, 8, 3), actor=_user(ca)))
    with at(date(2026, 8, 5)):
        publish(run, ids["A2"], ca, date(2026, 8, 5))
    with at(date(2026, 8, 10)):
        application_action(run, late_correction, lambda a: apps.reply(a, "grant", date(2026, 8, 10), "signed",
                                                                      date(2026, 8, 10), actor=_user(ca)))
    with at(date(2026, 8, 20)):
        from tracker.applications.models import ApplicationCase

        def decide():
            case = db.session.scalar(db.select(ApplicationCase).where(ApplicationCase.application_id == app_b.id))
            apps.set_case_result(case, "corrected", date(2026, 8, 20), actor=_user(office))
        run(decide)
    with at(date(2026, 9, 10)):  # A5: due in October (Q4), not counted in Q3
        ids["A5"] = make.task(duty_a, formed=date(2026, 9, 10), title="A5 四季度到期")
    with at(date(2026, 9, 11)):
        acknowledge(run, ids["A5"], ca)
    with at(date(2026, 9, 30)):
        run(lambda: set_user_active(_user(cb), False, _user(office), "调离"))

    with at(Q3_FINAL_DAY):
        period = make.scores("2026-Q3", Q3_FINAL_DAY)
        make.manual_item(mzj, "2026-Q3", "interpretation", "finding", "1", "政策文件未同步发布解读", by=office,
                         today=Q3_FINAL_DAY)
        make.manual_item(mzj, "2026-Q3", "bonus", "highlight", "2", "低保公示做法被省政府网站转载", by=office,
                         today=Q3_FINAL_DAY)
        make.manual_item(town, "2026-Q3", "organisation", "training", "5", "全年未组织政务公开培训", by=office,
                         today=Q3_FINAL_DAY)
        make.manual_item(town, "2026-Q3", "organisation", "training", "4", "未制定保密审查制度", by=office,
                         today=Q3_FINAL_DAY)
        make.manual_item(town, "2026-Q3", "bonus", "highlight", "3", "村务公开栏标准化", by=office,
                         today=Q3_FINAL_DAY)
        make.manual_item(town, "2026-Q3", "bonus", "highlight", "4", "创新“院坝公开”", by=office,
                         today=Q3_FINAL_DAY)

        def void_a2():
            from tracker.scores.items import void_item
            from tracker.scores.models import ScoreItem
            item = db.session.scalar(db.select(ScoreItem).where(ScoreItem.key == f"published_late:task:{ids['A2'].id}"))
            void_item(item, "网站服务器故障，经核实非单位原因", _user(office))
        run(void_a2)
    return {"period": period, "office": office, "mzj": mzj, "town": town, "ca": ca, "ids": ids, "run": run,
            "late_reply": late_reply, "late_correction": late_correction}


def _q3_score(unit_code):
    from tracker.scores.models import Score, ScorePeriod
    return db.session.scalar(db.select(Score).join(ScorePeriod).where(Score.unit_code == unit_code,
                                                                      ScorePeriod.key == "2026-Q3"))


def _figures(app, unit_code):
    from tracker.scores.numbers import points_text
    with app.app_context():
        score = _q3_score(unit_code)
        got = {c["key"]: points_text(c["score"]) for c in score.figures["categories"]}
        return got | {"bonus": points_text(score.bonus), "total": points_text(score.total)}


def _items(app, unit_code):
    from tracker.scores.models import ScoreItem
    with app.app_context():
        rows = db.session.execute(db.select(ScoreItem.kind, ScoreItem.label, ScoreItem.points, ScoreItem.void_id)
                                  .where(ScoreItem.score_id == _q3_score(unit_code).id)).all()
        return sorted((kind, label.split(" ")[0], str(points), void is not None) for kind, label, points, void in rows)


def test_each_category_and_total_equals_the_hand_computed_figures(app, dataset):
    assert _figures(app, "mzj") == EXPECTED["mzj"]
    assert _figures(app, "dongning") == EXPECTED["dongning"]


def test_every_deduction_is_the_record_behind_it(app, dataset):
    mzj = _items(app, "mzj")
    assert [i for i in mzj if i[0] == "not_acknowledged"] == [("not_acknowledged", "A1", "0.50", False)]
    assert [i for i in mzj if i[0] == "published_late"] == [("published_late", "A2", "2.00", True)]  # voided
    assert [i for i in mzj if i[0] == "overdue_at_end"] == [("overdue_at_end", "A3", "2.00", False)]
    assert not [i for i in mzj if i[1] in ("A4", "A5")]  # fell due in another quarter
    assert len([i for i in mzj if i[0] == "reply_late"]) == 1
    assert len([i for i in mzj if i[0] == "correction_late"]) == 1
    town = _items(app, "dongning")
    assert {i[0] for i in town} == {"no_active_contact", "not_acknowledged", "overdue_at_end", "case_corrected",
                                     "manual", "bonus"}


def test_the_capped_category_says_so(app, dataset):
    with app.app_context():
        score = _q3_score("dongning")
        organisation = next(c for c in score.figures["categories"] if c["key"] == "organisation")
    assert Decimal(organisation["deducted"]) == Decimal(14) and Decimal(organisation["score"]) == 0
    assert Decimal(score.figures["bonus_raw"]) == Decimal(7) and score.bonus == Decimal(5)


def test_csv_export_shows_exactly_those_figures(app, dataset):
    result = app.test_cli_runner().invoke(args=["scores", "export", "--period", "2026-Q3", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().split("\n")
    assert lines[0] == HEADER
    e = EXPECTED
    order = ("organisation", "proactive", "applications", "annual_report", "inspection", "confidentiality",
             "interpretation", "bonus", "total")
    assert lines[1:] == [",".join(["mzj", "民政局"] + [e["mzj"][k] for k in order]),
                         ",".join(["dongning", "东宁镇"] + [e["dongning"][k] for k in order])]


def test_xlsx_export_has_the_same_figures(app, dataset, tmp_path):
    from openpyxl import load_workbook
    out = tmp_path / "q3.xlsx"
    result = app.test_cli_runner().invoke(args=["scores", "export", "--period", "2026-Q3", "--format", "xlsx",
                                                "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert ",".join(rows[0]) == HEADER + ",全市排名,单位类别,类别内排名"
    assert rows[1][:2] == ("mzj", "民政局") and rows[1][-4:] == (91.5, 1, "市直部门", 1) and rows[1][3] == 32.5
    assert rows[2][:2] == ("dongning", "东宁镇") and rows[2][-4:] == (89.5, 2, "镇（街道）", 1) and rows[2][2] == 0


def test_a_published_score_stays_frozen_after_its_records_change_and_a_rerun_shows_old_to_new(app, dataset):
    from tracker.disclosure import services as disclosure
    from tracker.scores import services
    from tracker.scores.models import ScorePeriod
    from tracker.scores.periods import parse_period

    run, office = dataset["run"], dataset["office"]
    with at(Q3_FINAL_DAY, 15):
        run(lambda: services.publish(db.session.get(ScorePeriod, dataset["period"].id), _user(office),
                                     Q3_FINAL_DAY))
    with at(date(2026, 10, 20)):
        # the office finds that A3 was never due: cancelling it removes its "overdue at period end"
        run(lambda: disclosure.cancel(_task(dataset["ids"]["A3"].id), _user(office), "经核实属于过程性信息"))
        # and the nightly provisional run of the current quarter does not touch the published one
        from tracker.scores.tasks import nightly
        run(lambda: nightly(datetime.now(CHINA)))
    assert _figures(app, "mzj") == EXPECTED["mzj"]  # frozen

    with at(date(2026, 10, 21)):
        outcome = run(lambda: services.compute(parse_period("2026-Q3"), date(2026, 10, 21), actor=_user(office)))
    with app.app_context():
        from tracker.scores.models import ScoreRerun
        rerun = db.session.scalar(db.select(ScoreRerun).where(ScoreRerun.state == "pending"))
        changed = {r["code"]: (r["old_total"], r["new_total"]) for r in rerun.changed}
    assert outcome.rerun is not None
    assert changed == {"mzj": ("91.50", "93.50")}  # old → new, the town unchanged
    assert _figures(app, "mzj")["total"] == "91.5"  # still the published figure until accepted

    with at(date(2026, 10, 21), 11):
        run(lambda: services.accept_rerun(db.session.get(ScoreRerun, rerun.id), _user(office)))
    assert _figures(app, "mzj") == EXPECTED["mzj"] | {"proactive": "34.5", "total": "93.5"}
    assert _figures(app, "dongning") == EXPECTED["dongning"]
