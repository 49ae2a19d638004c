"""Tests for tracker.workcal.engine (pure engine: no app, no database)."""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import holidays as holidays_pkg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.workcal.engine import (
    KINDS,
    DayOverride,
    WorkCalendar,
    WorkdayAnswer,
    chinese_calendar_years,
)
from tracker.workcal.notices import HolidayRange, parse_notice_text, validate_notice

# One shared calendar (building takes ~0.2 s); fixed last_year so tests do not depend on today.
CAL = WorkCalendar(first_year=2004, last_year=2036)


def D(s: str) -> date:
    return date.fromisoformat(s)


def days_between(a: date, b: date):
    d = a
    while d <= b:
        yield d
        d += timedelta(days=1)


def brute_add(cal: WorkCalendar, start: date, n: int) -> date:
    """Reference implementation: step day by day (the slow way the engine must match)."""
    d, left = start, n
    while left:
        d += timedelta(days=1)
        if cal.is_workday(d):
            left -= 1
    return d


# The State Council notice for 2026 (国办发明电〔2025〕7号), as it would be pasted.
NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
国办发明电〔2025〕7号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。
国务院办公厅
2025年11月4日
"""

# A made-up 2027 notice in the same format (2027 has no official data in chinesecalendar 1.11.0).
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（农历正月初一、周六）至13日（农历正月初八、周六）放假调休，共8天。2月14日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
国务院办公厅
2026年11月4日
"""


# ---------------------------------------------------------------------------
# Facts from calendar.md / domain.md
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
def test_2026_makeup_days_are_workdays(day):
    d = D(day)
    assert d.weekday() >= 5  # they really are weekend days
    assert CAL.is_workday(d)
    assert CAL.day_info(d).kind == "makeup"


def test_2026_spring_festival_and_national_day_are_off():
    for d in list(days_between(D("2026-02-15"), D("2026-02-23"))) + list(
        days_between(D("2026-10-01"), D("2026-10-07"))
    ):
        assert not CAL.is_workday(d), d
        assert CAL.day_info(d).kind == "holiday"
    assert CAL.day_info(D("2026-02-16")).name == "春节"
    assert CAL.day_info(D("2026-10-01")).name == "国庆节"


def test_2026_mid_autumn_friday_is_holiday():
    d = D("2026-09-25")
    assert d.weekday() == 4
    assert not CAL.is_workday(d)
    info = CAL.day_info(d)
    assert (info.kind, info.name, info.provisional) == ("holiday", "中秋节", False)


def test_calendar_md_examples():
    assert CAL.add(D("2026-02-10"), 20) == WorkdayAnswer(D("2026-03-16"), None, False)
    assert CAL.add(D("2026-09-28"), 20) == WorkdayAnswer(D("2026-10-30"), None, False)


def test_domain_md_pause_example():
    received = D("2026-04-01")
    deadline = CAL.add(received, 20).day
    assert deadline == D("2026-04-30")
    paused = CAL.between(D("2026-04-08"), D("2026-04-20"))
    assert paused == WorkdayAnswer(None, 8, False)
    assert CAL.add(deadline, paused.count).day == D("2026-05-14")


def test_start_day_is_not_counted():
    # 2026-04-01 is a Wednesday working day; the 1st working day after it is the next day.
    assert CAL.is_workday(D("2026-04-01"))
    assert CAL.add(D("2026-04-01"), 1).day == D("2026-04-02")
    # Friday -> Monday.
    assert CAL.add(D("2026-04-10"), 1).day == D("2026-04-13")


def test_start_on_holiday_changes_nothing():
    # 2026-10-01 is a holiday: counting starts at the next working day, 2026-10-08 (Thursday).
    assert CAL.add(D("2026-10-01"), 1).day == D("2026-10-08")
    # Cross-check with chinese_calendar: first working day on/after 10-02.
    assert chinese_calendar.find_workday(0, D("2026-10-02")) == D("2026-10-08")
    # Every start day inside the holiday gives the same answer as the last working day
    # before it (2026-09-30): two working days later than from 2026-09-28 (-> 10-30).
    results = {CAL.add(d, 20).day for d in days_between(D("2026-09-30"), D("2026-10-07"))}
    assert results == {D("2026-11-03")}


