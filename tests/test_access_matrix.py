"""Every registered route, asked by every role and by an anonymous visitor.

EXPECTED is the access policy written out by hand. A route that is not listed here fails the test,
so a new page cannot ship without someone deciding who may use it.
"""
import pytest

from tracker.access import PUBLIC

OFFICE = {"office"}
STAFF = {"office", "reviewer", "contact", "leader"}

# endpoint -> roles allowed (or PUBLIC)
EXPECTED = {
    "static": PUBLIC,
    "dashboard.home": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.logout": STAFF,
    "accounts.change_password": STAFF,
    "dashboard.index": STAFF,
    "audit.index": {"office", "leader"},
    "accounts.users": OFFICE,
    "accounts.new_user": OFFICE,
    "accounts.edit_user": OFFICE,
    "accounts.set_active": OFFICE,
    "accounts.reset_password": OFFICE,
    "units.index": OFFICE,
    "units.new": OFFICE,
    "units.edit": OFFICE,
    "units.set_active": OFFICE,
    "bulk_import.upload": OFFICE,
    "bulk_import.template": OFFICE,
    "workcal.year": STAFF,
    "workcal.tool": STAFF,
    "workcal.notice": OFFICE,
    "workcal.local_day": OFFICE,
}

# GET responses that are redirects by design: always, or once signed in.
REDIRECTS = {"dashboard.home"}
REDIRECTS_WHEN_SIGNED_IN = {"accounts.login"}


def _rules(app):
    return [r for r in app.url_map.iter_rules()]


def test_every_route_has_a_declared_and_expected_rule(app):
    from tracker.access import rule_for
    with app.test_request_context():
        for rule in _rules(app):
            declared = rule_for(rule.endpoint)
            assert rule.endpoint in EXPECTED, f"route {rule.rule} ({rule.endpoint}) is not in the access matrix"
            expected = EXPECTED[rule.endpoint]
            assert declared == (PUBLIC if expected == PUBLIC else frozenset(expected)), rule.endpoint
    registered = {r.endpoint for r in _rules(app)}
    assert set(EXPECTED) <= registered, f"stale entries: {set(EXPECTED) - registered}"


@pytest.fixture
def world(make):
    office_unit = make.unit(kind="office")
    unit = make.unit()
    users = {
        "office": make.user("office", unit=office_unit),
        "leader": make.user("leader"),
        "contact": make.user("contact", unit=unit),
        "reviewer": make.user("reviewer", unit=unit),
    }
    victim = make.user("contact", unit=unit)
    args = {"user_id": victim.id, "unit_id": unit.id, "kind": "units", "filename": "css/app.css"}
    return users, args


def _url(app, rule, args):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **{a: args[a] for a in rule.arguments})


@pytest.mark.parametrize("role", [None, "office", "leader", "contact", "reviewer"])
def test_each_role_gets_what_the_matrix_says(app, world, login, browser, role):
    users, args = world
    client = login(users[role]) if role else browser
    for rule in _rules(app):
        if rule.endpoint == "accounts.logout":
            continue  # signs the client out; checked in test_auth
        url = _url(app, rule, args)
        allowed = EXPECTED[rule.endpoint]
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.get(url) if method == "GET" else client.post(url)
        where = f"{method} {url} as {role or 'anonymous'}"
        if allowed == PUBLIC or (role and role in allowed):
            if method == "GET":
                redirects = rule.endpoint in REDIRECTS or (role and rule.endpoint in REDIRECTS_WHEN_SIGNED_IN)
                expected = (302,) if redirects else (200,)
                assert response.status_code in expected, where
            else:
                assert response.status_code not in (401, 403, 500), where
        elif role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], where
        else:
            assert response.status_code == 403, where
            assert "无权访问" in response.get_data(as_text=True), where
