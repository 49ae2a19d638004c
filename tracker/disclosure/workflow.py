"""The task workflow of proactive disclosure, in the order of 先审查、后公开 (domain.md §2).

1. 签收: the unit's contact takes the task on (待签收 → 已签收).
2. 提交送审稿: the contact submits the DRAFT for review — the text or file to publish, the proposed
   channels, the disclosure attribute (主动公开 / 依申请公开 / 不予公开, with the reason when not
   proactive) and the confidentiality self-check (保密审查: no state secret; trade secrets and
   personal privacy absent, or how they were redacted) (→ 待审核).
3. 审核: the unit's reviewer reads the draft and approves it (→ 审核通过待发布) or returns it
   (→ 退回修改), with a comment either way.
4. 发布: the contact publishes and records date, channels and address; the date is not before
   the approval and not after today (→ 已发布待核验).
5. 核验: the office checks the information at its address and verifies it (→ 已核验), or fails
   the verification with a reason (address dead, content missing), which sends the task back to
   the unit as a correction (→ 核验未通过), counted in ``Task.verify_failures``; the contact then
   records the corrected publication (→ 已发布待核验) for the office to check again.

Duties without review keep the direct path: 已签收 → 已发布待核验 in one step.

Only the transitions below write ``Task.state``; each writes a TaskEvent (the task page's
timeline) and an audit event, and tells the next person in the chain (bell and mail).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..accounts.models import User
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..notify.tokens import TokenAction, register_token_action
from ..timeutil import china_today, utcnow
from . import reminders
from .evidence import add_attachment
from .models import (
    ATTACH_STATES,
    ATTRIBUTES,
    CHANNELS,
    OPEN_STATES,
    PRIVACY,
    Task,
    TaskAttachment,
    TaskChannel,
    TaskEvent,
)
from .rules import URL_RE

URL_MAX = 500
DRAFT_TEXT_MAX = 20000
ROLE_NAMES = {"contact": "本单位联络员", "reviewer": "本单位审核人", "office": "公开办"}


def _event(task_id: int, action: str, from_state: str | None, to_state: str, actor, reason=None) -> TaskEvent:
    event = TaskEvent.step(actor, task_id=task_id, action=action, from_state=from_state, to_state=to_state,
                           reason=reason)
    db.session.add(event)
    return event


def _check(task: Task, actor, roles: tuple, states: tuple, verb: str) -> None:
    if actor is None or actor.role not in roles:
        raise ServiceError(f"只有{'或'.join(ROLE_NAMES[r] for r in roles)}可以{verb}。")
    if not actor.sees_all_units and actor.unit_id != task.unit_id:
        raise ServiceError("不能处理其他单位的任务。")
    if task.state not in states:
        raise ServiceError(f"任务当前状态为“{task.state_label}”，不能{verb}。")


def _move(task: Task, action: str, to_state: str, actor, reason: str | None = None,
          after: dict | None = None) -> TaskEvent:
    """The one place that writes ``Task.state``: event on the timeline plus an audit record."""
    from_state = task.state
    task.state = to_state
    event = _event(task.id, action, from_state, to_state, actor, reason)
    db.session.flush()
    record(f"disclosure.{action}", task, before={"state": from_state}, after={"state": to_state, **(after or {})},
           note=reason, actor=actor)
    return event


def _required_text(value: str | None, message: str, field: str, limit: int = 1000) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(message, field)
    if len(value) > limit:
        raise ServiceError(f"不能超过{limit}个字符。", field)
    return value


def acknowledge(task: Task, actor) -> None:
    """签收: the unit's contact takes the task on."""
    _check(task, actor, ("contact",), ("pending_ack",), "签收")
    task.acknowledged_at = utcnow()
    _move(task, "acknowledge", "acknowledged", actor)


# The acknowledge link in the new-task mail (``reminders.task_opened``) performs this transition.
def _describe(task_id: int) -> str:
    task = db.session.get(Task, task_id)
    return f"签收公开任务：{task.title}（期限 {task.due_date:%Y-%m-%d}）" if task else "任务不存在。"


