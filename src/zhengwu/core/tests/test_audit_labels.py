"""Audit event labels: every event code the source writes has a Chinese label in the
one registry (``core.audit``) the audit log and "actions in my name" pages read."""

import ast
import pathlib
import re

from zhengwu.core import audit

SOURCE = pathlib.Path(audit.__file__).resolve().parents[1]  # src/zhengwu
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _module_constants(trees: list[ast.Module]) -> dict[str, set[str]]:
    constants: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(
                        node.value.value, str
                    ):
                        constants.setdefault(target.id, set()).add(node.value.value)
    return constants


def written_event_codes() -> set[str]:
    """The ``event=`` of every ``….record(...)`` call outside the tests: string
    literals (both branches of a conditional) and module constants they name."""
    trees = [
        ast.parse(path.read_text(encoding="utf-8"))
        for path in SOURCE.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]
    constants = _module_constants(trees)
    codes: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else ""
            name = name or (func.id if isinstance(func, ast.Name) else "")
            if name != "record":
                continue
            for keyword in node.keywords:
                if keyword.arg != "event":
                    continue
                for part in ast.walk(keyword.value):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        codes.add(part.value)
                    elif isinstance(part, ast.Name | ast.Attribute):
                        label = part.id if isinstance(part, ast.Name) else part.attr
                        codes |= constants.get(label, set())
    return {code for code in codes if CODE.match(code)}


def test_the_source_writes_the_events_this_test_expects_to_find():
    # the scan finds literals, conditionals and constants (guards the scan itself)
    codes = written_event_codes()
    assert {
        "identity.login",
        "identity.login_failed",  # through the constant LOGIN_FAILED
        "core.division_updated",  # the else branch of a conditional
        "catalog.version_published",
        "catalog.synthetic_generated",  # through AUDIT_EVENT
    } <= codes


def test_every_event_code_written_in_the_source_has_a_label():
    missing = sorted(written_event_codes() - audit.registered_event_codes())
    assert missing == []


def test_labels_are_chinese_and_unknown_codes_show_as_themselves():
    assert audit.event_label("identity.login") == "登录"
    assert audit.event_label("catalog.version_published") == "发布实施清单版本"
    assert audit.event_label("other.unknown_thing") == "other.unknown_thing"
    for code in audit.registered_event_codes():
        assert re.search(r"[\u4e00-\u9fff]", audit.event_label(code)), code
