"""Computing, publishing and the items of scores: periods and their states, the scheduled sweeps
(idempotent, each unit in isolation), manual items, voids, objections with notifications, the
rubric's versions and the ranking."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.notify.models import Notification, OutboxMail
from tracker.scores import items, rules, services
from tracker.scores.models import ManualEntry, Objection, Score, ScoreItem, ScorePeriod
from tracker.scores.periods import Period, parse_period
from tracker.scores.tasks import finalise, nightly
from tracker.timeutil import CHINA

from .reports_helpers import write_own_words
from .scores_helpers import at, get, run, task_with_history

Q3 = Period(2026, 3)
FINAL_DAY = date(2026, 10, 8)  # the first working day after 2026-Q3


@pytest.fixture
def city(app, make):
    office = make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    a = make.unit(code="mzj", name="民政局", kind="department")
    b = make.unit(code="czj", name="财政局", kind="department")
    t = make.unit(code="dongning", name="东宁镇", kind="town")
    contacts = {u.code: make.user("contact", unit=u) for u in (a, b, t)}
    reviewer = make.user("reviewer", unit=a)
    return {"office": office, "a": a, "b": b, "t": t, "contacts": contacts, "reviewer": reviewer,
            "duty": make.duty(a, title="城乡低保资金发放情况", review_required=False)}


def _score(app, code, key):
    with app.app_context():
        return db.session.scalar(select(Score).join(ScorePeriod).where(Score.unit_code == code, ScorePeriod.key == key))


def _category(app, code, key, category):
    from tracker.scores.numbers import points_text
    return points_text(next(c["score"] for c in _score(app, code, key).figures["categories"] if c["key"] == category))


def _period(app, key):
    with app.app_context():
        return db.session.scalar(select(ScorePeriod).where(ScorePeriod.key == key))


def _late_in_q3(app, make, city):
    """A task of 民政局 due 2026-07-29 and published 2026-08-05: −2 in Q3 and in the year."""
    return task_with_history(app, make, city["duty"], city["contacts"]["mzj"], date(2026, 7, 1), date(2026, 8, 5))


# --- periods and the scheduled sweeps ------------------------------------------------------------------

def test_a_running_quarter_is_provisional_up_to_yesterday_and_final_once_ended(app, make, city):
    _late_in_q3(app, make, city)
    run(app, lambda: services.compute(Q3, date(2026, 8, 4)))
    row = _period(app, "2026-Q3")
    assert (row.state, row.as_of) == ("provisional", date(2026, 8, 3))
    assert _kinds(app, "mzj") == ["overdue_at_end"]  # due 07-29, not yet published on 08-03
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    row = _period(app, "2026-Q3")
    assert (row.state, row.as_of) == ("final", date(2026, 9, 30))
    assert _kinds(app, "mzj") == ["published_late"]  # published on 08-05
    assert _score(app, "mzj", "2026-Q3").total == Decimal(98)


def _kinds(app, code, key="2026-Q3"):
    with app.app_context():
        return db.session.scalars(select(ScoreItem.kind).join(Score).join(ScorePeriod).where(
            Score.unit_code == code, ScorePeriod.key == key)).all()


def test_the_nightly_sweep_computes_the_current_quarter_and_year_once_a_day(app, make, city):
    with at(date(2026, 8, 15), 1):
        first = run(app, lambda: nightly(datetime.now(CHINA)))
        again = run(app, lambda: nightly(datetime.now(CHINA)))
    assert set(first) == {"2026-Q3", "2026"} and first["2026-Q3"]["computed"] == 3 and again == {}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Score)) == 6  # 3 units × (quarter, year)
    with at(date(2026, 8, 16), 1):
        assert set(run(app, lambda: nightly(datetime.now(CHINA)))) == {"2026-Q3", "2026"}
    assert _period(app, "2026-Q3").as_of == date(2026, 8, 15)


def test_final_figures_come_on_the_first_working_day_after_the_quarter_once(app, make, city):
    with at(date(2026, 10, 7), 9):  # still the National Day holiday
        assert run(app, lambda: finalise(datetime.now(CHINA))) == {}
    with at(FINAL_DAY, 9):
        done = run(app, lambda: finalise(datetime.now(CHINA)))
        assert run(app, lambda: finalise(datetime.now(CHINA))) == {}
    assert set(done) == {"2026-Q3"} and _period(app, "2026-Q3").state == "final"
    with app.app_context():
        told = db.session.scalars(select(Notification.title).where(Notification.user_id == city["office"].id)).all()
    assert told == ["【考核得分待发布】2026年第3季度"]


def test_after_the_fourth_quarter_the_year_is_finalised_too(app, make, city):
    with at(date(2027, 1, 4), 9):
        done = run(app, lambda: finalise(datetime.now(CHINA)))
    assert set(done) == {"2026-Q4", "2026"}
    assert _period(app, "2026").state == "final" and _period(app, "2026").as_of == date(2026, 12, 31)


def test_a_unit_whose_rules_fail_is_named_and_the_others_are_computed(app, make, city, monkeypatch):
    _late_in_q3(app, make, city)
    real = rules.RULES["published_late"].fn

    def broken(tasks, *args):
        if any(t.unit_id == city["a"].id for t in tasks):
            raise ValueError("记录损坏")
        return real(tasks, *args)
    monkeypatch.setattr(rules.RULES["published_late"], "fn", broken)
    outcome = run(app, lambda: services.compute(Q3, FINAL_DAY))
    assert set(outcome.failures) == {"mzj"} and "记录损坏" in outcome.failures["mzj"]
    assert _score(app, "mzj", "2026-Q3") is None and _score(app, "czj", "2026-Q3").total == 100
    assert _period(app, "2026-Q3").failures == outcome.failures
    with pytest.raises(ServiceError, match="有1个单位计算失败"):
        run(app, lambda: services.publish(get(ScorePeriod, _period(app, "2026-Q3")), get(User, city["office"]),
                                          FINAL_DAY))
    monkeypatch.setattr(rules.RULES["published_late"], "fn", real)
    run(app, lambda: services.compute(Q3, FINAL_DAY))  # fixed: the failure is gone
    assert _period(app, "2026-Q3").failures is None and _score(app, "mzj", "2026-Q3").total == 98


def test_a_unit_whose_score_cannot_be_stored_is_rolled_back_alone(app, make, city, monkeypatch):
    _late_in_q3(app, make, city)
    real = services.apply_items

    def broken(score, current, drafts, voids):
        real(score, current, drafts, voids)
        if score.unit_code == "mzj":
            db.session.flush()
            raise RuntimeError("磁盘写入失败")
    monkeypatch.setattr(services, "apply_items", broken)
    outcome = run(app, lambda: services.compute(Q3, FINAL_DAY))
    assert set(outcome.failures) == {"mzj"} and outcome.computed == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScoreItem)) == 0  # mzj's items rolled back
        assert db.session.scalar(select(func.count()).select_from(Score)) == 2


def test_the_year_is_computed_over_the_years_records_not_the_average_of_its_quarters(app, make, city):
    contact = city["contacts"]["mzj"]
    task_with_history(app, make, city["duty"], contact, date(2026, 2, 2), date(2026, 3, 20))   # late, Q1
    task_with_history(app, make, city["duty"], contact, date(2026, 7, 1), date(2026, 8, 5))    # late, Q3
    task_with_history(app, make, city["duty"], contact, date(2026, 4, 1), date(2026, 4, 10))   # on time, Q2
    today = date(2027, 1, 10)
    for key in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026"):
        run(app, lambda: services.compute(parse_period(key), today))
    quarters = [_score(app, "mzj", f"2026-Q{q}").total for q in range(1, 5)]
    assert quarters == [98, 100, 98, 100]
    assert _category(app, "mzj", "2026", "proactive") == "31"  # both late publications; averaged: 34
    assert _score(app, "mzj", "2026").total == 96  # (no annual reports run in the tracker for 2025: not counted)


# --- manual items and voids ---------------------------------------------------------------------------

def test_a_manual_deduction_needs_a_type_of_the_rubric_within_its_range_and_a_reason(app, make, city):
    office, unit = city["office"], city["a"]
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    for category, type_key, points, reason, message in [
            ("interpretation", "finding", "3", "理由", "分值须在1分范围内"),
            ("interpretation", "nope", "1", "理由", "请选择评分细则中的扣分或加分项目"),
            ("interpretation", "finding", "一分", "理由", "分值须为数字"),
            ("interpretation", "finding", "1", "  ", "请填写理由"),
            ("bonus", "highlight", "6", "理由", "分值须在0.5～5分范围内")]:
        with pytest.raises(ServiceError, match=message):
            make.manual_item(unit, "2026-Q3", category, type_key, points, reason, by=office, today=FINAL_DAY)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ManualEntry)) == 0


def test_a_quarters_manual_item_counts_in_its_year_too(app, make, city):
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    run(app, lambda: services.compute(Period(2026), FINAL_DAY))
    make.manual_item(city["a"], "2026-Q3", "confidentiality", "leak", "10", "网站公开了含身份证号的名单",
                     by=city["office"], today=FINAL_DAY)
    assert _score(app, "mzj", "2026-Q3").total == 90 and _category(app, "mzj", "2026", "confidentiality") == "0"
    run(app, lambda: services.compute(Period(2026), FINAL_DAY))  # and stays on recomputation
    assert _category(app, "mzj", "2026", "confidentiality") == "0"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "scores.manual_deduction"))
        assert event.note == "网站公开了含身份证号的名单" and event.actor_id == city["office"].id


def test_a_void_holds_in_the_quarter_and_the_year_and_survives_recomputation(app, make, city):
    task = _late_in_q3(app, make, city)
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    run(app, lambda: services.compute(Period(2026), FINAL_DAY))
    key = f"published_late:task:{task.id}"

    def void():
        item = db.session.scalar(select(ScoreItem).join(Score).join(ScorePeriod).where(
            ScoreItem.key == key, ScorePeriod.key == "2026-Q3"))
        items.void_item(item, "网站故障，非单位原因", get(User, city["office"]))
    run(app, void)
    assert _score(app, "mzj", "2026-Q3").total == 100 and _category(app, "mzj", "2026", "proactive") == "35"
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    assert _score(app, "mzj", "2026-Q3").total == 100
    with pytest.raises(ServiceError, match="该项已撤销"):
        run(app, void)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "scores.void")) == 2  # one per score it changed


def test_only_the_office_enters_and_voids(app, make, city):
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    with pytest.raises(ServiceError, match="只有公开办"):
        make.manual_item(city["a"], "2026-Q3", "interpretation", "finding", "1", by=city["contacts"]["mzj"],
                         today=FINAL_DAY)


# --- publication and objections -----------------------------------------------------------------------

@pytest.fixture
def published(app, make, city):
    task = _late_in_q3(app, make, city)
    make.manual_item(city["a"], "2026-Q3", "bonus", "highlight", "1", "经验做法被转载", by=city["office"],
                     today=FINAL_DAY)
    with at(FINAL_DAY, 15):
        make.scores("2026-Q3", FINAL_DAY, publish_by=city["office"])
    with app.app_context():
        item = db.session.scalar(select(ScoreItem).where(ScoreItem.key == f"published_late:task:{task.id}"))
        bonus = db.session.scalar(select(ScoreItem).where(ScoreItem.category == "bonus"))
        db.session.expunge_all()
    return {**city, "item": item, "bonus": bonus}


def _object(app, item_id, user, today, reason="发布当天网站故障，有运维记录"):
    return run(app, lambda: items.file_objection(db.session.get(ScoreItem, item_id), get(User, user), reason, today,
                                                 ("运维记录.pdf", b"%PDF-1.4 log")))


def test_publishing_freezes_the_period_and_tells_each_unit_its_score_and_objection_deadline(app, make, published):
    row = _period(app, "2026-Q3")
    assert row.state == "published" and row.objection_deadline == date(2026, 10, 14)  # 5 working days (Saturday 10-10 is a make-up day)
    with app.app_context():
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.user_id == published["contacts"]["mzj"].id,
                                                          OutboxMail.subject.like("【考核得分发布】%")))
        bell = db.session.scalar(select(Notification).where(Notification.user_id == published["reviewer"].id))
    assert "99分" in mail.subject and "2026-10-14" in mail.body_text
    assert bell.title == "【考核得分发布】2026年第3季度：99分"
    with pytest.raises(ServiceError, match="不能再录入"):
        make.manual_item(published["a"], "2026-Q3", "interpretation", "finding", "1", by=published["office"],
                         today=FINAL_DAY)
    with pytest.raises(ServiceError, match="只有期末计算完成的得分才能发布"):
        run(app, lambda: services.publish(get(ScorePeriod, row), get(User, published["office"]), FINAL_DAY))


def test_a_contact_objects_within_five_working_days_and_the_office_is_told(app, published):
    objection = _object(app, published["item"].id, published["contacts"]["mzj"], date(2026, 10, 14))
    with app.app_context():
        o = db.session.get(Objection, objection.id)
        assert (o.state, o.item_points, o.evidence.original_name) == ("pending", Decimal("2.00"), "运维记录.pdf")
        told = db.session.scalar(select(Notification).where(Notification.user_id == published["office"].id,
                                                            Notification.title.like("【考核申辩】%")))
        mailed = db.session.scalar(select(OutboxMail).where(OutboxMail.user_id == published["office"].id,
                                                            OutboxMail.subject.like("【考核申辩】%")))
    assert told is not None and "发布当天网站故障" in told.body and mailed is not None


@pytest.mark.parametrize("case, message", [
    ("late", "申辩期限已过（2026-10-14）"), ("twice", "已对该项扣分提出过申辩"), ("bonus", "加分项不需要申辩"),
    ("other_unit", "只有本单位联络员或审核人"), ("office", "只有本单位联络员或审核人")])
def test_objections_are_refused_out_of_time_twice_on_bonuses_and_from_others(app, published, case, message):
    item, day, who = published["item"].id, date(2026, 10, 12), published["contacts"]["mzj"]
    if case == "late":
        day = date(2026, 10, 15)
    elif case == "twice":
        _object(app, item, who, day)
    elif case == "bonus":
        item = published["bonus"].id
    elif case == "other_unit":
        who = published["contacts"]["czj"]
    elif case == "office":
        who = published["office"]
    with pytest.raises(ServiceError, match=message):
        _object(app, item, who, day)


def _decide(app, objection, accept, reply, office):
    run(app, lambda: items.decide_objection(db.session.get(Objection, objection.id), accept, reply, get(User, office)))


def _told(app, user, prefix):
    with app.app_context():
        bells = db.session.scalars(select(Notification.title).where(Notification.user_id == user.id,
                                                                    Notification.title.like(prefix + "%"))).all()
        mails = db.session.scalars(select(OutboxMail.subject).where(OutboxMail.user_id == user.id,
                                                                    OutboxMail.subject.like(prefix + "%"))).all()
        return bells, mails


def test_an_accepted_objection_voids_the_deduction_and_the_unit_hears_of_it(app, published):
    run(app, lambda: services.compute(Period(2026), FINAL_DAY))  # the year holds the same deduction
    objection = _object(app, published["item"].id, published["contacts"]["mzj"], date(2026, 10, 12))
    _decide(app, objection, True, "核实属实，撤销扣分", published["office"])
    assert _score(app, "mzj", "2026-Q3").total == 101  # 100 and the bonus point
    assert _category(app, "mzj", "2026", "proactive") == "35" and _score(app, "mzj", "2026").bonus == 1
    with app.app_context():
        o = db.session.get(Objection, objection.id)
        assert (o.state, o.reply, o.decided_by_id) == ("accepted", "核实属实，撤销扣分", published["office"].id)
        item = db.session.get(ScoreItem, published["item"].id)
        assert item.void.reason == "申辩成立：核实属实，撤销扣分" and item.void.objection_id == o.id
    for user in (published["contacts"]["mzj"], published["reviewer"]):
        bells, mails = _told(app, user, "【申辩答复】")
        assert len(bells) == 1 and "申辩成立" in bells[0] and len(mails) == 1


def test_a_rejected_objection_keeps_the_deduction_with_the_reply(app, published):
    objection = _object(app, published["item"].id, published["contacts"]["mzj"], date(2026, 10, 12))
    _decide(app, objection, False, "运维记录显示当天网站可正常访问", published["office"])
    assert _score(app, "mzj", "2026-Q3").total == 99
    bells, mails = _told(app, published["contacts"]["mzj"], "【申辩答复】")
    assert "申辩不成立" in bells[0] and len(mails) == 1
    with pytest.raises(ServiceError, match="该申辩已答复"):
        _decide(app, objection, True, "再议", published["office"])


def test_the_objection_mail_reaches_the_office_over_smtp(app, published, smtp):
    from tracker.notify.sender import send_due_mails
    _object(app, published["item"].id, published["contacts"]["mzj"], date(2026, 10, 12))
    run(app, lambda: send_due_mails(datetime.now(CHINA) + timedelta(minutes=1), limit=100))
    got = smtp.sink.to(published["office"].email)
    assert any(m["Subject"].startswith("【考核申辩】民政局") for m in got)


# --- rubric versions -----------------------------------------------------------------------------------

def test_a_rubric_used_by_a_published_score_gets_a_new_version_and_the_score_keeps_its_own(app, published):
    from tracker.scores import rubrics

    def edit():
        rubric = rubrics.latest(2026)
        spec = rubrics.spec_of(rubric)
        next(r for _, r in spec.rule_settings() if r.kind == "published_late").points = Decimal(3)
        return rubrics.save(rubric, spec, get(User, published["office"]), "逾期发布加重扣分")
    new = run(app, edit)
    assert new.version == 2
    score = _score(app, "mzj", "2026-Q3")
    with app.app_context():
        assert db.session.get(Score, score.id).rubric.label == "2026年评分细则（第1版）"
    assert score.total == 99  # published under version 1
    run(app, lambda: services.compute(Period(2026), FINAL_DAY))
    year = _score(app, "mzj", "2026")
    with app.app_context():
        assert db.session.get(Score, year.id).rubric.version == 2
    assert _category(app, "mzj", "2026", "proactive") == "32"  # −3 under version 2


def test_an_unused_rubric_is_edited_in_place_and_a_new_year_copies_the_last(app, city):
    from tracker.scores import rubrics

    def edit():
        rubric = rubrics.rubric_for_year(2026)
        spec = rubrics.spec_of(rubric)
        spec.bonus_cap = Decimal(8)
        return rubrics.save(rubric, spec, get(User, city["office"]))
    assert run(app, edit).version == 1
    copy = run(app, lambda: rubrics.rubric_for_year(2027))
    assert copy.version == 1 and copy.note == "复制自2026年评分细则（第1版）"
    with app.app_context():
        assert rubrics.spec_of(rubrics.latest(2027)).bonus_cap == 8


def test_an_inconsistent_rubric_is_refused_naming_each_problem(app, city):
    from tracker.errors import ValidationErrors
    from tracker.scores import rubrics

    def edit():
        rubric = rubrics.rubric_for_year(2026)
        spec = rubrics.spec_of(rubric)
        spec.categories[0].rules[0].points = Decimal(50)        # more than the category's 10
        spec.categories[1].name = spec.categories[2].name        # two categories with one name
        spec.categories[1].rules[2].params = {"days": 0}
        return rubrics.save(rubric, spec, get(User, city["office"]))
    with pytest.raises(ValidationErrors) as exc:
        run(app, edit)
    assert len(exc.value.errors) == 3
    assert any("不超过该类别分值" in e for e in exc.value.errors) and any("名称重复" in e for e in exc.value.errors)


# --- ranking ---------------------------------------------------------------------------------------------

def test_the_ranking_shares_ranks_separates_kinds_and_shows_the_change(app, make, city):
    from tracker.scores import ranking
    run(app, lambda: services.compute(Period(2026, 2), FINAL_DAY))
    make.manual_item(city["b"], "2026-Q3", "interpretation", "finding", "1", by=city["office"], today=FINAL_DAY)
    make.manual_item(city["t"], "2026-Q3", "interpretation", "finding", "1", by=city["office"], today=FINAL_DAY)
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    with app.app_context():
        office = db.session.get(User, city["office"].id)
        rows = ranking.ranking(services.find_period(Q3), office)
        got = {r.score.unit_code: (r.rank, r.rank_in_kind, r.change) for r in rows}
        towns = ranking.ranking(services.find_period(Q3), office, kind="town")
    assert got == {"mzj": (1, 1, 0), "czj": (2, 2, -1), "dongning": (2, 1, -1)}
    assert [r.score.unit_code for r in towns] == ["dongning"]
    assert ranking.competition_ranks([Decimal(90), Decimal(95), Decimal(90), Decimal(80)]) == [2, 1, 2, 4]


def test_a_deactivated_unit_leaves_the_unpublished_ranking(app, make, city):
    from tracker.units.models import Unit
    from tracker.units.services import set_unit_active
    run(app, lambda: services.compute(Q3, date(2026, 8, 4)))
    run(app, lambda: set_unit_active(get(Unit, city["b"]), False, "机构改革撤并"))
    run(app, lambda: services.compute(Q3, date(2026, 8, 5)))
    assert _score(app, "czj", "2026-Q3") is None and _score(app, "mzj", "2026-Q3") is not None


def test_a_rule_the_office_adds_to_the_rubric_counts_from_then_on(app, make, city):
    """核验未通过 is not in the default rubric; added to 2026's, each failed verification costs a point
    and links to the task's timeline."""
    from tracker.disclosure import services as disclosure
    from tracker.disclosure.models import Task
    from tracker.scores import rubrics
    from tracker.scores.rubrics import RuleSetting

    task = task_with_history(app, make, city["duty"], city["contacts"]["mzj"], date(2026, 7, 1), date(2026, 7, 10))
    with at(date(2026, 7, 15)):
        run(app, lambda: disclosure.fail_verification(get(Task, task), get(User, city["office"]), "网址无法打开"))

    def add_rule():
        rubric = rubrics.rubric_for_year(2026)
        spec = rubrics.spec_of(rubric)
        spec.category("proactive").rules.append(RuleSetting("verification_failed", Decimal(1)))
        return rubrics.save(rubric, spec, get(User, city["office"]), "核验未通过纳入考核")
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    assert _score(app, "mzj", "2026-Q3").total == 98  # rework is open again: overdue at the end (−2)
    run(app, add_rule)
    run(app, lambda: services.compute(Q3, FINAL_DAY))
    assert _score(app, "mzj", "2026-Q3").total == 97
    assert sorted(_kinds(app, "mzj")) == ["overdue_at_end", "verification_failed"]
    with app.test_request_context():
        from tracker.scores.links import links
        item = db.session.scalar(select(ScoreItem).where(ScoreItem.kind == "verification_failed"))
        assert links([item], db.session.get(User, city["office"].id)) == {item.id: f"/disclosure/tasks/{task.id}#timeline"}


