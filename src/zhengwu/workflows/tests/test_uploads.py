"""Uploaded process models and decision tables: validation, versions, audit."""

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.workflows import facade
from zhengwu.workflows.errors import WorkflowInvalidError
from zhengwu.workflows.models import DecisionTable, ProcessDefinition

from .conftest import TEMPLATES

pytestmark = pytest.mark.django_db

SINGLE = (TEMPLATES / "single.bpmn").read_bytes()


def bpmn(body: str, *, lanes: str | None = None, process_attrs: str = "") -> bytes:
    """A minimal model: start → the given body → end, with user tasks in lanes."""
    lane_block = (
        lanes
        if lanes is not None
        else """<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="reviewer">
        <bpmn:flowNodeRef>task</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="https://example.test/bpmn">
  <bpmn:process id="uploaded" name="上传的流程" isExecutable="true" {process_attrs}>
    {lane_block}
    <bpmn:startEvent id="start" />
    {body}
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


USER_TASK = """
    <bpmn:userTask id="task" name="审查" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task" />
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end" />
"""


def gateway_with(condition: str) -> bytes:
    return bpmn(
        f"""
    <bpmn:userTask id="task" name="审查" />
    <bpmn:exclusiveGateway id="gw" default="f3" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task" />
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="gw" />
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="end" />
    <bpmn:sequenceFlow id="bad_flow" sourceRef="gw" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>"""
    )


def script_task(script: str) -> bytes:
    return bpmn(
        f"""
    <bpmn:scriptTask id="calc"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="task" name="审查" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc" />
    <bpmn:sequenceFlow id="f0" sourceRef="calc" targetRef="task" />
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end" />"""
    )


def test_upload_makes_versions_and_is_audited(catalogue_manager):
    # when the same key is uploaded twice
    first = facade.upload_definition(
        key="my-item", name="我的流程", xml=SINGLE, acting_user=catalogue_manager
    )
    second = facade.upload_definition(
        key="my-item", name="我的流程", xml=SINGLE, acting_user=catalogue_manager
    )
    # then the second is the next version, each audited with its digest
    assert (first.version, second.version) == (1, 2)
    assert first.element_id == "single" and len(first.sm3) == 64
    events = AuditEvent.objects.filter(event="workflows.definition_uploaded")
    assert events.count() == 2
    assert events.first().actor_id == catalogue_manager.pk
    assert facade.definition_exists("my-item")


def test_instances_keep_the_version_they_started_with(catalogue_manager):
    # given a case started on version 1
    facade.upload_definition(
        key="versioned", name="流程", xml=SINGLE, acting_user=catalogue_manager
    )
    tasks = facade.start(subject="case:v1", definition_key="versioned", data={})
    # when version 2 is uploaded (with a script step before review)
    facade.upload_definition(
        key="versioned",
        name="流程",
        xml=script_task("note = 'v2'"),
        acting_user=catalogue_manager,
    )
    # then the running case still follows version 1, new cases version 2
    ready = facade.complete_task(subject="case:v1", task_id=tasks[0].task_id, data={})
    assert [task.node for task in ready] == ["decide"]
    new = facade.start(subject="case:v2", definition_key="versioned", data={})
    assert new[0].data["note"] == "v2"


def test_a_script_task_runs_in_the_restricted_evaluator(catalogue_manager):
    facade.upload_definition(
        key="scripted",
        name="脚本",
        xml=script_task("total = form['fee'] * 2"),
        acting_user=catalogue_manager,
    )
    tasks = facade.start(
        subject="case:script", definition_key="scripted", data={"form": {"fee": 21}}
    )
    assert tasks[0].data["total"] == 42


HOSTILE_CONDITIONS = [
    "__import__('os').system('id')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()",
    "eval('1')",
    "getattr(form, 'x')",
    "form.__dict__",
    "(lambda: 1)()",
    "[x for x in ().__class__.__mro__]",
    "9**9**9",
    "globals()",
    "outcome ==",
]


@pytest.mark.parametrize("condition", HOSTILE_CONDITIONS)
def test_hostile_gateway_conditions_are_refused_naming_the_flow(
    condition, catalogue_manager
):
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_definition(
            key="hostile",
            name="恶意",
            xml=gateway_with(condition.replace("<", "&lt;")),
            acting_user=catalogue_manager,
        )
    assert refused.value.code == "workflows.invalid_model"
    assert "bad_flow" in refused.value.message
    assert refused.value.fields["xml"]
    assert not ProcessDefinition.objects.filter(key="hostile").exists()


@pytest.mark.parametrize(
    "script",
    ["import os", "x = open('/etc/passwd')", "x = ().__class__", "os.system('id')"],
)
def test_hostile_scripts_are_refused_naming_the_task(script, catalogue_manager):
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_definition(
            key="hostile",
            name="恶意",
            xml=script_task(script),
            acting_user=catalogue_manager,
        )
    assert "calc" in refused.value.message


