"""Forms people fill in: an error appears beside the field it concerns (not only as a banner), the
input is kept, and unit dropdowns are grouped by kind instead of repeating it on every option."""
import re
from datetime import date, datetime, timezone

import pytest
import time_machine

D = date


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc), tick=True):
        yield


def field_block(html: str, name: str) -> str:
    """The markup of one field as the ``field`` macro renders it."""
    start = html.index(f'data-field="{name}"')
    end = html.find('data-field="', start + 10)
    return html[start:end if end != -1 else None]


def test_a_service_refusal_is_shown_beside_its_field_and_the_input_is_kept(make, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    make.user("contact", username="mzj-lly", unit=make.unit(name="民政局"))
    r = office.post("/admin/users/new", {"username": "mzj-lly", "display_name": "王海燕", "role": "contact",
                                         "unit_id": "0", "email": "w@example.gov.cn"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    block = field_block(html, "username")
    assert "is-invalid" in block and "已存在" in block and 'aria-invalid="true"' in block
    assert html.index("已存在") < html.index('data-field="username"')  # and in the banner on top
    assert 'value="王海燕"' in field_block(html, "display_name")  # nothing typed is lost


def test_a_form_validation_error_is_beside_its_field_and_the_banner_names_it(make, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    r = office.post("/admin/units/new", {"code": "", "name": "民政局", "kind": "department"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "此项必填" in field_block(html, "code") and "此项必填" not in field_block(html, "name")
    assert "请修改标出的项目（单位编码）" in html


def test_a_bad_publication_date_is_shown_on_the_date_field(app, make, login):
    unit = make.unit()
    contact = login(make.user("contact", unit=unit))
    task = make.task(make.duty(unit, review_required=False), formed=D(2026, 11, 2))
    contact.post(f"/disclosure/tasks/{task.id}/acknowledge")
    r = contact.post(f"/disclosure/tasks/{task.id}/publish", {"published_on": "2026-12-31", "channels": ["website"],
                                                             "url": "https://www.example.gov.cn/x.html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "不能晚于今天" in field_block(html, "published_on")
    assert 'type="date"' in field_block(html, "published_on")
    r = contact.post(f"/disclosure/tasks/{task.id}/publish", {"published_on": "2026-11-19", "channels": []})
    assert "请至少选择一个公开渠道" in field_block(r.get_data(as_text=True), "channels")


def test_a_refused_application_action_opens_with_its_error_beside_the_field(app, make, login):
    unit = make.unit()
    office = login(make.user("office", unit=make.unit(kind="office")))
    application = make.application(unit, D(2026, 11, 2))
    r = office.post(f"/applications/{application.id}/act/extension", {
        "extension-days": "30", "extension-approved_on": "2026-11-19", "extension-notice_sent_on": "2026-11-19",
        "extension-reason": "需要检索档案"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="act-extension"[^>]* open>', html)
    assert "延长期限应为1至20个工作日" in field_block(html, "extension-days")
    assert "需要检索档案" in field_block(html, "extension-reason")


def test_unit_dropdowns_are_grouped_by_kind_and_show_only_the_name(make, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    make.unit(name="民政局", kind="department")
    make.unit(name="东宁镇", kind="town")
    for url in ("/admin/users/new", "/disclosure/catalogue/new", "/applications/new"):
        html = office.get(url).get_data(as_text=True)
        select = field_block(html, "unit_id")
        assert '<optgroup label="镇（街道）">' in select and '<optgroup label="市直部门">' in select, url
        assert ">民政局</option>" in select and "民政局（" not in select, url
    listing = office.get("/disclosure/tasks").get_data(as_text=True)
    assert '<optgroup label="市直部门">' in listing and "民政局（" not in listing


def test_no_date_format_help_on_staff_forms(make, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    unit = make.unit()
    contact = login(make.user("contact", unit=unit))
    make.duty(unit)
    for client, url in ((office, "/disclosure/catalogue/new"), (contact, "/disclosure/tasks/new"),
                        (office, "/applications/new"), (office, "/calendar/")):
        html = client.get(url).get_data(as_text=True)
        assert "YYYY" not in html, url
        assert re.search(r'<input[^>]*type="date"', html), url
