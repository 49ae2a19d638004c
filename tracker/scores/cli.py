"""``flask --app wsgi scores compute --period 2026-Q3 [--unit CODE]`` and
``flask --app wsgi scores export --period 2026-Q3 --format csv|xlsx [--output FILE]``.

Bad arguments get a Chinese message on standard error and exit status 2.
"""
import sys

import click

from ..errors import ServiceError
from ..extensions import db

USAGE_COMPUTE = "flask --app wsgi scores compute --period 2026-Q3 [--unit 单位编码]"
USAGE_EXPORT = "flask --app wsgi scores export --period 2026-Q3 --format csv|xlsx [--output 文件]"


def fail(message: str, usage: str | None = None):
    click.echo(f"错误：{message}", err=True)
    if usage:
        click.echo(f"用法：{usage}", err=True)
    raise click.exceptions.Exit(2)


class ChineseCommand(click.Command):
    """Parsing errors (unknown option, missing value, extra argument) in Chinese, status 2."""

    usage_text = ""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            fail(f"未知的选项：{exc.option_name}。", self.usage_text)
        except click.BadOptionUsage as exc:
            fail(f"选项 {exc.option_name} 缺少取值。", self.usage_text)
        except click.UsageError:
            fail("参数有误（多余的参数，或选项缺少取值）。", self.usage_text)


class ComputeCommand(ChineseCommand):
    usage_text = USAGE_COMPUTE


class ExportCommand(ChineseCommand):
    usage_text = USAGE_EXPORT


def _period(text, usage):
    from ..timeutil import china_today
    from .periods import parse_period

    if not text:
        fail("请用 --period 指定考核期，如 2026-Q3（季度）或 2026（年度）。", usage)
    try:
        return parse_period(text, china_today())
    except ServiceError as exc:
        fail(exc.message, usage)


def register(app):
    @app.cli.group("scores", help="考核评分：计算和导出。")
    def scores():
        """Assessment scores (考核评分): compute and export."""

    @scores.command("compute", cls=ComputeCommand,
                    help="计算考核得分：考核期未结束为暂定得分，结束后为期末得分；已发布的考核期只生成重新计算结果（原得分 → 新得分），由公开办决定是否采用。")
    @click.option("--period", "period_text", help="考核期：季度如 2026-Q3，年度如 2026")
    @click.option("--unit", "unit_code", help="只计算该单位（单位编码）")
    def compute_command(period_text, unit_code):
        """Compute a period's scores: provisional while it runs, final once it has ended; for a
        published period a re-run (old → new) for the office to accept."""
        from ..timeutil import china_today
        from .numbers import points_text
        from .services import compute

        period = _period(period_text, USAGE_COMPUTE)
        try:
            outcome = compute(period, china_today(), [unit_code.strip()] if unit_code is not None else None)
        except ServiceError as exc:
            db.session.rollback()
            fail(exc.message, USAGE_COMPUTE)
        db.session.commit()
        row = outcome.period
        if outcome.rerun is not None:
            changed = outcome.rerun.changed
            click.echo(f"{row.label}得分已发布，已重新计算 {outcome.computed} 个单位，{len(changed)} 个有变化（未改动已发布得分）：")
            for r in changed:
                click.echo(f"  {r['code']:<12} {r['name']}：{points_text(r['old_total']) or '—'} → "
                           f"{points_text(r['new_total'])}")
            click.echo("请公开办在“考核评分 › 考核期管理”中核对后采用或放弃。")
        else:
            click.echo(f"{row.label}：已计算 {outcome.computed} 个单位（{row.state_label}，统计截至 {row.as_of:%Y-%m-%d}）。")
        for code, error in sorted(outcome.failures.items()):
            click.echo(f"  单位 {code} 计算失败：{error}", err=True)
        if outcome.failures:
            sys.exit(1)

    @scores.command("export", cls=ExportCommand, help="导出考核得分（CSV 或 Excel）。")
    @click.option("--period", "period_text", help="考核期：2026-Q3 或 2026")
    @click.option("--format", "fmt", help="格式：csv 或 xlsx")
    @click.option("--output", "output", help="输出文件（默认为标准输出）")
    def export_command(period_text, fmt, output):
        """Export a period's scores, one line per unit."""
        from . import exports
        from .services import find_period

        period = _period(period_text, USAGE_EXPORT)
        if fmt not in ("csv", "xlsx"):
            fail(f"--format 须为 csv 或 xlsx，而不是“{fmt or ''}”。", USAGE_EXPORT)
        row = find_period(period)
        if row is None or not exports.table(row)[0]:
            fail(f"{period.label}尚未计算得分，请先运行：flask --app wsgi scores compute --period {period.key}")
        data = exports.to_csv(row).encode("utf-8") if fmt == "csv" else exports.to_xlsx(row)
        if output:
            try:
                with open(output, "wb") as fh:
                    fh.write(data)
            except OSError as exc:
                fail(f"无法写入文件 {output}：{exc.strerror or exc}。")
            click.echo(f"已导出{row.label}考核得分（{row.state_label}）到 {output}。", err=True)
            return
        if fmt == "xlsx" and sys.stdout.isatty():
            fail("Excel 文件不能输出到终端，请用 --output 指定文件，或重定向到文件。", USAGE_EXPORT)
        click.echo(data, nl=False)  # bytes go to the binary stream: UTF-8 whatever the locale
