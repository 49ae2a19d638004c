"""Table 三 and table 四 from a constructed year of applications; figures computed by hand."""
from datetime import date, datetime, timezone

import pytest
import time_machine

from tracker.applications import services as s
from tracker.applications.models import Application
from tracker.applications.statistics import (
    COLUMNS,
    check_table_four,
    check_table_three,
    table_four,
    table_three,
)
from tracker.extensions import db

# Acts dated months before the day they are recorded here: the 补录 rules are tested on their own.
pytestmark = pytest.mark.usefixtures("recorded_history")

D = date


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 12, 31, 2, 0, tzinfo=timezone.utc), tick=False):
        yield


def _reply(app_obj, outcome, on):
    s.reply(db.session.get(Application, app_obj.id), outcome, on, "signed", on)


@pytest.fixture
def year(app, make):
    unit, other = make.unit(name="民政局"), make.unit(name="财政局")
    m = make.application
    with_outcome = [
        # carried over from 2025
        (m(unit, D(2025, 12, 10)), "grant", D(2026, 1, 8)),
        (m(unit, D(2025, 12, 20), "commercial"), "deny.third_party", D(2026, 1, 15)),
        (m(unit, D(2025, 12, 28), "research"), "partial", D(2026, 2, 10)),
        (m(unit, D(2025, 11, 1)), "grant", D(2025, 11, 20)),  # closed in 2025: not in 2026's table
        # new in 2026
        (m(unit, D(2026, 3, 2)), "grant", D(2026, 3, 20)),
        (m(unit, D(2026, 4, 1)), "grant", D(2026, 4, 28)),
        (m(unit, D(2026, 5, 6)), "unable.not_held", D(2026, 5, 20)),
        (m(unit, D(2026, 6, 1), "commercial"), "reject.repeat", D(2026, 6, 5)),
        (m(unit, D(2026, 7, 1), "legal_service"), "partial", D(2026, 7, 20)),
        (m(unit, D(2026, 8, 3), "other"), "deny.state_secret", D(2026, 8, 20)),
        (m(other, D(2026, 8, 3)), "grant", D(2026, 8, 10)),  # another unit
    ]
    no_correction = m(unit, D(2026, 3, 2))
    no_payment = m(unit, D(2026, 5, 6), "public_welfare")
    withdrawn = m(unit, D(2026, 9, 1))
    m(unit, D(2026, 12, 20))  # still open on Dec 31
    m(unit, D(2026, 12, 28), "commercial")
    with app.app_context():
        for a, outcome, on in with_outcome:
            _reply(a, outcome, on)
        s.request_correction(db.session.get(Application, no_correction.id), D(2026, 3, 5), D(2026, 3, 19), "请补充")
        s.send_fee_notice(db.session.get(Application, no_payment.id), D(2026, 5, 8), None, "volume", 250)
        s.close_lapsed_applications(D(2026, 7, 1))
        s.withdraw(db.session.get(Application, withdrawn.id), D(2026, 9, 10), "申请人书面撤回")
        # cases
        first = db.session.get(Application, with_outcome[0][0].id)
        s.add_case(first, "reconsideration", D(2026, 2, 1), "upheld", D(2026, 4, 1))
        s.add_case(first, "lawsuit_direct", D(2026, 3, 1))
        s.add_case(first, "lawsuit_after", D(2026, 8, 1), "corrected", D(2026, 11, 1))
        s.add_case(first, "reconsideration", D(2025, 12, 15), "other", D(2025, 12, 30))  # last year's
        db.session.commit()
    return unit, other


def col(**values):
    row = [values.get(c, 0) for c in COLUMNS[:-1]]
    return row + [sum(row)]


def test_table_three_for_a_constructed_year(app, year):
    unit, _ = year
    with app.app_context():
        t = table_three(2026, unit.id).as_dict()
    assert t["new"] == col(natural=6, commercial=2, public_welfare=1, legal_service=1, other=1)
    assert t["carried"] == col(natural=1, commercial=1, research=1)
    assert t["grant"] == col(natural=3)
    assert t["partial"] == col(research=1, legal_service=1)
    assert t["deny.third_party"] == col(commercial=1)
    assert t["deny.state_secret"] == col(other=1)
    assert t["unable.not_held"] == col(natural=1)
    assert t["reject.repeat"] == col(commercial=1)
    assert t["other.no_correction"] == col(natural=1)
    assert t["other.no_payment"] == col(public_welfare=1)
    assert t["other.other"] == col(natural=1)
    assert t["total"] == col(natural=6, commercial=2, research=1, public_welfare=1, legal_service=1, other=1)
    assert t["carry_next"] == col(natural=1, commercial=1)
    assert t["deny"] is None and t["outcomes"] is None  # heading rows carry no figures
    assert t["deny.process"] == col()


def test_constructed_year_satisfies_the_consistency_rules(app, year):
    unit, other = year
    with app.app_context():
        assert check_table_three(table_three(2026, unit.id)) == []
        whole = table_three(2026)
        assert check_table_three(whole) == []
        assert whole.row("grant").values == col(natural=4)  # the other unit's application counts city-wide
        assert table_three(2026, other.id).row("new").values == col(natural=1)
        # 2025: the three carried-over ones are its 四
        assert table_three(2025, unit.id).row("carry_next").values == col(natural=1, commercial=1, research=1)


def test_check_names_the_broken_cell(app, year):
    unit, _ = year
    with app.app_context():
        t = table_three(2026, unit.id)
    t.row("new").values[0] += 1
    t.row("new").values[-1] += 1
    errors = check_table_three(t)
    assert any(e.startswith("“自然人”列：一（7）+二（1）=8，不等于（七）总计（6）+四（1）=7") for e in errors)
    t.row("new").values[-1] -= 1
    errors = check_table_three(t)
    assert any("“一、本年新收政府信息公开申请数量”行：总计为11" in e for e in errors)
    t.row("grant").values[0] -= 1
    assert any("（七）总计为6，但（一）至（六）各项之和为5" in e for e in check_table_three(t))


def test_table_four_counts_cases_filed_in_the_year(app, year):
    unit, other = year
    with app.app_context():
        four = table_four(2026, unit.id)
        assert four == {"reconsideration": [1, 0, 0, 0, 1], "lawsuit_direct": [0, 0, 0, 1, 1],
                        "lawsuit_after": [0, 1, 0, 0, 1]}
        assert check_table_four(four) == []
        assert table_four(2026, other.id)["reconsideration"] == [0, 0, 0, 0, 0]
        assert table_four(2025)["reconsideration"] == [0, 0, 1, 0, 1]
    broken = {"reconsideration": [1, 0, 0, 0, 2], "lawsuit_direct": [0] * 5, "lawsuit_after": [0] * 5}
    assert check_table_four(broken) == ["“行政复议”的总计为2，但前四项之和为1。"]
