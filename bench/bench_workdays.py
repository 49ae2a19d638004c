"""Benchmark: WorkCalendar.add(D, 20) vs chinese_calendar.find_workday.

Run from the repository root:  python bench/bench_workdays.py

For every day D from 2015-01-01 to 2026-06-30 it computes "the 20th working day after D"
(domain.md section 4: the start day is never counted) with the engine and with
chinese_calendar, asserts they agree for every date, and times both.

How the two are compared (find_workday's semantics differ from the domain rule):
  chinese_calendar.find_workday(k, D) first moves to the first working day on or after D
  (D itself if D is a working day), then steps k more working days. So
    * D a working day:      find_workday(20, D) == 20th working day after D  == add(D, 20)
    * D not a working day:  find_workday(20, D) == 21st working day after D; the domain
                            answer is find_workday(19, D)                    == add(D, 20)
  The benchmark therefore calls find_workday(20 if is_workday(D) else 19, D) and compares it
  with add(D, 20). It also verifies the stated semantics on every non-working D:
  find_workday(20, D) == add(D, 21) (done outside the timed loop).

Exit status: 1 on any mismatch, or if the speed-up is below 100x; 0 otherwise.
"""
from __future__ import annotations

import os
import sys
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import chinese_calendar  # noqa: E402

from tracker.workcal.engine import WorkCalendar  # noqa: E402

N = 20
FIRST = date(2015, 1, 1)
LAST = date(2026, 6, 30)
TARGET_RATIO = 100


def main() -> int:
    days = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]

    t0 = time.perf_counter()
    cal = WorkCalendar()
    build_s = time.perf_counter() - t0

    # Engine, timed (several repetitions to get a stable per-call figure).
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        engine_results = [cal.add(d, N).day for d in days]
    engine_s = (time.perf_counter() - t0) / (reps * len(days))

    # chinese_calendar, with the delta that matches the domain rule (see module docstring).
    deltas = [N if chinese_calendar.is_workday(d) else N - 1 for d in days]
    t0 = time.perf_counter()
    cc_results = [chinese_calendar.find_workday(k, d) for k, d in zip(deltas, days)]
    cc_s = (time.perf_counter() - t0) / len(days)

    mismatches = [
        (d, e, c) for d, e, c in zip(days, engine_results, cc_results) if e != c
    ]
    # Check the documented find_workday semantics on non-working start days.
    semantic_errors = [
        d
        for d, k in zip(days, deltas)
        if k != N and chinese_calendar.find_workday(N, d) != cal.add(d, N + 1).day
    ]
    non_working = sum(1 for k in deltas if k != N)

    ratio = cc_s / engine_s if engine_s else float("inf")
    print(
        f"dates: {len(days)} ({FIRST} .. {LAST}, {non_working} of them non-working), "
        f"n = {N}"
    )
    print(f"index build: {build_s * 1000:.1f} ms ({cal.first_year}..{cal.last_year})")
    print(
        f"engine: {engine_s * 1e6:.2f} us/call  "
        f"chinese_calendar.find_workday: {cc_s * 1e6:.0f} us/call  "
        f"ratio: {ratio:.0f}x  (target >= {TARGET_RATIO}x)"
    )

    status = 0
    if mismatches:
        status = 1
        print(f"MISMATCH on {len(mismatches)} dates, first 10:")
        for d, e, c in mismatches[:10]:
            print(f"  {d}: engine {e}  chinese_calendar {c}")
    else:
        print(f"results identical for all {len(days)} dates")
    if semantic_errors:
        status = 1
        print(f"find_workday semantics differ from the documented assumption on {len(semantic_errors)} dates, e.g. {semantic_errors[:5]}")
    if ratio < TARGET_RATIO:
        status = 1
        print(f"FAIL: ratio {ratio:.0f}x below target {TARGET_RATIO}x")
    return status


if __name__ == "__main__":
    sys.exit(main())
