"""The audit log as people read it (操作日志): fields by their Chinese names, values in Chinese
(states, channels, units, yes / no, file sizes), and each event's record by its title, linked.

Events store raw values (``{"state": "pending_ack"}``, ``{"unit_id": 2}``) so that they stay exact;
this module only translates them for the page. Each feature describes its records once with
``describe_object`` (the object type is the table name ``record`` stored); ``present`` turns a page
of events into rows and looks up every unit named on the page in one query. A field nobody
described still reads sensibly (lists joined with 、, yes / no, dates as they are).
"""
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from ..access import PUBLIC, rule_for
from ..extensions import db
from .models import AuditEvent
from .services import ACTION_LABELS

Formatter = Callable[[Any, "Lookup"], str]
EMPTY = "—"


class Lookup:
    """Names of the records events refer to by id, loaded once per page."""

    def __init__(self):
        self._units: dict[int, str] | None = None

    def unit(self, unit_id) -> str:
        if self._units is None:
            from ..units.models import Unit
            self._units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
        try:
            return self._units.get(int(unit_id), f"（已删除的单位 {unit_id}）")
        except (TypeError, ValueError):
            return str(unit_id)


@dataclass
class ObjectKind:
    label: str  # what the record is, e.g. 公开任务
    fields: dict[str, tuple[str, Formatter | None]] = field(default_factory=dict)
    link: tuple[str, str] | None = None  # (endpoint, its id argument): the record's page
    name: Callable[[AuditEvent], str | None] | None = None  # a name when the stored label is unreadable


_kinds: dict[str, ObjectKind] = {}
# Functions ``fn(key) -> (label, formatter) | None`` for keys that follow a pattern rather than a
# list (e.g. an annual report's cells, ``two/licence/decisions``), asked when no description fits.
_key_resolvers: list[Callable[[str], tuple[str, Formatter | None] | None]] = []


def describe_object(object_type: str, label: str, fields: dict | None = None, link=None, name=None) -> None:
    """Say how the audit log shows records of ``object_type``: ``fields`` maps a stored key to
    (Chinese name, formatter or None); ``link`` is (endpoint, id argument) of the record's page,
    linked for those who may open it. Describing a type again adds fields (several features keep
    settings in one table)."""
    if object_type in _kinds:
        _kinds[object_type].fields.update(fields or {})
        return
    _kinds[object_type] = ObjectKind(label, dict(fields or {}), link, name)


def describe_keys(fn):
    """Register ``fn(key) -> (Chinese name, formatter) | None`` for patterned keys (any record)."""
    if fn not in _key_resolvers:
        _key_resolvers.append(fn)
    return fn


def _field(kind: ObjectKind | None, key: str) -> tuple[str, Formatter | None]:
    found = (kind.fields.get(key) if kind else None) or GENERIC_FIELDS.get(key)
    for resolve in _key_resolvers if found is None else ():
        found = resolve(key)
        if found is not None:
            break
    return found or (key, None)


# --- formatters -------------------------------------------------------------------------------------

def choice(mapping: dict) -> Formatter:
    """A code (or a list of codes) shown by its label: pending_ack → 待签收, ['website'] → 政府网站."""
    def show(value, lookup):
        values = value if isinstance(value, list | tuple) else [value]
        return "、".join(str(mapping.get(v, v)) for v in values) or EMPTY
    return show


def unit(value, lookup: Lookup) -> str:
    return lookup.unit(value)


def yes_no(value, lookup) -> str:
    return "是" if value else "否"


def enabled(value, lookup) -> str:
    return "启用" if value else "停用"


def file_size(value, lookup) -> str:
    from ..files import human_size
    return human_size(value)


# Keys that mean the same thing on every record.
GENERIC_FIELDS: dict[str, tuple[str, Formatter | None]] = {
    "unit_id": ("单位", unit),
    "from_unit_id": ("原单位", unit),
    "active": ("状态", enabled),
    "title": ("名称", None),
    "name": ("名称", None),
    "note": ("说明", None),
    "reason": ("原因", None),
    "file": ("文件", None),
    "size": ("大小", file_size),
}

# A label stored by an old version as Python's default repr, e.g. "<CalendarNotice 1>".
_REPR = re.compile(r"^<\w+[^>]*>$")


def _text(value, formatter: Formatter | None, lookup: Lookup) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if formatter is not None:
        return formatter(value, lookup)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(_text(v, None, lookup) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_text(v, None, lookup)}" for k, v in value.items())
    return str(value)


@dataclass
class Change:
    label: str
    before: str | None  # None: the field is only in "after" (a new record, a value set)
    after: str


@dataclass
class Row:
    event: AuditEvent
    action: str
    kind: str | None
    object_name: str
    link: str | None
    changes: list[Change]


def _object(event: AuditEvent, kind: ObjectKind | None) -> tuple[str, str | None]:
    label = event.object_label
    if (not label or _REPR.match(label)) and kind and kind.name:
        label = kind.name(event)
    if not label or _REPR.match(label):
        label = ""  # the kind of record is shown beside it
    link = None
    if kind and kind.link and event.object_id and str(event.object_id).isdigit():
        endpoint, argument = kind.link
        rule = rule_for(endpoint)
        if rule == PUBLIC or (rule and current_user.is_authenticated and current_user.role in rule):
            link = url_for(endpoint, **{argument: int(event.object_id)})
    return label, link


def _changes(event: AuditEvent, kind: ObjectKind | None, lookup: Lookup) -> list[Change]:
    before, after = event.before or {}, event.after or {}
    keys = list(after) + [k for k in before if k not in after]
    out = []
    for key in keys:
        label, formatter = _field(kind, key)
        new = _text(after.get(key), formatter, lookup)
        old = _text(before[key], formatter, lookup) if key in before else None
        out.append(Change(label, old, new))
    return out


def present(events) -> list[Row]:
    """A page of audit events as rows for the 操作日志 page."""
    lookup = Lookup()
    rows = []
    for event in events:
        kind = _kinds.get(event.object_type)
        name, link = _object(event, kind)
        rows.append(Row(event, ACTION_LABELS.get(event.action, event.action), kind.label if kind else None,
                        name, link, _changes(event, kind, lookup)))
    return rows
