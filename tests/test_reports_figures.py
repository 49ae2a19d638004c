"""The annual report's tables 二, 三 and 四 for a constructed year, every cell computed by hand, for
a unit and for the city; the JSON export shows the same figures under the official labels."""
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import time_machine

from tracker.accounts.models import User
from tracker.applications import services as apps
from tracker.applications.models import Application
from tracker.extensions import db
from tracker.reports import exports, formats, normative, services, workflow
from tracker.reports.models import AnnualReport, NormativeDocument
from tracker.units.models import Unit

from .reports_helpers import write_own_words

# Acts dated months before the day they are recorded here: the 补录 rules are tested on their own.
pytestmark = pytest.mark.usefixtures("recorded_history")

D = date
COLS = ["natural", "commercial", "research", "public_welfare", "legal_service", "other", "total"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2027, 1, 20, 2, 0, tzinfo=timezone.utc), tick=False):
        yield


def col(**values):
    row = [values.get(c, 0) for c in COLS[:-1]]
    return row + [sum(row)]


def _reply(a, outcome, on):
    apps.reply(db.session.get(Application, a.id), outcome, on, "signed", on)


@pytest.fixture
def city(app, make):
    """Two departments with a year of records, a third that never reports, and the office."""
    office = make.unit("office", "东宁市人民政府办公室（政务公开办）", kind="office")
    a, b, c = make.unit("mzj", "民政局"), make.unit("czj", "财政局"), make.unit("hbj", "环保局")
    people = {"office": make.user("office", unit=office)}
    for name, u in (("a", a), ("b", b), ("c", c)):
        people[name] = (make.user("contact", unit=u), make.user("reviewer", unit=u))

    # table 二 第二十条第（一）项: normative documents of 民政局
    make.published(a, D(2026, 3, 10), normative=True, doc_number="东民规〔2026〕1号")
    t2 = make.published(a, D(2025, 6, 1), normative=True, doc_number="东民规〔2025〕3号")
    t3 = make.published(a, D(2026, 5, 5), normative=True, doc_number="东民规〔2026〕2号")
    t4 = make.published(a, D(2026, 11, 2), normative=True, doc_number="东民规〔2026〕5号",
                        channels=("website", "wechat"))
    make.published(a, D(2026, 4, 1), channels=("website", "weibo", "wechat"), area="社会救助")  # not normative
    make.published(a, D(2026, 4, 8), channels=("other",), area="社会救助", due=D(2026, 4, 7))  # published late
    make.published(b, D(2026, 2, 2), normative=True, doc_number="东财规〔2026〕1号", area="财政预决算")
    with app.app_context():
        actor = db.session.get(User, people["office"].id)
        mzj = db.session.get(Unit, a.id)
        normative.repeal(normative.status_for_task(db.session.get(type(t2), t2.id)), D(2026, 9, 1), "被东民规〔2026〕5号替代", actor)
        normative.set_kind(normative.status_for_task(db.session.get(type(t3), t3.id)), "rule", actor)
        normative.repeal(normative.status_for_task(db.session.get(type(t4), t4.id)), D(2027, 1, 10), "上级文件调整", actor)
        normative.add_document(mzj, "东宁市城乡低保管理办法", "东民规〔2018〕2号", D(2018, 2, 1), "normative", actor)
        old = normative.add_document(mzj, "东宁市临时救助实施细则", "东民规〔2019〕1号", D(2019, 1, 1), "normative", actor)
        normative.repeal(old, D(2025, 12, 1), "已到期", actor)
        # figures from other systems (万元 with decimals)
        services.save_figures(mzj, 2026, {"two/licence/decisions": "12", "two/penalty/decisions": "30",
                                          "two/enforcement/decisions": "4", "two/fee/amount": "1.2345"}, actor)
        services.save_figures(db.session.get(Unit, b.id), 2026, {"two/licence/decisions": "5",
                                                                 "two/fee/amount": "0.5"}, actor)
        services.save_figures(db.session.get(Unit, c.id), 2026, {"two/licence/decisions": "99"}, actor)
        services.save_figures(db.session.get(Unit, office.id), 2026, {"two/penalty/decisions": "2"}, actor)
        db.session.commit()

    m = make.application
    replies = [
        (m(a, D(2025, 12, 10)), "grant", D(2026, 1, 8)),                  # carried over
        (m(a, D(2025, 12, 20), "commercial"), "deny.third_party", D(2026, 1, 15)),
        (m(a, D(2025, 11, 1)), "grant", D(2025, 11, 20)),                 # closed in 2025: not in 2026
        (m(a, D(2026, 3, 2)), "grant", D(2026, 3, 20)),
        (m(a, D(2026, 6, 1), "commercial"), "reject.repeat", D(2026, 6, 5)),
        (m(a, D(2026, 7, 1), "legal_service"), "partial", D(2026, 7, 20)),
        (m(a, D(2026, 8, 3), "research"), "unable.not_held", D(2026, 8, 20)),
        (m(b, D(2026, 8, 3)), "grant", D(2026, 8, 10)),
        (m(b, D(2026, 9, 1), "other"), "deny.state_secret", D(2026, 9, 21)),
        (m(c, D(2026, 9, 1)), "grant", D(2026, 9, 21)),                   # the unit that never reports
    ]
    lapsed, withdrawn, fee = m(a, D(2026, 3, 2)), m(a, D(2026, 9, 1)), m(a, D(2026, 5, 6))
    still_open = m(a, D(2026, 12, 21))
    m(a, D(2026, 12, 28), "public_welfare")
    with app.app_context():
        for x, outcome, on in replies:
            _reply(x, outcome, on)
        apps.request_correction(db.session.get(Application, lapsed.id), D(2026, 3, 5), D(2026, 3, 19), "请补充")
        apps.close_lapsed_applications(D(2026, 4, 1))
        apps.withdraw(db.session.get(Application, withdrawn.id), D(2026, 9, 10), "申请人书面撤回")
        f = db.session.get(Application, fee.id)
        apps.send_fee_notice(f, D(2026, 5, 8), None, "volume", 250)  # 4,700 元
        apps.record_payment(f, D(2026, 5, 12))
        _reply(f, "grant", D(2026, 5, 20))
        first = db.session.get(Application, replies[0][0].id)
        apps.add_case(first, "reconsideration", D(2026, 2, 1), "upheld", D(2026, 4, 1))
        apps.add_case(first, "lawsuit_direct", D(2026, 3, 1))
        apps.add_case(first, "lawsuit_after", D(2026, 8, 1), "corrected", D(2026, 11, 2))
        apps.add_case(first, "reconsideration", D(2026, 10, 9), "corrected", D(2027, 1, 5))  # decided after Dec 31
        closed_2025 = db.session.get(Application, replies[2][0].id)
        apps.add_case(closed_2025, "reconsideration", D(2025, 12, 1), "other", D(2025, 12, 30))  # last year's
        db.session.commit()
    return {"office": office, "a": a, "b": b, "c": c, "people": people, "still_open": still_open}