def _acknowledge(task_id: int, user: User) -> str:
    task = db.session.get(Task, task_id)
    if task is None:
        raise ServiceError("任务不存在。")
    acknowledge(task, user)
    return f"/disclosure/tasks/{task.id}"


register_token_action("task.acknowledge", TokenAction("签收公开任务", _describe, _acknowledge))


# --- 2. the draft ---------------------------------------------------------------------------------


@dataclass
class Draft:
    """The draft (送审稿) submitted for review; ``validate`` gives the Chinese refusals.

    ``has_file`` says a draft file comes with it (uploaded now, or kept from an earlier
    submission of the same task): the draft is its text or its file or both.
    """

    text: str
    channels: list[str]
    attribute: str | None
    attribute_reason: str = ""
    no_state_secret: bool = False
    privacy: str | None = None
    redaction_note: str = ""
    doc_number: str = ""
    normative: bool = False
    has_file: bool = False

    def validate(self) -> None:
        self.text = (self.text or "").strip()
        if not self.text and not self.has_file:
            raise ServiceError("请填写送审稿正文或上传送审稿文件。", "draft_text")
        if len(self.text) > DRAFT_TEXT_MAX:
            raise ServiceError(f"送审稿正文不能超过{DRAFT_TEXT_MAX}个字符，较长的请以文件上传。", "draft_text")
        if self.attribute not in ATTRIBUTES:
            raise ServiceError("请选择公开属性（主动公开、依申请公开或不予公开）。", "attribute")
        self.attribute_reason = (self.attribute_reason or "").strip()
        self.redaction_note = (self.redaction_note or "").strip()
        if len(self.attribute_reason) > 1000 or len(self.redaction_note) > 1000:
            raise ServiceError("理由和处理说明均不能超过1000个字符。", "attribute_reason")
        self.channels = [c for c in CHANNELS if c in set(self.channels or [])]
        if self.attribute == "proactive":
            if not self.channels:
                raise ServiceError("请选择拟公开渠道。", "channels")
            if not self.no_state_secret:
                raise ServiceError("保密审查：请确认送审稿不涉及国家秘密（涉及国家秘密的信息不得公开）。",
                                   "no_state_secret")
            if self.privacy not in PRIVACY:
                raise ServiceError("保密审查：请确认是否涉及商业秘密和个人隐私。", "privacy")
            if self.privacy == "redacted" and not self.redaction_note:
                raise ServiceError("涉及商业秘密或个人隐私的，请说明如何处理（如删除身份证号码、隐去姓名）。",
                                   "redaction_note")
        elif not self.attribute_reason:
            raise ServiceError(f"公开属性为“{ATTRIBUTES[self.attribute]}”的，须说明理由和依据。", "attribute_reason")
        self.doc_number = (self.doc_number or "").strip()
        if len(self.doc_number) > 100:
            raise ServiceError("文号不能超过100个字符。", "doc_number")
        if self.normative and not self.doc_number:
            raise ServiceError("规范性文件须填写文号。", "doc_number")


def draft_files(task: Task) -> list[TaskAttachment]:
    return db.session.scalars(select(TaskAttachment).where(TaskAttachment.task_id == task.id,
                                                           TaskAttachment.kind == "draft")
                              .order_by(TaskAttachment.id)).all()


def submit_draft(task: Task, actor, draft: Draft, file: tuple[str, bytes] | None = None) -> None:
    """提交审核: the contact submits the draft to the unit's reviewer (先审查、后公开).

    ``file`` is an optional (filename, bytes) of the draft document, stored with the task.
    Everything is checked before anything is stored: a refused draft leaves no file behind.
    """
    _check(task, actor, ("contact",), ("acknowledged", "returned"), "提交审核")
    if not task.review_required:
        raise ServiceError("该事项无须审核，请直接登记发布。")
    draft.has_file = bool(file) or bool(draft_files(task))
    draft.validate()
    if file:
        add_attachment(task, actor, file[0], file[1], kind="draft")
    task.draft_text = draft.text or None
    task.draft_channels = list(draft.channels)
    task.disclosure_attribute = draft.attribute
    task.attribute_reason = draft.attribute_reason or None
    task.no_state_secret = bool(draft.no_state_secret) if draft.attribute == "proactive" else None
    task.privacy = draft.privacy if draft.privacy in PRIVACY else None
    task.redaction_note = draft.redaction_note or None
    task.doc_number, task.normative = draft.doc_number or None, bool(draft.normative)
    task.return_reason = None
    event = _move(task, "submit", "in_review", actor, after={
        "attribute": draft.attribute, "channels": task.draft_channels, "privacy": task.privacy,
        "doc_number": task.doc_number, "normative": task.normative, "file": file[0] if file else None})
    reminders.draft_submitted(task, event)