def test_a_failing_unit_of_the_nightly_run_is_listed_on_the_system_health_page(app, make, city, monkeypatch):
    from tracker import sweeps
    from tracker.sweeps.models import JobFailure

    def broken(units, *args):
        raise KeyError("has_contact")
    monkeypatch.setattr(rules.RULES["no_active_contact"], "fn", broken)
    with at(date(2026, 8, 15), 1), app.app_context():
        with sweeps.run("scores-provisional") as job:
            job.result = nightly(datetime.now(CHINA))
        failures = db.session.scalars(select(JobFailure).where(JobFailure.job == "scores-provisional")).all()
        assert {(f.record_type, f.record_id, f.record_label) for f in failures} == {
            ("score", f"{key}:{u.id}", f"{label}考核得分：{u.name}") for u in (city["a"], city["b"], city["t"])
            for key, label in (("2026-Q3", "2026年第3季度"), ("2026", "2026年度"))}
        assert failures[0].error == "记录数据不完整或不一致，处理时出错"
        assert db.session.scalar(select(ScorePeriod.failures).where(ScorePeriod.key == "2026-Q3"))["mzj"].startswith(
            "记录数据不完整或不一致")


# --- 年度报告: the annual report module's facts --------------------------------------------------------

def test_annual_reports_handed_in_late_or_refused_by_the_consistency_check_cost_points(app, make, city):
    """2025's reports are due by 2026-01-20 (the office's internal date). 民政局 is refused by the
    consistency check on 01-22 and hands in on 01-23 (late): −5 −5; 财政局 never hands in: −5 once
    the date has passed; 东宁镇 hands in on time: full points. All in 2026-Q1."""
    from tracker.reports import services as reports
    from tracker.reports import workflow
    from tracker.reports.models import AnnualReport
    from tracker.units.models import Unit

    office, contacts = city["office"], city["contacts"]
    reviewers = {"mzj": city["reviewer"], "dongning": make.user("reviewer", unit=city["t"])}

    def ready(code, unit):
        report = workflow.start_report(2025, get(Unit, unit), get(User, contacts[code]))
        write_own_words(report)
        workflow.submit_for_review(report, get(User, contacts[code]))
        workflow.approve(report, get(User, reviewers[code]))
        return report

    def resubmit(report_id, code, total):
        report = db.session.get(AnnualReport, report_id)
        workflow.reopen(report, get(User, contacts[code]))
        workflow.set_override(report, "four/reconsideration/total", total, "手工录入" if total != "0" else "",
                              get(User, contacts[code]))
        workflow.submit_for_review(report, get(User, contacts[code]))
        workflow.approve(report, get(User, reviewers[code]))
        return workflow.submit(report, get(User, contacts[code])).decision

    with at(date(2026, 1, 5)):
        run(app, lambda: reports.set_due_date(2025, date(2026, 1, 20), get(User, office)))
        late = run(app, lambda: ready("mzj", city["a"]))
        on_time = run(app, lambda: ready("dongning", city["t"]))
    with at(date(2026, 1, 6)):
        run(app, lambda: workflow.submit(db.session.get(AnnualReport, on_time.id), get(User, contacts["dongning"])))
    with at(date(2026, 1, 22)):
        assert run(app, lambda: resubmit(late.id, "mzj", "1")) == "refused"
    with at(date(2026, 1, 23)):
        assert run(app, lambda: resubmit(late.id, "mzj", "0")) is None  # handed in, waiting for the office

    # a provisional score on the due date itself does not count a report not yet handed in
    run(app, lambda: services.compute(Period(2026, 1), date(2026, 1, 21)))
    assert next(c for c in _score(app, "czj", "2026-Q1").figures["categories"]
                if c["key"] == "annual_report")["score"] == "10"
    run(app, lambda: services.compute(Period(2026, 1), date(2026, 4, 8)))
    categories = {code: next(c for c in _score(app, code, "2026-Q1").figures["categories"]
                             if c["key"] == "annual_report")["score"] for code in ("mzj", "czj", "dongning")}
    assert categories == {"mzj": "0", "czj": "5", "dongning": "10"}
    with app.test_request_context(), app.app_context():
        from tracker.scores.links import links
        items = db.session.scalars(select(ScoreItem).where(ScoreItem.category == "annual_report")
                                   .order_by(ScoreItem.kind, ScoreItem.id)).all()
        got = {(i.kind, i.detail): url for i, url in zip(items, [links([i], get(User, office)).get(i.id)
                                                                  for i in items])}
    assert got == {
        ("annual_report_inconsistent", "2026-01-22 报送时勾稽校验未通过：“行政复议”的总计为1，但前四项之和为0。"):
            f"/reports/2025/units/{city['a'].id}",
        ("annual_report_late", "报送期限 2026-01-20，2026-01-23 才报送"): f"/reports/2025/units/{city['a'].id}",
        ("annual_report_late", "报送期限 2026-01-20，截至 2026-03-31 未报送"): "/reports/?year=2025"}


