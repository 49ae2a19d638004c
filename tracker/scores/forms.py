"""Forms of the score pages; the rubric form turns into a ``RubricSpec`` (validated by the service)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField

from ..forms import choices, max_length, optional, required
from .models import BONUS
from .rubrics import Category, ItemType, RubricSpec, RuleSetting, parse_points
from .rules import RULES


class ManualForm(FlaskForm):
    item = SelectField("项目", validate_choice=False)
    points = StringField("分值", validators=[required(), max_length(10)])
    reason = TextAreaField("理由（检查发现的具体问题或亮点）", validators=[required(), max_length(2000)])
    evidence = FileField("佐证材料（可选，PDF、图片、Word、Excel 或 OFD，10MB以内）")


class ReasonForm(FlaskForm):
    reason = TextAreaField("理由", validators=[required(), max_length(2000)])


class ObjectionForm(FlaskForm):
    reason = TextAreaField("申辩理由", validators=[required(), max_length(2000)])
    evidence = FileField("佐证材料（可选）")


class DecideForm(FlaskForm):
    decision = SelectField("答复", choices=choices({"reject": "申辩不成立，维持扣分", "accept": "申辩成立，撤销该项扣分"}),
                           validate_choice=False)
    reply = TextAreaField("答复意见", validators=[required(), max_length(2000)])


class ComputeForm(FlaskForm):
    # choices: scores.services.computable_periods, set by the view; parse_period checks what is sent
    period = SelectField("考核期", validators=[required(), max_length(10)], validate_choice=False)


class NewYearForm(FlaskForm):
    year = StringField("年度", validators=[required(), max_length(4)], render_kw={"placeholder": "如 2027"})


# --- the rubric -----------------------------------------------------------------------------------

class CategoryRow(Form):
    key = HiddenField()
    name = StringField("类别", validators=[optional(), max_length(30)])
    points = StringField("分值", validators=[optional(), max_length(10)])
    remove = BooleanField("删除")


class RuleRow(Form):
    category = SelectField("类别", validate_choice=False)
    kind = SelectField("自动扣分规则", validate_choice=False)
    points = StringField("每项扣分", validators=[optional(), max_length(10)])
    days = StringField("参数", validators=[optional(), max_length(3)])
    remove = BooleanField("删除")


class TypeRow(Form):
    key = HiddenField()
    category = SelectField("类别", validate_choice=False)
    name = StringField("人工项目", validators=[optional(), max_length(60)])
    low = StringField("最低", validators=[optional(), max_length(10)])
    high = StringField("最高", validators=[optional(), max_length(10)])
    remove = BooleanField("删除")


class RubricForm(FlaskForm):
    categories = FieldList(FormField(CategoryRow))
    rules = FieldList(FormField(RuleRow))
    types = FieldList(FormField(TypeRow))
    bonus_cap = StringField("加分上限", validators=[required(), max_length(10)])
    note = StringField("修改说明", validators=[optional(), max_length(500)])


BLANK_ROWS = 2


def rubric_form(spec: RubricSpec, formdata=None) -> RubricForm:
    """The form for ``spec``, with blank rows to add a category, a rule and an item type."""
    data = {
        "categories": [{"key": c.key, "name": c.name, "points": str(c.points)} for c in spec.categories]
        + [{}] * BLANK_ROWS,
        "rules": [{"category": key, "kind": r.kind, "points": str(r.points), "days": str(r.params.get("days", ""))}
                  for key, r in spec.rule_settings()] + [{}] * BLANK_ROWS,
        "types": [{"key": t.key, "category": c.key, "name": t.name, "low": str(t.low), "high": str(t.high)}
                  for c in spec.categories for t in c.manual]
        + [{"key": t.key, "category": BONUS, "name": t.name, "low": str(t.low), "high": str(t.high)}
           for t in spec.bonus_types] + [{}] * BLANK_ROWS,
        "bonus_cap": str(spec.bonus_cap),
    }
    form = RubricForm(formdata=formdata, data=data)
    category_choices = [(c.key, c.name) for c in spec.categories] + [(f"new{i}", f"（新增类别{i + 1}）")
                                                                    for i in range(BLANK_ROWS)]
    kinds = [("", "（不选）")] + [(k, r.label + ("" if r.available else "（待接入）")) for k, r in RULES.items()]
    for row in form.rules:
        row.category.choices, row.kind.choices = choices(category_choices), choices(kinds)
    for row in form.types:
        row.category.choices = choices(category_choices + [(BONUS, "加分")])
    return form


def spec_from_form(form: RubricForm) -> RubricSpec:
    """Read the edited rubric; blank rows are skipped, rows marked 删除 dropped. Numbers that are not
    numbers raise ServiceError; everything else is left to ``rubrics.validate``."""
    from ..errors import ServiceError

    categories, key_of_new = [], {}
    used = {row.key.data for row in form.categories if row.key.data}
    for i, row in enumerate(form.categories):
        name = (row.form.name.data or "").strip()
        if row.remove.data or not name:
            continue
        key = row.key.data or _fresh("c", used)
        if not row.key.data:
            key_of_new[f"new{len(key_of_new)}"] = key
        categories.append(Category(key, name, parse_points(row.points.data, f"类别“{name}”的分值")))
    by_key = {c.key: c for c in categories}
    for row in form.rules:
        if row.remove.data or not row.kind.data:
            continue
        target = by_key.get(key_of_new.get(row.category.data, row.category.data))
        if target is None:
            raise ServiceError("自动扣分规则须属于一个保留的考核类别。")
        spec = RULES.get(row.kind.data)
        params = {}
        if spec is not None:
            for name, p in spec.params.items():
                text = (row.days.data or "").strip()
                try:
                    params[name] = int(text) if text else p.default
                except ValueError:
                    raise ServiceError(f"“{spec.label}”的{p.label.rstrip('：')}须为整数。") from None
        label = spec.label if spec else row.kind.data
        target.rules.append(RuleSetting(row.kind.data, parse_points(row.points.data, f"“{label}”的扣分"), params))
    bonus_types = []
    used_types = {row.key.data for row in form.types if row.key.data}
    for row in form.types:
        name = (row.form.name.data or "").strip()
        if row.remove.data or not name:
            continue
        item = ItemType(row.key.data or _fresh("t", used_types), name, parse_points(row.low.data, f"“{name}”的最低分"),
                        parse_points(row.high.data, f"“{name}”的最高分"))
        if row.category.data == BONUS:
            bonus_types.append(item)
            continue
        target = by_key.get(key_of_new.get(row.category.data, row.category.data))
        if target is None:
            raise ServiceError(f"人工项目“{name}”须属于一个保留的考核类别。")
        target.manual.append(item)
    return RubricSpec(categories, parse_points(form.bonus_cap.data, "加分上限"), bonus_types)


def _fresh(prefix: str, used: set) -> str:
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    used.add(f"{prefix}{n}")
    return f"{prefix}{n}"
