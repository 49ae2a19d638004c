"""The public front page (/): the office's name, how to apply, and the disclosure guide the office
maintains (政府信息公开指南, Art. 12: the guide tells the public how to apply and whom to contact).

The texts are a setting the office edits (one ``Setting`` row, audited); until it does, the page
shows the office unit's name and a guide drawn from the Regulation.
"""
import re

from flask import current_app
from sqlalchemy import select

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..notify.models import Setting
from ..timeutil import utcnow
from ..units.models import Unit

KEY = "public_page"
LIMITS = {"office_name": 120, "guide": 20000, "contact": 2000, "site_name": 60}

DEFAULT_GUIDE = """一、公开方式
本机关的政府信息以主动公开和依申请公开两种方式公开。主动公开的信息通过政府网站、政务微博、政务微信和政府公报发布；属于主动公开范围的信息，自形成或者变更之日起20个工作日内予以公开。

二、依申请公开
公民、法人或者其他组织可以向本机关申请获取相关政府信息。申请时请写明申请人的姓名或者名称、身份证明、联系方式，申请公开的政府信息的名称、文号或者便于查询的其他特征性描述，以及获取信息的方式和载体形式。

三、申请渠道
可以在本网站“在线申请”提交，也可以当面递交、邮寄、传真或者发送电子邮件。网上提交的申请，以本机关确认收到之日为收到申请之日。

四、答复期限
能够当场答复的当场答复；不能当场答复的，自收到申请之日起20个工作日内答复；需要延长答复期限的，经负责人同意并告知申请人，延长的期限最长不超过20个工作日。征求第三方或者其他机关意见、申请人补正申请所需的时间不计算在答复期限内。

五、收费
本机关依申请提供政府信息不收取费用。申请公开政府信息的数量、频次明显超过合理范围的，可以按照规定收取信息处理费。

六、监督和救济
申请人认为本机关在政府信息公开工作中侵犯其合法权益的，可以向上一级行政机关或者政府信息公开工作主管部门投诉、举报，也可以依法申请行政复议或者提起行政诉讼。"""


def office_unit_name() -> str:
    name = db.session.scalar(select(Unit.name).where(Unit.kind == "office", Unit.active.is_(True)).order_by(Unit.id))
    return name or "政务公开办"


def public_page() -> dict:
    """What the front page shows: the office's name, the guide, how to reach the office."""
    row = db.session.get(Setting, KEY)
    stored = row.value if row else {}
    return {"office_name": stored.get("office_name") or office_unit_name(),
            "guide": stored.get("guide") or DEFAULT_GUIDE,
            "contact": stored.get("contact") or "",
            "site_name": stored.get("site_name") or current_app.config.get("PUBLIC_SITE_NAME") or "政府信息公开",
            "customised": bool(row)}


PHONE_IN_CONTACT = re.compile(r"(?:电话|热线|联系电话)[：:\s]*([0-9][0-9\-－ ]{5,}[0-9])")


def office_phone() -> str:
    """The office's telephone for the public: ``OFFICE_PHONE`` when configured, else the number
    after 电话 in the contact text of the front page (the demo's 0453-3621234), else ''."""
    configured = (current_app.config.get("OFFICE_PHONE") or "").strip()
    if configured:
        return configured
    match = PHONE_IN_CONTACT.search(public_page()["contact"])
    return match.group(1).strip() if match else ""


def save_public_page(values: dict, actor) -> dict:
    """The office edits the front page's texts; the change is audited."""
    clean = {}
    for key, limit in LIMITS.items():
        text = (values.get(key) or "").strip()
        if len(text) > limit:
            raise ServiceError(f"不能超过{limit}个字符。", key)
        clean[key] = text
    if not clean["office_name"]:
        raise ServiceError("请填写机关名称。", "office_name")
    if not clean["guide"]:
        raise ServiceError("请填写政府信息公开指南。", "guide")
    before = public_page()
    row = db.session.get(Setting, KEY)
    if row is None:
        row = Setting(key=KEY, value={})
        db.session.add(row)
    row.value, row.updated_by_id, row.updated_at = clean, actor.id if actor else None, utcnow()
    changed = [k for k in clean if before.get(k) != clean[k]]
    record("settings.public_page", object_type="setting", object_id=KEY, object_label="公开门户首页",
           before={k: before.get(k) for k in changed}, after={k: clean[k] for k in changed}, actor=actor)
    return clean
