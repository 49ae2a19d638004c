"""Every figure of the bulletin's unit table, on a constructed third quarter of 2026, against a
count made by hand from the records (the rules are in tracker/bulletins/figures.py).

Three units: 民政局 (tasks of every kind), 财政局 (applications of every kind, one task) and 绥阳镇
(nothing published, 督办 and rectification items of every kind). Records are made through the real
services on the days they happened (time is frozen at each step). Working days of 2026 used below
(from the State Council notice): 20 working days after 06-15 is 07-14, after 08-03 is 08-31,
after 08-24 is 09-20 (a make-up Sunday), after 09-01 is 09-29; the first working day of the
fourth quarter is 10-08 (National Day holiday 10-01..07).
"""
from contextlib import contextmanager
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tracker.extensions import db

CHINA = ZoneInfo("Asia/Shanghai")
URL = "https://www.dongning.gov.cn/zwgk/item.html"


@contextmanager
def on(day: date, hour: int = 10):
    """Everything inside happens at ``hour`` o'clock China time on ``day``; committed at the end."""
    with time_machine.travel(datetime.combine(day, time(hour), tzinfo=CHINA), tick=False):
        yield
        db.session.commit()


class World:
    """The three units, their people and the records of the constructed quarter."""

    def __init__(self, make):
        self.a_unit = make.unit(code="mzj", name="民政局")
        self.b_unit = make.unit(code="czj", name="财政局")
        self.c_unit = make.unit(code="suiyang", name="绥阳镇", kind="town")
        self.office_unit = make.unit(code="gkb", name="政务公开办", kind="office")
        self.duty_a = make.duty(self.a_unit, title="临时救助情况", review_required=False)
        self.duty_a_review = make.duty(self.a_unit, title="城乡低保资金发放情况", review_required=True)
        self.duty_b = make.duty(self.b_unit, title="预算执行情况", review_required=False)
        self.duty_c = make.duty(self.c_unit, title="农村低保对象名单", review_required=False)
        self.users = {k: make.user(role, unit=u) for k, role, u in (
            ("a", "contact", self.a_unit), ("b", "contact", self.b_unit), ("c", "contact", self.c_unit),
            ("office", "office", self.office_unit))}


def _get(model, obj):
    return db.session.get(model, obj.id)


