"""Forms of the staff case workbench. They only check what a person typed (present,
length, a choice from the list); the case services decide everything else and their
refusals come back onto the same fields."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengwu.cases.constants import BaseRecordKind, CaseStatus, ProcessTemplate

LONG = 2000
SHORT = 500


def _text(label: Any, *, required: bool = True, max_length: int = LONG, **kw: Any):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        **kw,
    )


class InboxFilterForm(forms.Form):
    """The inbox's filters; a value outside the lists is an error on its field."""

    TABS = (
        ("open", _("待认领")),
        ("mine", _("我的")),
        ("warning", _("临期")),
        ("overdue", _("超期")),
    )
    tab = forms.ChoiceField(label=_("分类"), choices=TABS, required=False)
    item = forms.CharField(
        label=_("事项名称或实施编码"), required=False, max_length=100
    )
    status = forms.ChoiceField(
        label=_("办件状态"),
        required=False,
        choices=[("", _("全部"))]
        + [
            (value, label)
            for value, label in CaseStatus.choices
            if value != CaseStatus.DRAFT
        ],
    )

    def clean_item(self) -> str:
        return "".join(
            ch for ch in self.cleaned_data["item"] if ch.isprintable()
        ).strip()


class AcceptForm(forms.Form):
    opinion = _text(_("受理意见"), required=False)


class SupplementItemForm(forms.Form):
    """One missing item: the material (or "其他") and what is wrong with it."""

    material = forms.ChoiceField(label=_("补正的材料或内容"), required=False)
    reason = forms.CharField(
        label=_("补正原因和要求"),
        max_length=SHORT,
        error_messages={"required": _("请写明需要补正的原因和要求。")},
    )

    def __init__(self, *args: Any, materials: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["material"].choices = [("", _("其他（表单内容等）"))] + [
            (name, name) for name in materials
        ]


class BaseSupplementFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data]
        if not rows:
            raise forms.ValidationError(_("请至少列出一项需要补正的内容。"))
        seen = set()
        for row in rows:
            key = (row["material"], row["reason"].strip())
            if key in seen:
                raise forms.ValidationError(_("有两行补正内容完全相同，请合并。"))
            seen.add(key)

    def items(self) -> list[dict[str, str]]:
        return [
            {"material": f.cleaned_data["material"], "reason": f.cleaned_data["reason"]}
            for f in self.forms
            if f.cleaned_data
        ]


def supplement_formset(
    data: Any = None, *, rows: int = 3, materials: list[str] = ()
) -> BaseSupplementFormSet:
    """The rows of a supplement notice; untouched rows are left out, a row with
    anything typed or chosen needs its reason."""
    formset_class = forms.formset_factory(
        SupplementItemForm,
        formset=BaseSupplementFormSet,
        extra=rows,
        max_num=30,
        validate_max=True,
        absolute_max=30,
    )
    return formset_class(data, prefix="items", form_kwargs={"materials": materials})


class SupplementNoteForm(forms.Form):
    note = _text(_("补充说明"), required=False)


class NotAcceptForm(forms.Form):
    reason = _text(
        _("不予受理的理由"),
        error_messages={"required": _("请写明不予受理的理由。")},
    )
    legal_basis = _text(
        _("法律依据"),
        max_length=1000,
        error_messages={"required": _("请写明不予受理的法律依据。")},
        help_text=_("写明法律、法规的名称和条款。"),
    )


class HandOverForm(forms.Form):
    to_user = forms.TypedChoiceField(
        label=_("转交给"),
        coerce=int,
        error_messages={
            "required": _("请选择接手的同事。"),
            "invalid_choice": _("只能转交给本单位有办理权限的同事。"),
        },
    )

    def __init__(
        self, *args: Any, colleagues: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].choices = [("", _("请选择"))] + list(colleagues)


class ReturnForm(forms.Form):
    reason = _text(_("退回原因"), error_messages={"required": _("请写明退回原因。")})


OUTCOMES = (
    ("approve", _("同意（准予）")),
    ("deny", _("不同意（不予）")),
    ("pass", _("审查通过，送下一环节")),
    ("return", _("退回上一环节")),
)


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("办理结果"),
        choices=[("", _("请选择"))] + list(OUTCOMES),
        error_messages={"required": _("请选择办理结果。")},
    )
    opinion = _text(_("办理意见"), error_messages={"required": _("请填写办理意见。")})


