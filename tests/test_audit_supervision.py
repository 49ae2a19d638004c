"""The 操作日志 reads in Chinese for the supervision records too: bulletins, checks, rectification
items, 督办 and scores — actions, record kinds, field names and states, never the stored codes."""
import re
from datetime import date

from tracker.extensions import db


def test_bulletin_rectification_and_score_events_read_in_chinese(app, make, login):
    office = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    make.bulletin("2026-Q3", date(2026, 10, 9))
    item = make.rectification(unit, requirement="补充公开救助标准", issued_on=date(2026, 11, 2))
    make.rectification_answer(item, contact, date(2026, 11, 10))
    make.manual_item(unit, "2026-Q3", "interpretation", "finding", "1", "政策文件未同步发布解读", by=office,
                     today=date(2026, 10, 9))
    make.scores("2026-Q3", date(2026, 10, 9))
    html = login(office).get("/audit/").get_data(as_text=True)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="audit-log"')[-1]))  # the events, as read
    for text in ("起草季度通报 季度通报 2026年第三季度通报 季度： 2026年第三季度", "报送整改情况 整改事项 补充公开救助标准 状态： 待整改 → 待验收",
                 "下达整改事项", "整改期限（工作日）： 10", "人工扣分（加分）", "类别： 解读回应",
                 "考核期 2026年第3季度 状态： 暂定（每晚更新） → 待发布（公开办审核中）"):
        assert text in page, text
    for code in ("bulletin.draft", "rectification.respond", "quarter：", "state：", "open → submitted",
                 "interpretation", "provisional"):
        assert code not in page, code
    with app.app_context():
        from tracker.audit.models import AuditEvent
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.object_type == "rectification")) == 2
