"""The disclosure catalogue: office-maintained items per unit, key areas, templates, Excel in/out."""
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tracker.disclosure import services
from tracker.disclosure.models import DEFAULT_KEY_AREAS, Duty, KeyArea
from tracker.extensions import db


def _office(make, login):
    return login(make.user("office", unit=make.unit(kind="office")))


def _area_id(app, name):
    with app.app_context():
        services.ensure_key_areas()
        db.session.commit()
        return db.session.scalar(select(KeyArea.id).where(KeyArea.name == name))


def test_key_areas_of_the_spec_are_there_on_a_fresh_database(app, make, login):
    client = _office(make, login)
    page = client.get("/disclosure/key-areas").get_data(as_text=True)
    for name in ("财政预决算", "三公经费", "市场监管", "工程招标"):
        assert name in page
    with app.app_context():
        assert db.session.scalar(select(func.count(KeyArea.id))) == len(DEFAULT_KEY_AREAS)
    assert client.post("/disclosure/key-areas", {"name": "政务服务"}).status_code == 302
    again = client.post("/disclosure/key-areas", {"name": "政务服务"})
    assert again.status_code == 422 and "已存在" in again.get_data(as_text=True)


def test_office_adds_a_periodic_duty_and_bad_input_changes_nothing(app, make, login):
    unit = make.unit(name="民政局")
    client = _office(make, login)
    area = _area_id(app, "社会救助")
    form = {"unit_id": unit.id, "title": "城乡低保对象名单", "key_area_id": area, "cadence": "periodic",
            "frequency": "monthly", "formation_offset_days": "5", "period_days": "20", "channels": ["website", "wechat"],
            "review_required": "y", "start_date": "2026-01-01", "note": "依据民政部门要求"}
    bad = client.post("/disclosure/catalogue/new", dict(form, frequency=""))
    assert bad.status_code == 422 and "须选择周期" in bad.get_data(as_text=True)
    bad = client.post("/disclosure/catalogue/new", dict(form, period_days="abc"))
    assert bad.status_code == 422 and "请填写整数" in bad.get_data(as_text=True)
    bad = client.post("/disclosure/catalogue/new", dict(form, channels=[]))
    assert bad.status_code == 422 and "公开渠道" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Duty.id))) == 0
    assert client.post("/disclosure/catalogue/new", form).status_code == 302
    with app.app_context():
        duty = db.session.scalar(select(Duty))
        assert (duty.unit_id, duty.frequency, duty.formation_offset_days, duty.channels, duty.review_required) == (
            unit.id, "monthly", 5, ["website", "wechat"], True)
    edit = client.get(f"/disclosure/catalogue/{duty.id}").get_data(as_text=True)
    assert "城乡低保对象名单" in edit and "2026-01-01" in edit
    assert client.post(f"/disclosure/catalogue/{duty.id}", dict(form, title="城乡低保名单", review_required="")).status_code == 302
    with app.app_context():
        duty = db.session.get(Duty, duty.id)
        assert duty.title == "城乡低保名单" and duty.review_required is False


def test_contact_sees_own_catalogue_read_only(app, make, login):
    unit = make.unit()
    make.duty(unit, title="本单位事项")
    make.duty(make.unit(), title="别的单位事项")
    client = login(make.user("contact", unit=unit))
    page = client.get("/disclosure/catalogue").get_data(as_text=True)
    assert "本单位事项" in page and "别的单位事项" not in page and "编辑" not in page
    assert client.get("/disclosure/catalogue/new").status_code == 403


def test_apply_a_template_to_many_units_once(app, make, login):
    source, t1, t2 = make.unit(), make.unit(), make.unit()
    make.duty(source, title="财政预算公开", cadence="periodic", frequency="yearly")
    make.duty(source, title="政府采购信息")
    make.duty(t1, title="政府采购信息")  # already there: not copied again
    client = _office(make, login)
    r = client.post("/disclosure/catalogue/apply", {"source_unit_id": source.id, "target_unit_ids": [t1.id, t2.id]})
    assert r.status_code == 302
    again = client.post("/disclosure/catalogue/apply", {"source_unit_id": source.id, "target_unit_ids": [t1.id, t2.id]})
    assert again.status_code == 302
    with app.app_context():
        for target in (t1, t2):
            titles = db.session.scalars(select(Duty.title).where(Duty.unit_id == target.id)).all()
            assert sorted(titles) == sorted(["政府采购信息", "财政预算公开"])
    none = client.post("/disclosure/catalogue/apply", {"source_unit_id": source.id})
    assert none.status_code == 422 and "目标单位" in none.get_data(as_text=True)


