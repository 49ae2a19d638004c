"""Forms parse input only; the rules (and their Chinese messages) live in services."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from ..forms import ChineseDateField, WholeNumberField, choices, id_or_none, max_length, optional, required
from .fees import METHODS
from .models import (
    APPLICANT_KINDS,
    CASE_KINDS,
    CASE_RESULTS,
    CHANNELS,
    DELIVERY_WANTED,
    DOCUMENT_KINDS,
    FORMS_WANTED,
    RATING_LEVELS,
    RATING_REASONS,
    REPLY_DELIVERY,
)
from .outcomes import REPLY_CHOICES
from .services import CONSULT_PARTIES

unit_id_or_none = id_or_none
WholeField = WholeNumberField


class ApplicantFields(FlaskForm):
    applicant_kind = SelectField("申请人类型", choices=choices(APPLICANT_KINDS), validators=[required()],
                                 validate_choice=False)
    applicant_name = StringField("申请人姓名或名称", validators=[required(), max_length(120)])
    id_number = StringField("身份证号码 / 统一社会信用代码", validators=[required(), max_length(40)])
    contact_person = StringField("联系人（法人或其他组织填写）", validators=[optional(), max_length(60)])
    phone = StringField("联系电话", validators=[optional(), max_length(40)])
    email = EmailField("电子邮箱", validators=[optional(), max_length(200)])
    address = StringField("通信地址", validators=[optional(), max_length(300)])
    title = StringField("所需信息的名称", validators=[required(), max_length(300)])
    description = TextAreaField("所需信息的描述（文号、内容等）", validators=[required(), max_length(5000)])
    form_wanted = SelectField("信息的载体形式", choices=choices(FORMS_WANTED), validators=[required()],
                              validate_choice=False)
    delivery_wanted = SelectField("获取信息的方式", choices=choices(DELIVERY_WANTED), validators=[required()],
                                  validate_choice=False)


class RegisterForm(ApplicantFields):
    channel = SelectField("收到申请的渠道", choices=choices(CHANNELS), validators=[required()],
                          validate_choice=False)
    receipt_date = ChineseDateField("收到申请日期（按渠道规则）")
    unit_id = SelectField("承办单位", coerce=unit_id_or_none, validate_choice=False)


class OnlineForm(ApplicantFields):
    # Asked only while online applications city-wide exceed their hourly rate (screening.py).
    challenge_token = HiddenField(validators=[optional(), max_length(500)])
    challenge_answer = StringField("验证问题的答案", validators=[optional(), max_length(10)])


class DiscardForm(FlaskForm):
    """The office marks several online submissions (待确认) as junk at once."""

    reason = StringField("理由（记入操作日志）", validators=[optional(), max_length(500)])


class ConfirmForm(FlaskForm):
    receipt_date = ChineseDateField("确认日期（即收到申请日期）")
    unit_id = SelectField("承办单位", coerce=unit_id_or_none, validate_choice=False)


class RouteForm(FlaskForm):
    unit_id = SelectField("承办单位", coerce=unit_id_or_none, validate_choice=False)
    note = StringField("说明", validators=[optional(), max_length(500)])


class ReturnForm(FlaskForm):
    reason = TextAreaField("退回理由", validators=[optional(), max_length(500)])


class LateEntry(FlaskForm):
    """补录: why an act is entered long after its date (late_entries.py)."""

    entry_reason = TextAreaField("补录理由（办理日期早于今天3个工作日以上、或送达日期晚于已届满的推定期限时必填）",
                                 validators=[optional(), max_length(500)])


class LateEntryConfirmed(LateEntry):
    """…and, for an act that would change a deadline already passed, the office's confirmation."""

    confirm_move = BooleanField("确认变更已届满的期限（仅公开办；须写明理由）")


class CorrectionForm(LateEntryConfirmed):
    sent_on = ChineseDateField("补正告知发出日期")
    due_on = ChineseDateField("补正期限（不填则为15个工作日；最长一年）")
    items = TextAreaField("需要补正的事项", validators=[optional(), max_length(2000)])


class CorrectionReceivedForm(LateEntry):
    received_on = ChineseDateField("收到补正后申请的日期")
    late_reason = TextAreaField("接受逾期补正的理由（收到日期晚于补正期限时，由公开办填写）",
                                validators=[optional(), max_length(500)])