class PauseStartForm(forms.Form):
    name = forms.CharField(
        label=_("特别程序"),
        max_length=100,
        help_text=_("如听证、专家评审、检验、检测、检疫、鉴定。"),
        error_messages={"required": _("请填写特别程序的名称。")},
    )
    reason = _text(
        _("原因和依据"), error_messages={"required": _("请写明原因和依据。")}
    )


class PauseEndForm(forms.Form):
    result = _text(
        _("特别程序结果"), error_messages={"required": _("请填写特别程序的结果。")}
    )


class ExtensionRequestForm(forms.Form):
    days = forms.IntegerField(
        label=_("延长天数（工作日）"),
        min_value=1,
        max_value=60,
        error_messages={
            "required": _("请填写延长的天数。"),
            "invalid": _("请填写整数天数。"),
            "min_value": _("延长天数至少为 1 天。"),
            "max_value": _("延长天数不能超过 60 天。"),
        },
        help_text=_("行政许可法第四十二条：经本机关负责人批准，可以延长十日。"),
    )
    reason = _text(_("延期理由"), error_messages={"required": _("请写明延期理由。")})


class ExtensionDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审批结果"),
        choices=(("approve", _("批准延期")), ("refuse", _("不批准"))),
        error_messages={"required": _("请选择审批结果。")},
    )


class RefundForm(forms.Form):
    reason = _text(_("退款原因"), error_messages={"required": _("请写明退款原因。")})


class RectificationResponseForm(forms.Form):
    response = _text(_("整改情况"), error_messages={"required": _("请填写整改情况。")})


class RectificationCallbackForm(forms.Form):
    note = _text(_("回访记录"), error_messages={"required": _("请填写回访记录。")})


