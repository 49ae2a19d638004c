"""``flask scores compute`` and ``flask scores export``: the interface others script against.
Bad arguments get a Chinese message and exit status 2, and change nothing."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.scores.models import ScorePeriod, ScoreRerun

from .scores_helpers import at, task_with_history


@pytest.fixture
def units(make):
    make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    a = make.unit(code="mzj", name="民政局")
    make.user("contact", unit=a)
    make.unit(code="czj", name="财政局")  # no contact: −5 in 组织制度
    return a


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["scores", *args])


def test_compute_a_quarter_that_has_ended_gives_final_figures(app, units):
    with at(date(2026, 10, 8)):
        result = cli(app, "compute", "--period", "2026-Q3")
    assert result.exit_code == 0, result.output
    assert "2026年第3季度：已计算 2 个单位（待发布（公开办审核中），统计截至 2026-09-30）" in result.output
    with at(date(2026, 10, 8)):
        out = cli(app, "export", "--period", "2026-Q3", "--format", "csv").stdout.splitlines()
    assert out == ["单位代码,单位,组织制度,主动公开,依申请公开,年度报告,督查整改,保密审查,解读回应,加分,总分",
                   "mzj,民政局,10,35,20,10,10,10,5,0,100", "czj,财政局,5,35,20,10,10,10,5,0,95"]


def test_compute_a_year_and_one_unit(app, units):
    with at(date(2026, 11, 27)):
        result = cli(app, "compute", "--period", "2026", "--unit", "czj")
    assert result.exit_code == 0, result.output
    assert "2026年度：已计算 1 个单位（暂定（每晚更新），统计截至 2026-11-26）" in result.output


def test_computing_a_published_quarter_shows_old_to_new_and_changes_nothing(app, make, units):
    from tracker.accounts.models import User
    duty = make.duty(units, title="城乡低保资金发放情况", review_required=False)
    task_with_history(app, make, duty, make.user("contact", unit=units), date(2026, 7, 1), date(2026, 7, 10))  # on time: no deduction, but a record due (a period with none is not published)
    with at(date(2026, 10, 8)):
        office = make.user("office", unit=None, username="office-pub")
        make.scores("2026-Q3", date(2026, 10, 8), publish_by=office)
    with app.app_context():  # the unit gets a contact after publication: 95 → 100 on a re-run
        from tracker.accounts.services import create_user
        from tracker.units.models import Unit
        create_user(username="czj-lly", display_name="新联络员", role="contact", password="Secret2026pw!x",
                    unit=db.session.scalar(select(Unit).where(Unit.code == "czj")), must_change_password=False)
        db.session.commit()
    with at(date(2026, 10, 20)):
        result = cli(app, "compute", "--period", "2026-Q3")
    assert result.exit_code == 0, result.output
    assert "已重新计算 2 个单位，1 个有变化（未改动已发布得分）" in result.output
    assert "czj          财政局：95 → 100" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScoreRerun)) == 1
        assert db.session.scalar(select(User).where(User.username == "office-pub")) is not None
    with at(date(2026, 10, 20)):
        out = cli(app, "export", "--period", "2026-Q3", "--format", "csv").stdout
    assert "czj,财政局,5,35,20,10,10,10,5,0,95" in out  # the published figure until the office accepts


@pytest.mark.parametrize("args, message", [
    (["compute"], "请用 --period 指定考核期"),
    (["compute", "--period", "2026-Q5"], "考核期格式不正确：“2026-Q5”"),
    (["compute", "--period", "2026-13"], "考核期格式不正确"),
    (["compute", "--period", "2027-Q1"], "2027年第1季度尚未开始"),
    (["compute", "--period", "1999"], "考核期年份超出范围"),
    (["compute", "--period", "2026-Q3", "--unit", "nope"], "单位编码不存在：nope"),
    (["compute", "--period", "2026-Q3", "--bogus"], "未知的选项：--bogus"),
    (["compute", "--period"], "选项 --period 缺少取值"),
    (["compute", "--period", "2026-Q3", "extra"], "参数有误"),
    (["export", "--period", "2026-Q3"], "--format 须为 csv 或 xlsx"),
    (["export", "--period", "2026-Q3", "--format", "pdf"], "--format 须为 csv 或 xlsx，而不是“pdf”"),
    (["export", "--period", "2026-Q2", "--format", "csv"], "2026年第2季度尚未计算得分"),
    (["export", "--format", "csv"], "请用 --period 指定考核期"),
])
def test_bad_arguments_get_a_chinese_message_and_status_2_and_change_nothing(app, units, args, message):
    with at(date(2026, 10, 8)):
        result = cli(app, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stderr.startswith("错误：")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScorePeriod)) == 0


def test_export_writes_a_file_and_says_where(app, units, tmp_path):
    with at(date(2026, 10, 8)):
        cli(app, "compute", "--period", "2026-Q3")
        target = tmp_path / "q3.csv"
        result = cli(app, "export", "--period", "2026-Q3", "--format", "csv", "--output", str(target))
    assert result.exit_code == 0 and "已导出2026年第3季度考核得分" in result.stderr
    assert target.read_text(encoding="utf-8").startswith("单位代码,单位,组织制度")


def test_export_refuses_a_file_it_cannot_write(app, units, tmp_path):
    with at(date(2026, 10, 8)):
        cli(app, "compute", "--period", "2026-Q3")
        result = cli(app, "export", "--period", "2026-Q3", "--format", "csv", "--output",
                     str(tmp_path / "no" / "such" / "dir.csv"))
    assert result.exit_code == 2 and "无法写入文件" in result.stderr
