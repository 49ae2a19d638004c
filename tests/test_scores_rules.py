"""The automatic rules as pure functions over rows handed in (no database), the registry, the
periods and the tally (caps, bonus cap, voids, categories with nothing due)."""
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tracker.errors import ServiceError
from tracker.scores import rules
from tracker.scores.engine import Draft, tally
from tracker.scores.periods import Period, parse_period, quarter_of
from tracker.scores.rubrics import default_spec
from tracker.workcal.engine import WorkCalendar

CAL = WorkCalendar()
Q3 = Period(2026, 3)
END = date(2026, 9, 30)


def task(id=1, due=date(2026, 7, 29), published=None, open_=True, issued=date(2026, 7, 1), acked=date(2026, 7, 2)):
    done = not open_
    return SimpleNamespace(id=id, unit_id=7, title=f"任务{id}", due_date=due, published_on=published, issued_on=issued,
                           acknowledged_on=acked, is_open=open_, is_done=done,
                           published_late=bool(done and published and published > due))


def run(kind, rows, period=Q3, as_of=END, params=None):
    return rules.evaluate(kind, rows, period, as_of, params or {}, CAL)


# --- periods -------------------------------------------------------------------------------------------

def test_a_quarter_and_a_year_are_parsed_with_their_days():
    q = parse_period("2026-Q3")
    assert (q.start, q.end, q.label) == (date(2026, 7, 1), date(2026, 9, 30), "2026年第3季度")
    y = parse_period("2026")
    assert (y.start, y.end, y.label, y.quarters()[0].key) == (date(2026, 1, 1), date(2026, 12, 31), "2026年度", "2026-Q1")
    assert parse_period("2026-Q1").previous().key == "2025-Q4" and quarter_of(date(2026, 11, 27)).key == "2026-Q4"


@pytest.mark.parametrize("text", ["2026-Q5", "2026Q", "26-Q3", "", "2026-03", "二〇二六"])
def test_a_malformed_period_is_refused_in_chinese(text):
    with pytest.raises(ServiceError, match="考核期格式不正确"):
        parse_period(text)


def test_a_running_period_counts_up_to_yesterday_and_an_ended_one_up_to_its_end():
    assert Q3.as_of(date(2026, 8, 15)) == date(2026, 8, 14)
    assert Q3.as_of(date(2026, 10, 9)) == END


# --- 主动公开 ---------------------------------------------------------------------------------------------

def test_published_after_its_deadline_counts_once_in_the_quarter_it_fell_due():
    late = task(1, published=date(2026, 8, 5), open_=False)
    on_time = task(2, published=date(2026, 7, 20), open_=False)
    due_in_q2 = task(3, due=date(2026, 6, 2), published=date(2026, 7, 8), open_=False)
    found = run("published_late", [late, on_time, due_in_q2])
    assert [f.record_id for f in found] == [1]
    assert "公开期限 2026-07-29，实际发布 2026-08-05" in found[0].detail


def test_a_task_published_late_only_after_the_period_end_was_still_overdue_then():
    after_end = task(1, due=date(2026, 9, 20), published=date(2026, 10, 12), open_=False)
    assert run("published_late", [after_end]) == []
    assert [f.record_id for f in run("overdue_at_end", [after_end])] == [1]


def test_still_open_after_its_deadline_at_period_end_counts_and_a_later_deadline_does_not():
    overdue = task(1, due=date(2026, 9, 29))
    due_on_last_day = task(2, due=date(2026, 9, 30))  # not published by the end of its deadline day
    due_next_quarter = task(3, due=date(2026, 10, 14))
    assert [f.record_id for f in run("overdue_at_end", [overdue, due_on_last_day, due_next_quarter])] == [1, 2]


def test_a_provisional_score_counts_only_deadlines_passed_by_yesterday():
    not_yet = task(1, due=date(2026, 8, 20))
    assert run("overdue_at_end", [not_yet], as_of=date(2026, 8, 14)) == []
    assert len(run("overdue_at_end", [not_yet], as_of=date(2026, 8, 20))) == 1


def test_acknowledgement_is_due_three_working_days_after_issue():
    # issued Wednesday 2026-07-01: due by Monday 07-06 (the weekend does not count)
    on_time = task(1, issued=date(2026, 7, 1), acked=date(2026, 7, 6))
    late = task(2, issued=date(2026, 7, 1), acked=date(2026, 7, 7))
    never = task(3, issued=date(2026, 7, 1), acked=None)
    found = run("not_acknowledged", [on_time, late, never], params={"days": 3})
    assert [f.record_id for f in found] == [2, 3]
    assert "应于 2026-07-06 前签收" in found[0].detail


def test_the_acknowledgement_limit_is_a_parameter_of_the_rubric():
    late_by_three = task(1, issued=date(2026, 7, 1), acked=date(2026, 7, 9))
    assert len(run("not_acknowledged", [late_by_three], params={"days": 3})) == 1
    assert run("not_acknowledged", [late_by_three], params={"days": 10}) == []


