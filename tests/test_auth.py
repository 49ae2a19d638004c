import re

import pytest
from sqlalchemy import func, select

from tracker.accounts.models import LoginAttempt, User
from tracker.audit.models import AuditEvent
from tracker.extensions import db

from .conftest import PASSWORD


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_login_with_right_password_reaches_the_dashboard(make, browser):
    user = make.user("contact")
    browser.login(user.username)
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "工作台" in page and user.display_name in page


def test_wrong_password_is_refused_in_chinese_and_recorded(app, make, browser):
    user = make.user("contact")
    browser.get("/login")
    response = browser.post("/login", {"username": user.username, "password": "wrong-password1"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert count(app, LoginAttempt, LoginAttempt.username == user.username, LoginAttempt.success.is_(False)) == 1
    assert browser.get("/dashboard").status_code == 302


def test_login_is_throttled_per_account_and_address_even_with_the_right_password(app, make, browser):
    user = make.user("contact")
    browser.get("/login")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]):
        browser.post("/login", {"username": user.username, "password": "wrong-password1"})
    response = browser.post("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "已暂时锁定" in response.get_data(as_text=True)
    assert browser.get("/dashboard").status_code == 302


def test_login_is_throttled_per_address_across_accounts(app, make, browser):
    user = make.user("contact")
    browser.get("/login")
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        browser.post("/login", {"username": f"nobody{i}", "password": "wrong-password1"})
    response = browser.post("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "此地址登录失败次数过多" in response.get_data(as_text=True)


def test_a_success_resets_the_account_failure_count(app, make, browser, login):
    user = make.user("contact")
    browser.get("/login")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"] - 1):
        browser.post("/login", {"username": user.username, "password": "wrong-password1"})
    login(user)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"] - 1):
        browser.post("/login", {"username": user.username, "password": "wrong-password1"})
    assert browser.post("/login", {"username": user.username, "password": PASSWORD}).status_code == 302


def test_post_without_csrf_token_is_rejected_and_changes_nothing(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    client = login(office)
    before = count(app, User)
    response = client.post("/admin/users/new", {"username": "forged", "display_name": "伪造", "role": "office",
                                                 "unit_id": "0", "password": "abcdefgh123"}, csrf=False)
    assert response.status_code == 400
    assert "表单已失效" in response.get_data(as_text=True)
    assert count(app, User) == before


def test_post_with_a_token_from_another_session_is_rejected(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    other = login(make.user("office", unit=make.unit(kind="office")))
    client = login(office)
    response = client.post("/admin/units/new", {"code": "x1", "name": "伪造单位", "kind": "department",
                                                "csrf_token": other.token}, csrf=False)
    assert response.status_code == 400


def test_logout_ends_the_session(make, login):
    client = login(make.user("contact"))
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_change_password_requires_the_current_one_and_a_strong_new_one(app, make, login):
    user = make.user("contact")
    client = login(user)
    weak = client.post("/account/password", {"current": PASSWORD, "password": "short", "confirm": "short"})
    assert weak.status_code == 422 and "至少需要10个字符" in weak.get_data(as_text=True)
    wrong = client.post("/account/password", {"current": "nope-nope-1", "password": "NewPassw0rd9", "confirm": "NewPassw0rd9"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    ok = client.post("/account/password", {"current": PASSWORD, "password": "NewPassw0rd9", "confirm": "NewPassw0rd9"})
    assert ok.status_code == 302
    assert client.get("/dashboard").status_code == 200  # still signed in with the new session id
    fresh = type(client)(app)
    fresh.get("/login")
    assert fresh.post("/login", {"username": user.username, "password": PASSWORD}).status_code == 200
    fresh.login(user.username, "NewPassw0rd9")


def test_password_change_ends_other_sessions(make, login):
    user = make.user("contact")
    elsewhere = login(user)
    client = login(user)
    client.post("/account/password", {"current": PASSWORD, "password": "NewPassw0rd9", "confirm": "NewPassw0rd9"})
    assert elsewhere.get("/dashboard").status_code == 302


def test_user_who_must_change_password_is_sent_to_the_form(make, login):
    user = make.user("contact", must_change_password=True)
    client = login(user)
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")


def test_deactivated_account_is_signed_out_and_cannot_sign_in(app, make, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    user = make.user("contact")
    victim = login(user)
    response = office.post(f"/admin/users/{user.id}/active", {"active": "0", "reason": "调离岗位"})
    assert response.status_code == 302
    assert victim.get("/dashboard").status_code == 302
    again = type(victim)(app)
    again.get("/login")
    assert again.post("/login", {"username": user.username, "password": PASSWORD}).status_code == 200
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
        assert event.note == "调离岗位" and event.object_id == str(user.id)


def test_office_cannot_deactivate_itself(app, make, login):
    me = make.user("office", unit=make.unit(kind="office"))
    client = login(me)
    client.post(f"/admin/users/{me.id}/active", {"active": "0"})
    with app.app_context():
        assert db.session.get(User, me.id).active is True


def test_security_headers_and_cookie_flags(make, browser):
    user = make.user("contact")
    browser.get("/login")
    response = browser.post("/login", {"username": user.username, "password": PASSWORD})
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_pages_contain_no_inline_script_and_no_external_asset(make, login):
    client = login(make.user("office", unit=make.unit(kind="office")))
    for url in ("/dashboard", "/admin/users", "/admin/units/", "/audit/"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), url


def test_error_pages_are_chinese(make, login):
    client = login(make.user("contact"))
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_unknown_username_and_wrong_password_get_the_same_answer(make, browser):
    user = make.user("contact")
    browser.get("/login")
    a = browser.post("/login", {"username": "ghost", "password": "wrong-password1"}).get_data(as_text=True)
    b = browser.post("/login", {"username": user.username, "password": "wrong-password1"}).get_data(as_text=True)
    assert "用户名或密码错误" in a and "用户名或密码错误" in b


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example"])
def test_next_after_login_stays_on_the_site(make, browser, target):
    user = make.user("contact")
    browser.get("/login")
    response = browser.post("/login", {"username": user.username, "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


def test_next_after_login_keeps_a_local_path(make, browser):
    user = make.user("contact")
    browser.get("/login")
    response = browser.post("/login", {"username": user.username, "password": PASSWORD, "next": "/calendar/?year=2027"})
    assert response.headers["Location"] == "/calendar/?year=2027"


def test_behind_a_trusted_proxy_throttling_counts_the_clients_address(app, make):
    from tracker import create_app
    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "SECRET_KEY": "test-secret-key", "PASSWORD_HASH_FAST": True, "TRUSTED_PROXIES": 1,
                          "WTF_CSRF_ENABLED": False})
    client = proxied.test_client()
    for i in range(proxied.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        client.post("/login", data={"username": f"nobody{i}", "password": "wrong-password1"},
                    headers={"X-Forwarded-For": "203.0.113.7"})
    user = make.user("contact")
    blocked = client.post("/login", data={"username": user.username, "password": PASSWORD},
                          headers={"X-Forwarded-For": "203.0.113.7"})
    other = client.post("/login", data={"username": user.username, "password": PASSWORD},
                        headers={"X-Forwarded-For": "198.51.100.9"})
    assert blocked.status_code == 429 and other.status_code == 302