@pytest.mark.parametrize(
    "xml, fragment",
    [
        (b"not xml at all", "XML"),
        (b"<a/>", "BPMN"),
        (
            bpmn(USER_TASK, process_attrs="").replace(
                b'isExecutable="true" ', b'isExecutable="false" '
            ),
            "可执行流程",
        ),
        (bpmn(USER_TASK, lanes=""), "task"),
        (
            bpmn(
                USER_TASK,
                lanes="""<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="boss">
                <bpmn:flowNodeRef>task</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>""",
            ),
            "boss",
        ),
        (
            bpmn(
                """<bpmn:serviceTask id="call_home" />
                <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call_home" />
                <bpmn:sequenceFlow id="f2" sourceRef="call_home" targetRef="end" />""",
                lanes="",
            ),
            "call_home",
        ),
        (
            bpmn(
                """<bpmn:callActivity id="other" calledElement="x" />
                <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="other" />
                <bpmn:sequenceFlow id="f2" sourceRef="other" targetRef="end" />""",
                lanes="",
            ),
            "other",
        ),
        (bpmn('<bpmn:bogus id="x" />' + USER_TASK), "BPMN"),
        (
            bpmn(
                """<bpmn:userTask id="task" name="审查" />
                <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="nowhere" />"""
            ),
            "",
        ),
    ],
)
def test_invalid_models_are_refused_with_a_chinese_reason(
    xml, fragment, catalogue_manager
):
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_definition(
            key="invalid", name="无效", xml=xml, acting_user=catalogue_manager
        )
    assert fragment in refused.value.message
    assert not ProcessDefinition.objects.filter(key="invalid").exists()
    assert not AuditEvent.objects.filter(event="workflows.definition_uploaded").exists()


def test_two_executable_processes_are_refused(catalogue_manager):
    xml = SINGLE.replace(
        b"</bpmn:definitions>",
        b'<bpmn:process id="second" isExecutable="true">'
        b'<bpmn:startEvent id="s2"/></bpmn:process></bpmn:definitions>',
    )
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_definition(
            key="two", name="两个", xml=xml, acting_user=catalogue_manager
        )
    assert "2" in refused.value.message


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
  targetNamespace="x"><bpmn:process id="p" name="&xxe;" isExecutable="true">
  <bpmn:startEvent id="s"/></bpmn:process></bpmn:definitions>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<lolz>&lol9;</lolz>"""


@pytest.mark.parametrize("xml", [XXE, BILLION_LAUGHS])
@pytest.mark.parametrize("upload", [facade.upload_definition, facade.upload_decision])
def test_entities_and_doctypes_are_refused(xml, upload, catalogue_manager):
    with pytest.raises(WorkflowInvalidError) as refused:
        upload(key="xxe", name="实体", xml=xml, acting_user=catalogue_manager)
    assert "DOCTYPE" in refused.value.message


def test_oversized_documents_are_refused(catalogue_manager):
    xml = SINGLE.replace(b"<!--", b"<!--" + b" " * (1024 * 1024))
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_definition(
            key="big", name="大", xml=xml, acting_user=catalogue_manager
        )
    assert "1MB" in refused.value.message


@pytest.mark.parametrize(
    "key, name, field",
    [
        ("", "名称", "key"),
        ("有中文", "名称", "key"),
        ("ok", "", "name"),
        ("a b", "n", "key"),
    ],
)
def test_key_and_name_are_checked(key, name, field, catalogue_manager):
    with pytest.raises(WorkflowInvalidError) as refused:
        facade.upload_definition(
            key=key, name=name, xml=SINGLE, acting_user=catalogue_manager
        )
    assert field in refused.value.fields


def test_decision_upload_makes_versions_and_is_audited(catalogue_manager):
    xml = (TEMPLATES / "sample_instant_approval.dmn").read_bytes()
    first = facade.upload_decision(
        key="elderly", name="高龄津贴", xml=xml, acting_user=catalogue_manager
    )
    second = facade.upload_decision(
        key="elderly", name="高龄津贴", xml=xml, acting_user=catalogue_manager
    )
    assert (first.version, second.version) == (1, 2)
    assert first.element_id == "sample_instant_approval"
    assert DecisionTable.objects.filter(key="elderly").count() == 2
    assert AuditEvent.objects.filter(event="workflows.decision_uploaded").count() == 2


def test_admin_shows_models_read_only(client, make_user, templates):
    admin_user = make_user("root", superuser=True, is_staff=True)
    client.force_login(admin_user)
    listing = client.get("/admin/workflows/processdefinition/")
    assert listing.status_code == 200
    assert "single" in listing.content.decode()
    assert client.get("/admin/workflows/processdefinition/add/").status_code == 403
