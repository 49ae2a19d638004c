"""Key journeys in a real headless Chromium (Debian's package, driven by Playwright)."""
import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_office_signs_in_and_sees_the_dashboard(make, page):
    office = make.user("office", unit=make.unit(kind="office"))
    make.unit(name="绥阳镇", kind="town")  # a town with no contact yet
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    assert page.locator("h1").inner_text().startswith("工作台")
    assert "绥阳镇" in page.locator("main").inner_text()  # listed as a unit without a contact
    page.locator("nav").get_by_text("系统管理").click()
    assert page.locator("nav").get_by_text("单位管理").is_visible()


def test_contact_sees_own_unit_dashboard_without_office_menus(make, page):
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    sign_in(page, contact.username)
    page.wait_for_url("**/dashboard")
    assert "民政局" in page.locator("h1").inner_text()
    assert page.locator("nav").get_by_text("单位管理").count() == 0


def test_wrong_password_shows_a_chinese_error(make, page):
    contact = make.user("contact")
    sign_in(page, contact.username, "not-the-password1")
    assert page.get_by_text("用户名或密码错误").is_visible()
