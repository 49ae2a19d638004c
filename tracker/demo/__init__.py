"""The demo city, shaped like the county-level city in ``shared/seed/``: the office, six towns and
about thirty city departments, each with a contact and a reviewer."""
from flask import current_app
from sqlalchemy import select

from ..accounts.services import create_user
from ..extensions import db
from ..scores.demo import load_scores_demo
from ..units.models import Unit
from ..units.services import create_unit
from .applications import load_demo_applications
from .channels import load_channels_demo
from .disclosure import load_disclosure_demo
from .health import load_health_demo
from .public import load_public_demo
from .reports import load_reports_demo
from .supervision import load_bulletins_demo, load_supervision_demo
from .website import load_website_demo

DEMO_PASSWORD = "gongkai2026"

OFFICE = ("office", "东宁市人民政府办公室（政务公开办）")
TOWNS = [
    ("dongning", "东宁镇"), ("suiyang", "绥阳镇"), ("sanchakou", "三岔口镇"),
    ("dadouchuan", "大肚川镇"), ("laoheishan", "老黑山镇"), ("daohe", "道河镇"),
]
DEPARTMENTS = [
    ("mzj", "民政局"), ("czj", "财政局"), ("hbj", "环保局"), ("jyj", "教育局"),
    ("wsjsj", "卫生和计划生育局"), ("rsj", "人力资源和社会保障局"), ("zjj", "住房和城乡建设局"),
    ("scjgj", "市场监督管理局"), ("fgj", "发展和改革局"), ("gxj", "工业和信息化局"),
    ("gaj", "公安局"), ("sfj", "司法局"), ("gtj", "国土资源局"), ("jtj", "交通运输局"),
    ("slj", "水务局"), ("nyj", "农业局"), ("lyj", "林业局"), ("swj", "商务局"),
    ("whj", "文化广电新闻出版局"), ("tjj", "统计局"), ("sjj", "审计局"), ("ajj", "安全生产监督管理局"),
    ("wjj", "物价局"), ("fpb", "扶贫开发办公室"), ("gxb", "城市管理行政执法局"), ("fzj", "房产管理局"),
    ("zwzx", "政务服务中心"), ("xfj", "信访局"), ("dsj", "地方税务局"), ("gsj", "国家税务局"),
    ("gzw", "国有资产监督管理办公室"), ("ybj", "医疗保障局"),
]
# Family names for the demo people, so lists look like a real city's staff.
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["海燕", "建国", "丽娜", "志强", "晓梅", "国华", "春雨", "立新", "秀英", "文博", "明辉", "雪松"]


def _person(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]


def load_demo() -> dict:
    """Create the demo city and each feature's demo records unless they are already there;
    returns the logins to print."""
    accounts = [("office", "公开办工作人员"), ("office2", "公开办工作人员"), ("leader", "领导（只读）")]
    for code, name in TOWNS[:2] + DEPARTMENTS[:2]:
        accounts += [(f"{code}-lly", f"{name}联络员"), (f"{code}-shr", f"{name}审核人")]
    accounts.append(("（其余单位同理）", "<单位编码>-lly / <单位编码>-shr"))
    if not db.session.scalar(select(Unit.id).where(Unit.code == OFFICE[0])):
        _load_city()
    load_disclosure_demo()  # each is a no-op when its records exist
    load_demo_applications()
    load_supervision_demo()  # inspections, rectification items and 督办 over the records above
    lookup = load_public_demo()
    load_reports_demo()
    load_website_demo(current_app.instance_path)  # the demo site read once: findings before the scores
    load_scores_demo()  # after the records it scores
    load_bulletins_demo()  # after the scores a published quarter's bulletin carries
    load_channels_demo()  # 民政局's group robot and mobile numbers (when ./scripts/demo runs its sink)
    load_health_demo()  # last: the jobs run over everything loaded above
    return {"password": DEMO_PASSWORD, "accounts": accounts, "lookup": lookup}


def _load_city() -> None:
    """The office, the towns and the departments, each unit with a contact and a reviewer."""
    office = create_unit(OFFICE[0], OFFICE[1], "office")
    n = 0
    for username, name in (("office", "刘建华"), ("office2", "孙晓雯")):
        create_user(username=username, display_name=name, role="office", unit=office,
                    email=f"{username}@dongning.gov.cn", password=DEMO_PASSWORD, must_change_password=False)
    create_user(username="leader", display_name="赵志远", role="leader", unit=office,
                email="leader@dongning.gov.cn", password=DEMO_PASSWORD, must_change_password=False)
    for kind, units in (("town", TOWNS), ("department", DEPARTMENTS)):
        for code, name in units:
            unit = create_unit(code, name, kind)
            for suffix, role in (("lly", "contact"), ("shr", "reviewer")):
                n += 1
                create_user(username=f"{code}-{suffix}", display_name=_person(n), role=role, unit=unit,
                            email=f"{code}-{suffix}@dongning.gov.cn", phone=f"0453-36{n:05d}",
                            password=DEMO_PASSWORD, must_change_password=False)
    db.session.flush()

