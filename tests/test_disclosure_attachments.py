"""Evidence on a published item: type and size limits, stored privately, served only to those
who may see the task."""
import io
import os
from datetime import date

import pytest
from sqlalchemy import select

from tracker.disclosure.models import TaskAttachment
from tracker.extensions import db

PDF = b"%PDF-1.7\n" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 100


@pytest.fixture
def setup(make, login):
    unit = make.unit()
    contact = make.user("contact", unit=unit)
    task = make.task(make.duty(unit), formed=date(2026, 3, 2))
    client = login(contact)
    client.post(f"/disclosure/tasks/{task.id}/acknowledge")
    return task, client


def _upload(client, task, name, data):
    return client.post(f"/disclosure/tasks/{task.id}/attachments", {"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _stored(app):
    """The one uploaded attachment and the path of its file."""
    with app.app_context():
        item = db.session.scalar(select(TaskAttachment))
        return item, os.path.join(app.config["UPLOAD_FOLDER"], item.stored_name)


def test_upload_and_download_by_the_unit_and_office(app, make, login, setup):
    task, client = setup
    assert _upload(client, task, "网页截图.png", PNG).status_code == 302
    with app.app_context():
        item = db.session.scalar(select(TaskAttachment))
        path = os.path.join(app.config["UPLOAD_FOLDER"], item.stored_name)
        assert os.path.exists(path) and item.stored_name != "网页截图.png"
    page = client.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert "网页截图.png" in page
    got = client.get(f"/disclosure/attachments/{item.id}")
    assert got.status_code == 200 and got.data == PNG
    office = login(make.user("office", unit=make.unit(kind="office")))
    assert office.get(f"/disclosure/attachments/{item.id}").data == PNG
    stranger = login(make.user("reviewer", unit=make.unit()))
    assert stranger.get(f"/disclosure/attachments/{item.id}").status_code == 404


@pytest.mark.parametrize("name, data, message", [
    ("a.exe", b"MZ" + b"x" * 10, "只能上传"),
    ("a.pdf", PNG, "不符"),
    ("a.docx", PDF, "不符"),
    ("big.pdf", b"%PDF-" + b"x" * (10 * 1024 * 1024), "10MB"),
])
def test_bad_files_are_refused(app, setup, name, data, message):
    task, client = setup
    r = _upload(client, task, name, data)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TaskAttachment)) is None


def test_no_upload_on_a_pending_task(app, make, login):
    unit = make.unit()
    task = make.task(make.duty(unit))
    r = _upload(login(make.user("contact", unit=unit)), task, "a.pdf", PDF)
    assert r.status_code == 422 and "不能上传" in r.get_data(as_text=True)


def test_evidence_uploaded_by_mistake_is_removed_before_publication_audited_and_its_file_deleted(
        app, make, login, setup):
    from tracker.audit.models import AuditEvent
    task, client = setup
    _upload(client, task, "错传的文件.pdf", PDF)
    item, path = _stored(app)
    page = client.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    assert f"/disclosure/attachments/{item.id}/remove" in page and "109 字节" in page  # under 1 KB: in bytes
    assert client.post(f"/disclosure/attachments/{item.id}/remove").status_code == 302
    with app.app_context():
        assert db.session.get(TaskAttachment, item.id) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "disclosure.attachment_remove"))
        assert event.before == {"file": "错传的文件.pdf", "size": len(PDF)} and event.object_id == str(task.id)
    assert not os.path.exists(path)


def test_published_evidence_stays(app, make, login):
    unit = make.unit()
    contact = make.user("contact", unit=unit)
    task = make.task(make.duty(unit, review_required=False))
    client = login(contact)
    client.post(f"/disclosure/tasks/{task.id}/acknowledge")
    _upload(client, task, "截图.png", PNG)
    assert client.post(f"/disclosure/tasks/{task.id}/publish", {
        "published_on": "2026-03-10", "channels": ["website"], "url": "https://www.example.gov.cn/1.html"}).status_code == 302
    item, path = _stored(app)
    assert f"/disclosure/attachments/{item.id}/remove" not in client.get(f"/disclosure/tasks/{task.id}").get_data(as_text=True)
    r = client.post(f"/disclosure/attachments/{item.id}/remove")
    assert r.status_code == 422 and "不能再删除" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TaskAttachment, item.id) is not None
    assert os.path.exists(path)


def test_only_the_units_contact_or_the_office_remove_evidence(app, make, login, setup):
    task, client = setup
    _upload(client, task, "证据.pdf", PDF)
    item, path = _stored(app)
    reviewer = login(make.user("reviewer", unit=make.unit()))
    assert reviewer.post(f"/disclosure/attachments/{item.id}/remove").status_code == 403
    other_contact = login(make.user("contact", unit=make.unit()))
    assert other_contact.post(f"/disclosure/attachments/{item.id}/remove").status_code == 404
    assert os.path.exists(path)
    office = login(make.user("office", unit=make.unit(kind="office")))
    assert office.post(f"/disclosure/attachments/{item.id}/remove").status_code == 302
    assert not os.path.exists(path)


def test_a_removal_that_is_rolled_back_keeps_its_file(app, make, login, setup):
    from tracker.accounts.models import User
    from tracker.disclosure.evidence import remove_attachment
    task, client = setup
    _upload(client, task, "证据.pdf", PDF)
    _, path = _stored(app)
    with app.test_request_context():
        item = db.session.scalar(select(TaskAttachment))
        remove_attachment(item, db.session.scalar(select(User).where(User.role == "contact")))
        db.session.rollback()  # e.g. the request failed after the removal
        assert os.path.exists(path) and db.session.get(TaskAttachment, item.id) is not None
        db.session.commit()  # a later, unrelated commit does not delete it either
        assert os.path.exists(path)


@pytest.mark.parametrize("size, shown", [(0, "0 字节"), (1023, "1023 字节"), (1024, "1.0 KB"), (1536, "1.5 KB"),
                                         (5 * 1024 * 1024, "5.0 MB")])
def test_file_sizes_read_in_bytes_under_one_kilobyte(size, shown):
    from tracker.files import human_size
    assert human_size(size) == shown