# --- hand-computed figures ------------------------------------------------------------------------------

# 民政局: normative (行政规范性文件) issued t1, t4; repealed t2 (2026-09-01); in force t1, t4 (repealed only
# in 2027), the 2018 document; 规章: t3.
TWO_A = {"two/rule/issued": 1, "two/rule/repealed": 0, "two/rule/in_force": 1,
         "two/normative/issued": 2, "two/normative/repealed": 1, "two/normative/in_force": 3,
         "two/licence/decisions": 12, "two/penalty/decisions": 30, "two/enforcement/decisions": 4,
         "two/fee/amount": Decimal("1.2345")}
THREE_A = {
    "new": col(natural=5, commercial=1, research=1, public_welfare=1, legal_service=1),
    "carried": col(natural=1, commercial=1),
    "grant": col(natural=3), "partial": col(legal_service=1),
    "deny.state_secret": col(), "deny.law_prohibits": col(), "deny.three_safety": col(),
    "deny.third_party": col(commercial=1), "deny.internal": col(), "deny.process": col(),
    "deny.enforcement_file": col(), "deny.inquiry": col(),
    "unable.not_held": col(research=1), "unable.needs_creation": col(), "unable.still_unclear": col(),
    "reject.petition": col(), "reject.repeat": col(commercial=1), "reject.publication": col(),
    "reject.excessive": col(), "reject.confirm": col(),
    "other.no_correction": col(natural=1), "other.no_payment": col(), "other.other": col(natural=1),
    "total": col(natural=5, commercial=2, research=1, legal_service=1),
    "carry_next": col(natural=1, public_welfare=1),
}
FOUR_A = {"reconsideration": [1, 0, 0, 1, 2], "lawsuit_direct": [0, 0, 0, 1, 1], "lawsuit_after": [0, 1, 0, 0, 1]}

