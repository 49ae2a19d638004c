"""网站巡查 rules that need no website: personal data in text, dates in list rows, titles, and
the crawler's refusal of addresses outside the allow-list or inside the network."""
from datetime import date

import pytest

from tests.website_site import id_number, run_async
from tracker.website import text
from tracker.website.fixture_server import Site, html, redirect, serve
from tracker.website.net import Crawler, CrawlSettings, host_allowed

TODAY = date(2026, 12, 7)


def test_an_id_number_with_its_check_digit_and_a_real_birth_date_is_personal_data():
    good = id_number("11010519491231002")
    assert good == "11010519491231002X" and text.id_number_valid(good, TODAY)
    assert not text.id_number_valid(good[:-1] + "1", TODAY)                 # wrong check character
    assert not text.id_number_valid(id_number("11010519491331002"), TODAY)  # month 13
    assert not text.id_number_valid(id_number("11010520300101002"), TODAY)  # born in the future
    found = text.personal_data(f"申请人 {good}，另一人 {good[:-1]}1。", TODAY)
    assert [(p.kind, p.masked) for p in found] == [("id_number", "1101**********002X")]


def test_office_telephones_are_not_mobile_numbers():
    found = text.personal_data("办公电话：0453-5555555，0453－3621234；传真 0453-3621235；手机：13904531234。", TODAY)
    assert [(p.kind, p.masked) for p in found] == [("mobile", "139****1234")]
    assert text.personal_data("编号 2026113904531234567", TODAY) == []      # inside a longer number


def test_bank_card_numbers_pass_the_luhn_check_and_masked_numbers_are_not_findings():
    assert text.luhn_valid("6222021234567890128") and not text.luhn_valid("6222021234567890127")
    found = text.personal_data("卡号：6222 0212 3456 7890 128；错号 6222021234567890127", TODAY)
    assert [(p.kind, p.masked) for p in found] == [("bank_card", "6222***********0128")]
    assert text.personal_data("身份证号 1101**********002X，手机 139****1234", TODAY) == []


def test_the_context_of_a_finding_stars_the_other_numbers_near_it():
    good = id_number("11010519491231002")
    [found] = text.personal_data(f"王五 13904531234 的卡 {good} 其后 2026-11-20", TODAY)[:1]
    assert good not in found.context and "13904531234" not in found.context


@pytest.mark.parametrize("row, day", [
    ("关于做好冬季供暖工作的通知 2026-11-20", date(2026, 11, 20)),
    ("关于做好冬季供暖工作的通知 2026/11/20", date(2026, 11, 20)),
    ("关于做好冬季供暖工作的通知 2026年11月20日", date(2026, 11, 20)),
    ("关于做好冬季供暖工作的通知 [11-20]", date(2026, 11, 20)),
    ("关于做好冬季供暖工作的通知 [12-30]", date(2025, 12, 30)),    # month-day after today: last year
    ("关于做好冬季供暖工作的通知 2026.1.5", date(2026, 1, 5)),
])
def test_dates_in_each_form_lists_print(row, day):
    assert text.find_dates(row, TODAY) == [day]


def test_impossible_dates_are_not_dates():
    assert text.find_dates("2026-02-30 和 [13-01]", TODAY) == []


def test_titles_compare_equal_across_full_width_punctuation_and_spaces():
    assert text.title_appears("关于2026年(第一批)项目的公示", "首页 > 关于2026年（第一批）项目的 公示！")
    assert not text.title_appears("关于2026年(第二批)项目的公示", "关于2026年（第一批）项目的公示")


def test_allow_list_admits_a_domain_and_its_subdomains_only():
    assert host_allowed("www.dongning.gov.cn", ["gov.cn"])
    assert host_allowed("dongning.gov.cn", ["dongning.gov.cn"])
    assert not host_allowed("dongning.gov.cn.evil.example", ["gov.cn"])
    assert not host_allowed("evilgov.cn", ["gov.cn"])


# --- the crawler refuses what it must not fetch ---------------------------------------------------

