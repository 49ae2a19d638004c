"""The reply clock (domain.md §3–4) on the real 2026 calendar; expected dates computed by hand.

2026: 4月4日–6日 清明, 5月1日–5日 劳动节 (5月9日 Saturday worked), 6月19日 端午,
9月25日 中秋 (9月20日 Sunday worked), 10月1日–7日 国庆 (10月10日 Saturday worked), 2月15日–23日 春节.
"""
from datetime import date

import pytest

from tracker.applications.clock import (
    CONSULTATION_ANSWERED,
    CONSULTATION_LAPSED,
    CONSULTATION_SENT,
    CORRECTION_RECEIVED,
    CORRECTION_SENT,
    EXTENSION,
    FEE_NOTICE_SENT,
    FEE_PAID,
    ClockEvent,
    compute_deadline,
)
from tracker.workcal.engine import WorkCalendar

CAL = WorkCalendar()
D = date


def ev(kind, day, **details):
    return ClockEvent(kind, day, details)


def test_twenty_working_days_after_receipt_skip_qingming():
    r = compute_deadline(D(2026, 4, 1), [], CAL)
    assert r.due_date == D(2026, 4, 30)
    assert not r.provisional and r.paused_days == 0 and r.open_pause is None


def test_receipt_on_a_holiday_counts_from_the_next_working_day():
    # Received on 春节 day one: counting starts 2月24日 and counts the make-up Saturday 2月28日.
    assert compute_deadline(D(2026, 2, 15), [], CAL).due_date == D(2026, 3, 20)
    assert compute_deadline(D(2026, 2, 10), [], CAL).due_date == D(2026, 3, 16)


def test_consultation_pause_example_of_the_spec():
    events = [ev(CONSULTATION_SENT, D(2026, 4, 8)), ev(CONSULTATION_ANSWERED, D(2026, 4, 20))]
    r = compute_deadline(D(2026, 4, 1), events, CAL)
    assert r.paused_days == 8
    assert r.due_date == D(2026, 5, 14)  # across 劳动节, counting Saturday 5月9日


def test_open_consultation_suspends_the_deadline_and_has_its_own_fifteen_days():
    r = compute_deadline(D(2026, 9, 15), [ev(CONSULTATION_SENT, D(2026, 9, 22))], CAL)
    assert r.due_date is None and r.suspended
    assert r.open_pause.kind == "consultation" and r.open_pause.label == "征求意见中"
    # 15 working days after 9月22日: skips 中秋 9月25日 and 国庆, counts 10月10日.
    assert r.open_pause.due == D(2026, 10, 20)


def test_consultation_across_national_day():
    assert compute_deadline(D(2026, 9, 15), [], CAL).due_date == D(2026, 10, 19)
    events = [ev(CONSULTATION_SENT, D(2026, 9, 22)), ev(CONSULTATION_ANSWERED, D(2026, 10, 9))]
    r = compute_deadline(D(2026, 9, 15), events, CAL)
    assert r.paused_days == 7  # 9/23, 9/24, 9/28, 9/29, 9/30, 10/8, 10/9
    assert r.due_date == D(2026, 10, 28)


def test_late_answer_counts_only_up_to_the_fifteen_day_lapse():
    late = [ev(CONSULTATION_SENT, D(2026, 9, 22)), ev(CONSULTATION_ANSWERED, D(2026, 10, 26))]
    lapsed = [ev(CONSULTATION_SENT, D(2026, 9, 22)), ev(CONSULTATION_LAPSED, D(2026, 10, 20))]
    for events in (late, lapsed):
        r = compute_deadline(D(2026, 9, 15), events, CAL)
        assert r.paused_days == 15
        assert r.due_date == D(2026, 11, 9)


def test_open_consultation_past_its_lapse_resumes_the_clock_given_today():
    events = [ev(CONSULTATION_SENT, D(2026, 9, 22))]
    assert compute_deadline(D(2026, 9, 15), events, CAL, today=D(2026, 10, 20)).suspended
    r = compute_deadline(D(2026, 9, 15), events, CAL, today=D(2026, 10, 21))
    assert r.due_date == D(2026, 11, 9) and not r.suspended


def test_fee_notice_pauses_and_payment_is_due_twenty_days_after_the_notice_arrives():
    assert compute_deadline(D(2026, 6, 1), [], CAL).due_date == D(2026, 6, 30)  # skips 端午 6月19日
    notice = ev(FEE_NOTICE_SENT, D(2026, 6, 10), delivered_on="2026-06-12")
    r = compute_deadline(D(2026, 6, 1), [notice], CAL)
    assert r.due_date is None and r.open_pause.kind == "fee"
    # 自收到收费通知之次日起20个工作日: counting from 6月15日 (the 13th is a Saturday), skipping 6月19日.
    assert r.open_pause.due == D(2026, 7, 13)
    paid = compute_deadline(D(2026, 6, 1), [notice, ev(FEE_PAID, D(2026, 6, 24))], CAL)
    assert paid.paused_days == 9
    assert paid.due_date == D(2026, 7, 13)


