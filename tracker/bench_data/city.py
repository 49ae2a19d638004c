"""The generated city: the office, towns and departments, their staff (active and former)."""
from __future__ import annotations

from ..accounts.models import User
from ..units.models import Unit
from .base import Context, UnitRow

PASSWORD = "benchmark2026"
# Accounts the benchmark signs in as (README › Benchmarks). The contact is of the busiest unit.
LOGINS = {"office": "office", "leader": "leader", "contact": "d001-lly1", "reviewer": "d001-shr1"}

DISTRICTS = ["市", "东城区", "西城区", "南湖区", "北山区", "江北区", "高新区", "开发区", "临港区", "清河县",
             "安平县", "永宁县", "和顺县", "长乐县"]
DEPARTMENTS = ["民政局", "财政局", "生态环境局", "教育局", "卫生健康委员会", "人力资源和社会保障局",
               "住房和城乡建设局", "市场监督管理局", "发展和改革委员会", "工业和信息化局", "公安局", "司法局",
               "自然资源局", "交通运输局", "水务局", "农业农村局", "林业局", "商务局", "文化广电旅游局",
               "统计局", "审计局", "应急管理局", "医疗保障局", "退役军人事务局", "城市管理局", "房产管理局",
               "政务服务中心", "信访局", "税务局", "国有资产监督管理委员会", "乡村振兴局", "科学技术局",
               "体育局", "粮食和物资储备局", "人民防空办公室", "地方金融监督管理局", "行政审批局",
               "市场发展服务中心", "供销合作社", "残疾人联合会"]
TOWN_SYLLABLES = "安宁平和永兴长乐东西南北新明清泉水山河湖石桥龙凤柳杨松梅兰竹金银丰太福寿德"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["海燕", "建国", "丽娜", "志强", "晓梅", "国华", "春雨", "立新", "秀英", "文博", "明辉", "雪松", "婷婷",
         "伟", "静", "磊", "洋", "敏", "军", "勇", "艳", "杰", "娟", "涛"]


def _person(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7 + n // len(SURNAMES)) % len(GIVEN)]


def _town_names(count: int, rng) -> list[str]:
    names, seen = [], set()
    while len(names) < count:
        name = "".join(rng.sample(TOWN_SYLLABLES, 2)) + rng.choice(["镇", "镇", "街道", "乡"])
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _department_names(count: int) -> list[str]:
    names = []
    for district in DISTRICTS:
        for dept in DEPARTMENTS:
            names.append(f"{district}{dept}" if district != "市" else f"市{dept}")
            if len(names) == count:
                return names
    raise ValueError(f"at most {len(DISTRICTS) * len(DEPARTMENTS)} departments")


def load_city(ctx: Context) -> None:
    """Units and accounts. Each supervised unit has 1–3 active contacts and 1–2 reviewers; the
    remaining accounts up to ``scale.users`` are former staff (deactivated), as after five years."""
    rng = ctx.rng("city")
    scale = ctx.scale
    units = [{"id": 1, "code": "office", "name": "市人民政府办公室（政务公开办）", "kind": "office"}]
    ctx.office_unit_id = 1
    for i, name in enumerate(_department_names(scale.units - 1 - scale.towns), start=1):
        units.append({"id": len(units) + 1, "code": f"d{i:03d}", "name": name, "kind": "department"})
    for i, name in enumerate(_town_names(scale.towns, rng), start=1):
        units.append({"id": len(units) + 1, "code": f"t{i:03d}", "name": name, "kind": "town"})
    created = ctx.at(ctx.days()[0], 9)
    for row in units:
        row.update(active=True, created_at=created)
    # A few units merged away over the years: kept (their history stays), but no longer active.
    for row in units[-max(1, scale.units // 60):]:
        row["active"] = False
    ctx.insert(Unit, units)

    users: list[dict] = []

    def add(username, role, unit_id, active=True, mail_mode="individual"):
        n = len(users) + 1
        name = _person(n)
        users.append({"id": n, "username": username, "display_name": name, "email": f"{username}@bench.gov.cn",
                      "phone": f"0451-8{n:06d}", "role": role, "unit_id": unit_id, "active": active,
                      "password_hash": ctx.password_hash, "session_token": f"{n:016x}", "must_change_password": False,
                      "mail_mode": mail_mode, "created_at": created})
        ctx.user_names[n] = name
        return n

    for i in range(scale.office_staff):
        ctx.office_users.append(add("office" if i == 0 else f"office{i + 1:02d}", "office", 1))
    for i in range(scale.leaders):
        add("leader" if i == 0 else f"leader{i + 1:02d}", "leader", 1)
    supervised = [u for u in units if u["kind"] != "office"]
    for u in supervised:
        # The first department is the busiest: the benchmark's contact works there.
        weight = 6.0 if u["code"] == "d001" else rng.paretovariate(1.6)
        row = UnitRow(u["id"], u["code"], u["name"], u["kind"], weight)
        for k in range(1, (3 if u["code"] == "d001" else rng.choice([1, 2, 2, 3, 3, 4])) + 1):
            row.contacts.append(add(f"{u['code']}-lly{k}", "contact", u["id"], u["active"],
                                    "digest" if rng.random() < 0.15 else "individual"))
        for k in range(1, rng.choice([1, 1, 2, 2, 3]) + 1):
            row.reviewers.append(add(f"{u['code']}-shr{k}", "reviewer", u["id"], u["active"]))
        if u["active"]:
            ctx.units.append(row)
    former = 0
    while len(users) < scale.users:
        u = supervised[former % len(supervised)]
        former += 1
        add(f"{u['code']}-old{former}", rng.choice(["contact", "contact", "reviewer"]), u["id"], active=False)
    ctx.insert(User, users)
