"""No export hands a spreadsheet a live formula (CSV/Excel injection): a unit named
``=HYPERLINK(...)`` and a task titled ``+cmd|...`` reach every XLSX as text marked "quote prefix"
(never a formula cell) and every CSV with a leading apostrophe — one cell writer for both
(``tracker/spreadsheets.py``). The list of exports below is checked against the URL map, so a new
export has to be added here.

Full-width ＝ is not a prefix: no spreadsheet runs ``＝1+1`` as a formula, and the XLSX side leaves
it as it is."""
import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from tracker.extensions import db

from .scores_helpers import at

PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FINAL_DAY = date(2026, 10, 8)
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# endpoint -> why it is not checked here (everything else named *export* or *template* is)
NOT_SPREADSHEETS = {"applications.letter": "DOCX letters (tests/test_forbidden_characters.py)",
                    "disclosure.apply_template": "a page: a catalogue applied to other units, no file"}


@pytest.fixture
def world(app, make):
    office = make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    units = [make.unit(code=f"f{i}", name=f'{p}HYPERLINK("http://evil.example/","单位{i}")')
             for i, p in enumerate(PREFIXES)]
    contact = make.user("contact", unit=units[0])
    for i, (p, unit) in enumerate(zip(PREFIXES, units)):
        duty = make.duty(unit, title=f"{p}事项{i}", review_required=False)
        make.task(duty, formed=date(2026, 7, 1), title=f"{p}cmd|' /C calc'!A{i}")
        make.application(unit, date(2026, 7, 6), title=f"{p}SUM(1,2)申请{i}", applicant_name=f"{p}张三{i}")
    with at(FINAL_DAY):
        make.scores("2026-Q3", FINAL_DAY)
    bulletin = make.bulletin("2026-Q3", date(2026, 10, 9))
    make.annual_report(units[0], year=2025, actor=contact)
    return {"office": office, "units": units, "bulletin": bulletin}


def _exports(world):
    unit, bulletin = world["units"][0], world["bulletin"]
    return {
        "applications.export": ["/applications/export"],
        "applications.stats_export": [f"/applications/statistics/export?year=2026&unit_id={unit.id}"],
        "disclosure.tasks_export": ["/disclosure/tasks/export"],
        "disclosure.catalogue_export": ["/disclosure/catalogue/export"],
        "disclosure.register_export": ["/disclosure/register/export"],
        "scores.export": ["/scores/export?period=2026-Q3", "/scores/export?period=2026-Q3&format=csv"],
        "bulletins.export": [f"/bulletins/{bulletin.id}/export/xlsx"],
        "reports.export": [f"/reports/2025/units/{unit.id}/export/xlsx?draft=1"],
        "reports.city_export": ["/reports/2025/city/export/xlsx?draft=1"],
        "reports.import_template": ["/reports/2025/figures/template"],
        "bulk_import.template": ["/admin/import/units/template.xlsx", "/admin/import/users/template.xlsx"],
    }


def _xlsx_prefixed(data: bytes, url: str) -> list[str]:
    """The texts of the workbook that start with a formula prefix; each is checked to be text."""
    found = []
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (url, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(PREFIXES):
                    assert cell.quotePrefix, (url, cell.coordinate, cell.value)  # text, also once edited
                    found.append(cell.value)
    return found


def _csv_prefixed(data: bytes, url: str) -> list[str]:
    """The fields of the CSV escaped with an apostrophe; no other field starts with a prefix."""
    found = []
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        for value in row:
            assert not value.startswith(PREFIXES) or NUMBER.fullmatch(value), (url, value)
            if value.startswith("'") and value[1:].startswith(PREFIXES):
                found.append(value[1:])
    return found


def test_every_spreadsheet_export_is_in_this_list(app, world):
    listed = set(_exports(world)) | set(NOT_SPREADSHEETS)
    exports = {r.endpoint for r in app.url_map.iter_rules()
               if "export" in r.endpoint or "template" in r.endpoint or r.rule.endswith((".csv", ".xlsx", ".docx"))}
    assert exports <= listed, sorted(exports - listed)


def test_no_export_carries_a_live_formula_from_a_unit_name_or_a_task_title(app, world, login):
    found = {}
    with at(FINAL_DAY):
        office = login(world["office"])
        for endpoint, urls in _exports(world).items():
            for url in urls:
                r = office.get(url)
                assert r.status_code == 200, (url, r.status_code, r.headers.get("Location"))
                check = _csv_prefixed if "format=csv" in url else _xlsx_prefixed
                found[url] = check(r.data, url)
    with app.app_context():  # as stored: the unit service strips leading tabs and line breaks
        from tracker.units.models import Unit
        unit_names = {db.session.get(Unit, u.id).name for u in world["units"]}
    unit_names = {n for n in unit_names if n.startswith(PREFIXES)}
    assert {n[0] for n in unit_names} >= {"=", "+", "-", "@"}
    # the exports that carry unit names and task titles did carry them, every prefix among them
    for url in ("/applications/export", "/disclosure/tasks/export", "/disclosure/catalogue/export",
                "/scores/export?period=2026-Q3", "/scores/export?period=2026-Q3&format=csv"):
        assert unit_names <= set(found[url]), (url, found[url])
    tasks = set(found["/disclosure/tasks/export"])
    assert all(any(t.startswith(f"{p}cmd|") for t in tasks) for p in PREFIXES), tasks
    assert any(v.startswith("=HYPERLINK") for v in found[f"/bulletins/{world['bulletin'].id}/export/xlsx"])


def test_the_scores_csv_escapes_a_formula_like_the_excel_cells_and_keeps_numbers(app, world, login):
    with at(FINAL_DAY):
        r = login(world["office"]).get("/scores/export?period=2026-Q3&format=csv")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["f0"][1] == '\'=HYPERLINK("http://evil.example/","单位0")'
    assert by_code["f2"][1].startswith("'-HYPERLINK")
    assert all(NUMBER.fullmatch(v) for v in by_code["f0"][2:]), by_code["f0"]
    with app.app_context():
        from tracker.spreadsheets import csv_cell
        assert [csv_cell(v) for v in ("=1+1", "\t=1", "＝1", "甲\ufffe乙", -2, None)] == \
            ["'=1+1", "'\t=1", "＝1", "甲乙", "-2", ""]
