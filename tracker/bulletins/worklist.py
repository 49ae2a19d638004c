"""A drafted bulletin as the office's work without a deadline clock (see worklist.turns)."""
from flask import url_for
from sqlalchemy import select

from ..worklist.services import WorkItem
from ..worklist.turns import Turn, columns, register_office_turn
from .models import Bulletin
from .quarters import Quarter


def _draft(row) -> WorkItem:
    year, quarter = divmod(row.number, 10)
    return WorkItem("季度通报", f"{Quarter(year, quarter).label}通报", url_for("bulletins.detail", bulletin_id=row.id),
                    None, "草稿", "text-bg-secondary", note="已起草，待公开办审阅、填写并印发")


register_office_turn(Turn(
    "bulletins", "待印发的通报",
    # the quarter travels as one number, year * 10 + quarter (20263), in the turn's common columns
    lambda: select(*columns(Bulletin.id, number=Bulletin.year * 10 + Bulletin.quarter))
    .where(Bulletin.state == "draft"),
    _draft, lambda: url_for("bulletins.index")))
