from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select, true
from wtforms import BooleanField, IntegerField, RadioField, StringField
from wtforms.validators import NumberRange

from ..access import ALL_STAFF, allow, is_local_path
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..forms import choices, required
from ..inputs import parse_id, parse_int
from ..web import form_errors, refuse
from . import delivery, sender, services, tokens
from .models import CHANNEL_LABELS, MAIL_STATES, Notification, OutboxMail

bp = Blueprint("notify", __name__)

MAIL_MODES = {"individual": "每条提醒单独发邮件", "digest": "每周汇总一封邮件（催办和升级提醒仍单独发送）"}
WEEKDAYS = {str(i): f"周{d}" for i, d in enumerate("一二三四五六日")}


class PreferenceForm(FlaskForm):
    mail_mode = RadioField("邮件提醒方式", choices=choices(MAIL_MODES), validators=[required()])


def _days(label, lo=0, hi=60):
    return IntegerField(label, validators=[required(), NumberRange(lo, hi, message=f"应为{lo}到{hi}之间的整数。")])


class ReminderSettingsForm(FlaskForm):
    before_days = StringField("截止前提醒（工作日，逗号分隔）", validators=[required()])
    on_day = BooleanField("截止当天提醒")
    overdue_every = _days("逾期后每隔几个工作日再提醒", 1)
    escalate_reviewer_after = _days("逾期几个工作日后抄送本单位审核人", 0)
    escalate_office_after = _days("逾期几个工作日后报告公开办", 0)
    unack_after = _days("任务几个工作日未签收时提醒", 1)
    approval_after = _days("待审核几个工作日后提醒审核人", 1)
    period_warning_days = _days("征求意见、缴费期限届满前几个工作日提醒", 1)
    digest_weekday = RadioField("每周工作提示发送日（停机错过时当周补发）", choices=choices(WEEKDAYS), validators=[required()])


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows changes of the reminder rules: each rule by its name on the form."""
    from ..audit.present import describe_object

    fields = {name: (getattr(ReminderSettingsForm, name).args[0], None) for name in services.REMINDER_DEFAULTS}
    fields["digest_weekday"] = (fields["digest_weekday"][0], lambda value, lookup: WEEKDAYS.get(str(value), value))
    describe_object("setting", "系统设置", fields)


_describe_for_audit_log()


@bp.route("/notifications")
@allow(*ALL_STAFF)
def inbox():
    stmt = (select(Notification).where(Notification.user_id == current_user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    page = db.paginate(stmt, per_page=30, error_out=False)
    return render_template("notify/inbox.html", page=page)


@bp.route("/notifications/read", methods=["POST"])
@allow(*ALL_STAFF)
def mark_read():
    if not FlaskForm().validate_on_submit():
        abort(400)
    notification_id = request.form.get("id")
    if notification_id is not None and parse_id(notification_id) is None:
        abort(400)
    services.mark_read(current_user, parse_id(notification_id) if notification_id is not None else None)
    target = request.form.get("go")
    if is_local_path(target):
        return redirect(target)
    return redirect(url_for("notify.inbox"))


@bp.route("/account/preferences", methods=["GET", "POST"])
@allow(*ALL_STAFF)
def preferences():
    form = PreferenceForm(mail_mode=current_user.mail_mode)
    if form.validate_on_submit():
        current_user.mail_mode = form.mail_mode.data
        flash("提醒方式已保存。", "success")
        return redirect(url_for("notify.preferences"))
    if request.method == "POST":
        form_errors(form)
        return render_template("notify/preferences.html", form=form), 422
    return render_template("notify/preferences.html", form=form)


def _outbox_filter(q: str, mail_id: int | None):
    """The outbox page's search: recipient or subject containing ``q``; one mail by its number."""
    condition = true()
    if q:
        condition = condition & (OutboxMail.to_addr.ilike(f"%{q}%") | OutboxMail.subject.ilike(f"%{q}%"))
    if mail_id is not None:
        condition = condition & (OutboxMail.id == mail_id)
    return condition


def _mail_id_arg() -> int | None:
    return parse_id(request.values.get("mail_id", ""))


