"""The report's exports read back: DOCX (every official label, figures in the right cells, merged
header cells, the table 三 note), XLSX (official layout, merged cells), HTML; the command line;
the statistics page's XLSX; the Excel import of table 二 figures."""
import io
import json
import os
import subprocess

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tests import clock
from tests.test_reports_figures import TWO_A, _hand_in, city, frozen  # noqa: F401  (fixtures)
from tracker.applications.statistics import NOTE
from tracker.extensions import db
from tracker.reports import exports, formats, services
from tracker.reports.models import ReportFigure
from tracker.units.models import Unit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def official_labels(fmt) -> list[str]:
    labels = [label for _, label in fmt.sections]
    for b in fmt.blocks:
        labels += [b.title, "信息内容"] + [c for _, c in b.columns] + [r for _, r in b.rows]
    labels += [r.label for r in formats.three_rows(fmt)]
    labels += [NOTE, "申请人情况", "自然人", "法人或其他组织", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    labels += ["行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉", "结果维持", "结果纠正", "其他结果", "尚未审结"]
    return labels


def docx_texts(doc) -> set[str]:
    texts = {p.text for p in doc.paragraphs}
    for t in doc.tables:
        for row in t.rows:
            texts |= {c.text for c in row.cells}
    return texts


def table_with(doc, text):
    return next(t for t in doc.tables if any(c.text == text for c in t.rows[0].cells))


def row_of(table, label):
    return next(r for r in table.rows if any(c.text == label for c in r.cells))


def test_docx_has_every_official_label_and_the_figures_in_their_cells(app, city):  # noqa: F811
    with app.app_context():
        content = services.unit_content(2026, db.session.get(Unit, city["a"].id))
        doc = Document(io.BytesIO(exports.to_docx(content)))
    texts = docx_texts(doc)
    missing = [label for label in official_labels(content.fmt) if label not in texts]
    assert missing == []
    assert doc.paragraphs[0].text == "民政局2026年政府信息公开工作年度报告"
    headings = [p.text for p in doc.paragraphs if p.text in dict(content.fmt.sections).values()]
    assert headings == [label for _, label in content.fmt.sections]  # in order
    # table 二: 行政规范性文件 row, three columns; fees in 万元 with decimals
    two = table_with(doc, "第二十条第（一）项")
    assert [c.text for c in row_of(two, "行政规范性文件").cells] == ["行政规范性文件", "2", "1", "3"]
    assert [c.text for c in row_of(two, "规章").cells] == ["规章", "1", "0", "1"]
    fee = row_of(two, "行政事业性收费").cells
    assert fee[1].text == "1.2345" and fee[1]._tc is fee[3]._tc  # the one value column spans the block
    # table 三: the note merged over the top-left; figures under 自然人 … 总计
    three = table_with(doc, NOTE)
    assert three.cell(0, 0)._tc is three.cell(2, 2)._tc
    assert three.cell(0, 3).text == "申请人情况" and three.cell(0, 3)._tc is three.cell(0, 9)._tc
    assert [c.text for c in row_of(three, "一、本年新收政府信息公开申请数量").cells[3:]] == ["5", "1", "1", "1", "1", "0", "9"]
    assert [c.text for c in row_of(three, "4.保护第三方合法权益").cells[3:]] == ["0", "1", "0", "0", "0", "0", "1"]
    assert [c.text for c in row_of(three, "四、结转下年度继续办理").cells[3:]] == ["1", "0", "0", "1", "0", "0", "2"]
    deny = row_of(three, "1.属于国家秘密")
    assert deny.cells[1].text == "（三）不予公开"  # the group label merged down its sub-rows
    # table 四: one row of 15 numbers under the three groups
    four = table_with(doc, "行政复议")
    assert [c.text for c in four.rows[3].cells] == ["1", "0", "0", "1", "2", "0", "0", "0", "1", "1", "0", "1", "0", "0", "1"]
    assert four.cell(0, 5).text == "行政诉讼" and four.cell(0, 5)._tc is four.cell(0, 14)._tc


def test_xlsx_lays_the_tables_out_with_merged_cells(app, city):  # noqa: F811
    with app.app_context():
        content = services.unit_content(2026, db.session.get(Unit, city["a"].id))
        wb = load_workbook(io.BytesIO(exports.to_xlsx(content)))
    assert wb.sheetnames == ["报告正文", "表二", "表三", "表四"]
    three = wb["表三"]
    assert three["A3"].value == NOTE and "A3:C5" in [str(r) for r in three.merged_cells.ranges]
    labels = {three.cell(row=r, column=c).value: r for r in range(1, three.max_row + 1) for c in (1, 2, 3)}
    new_row = labels["一、本年新收政府信息公开申请数量"]
    assert [three.cell(row=new_row, column=c).value for c in range(4, 11)] == [5, 1, 1, 1, 1, 0, 9]
    two = wb["表二"]
    fee_row = next(r for r in range(1, two.max_row + 1) if two.cell(row=r, column=1).value == "行政事业性收费")
    assert float(two.cell(row=fee_row, column=2).value) == pytest.approx(1.2345)
    assert wb["报告正文"]["A1"].value == "民政局2026年政府信息公开工作年度报告"


def test_html_is_a_printable_page(app, city):  # noqa: F811
    with app.app_context(), app.test_request_context():
        content = services.unit_content(2026, db.session.get(Unit, city["a"].id))
        html = exports.to_html(content).decode()
    assert "<h1>民政局2026年政府信息公开工作年度报告</h1>" in html
    assert "@media print" in html and NOTE in html
    assert 'colspan="7"' in html and "申请人情况" in html


def run_cli(app, *args):
    env = dict(os.environ, TRACKER_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], TRACKER_SECRET_KEY="x")
    return subprocess.run(clock.python_argv("-m", "flask", "--app", "wsgi", "report", "annual", *args), cwd=ROOT,
                          env=env, capture_output=True, timeout=120)


