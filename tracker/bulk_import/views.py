
from flask import Blueprint, abort, flash, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from ..access import allow
from ..downloads import download
from ..errors import ServiceError, ValidationErrors
from ..spreadsheets import XLSX_MIME
from ..web import refuse
from . import services

bp = Blueprint("bulk_import", __name__, url_prefix="/admin/import")

KINDS = {"units": "单位", "users": "用户"}


class ImportForm(FlaskForm):
    file = FileField("文件（.xlsx 或 .csv）")


@bp.route("/<kind>", methods=["GET", "POST"])
@allow("office")
def upload(kind):
    if kind not in KINDS:
        abort(404)
    form = ImportForm()
    context = {"form": form, "kind": kind, "label": KINDS[kind], "columns": (
        services.UNIT_COLUMNS if kind == "units" else services.USER_COLUMNS)}
    if request.method == "GET":
        return render_template("bulk_import/upload.html", **context)
    if not form.validate_on_submit():
        abort(400)
    upload = form.file.data
    if not upload or not upload.filename:
        refuse(ServiceError("请选择要导入的文件。", "file"), form)
        return render_template("bulk_import/upload.html", **context), 422
    try:
        if kind == "units":
            count, generated = services.import_units(upload.filename, upload.read()), []
        else:
            count, generated = services.import_users(upload.filename, upload.read())
    except ValidationErrors as exc:
        flash(exc.message, "danger")
        return render_template("bulk_import/upload.html", errors=exc.errors, **context), 422
    except ServiceError as exc:
        refuse(exc, form)
        return render_template("bulk_import/upload.html", **context), 422
    flash(f"导入成功：共{count}个{KINDS[kind]}。", "success")
    return render_template("bulk_import/done.html", kind=kind, label=KINDS[kind], count=count,
                           generated=generated)


@bp.route("/<kind>/template.xlsx")
@allow("office")
def template(kind):
    if kind not in KINDS:
        abort(404)
    return download(services.template_workbook(kind), f"{KINDS[kind]}导入模板.xlsx", XLSX_MIME)
