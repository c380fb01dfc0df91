"""Django forms of the portal pages (search, review, import). The guide edit form is
in ``guide_form.py``: it follows the guide schema rather than a Django form."""

from typing import Any

from django import forms
from django.forms import BaseFormSet
from django.utils.translation import gettext_lazy as _

from zhengwu.catalog.constants import Audience
from zhengwu.core.errors import DomainError

QUERY_MAX = 100
ONLINE_CHOICES = [("", _("不限")), ("1", _("可网上办理")), ("0", _("仅线下办理"))]


def _no_nul(value: str) -> str:
    return (value or "").replace("\x00", "")


class _PrefixedIds:
    """Several forms share one page: give each its own element ids."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class SearchForm(forms.Form):
    """Public search: the query may be 1–2 Chinese characters, pinyin, initials or a
    code. Filters are optional; a bad filter value is reported next to its field."""

    q = forms.CharField(
        label=_("搜索事项"),
        required=False,
        max_length=QUERY_MAX,
        error_messages={
            "max_length": _("检索词不能超过%(limit_value)d个字符。"),
            "null_characters_not_allowed": _("检索词含有不允许的字符。"),
        },
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("事项名称、拼音、首字母或编码，例如：护照、hz"),
                "autocomplete": "off",
                "enterkeyhint": "search",
            }
        ),
    )
    division = forms.RegexField(
        label=_("地区"),
        required=False,
        regex=r"^\d{6}$",
        error_messages={"invalid": _("请选择列表中的地区。")},
    )
    audience = forms.ChoiceField(
        label=_("服务对象"),
        required=False,
        choices=[("", _("不限")), *Audience.choices],
        error_messages={"invalid_choice": _("请选择列表中的服务对象。")},
    )
    online = forms.ChoiceField(
        label=_("办理方式"),
        required=False,
        choices=ONLINE_CHOICES,
        error_messages={"invalid_choice": _("请选择列表中的办理方式。")},
    )

    def clean_q(self) -> str:
        return _no_nul(self.cleaned_data.get("q", "")).strip()


class StaffSearchForm(forms.Form):
    q = forms.CharField(
        label=_("事项名称、拼音或编码"),
        required=False,
        max_length=QUERY_MAX,
        error_messages={"max_length": _("检索词不能超过%(limit_value)d个字符。")},
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class CommentForm(_PrefixedIds, forms.Form):
    id_prefix = "comment"

    body = forms.CharField(
        label=_("意见"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("请填写意见。"),
            "max_length": _("意见不能超过%(limit_value)d个字符。"),
        },
    )


class ReturnForm(_PrefixedIds, forms.Form):
    id_prefix = "return"

    comment = forms.CharField(
        label=_("退回意见"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("退回时必须填写审核意见。"),
            "max_length": _("意见不能超过%(limit_value)d个字符。"),
        },
    )


DATE_ERRORS = {"invalid": _("请输入有效的日期，格式为 年-月-日，例如 2026-12-01。")}


class PublishForm(_PrefixedIds, forms.Form):
    id_prefix = "publish"

    effective_from = forms.DateField(
        label=_("生效日期"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("留空为今天生效，不能早于今天。"),
    )
    effective_until = forms.DateField(
        label=_("取消（失效）日期"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("可不填。"),
    )
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("意见不能超过%(limit_value)d个字符。")},
    )

    def clean_comment(self) -> str:
        return _no_nul(self.cleaned_data.get("comment", ""))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel 工作簿（.xlsx）"),
        error_messages={
            "required": _("请选择要导入的 Excel 文件。"),
            "empty": _("文件为空。"),
            "invalid": _("请选择要导入的 Excel 文件。"),
        },
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet"
            }
        ),
    )


class ReportForm(forms.Form):
    division = forms.RegexField(
        label=_("地区"),
        required=False,
        regex=r"^\d{6}$",
        error_messages={"invalid": _("请选择列表中的地区。")},
    )
    organisation = forms.RegexField(
        label=_("部门"),
        required=False,
        regex=r"^\d{1,18}$",
        error_messages={"invalid": _("请选择列表中的部门。")},
    )


def apply_error(form: Any, error: DomainError) -> None:
    """A service's refusal onto the form: each named field that the form has gets
    its reasons, the rest (and a refusal naming no field) goes on top. On a formset
    "items.<n>.<field>" names row n's field."""
    if isinstance(form, BaseFormSet):
        _apply_formset_error(form, error)
        return
    placed = False
    for name, reasons in (error.fields or {}).items():
        if name in form.fields:
            for reason in reasons:
                form.add_error(name, str(reason))
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _apply_formset_error(formset: BaseFormSet, error: DomainError) -> None:
    rows = [f for f in formset.forms if f.cleaned_data]
    placed = False
    for name, reasons in (error.fields or {}).items():
        parts = name.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            row = rows[int(parts[1])]
            if parts[2] in row.fields:
                for reason in reasons:
                    row.add_error(parts[2], str(reason))
                placed = True
    if not placed:
        formset._non_form_errors = formset.error_class(
            [*formset.non_form_errors(), error.message], error_class="nonform"
        )