# --- 3. the review --------------------------------------------------------------------------------


def approve(task: Task, actor, comment: str, today: date | None = None) -> None:
    """审核通过: the unit's reviewer approves the draft, with a comment (审核意见); the contact may
    publish from the day of the approval on."""
    _check(task, actor, ("reviewer",), ("in_review",), "审核通过")
    comment = _required_text(comment, "请填写审核意见（如：同意公开；已审查，不涉及国家秘密）。", "comment")
    task.review_comment = comment
    task.approved_on = today or china_today()
    event = _move(task, "approve", "approved", actor, reason=comment, after={"approved_on": task.approved_on})
    reminders.draft_decided(task, event)


def return_task(task: Task, actor, reason: str) -> None:
    """退回: the reviewer sends the draft back to the contact, with the reason."""
    _check(task, actor, ("reviewer",), ("in_review",), "退回")
    reason = _required_text(reason, "请填写退回原因。", "reason")
    task.return_reason = reason
    event = _move(task, "return", "returned", actor, reason=reason)
    reminders.draft_decided(task, event)


# --- 4. publication -------------------------------------------------------------------------------


@dataclass
class PublicationRecord:
    """The publication record (公开记录): date, channels, address; for duties without review also
    the document number and normative flag (with review they come from the approved draft, and
    ``None`` keeps them)."""

    published_on: date | None
    channels: list[str]
    url: str = ""
    doc_number: str | None = None
    normative: bool | None = None

    def validate(self, task: Task, today: date) -> None:
        if self.published_on is None:
            raise ServiceError("请填写发布日期。", "published_on")
        if self.published_on > today:
            raise ServiceError("发布日期不能晚于今天。", "published_on")
        if self.published_on < task.formed_date:
            raise ServiceError(f"发布日期不能早于信息形成日期（{task.formed_date:%Y-%m-%d}）。", "published_on")
        if task.approved_on is not None and self.published_on < task.approved_on:
            raise ServiceError(f"发布日期不能早于审核通过日期（{task.approved_on:%Y-%m-%d}）：先审查、后公开。",
                               "published_on")
        if not self.channels or not set(self.channels) <= set(CHANNELS):
            raise ServiceError("请至少选择一个公开渠道。", "channels")
        self.url = (self.url or "").strip()
        if self.url and not _is_url(self.url):
            raise ServiceError("网址须以 http:// 或 https:// 开头。", "url")
        if "website" in self.channels and not self.url:
            raise ServiceError("在政府网站发布的信息须填写网址。", "url")
        if len(self.url) > URL_MAX:
            raise ServiceError(f"网址不能超过{URL_MAX}个字符。", "url")
        if self.doc_number is not None:
            self.doc_number = self.doc_number.strip()
            if len(self.doc_number) > 100:
                raise ServiceError("文号不能超过100个字符。", "doc_number")
            if self.normative and not self.doc_number:
                raise ServiceError("规范性文件须填写文号。", "doc_number")


def _is_url(text: str) -> bool:
    return bool(URL_RE.match(text))


def _store_publication(task: Task, pub: PublicationRecord) -> dict:
    task.published_on, task.url = pub.published_on, pub.url or None
    if pub.doc_number is not None:
        task.doc_number = pub.doc_number or None
    if pub.normative is not None:
        task.normative = bool(pub.normative)
    wanted = set(pub.channels)
    for row in list(task.channel_rows):
        if row.channel not in wanted:
            task.channel_rows.remove(row)
    for channel in sorted(wanted - set(task.channels)):
        task.channel_rows.append(TaskChannel(channel=channel))
    return {"published_on": task.published_on, "channels": sorted(wanted), "url": task.url,
            "doc_number": task.doc_number, "normative": task.normative}