def test_command_line_exports_each_format(app, city, tmp_path):  # noqa: F811
    _hand_in(app, city, "a")
    done = run_cli(app, "--year", "2026", "--unit", "mzj", "--format", "json", "--output", "-")
    assert done.returncode == 0, done.stderr.decode()
    data = json.loads(done.stdout)
    assert data["标题"] == "民政局2026年政府信息公开工作年度报告"
    assert data["二、主动公开政府信息情况"]["第二十条第（五）项"]["行政许可"]["本年处理决定数量"] == 12
    for kind in ("docx", "xlsx", "html"):
        out = tmp_path / f"report.{kind}"
        done = app.test_cli_runner().invoke(args=["report", "annual", "--year", "2026", "--format", kind,
                                                  "--output", str(out)])
        assert done.exit_code == 0, done.output
        assert out.stat().st_size > 1000
    city_doc = Document(str(tmp_path / "report.docx"))
    assert city_doc.paragraphs[0].text == "东宁市人民政府2026年政府信息公开工作年度报告"


@pytest.mark.parametrize("args, message", [
    (["--year", "26", "--format", "json", "--output", "-"], "年度格式不正确"),
    (["--year", "2018", "--format", "json", "--output", "-"], "2019年以前"),
    (["--year", "2026", "--format", "pdf", "--output", "-"], "不支持的导出格式"),
    (["--year", "2026", "--unit", "nope", "--format", "json", "--output", "-"], "单位编码不存在：nope"),
    (["--format", "json", "--output", "-"], "请用 --year 指定报告年度"),
    (["--year", "2026", "--format", "json"], "请用 --output 指定输出文件"),
    (["--year", "2026", "--format", "json", "--output", "/nonexistent/dir/x.json"], "输出目录不存在"),
    (["--year", "2026", "--colour", "red"], "未知的选项：--colour"),
])
def test_command_line_refuses_bad_arguments_in_chinese_with_status_2(app, make, args, message):
    make.unit("mzj", "民政局")
    done = app.test_cli_runner().invoke(args=["report", "annual", *args])
    assert done.exit_code == 2
    assert message in done.output