@pytest.fixture
def quarter(app, make):
    """Build the quarter; returns (world, handles to the records the tests move later)."""
    from tracker.accounts.models import User
    from tracker.applications import services as apps
    from tracker.disclosure import services as ds
    from tracker.disclosure.models import Duty
    from tracker.inspections import services as ins
    from tracker.inspections import urging
    from tracker.units.models import Unit

    w = World(make)
    h = {}
    with app.app_context():
        a, b, c, office = (db.session.get(User, w.users[k].id) for k in ("a", "b", "c", "office"))
        duty_a, duty_ar, duty_b, duty_c = (db.session.get(Duty, d.id) for d in (w.duty_a, w.duty_a_review,
                                                                                  w.duty_b, w.duty_c))

        def task(duty, formed, title):
            with on(formed, 9):
                t = ds.create_task(duty, formed, title, None, None)
            return t

        def ack(t, user, day):
            with on(day):
                ds.acknowledge(t, user)

        def publish(t, user, day):
            with on(day, 15):
                ds.publish(t, user, ds.PublicationRecord(day, ["website"], URL), day)

        # 民政局
        t1 = task(duty_a, date(2026, 6, 15), "T1 按时公开")          # due 07-14
        ack(t1, a, date(2026, 6, 16))
        publish(t1, a, date(2026, 7, 10))
        t2 = task(duty_a, date(2026, 8, 3), "T2 逾期公开")           # due 08-31
        ack(t2, a, date(2026, 8, 4))
        publish(t2, a, date(2026, 9, 4))
        t3 = task(duty_a, date(2026, 8, 24), "T3 下季度才公开")       # due 09-20, published 10-15 (below)
        ack(t3, a, date(2026, 8, 25))
        t4 = task(duty_a, date(2026, 9, 1), "T4 签收迟且未公开")      # due 09-29; acknowledge limit 09-04
        ack(t4, a, date(2026, 9, 10))
        t5 = task(duty_a, date(2026, 9, 20), "T5 第四季度到期")       # due 10-23
        ack(t5, a, date(2026, 9, 21))
        t6 = task(duty_a, date(2026, 4, 1), "T6 第二季度到期")        # due 04-30
        ack(t6, a, date(2026, 4, 2))
        publish(t6, a, date(2026, 4, 20))
        t7 = task(duty_a, date(2026, 8, 10), "T7 已撤销")             # due 09-07, cancelled
        with on(date(2026, 8, 20)):
            ds.cancel(t7, office, "经核实不属于主动公开范围")
        t8 = task(duty_ar, date(2026, 8, 21), "T8 待审核")            # due 09-18, draft submitted, never approved
        ack(t8, a, date(2026, 8, 21))
        with on(date(2026, 9, 10)):
            ds.submit_draft(t8, a, ds.Draft("2026年8月城乡低保资金发放情况", ["website"], "proactive",
                                            no_state_secret=True, privacy="absent"))
        task(duty_a, date(2026, 9, 1), "T9 未签收")                   # due 09-29, never acknowledged
        h["t3"], h["t1"] = t3.id, t1.id

        # 财政局: one task on time; applications
        tb = task(duty_b, date(2026, 7, 1), "TB1 按时公开")          # due 07-29
        ack(tb, b, date(2026, 7, 1))
        publish(tb, b, date(2026, 7, 15))
        with on(date(2026, 7, 16)):                                   # the office's check fails once
            ds.fail_verification(tb, office, "网址无法打开")
        publish(tb, b, date(2026, 7, 20))                             # corrected, still before 07-29

        def application(received, title):
            with on(received):
                app_, _ = apps.register_application({
                    "channel": "in_person", "receipt_date": received, "unit_id": w.b_unit.id,
                    "applicant_kind": "natural", "applicant_name": "王建华", "id_number": "230102198001010011",
                    "phone": "13800000000", "title": title, "description": title, "form_wanted": "paper",
                    "delivery_wanted": "post"}, actor=b)
            return app_

        def reply(app_, replied, delivered):
            with on(delivered, 16):
                apps.reply(app_, "grant", replied, "post", delivered, actor=b)

        p1 = application(date(2026, 7, 1), "P1 按时答复")            # due 07-29
        reply(p1, date(2026, 7, 20), date(2026, 7, 20))
        p2 = application(date(2026, 8, 3), "P2 逾期答复")            # due 08-31
        reply(p2, date(2026, 9, 2), date(2026, 9, 3))
        p3 = application(date(2026, 8, 20), "P3 超期未答复")          # due 09-17
        p4 = application(date(2026, 9, 1), "P4 跨季度暂停")           # due 09-29 before the pause
        with on(date(2026, 9, 10)):
            apps.start_consultation(p4, date(2026, 9, 10), "third_party", "东宁市恒达建材有限公司", actor=b)
        p5 = application(date(2026, 6, 1), "P5 第二季度到期")          # due 06-30
        reply(p5, date(2026, 6, 20), date(2026, 6, 22))
        p6 = application(date(2026, 8, 10), "P6 已撤回")              # due 09-07, withdrawn
        with on(date(2026, 8, 20)):
            apps.withdraw(p6, date(2026, 8, 20), "申请人撤回", actor=b)
        h["p3"], h["p4"] = p3.id, p4.id
        assert (p1.due_date, p2.due_date, p3.due_date, p5.due_date) == (
            date(2026, 7, 29), date(2026, 8, 31), date(2026, 9, 17), date(2026, 6, 30))
        assert p4.due_date is None  # paused: no deadline while the consultation runs

        # 绥阳镇: nothing published, urged twice in the quarter, rectification items of every kind
        tc = task(duty_c, date(2026, 8, 21), "TC1 未公开")           # due 09-18
        ack(tc, c, date(2026, 8, 21))
        h["tc"] = tc.id
        with on(date(2026, 9, 14)):
            urging.urge("task", tc.id, office, "请按期公开", date(2026, 9, 14))    # at risk
        with on(date(2026, 9, 28)):
            urging.urge("task", tc.id, office, "已逾期，请立即公开", date(2026, 9, 28))  # overdue
        c_unit = db.session.get(Unit, w.c_unit.id)

        def rect(issued, text):
            with on(issued, 9):
                item = ins.issue_rectification(c_unit, text, 10, office, issued, issued_on=issued)
            return item

        def answer(item, day):
            with on(day):
                ins.respond(item, c, "已整改", [("截图.png", b"\x89PNG\r\n\x1a\n shot")], day)

        r1 = rect(date(2026, 7, 6), "R1 按期整改")                    # due 07-20
        answer(r1, date(2026, 7, 15))
        with on(date(2026, 7, 17)):
            ins.accept(r1, office)
        r2 = rect(date(2026, 8, 3), "R2 逾期整改")                    # due 08-17
        answer(r2, date(2026, 8, 25))
        with on(date(2026, 8, 26)):
            ins.accept(r2, office)
        rect(date(2026, 9, 1), "R3 未整改")                           # due 09-15
        rect(date(2026, 9, 25), "R4 第四季度到期")                     # due 10-15
        r5 = rect(date(2026, 8, 3), "R5 退回未重报")                   # due 08-17
        answer(r5, date(2026, 8, 14))
        with on(date(2026, 8, 20)):
            ins.return_item(r5, office, "截图不清晰，看不出已更新")
        assert [t.due_date for t in (t1, t2, t3, t4, t5, t8)] == [
            date(2026, 7, 14), date(2026, 8, 31), date(2026, 9, 20), date(2026, 9, 29), date(2026, 10, 23),
            date(2026, 9, 18)]
        assert (r1.due_date, r2.due_date, r5.due_date) == (date(2026, 7, 20), date(2026, 8, 17), date(2026, 8, 17))
    return w, h


