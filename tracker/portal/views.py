"""The public front page and the office's page to edit it. Thin: read the setting, render."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from ..access import allow
from ..errors import ServiceError
from ..forms import max_length, required
from ..web import form_errors, refuse
from . import services

bp = Blueprint("portal", __name__)


class PublicPageForm(FlaskForm):
    office_name = StringField("机关名称", validators=[required(), max_length(services.LIMITS["office_name"])])
    guide = TextAreaField("政府信息公开指南", validators=[required(), max_length(services.LIMITS["guide"])],
                          render_kw={"rows": 18})
    contact = TextAreaField("联系方式（地址、电话、受理时间等）",
                            validators=[max_length(services.LIMITS["contact"])], render_kw={"rows": 4})
    site_name = StringField("对外网站名称（公众页面的标题）", validators=[max_length(services.LIMITS["site_name"])])


def _describe_for_audit_log() -> None:
    from ..audit.present import describe_object
    describe_object("setting", "系统设置", {name: (field.args[0], None) for name, field in (
        ("office_name", PublicPageForm.office_name), ("guide", PublicPageForm.guide),
        ("contact", PublicPageForm.contact), ("site_name", PublicPageForm.site_name))})


_describe_for_audit_log()


def home_page():
    """/ for visitors who are not signed in (dashboard.home calls this)."""
    return render_template("portal/home.html", page=services.public_page())


@bp.route("/admin/public-page", methods=["GET", "POST"])
@allow("office")
def settings():
    page = services.public_page()
    form = PublicPageForm(data=page)
    if form.validate_on_submit():
        try:
            services.save_public_page(form.data, current_user)
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("portal/settings.html", form=form), 422
        flash("公开门户首页已保存。", "success")
        return redirect(url_for("portal.settings"))
    if request.method == "POST":
        form_errors(form)
        return render_template("portal/settings.html", form=form), 422
    return render_template("portal/settings.html", form=form, customised=page["customised"])
