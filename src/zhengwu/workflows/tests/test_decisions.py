"""DMN decisions (秒批): which rule decided, no match, hostile entries."""

import pytest

from zhengwu.workflows import facade
from zhengwu.workflows.errors import WorkflowInvalidError

pytestmark = pytest.mark.django_db


VERIFIED_62 = {"kind": "person", "real_name_verified": True, "age": 62}


def test_matching_rule_decides_and_is_named(templates):
    # given a resident of Liaoning, 62 by the base records (the verified ID number)
    data = {
        "base": VERIFIED_62,
        "form": {"province": "辽宁省", "residence_permit": False},
    }
    # when the sample table decides
    decision = facade.decide(decision_key="sample_instant_approval", data=data)
    # then the first rule matched, and the case can record which
    assert decision.matched
    assert decision.rule_id == "rule_resident_60"
    assert decision.rule_label == "年满60周岁的辽宁省户籍居民，准予"
    assert decision.outputs == {
        "outcome": "approve",
        "opinion": "经核验身份信息，符合条件，依规则准予。",
    }


def test_second_rule_matches_a_residence_permit(templates):
    data = {
        "base": {**VERIFIED_62, "age": 70},
        "form": {"province": "吉林省", "residence_permit": True},
    }
    decision = facade.decide(decision_key="sample_instant_approval", data=data)
    assert decision.rule_id == "rule_permit_60"


LIAONING = {"province": "辽宁省", "residence_permit": True}


@pytest.mark.parametrize(
    ("base", "form"),
    [
        ({**VERIFIED_62, "age": 59}, LIAONING),
        ({**VERIFIED_62, "age": 65}, {"province": "吉林省", "residence_permit": False}),
        # the age typed into the form is not what the rule reads
        ({**VERIFIED_62, "age": 40}, {**LIAONING, "age": 65}),
        # an unverified person has no age in the base records
        ({"kind": "person", "real_name_verified": False, "age": None}, LIAONING),
        # a missing field or a wrong type never decides: the case goes to a person
        ({**VERIFIED_62, "age": 65}, {"province": "吉林省"}),
        ({**VERIFIED_62, "age": "六十五"}, LIAONING),
        ({}, {**LIAONING, "age": 65}),
        ({}, {}),
    ],
)
def test_no_rule_matches_means_manual_handling(base, form, templates):
    decision = facade.decide(
        decision_key="sample_instant_approval", data={"base": base, "form": form}
    )
    assert decision == facade.Decision(
        matched=False, outputs={}, rule_id="", rule_label=""
    )


def test_unknown_decision_is_not_found(db):
    with pytest.raises(facade.WorkflowNotFoundError):
        facade.decide(decision_key="nope", data={})


def dmn(input_expression: str, entry: str, output: str = '"approve"', policy="FIRST"):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d"
    namespace="https://example.test/dmn">
  <decision id="decision_1" name="测试">
    <decisionTable id="table_1" hitPolicy="{policy}">
      <input id="input_1" label="输入">
        <inputExpression id="ie_1" typeRef="string"><text>{input_expression}</text></inputExpression>
      </input>
      <output id="output_1" label="结果" name="outcome" typeRef="string" />
      <annotation name="说明" />
      <rule id="rule_1">
        <inputEntry id="entry_1"><text>{entry}</text></inputEntry>
        <outputEntry id="out_1"><text>{output}</text></outputEntry>
        <annotationEntry><text>规则一的说明</text></annotationEntry>
      </rule>
      <rule id="rule_2">
        <inputEntry id="entry_2"><text>-</text></inputEntry>
        <outputEntry id="out_2"><text>"manual"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>""".encode()


def test_annotations_label_rules_and_question_mark_entries_work(catalogue_manager):
    facade.upload_decision(
        key="q",
        name="问号",
        xml=dmn('form["age"]', "? &gt;= 18 and ? &lt; 60"),
        acting_user=catalogue_manager,
    )
    adult = facade.decide(decision_key="q", data={"form": {"age": 30}})
    assert (adult.rule_id, adult.rule_label) == ("rule_1", "规则一的说明")
    old = facade.decide(decision_key="q", data={"form": {"age": 70}})
    assert (old.rule_id, old.outputs) == ("rule_2", {"outcome": "manual"})


def test_unique_hit_policy_with_two_matches_is_no_decision(catalogue_manager):
    facade.upload_decision(
        key="u",
        name="唯一",
        xml=dmn('form["x"]', "1", policy="UNIQUE"),
        acting_user=catalogue_manager,
    )
    assert not facade.decide(decision_key="u", data={"form": {"x": 1}}).matched
    assert facade.decide(decision_key="u", data={"form": {"x": 2}}).rule_id == "rule_2"


@pytest.mark.parametrize(
    "input_expression, entry, output, element",
    [
        ("__import__('os')", "1", '"a"', "input_1"),
        ("form.__class__", "1", '"a"', "input_1"),
        ('form["x"]', "open('/etc/passwd')", '"a"', "entry_1"),
        ('form["x"]', "in ().__class__.__mro__", '"a"', "entry_1"),
        ('form["x"]', "? == eval('1')", '"a"', "entry_1"),
        ('form["x"]', "1", "(lambda: 1)()", "out_1"),
        ('form["x"]', "1", "9**9**9", "out_1"),
    ],
)
def test_hostile_decision_tables_are_refused_naming_the_element(
    input_expression, entry, output, element, catalogue_manager
):
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_decision(
            key="hostile",
            name="恶意",
            xml=dmn(input_expression, entry, output),
            acting_user=catalogue_manager,
        )
    assert element in refused.value.message


def test_other_hit_policies_are_refused(catalogue_manager):
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_decision(
            key="collect",
            name="收集",
            xml=dmn('form["x"]', "1", policy="COLLECT"),
            acting_user=catalogue_manager,
        )
    assert "COLLECT" in refused.value.message


def test_decision_tables_must_follow_the_dmn_schema(catalogue_manager):
    xml = dmn('form["x"]', "1").replace(b"<rule ", b"<bogus/><rule ", 1)
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_decision(
            key="schema", name="模式", xml=xml, acting_user=catalogue_manager
        )
    assert "DMN" in refused.value.message