@pytest.fixture(scope="module")
def loopback():
    site = Site({"/ok.html": html("<html><title>OK</title><body>ok</body></html>"),
                 "/to-loopback": redirect("http://127.0.0.1:1/secret"),
                 "/to-outside": redirect("http://www.example.com/")})
    server = serve(site)
    yield site, server.server_address[1]
    server.shutdown()


def fetch(settings, url):
    async def go():
        async with Crawler(settings) as crawler:
            return await crawler.fetch(url)
    return run_async(go)


def test_an_address_typed_as_127_0_0_1_is_refused_unless_private_addresses_are_allowed(loopback):
    site, port = loopback
    url = f"http://127.0.0.1:{port}/ok.html"
    before = site.hits.get("/ok.html", 0)
    refused = fetch(CrawlSettings(allowed_domains=("127.0.0.1",), delay=0), url)
    assert refused.error == "refused" and "内网或本机" in refused.message
    assert site.hits.get("/ok.html", 0) == before          # nothing reached the server
    allowed = fetch(CrawlSettings(allowed_domains=("127.0.0.1",), allow_private=True, delay=0), url)
    assert allowed.ok and allowed.status == 200


def test_a_government_name_that_resolves_to_loopback_is_refused(loopback):
    site, port = loopback
    settings = CrawlSettings(allowed_domains=("gov.cn",), resolve={"www.trap.gov.cn": "127.0.0.1"}, delay=0)
    result = fetch(settings, f"http://www.trap.gov.cn:{port}/ok.html")
    assert result.error == "refused" and "127.0.0.1" in result.message


def test_an_address_off_the_allow_list_is_refused_before_it_is_resolved():
    result = fetch(CrawlSettings(allowed_domains=("gov.cn",), delay=0), "http://www.example.com/")
    assert result.error == "refused" and "不在允许巡查" in result.message
    assert fetch(CrawlSettings(delay=0), "ftp://www.a.gov.cn/x").error == "refused"
    assert fetch(CrawlSettings(delay=0), "http://user:pw@www.a.gov.cn/").error == "refused"


def test_each_redirect_is_checked_again(loopback):
    site, port = loopback
    settings = CrawlSettings(allowed_domains=("test.gov.cn",), allow_private=True,
                             resolve={"www.test.gov.cn": "127.0.0.1"}, delay=0)
    outside = fetch(settings, f"http://www.test.gov.cn:{port}/to-outside")
    assert outside.error == "refused" and "www.example.com" in outside.message
    assert outside.chain == [[f"http://www.test.gov.cn:{port}/to-outside", 302]]
    # allowed to reach the named host on loopback, but not a bare 127.0.0.1 it redirects to
    inside = fetch(settings, f"http://www.test.gov.cn:{port}/to-loopback")
    assert inside.error == "refused" and "127.0.0.1" in inside.message


def test_the_host_name_travels_in_the_host_header_to_the_checked_address(loopback):
    site, port = loopback
    seen = []
    site.handler = lambda host, target: seen.append(host) or html("<html><body>x</body></html>")
    settings = CrawlSettings(allowed_domains=("test.gov.cn",), allow_private=True,
                             resolve={"www.test.gov.cn": "127.0.0.1"}, delay=0)
    assert fetch(settings, f"http://www.test.gov.cn:{port}/anything").ok
    assert seen == [f"www.test.gov.cn:{port}"]
    site.handler = None


def test_retry_after_is_honoured_once_then_the_host_is_left_alone(loopback):
    site, port = loopback
    from tracker.website.fixture_server import Reply
    site.pages["/busy"] = Reply(503, b"busy", {"Retry-After": "3600"})
    settings = CrawlSettings(allowed_domains=("127.0.0.1",), allow_private=True, delay=0, retry_after_max=1)
    result = fetch(settings, f"http://127.0.0.1:{port}/busy")
    assert result.error == "busy" and result.retry_after == 3600 and site.hits["/busy"] == 1
