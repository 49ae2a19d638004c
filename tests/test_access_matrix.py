"""Every registered route, asked by every role and by an anonymous visitor.

EXPECTED is the access policy written out by hand. A route that is not listed here fails the test,
so a new page cannot ship without someone deciding who may use it.
"""
import pytest

from tracker.access import PUBLIC
from tracker.timeutil import china_today

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
    "applications.index": STAFF,
    "applications.export": STAFF,
    "applications.discard": OFFICE,
    "applications.new": {"office", "contact", "reviewer"},
    "applications.detail": STAFF,
    "applications.reveal_id": {"office", "contact", "reviewer"},
    "applications.act": {"office", "contact", "reviewer"},
    "applications.case_result": {"office", "contact", "reviewer"},
    "applications.letter": STAFF,
    "applications.upload_document": {"office", "contact", "reviewer"},
    "applications.document": STAFF,
    "applications.stats": STAFF,
    "applications_public.apply": PUBLIC,
    "applications_public.status": PUBLIC,
    "applications_public.reply_document": PUBLIC,
    "applications_public.password_request": PUBLIC,
    "applications_public.rate": PUBLIC,  # only with the lookup's grant; staff are refused (test_ratings)
    "applications.ratings_list": OFFICE,  # who rated: the office only
    "applications.rating_handled": OFFICE,
    "applications.reset_query_password": OFFICE,
    "disclosure.tasks": STAFF,
    "disclosure.tasks_export": STAFF,
    "disclosure.new_task": {"contact", "office"},
    "disclosure.task": STAFF,
    "disclosure.acknowledge": {"contact"},
    "disclosure.submit_draft": {"contact"},
    "disclosure.publish": {"contact"},
    "disclosure.approve": {"reviewer"},
    "disclosure.return_task": {"reviewer"},
    "disclosure.verify": OFFICE,
    "disclosure.fail_verification": OFFICE,
    "disclosure.cancel": OFFICE,
    "disclosure.upload": {"contact", "office"},
    "disclosure.attachment": STAFF,
    "disclosure.remove_attachment": {"contact", "office"},
    "disclosure.catalogue": STAFF,
    "disclosure.catalogue_export": STAFF,
    "disclosure.new_duty": OFFICE,
    "disclosure.edit_duty": OFFICE,
    "disclosure.duty_active": OFFICE,
    "disclosure.apply_template": OFFICE,
    "disclosure.import_catalogue": OFFICE,
    "disclosure.key_areas": OFFICE,
    "disclosure.key_area_active": OFFICE,
    "disclosure.register": STAFF,
    "disclosure.register_export": STAFF,
    "disclosure.supervision": {"office", "leader"},
    "notify.inbox": STAFF,
    "notify.mark_read": STAFF,
    "notify.preferences": STAFF,
    "notify.outbox": OFFICE,
    "notify.resend_mail": OFFICE,
    "notify.resend_failed": OFFICE,
    "notify.reminder_settings": OFFICE,
    "notify.act": STAFF,
    "channels.unit_robot": {"office", "contact", "reviewer"},   # unit staff: their own unit only (404/403 else)
    "channels.my_channels": STAFF,
    "channels.sms_gateway": OFFICE,
    "units.profile": STAFF,
    "inspections.index": STAFF,
    "inspections.new": OFFICE,
    "inspections.detail": STAFF,
    "inspections.add_finding": OFFICE,
    "inspections.rectifications": STAFF,
    "inspections.rectification": STAFF,
    "inspections.respond": {"contact"},
    "inspections.accept": OFFICE,
    "inspections.return_item": OFFICE,
    "inspections.cancel": OFFICE,
    "inspections.evidence": STAFF,
    "inspections.urge": OFFICE,
    "inspections.urgings": {"office", "leader"},
    "bulletins.index": STAFF,
    "bulletins.draft": OFFICE,
    "bulletins.detail": STAFF,
    "bulletins.narrative": OFFICE,
    "bulletins.refresh": OFFICE,
    "bulletins.add_item": OFFICE,
    "bulletins.remove_item": OFFICE,
    "bulletins.publish": OFFICE,
    "bulletins.export": STAFF,
    "bulletins.settings": OFFICE,
    "scores.index": STAFF,
    "scores.export": STAFF,
    "scores.mine": STAFF,
    "scores.unit": STAFF,
    "scores.add_manual": OFFICE,
    "scores.void": OFFICE,
    "scores.object_to": {"contact", "reviewer"},
    "scores.objections": STAFF,
    "scores.objection": STAFF,
    "scores.decide": OFFICE,
    "scores.evidence": STAFF,
    "scores.periods": {"office", "leader"},
    "scores.period": {"office", "leader"},
    "scores.compute": OFFICE,
    "scores.publish": OFFICE,
    "scores.accept_rerun": OFFICE,
    "scores.discard_rerun": OFFICE,
    "scores.rubric_list": STAFF,
    "scores.rubric": STAFF,
    "scores.edit_rubric": OFFICE,
    "scores.new_rubric": OFFICE,
    "worklist.todo": STAFF,
    "portal.settings": OFFICE,
    "applications.stats_export": STAFF,
    "reports.index": STAFF,
    "reports.set_due": OFFICE,
    "reports.unit_report": STAFF,
    "reports.start": {"contact", "reviewer"},
    "reports.city": {"office", "leader"},
    "reports.start_city": OFFICE,
    "reports.save_narrative": {"office", "contact", "reviewer"},
    "reports.regenerate": {"office", "contact", "reviewer"},
    "reports.override": {"contact", "reviewer"},
    "reports.act": {"office", "contact", "reviewer"},
    "reports.export": STAFF,
    "reports.city_export": {"office", "leader"},
    "reports.figures": STAFF,
    "reports.save_figures": {"office", "contact", "reviewer"},
    "reports.import_figures": OFFICE,
    "reports.import_template": OFFICE,
    "reports.normative_list": STAFF,
    "reports.normative_act": {"office", "contact", "reviewer"},
    "reports.normative_add": {"office", "contact", "reviewer"},
    "sweeps.health": OFFICE,
    "sweeps.dismiss": OFFICE,
    "website.index": STAFF,
    "website.column_list": STAFF,
    "website.column": STAFF,
    "website.column_active": OFFICE,
    "website.column_check": OFFICE,
    "website.column_import": OFFICE,
    "website.finding_list": STAFF,
    "website.finding": STAFF,
    "website.rectify": OFFICE,
    "website.dismiss": OFFICE,
    "website.recheck": OFFICE,
    "website.checks": STAFF,
    "website.verify": OFFICE,
    "website.page": STAFF,
    "website.page_check": OFFICE,
    "website.settings_page": OFFICE,
}

