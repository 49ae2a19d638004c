"""Bulk import of units and users from Excel (.xlsx) or CSV.

All or nothing: every row goes through the same service as a single creation; if any row fails,
``ValidationErrors`` lists each bad row (row number as the office sees it in the file) and the
request's transaction is rolled back, so nothing is imported.
"""
from dataclasses import dataclass

from ..accounts.models import ROLES
from ..accounts.services import create_user, generate_password
from ..audit.services import record
from ..errors import ServiceError, ValidationErrors
from ..spreadsheets import read_rows, workbook
from ..units.models import UNIT_KINDS
from ..units.services import create_unit, find_unit_by_code

UNIT_COLUMNS = {"编码": "code", "名称": "name", "类型": "kind"}
USER_COLUMNS = {"用户名": "username", "姓名": "display_name", "角色": "role", "单位编码": "unit",
                "邮箱": "email", "电话": "phone", "初始密码": "password"}
REQUIRED = {"units": ("编码", "名称", "类型"), "users": ("用户名", "姓名", "角色")}

# Accept the Chinese labels people type as well as the internal codes.
KIND_ALIASES = {**{v: k for k, v in UNIT_KINDS.items()}, **{k: k for k in UNIT_KINDS},
                "镇": "town", "街道": "town", "乡": "town", "部门": "department", "公开办": "office"}
ROLE_ALIASES = {**{v: k for k, v in ROLES.items()}, **{k: k for k in ROLES},
                "公开办": "office", "工作人员": "office"}


@dataclass
class RowError:
    row: int
    message: str


def import_units(filename: str, data: bytes) -> int:
    rows = read_rows(filename, data, UNIT_COLUMNS, REQUIRED["units"])
    errors = []
    for number, cells in rows:
        kind = KIND_ALIASES.get(cells.get("kind", ""))
        if kind is None:
            errors.append(RowError(number, f"类型“{cells.get('kind', '')}”无法识别，应为：镇（街道）、市直部门或政务公开办。"))
            continue
        try:
            create_unit(cells.get("code", ""), cells.get("name", ""), kind)
        except ServiceError as exc:
            errors.append(RowError(number, exc.message))
    _finish("units", errors, len(rows))
    return len(rows)


def import_users(filename: str, data: bytes) -> tuple[int, list[tuple[str, str]]]:
    """Create the users; returns the count and (username, temporary password) for rows that gave none."""
    rows = read_rows(filename, data, USER_COLUMNS, REQUIRED["users"])
    errors, generated = [], []
    for number, cells in rows:
        role = ROLE_ALIASES.get(cells.get("role", ""))
        if role is None:
            errors.append(RowError(number, f"角色“{cells.get('role', '')}”无法识别，应为：{'、'.join(ROLES.values())}。"))
            continue
        unit = None
        if cells.get("unit"):
            unit = find_unit_by_code(cells["unit"])
            if unit is None:
                errors.append(RowError(number, f"单位编码“{cells['unit']}”不存在。"))
                continue
        password = cells.get("password") or generate_password()
        try:
            user = create_user(username=cells.get("username", ""), display_name=cells.get("display_name", ""),
                               role=role, unit=unit, email=cells.get("email"), phone=cells.get("phone"),
                               password=password, must_change_password=True)
        except ServiceError as exc:
            errors.append(RowError(number, exc.message))
            continue
        if not cells.get("password"):
            generated.append((user.username, password))
    _finish("users", errors, len(rows))
    return len(rows), generated


def _finish(kind: str, errors: list[RowError], count: int) -> None:
    if errors:
        raise ValidationErrors(f"导入失败：{len(errors)}行有错误，未导入任何数据。", errors)
    record(f"import.{kind}", object_type="import", note=f"导入{count}行")


def template_workbook(kind: str) -> bytes:
    """An empty .xlsx with the expected header and one example row."""
    if kind == "units":
        return workbook("单位", list(UNIT_COLUMNS), [["mzj", "民政局", "市直部门"]])
    return workbook("用户", list(USER_COLUMNS),
                    [["mzj-lly", "张三", "联络员", "mzj", "zhangsan@example.gov.cn", "0453-1234567", ""]])
