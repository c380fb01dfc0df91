"""Application forms: JSON Schema validation with field-level Chinese messages,
the render spec, posted-form coercion and prefill (少填免填)."""

import pytest

from zhengwu.cases.errors import CaseError
from zhengwu.cases.forms import (
    coerce_posted,
    default_schema,
    initial_values,
    render_spec,
    schema_errors,
    validate_form,
)

from .factories import CONTACT_FORM, World, apply, configure

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "姓名", "maxLength": 5},
        "age": {"type": "integer", "title": "年龄", "minimum": 18},
        "kind": {
            "type": "string",
            "title": "类别",
            "enum": ["new", "change"],
            "x-enumNames": ["新办", "变更"],
        },
        "note": {"type": "string", "title": "说明", "format": "textarea"},
        "agree": {"type": "boolean", "title": "同意承诺"},
    },
    "required": ["name", "age", "kind"],
    "additionalProperties": False,
}


def reasons(schema, data):
    with pytest.raises(CaseError) as raised:
        validate_form(schema, data)
    assert raised.value.code == "cases.invalid_form"
    assert raised.value.status == 422
    return raised.value.fields


def test_valid_data_passes():
    data = {"name": "张三", "age": 30, "kind": "new"}
    assert validate_form(SCHEMA, data) == data


def test_each_field_gets_its_chinese_reason():
    fields = reasons(SCHEMA, {"name": "张三李四王五", "age": 10, "kind": "x", "y": 1})
    assert fields == {
        "__all__": ["包含表单未定义的字段。"],
        "age": ["不能小于18。"],
        "kind": ["取值应为：new、change。"],
        "name": ["不能超过5个字符。"],
    }


def test_missing_and_wrongly_typed_fields():
    fields = reasons(SCHEMA, {"age": "thirty"})
    assert fields["name"] == ["必填。"]
    assert fields["kind"] == ["必填。"]
    assert fields["age"] == ["应为整数。"]


@pytest.mark.parametrize("data", [None, [], "text", 42])
def test_not_an_object(data):
    assert reasons(SCHEMA, data) == {"form_data": ["表单内容应为 JSON 对象。"]}


def test_control_characters_are_refused():
    assert reasons(SCHEMA, {"name": "a\x00b", "age": 30, "kind": "new"}) == {
        "name": ["不能包含控制字符。"]
    }


def test_oversized_data_is_refused():
    fields = reasons(SCHEMA, {"note": "长" * 40000})
    assert fields == {"__all__": ["表单内容过长。"]}


def test_default_schema_asks_contact_and_mobile_format():
    assert validate_form(None, CONTACT_FORM) == CONTACT_FORM
    assert reasons({}, {"contact_name": "张三", "contact_mobile": "110"}) == {
        "contact_mobile": ["请填写11位手机号码。"]
    }


def test_schema_errors():
    assert schema_errors(SCHEMA) == []
    assert schema_errors(default_schema()) == []
    assert schema_errors([]) == ["表单定义应为 JSON 对象。"]
    assert schema_errors({"type": "object", "properties": {"a": {"type": 5}}})
    assert schema_errors({"type": "array"})


def test_render_spec_lists_fields_in_order_with_widgets():
    fields = render_spec(SCHEMA, {"name": "张三"}, {"age": ["必填。"]})
    assert [(f.name, f.label, f.type, f.required) for f in fields] == [
        ("name", "姓名", "string", True),
        ("age", "年龄", "integer", True),
        ("kind", "类别", "select", True),
        ("note", "说明", "textarea", False),
        ("agree", "同意承诺", "boolean", False),
    ]
    assert fields[0].value == "张三"
    assert fields[0].max_length == 5
    assert fields[1].errors == ("必填。",)
    assert fields[2].options == (("new", "新办"), ("change", "变更"))


def test_posted_strings_are_typed_after_the_schema():
    data = coerce_posted(
        SCHEMA, {"name": "张三", "age": "30", "kind": "new", "note": ""}
    )
    assert data == {"name": "张三", "age": 30, "kind": "new", "agree": False}
    # what does not parse stays and fails validation on its field
    assert coerce_posted(SCHEMA, {"age": "三十"})["age"] == "三十"


@pytest.mark.django_db
def test_prefill_from_identity_and_the_earlier_submission(world: World):
    user = world.citizen.user
    # with nothing submitted: the applicant's own name and mobile
    values = initial_values(user=user, listing_code=world.listing_a)
    assert values["contact_name"] == "张三"
    assert values["contact_mobile"].startswith("139")
    assert "*" not in values["contact_mobile"]
    # after a submission with a description, it comes back for the next one
    apply(user, world.listing_a, form={**CONTACT_FORM, "description": "首次申请"})
    values = initial_values(user=user, listing_code=world.listing_a)
    assert values["description"] == "首次申请"
    # and what the applicant typed wins
    values = initial_values(
        user=user, listing_code=world.listing_a, current={"description": "变更"}
    )
    assert values["description"] == "变更"
    # another citizen gets nothing of it
    other = initial_values(user=world.other_citizen.user, listing_code=world.listing_a)
    assert "description" not in other
    assert other["contact_name"] == "李四"


@pytest.mark.django_db
def test_prefill_follows_the_listing_schema(world: World):
    configure(
        world.listing_a,
        form_schema={
            "type": "object",
            "properties": {
                "applicant_name": {"type": "string"},
                "id_number_masked": {"type": "string", "readOnly": True},
                "phone": {"type": "string", "x-prefill": "mobile"},
            },
        },
    )
    values = initial_values(user=world.citizen.user, listing_code=world.listing_a)
    assert values["applicant_name"] == "张三"
    assert "*" in values["id_number_masked"]
    assert values["phone"].startswith("139")
