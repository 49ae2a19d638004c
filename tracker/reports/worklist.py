"""Annual reports handed in as the office's work without a deadline clock (see worklist.turns):
each waits for the office to accept it or return it."""
from flask import url_for
from sqlalchemy import select

from ..worklist.services import WorkItem
from ..worklist.turns import Turn, columns, register_office_turn
from .models import AnnualReport


def _submitted(row) -> WorkItem:
    organ = row.unit.name if row.unit else ""
    return WorkItem("年度报告", f"{organ}{row.number}年政府信息公开工作年度报告",
                    url_for("reports.unit_report", year=row.number, unit_id=row.unit.id if row.unit else 0),
                    None, "已报送", "text-bg-info", unit=row.unit, note="单位已报送，待公开办接收或退回")


register_office_turn(Turn(
    "reports", "待接收的年度报告",
    lambda: select(*columns(AnnualReport.id, number=AnnualReport.year, unit_id=AnnualReport.unit_id))
    .where(AnnualReport.state == "submitted", AnnualReport.scope == "unit"),
    _submitted, lambda: url_for("reports.index")))