def test_report_years_the_tracker_did_not_run_are_not_counted_as_missing(app, make, city):
    from tracker.reports import services as reports
    run(app, lambda: services.compute(Period(2026, 1), date(2026, 4, 8)))
    assert _category(app, "czj", "2026-Q1", "annual_report") == "10"  # nothing about 2025's reports here
    with at(date(2026, 4, 9)):  # the office sets a due date for 2025: that year's reports are in the tracker
        run(app, lambda: reports.set_due_date(2025, date(2026, 1, 20), get(User, city["office"])))
    run(app, lambda: services.compute(Period(2026, 1), date(2026, 4, 9)))
    assert _category(app, "czj", "2026-Q1", "annual_report") == "5"


# --- which periods there are to compute, and periods with nothing to score -----------------------------

def test_the_periods_to_choose_are_those_since_the_first_record_newest_first(app, make, city):
    with app.app_context():
        assert [p.label for p in services.computable_periods(date(2026, 11, 27))] == ["2026年度", "2026年第4季度"]
    _late_in_q3(app, make, city)  # due 2026-07-29
    with app.app_context():
        assert [p.key for p in services.computable_periods(date(2027, 1, 5))] == [
            "2027", "2027-Q1", "2026", "2026-Q4", "2026-Q3"]


def test_a_period_before_any_records_is_not_published_and_its_page_says_why(app, make, city, login):
    _late_in_q3(app, make, city)
    with at(FINAL_DAY, 15):
        make.scores("2026-Q2", FINAL_DAY)
    row = _period(app, "2026-Q2")
    assert row.state == "final" and _score(app, "mzj", "2026-Q2").total == 100  # full marks for nothing
    with pytest.raises(ServiceError, match="没有任何到期的公开任务或政府信息公开申请"):
        run(app, lambda: services.publish(get(ScorePeriod, row), get(User, city["office"]), FINAL_DAY))
    assert _period(app, "2026-Q2").state == "final"
    with at(FINAL_DAY, 16):
        page = login(city["office"]).get("/scores/periods/2026-Q2").get_data(as_text=True)
        q3 = (make.scores("2026-Q3", FINAL_DAY), login(city["office"]).get("/scores/periods/2026-Q3").get_data(as_text=True))[1]
    assert 'id="no-records"' in page and 'id="no-records"' not in q3