def test_catalogue_export_then_import_round_trip(app, make, login):
    unit = make.unit(code="mzj", name="民政局")
    make.duty(unit, title="社会救助资金", cadence="periodic", frequency="monthly", area="社会救助",
              channels=("website", "wechat"))
    client = _office(make, login)
    response = client.get("/disclosure/catalogue/export")
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][:5] == ["单位编码", "单位名称", "公开事项", "重点领域", "公开类型"]
    assert rows[1][:6] == ["mzj", "民政局", "社会救助资金", "社会救助", "常规性", "每月"]
    assert rows[1][8] == "政府网站、政务微信"
    # edit the sheet: change the period of the existing row, add a new ad hoc item
    ws = load_workbook(io.BytesIO(response.data)).active
    ws.cell(row=2, column=8, value=15)
    ws.append(["mzj", "民政局", "慈善募捐信息", "社会救助", "临时性", "", 0, 20, "政府网站", "否", ""])
    out = io.BytesIO()
    ws.parent.save(out)
    r = client.post("/disclosure/catalogue/import", {"file": (io.BytesIO(out.getvalue()), "目录.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        duties = {d.title: d for d in db.session.scalars(select(Duty))}
        assert duties["社会救助资金"].period_days == 15
        assert duties["慈善募捐信息"].cadence == "adhoc" and duties["慈善募捐信息"].review_required is False


def test_import_with_errors_imports_nothing_and_lists_each_row(app, make, login):
    make.unit(code="mzj")
    wb = Workbook()
    ws = wb.active
    ws.append(["单位编码", "公开事项", "重点领域", "公开类型", "周期", "公开渠道"])
    ws.append(["mzj", "好的一行", "社会救助", "临时性", "", "政府网站"])
    ws.append(["nosuch", "单位不存在", "社会救助", "临时性", "", "政府网站"])
    ws.append(["mzj", "领域不存在", "外星事务", "临时性", "", "政府网站"])
    ws.append(["mzj", "渠道不对", "社会救助", "临时性", "", "抖音"])
    out = io.BytesIO()
    wb.save(out)
    client = _office(make, login)
    r = client.post("/disclosure/catalogue/import", {"file": (io.BytesIO(out.getvalue()), "目录.xlsx")},
                    content_type="multipart/form-data")
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "第3行" in text and "第4行" in text and "第5行" in text and "第2行" not in text
    with app.app_context():
        assert db.session.scalar(select(func.count(Duty.id))) == 0
    r = client.post("/disclosure/catalogue/import", {"file": (io.BytesIO(b"not excel"), "a.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "无法读取" in r.get_data(as_text=True)


def test_period_start_must_be_a_real_date(app, make, login):
    unit = make.unit()
    client = _office(make, login)
    r = client.post("/disclosure/catalogue/new", {"unit_id": unit.id, "title": "x", "key_area_id": _area_id(app, "教育"),
                                                  "cadence": "adhoc", "channels": ["website"], "period_days": "20",
                                                  "start_date": "2026-02-30"})
    assert r.status_code == 422 and "起始日期格式不正确" in r.get_data(as_text=True)


def test_period_start_before_2000_is_refused_and_the_sweep_keeps_working(app, make, login):
    """A start date like 0001-01-01 used to be stored; the daily sweep then failed for every unit."""
    from datetime import date

    from tracker.disclosure.tasks import open_periodic_tasks
    unit = make.unit()
    client = _office(make, login)
    form = {"unit_id": unit.id, "title": "月度报表", "key_area_id": _area_id(app, "教育"), "cadence": "periodic",
            "frequency": "monthly", "formation_offset_days": "5", "channels": ["website"], "period_days": "20",
            "start_date": "0001-01-01"}
    r = client.post("/disclosure/catalogue/new", form)
    assert r.status_code == 422 and "起始日期超出工作日历的范围" in r.get_data(as_text=True)
    assert client.post("/disclosure/catalogue/new", dict(form, start_date="2026-01-01")).status_code == 302
    with app.app_context():
        duty = db.session.scalar(select(Duty))
    r = client.post(f"/disclosure/catalogue/{duty.id}", dict(form, start_date="1899-12-31"))
    assert r.status_code == 422 and "起始日期超出工作日历的范围" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Duty, duty.id).start_date == date(2026, 1, 1)
        assert open_periodic_tasks(date(2026, 3, 10)) == 3