def test_add_zero_and_negative():
    assert CAL.add(D("2026-10-03"), 0) == WorkdayAnswer(D("2026-10-03"), None, False)
    assert CAL.add(D("2028-03-01"), 0).provisional is True
    with pytest.raises(ValueError):
        CAL.add(D("2026-04-01"), -1)


def test_between_basics():
    assert CAL.between(D("2026-04-01"), D("2026-04-01")).count == 0
    assert CAL.between(D("2026-04-30"), D("2026-04-01")) == WorkdayAnswer(None, 0, False)
    assert CAL.between(D("2026-04-01"), D("2026-04-02")).count == 1
    # Friday to Sunday: nothing worked after Friday.
    assert CAL.between(D("2026-04-10"), D("2026-04-12")).count == 0
    # 2026-02-13 (Fri) -> 2026-02-28 (Sat): only the two make-up Saturdays 2/14, 2/28 and 2/24-2/27.
    assert CAL.between(D("2026-02-13"), D("2026-02-28")).count == 6


def test_dates_before_first_year_rejected():
    with pytest.raises(ValueError):
        CAL.add(D("2003-12-31"), 1)
    with pytest.raises(ValueError):
        CAL.between(D("2003-12-31"), D("2004-01-05"))


# ---------------------------------------------------------------------------
# Sources and provisional years
# ---------------------------------------------------------------------------


def test_chinese_calendar_years_detected():
    years = chinese_calendar_years()
    assert set(range(2004, 2027)) <= years
    assert 2027 not in years
    assert not CAL.is_provisional_year(2026)
    assert CAL.is_provisional_year(2027)
    assert CAL.is_provisional_year(2031)


def test_2027_deadline_is_provisional_without_notice():
    ans = CAL.add(D("2026-12-20"), 20)
    assert ans.day.year == 2027
    assert ans.provisional is True
    assert CAL.years_spanned_provisional(D("2026-12-20"), ans.day)
    assert not CAL.years_spanned_provisional(D("2026-01-01"), D("2026-12-31"))
    assert CAL.between(D("2026-12-20"), D("2027-01-20")).provisional is True
    # A span fully inside official years is not provisional.
    assert CAL.add(D("2026-02-10"), 20).provisional is False


def test_estimate_years_use_holidays_china_without_makeup_days():
    est = holidays_pkg.China(years=2028)
    for d in days_between(D("2028-01-01"), D("2028-12-31")):
        expected = d.weekday() < 5 and d not in est
        assert CAL.is_workday(d) == expected, d
    # National Day 2028 is estimated as a holiday and flagged provisional.
    info = CAL.day_info(D("2028-10-02"))
    assert info.kind == "holiday" and info.provisional and not info.is_workday
    assert info.name  # holidays.China provides a name


