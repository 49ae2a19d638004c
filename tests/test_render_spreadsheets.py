"""Every XLSX export printed the way an office prints it: LibreOffice converts the file to PDF and the
PDF is read back. Each prints on A4, one page wide (the last header column is on the first page,
beside the first), and its figures are stored as numbers, not as text."""
import io
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook

from tracker.extensions import db
from tracker.units.models import Unit

from .render import A4_MM, first_page_png, page_texts, pages_mm, text_margins_mm, to_pdf

pytestmark = pytest.mark.render

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "documents"
DAY = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)  # 10:00 in China, the suite's day

LONG_TITLES = ["东宁市2026年度城乡居民最低生活保障对象名单及保障标准调整情况（第三季度）",
               "关于进一步规范政府信息公开申请办理工作的通知及政策解读材料",
               "2026年部门预算执行情况和重点项目绩效评价结果"]


@pytest.fixture
def city(app, make):
    """A town and a department with tasks (some long overdue), applications, scores of 2026-Q3."""
    office_unit = make.unit("gkb", "东宁市人民政府办公室（政务公开办）", kind="office")
    office = make.user("office", unit=office_unit)
    town = make.unit("dongning", "东宁市东宁镇人民政府", kind="town")
    dept = make.unit("mzj", "东宁市民政局")
    for unit in (town, dept):
        make.user("contact", unit=unit)
        make.user("reviewer", unit=unit)
    with time_machine.travel(datetime(2026, 9, 1, 2, 0, tzinfo=timezone.utc), tick=False):
        for n, title in enumerate(LONG_TITLES):
            for unit in (town, dept):
                make.task(make.duty(unit, title=title, area="社会救助" if n == 0 else None),
                          formed=date(2026, 9, 1))
    for unit, received in ((dept, date(2026, 10, 12)), (town, date(2026, 11, 2)), (dept, date(2026, 11, 20))):
        make.application(unit, received, title="请公开本单位2026年度城乡低保资金发放明细及审批流程文件")
    scores = make.scores("2026-Q3", date(2026, 10, 9))
    return {"office": office, "town": town, "dept": dept, "scores": scores}


def _check_printed(data: bytes, name: str, tmp_path: Path, last_header: str, first_header: str,
                   png: str | None = None) -> Path:
    """Convert ``data`` to PDF and assert A4 and one page wide: the first page carries the first and
    the last header columns (a sheet split across pages would print the last columns on later
    pages). Optionally write the first page's PNG into docs/documents/."""
    pdf = to_pdf(data, name, tmp_path / name.rsplit(".", 1)[0])
    sizes = pages_mm(pdf)
    assert sizes, name
    for width, height in sizes:
        assert sorted((round(width), round(height))) == sorted(A4_MM), (name, width, height)
    first = page_texts(pdf)[0].replace(" ", "")
    assert first_header in first and last_header in first, (name, first[:300])
    for n, margins in enumerate(text_margins_mm(pdf)):  # nothing printed past the paper's edges
        assert not margins or min(margins.values()) > 3, (name, n, margins)
    if png:
        first_page_png(pdf, DOCS / png, dpi=70)
    return pdf


def _sheet(data: bytes, index: int = 0):
    return load_workbook(io.BytesIO(data)).worksheets[index]


def _column(ws, header: str, header_row: int = 1) -> list:
    headers = [c.value for c in ws[header_row]]
    col = headers.index(header) + 1
    return [ws.cell(row=r, column=col) for r in range(header_row + 1, ws.max_row + 1)]


@time_machine.travel(DAY, tick=False)
def test_task_export_prints_one_page_wide_with_working_days_as_numbers(app, city, login, tmp_path):
    data = login(city["office"]).get("/disclosure/tasks/export").data
    ws = _sheet(data)
    headers = [c.value for c in ws[1]]
    pdf = _check_printed(data, "tasks.xlsx", tmp_path, headers[-1], headers[0], png="tasks-xlsx.png")
    # a long title wraps onto a second line inside a row grown to hold it, not cut off at the cell
    assert page_texts(pdf)[0].replace(" ", "").count("（2026-09-01）") == 6
    over = [c for c in _column(ws, "超期工作日") if c.value is not None]
    assert len(over) == 6 and all(c.data_type == "n" and c.value > 20 for c in over)
    assert all(c.data_type == "n" for c in _column(ws, "核验未通过次数"))
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2"
    titles = _column(ws, "任务名称")
    assert ws.column_dimensions["B"].width <= 40 and titles[0].alignment.wrap_text  # long titles wrap


