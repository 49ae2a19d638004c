"""Helpers of the score tests: run services at a moment in China time, and records with a history."""
from datetime import date, datetime, time

import time_machine

from tracker.extensions import db
from tracker.timeutil import CHINA


def at(day: date, hour: int = 10):
    """Freeze the clock at ``hour`` o'clock China time on ``day``."""
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=CHINA), tick=False)


def run(app, fn):
    """Call ``fn`` in an app context and commit, as a request or a job would."""
    with app.app_context():
        result = fn()
        db.session.commit()
        if hasattr(result, "__table__"):  # a record: hand it back loaded and detached
            db.session.refresh(result)
            db.session.expunge(result)
        return result


def get(model, obj):
    return db.session.get(model, obj.id)


def task_with_history(app, make, duty, contact, formed: date, published: date | None = None,
                      acknowledged: date | None = None, title: str | None = None):
    """A task issued on ``formed``, acknowledged (that day unless given) and published on ``published``."""
    from tracker.accounts.models import User
    from tracker.disclosure import services
    from tracker.disclosure.models import Task

    with at(formed):
        task = make.task(duty, formed=formed, title=title)
    with at(acknowledged or formed, 11):
        run(app, lambda: services.acknowledge(get(Task, task), get(User, contact)))
    if published is not None:
        record = services.PublicationRecord(published, ["website"], "https://www.dongning.gov.cn/zwgk/1.html")
        with at(published, 15):
            run(app, lambda: services.publish(get(Task, task), get(User, contact), record, published))
    return task
