"""Demo: 民政局 has a 企业微信 group robot and its contact and reviewer have mobile numbers, all
pointed at the local sink ``./scripts/demo`` starts (``TRACKER_DEMO_SINK_URL``), and the office
has an SMS gateway there too: the outbox shows robot messages and SMS beside the mails. Without
a sink (or without ``TRACKER_SECRETS_KEY``) nothing is configured and every message goes by email."""
import json
import os

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..units.models import Unit

ROBOT_UNIT = "mzj"   # 民政局


def load_channels_demo() -> None:
    from .. import secretbox
    from ..notify.channel_settings import save_choices, save_gateway, save_mobiles, save_unit_robot
    from ..notify.models import UnitRobot

    sink = os.environ.get("TRACKER_DEMO_SINK_URL", "").rstrip("/")
    unit = db.session.scalar(select(Unit).where(Unit.code == ROBOT_UNIT))
    if not sink or unit is None or not secretbox.available() or db.session.get(UnitRobot, unit.id) is not None:
        return
    save_gateway({"url": f"{sink}/sms/send", "method": "POST", "format": "json",
                  "template": json.dumps({"account": "{account}", "password": "{password}", "mobile": "{mobile}",
                                         "content": "{content}", "msgid": "{msgid}"}),
                  "success_field": "code", "success_value": "0", "sign": "东宁市政务公开办", "per_second": "20",
                  "account": "dongning-demo", "password": "demo-gateway-password"}, None)
    save_unit_robot(unit, "wecom", f"{sink}/cgi-bin/webhook/send?key=demo-robot-key-mzj", "", None)
    people = db.session.scalars(select(User).where(User.unit_id == unit.id, User.role.in_(("contact", "reviewer")))
                                .order_by(User.id)).all()
    save_mobiles(unit, people, {p.id: f"1390453{i:04d}" for i, p in enumerate(people, 1)}, None)
    for person in people:
        # the contact's deadlines and new work to the unit's group; the reviewer's overdue work by SMS
        wants = {"new_task": "robot", "due_soon": "robot", "overdue": "robot", "rectification_due": "robot"} \
            if person.role == "contact" else {"overdue": "sms", "application_routed": "sms"}
        save_choices(person, wants, f"1390453{people.index(person) + 1:04d}")
    db.session.flush()
