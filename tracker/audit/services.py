"""The one helper that writes audit events. Every feature records its changes through ``record``."""
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from .models import AuditEvent

# Short Chinese descriptions of actions for the audit log page; unknown actions show their code.
ACTION_LABELS = {
    "user.login": "登录",
    "user.logout": "退出",
    "user.create": "创建用户",
    "user.update": "修改用户",
    "user.deactivate": "停用用户",
    "user.activate": "启用用户",
    "user.password_change": "修改密码",
    "user.password_reset": "重置密码",
    "unit.create": "创建单位",
    "unit.update": "修改单位",
    "unit.deactivate": "停用单位",
    "unit.activate": "启用单位",
    "import.units": "批量导入单位",
    "import.users": "批量导入用户",
    "calendar.notice": "录入节假日安排",
    "application.document_add": "上传申请归档材料",
    "application.document_view": "查看申请归档材料",
    "application.reply_download": "申请人下载答复书",
    "settings.reminders": "修改提醒规则",
    "settings.public_page": "修改公开门户首页",
    "disclosure.key_area_create": "新增重点领域",
    "disclosure.key_area_update": "修改重点领域",
    "disclosure.duty_create": "新增公开事项",
    "disclosure.duty_update": "修改公开事项",
    "disclosure.task_open": "生成公开任务",
    "disclosure.acknowledge": "签收公开任务",
    "disclosure.submit": "提交公开审核",
    "disclosure.publish": "登记发布",
    "disclosure.approve": "审核通过",
    "disclosure.return": "退回公开任务",
    "disclosure.verify": "核验发布",
    "disclosure.cancel": "撤销公开任务",
    "disclosure.attachment_add": "上传佐证材料",
    "disclosure.attachment_remove": "删除佐证材料",
    "calendar.local_day": "录入本地工作日调整",
    "application.register": "登记政府信息公开申请",
    "application.submit_online": "网上提交政府信息公开申请",
    "application.confirm": "确认网上申请",
    "application.discard": "标记网上申请为无效申请（垃圾提交）",
    "application.route": "分办申请",
    "application.return": "退回申请至公开办",
    "application.request_correction": "发出补正告知",
    "application.receive_correction": "收到补正申请",
    "application.start_consultation": "征求意见（暂停计时）",
    "application.end_consultation": "征求意见结束（恢复计时）",
    "application.fee_notice": "发出收费通知",
    "application.fee_paid": "申请人缴费",
    "application.extend": "延期答复",
    "application.reply": "答复申请",
    "application.withdraw": "申请人撤回申请",
    "application.terminate": "终止办理申请",
    "application.case_add": "登记复议/诉讼",
    "application.case_result": "更新复议/诉讼结果",
    "application.view_personal": "查看申请人完整身份信息",
    "application.export": "导出申请记录",
    "application.rate": "申请人评价答复（社会评议）",
    "application.rating_handled": "处理申请人的不满意评价",
    "application.reset_password": "重置查询密码（窗口办理）",
    "application.password_request": "申请人申请重发查询密码",
    "report.start": "开始编制年度报告",
    "report.narrative": "修改年度报告正文",
    "report.override": "人工调整年度报告数据",
    "report.submit_review": "年度报告提交审核",
    "report.approve": "年度报告审核通过",
    "report.send_back": "年度报告退回修改",
    "report.reopen": "年度报告撤回修改",
    "report.submit": "报送年度报告",
    "report.submit_refused": "年度报告勾稽校验未通过，未能报送",
    "report.accept": "接收年度报告",
    "report.return": "退回年度报告",
    "report.finalize": "全市年度报告定稿",
    "report.reopen_city": "全市年度报告重新编辑",
    "report.due_date": "设置年度报告报送期限",
    "report.figures": "录入年度报告表二数据",
    "report.normative_kind": "设定规范性文件类别",
    "report.normative_repeal": "登记规范性文件废止",
    "report.normative_unrepeal": "撤销规范性文件废止登记",
    "report.normative_add": "补录规范性文件",
    "bulletin.draft": "起草季度通报",
    "bulletin.refresh": "重新统计通报数据",
    "bulletin.edit": "修改通报内容",
    "bulletin.item_add": "添加通报整改要求",
    "bulletin.item_remove": "删除通报整改要求",
    "bulletin.publish": "印发季度通报",
    "settings.bulletins": "修改通报设置",
    "inspection.create": "登记督查检查",
    "inspection.finding_add": "登记检查发现的问题",
    "rectification.issue": "下达整改事项",
    "rectification.respond": "报送整改情况",
    "rectification.accept": "整改验收销号",
    "rectification.return": "退回重改",
    "rectification.cancel": "撤销整改事项",
    "urging.create": "督办",
    "scores.rubric_create": "建立年度评分细则",
    "scores.rubric_update": "修改评分细则",
    "scores.rubric_version": "修改评分细则（生成新版本）",
    "scores.compute": "计算考核得分",
    "scores.final": "生成期末考核得分",
    "scores.published": "发布考核得分",
    "scores.rerun": "重新计算已发布得分",
    "scores.rerun_accept": "采用重新计算的得分",
    "scores.rerun_discard": "放弃重新计算的得分",
    "scores.manual_deduction": "录入人工扣分",
    "scores.manual_bonus": "录入加分",
    "scores.void": "撤销扣分或加分",
    "scores.objection": "提出考核申辩",
    "scores.objection_accepted": "申辩成立",
    "scores.objection_rejected": "申辩不成立",
    "scores.provisional": "计算暂定考核得分",
    "disclosure.fail_verification": "核验未通过",
    "disclosure.republish": "核验未通过后重新登记发布",
    "application.delivery": "登记实际送达日期",
    "outbox.resend_failed": "重新发送失败的邮件",
    "settings.sms_gateway": "修改短信平台设置",
    "settings.website": "修改网站巡查设置",
    "sweeps.failure_dismiss": "忽略定时任务失败记录",
    "unit.mobiles": "修改单位人员手机号",
    "unit.robot": "设置单位群机器人",
    "unit.robot_remove": "删除单位群机器人",
    "website.column_create": "新增巡查栏目",
    "website.column_update": "修改巡查栏目",
    "website.column_active": "启用或停用巡查栏目",
    "website.finding_recheck": "复查网站巡查发现",
    "website.finding_rectify": "网站巡查发现转为整改事项",
    "website.finding_dismiss": "忽略网站巡查发现",
}


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj, fields) -> dict:
    """The named fields of a record as JSON-safe values, for ``before``/``after``."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(action: str, obj=None, *, before=None, after=None, note=None, actor=None,
           object_type=None, object_id=None, object_label=None) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it describes)."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if obj is not None:
        object_type = object_type or obj.__tablename__
        db.session.flush()  # so a new record has its id
        object_id = object_id or str(obj.id)
        object_label = object_label or str(obj)
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.display_name if actor is not None else "系统",
        action=action,
        object_type=object_type or "-",
        object_id=str(object_id) if object_id is not None else None,
        object_label=object_label,
        before=_plain(before),
        after=_plain(after),
        note=note,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