def test_official_year_by_hand_with_overrides():
    parsed = parse_notice_text(NOTICE_2027, 2027)
    assert parsed.errors == []
    cal = WorkCalendar(
        overrides=parsed.to_overrides(), official_years={2027}, first_year=2020, last_year=2030
    )
    assert not cal.is_provisional_year(2027)
    ans = cal.add(D("2026-12-20"), 20)
    assert ans.provisional is False
    # Make-up Sunday 2027-02-14 counts, Spring Festival 2/6-2/13 does not.
    assert cal.is_workday(D("2027-02-14"))
    # Days of the State Council's notice read as official holidays and make-up days, not as
    # local decisions.
    assert cal.day_info(D("2027-02-14")).kind == "makeup"
    for d in days_between(D("2027-02-06"), D("2027-02-13")):
        assert not cal.is_workday(d)
        assert cal.day_info(d).kind == "holiday"
    assert cal.day_info(D("2027-02-08")).name == "春节"
    # No rule-based holidays in a hand-recorded year: 2027-02-05 (Fri) is Chinese New Year's
    # Eve for holidays.China but not in this notice, so it is a working day.
    assert D("2027-02-05") in holidays_pkg.China(years=2027)
    assert not CAL.is_workday(D("2027-02-05"))
    assert cal.is_workday(D("2027-02-05"))
    # Brute-force cross-check of a deadline across the recorded Spring Festival.
    start = D("2027-01-29")
    assert cal.add(start, 20).day == brute_add(cal, start, 20)
    # 2/1-2/5 (5), 2/14 (1), 2/15-2/19 (5), 2/20 (1), 2/22-2/26 (5), 3/1-3/3 (3) = 20
    assert cal.add(start, 20).day == D("2027-03-03")
    # The estimate (no notice) gives a different, provisional date.
    est = CAL.add(start, 20)
    assert est.provisional and est.day != D("2027-03-03")
    # Years after 2027 remain provisional.
    assert cal.add(D("2027-12-20"), 20).provisional is True


def test_overrides_win_over_chinese_calendar():
    closure = D("2026-03-10")  # a Tuesday working day closed locally
    worked = D("2026-10-02")  # a National Day holiday worked locally
    assert CAL.is_workday(closure) and not CAL.is_workday(worked)
    cal = WorkCalendar(
        overrides=[DayOverride(closure, False, "停电闭馆"), DayOverride(worked, True)],
        first_year=2020,
        last_year=2030,
    )
    assert not cal.is_workday(closure)
    assert cal.is_workday(worked)
    info = cal.day_info(closure)
    assert (info.kind, info.name, info.is_workday) == ("override_holiday", "停电闭馆", False)
    assert cal.day_info(worked).kind == "override_workday"
    # The closure pushes a deadline that spans it one working day later.
    assert CAL.add(D("2026-03-01"), 20).day == D("2026-03-27")
    assert cal.add(D("2026-03-01"), 20).day == D("2026-03-30")
    # The worked holiday is counted.
    assert cal.add(D("2026-10-01"), 1).day == D("2026-10-02")
    assert cal.between(D("2026-09-30"), D("2026-10-08")).count == 2
    # Official data is still official with overrides.
    assert cal.add(D("2026-03-01"), 20).provisional is False


def test_last_override_for_a_day_wins():
    d = D("2026-03-10")
    cal = WorkCalendar(
        overrides=[DayOverride(d, False), DayOverride(d, True)], first_year=2026, last_year=2027
    )
    assert cal.is_workday(d)


def test_index_grows_beyond_last_year():
    cal = WorkCalendar(first_year=2025, last_year=2026)
    ans = cal.add(D("2026-12-01"), 300)
    assert ans.day.year == 2028
    assert ans.provisional
    assert cal.is_workday(ans.day)
    assert cal.between(D("2026-12-01"), ans.day).count == 300
    assert cal.last_year >= 2028
    assert cal.add(D("2026-12-01"), 300).day == brute_add(cal, D("2026-12-01"), 300)


def test_default_last_year_covers_ten_years_ahead():
    cal = WorkCalendar(first_year=2024)
    assert cal.last_year >= date.today().year + 9