TWO_B = {"two/rule/issued": 0, "two/rule/repealed": 0, "two/rule/in_force": 0,
         "two/normative/issued": 1, "two/normative/repealed": 0, "two/normative/in_force": 1,
         "two/licence/decisions": 5, "two/penalty/decisions": 0, "two/enforcement/decisions": 0,
         "two/fee/amount": Decimal("0.5")}
THREE_B = {k: col() for k in THREE_A} | {"new": col(natural=1, other=1), "grant": col(natural=1),
                                         "deny.state_secret": col(other=1), "total": col(natural=1, other=1)}


def expected_cells(two, three, four):
    cells = dict(two)
    for row, values in three.items():
        cells.update({formats.key("three", row, c): v for c, v in zip(COLS, values)})
    for group, values in four.items():
        cells.update({formats.key("four", group, c): v for c, v in zip(["upheld", "corrected", "other", "pending", "total"], values)})
    return cells


def test_every_cell_of_a_units_report(app, city):
    with app.app_context():
        content = services.unit_content(2026, db.session.get(Unit, city["a"].id))
    want = expected_cells(TWO_A, THREE_A, FOUR_A)
    assert set(content.cells) == set(formats.cell_keys(formats.FORMAT_2021)) == set(want)
    assert {k: v for k, v in content.cells.items() if v != want[k]} == {}
    assert content.problems == []
    assert content.facts["fees"] == {"amount": 4700, "count": 1}
    assert content.facts["published"] == 5  # counted once however many channels
    assert content.facts["by_channel"] == {"website": 4, "weibo": 1, "wechat": 2, "gazette": 0, "other": 1}
    assert content.facts["by_area"]["社会救助"] == 2
    assert content.facts["late"] == 1


def _hand_in(app, city, code):
    contact, reviewer = city["people"][code]
    with app.app_context():
        unit = db.session.get(Unit, city[code].id)
        report = workflow.start_report(2026, unit, db.session.get(User, contact.id))
        write_own_words(report)
        workflow.submit_for_review(report, db.session.get(User, contact.id))
        workflow.approve(report, db.session.get(User, reviewer.id))
        submission = workflow.submit(report, db.session.get(User, contact.id))
        assert submission.decision is None and submission.consistent
        workflow.accept(report, db.session.get(User, city["people"]["office"].id))
        db.session.commit()
        return report.id


def test_city_report_is_the_sum_of_the_accepted_unit_reports_and_the_office(app, city):
    _hand_in(app, city, "a")
    _hand_in(app, city, "b")
    with app.app_context():
        content = services.city_content(2026)
    two = {k: TWO_A[k] + TWO_B[k] for k in TWO_A}
    two["two/penalty/decisions"] += 2          # the office's own figure
    three = {k: [x + y for x, y in zip(THREE_A[k], THREE_B[k])] for k in THREE_A}
    want = expected_cells(two, three, FOUR_A)
    assert {k: (v, want[k]) for k, v in content.cells.items() if v != want[k]} == {}
    assert content.cells["two/licence/decisions"] == 17   # 环保局 (99) never handed in: not counted
    assert content.cells["two/fee/amount"] == Decimal("1.7345")
    assert content.title == "东宁市人民政府2026年政府信息公开工作年度报告"
    assert content.problems == []


