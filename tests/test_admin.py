"""Office administration: units, users and bulk import (all or nothing)."""
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.units.models import Unit


@pytest.fixture
def office(make, login):
    return login(make.user("office", unit=make.unit(code="office", kind="office")))


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, kind, filename, data):
    return client.post(f"/admin/import/{kind}", {"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_office_creates_a_unit_and_it_is_audited(app, office):
    response = office.post("/admin/units/new", {"code": "mzj", "name": "民政局", "kind": "department"})
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "mzj"))
        assert unit.name == "民政局" and unit.kind == "department"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "unit.create",
                                                          AuditEvent.object_label == "民政局"))
        assert event.after == {"code": "mzj", "name": "民政局", "kind": "department", "active": True}


def test_duplicate_unit_code_is_refused_in_chinese_and_keeps_the_input(app, office, make):
    make.unit(code="mzj", name="民政局")
    response = office.post("/admin/units/new", {"code": "mzj", "name": "另一个局", "kind": "department"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "单位编码“mzj”已被使用" in body and "另一个局" in body
    assert count(app, Unit, Unit.name == "另一个局") == 0


def test_unit_edit_records_before_and_after(app, office, make):
    unit = make.unit(code="hbj", name="环保局")
    office.post(f"/admin/units/{unit.id}", {"code": "hbj", "name": "生态环境局", "kind": "department"})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "unit.update"))
        assert event.before == {"name": "环保局"} and event.after == {"name": "生态环境局"}


def test_office_creates_a_contact_with_a_temporary_password(app, office, make):
    unit = make.unit()
    response = office.post("/admin/users/new", {"username": "mzj-lly", "display_name": "张三", "role": "contact",
                                                "unit_id": str(unit.id), "email": "zs@example.gov.cn",
                                                "phone": "", "password": ""}, follow_redirects=True)
    assert "临时密码" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "mzj-lly"))
        assert user.unit_id == unit.id and user.must_change_password


def test_a_contact_without_a_unit_is_refused(app, office):
    response = office.post("/admin/users/new", {"username": "lonely", "display_name": "无单位", "role": "contact",
                                                "unit_id": "0", "password": ""})
    assert response.status_code == 422
    assert "联络员必须属于一个单位" in response.get_data(as_text=True)
    assert count(app, User, User.username == "lonely") == 0


def test_an_unknown_unit_id_is_refused(app, office):
    response = office.post("/admin/users/new", {"username": "ghost-lly", "display_name": "某人", "role": "contact",
                                                "unit_id": "99999", "password": ""})
    assert response.status_code == 422
    assert "所选单位不存在" in response.get_data(as_text=True)


def test_import_units_from_xlsx(app, office):
    data = xlsx([["编码", "名称", "类型"], ["mzj", "民政局", "市直部门"], ["dnz", "东宁镇", "镇"]])
    response = upload(office, "units", "units.xlsx", data)
    assert response.status_code == 200 and "共2个单位" in response.get_data(as_text=True)
    with app.app_context():
        kinds = dict(db.session.execute(select(Unit.code, Unit.kind)).all())
    assert kinds["mzj"] == "department" and kinds["dnz"] == "town"


def test_import_units_from_a_gbk_csv(app, office):
    data = "编码,名称,类型\nczj,财政局,市直部门\n".encode("gb18030")
    assert upload(office, "units", "units.csv", data).status_code == 200
    assert count(app, Unit, Unit.name == "财政局") == 1