@time_machine.travel(DAY, tick=False)
def test_register_and_application_exports_print_one_page_wide(app, city, login, tmp_path):
    client = login(city["office"])
    for url, name in (("/disclosure/register/export", "register.xlsx"), ("/applications/export", "applications.xlsx"),
                      ("/disclosure/catalogue/export", "catalogue.xlsx")):
        data = client.get(url).data
        ws = _sheet(data)
        headers = [c.value for c in ws[1]]
        _check_printed(data, name, tmp_path, headers[-1], headers[0])
    ws = _sheet(client.get("/applications/export").data)
    clock = [c for h in ("剩余工作日", "超期工作日") for c in _column(ws, h) if c.value is not None]
    assert len(clock) == 3 and all(c.data_type == "n" for c in clock)  # each running clock, as a number


@time_machine.travel(DAY, tick=False)
def test_scores_export_prints_full_names_and_ranks_beside_the_total(app, city, login, tmp_path):
    data = login(city["office"]).get("/scores/export?period=2026-Q3").data
    ws = _sheet(data)
    headers = [c.value for c in ws[1]]
    assert headers[-4:] == ["总分", "全市排名", "单位类别", "类别内排名"]
    pdf = _check_printed(data, "scores.xlsx", tmp_path, "类别内排名", "单位代码", png="scores-xlsx.png")
    first = page_texts(pdf)[0].replace(" ", "")
    assert "东宁市东宁镇人民政府" in first and "东宁市民政局" in first  # names in full, not cut off
    for header in ("总分", "全市排名", "类别内排名"):
        assert all(c.data_type == "n" for c in _column(ws, header)), header
    assert sorted(c.value for c in _column(ws, "类别内排名")) == [1, 1]  # one town, one department


@time_machine.travel(DAY, tick=False)
def test_annual_report_and_statistics_tables_print_one_page_wide_with_legible_labels(app, city, login, make,
                                                                                     tmp_path):
    from tracker.reports import exports, services
    with app.app_context():
        content = services.unit_content(2026, db.session.get(Unit, city["dept"].id))
        data = exports.to_xlsx(content, draft=True)
    wb = load_workbook(io.BytesIO(data))
    three = wb["表三"]
    assert int(three.page_setup.paperSize) == 9 and three.page_setup.fitToWidth == 1
    assert three.sheet_properties.pageSetUpPr.fitToPage and three.print_title_rows == "$1:$5"
    assert three.freeze_panes == "A6"  # the title and the three header rows stay in view
    assert three.column_dimensions["C"].width >= 40  # the row labels' column
    figures = [c for row in three.iter_rows(min_row=6) for c in row if isinstance(c.value, (int, float))]
    assert figures and all(c.data_type == "n" for c in figures)
    # table 三 alone, printed: the labels in full and the 总计 column on the same page
    only_three = io.BytesIO()
    for name in wb.sheetnames:
        if name != "表三":
            del wb[name]
    wb.save(only_three)
    pdf = _check_printed(only_three.getvalue(), "table-three.xlsx", tmp_path, "总计", "申请人情况",
                         png="report-table-three-xlsx.png")
    assert len(pages_mm(pdf)) == 1
    text = page_texts(pdf)[0].replace(" ", "").replace("\n", "")
    for label in ("本年新收政府信息公开申请数量", "上年结转政府信息公开申请数量", "结转下年度继续办理"):
        assert label in text, label
    # the whole workbook: the text sheet (portrait) and each table, nothing past the paper's edge
    pdf = to_pdf(data, "report.xlsx", tmp_path / "report")
    assert all(min(m.values()) > 3 for m in text_margins_mm(pdf) if m)
    stats = login(city["office"]).get(f"/applications/statistics/export?year=2026&unit_id={city['dept'].id}").data
    _check_printed(stats, "statistics.xlsx", tmp_path, "总计", "申请人情况")


@time_machine.travel(DAY, tick=False)
def test_bulletin_table_prints_one_page_wide(app, city, make, tmp_path):
    from tracker.bulletins import exports
    from tracker.bulletins.models import Bulletin
    bulletin = make.bulletin("2026-Q3")
    with app.app_context():
        data = exports.xlsx_bytes(db.session.get(Bulletin, bulletin.id))
    ws = _sheet(data)
    assert ws.print_title_rows == "$1:$4" and ws.page_setup.orientation == "landscape"
    last_header = [c.value for c in ws[4] if c.value][-1]
    _check_printed(data, "bulletin.xlsx", tmp_path, str(last_header).replace(" ", ""), "单位")