def test_an_acknowledgement_limit_falling_in_the_next_quarter_counts_there():
    issued_at_quarter_end = task(1, issued=date(2026, 9, 29), acked=None)  # limit 2026-10-09
    assert run("not_acknowledged", [issued_at_quarter_end]) == []
    assert len(run("not_acknowledged", [issued_at_quarter_end], period=Period(2026, 4),
                   as_of=date(2026, 12, 31))) == 1


# --- 依申请公开 -------------------------------------------------------------------------------------------

def reply(id=1, due=date(2026, 7, 29), closed=None, late=False, running=True):
    return SimpleNamespace(id=id, unit_id=7, tracking_code=f"YSQ-{id}", title="申请", due_date=due, closed_on=closed,
                           reply_late=late, is_closed=closed is not None, is_running=running and closed is None)


def test_a_reply_after_its_deadline_and_an_unanswered_application_past_it_count():
    late = reply(1, closed=date(2026, 8, 3), late=True)
    on_time = reply(2, closed=date(2026, 7, 20), late=False)
    unanswered = reply(3)
    paused = reply(4, running=False)  # waiting for the applicant's correction or fee: no reply is due
    found = run("reply_late", [late, on_time, unanswered, paused])
    assert [f.record_id for f in found] == [1, 3]
    assert "答复期限 2026-07-29，2026-08-03 才答复" == found[0].detail


def test_a_correction_notice_sent_after_seven_working_days_counts_when_it_was_sent():
    def notice(id, received, sent):
        return SimpleNamespace(application_id=id, unit_id=7, tracking_code=f"YSQ-{id}", title="申请",
                               receipt_date=received, sent_on=sent)
    # received 2026-07-01: the notice must go out by 2026-07-10 (Art. 30)
    found = run("correction_late", [notice(1, date(2026, 7, 1), date(2026, 7, 10)),
                                     notice(2, date(2026, 7, 1), date(2026, 7, 13))])
    assert [f.record_id for f in found] == [2]
    assert "应于 2026-07-10 前告知补正" in found[0].detail


def test_a_reconsideration_decided_against_the_unit_counts_in_the_quarter_it_was_decided():
    def case(id, result, decided):
        return SimpleNamespace(id=id, unit_id=7, kind="reconsideration", kind_label="行政复议",
                               filed_on=date(2026, 6, 1), decided_on=decided, result=result, tracking_code="YSQ-1")
    found = run("case_corrected", [case(1, "corrected", date(2026, 8, 20)), case(2, "upheld", date(2026, 8, 20)),
                                   case(3, "corrected", date(2026, 10, 2))])
    assert [f.record_id for f in found] == [1]


def test_no_active_contact_costs_the_unit_once():
    units = [SimpleNamespace(unit_id=1, name="甲", has_contact=True), SimpleNamespace(unit_id=2, name="乙",
                                                                                     has_contact=False)]
    assert [f.record_id for f in run("no_active_contact", units)] == [2]


# --- the registry --------------------------------------------------------------------------------------

def test_every_rule_names_its_source_and_slots_wait_for_their_module():
    for kind, spec in rules.RULES.items():
        assert spec.source and ("条例" in spec.source or "实践" in spec.source or "国办" in spec.source), kind
        assert spec.available == (spec.fn is not None)
        if not spec.available:
            assert spec.awaiting and run(kind, [object()]) == []
    assert {"annual_report_late", "annual_report_inconsistent", "rectification_overdue"} <= set(rules.RULES)


def test_filling_a_slot_is_one_decorated_function(monkeypatch):
    monkeypatch.setitem(rules.RULES, "rectification_overdue", rules.RULES["rectification_overdue"])  # restored after

    @rules.rule("rectification_overdue", "整改逾期未完成", category="inspection", points="2", rows="rectifications")
    def rectification_overdue(rows, period, as_of, params, calendar):
        """《政府信息公开条例》第四十七条：督促整改。"""
        return [rules.Finding(r.unit_id, "rectification", r.id, r.title, "逾期") for r in rows]

    assert rules.RULES["rectification_overdue"].available
    assert [f.record_id for f in run("rectification_overdue", [SimpleNamespace(unit_id=1, id=5, title="整改")])] == [5]


# --- the tally -----------------------------------------------------------------------------------------

def item(key, category, points):
    return Draft(key, category, "k", Decimal(points), None, None, "x", "", "r", "")


def test_a_category_loses_at_most_its_points_and_the_bonus_is_capped():
    spec = default_spec()
    t = tally(spec, [item("a", "interpretation", "4"), item("b", "interpretation", "3"), item("c", "bonus", "4"),
                     item("d", "bonus", "3")], set())
    interpretation = next(c for c in t.categories if c.key == "interpretation")
    assert (interpretation.deducted, interpretation.score, interpretation.capped) == (Decimal(7), Decimal(0), True)
    assert t.bonus == Decimal(5) and t.total == Decimal(100)  # 95 + 5


