"""The export writer (tracker/spreadsheets.py) on its own: what a spreadsheet would run stays text,
values keep their types, and rows are streamed (memory does not grow with the number of rows)."""
import io
import tempfile
import tracemalloc
from datetime import date, datetime, timezone

from openpyxl import load_workbook

from tracker.spreadsheets import columns, write_xlsx

FORMULA_LIKE = ["=1+1", '=HYPERLINK("http://evil.example","点击")', "+86 10 1234", "-2+3", "@SUM(A1:A2)",
                "\t=1+1", "\r=1+1", "\n=1+1", "=cmd|' /C calc'!A0"]


def _read(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_text_a_spreadsheet_would_run_is_stored_as_quoted_text():
    out = io.BytesIO()
    write_xlsx(out, "注入", columns("内容", "说明"), ([text, "普通文字"] for text in FORMULA_LIKE))
    ws = _read(out.getvalue())
    for n, text in enumerate(FORMULA_LIKE, start=2):
        cell = ws.cell(row=n, column=1)
        assert cell.value == text, repr(text)  # kept exactly as typed (tab and line breaks included)
        assert cell.data_type == "s", repr(text)  # a string, never a formula
        assert cell.quotePrefix, repr(text)  # and editing the cell in Excel keeps it text
        plain = ws.cell(row=n, column=2)
        assert plain.value == "普通文字" and plain.data_type == "s" and not plain.quotePrefix


def test_values_keep_their_types_and_the_header_its_format():
    out = io.BytesIO()
    received = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)  # 09:30 in China
    write_xlsx(out, "公开任务", columns(("单位", 16), "收到日期", "签收时间", "件数", "是否"),
               [["民政局<&>", date(2026, 3, 2), received, 7, True], [None, None, None, 2.5, False]])
    ws = _read(out.getvalue())
    assert [c.value for c in ws[1]] == ["单位", "收到日期", "签收时间", "件数", "是否"]
    assert ws.cell(row=1, column=1).font.b and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E3"
    assert ws.column_dimensions["A"].width == 11  # from the content: 民政局 counts six, <&> three, a margin of two
    assert [c.value for c in ws[2]] == ["民政局<&>", datetime(2026, 3, 2), datetime(2026, 3, 2, 9, 30), 7, "是"]
    assert ws.cell(row=2, column=2).number_format == "yyyy-mm-dd"
    assert [c.value for c in ws[3]] == [None, None, None, 2.5, "否"]


def _peak_memory_writing(n_rows: int) -> tuple[int, int]:
    """Peak Python memory while writing ``n_rows`` distinct rows to a file, and the rows read back."""
    def rows():
        for i in range(n_rows):
            yield [f"单位{i}", f"关于第{i}号信息的公开", date(2026, 1, 1 + i % 28), i, f"http://example.gov.cn/{i}"]

    with tempfile.TemporaryFile() as out:
        tracemalloc.start()
        try:
            count = write_xlsx(out, "流式", columns("单位", "名称", "日期", "序号", "网址"), rows())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak, count


def test_rows_are_streamed_memory_does_not_grow_with_the_number_of_rows():
    small_peak, small = _peak_memory_writing(10_000)
    large_peak, large = _peak_memory_writing(50_000)
    assert (small, large) == (10_000, 50_000)
    # Five times the rows, about the same memory (the per-value cache is bounded); holding the
    # rows or the sheet would take five times as much.
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)
    assert large_peak < 30 * 1024 * 1024


def test_the_file_is_written_while_the_rows_are_still_coming():
    with tempfile.TemporaryFile() as out:
        sizes = []

        def rows():
            for i in range(30_000):
                if i % 10_000 == 0:
                    sizes.append(out.tell())
                yield [f"第{i}条", i]

        write_xlsx(out, "流式", columns("名称", "序号"), rows())
        assert sizes[0] < sizes[1] < sizes[2]  # earlier rows are already in the file