def test_fee_notice_without_delivery_date_counts_from_the_day_it_went_out():
    r = compute_deadline(D(2026, 6, 1), [ev(FEE_NOTICE_SENT, D(2026, 6, 10))], CAL)
    assert r.open_pause.due == D(2026, 7, 9)


def test_extension_adds_working_days_to_the_current_deadline():
    r = compute_deadline(D(2026, 4, 1), [ev(EXTENSION, D(2026, 4, 20), days=20)], CAL)
    assert r.extension_days == 20
    assert r.due_date == D(2026, 6, 1)  # 4月30日 + 20, over 劳动节 and counting 5月9日


def test_extension_after_a_pause_adds_to_the_moved_deadline():
    events = [ev(CONSULTATION_SENT, D(2026, 4, 8)), ev(CONSULTATION_ANSWERED, D(2026, 4, 20)),
              ev(EXTENSION, D(2026, 5, 6), days=10)]
    assert compute_deadline(D(2026, 4, 1), events, CAL).due_date == D(2026, 5, 28)


def test_correction_request_suspends_until_the_corrected_application_arrives():
    sent = ev(CORRECTION_SENT, D(2026, 9, 8), due="2026-09-22")
    r = compute_deadline(D(2026, 9, 1), [sent], CAL)
    assert r.due_date is None and r.open_pause.kind == "correction" and r.open_pause.due == D(2026, 9, 22)
    assert r.correction_limit == D(2026, 9, 10) and not r.correction_late


def test_corrected_application_restarts_the_clock_and_discards_earlier_pauses():
    events = [ev(CONSULTATION_SENT, D(2026, 9, 2)), ev(CONSULTATION_ANSWERED, D(2026, 9, 4)),
              ev(CORRECTION_SENT, D(2026, 9, 8), due="2026-09-30"), ev(CORRECTION_RECEIVED, D(2026, 9, 28))]
    r = compute_deadline(D(2026, 9, 1), events, CAL)
    assert r.restarted and r.start == D(2026, 9, 28)
    assert r.paused_days == 0
    assert r.due_date == D(2026, 10, 30)  # calendar.md: 20 working days after 9月28日


def test_correction_request_after_seven_working_days_is_flagged_late():
    on_time = compute_deadline(D(2026, 9, 1), [ev(CORRECTION_SENT, D(2026, 9, 10), due="2026-09-30")], CAL)
    late = compute_deadline(D(2026, 9, 1), [ev(CORRECTION_SENT, D(2026, 9, 11), due="2026-09-30")], CAL)
    assert not on_time.correction_late and late.correction_late
    # Across 春节: received 2月12日 → 13, 14 (Saturday worked), 24–27, 28 (Saturday worked) = 7th.
    r = compute_deadline(D(2026, 2, 12), [ev(CORRECTION_SENT, D(2026, 2, 28), due="2026-03-10")], CAL)
    assert r.correction_limit == D(2026, 2, 28) and not r.correction_late
    assert compute_deadline(D(2026, 2, 12), [ev(CORRECTION_SENT, D(2026, 3, 2), due="2026-03-10")],
                            CAL).correction_late


def test_pause_after_restart_still_counts():
    events = [ev(CORRECTION_SENT, D(2026, 3, 31), due="2026-04-15"), ev(CORRECTION_RECEIVED, D(2026, 4, 1)),
              ev(CONSULTATION_SENT, D(2026, 4, 8)), ev(CONSULTATION_ANSWERED, D(2026, 4, 20))]
    assert compute_deadline(D(2026, 3, 30), events, CAL).due_date == D(2026, 5, 14)


def test_dates_in_2027_are_provisional():
    r = compute_deadline(D(2026, 12, 15), [], CAL)
    assert r.due_date.year == 2027 and r.provisional
    assert not compute_deadline(D(2026, 11, 2), [], CAL).provisional


def test_closing_a_pause_that_is_not_open_is_an_error():
    with pytest.raises(ValueError):
        compute_deadline(D(2026, 4, 1), [ev(FEE_PAID, D(2026, 4, 3))], CAL)
    with pytest.raises(ValueError):
        compute_deadline(D(2026, 4, 1), [ev(CONSULTATION_SENT, D(2026, 4, 3)), ev(FEE_NOTICE_SENT, D(2026, 4, 4))], CAL)
