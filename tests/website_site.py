"""The fixture website of the 网站巡查 tests: a unit's 政府信息公开 columns served on loopback.

Served under the name ``www.test.gov.cn`` (resolved to 127.0.0.1 by the crawler's
``WEBSITE_RESOLVE`` setting, as a closed network's hosts file would), on a port of its own.
Pages in GBK — declared in the header, in a ``<meta>``, or not at all — with paginated lists and
dates in each form, a redirect chain, a 404, a slow page and one slower than the timeout, a file
over the size cap, PDF and DOCX files carrying an ID number with a valid check digit and one
with an invalid one, a title differing only by full-width punctuation, an off-host link.
"""
from __future__ import annotations

import io
from datetime import date

from tracker.website.fixture_server import Reply, Site, html, redirect
from tracker.website.text import ID_CHECK, ID_WEIGHTS

HOST = "www.test.gov.cn"


def id_number(first17: str) -> str:
    """An 18-character resident ID number with the correct check character."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return first17 + ID_CHECK[total % 11]


VALID_ID = id_number("23102419800307123")
INVALID_ID = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")    # same number, wrong check digit
ID_IN_DOCX = id_number("23102419910815004")
INVALID_IN_DOCX = ID_IN_DOCX[:17] + ("5" if ID_IN_DOCX[17] != "5" else "6")


def pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF whose text (ASCII) pypdf extracts."""
    text = "\n".join(f"({line}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 11 Tf 50 750 Td {text} ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx(paragraphs: list[str]) -> bytes:
    from docx import Document

    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page(title: str, body: str, meta: str = "") -> str:
    return (f"<html><head>{meta}<title>{title}</title></head><body><div class='nav'><a href='/'>首页</a></div>"
            f"{body}</body></html>")


def _list(items: list[tuple[str, str, str]], next_href: str | None, extra: str = "") -> str:
    rows = "".join(f"<li><a href='{href}'>{title}</a><span class='date'>{when}</span></li>"
                   for title, href, when in items)
    nxt = f"<div class='page'><a href='{next_href}'>下一页</a></div>" if next_href else ""
    return f"<ul class='list'>{rows}</ul>{nxt}{extra}"


FULL_WIDTH_TITLE = "关于2026年（第一批）农村危房改造补助对象的公示"
HALF_WIDTH_TITLE = "关于2026年(第一批)农村危房改造补助对象的公示"


def build(today: date = date(2026, 12, 7)) -> Site:
    site = Site()
    # 通知公告: GBK declared in the HTTP header, three list pages, each date form.
    site["/xxgk/tzgg/index.html"] = html(_page("通知公告", _list([
        ("关于做好冬季供暖工作的通知", "/xxgk/tzgg/a1.html", "2026-11-20"),
        ("关于开展安全生产大检查的通知", "/xxgk/tzgg/a2.html", "[11-25]"),
    ], "/xxgk/tzgg/index_1.html", "<a href='http://www.example.com/partner'>友情链接：外站</a>"
       "<a href='/xxgk/tzgg/missing.html'>已删除的通知</a>")), "gbk")
    site["/xxgk/tzgg/index_1.html"] = html(_page("通知公告", _list([
        ("关于调整最低工资标准的通知", "/xxgk/tzgg/b1.html", "2026/10/15"),
    ], "/xxgk/tzgg/index_2.html")), "gbk")
    site["/xxgk/tzgg/index_2.html"] = html(_page("通知公告", _list([
        ("关于征集2027年民生实事项目的公告", "/xxgk/tzgg/c1.html", "2026年9月1日"),
    ], "/xxgk/tzgg/index_3.html")), "gbk")
    site["/xxgk/tzgg/index_3.html"] = html(_page("通知公告", _list([
        ("第四页的通知（超出巡查页数上限）", "/xxgk/tzgg/d1.html", "2026-12-01"),
    ], None)), "gbk")
    for path in ("/xxgk/tzgg/a1.html", "/xxgk/tzgg/a2.html", "/xxgk/tzgg/b1.html", "/xxgk/tzgg/c1.html"):
        site[path] = html(_page("通知", "<p>正文</p>"))
    # 动态要闻: GBK with no charset anywhere; the latest item is older than two weeks.
    site["/xxgk/dtyw/index.html"] = html(_page("工作动态", _list([
        ("副市长调研秋季农业生产和森林防火工作", "/xxgk/dtyw/1.html", "2026-11-02"),
        ("市政府召开第十二次常务会议研究部署冬季工作", "/xxgk/dtyw/2.html", "2026-10-28"),
    ], None)), "gbk", declare=None)
    site["/xxgk/dtyw/1.html"] = html(_page("动态", "<p>正文</p>"))
    site["/xxgk/dtyw/2.html"] = html(_page("动态", "<p>正文</p>"))
    # 政策文件: GB2312 declared in a <meta> only.
    site["/xxgk/zcwj/index.html"] = html(_page("政策文件", _list([
        ("东宁市城乡居民最低生活保障实施细则", "/xxgk/zcwj/1.html", "2026-08-10"),
    ], None), meta="<meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"), "gb2312", declare="meta")
    site["/xxgk/zcwj/1.html"] = html(_page("细则", "<p>正文</p>"))
    # A blank column.
    site["/xxgk/kong/index.html"] = html(_page("规划计划", "<p>暂无信息</p>"), "gbk")
    # A published page behind a redirect chain, with its attachments.
    site["/old/notice"] = redirect("/mid/notice", 301)
    site["/mid/notice"] = redirect("/xxgk/2026/notice.html", 302)
    site["/xxgk/2026/notice.html"] = html(_page(FULL_WIDTH_TITLE, (
        f"<h1>{FULL_WIDTH_TITLE}</h1><div class='info'>发布日期：2026-11-18 来源：住建局</div>"
        "<p>根据有关规定，现将补助对象予以公示。联系电话：0453-5555555。</p>"
        "<p>附件：<a href='/files/list.pdf'>补助对象名单.pdf</a> <a href='/files/check.pdf'>核对表.pdf</a> "
        "<a href='/files/reply.docx'>答复.docx</a> <a href='/files/form.docx'>申请表.docx</a></p>")), "gbk")
    site["/files/list.pdf"] = Reply(body=pdf(["Name list", f"Zhang San ID {VALID_ID} subsidy 8000"]),
                                    headers={"Content-Type": "application/pdf"})
    site["/files/check.pdf"] = Reply(body=pdf(["Check table", f"Li Si ID {INVALID_ID}"]),
                                     headers={"Content-Type": "application/pdf"})
    site["/files/reply.docx"] = Reply(body=docx(["答复书", f"申请人身份证号：{ID_IN_DOCX}"]),
                                      headers={"Content-Type": "application/octet-stream"})
    site["/files/form.docx"] = Reply(body=docx(["申请表", f"示例号码：{INVALID_IN_DOCX}"]),
                                     headers={"Content-Type": "application/octet-stream"})
    # A clean published page (passes), and one whose attachment is missing.
    site["/xxgk/2026/clean.html"] = html(_page("东宁市2026年第三季度财政收支情况", (
        "<h1>东宁市2026年第三季度财政收支情况</h1><p>发布时间：2026年10月20日</p><p>收支情况说明。</p>"
        "<a href='/files/budget.pdf'>收支表.pdf</a>")))
    site["/files/budget.pdf"] = Reply(body=pdf(["Budget 2026 Q3", "Revenue 1200"]),
                                      headers={"Content-Type": "application/pdf"})
    site["/xxgk/2026/broken.html"] = html(_page("东宁市招聘公告", (
        "<h1>东宁市招聘公告</h1><p>2026-11-01</p><a href='/files/gone.pdf'>报名表.pdf</a>")))
    # Slow pages: one within the timeout, one trickling past it; a file over the size cap.
    site["/slow.html"] = Reply(body=_page("较慢的页面", "<h1>较慢的页面</h1>").encode(),
                               headers={"Content-Type": "text/html; charset=utf-8"}, delay=0.3)
    site["/slower.html"] = Reply(body=_page("很慢的页面", "<h1>很慢的页面</h1>" + "<p>x</p>" * 40).encode(),
                                 headers={"Content-Type": "text/html; charset=utf-8"}, trickle=0.15, chunk=32)
    site["/files/huge.pdf"] = Reply(body=b"%PDF-1.4\n" + b"0" * 400_000, headers={"Content-Type": "application/pdf"})
    # A page that redirects off the allow-list, and one that redirects to the home page.
    site["/away"] = redirect("http://www.example.com/landing")
    site["/moved"] = redirect("/")
    site["/"] = html(_page("东宁市人民政府", "<h1>首页</h1>"))
    return site


def run_async(make_coroutine):
    """Run a coroutine to its end in a thread of its own (a browser test's event loop may hold
    this thread, as the scheduler's thread never does)."""
    import asyncio
    import threading
    out = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(make_coroutine())))
    thread.start()
    thread.join(120)
    return out[0]