COLUMNS = ["tasks_due", "tasks_on_time", "tasks_late", "tasks_overdue", "ack_delays", "verify_failures", "published",
           "apps_due", "apps_on_time", "apps_late", "apps_overdue", "rect_open", "rect_missed", "urgings"]


def _rows(figures):
    return {r["name"]: [r[k] for k in COLUMNS] for r in figures["rows"]}


def test_every_figure_of_the_third_quarter_equals_the_hand_count(app, quarter):
    from tracker.bulletins import figures
    from tracker.bulletins.quarters import Quarter

    with app.app_context(), time_machine.travel(datetime(2026, 10, 8, 9, tzinfo=CHINA), tick=False):
        result = figures.compute(Quarter(2026, 3), date(2026, 10, 8))
    rows = _rows(result)
    #                 due on-time late overdue ack failed pub | apps due on-time late overdue | rect open missed | urged
    assert rows["民政局"] == [6, 1, 1, 4, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0]
    # 民政局: due in Q3 are T1 T2 T3 T4 T8 T9 (T5 falls due in Q4, T6 in Q2, T7 was cancelled);
    # T3 (due 09-20) is not published yet on 10-08: still overdue; T8's draft is only in review: overdue;
    # acknowledged late: T4 (on 09-10, limit 09-04) and T9 (never); published in Q3: T1, T2.
    assert rows["财政局"] == [1, 1, 0, 0, 0, 1, 1, 3, 1, 1, 1, 0, 0, 0]
    # 财政局: TB1 failed the office's check once, was corrected on 07-20 (on time); P1 on time, P2 delivered 09-03 after 08-31, P3 not replied; P4 is paused across the
    # quarter's end (no deadline), P5 fell due in Q2, P6 was withdrawn.
    assert rows["绥阳镇"] == [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 3, 2]
    # 绥阳镇: open R3 R4 R5; not done by the deadline R2 (answered 08-25 > 08-17), R3 (never
    # answered), R5 (its answer was returned); R1 was answered in time, R4 falls due in Q4.
    assert [result["totals"][k] for k in COLUMNS] == [8, 2, 1, 5, 2, 1, 3, 3, 1, 1, 1, 3, 3, 2]
    assert result["no_output"] == ["绥阳镇"]
    assert [u["urged_on"] for u in result["urgings"]] == ["2026-09-14", "2026-09-28"]
    assert result["as_of"] == "2026-10-08" and result["scores"] is False


