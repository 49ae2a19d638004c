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
