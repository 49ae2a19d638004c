"""Indexes for the lists and aggregates at the size of a prefecture-level city.

Each matches the filter and sort order of a page or an aggregate that reads many rows; they are
declared here, on the feature models' tables, so that ``tracker/models.py`` (and so Alembic and
the migration test) sees them. Measured with ``bench/run.py`` on the large bench city
(``bench/RESULTS.md``).
"""
from sqlalchemy import Index

from .applications.models import Application
from .disclosure.models import Task
from .notify.models import Notification

INDEXES = [
    # Supervision, the dashboards and the unit summaries sum, per unit, over state, deadline and
    # publication date: with these four columns the sums are answered from the index alone.
    Index("ix_disclosure_task_unit_state_due_pub", Task.unit_id, Task.state, Task.due_date, Task.published_on),
    # The "now" figures of supervision and the dashboards (open work and publications awaiting
    # verification, per unit, by deadline: tracker/disclosure/supervision.py), from the index alone.
    Index("ix_disclosure_task_state_unit_due", Task.state, Task.unit_id, Task.due_date),
    # A year's tasks: the year's figures per unit (on time, late, failed verifications), the monthly
    # on-time rates and the task list's year filter, from the index alone; finished tasks by deadline.
    Index("ix_disclosure_task_due_state_pub_unit", Task.due_date, Task.state, Task.published_on, Task.unit_id,
          Task.verify_failures),
    # The register: newest publication first, for the office and for one unit.
    Index("ix_disclosure_task_published_id", Task.published_on, Task.id),
    Index("ix_disclosure_task_unit_published_id", Task.unit_id, Task.published_on, Task.id),
    # The normative documents (年度报告 › 规范性文件, table 二): the few published items marked
    # normative among all tasks, counted and sorted from the index alone.
    Index("ix_disclosure_task_normative_state_pub", Task.normative, Task.state, Task.unit_id, Task.published_on),
    # The applications list: newest first, for the office and for one unit.
    Index("ix_application_created_id", Application.created_at, Application.id),
    Index("ix_application_unit_created_id", Application.unit_id, Application.created_at, Application.id),
    # Running clocks by deadline: dashboard counts, the overdue filter, reminders.
    Index("ix_application_state_due", Application.state, Application.due_date),
    # A user's messages, newest first (the bell page).
    Index("ix_notification_user_created", Notification.user_id, Notification.created_at, Notification.id),
]