class ConsultationForm(LateEntryConfirmed):
    sent_on = ChineseDateField("征求意见函发出日期")
    delivered_on = ChineseDateField("对方收到征求意见函日期（15个工作日自收到之日起算；不知道则不填，按邮程推定）")
    party_kind = SelectField("征求意见对象", choices=choices(CONSULT_PARTIES), validate_choice=False)
    party = StringField("对象名称", validators=[optional(), max_length(200)])


class ConsultationAnswerForm(LateEntry):
    answered_on = ChineseDateField("收到答复日期")
    summary = TextAreaField("答复意见摘要", validators=[optional(), max_length(2000)])


class FeeForm(LateEntryConfirmed):
    sent_on = ChineseDateField("收费通知发出日期")
    delivered_on = ChineseDateField("申请人收到通知日期（20个工作日自收到之次日起算；不知道则不填，按邮程推定）")
    method = SelectField("计费方式", choices=choices(METHODS), validate_choice=False)
    quantity = WholeField("件数或页数", high=100_000)


class PaymentForm(LateEntry):
    paid_on = ChineseDateField("缴费日期")
    late_reason = TextAreaField("逾期缴费的理由（缴费日期晚于缴费期限时，由公开办填写）",
                                validators=[optional(), max_length(500)])


class DeliveryForm(LateEntryConfirmed):
    delivered_on = ChineseDateField("实际送达日期（回执、签收记录上的日期）")


class ExtensionForm(LateEntryConfirmed):
    days = WholeField("延长工作日数（最多20）", high=1000)
    approved_on = ChineseDateField("批准日期")
    notice_sent_on = ChineseDateField("延期告知发出日期")
    reason = TextAreaField("延期理由", validators=[optional(), max_length(1000)])


class ReplyForm(LateEntry):
    outcome = SelectField("办理结果（表三）", choices=choices(REPLY_CHOICES), validate_choice=False)
    reply_date = ChineseDateField("答复日期")
    delivery = SelectField("送达方式", choices=choices(REPLY_DELIVERY), validate_choice=False)
    delivered_on = ChineseDateField("签收日期或交邮日期")
    note = TextAreaField("答复要点", validators=[optional(), max_length(5000)])


class WithdrawForm(LateEntry):
    withdrawn_on = ChineseDateField("撤回日期")
    note = StringField("说明", validators=[optional(), max_length(500)])


class CaseForm(FlaskForm):
    kind = SelectField("类型", choices=choices(CASE_KINDS), validate_choice=False)
    filed_on = ChineseDateField("立案（申请）日期")
    result = SelectField("结果", choices=choices(CASE_RESULTS), validate_choice=False)
    decided_on = ChineseDateField("审结日期")
    note = StringField("备注", validators=[optional(), max_length(500)])


class CaseResultForm(FlaskForm):
    result = SelectField("结果", choices=choices(CASE_RESULTS), validate_choice=False)
    decided_on = ChineseDateField("审结日期")
    note = StringField("备注", validators=[optional(), max_length(500)])


class StatusForm(FlaskForm):
    code = StringField("查询码", validators=[required(), max_length(40)])
    password = PasswordField("查询密码", validators=[required(), max_length(40)])


class DocumentForm(FlaskForm):
    kind = SelectField("文书类型", choices=choices(DOCUMENT_KINDS), validate_choice=False)
    file = FileField("文件（PDF、JPG、PNG、DOCX、XLSX、OFD，10MB以内）")


class RatingForm(FlaskForm):
    """社会评议 on the status page (the rules: ratings.py)."""

    level = RadioField("您对本次答复的评价", choices=choices(RATING_LEVELS), validate_choice=False)
    reason = SelectField("主要原因（基本满意、不满意时必选）", choices=choices([("", "请选择")] + list(RATING_REASONS.items())),
                         validate_choice=False)
    comment = TextAreaField("意见和建议（选填）", validators=[optional(), max_length(500)], render_kw={"rows": 3})


class RatingHandledForm(FlaskForm):
    note = TextAreaField("处理情况（如已与申请人沟通、督促承办单位改进）", validators=[required(), max_length(1000)],
                         render_kw={"rows": 3})


class PasswordRequestForm(FlaskForm):
    """The applicant who lost the query password asks for a new one by email."""

    code = StringField("查询码", validators=[required(), max_length(40)])
    email = EmailField("申请时填写的电子邮箱", validators=[required(), max_length(200)])


class ResetPasswordForm(FlaskForm):
    """The office issues a new query password at the counter (only the CSRF token)."""