def test_json_export_shows_every_cell_under_the_official_labels(app, city):
    _hand_in(app, city, "a")
    _hand_in(app, city, "b")
    with app.app_context():
        unit = json.loads(exports.to_json(services.unit_content(2026, db.session.get(Unit, city["a"].id))))
        whole = json.loads(exports.to_json(services.city_content(2026)))
    two = unit["二、主动公开政府信息情况"]
    assert two["第二十条第（一）项"] == {"规章": {"本年制发件数": 1, "本年废止件数": 0, "现行有效件数": 1},
                                "行政规范性文件": {"本年制发件数": 2, "本年废止件数": 1, "现行有效件数": 3}}
    assert two["第二十条第（五）项"] == {"行政许可": {"本年处理决定数量": 12}}
    assert two["第二十条第（六）项"] == {"行政处罚": {"本年处理决定数量": 30}, "行政强制": {"本年处理决定数量": 4}}
    assert two["第二十条第（八）项"] == {"行政事业性收费": {"本年收费金额（单位：万元）": "1.2345"}}
    three = unit["三、收到和处理政府信息公开申请情况"]["申请人情况"]
    assert three["一、本年新收政府信息公开申请数量"] == {
        "自然人": 5, "法人或其他组织": {"商业企业": 1, "科研机构": 1, "社会公益组织": 1, "法律服务机构": 1, "其他": 0},
        "总计": 9}
    outcomes = three["三、本年度办理结果"]
    assert outcomes["（一）予以公开"]["自然人"] == 3
    assert outcomes["（三）不予公开"]["4.保护第三方合法权益"]["法人或其他组织"]["商业企业"] == 1
    assert outcomes["（六）其他处理"]["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"]["总计"] == 1
    assert outcomes["（七）总计"]["总计"] == 9
    assert three["四、结转下年度继续办理"]["法人或其他组织"]["社会公益组织"] == 1
    four = unit["四、政府信息公开行政复议、行政诉讼情况"]
    assert four["行政复议"] == {"结果维持": 1, "结果纠正": 0, "其他结果": 0, "尚未审结": 1, "总计": 2}
    assert four["行政诉讼"]["复议后起诉"]["结果纠正"] == 1
    # every cell of the JSON equals the report's cell, for the unit and the city
    for doc, want in ((unit, expected_cells(TWO_A, THREE_A, FOUR_A)), (whole, None)):
        flat = _flatten(doc)
        assert len(flat) == len(formats.cell_keys(formats.FORMAT_2021))
        if want:
            assert sorted(map(str, flat)) == sorted(
                formats.format_value(k, v) for k, v in want.items())
    assert whole["二、主动公开政府信息情况"]["第二十条第（六）项"]["行政处罚"]["本年处理决定数量"] == 32
    assert whole["三、收到和处理政府信息公开申请情况"]["申请人情况"]["一、本年新收政府信息公开申请数量"]["总计"] == 11
    assert whole["勾稽校验"] == {"通过": True, "问题": []}