class HandlingConfigForm(forms.Form):
    """The online-handling configuration of one listing. ``fee_<n>`` fields are added
    for each of the guide's fee items (amount in yuan, two decimals)."""

    form_schema = forms.CharField(
        label=_("申请表单（JSON Schema）"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_(
            "JSON Schema 格式；留空则使用默认表单（联系人、联系电话、申请事项说明）。"
        ),
    )
    process_template = forms.ChoiceField(
        label=_("流程模板"), choices=ProcessTemplate.choices
    )
    process_file = forms.FileField(
        label=_("上传 BPMN 流程模型"),
        required=False,
        help_text=_(
            "选择“上传的流程模型”时提供；不超过 1 MB 的 .bpmn 文件，"
            "上传后经校验才生效。"
        ),
    )
    decision_key = forms.CharField(
        label=_("秒批决策表标识"),
        required=False,
        max_length=100,
        help_text=_("留空表示不秒批。"),
    )
    parallel_organisation_ids = forms.TypedMultipleChoiceField(
        label=_("并联审查部门"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("请从列表中选择部门。")},
    )

    licence_type_code = forms.ChoiceField(
        label=_("办结颁发的电子证照"),
        required=False,
        help_text=_(
            "准予办结时向申请人颁发的电子证照类型；须是本事项实施机关可颁发的类型。"
        ),
        error_messages={"invalid_choice": _("请从列表中选择证照类型。")},
    )

    MAX_BPMN = 1024 * 1024

    def __init__(
        self,
        *args: Any,
        fees: list[str] = (),
        organisations: list[tuple[int, str]] = (),
        has_uploaded_model: bool = False,
        licence_types: list[tuple[str, str]] = (),
        materials: list[str] = (),
        type_exists: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.has_uploaded_model = has_uploaded_model
        self.fee_names = list(fees)
        self.material_names = list(materials)
        # type code -> whether a licence type with that code is defined
        self._type_exists = type_exists or (lambda code: False)
        self.fields["licence_type_code"].choices = [
            ("", _("不颁发电子证照")),
            *licence_types,
        ]
        for index, name in enumerate(self.material_names):
            self.fields[f"licence_material_{index}"] = forms.CharField(
                label=_("“%(name)s”可用的电子证照类型代码") % {"name": name},
                required=False,
                max_length=21,
                help_text=_("留空表示只按证照名称匹配；填写 21 位证照类型代码。"),
            )
            self.fields[f"base_record_{index}"] = forms.ChoiceField(
                label=_("“%(name)s”从基础库调取") % {"name": name},
                required=False,
                choices=[("", _("不调取，由申请人提交")), *BaseRecordKind.choices],
                error_messages={"invalid_choice": _("请从列表中选择基础库信息。")},
            )
        for index, name in enumerate(self.fee_names):
            self.fields[f"fee_{index}"] = forms.DecimalField(
                label=_("“%(name)s”金额（元）") % {"name": name},
                required=False,
                min_value=0,
                max_value=1_000_000,
                decimal_places=2,
                error_messages={
                    "invalid": _("请填写金额，例如 20 或 12.50。"),
                    "min_value": _("金额不能为负数。"),
                    "max_value": _("金额不能超过一百万元。"),
                    "max_decimal_places": _("金额最多两位小数（分）。"),
                },
            )
        self.fields["parallel_organisation_ids"].choices = list(organisations)

    def clean_form_schema(self) -> dict:
        text = self.cleaned_data["form_schema"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except RecursionError:
            raise forms.ValidationError(_("表单定义嵌套过深。")) from None
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("不是有效的 JSON：第 %(line)s 行第 %(col)s 列附近有错误。")
                % {"line": error.lineno, "col": error.colno}
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("表单定义必须是一个 JSON 对象。"))
        try:
            from jsonschema import Draft202012Validator
            from jsonschema.exceptions import SchemaError

            Draft202012Validator.check_schema(value)
        except RecursionError:
            raise forms.ValidationError(_("表单定义嵌套过深。")) from None
        except SchemaError as error:
            path = "/".join(str(p) for p in error.path) or "（根）"
            raise forms.ValidationError(
                _("不是有效的 JSON Schema（%(path)s）：%(message)s")
                % {"path": path, "message": error.message[:200]}
            ) from None
        return value

    def clean_process_file(self) -> bytes | None:
        upload = self.cleaned_data.get("process_file")
        if not upload:
            return None
        if upload.size > self.MAX_BPMN:
            raise forms.ValidationError(_("流程模型文件不能超过 1 MB。"))
        return upload.read()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("process_template") == ProcessTemplate.CUSTOM:
            if not data.get("process_file") and not self.has_uploaded_model:
                self.add_error(
                    "process_file", _("使用上传的流程模型时，请选择 BPMN 文件。")
                )
        elif data.get("process_file"):
            self.add_error(
                "process_template",
                _("上传了流程模型文件，请把流程模板选为“上传的流程模型”。"),
            )
        if data.get("process_template") == ProcessTemplate.PARALLEL and not data.get(
            "parallel_organisation_ids"
        ):
            self.add_error(
                "parallel_organisation_ids", _("多部门并联流程请至少选择一个部门。")
            )
        self._check_licence_materials(data)
        return data

    def material_rows(self) -> list[tuple[str, Any, Any]]:
        """(material name, licence type field, base-record field) per material."""
        return [
            (name, self[f"licence_material_{i}"], self[f"base_record_{i}"])
            for i, name in enumerate(self.material_names)
        ]

    def _check_licence_materials(self, data: dict[str, Any]) -> None:
        for index, name in enumerate(self.material_names):
            code = (data.get(f"licence_material_{index}") or "").strip()
            if code and not self._type_exists(code):
                self.add_error(
                    f"licence_material_{index}",
                    _("证照类型代码“%(code)s”不存在，请核对“%(name)s”对应的证照类型。")
                    % {"code": code, "name": name},
                )

    def licence_materials(self) -> dict[str, str]:
        """``{material name: licence type code}`` of the filled-in rows."""
        result = {}
        for index, name in enumerate(self.material_names):
            code = (self.cleaned_data.get(f"licence_material_{index}") or "").strip()
            if code:
                result[name] = code
        return result

    def base_record_materials(self) -> dict[str, str]:
        """``{material name: base-record kind}`` of the rows set to fetch."""
        result = {}
        for index, name in enumerate(self.material_names):
            kind = self.cleaned_data.get(f"base_record_{index}") or ""
            if kind:
                result[name] = kind
        return result

    def fee_items(self) -> list[dict[str, Any]]:
        items = []
        for index, name in enumerate(self.fee_names):
            amount = self.cleaned_data.get(f"fee_{index}")
            if amount is not None:
                items.append({"name": name, "amount_fen": int(amount * 100)})
        return items