def test_categories_with_nothing_due_keep_full_points_and_voided_items_count_for_nothing():
    spec = default_spec()
    t = tally(spec, [item("a", "proactive", "2"), item("b", "proactive", "0.5")], voided={"a"})
    assert [(c.key, c.score) for c in t.categories if c.key != "proactive"] == [
        (c.key, c.points) for c in spec.categories if c.key != "proactive"]
    assert t.total == Decimal("99.5")


def test_the_default_rubric_is_scoring_md():
    spec = default_spec()
    assert [(c.name, c.points) for c in spec.categories] == [
        ("组织制度", 10), ("主动公开", 35), ("依申请公开", 20), ("年度报告", 10), ("督查整改", 10), ("保密审查", 10),
        ("解读回应", 5)]
    sizes = {r.kind: r.points for _, r in spec.rule_settings()}
    assert sizes == {"no_active_contact": 5, "published_late": 2, "overdue_at_end": 2, "not_acknowledged": Decimal("0.5"),
                     "reply_late": 6, "case_corrected": 3, "correction_late": 1, "annual_report_late": 5,
                     "annual_report_inconsistent": 5, "rectification_overdue": 2,
                     # scoring.md's "stale or empty columns: −1 per finding", read by 网站巡查, and its
                     # link errors and privacy leaks (tracker/website/scoring.py)
                     "website_columns": 1, "website_links": Decimal("0.5"), "website_privacy": 2}
    assert spec.bonus_cap == 5 and spec.total_points == 100


def test_each_failed_verification_counts_on_the_day_it_failed():
    def failure(id, day):
        return SimpleNamespace(id=id, unit_id=7, task_id=3, title="低保名单", day=day, reason="网址无法打开")
    found = run("verification_failed", [failure(1, date(2026, 8, 3)), failure(2, date(2026, 9, 1)),
                                        failure(3, date(2026, 10, 9))])
    assert [f.record_id for f in found] == [1, 2] and found[0].record_type == "task_event"
    assert found[0].detail == "2026-08-03 核验未通过：网址无法打开"
    assert "verification_failed" not in {r.kind for _, r in default_spec().rule_settings()}  # the office adds it


def report(unit_id=7, handed=None, refused=None, due=date(2026, 1, 20), report_id=11):
    from tracker.reports.scoring import ReportFacts
    return ReportFacts(unit_id, 2025, report_id, "民政局2025年政府信息公开工作年度报告", due, handed, refused,
                       ("“行政复议”的总计为1，但前四项之和为0。",) if refused else ())


def test_an_annual_report_handed_in_after_its_due_date_or_not_at_all_counts_in_the_quarter_it_fell_due():
    q1, end = Period(2026, 1), date(2026, 3, 31)
    found = run("annual_report_late", [report(1, handed=date(2026, 1, 20)), report(2, handed=date(2026, 1, 23)),
                                       report(3, report_id=None)], period=q1, as_of=end)
    assert [(f.unit_id, f.record_type, f.record_id) for f in found] == [(2, "annual_report", 11),
                                                                         (3, "report_year", 2025)]
    assert found[1].detail == "报送期限 2026-01-20，截至 2026-03-31 未报送"
    assert run("annual_report_late", [report(3, report_id=None)], period=q1, as_of=date(2026, 1, 20)) == []
    assert run("annual_report_late", [report(2, handed=date(2026, 1, 23))], period=Q3) == []  # due in Q1


def test_a_report_refused_by_the_consistency_check_counts_once_when_it_was_refused():
    q1 = Period(2026, 1)
    found = run("annual_report_inconsistent", [report(1, handed=date(2026, 1, 23), refused=date(2026, 1, 22)),
                                               report(2, handed=date(2026, 1, 10))], period=q1,
                as_of=date(2026, 3, 31))
    assert [f.unit_id for f in found] == [1]
    assert found[0].detail == "2026-01-22 报送时勾稽校验未通过：“行政复议”的总计为1，但前四项之和为0。"


# --- 社会评议 -------------------------------------------------------------------------------------------

def test_a_dissatisfied_rating_in_the_period_costs_points_only_where_the_rubric_has_the_rule():
    def rating(id, level, day, reason="late"):
        return SimpleNamespace(id=id, unit_id=7, level=level, reason=reason, rated_on=day)
    found = run("rating_dissatisfied", [rating(1, "dissatisfied", date(2026, 8, 3)),
                                        rating(2, "basic", date(2026, 8, 3)),
                                        rating(3, "dissatisfied", date(2026, 10, 3))])
    assert [(f.record_type, f.record_id) for f in found] == [("application_rating", 1)]
    assert "答复不及时" in found[0].detail and "申请" not in found[0].label  # names no application
    kinds = {r.kind for c in default_spec().categories for r in c.rules}
    assert "rating_dissatisfied" not in kinds  # off unless the office puts it in a rubric