# GET responses that are redirects by design: always, or once signed in.
REDIRECTS = {"scores.mine", "scores.rubric_list"}
REDIRECTS_WHEN_SIGNED_IN = {"accounts.login", "dashboard.home"}
# Allowed visitors asking with a made-up argument get this answer instead of 200.
# /a/<token> with a token that was never issued; a reply letter without a lookup of its application first
ANSWERS = {"notify.act": 404, "applications_public.reply_document": 404}


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
    args = {"user_id": victim.id, "unit_id": unit.id, "kind": "units", "filename": "css/app.css",
            "token": "never-issued", "mail_id": 999999,
            "failure_id": 999999}
    duty = make.duty(unit)  # disclosure: a catalogue item, a task and its evidence in the contact's unit
    task = make.task(duty)
    args.update(duty_id=duty.id, task_id=task.id, area_id=duty.key_area_id,
                attachment_id=make.attachment(task).id)
    application = make.application(unit, china_today())  # applications: one in the contact's unit
    args.update(app_id=application.id, action="reply", letter="answer",
                case_id=make.application_case(application).id,
                document_id=make.application_document(application).id)
    # supervision: an inspection of the contact's unit, a rectification answered with evidence, and a
    # published bulletin carrying a requirement for the unit
    inspection = make.inspection([unit])
    item = make.rectification(unit, inspection=inspection)
    make.rectification_answer(item, users["contact"], china_today())
    from tracker.bulletins.quarters import Quarter
    bulletin = make.bulletin(Quarter.containing(china_today()).previous().key, china_today())  # the last quarter's
    with make.app.app_context():

        from tracker.accounts.models import User
        from tracker.bulletins import services as bs
        from tracker.bulletins.models import Bulletin
        from tracker.extensions import db
        from tracker.inspections.models import RectificationEvidence
        b = db.session.get(Bulletin, bulletin.id)
        office = db.session.get(User, users["office"].id)
        bs.add_item(b, office, unit.id, "补充公开本单位2026年部门预算", 10)
        bs.publish(b, office, 1, china_today(), china_today())
        db.session.commit()
        evidence_id = db.session.scalar(db.select(RectificationEvidence.id))
        item_id = b.items[0].id
    args.update(inspection_id=inspection.id, rectification_id=item.id, evidence_id=evidence_id,
                record_type="task", record_id=task.id, bulletin_id=bulletin.id, bulletin_item_id=item_id, file_type="docx")
    args.update(_scores(make, unit, users))
    args.update(_website(make, unit, task))
    report = make.annual_report(unit, actor=users["contact"])  # reports: the unit's report of this year
    args.update(year=china_today().year, report_id=report.id, report_action="approve", fmt="json",
                section="overview", ref="doc-999999", doc_action="kind")
    return users, args