def test_a_task_published_in_the_next_quarter_counts_late_in_its_own_quarter_only(app, quarter):
    """T3 (due 2026-09-20) published on 2026-10-15: in the third quarter it moves from 逾期未公开 to
    逾期公开 once the figures are taken after that day; the fourth quarter counts it as published
    information of its own quarter, never as due there."""
    from tracker.accounts.models import User
    from tracker.bulletins import figures
    from tracker.bulletins.quarters import Quarter
    from tracker.disclosure import services as ds
    from tracker.disclosure.models import Task

    w, h = quarter
    with app.app_context():
        with on(date(2026, 10, 15)):
            ds.publish(db.session.get(Task, h["t3"]), db.session.get(User, w.users["a"].id),
                       ds.PublicationRecord(date(2026, 10, 15), ["website"], URL), date(2026, 10, 15))
        with time_machine.travel(datetime(2026, 10, 20, 9, tzinfo=CHINA), tick=False):
            q3 = _rows(figures.compute(Quarter(2026, 3), date(2026, 10, 20)))
        with time_machine.travel(datetime(2027, 1, 4, 9, tzinfo=CHINA), tick=False):
            q4 = _rows(figures.compute(Quarter(2026, 4), date(2027, 1, 4)))
    assert q3["民政局"][:7] == [6, 1, 2, 3, 2, 0, 2]   # T3 now late, no longer overdue; published in Q3 still T1, T2
    # Q4, 民政局: only T5 (due 10-23, never published) fell due; T3 is published information of Q4.
    assert q4["民政局"][:7] == [1, 0, 0, 1, 0, 0, 1]


def test_an_application_paused_across_the_quarter_end_counts_where_its_moved_deadline_falls(app, quarter):
    """P4 received 2026-09-01 (due 09-29) was paused from the consultation letter on 09-10 to the
    answer on 10-08 (15 working days, the National Day holiday between): its deadline moves to
    10-26, so it counts in the fourth quarter, and in the third in no figures."""
    from tracker.accounts.models import User
    from tracker.applications import services as apps
    from tracker.applications.models import Application
    from tracker.bulletins import figures
    from tracker.bulletins.quarters import Quarter

    w, h = quarter
    with app.app_context():
        with on(date(2026, 10, 8), 15):
            p4 = db.session.get(Application, h["p4"])
            apps.end_consultation(p4, date(2026, 10, 8), "无异议", actor=db.session.get(User, w.users["b"].id))
        assert db.session.get(Application, h["p4"]).due_date == date(2026, 10, 26)
        with time_machine.travel(datetime(2026, 10, 20, 9, tzinfo=CHINA), tick=False):
            q3 = _rows(figures.compute(Quarter(2026, 3), date(2026, 10, 20)))
        with time_machine.travel(datetime(2027, 1, 4, 9, tzinfo=CHINA), tick=False):
            q4 = _rows(figures.compute(Quarter(2026, 4), date(2027, 1, 4)))
    assert q3["财政局"][7:11] == [3, 1, 1, 1]
    assert q4["财政局"][7:11] == [1, 0, 0, 1]        # P4: due 10-26, not replied
    assert q4["绥阳镇"][11:] == [3, 1, 0]             # R4 (due 10-15) not done: missed in Q4; no 督办 in Q4


def test_the_figures_take_a_fixed_number_of_queries_however_many_units(app, make):
    """Bounded queries: the same count for 3 units as for 30."""
    from sqlalchemy import event

    from tracker.bulletins import figures
    from tracker.bulletins.quarters import Quarter

    def count_queries():
        with app.app_context():
            seen = []
            listener = lambda *args: seen.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                figures.compute(Quarter(2026, 3), date(2026, 10, 8))
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(seen)

    for _ in range(3):
        unit = make.unit()
        make.task(make.duty(unit), formed=date(2026, 8, 3))
    few = count_queries()
    for _ in range(27):
        unit = make.unit()
        make.task(make.duty(unit), formed=date(2026, 8, 3))
    assert count_queries() == few