def _flatten(doc):
    """Every figure of the three tables in the JSON (not the note)."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k != "说明":
                    walk(v)
        else:
            out.append(node)
    for section in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"):
        walk(doc[section])
    return out


def test_a_frozen_report_keeps_its_figures_after_a_record_changes(app, city):
    report_id = _hand_in(app, city, "a")
    with app.app_context():
        before = services.city_content(2026).cells
        # a late correction: the application still open on Dec 31 is found to have been replied on Dec 30
        _reply(city["still_open"], "grant", D(2026, 12, 30))
        db.session.commit()
        report = db.session.get(AnnualReport, report_id)
        content = services.unit_content(2026, report.unit, report)
        assert content.frozen
        assert content.cells["three/carry_next/natural"] == 1 and content.cells["three/grant/natural"] == 3
        drifted = {k: (frozen, live) for k, _, frozen, live in content.drift}
        assert drifted == {"three/grant/natural": (3, 4), "three/grant/total": (3, 4),
                           "three/total/natural": (5, 6), "three/total/total": (9, 10),
                           "three/carry_next/natural": (1, 0), "three/carry_next/total": (2, 1)}
        assert services.city_content(2026).cells == before   # the city sums the frozen snapshots
        statuses = {s.unit.code: s for s in services.unit_statuses(2026)}
        assert statuses["mzj"].drifted and not statuses["czj"].drifted



def test_the_overview_checks_drift_when_the_office_asks(app, city, login):
    _hand_in(app, city, "a")
    with app.app_context():
        _reply(city["still_open"], "grant", D(2026, 12, 30))
        db.session.commit()
    office = login(city["people"]["office"])
    page = office.get("/reports/?year=2026").get_data(as_text=True)
    assert "有变动" not in page and "drift=1" in page          # not computed on every view
    checked = office.get("/reports/?year=2026&drift=1").get_data(as_text=True)
    row = checked.split('data-unit="mzj"')[1].split("</tr>")[0]
    assert "有变动" in row and 'id="check-drift"' not in checked


def test_the_2019_format_for_2020(app, make):
    unit = make.unit("mzj", "民政局")
    make.user("contact", unit=unit)
    a = make.application(unit, D(2020, 3, 2))
    with app.app_context():
        apps.withdraw(db.session.get(Application, a.id), D(2020, 3, 9), "撤回")
        services.save_figures(db.session.get(Unit, unit.id), 2020, {
            "two/licence/prev_items": "40", "two/licence/change": "-3", "two/licence/decisions": "7",
            "two/procurement/projects": "2", "two/procurement/amount": "15.5"}, None)
        db.session.commit()
        content = services.unit_content(2020, db.session.get(Unit, unit.id))
        doc = json.loads(exports.to_json(content))
    assert content.fmt.key == "2019"
    assert content.cells["three/other/natural"] == 1 and "three/other.other/natural" not in content.cells
    assert content.cells["two/licence/change"] == -3
    two = doc["二、主动公开政府信息情况"]
    assert two["第二十条第（五）项"]["行政许可"] == {"上一年项目数量": 40, "本年增/减": -3, "处理决定数量": 7}
    assert two["第二十条第（九）项"]["政府集中采购"] == {"采购项目数量": 2, "采购总金额": "15.5"}
    assert "规范性文件" in two["第二十条第（一）项"]
    assert doc["正文"] == {"一、总体情况": "", "五、政府信息公开工作存在的主要问题及改进情况": "", "六、其他需要报告的事项": ""}
    outcomes = doc["三、收到和处理政府信息公开申请情况"]["申请人情况"]["三、本年度办理结果"]
    assert outcomes["（六）其他处理"]["自然人"] == 1


def test_years_before_2019_are_refused(app):
    with app.app_context():
        with pytest.raises(ValueError, match="2019年以前"):
            formats.format_for(2018)


def test_normative_documents_count_by_kind_and_repeal(app, city):
    with app.app_context():
        doc = db.session.scalar(db.select(NormativeDocument).where(NormativeDocument.doc_number == "东民规〔2019〕1号"))
        assert doc.repealed_on == D(2025, 12, 1)
        a = db.session.get(Unit, city["a"].id)
        in_2025 = services.unit_content(2025, a).cells
        assert in_2025["two/normative/issued"] == 1     # t2
        assert in_2025["two/normative/repealed"] == 1   # the 2019 document, repealed 2025-12-01
        assert in_2025["two/normative/in_force"] == 2   # the 2018 document and t2 (repealed only in 2026)


def test_normative_documents_list_newest_first_a_page_at_a_time(app, city, login):
    """年度报告 › 规范性文件: register items and entered documents together, newest issue first, in
    pages; a unit's staff see only their own unit's documents."""
    with app.app_context():
        office = db.session.get(User, city["people"]["office"].id)
        pages = [normative.document_page(office, city["a"].id, page=n, per_page=2) for n in (1, 2, 3)]
        assert [p.total for p in pages] == [6, 6, 6] and pages[0].pages == 3
        assert [[r.doc_number for r in p.items] for p in pages] == [
            ["东民规〔2026〕5号", "东民规〔2026〕2号"], ["东民规〔2026〕1号", "东民规〔2025〕3号"],
            ["东民规〔2019〕1号", "东民规〔2018〕2号"]]
        assert [r.kind_label for r in pages[0].items] == ["行政规范性文件", "规章"]
        assert pages[2].items[0].repealed_on == D(2025, 12, 1) and pages[2].items[0].task is None
    page = login(city["people"]["b"][0]).get("/reports/normative").get_data(as_text=True)
    assert "东财规〔2026〕1号" in page and "东民规" not in page
    page = login(city["people"]["office"]).get(f"/reports/normative?unit_id={city['a'].id}").get_data(as_text=True)
    assert page.index("东民规〔2026〕5号") < page.index("东民规〔2026〕1号") < page.index("东民规〔2018〕2号")
    assert "东财规" not in page