def test_import_with_one_bad_row_imports_nothing_and_names_each_bad_row(app, office, make):
    make.unit(code="mzj", name="民政局")
    data = xlsx([["编码", "名称", "类型"],
                 ["jyj", "教育局", "市直部门"],
                 ["mzj", "民政局二", "市直部门"],      # duplicate code (row 3)
                 ["xxx", "某单位", "委员会"],          # unknown kind (row 4)
                 ["jyj", "教育局", "市直部门"]])        # duplicate inside the file (row 5)
    response = upload(office, "units", "units.xlsx", data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "未导入任何数据" in body
    assert "第3行" in body and "第4行" in body and "第5行" in body and "第2行" not in body
    assert count(app, Unit, Unit.code == "jyj") == 0
    assert count(app, AuditEvent, AuditEvent.action == "import.units") == 0
    assert count(app, AuditEvent, AuditEvent.object_label == "教育局") == 0


def test_import_users_reports_unknown_units_and_roles(app, office, make):
    make.unit(code="mzj")
    data = "用户名,姓名,角色,单位编码,邮箱\nmzj-lly,张三,联络员,mzj,a@example.gov.cn\nx-lly,李四,联络员,nope,\ny,王五,秘书,mzj,\n"
    response = upload(office, "users", "users.csv", data.encode())
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "单位编码“nope”不存在" in body and "角色“秘书”无法识别" in body
    assert count(app, User, User.username == "mzj-lly") == 0


def test_import_users_shows_generated_passwords_once(app, office, make):
    make.unit(code="mzj")
    data = "用户名,姓名,角色,单位编码,邮箱,初始密码\nmzj-lly,张三,联络员,mzj,,\nmzj-shr,李四,审核人,mzj,,Chosen2026pw\n"
    response = upload(office, "users", "users.csv", data.encode())
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "mzj-lly" in body
    assert "Chosen2026pw" not in body  # only generated passwords are shown
    assert count(app, User, User.username.in_(["mzj-lly", "mzj-shr"]), User.must_change_password.is_(True)) == 2


def test_import_rejects_other_file_types_and_missing_columns(app, office):
    assert "只支持" in upload(office, "units", "units.txt", b"x").get_data(as_text=True)
    response = upload(office, "units", "units.csv", "名称\n民政局\n".encode())
    assert response.status_code == 422 and "表头缺少列：编码、类型" in response.get_data(as_text=True)
    assert count(app, Unit, Unit.name == "民政局") == 0


def test_import_template_has_the_expected_header(office):
    from openpyxl import load_workbook
    response = office.get("/admin/import/users/template.xlsx")
    header = [c.value for c in next(load_workbook(io.BytesIO(response.data)).active.iter_rows())]
    assert header == ["用户名", "姓名", "角色", "单位编码", "邮箱", "电话", "初始密码"]


def test_audit_log_is_readable_by_leadership(make, login, office):
    office.post("/admin/units/new", {"code": "sjj", "name": "审计局", "kind": "department"})
    body = login(make.user("leader")).get("/audit/").get_data(as_text=True)
    assert "创建单位" in body and "审计局" in body


def test_a_corrupt_xlsx_is_refused_in_chinese(app, office):
    response = upload(office, "units", "units.xlsx", b"this is not a zip file")
    assert response.status_code == 422 and "无法读取该 Excel 文件" in response.get_data(as_text=True)


def test_a_huge_unit_id_is_refused_like_an_unknown_one(app, office, make):
    response = office.post("/admin/users/new", {"username": "ghost-lly", "display_name": "某人", "role": "contact",
                                                "unit_id": str(10**20), "password": ""})
    assert response.status_code == 422 and "所选单位不存在" in response.get_data(as_text=True)
    user = make.user("contact")
    response = office.post(f"/admin/users/{user.id}", {"display_name": "某人", "role": "contact",
                                                       "unit_id": str(-10**20)})
    assert response.status_code == 422 and "所选单位不存在" in response.get_data(as_text=True)
    assert office.get(f"/admin/users?unit={10**20}").status_code == 200


def test_import_users_refuses_names_and_phones_too_long_for_their_columns(app, office, make):
    make.unit(code="mzj")
    data = ("用户名,姓名,角色,单位编码,电话\n"
            f"mzj-lly,{'张' * 61},联络员,mzj,\n"
            f"mzj-shr,李四,审核人,mzj,{'1' * 41}\n")
    response = upload(office, "users", "users.csv", data.encode())
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "姓名不能超过60个字符" in body and "电话不能超过40个字符" in body
    assert count(app, User, User.username.in_(["mzj-lly", "mzj-shr"])) == 0


def test_form_messages_from_wtforms_are_chinese(app, office):
    response = office.post("/admin/units/new", {"code": "x1", "name": "某单位", "kind": "committee"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "不是有效的选择" in body and "Not a valid choice" not in body
