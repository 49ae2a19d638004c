"""``flask --app wsgi report annual --year 2026 [--unit CODE] --format docx|xlsx|html|json --output FILE``.

Without ``--unit`` the city report. ``--output -`` writes to standard output. Bad arguments get a
Chinese message and exit status 2; so does a report that breaks a consistency rule (unless
``--draft``, which exports it marked 草稿).
"""
import sys
from pathlib import Path

import click
from sqlalchemy import select

from ..errors import ServiceError
from ..extensions import db
from ..units.models import Unit


class ChineseCommand(click.Command):
    """Click's own argument errors, in Chinese (still exit status 2)."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.NoSuchOption as exc:
            raise click.UsageError(f"未知的选项：{exc.option_name}", exc.ctx) from None
        except click.BadOptionUsage as exc:
            raise click.UsageError(f"选项 {exc.option_name} 需要一个值。", exc.ctx) from None
        except click.UsageError as exc:
            raise click.UsageError(f"参数有误：{exc.format_message()}", exc.ctx) from None


def register(app) -> None:
    @app.cli.group("report", help="政府信息公开工作年度报告。")
    def report_group():
        """Annual reports (政府信息公开工作年度报告)."""

    @report_group.command("annual", cls=ChineseCommand,
                          help="导出年度报告：指定单位时导出该单位的报告，不指定时导出全市报告。")
    @click.option("--year", "year_text", help="报告年度，如 2026")
    @click.option("--unit", "unit_code", help="单位编码；不指定则为全市报告")
    @click.option("--format", "kind", help="格式：docx | xlsx | html | json")
    @click.option("--output", "output", help="输出文件，- 表示标准输出")
    @click.option("--draft", is_flag=True, help="勾稽校验未通过也导出（标注“草稿”）")
    def annual(year_text, unit_code, kind, output, draft):
        """Export an annual report."""
        from . import exports, services

        if not year_text:
            raise click.UsageError("请用 --year 指定报告年度（如 --year 2026）。")
        from ..inputs import parse_int
        if parse_int(year_text, 1000, 9999) is None:
            raise click.UsageError(f"年度格式不正确：{year_text!r}，应为四位数字（如 2026）。")
        if kind not in exports.FORMATS:
            raise click.UsageError("请用 --format 指定导出格式：docx、xlsx、html 或 json。" if not kind
                                   else f"不支持的导出格式：{kind!r}，可选 docx、xlsx、html、json。")
        if not output:
            raise click.UsageError("请用 --output 指定输出文件（- 表示标准输出）。")
        try:
            year = services.check_year(int(year_text))
            if unit_code:
                unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
                if unit is None:
                    raise ServiceError(f"单位编码不存在：{unit_code}")
                if unit.kind == "office":
                    raise ServiceError("政务公开办自身的数据汇入全市年度报告，请不带 --unit 导出全市报告。")
                content = services.unit_content(year, unit)
            else:
                content = services.city_content(year)
            data = exports.export(content, kind, draft)
        except ServiceError as exc:
            raise click.UsageError(exc.message) from None
        if output == "-":
            stream = click.get_binary_stream("stdout")
            stream.write(data)
            stream.flush()
            return
        path = Path(output)
        if not path.parent.exists():
            raise click.UsageError(f"输出目录不存在：{path.parent}")
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise click.UsageError(f"无法写入文件 {output}：{exc.strerror}") from None
        click.echo(f"已导出 {content.title}（{exports.FORMATS[kind]}）到 {output}", err=True)
        sys.stdout.flush()
