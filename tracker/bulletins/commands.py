"""Command line (these names are an interface: scripts and cron call them):

    flask --app wsgi bulletin draft --quarter 2026-Q3
    flask --app wsgi bulletin export --quarter 2026-Q3 --format docx|xlsx --output FILE

Bad arguments print a Chinese message and exit with status 2 (click's usage error).
"""
import click

from ..errors import ServiceError
from ..extensions import db


def _quarter(value):
    from .quarters import Quarter

    if not value:
        raise click.UsageError("请用 --quarter 指定季度，如 --quarter 2026-Q3。")
    try:
        return Quarter.parse(value)
    except ServiceError as exc:
        raise click.UsageError(exc.message) from None


def register(bp) -> None:
    @bp.cli.command("draft")
    @click.option("--quarter", "quarter_text", help="季度，如 2026-Q3")
    def draft_command(quarter_text):
        """Draft the bulletin of a quarter that has ended (an existing draft gets fresh figures;
        a published one is left as it is)."""
        from ..timeutil import china_today
        from . import services

        quarter = _quarter(quarter_text)
        try:
            bulletin, created = services.draft(quarter, china_today())
        except ServiceError as exc:
            db.session.rollback()
            raise click.UsageError(exc.message) from None
        db.session.commit()
        units = len(bulletin.figures.get("rows", [])) if bulletin.figures else 0
        if created:
            click.echo(f"已起草{bulletin}（草稿，{units}个单位，数据截至{bulletin.figures_as_of:%Y-%m-%d}）。")
        elif bulletin.is_published:
            click.echo(f"{bulletin}已印发（{bulletin.doc_number}），数据已冻结，未作修改。")
        else:
            click.echo(f"{bulletin}已存在（草稿），已按{bulletin.figures_as_of:%Y-%m-%d}的数据重新统计（{units}个单位）。")

    @bp.cli.command("export")
    @click.option("--quarter", "quarter_text", help="季度，如 2026-Q3")
    @click.option("--format", "fmt", help="docx 或 xlsx")
    @click.option("--output", help="输出文件路径")
    def export_command(quarter_text, fmt, output):
        """Write a quarter's bulletin as the official DOCX or the unit table as XLSX."""
        from . import exports, services

        quarter = _quarter(quarter_text)
        if fmt not in exports.FORMATS:
            raise click.UsageError(f"--format 只能是 docx 或 xlsx{f'（收到：{fmt}）' if fmt else ''}。")
        if not output:
            raise click.UsageError("请用 --output 指定输出文件，如 --output 通报.docx。")
        bulletin = services.find(quarter)
        if bulletin is None:
            raise click.UsageError(f"{quarter.label}的通报尚未起草，请先运行 flask --app wsgi bulletin draft "
                                   f"--quarter {quarter.key}。")
        data = exports.build(bulletin, fmt)
        try:
            with open(output, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise click.UsageError(f"无法写入文件 {output}：{exc.strerror or exc}。") from None
        state = f"已印发，{bulletin.doc_number}" if bulletin.is_published else "草稿"
        click.echo(f"已导出{bulletin}（{state}）：{output}（{len(data)} 字节）。")