def _website(make, unit, task) -> dict:
    """网站巡查: a column of the contact's unit, the address of its task, and a finding."""
    from tracker.extensions import db
    from tracker.website.models import WebColumn, WebFinding, WebPage
    with make.app.app_context():
        column = WebColumn(unit_id=unit.id, name="通知公告", url="http://www.a.gov.cn/tzgg/", kind="notice")
        page = WebPage(task_id=task.id, unit_id=unit.id, url="http://www.a.gov.cn/t1.html")
        db.session.add_all([column, page])
        db.session.flush()
        finding = WebFinding(unit_id=unit.id, kind="blank_column", fingerprint="x", column_id=column.id,
                             url=column.url, summary="栏目空白")
        db.session.add(finding)
        db.session.commit()
        return {"column_id": column.id, "page_id": page.id, "finding_id": finding.id}


def _scores(make, unit, users) -> dict:
    """scores: the last quarter published with a manual deduction, an objection with evidence and
    a pending re-run."""
    from tracker.extensions import db
    from tracker.scores.models import ScoreItem, ScoreRerun
    from tracker.scores.periods import quarter_of
    today = china_today()
    quarter = quarter_of(today).previous()
    key = quarter.key
    make.task(make.duty(unit, title="上季度到期的公开任务"), formed=quarter.start)  # a period with nothing due is not published
    make.scores(key, today)
    make.manual_item(unit, key, "interpretation", "finding", "1", by=users["office"], today=today)
    make.scores(key, today, publish_by=users["office"])
    objection = make.objection(unit, key, users["contact"], today=today)
    make.scores(key, today)  # a re-run of the published quarter
    with make.app.app_context():
        from tracker.scores.models import Score
        rerun_id = db.session.scalar(db.select(ScoreRerun.id))
        item = db.session.scalar(db.select(ScoreItem).where(ScoreItem.key == objection.key))
        item_id, rubric_id = item.id, db.session.get(Score, item.score_id).rubric_id
    return {"key": key, "item_id": item_id, "objection_id": objection.id, "file_id": objection.evidence_id,
            "rubric_id": rubric_id, "rerun_id": rerun_id}


# Query strings some endpoints are asked with: the annual reports' exports as drafts (a final
# export of a report still holding a placeholder is refused with a message, whoever asks).
QUERY = {"reports.export": {"draft": "1"}, "reports.city_export": {"draft": "1"}}


def _url(app, rule, args):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **{a: args[a] for a in rule.arguments}, **QUERY.get(rule.endpoint, {}))


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
                expected = (302,) if redirects else (ANSWERS.get(rule.endpoint, 200),)
                assert response.status_code in expected, where
            else:
                assert response.status_code not in (401, 403, 500), where
        elif role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], where
        else:
            assert response.status_code == 403, where
            assert "无权访问" in response.get_data(as_text=True), where


def test_an_id_too_large_for_the_database_is_a_404(make, login):
    client = login(make.user("office", unit=make.unit(kind="office")))
    for url in ("/disclosure/tasks/99999999999999999999", "/admin/users/2147483648", "/applications/9999999999999"):
        assert client.get(url).status_code == 404, url