def publishable_states(task: Task) -> tuple[str, ...]:
    """Where the contact may record the publication: after the approval (or, without review,
    once acknowledged), and after a failed verification (the correction)."""
    return ("approved", "rework") if task.review_required else ("acknowledged", "rework")


def publish(task: Task, actor, pub: PublicationRecord, today: date) -> str:
    """发布: the contact records the publication — after the reviewer's approval (先审查、后公开),
    directly for duties without review, or as the correction after a failed verification."""
    if task.review_required and task.state in ("acknowledged", "returned", "in_review"):
        raise ServiceError("该事项须经审核人审核后方可发布（先审查、后公开），请先提交送审稿。")
    _check(task, actor, ("contact",), publishable_states(task), "登记发布")
    if task.state == "approved" and task.disclosure_attribute not in (None, "proactive"):
        raise ServiceError(f"送审稿的公开属性为“{task.attribute_label}”，不主动公开；如确无须公开，"
                           "请公开办撤销该任务。")
    pub.validate(task, today)
    correcting = task.state == "rework"
    after = _store_publication(task, pub)
    _move(task, "republish" if correcting else "publish", "published", actor, after=after)
    return task.state


# --- 5. the office's check ------------------------------------------------------------------------


def verify(task: Task, actor, note: str = "") -> None:
    """核验: the office checked the published information at its address."""
    _check(task, actor, ("office",), ("published",), "核验")
    _move(task, "verify", "verified", actor, reason=(note or "").strip()[:1000] or None)


def fail_verification(task: Task, actor, reason: str) -> None:
    """核验未通过: the address is dead or the content missing; the task goes back to the unit as a
    correction (整改) and the failure is counted (``verify_failures``, for scores and bulletins)."""
    _check(task, actor, ("office",), ("published",), "判定核验未通过")
    reason = _required_text(reason, "请填写核验未通过的原因（如：网址无法打开、正文或附件缺失）。", "reason")
    task.verify_failures = (task.verify_failures or 0) + 1
    task.verify_failure_reason = reason
    event = _move(task, "fail_verification", "rework", actor, reason=reason,
                  after={"verify_failures": task.verify_failures})
    reminders.verification_failed(task, event)


def cancel(task: Task, actor, reason: str) -> None:
    """撤销: the office cancels a task that is not yet published, with the reason."""
    _check(task, actor, ("office",), OPEN_STATES, "撤销")
    reason = _required_text(reason, "请填写撤销原因。", "reason")
    task.cancel_reason = reason
    _move(task, "cancel", "cancelled", actor, reason=reason)


# --- reading --------------------------------------------------------------------------------------


def allowed_actions(task: Task, user) -> set[str]:
    """Which transitions ``user`` may attempt on ``task`` now (for showing buttons only)."""
    own = user.sees_all_units or user.unit_id == task.unit_id
    acts = set()
    if user.role == "contact" and own:
        if task.state == "pending_ack":
            acts.add("acknowledge")
        if task.review_required and task.state in ("acknowledged", "returned"):
            acts.add("draft")
        if task.state in publishable_states(task) and not (
                task.state == "approved" and task.disclosure_attribute not in (None, "proactive")):
            acts.add("publish")
        if task.state in ATTACH_STATES:
            acts.add("attach")
    if user.role == "reviewer" and own and task.state == "in_review":
        acts |= {"approve", "return"}
    if user.role == "office":
        if task.state == "published":
            acts |= {"verify", "fail"}
        if task.state in OPEN_STATES:
            acts.add("cancel")
        if task.state in ATTACH_STATES:
            acts.add("attach")
    return acts


def timeline(task: Task) -> list[TaskEvent]:
    return db.session.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id)
                              .order_by(TaskEvent.at, TaskEvent.id)).all()