def test_command_line_refuses_an_inconsistent_report_unless_draft(app, city, tmp_path):  # noqa: F811
    from tracker.accounts.models import User
    from tracker.reports import workflow
    from tracker.reports.models import AnnualReport

    contact = city["people"]["a"][0]
    with app.app_context():
        report = workflow.start_report(2026, db.session.get(Unit, city["a"].id), db.session.get(User, contact.id))
        workflow.set_override(report, "four/lawsuit_direct/total", "5", "手工", db.session.get(User, contact.id))
        db.session.commit()
        assert db.session.get(AnnualReport, report.id).overrides
    args = ["report", "annual", "--year", "2026", "--unit", "mzj", "--format", "docx", "--output", str(tmp_path / "x.docx")]
    refused = app.test_cli_runner().invoke(args=args)
    assert refused.exit_code == 2 and "未通过勾稽校验，不能导出定稿（表四 · 行政诉讼 · 未经复议直接起诉 · 总计" in refused.output
    assert not (tmp_path / "x.docx").exists()
    draft = app.test_cli_runner().invoke(args=args + ["--draft"])
    assert draft.exit_code == 0
    assert Document(str(tmp_path / "x.docx")).paragraphs[0].text == "民政局2026年政府信息公开工作年度报告（草稿）"


def test_statistics_page_exports_tables_three_and_four_in_the_official_layout(app, city, login):  # noqa: F811
    client = login(city["people"]["office"])
    response = client.get(f"/applications/statistics/export?year=2026&unit_id={city['a'].id}")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["表三", "表四"]
    assert wb["表三"]["A1"].value == "三、收到和处理政府信息公开申请情况（民政局2026年）"
    assert "D3:J3" in [str(r) for r in wb["表三"].merged_cells.ranges]   # 申请人情况 over seven columns
    assert [c.value for c in wb["表四"][6]][:5] == [1, 0, 0, 1, 2]


def _xlsx(rows):
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HEADER = ["单位编码", "单位名称", "行政许可", "行政处罚", "行政强制", "行政事业性收费（万元）"]


def test_import_lists_bad_rows_and_imports_nothing(app, city, login):  # noqa: F811
    client = login(city["people"]["office"])
    data = _xlsx([HEADER, ["mzj", "民政局", 20, 31, 5, 2.5], ["czj", "财政局", "三", "", "", ""],
                  ["nope", "", 1, 1, 1, 1], ["hbj", "环保局", 1, -2, "", "0.12345"]])
    response = client.post("/reports/2026/figures/import", data={"file": (io.BytesIO(data), "表二.xlsx")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第3行（财政局）：行政许可：“三”不是数字。" in page
    assert "第4行：单位编码“nope”不存在。" in page
    assert "第5行（环保局）：行政处罚：件数不能为负数。" in page
    with app.app_context():
        assert services.entered_values(city["a"].id, 2026)["two/licence/decisions"] == 12  # unchanged
    good = _xlsx([HEADER, ["mzj", "民政局", 20, "", "", 2.5], ["czj", "财政局", 6, "", "", ""]])
    response = client.post("/reports/2026/figures/import", data={"file": (io.BytesIO(good), "表二.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        mzj = services.entered_values(city["a"].id, 2026)
        assert mzj["two/licence/decisions"] == 20 and mzj["two/penalty/decisions"] == 30  # blank: kept
        assert str(mzj["two/fee/amount"]) == "2.5000"
        assert db.session.scalar(select(ReportFigure.source).where(ReportFigure.key == "two/fee/amount",
                                                                   ReportFigure.unit_id == city["a"].id)) == "import"


def test_figures_form_refuses_bad_values_and_keeps_what_was_typed(app, city, login):  # noqa: F811
    contact = city["people"]["a"][0]
    client = login(contact)
    response = client.post(f"/reports/2026/figures/{city['a'].id}", data={
        "two/licence/decisions": "13", "two/fee/amount": "1.23456"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "行政事业性收费（万元）：金额以万元为单位，不能为负数，最多保留四位小数。" in page
    assert 'value="1.23456"' in page
    with app.app_context():
        assert services.entered_values(city["a"].id, 2026)["two/licence/decisions"] == 12
    assert client.post(f"/reports/2026/figures/{city['b'].id}", data={"two/licence/decisions": "1"}).status_code == 404


def test_leader_reads_but_cannot_enter_figures(app, city, make, login):  # noqa: F811
    leader = make.user("leader")
    client = login(leader)
    assert client.get(f"/reports/2026/figures/{city['a'].id}").status_code == 200
    assert client.post(f"/reports/2026/figures/{city['a'].id}", data={"two/licence/decisions": "1"}).status_code == 403