@bp.route("/admin/outbox")
@allow("office")
def outbox():
    status = request.args.get("status", "")
    channel = request.args.get("channel", "")
    q = request.args.get("q", "").strip()[:200]
    mail_id = _mail_id_arg()
    matching = _outbox_filter(q, mail_id)
    stmt = select(OutboxMail).where(matching).order_by(OutboxMail.id.desc())
    if status in MAIL_STATES:
        stmt = stmt.where(OutboxMail.status == status)
    if channel in CHANNEL_LABELS:
        stmt = stmt.where(OutboxMail.channel == channel)
    page = db.paginate(stmt, per_page=50, error_out=False)
    failed = db.session.scalar(select(func.count()).select_from(OutboxMail).where(
        matching, OutboxMail.status == "failed")) if status in ("", "failed") else 0
    return render_template("notify/outbox.html", page=page, status=status, q=q, mail_id=mail_id,
                           states=MAIL_STATES, failed=failed, channel=channel, channels=CHANNEL_LABELS)


@bp.route("/admin/outbox/resend-failed", methods=["POST"])
@allow("office")
def resend_failed():
    """Every failed mail of the current search back in the queue, in one action."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    q = request.form.get("q", "").strip()[:200]
    n = sender.resend_failed(_outbox_filter(q, _mail_id_arg()))
    if n:
        record("outbox.resend_failed", object_type="outbox_mail", object_label=f"发送失败的邮件 {n} 封",
               after={"count": n, "search": q or "全部"})
        flash(f"已将 {n} 封发送失败的邮件重新排队，将由邮件发送任务陆续发出。", "success")
    else:
        flash("没有需要重发的失败邮件。", "info")
    return redirect(url_for("notify.outbox", status="queued" if n else "failed", q=q or None))


@bp.app_context_processor
def mail_banner_context():
    return {"mail_delivery_status": delivery.delivery_status}


@bp.route("/admin/outbox/<int:mail_id>/resend", methods=["POST"])
@allow("office")
def resend_mail(mail_id):
    mail = db.session.get(OutboxMail, mail_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if mail.status == "sent":
        flash("该邮件已发送，无需重发。", "warning")
    elif mail.status == "sending" and not sender.lease_expired(mail):
        flash("该邮件正在发送中，请稍后刷新查看结果。", "warning")
    else:
        sender.resend(mail)
        flash(f"已重新排队：{mail.subject}", "success")
    return redirect(url_for("notify.outbox", status=request.args.get("status", "")))


@bp.route("/admin/reminders", methods=["GET", "POST"])
@allow("office")
def reminder_settings():
    current = services.reminder_settings()
    form = ReminderSettingsForm(data={**current, "before_days": ", ".join(map(str, current["before_days"])),
                                      "digest_weekday": str(current["digest_weekday"])})
    if form.validate_on_submit():
        try:
            before = sorted({parse_int(x, 1, 60) for x in form.before_days.data.replace("，", ",").split(",")
                             if x.strip()}, key=lambda n: -1 if n is None else n, reverse=True)
            if not before or None in before:
                raise ValueError
        except ValueError:
            refuse(ServiceError("截止前提醒应为1到60之间的整数，用逗号分隔，如：5, 2", "before_days"), form)
            return render_template("notify/settings.html", form=form), 422
        values = {name: field.data for name, field in form._fields.items() if name in services.REMINDER_DEFAULTS}
        values.update(before_days=before, digest_weekday=int(form.digest_weekday.data))
        services.save_reminder_settings(values, current_user)
        flash("提醒规则已保存，下次提醒扫描时生效。", "success")
        return redirect(url_for("notify.reminder_settings"))
    if request.method == "POST":
        form_errors(form)
        return render_template("notify/settings.html", form=form), 422
    return render_template("notify/settings.html", form=form)


@bp.route("/a/<token>", methods=["GET", "POST"])
@allow(*ALL_STAFF)
def act(token):
    """A link from an email: confirm, then act (once, before it expires, only as its recipient)."""
    try:
        row = tokens.check_token(token, current_user)
        action = tokens.action_for(row.purpose)
        if request.method == "POST":
            if not FlaskForm().validate_on_submit():
                abort(400)
            target = tokens.redeem_token(token, current_user)
            flash(f"已完成：{action.label}。", "success")
            return redirect(target)
    except tokens.TokenRefused as exc:
        return render_template("errors/error.html", code=exc.status, title="链接不可用", text=exc.message), exc.status
    except ServiceError as exc:  # the action itself refused (e.g. the task was already acknowledged)
        db.session.rollback()  # the token stays unused
        flash(exc.message, "danger")
        return redirect(url_for("dashboard.index"))
    return render_template("notify/act.html", action=action, what=action.describe(row.object_id))