def test_month_grid_shape_and_kinds():
    grid = CAL.month_grid(2026, 2)
    assert all(len(week) == 7 for week in grid)
    cells = [c for week in grid for c in week if c is not None]
    assert [c.day for c in cells] == list(days_between(D("2026-02-01"), D("2026-02-28")))
    # Monday first: 2026-02-01 is a Sunday, so it sits in the last column of week one.
    assert grid[0][6].day == D("2026-02-01") and grid[0][0] is None
    for week in grid:
        for i, c in enumerate(week):
            if c is not None:
                assert c.day.weekday() == i
                assert c.kind in KINDS
                assert c.is_workday == CAL.is_workday(c.day)
                assert c.provisional is False
    by_day = {c.day: c for c in cells}
    assert by_day[D("2026-02-14")].kind == "makeup"
    assert by_day[D("2026-02-17")].kind == "holiday" and by_day[D("2026-02-17")].name == "春节"
    assert by_day[D("2026-02-07")].kind == "weekend"
    assert by_day[D("2026-02-10")].kind == "workday"
    assert all(c.provisional for w in CAL.month_grid(2029, 5) for c in w if c is not None)


# ---------------------------------------------------------------------------
# Agreement with chinese_calendar and properties
# ---------------------------------------------------------------------------


def test_agrees_with_chinese_calendar_every_day_2004_2026():
    mismatches = [
        d
        for d in days_between(D("2004-01-01"), D("2026-12-31"))
        if CAL.is_workday(d) != chinese_calendar.is_workday(d)
    ]
    assert mismatches == []


def test_add_matches_find_workday_sample():
    # find_workday(k, D) counts from the first working day on/after D (see bench script).
    for d in days_between(D("2025-12-01"), D("2026-11-30")):
        k = 20 if chinese_calendar.is_workday(d) else 19
        assert CAL.add(d, 20).day == chinese_calendar.find_workday(k, d), d


