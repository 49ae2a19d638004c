"""督查整改 in the scores: each rectification item not done by its deadline −2 (scoring.md), as a
pure rule over rows handed in and through a computed score linked to the item."""
from datetime import date
from types import SimpleNamespace

from sqlalchemy import select

from tracker.extensions import db
from tracker.scores import rules
from tracker.scores.models import Score, ScoreItem, ScorePeriod
from tracker.scores.numbers import points_text
from tracker.scores.periods import Period
from tracker.workcal.engine import WorkCalendar

from .scores_helpers import at

Q3 = Period(2026, 3)
END = date(2026, 9, 30)


def item(id, due, state="open", answered=None, completed=None):
    return SimpleNamespace(id=id, unit_id=7, title=f"整改{id}", issued_on=date(2026, 7, 1), due_date=due, state=state,
                           answered_on=answered, completed_on=completed)


def run(items, period=Q3, as_of=END):
    return rules.evaluate("rectification_overdue", items, period, as_of, {}, WorkCalendar())


def test_each_item_due_in_the_period_and_not_done_by_its_deadline_is_found():
    rows = [
        item(1, date(2026, 8, 17), "closed", date(2026, 8, 25), date(2026, 8, 25)),    # answered late: counts
        item(2, date(2026, 7, 20), "closed", date(2026, 7, 15), date(2026, 7, 15)),    # in time: no
        item(3, date(2026, 9, 15)),                                                   # never answered: counts
        item(4, date(2026, 8, 17), "returned", date(2026, 8, 14)),                    # answer returned: counts
        item(5, date(2026, 9, 15), "submitted", date(2026, 9, 14)),                   # in time, awaiting acceptance
        item(6, date(2026, 10, 15)),                                                  # due in the next quarter
        item(7, date(2026, 9, 30)),                                                   # due on the period's last day
        item(8, date(2026, 9, 29), "closed", date(2026, 10, 9), date(2026, 10, 9)),   # done only after as_of
    ]
    found = run(rows)
    assert [f.record_id for f in found] == [1, 3, 4, 8]
    assert {f.record_type for f in found} == {"rectification"}
    assert "整改期限 2026-08-17，2026-08-25 才报送整改情况" in found[0].detail
    assert "截至 2026-09-30 未完成整改" in found[1].detail
    assert "截至 2026-09-30 未完成整改" in found[3].detail  # as the quarter's end saw it


def test_the_rule_is_in_the_default_rubric_and_no_longer_a_slot():
    spec = rules.RULES["rectification_overdue"]
    assert spec.available and spec.category == "inspection" and spec.points == 2 and spec.rows == "rectifications"


def test_a_computed_score_loses_two_points_per_missed_item_linked_to_it(app, make, login):
    from tracker.accounts.models import User
    from tracker.inspections import services as ins
    from tracker.inspections.models import Rectification
    from tracker.scores import services

    office = make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    town = make.unit(code="suiyang", name="绥阳镇", kind="town")
    other = make.unit(code="mzj", name="民政局")
    contact = make.user("contact", unit=town)
    late = make.rectification(town, issued_on=date(2026, 8, 3), requirement="补充公开预算")     # due 08-17
    never = make.rectification(town, issued_on=date(2026, 9, 1), requirement="更新低保名单")   # due 09-15
    on_time = make.rectification(town, issued_on=date(2026, 7, 6), requirement="修复链接")     # due 07-20
    make.rectification(other, issued_on=date(2026, 10, 9), requirement="下季度到期")
    with app.app_context():
        o, c = db.session.get(User, office.id), db.session.get(User, contact.id)
        for rect, answered in ((late, date(2026, 8, 25)), (on_time, date(2026, 7, 15))):
            ins.respond(db.session.get(Rectification, rect.id), c, "已整改", [("a.png", b"\x89PNG\r\n\x1a\n x")], answered)
            ins.accept(db.session.get(Rectification, rect.id), o)
        db.session.commit()
        with at(date(2026, 10, 8)):
            services.compute(Q3, date(2026, 10, 8))
            db.session.commit()
        period = db.session.scalar(select(ScorePeriod).where(ScorePeriod.key == "2026-Q3"))
        scores = {s.unit_code: s for s in db.session.scalars(select(Score).where(Score.period_id == period.id))}
        category = {c["key"]: c for c in scores["suiyang"].figures["categories"]}["inspection"]
        found = db.session.scalars(select(ScoreItem).where(ScoreItem.score_id == scores["suiyang"].id,
                                                           ScoreItem.kind == "rectification_overdue")).all()
        assert points_text(category["score"]) == "6"     # 10 − 2 × 2
        assert sorted(i.record_id for i in found) == sorted([late.id, never.id])
        other_category = {c["key"]: c for c in scores["mzj"].figures["categories"]}["inspection"]
        assert points_text(other_category["score"]) == "10"  # its item falls due in the next quarter
    with at(date(2026, 10, 8)):
        html = login(office).get(f"/scores/2026-Q3/units/{town.id}").get_data(as_text=True)
    assert f'href="/rectifications/{never.id}"' in html and "整改逾期未完成" in html