dates_2005_2030 = st.dates(min_value=date(2005, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(d=dates_2005_2030, n=st.integers(min_value=0, max_value=60))
def test_between_inverts_add(d, n):
    ans = CAL.add(d, n)
    assert CAL.between(d, ans.day).count == n
    assert ans.day >= d
    assert ans.provisional == CAL.years_spanned_provisional(d, ans.day)


@settings(max_examples=300, deadline=None)
@given(d=dates_2005_2030, n=st.integers(min_value=1, max_value=60))
def test_add_result_is_workday_and_matches_brute_force(d, n):
    day = CAL.add(d, n).day
    assert day > d
    assert CAL.is_workday(day)
    assert day == brute_add(CAL, d, n)


@settings(max_examples=300, deadline=None)
@given(
    d=dates_2005_2030,
    n=st.integers(min_value=0, max_value=60),
    dn=st.integers(min_value=0, max_value=30),
    dd=st.integers(min_value=0, max_value=30),
)
def test_add_monotonic(d, n, dn, dd):
    base = CAL.add(d, n).day
    assert CAL.add(d, n + dn).day >= base
    assert CAL.add(d + timedelta(days=dd), n).day >= base
    if dn > 0 and n + dn > 0:
        assert CAL.add(d, n + dn).day > base


# ---------------------------------------------------------------------------
# Notice parsing
# ---------------------------------------------------------------------------


def test_parse_real_2026_notice_reproduces_chinese_calendar():
    parsed = parse_notice_text(NOTICE_2026, 2026)
    assert parsed.errors == []
    assert [(r.start, r.end, r.name) for r in parsed.holidays] == [
        (D("2026-01-01"), D("2026-01-03"), "元旦"),
        (D("2026-02-15"), D("2026-02-23"), "春节"),
        (D("2026-04-04"), D("2026-04-06"), "清明节"),
        (D("2026-05-01"), D("2026-05-05"), "劳动节"),
        (D("2026-06-19"), D("2026-06-21"), "端午节"),
        (D("2026-09-25"), D("2026-09-27"), "中秋节"),
        (D("2026-10-01"), D("2026-10-07"), "国庆节"),
    ]
    assert parsed.makeup_days == [
        D("2026-01-04"), D("2026-02-14"), D("2026-02-28"), D("2026-05-09"), D("2026-09-20"), D("2026-10-10")
    ]
    # Weekday base + the notice == chinese_calendar's official 2026 data, day for day.
    ov = {o.day: o.is_workday for o in parsed.to_overrides()}
    for d in days_between(D("2026-01-01"), D("2026-12-31")):
        assert ov.get(d, d.weekday() < 5) == chinese_calendar.is_workday(d), d


def test_parse_2027_notice():
    parsed = parse_notice_text(NOTICE_2027, 2027)
    assert parsed.errors == [] and parsed.warnings == []
    assert [r.name for r in parsed.holidays] == ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    assert parsed.holidays[1] == HolidayRange(D("2027-02-06"), D("2027-02-13"), "春节", 4)
    assert parsed.holidays[4] == HolidayRange(D("2027-06-09"), D("2027-06-09"), "端午节", 7)
    assert parsed.makeup_days == [
        D("2027-02-14"), D("2027-02-20"), D("2027-04-25"), D("2027-05-08"), D("2027-09-26"), D("2027-10-09")
    ]
    assert parsed.makeup_lines == [4, 4, 6, 6, 9, 9]


def test_parse_simple_line_format():
    text = "\n".join(
        [
            "2027年安排",  # no full date: ignored
            "2027-01-01~2027-01-03 元旦",
            "2027-02-06 至 2027-02-13 春节",
            "2027-04-05 清明节",
            "上班 2027-02-20",
            "2027-02-14 上班",
            "2027/10/01～2027/10/07 国庆节",
        ]
    )
    parsed = parse_notice_text(text, 2027)
    assert parsed.errors == []
    assert [(r.start, r.end, r.name, r.line) for r in parsed.holidays] == [
        (D("2027-01-01"), D("2027-01-03"), "元旦", 2),
        (D("2027-02-06"), D("2027-02-13"), "春节", 3),
        (D("2027-04-05"), D("2027-04-05"), "清明节", 4),
        (D("2027-10-01"), D("2027-10-07"), "国庆节", 7),
    ]
    assert parsed.makeup_days == [D("2027-02-20"), D("2027-02-14")]
    assert parsed.makeup_lines == [5, 6]


def test_parse_single_day_and_month_rollover():
    text = "六、中秋节：9月25日（周六）放假。\n春节：1月30日（周六）至2日（周二）放假，共4天。"
    parsed = parse_notice_text(text, 2027)
    assert parsed.errors == []
    assert parsed.holidays == [
        HolidayRange(D("2027-09-25"), D("2027-09-25"), "中秋节", 1),
        HolidayRange(D("2027-01-30"), D("2027-02-02"), "春节", 2),
    ]


def test_parse_ignores_lines_without_dates():
    text = "国务院办公厅关于2027年部分节假日安排的通知\n发布日期：2026-11-04\n各省、自治区、直辖市人民政府：\n\n国务院办公厅\n2026年11月4日"
    parsed = parse_notice_text(text, 2027)
    assert parsed.holidays == [] and parsed.makeup_days == [] and parsed.errors == []


def test_error_makeup_not_weekend():
    text = "2027-02-06~2027-02-07 春节\n2027-02-10 上班\n2027-02-08 上班"
    parsed = parse_notice_text(text, 2027)
    assert "第3行：调休上班日 2027-02-08 不是周末" in parsed.errors
    assert "第2行：调休上班日 2027-02-10 不是周末" in parsed.errors
    # Notice-format make-up day that is a weekday.
    parsed = parse_notice_text("春节：2月6日至13日放假调休，共8天。2月15日（周一）上班。", 2027)
    assert parsed.errors == ["第1行：调休上班日 2027-02-15 不是周末"]


def test_error_range_reversed():
    parsed = parse_notice_text("元旦\n2027-01-03~2027-01-01 元旦", 2027)
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith("第2行：放假区间起止颠倒")
    parsed = parse_notice_text("一、元旦：1月3日至1月1日放假。", 2027)
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith("第1行：放假区间起止颠倒")


def test_error_date_not_in_year():
    parsed = parse_notice_text("a\nb\nc\n2028-01-01 元旦", 2027)
    assert len(parsed.errors) == 1 and parsed.errors[0].startswith("第4行：日期不在2027年")
    parsed = parse_notice_text("上班 2026-12-27", 2027)
    assert parsed.errors == ["第1行：日期不在2027年（调休上班日 2026-12-27）"]
    # "12月31日至1月2日" without years runs into the next year.
    parsed = parse_notice_text("元旦：12月31日至1月2日放假，共3天。", 2027)
    assert len(parsed.errors) == 1 and parsed.errors[0].startswith("第1行：日期不在2027年")


def test_explicit_cross_year_range_is_clipped_with_warning():
    # The real 2023 notice: 元旦：2022年12月31日至2023年1月2日放假调休，共3天。
    parsed = parse_notice_text("一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。", 2023)
    assert parsed.errors == []
    assert parsed.holidays == [HolidayRange(D("2023-01-01"), D("2023-01-02"), "元旦", 1)]
    assert len(parsed.warnings) == 1 and parsed.warnings[0].startswith("第1行：放假区间 2022-12-31 至 2023-01-02 跨年")


def test_error_invalid_date():
    parsed = parse_notice_text("1\n2\n3\n4\n2027-02-30 春节", 2027)
    assert parsed.errors == ["第5行：无法识别的日期 2027-02-30"]
    parsed = parse_notice_text("春节：2月27日至30日放假。", 2027)
    assert parsed.errors == ["第1行：无法识别的日期 2027-02-30"]
    parsed = parse_notice_text("2027-13-01 上班", 2027)
    assert parsed.errors == ["第1行：无法识别的日期 2027-13-01"]


def test_error_makeup_inside_holiday_range():
    parsed = parse_notice_text("一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月2日（周六）上班。", 2027)
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith("第1行：调休上班日 2027-01-02 在第1行的放假区间“元旦”")


def test_error_duplicate_and_overlapping_ranges():
    text = "2027-10-01~2027-10-07 国庆节\n2027-10-01~2027-10-07 国庆节\n2027-10-05~2027-10-09 国庆节"
    parsed = parse_notice_text(text, 2027)
    assert any(e.startswith("第2行：放假区间重复") and "与第1行相同" in e for e in parsed.errors)
    assert any(e.startswith("第3行：放假区间 2027-10-05 至 2027-10-09 与第1行的区间") and e.endswith("重叠") for e in parsed.errors)
    assert len(parsed.errors) == 3  # 1-2 duplicate, 1-3 and 2-3 overlap


def test_error_duplicate_makeup_day():
    parsed = parse_notice_text("上班 2027-02-20\n2027-02-20 上班", 2027)
    assert parsed.errors == ["第2行：调休上班日 2027-02-20 重复"]


def test_error_weekday_annotation_and_total_mismatch():
    parsed = parse_notice_text("一、元旦：1月1日（周四）至3日（周日）放假，共4天。", 2027)
    assert "第1行：2027-01-01 标注为周四，实际是周五" in parsed.errors
    assert any(e.startswith("第1行：放假天数不符") for e in parsed.errors)
    assert len(parsed.errors) == 2


def test_validate_notice_for_manual_entry():
    ok = validate_notice(
        [HolidayRange(D("2027-10-01"), D("2027-10-07"), "国庆节")], [D("2027-10-09")], 2027
    )
    assert ok == []
    errs = validate_notice(
        [
            HolidayRange(D("2027-10-07"), D("2027-10-01"), "国庆节"),
            HolidayRange(D("2027-05-01"), D("2027-05-05"), "劳动节"),
        ],
        [D("2027-05-06"), D("2027-05-02")],
        2027,
    )
    assert errs == [
        "放假区间起止颠倒（“国庆节”2027-10-07 至 2027-10-01）",
        "调休上班日 2027-05-06 不是周末",
        "调休上班日 2027-05-02 在放假区间“劳动节”（2027-05-01 至 2027-05-05）内",
    ]
