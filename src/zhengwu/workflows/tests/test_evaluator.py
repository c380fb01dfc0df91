"""The restricted evaluator: what it computes and what it refuses."""

import pytest

from zhengwu.workflows import evaluator
from zhengwu.workflows.evaluator import RestrictedExpressionError

DATA = {
    "form": {"age": 61, "province": "辽宁省", "children": [1, 2]},
    "outcome": "deny",
    "departments": [12, 13],
}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('outcome == "deny"', True),
        ('form["age"] >= 60 and form["province"] == "辽宁省"', True),
        ("13 in departments", True),
        ('form["children"][-1] * 2 + 1', 5),
        ("len(departments) > 1 and max(departments) == 13", True),
        ('"a" if outcome != "deny" else "b"', "b"),
        ("round(10 / 3, 2)", 3.33),
        ("sum(departments) // 5", 5),
        ('{"k": [1, 2]}["k"][1:]', [2]),
        ("not (1 < 2 < 3)", False),
        ("2 ** 10", 1024),
        ('str(form["age"]) + "岁"', "61岁"),
        ("any([outcome == 'x', True]) and all([])", True),
    ],
)
def test_expressions_compute_over_task_data(expression, expected):
    # given the task data / when evaluated / then
    assert evaluator.evaluate(expression, DATA) == expected


HOSTILE = [
    "__import__('os')",
    "__import__('os').system('touch /tmp/pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd')",
    "open('/etc/passwd').read()",
    "eval('1')",
    "exec('x = 1')",
    "compile('1', 'f', 'eval')",
    "getattr(form, 'keys')",
    "form.__dict__",
    "form.keys()",
    "(lambda: 1)()",
    "[x for x in ().__class__.__mro__]",
    "{x: 1 for x in departments}",
    "(x for x in departments)",
    "9**9**9",
    "10 ** 1000",
    "'a' * 10**9",
    "[0] * 10**9",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "type(form)",
    "__builtins__",
    "__builtins__['open']",
    "_",
    "form['__class__']",
    "f'{form}'",
    "'%s' % form",
    "(y := 1)",
    "print(1)",
    "breakpoint()",
    "len(*departments)",
    "max(departments, key=len)",
    "str([[1] * 10000] * 10000)",
    "sum([[1] * 10000] * 10000, [])",
    "int('9' * 5000)",
    "1 if True else open('x')",
    "undefined_name",
    "form['missing']",
    "1 / 0",
    "'x' in 5",
    "'a' < 1",
    "-" * 100 + "1",
    "-" * 3900 + "1",
    "[" * 3000 + "]" * 990,
    "not " * 990 + "outcome",
    "float('1e308') * 10",
    "float('nan')",
    "int('9' * 100)",
    "b'bytes'",
    "1j",
    "...",
]


@pytest.mark.parametrize("expression", HOSTILE)
def test_hostile_expressions_are_refused_with_a_reason(expression, tmp_path):
    # given a hostile expression / when evaluated
    with pytest.raises((RestrictedExpressionError, SyntaxError)) as refused:
        evaluator.evaluate(expression, DATA)
    # then it is refused with a message and nothing ran
    assert str(refused.value)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os')",
        "().__class__",
        "open('/etc/passwd')",
        "(lambda: 1)()",
        "[x for x in departments]",
        "globals()",
        "9**9**9",
    ],
)
def test_hostile_expressions_are_refused_before_running_by_the_upload_check(
    expression,
):
    with pytest.raises(RestrictedExpressionError):
        evaluator.check_expression(expression)


def test_scripts_assign_expressions_to_plain_names():
    # given task data
    data = {"fee": 10}
    # when a script runs
    evaluator.execute("total = fee * 3\nlabel = '合计' + str(total)", data)
    # then its assignments are in the data
    assert data == {"fee": 10, "total": 30, "label": "合计30"}


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "from os import system",
        "x.y = 1",
        "x[0] = 1",
        "def f():\n    pass",
        "class A: pass",
        "x += 1",
        "print(1)",
        "del fee",
        "for i in []: pass",
        "while True: pass",
        "__x = 1",
        "with open('f') as f: pass",
        "global fee",
        "try:\n    pass\nexcept Exception:\n    pass",
    ],
)
def test_scripts_refuse_everything_but_assignments(script):
    data = {"fee": 10}
    with pytest.raises((RestrictedExpressionError, SyntaxError)):
        evaluator.execute(script, data)
    assert data == {"fee": 10}


def test_values_other_than_json_values_cannot_be_reached():
    # given data holding a Python object (which the platform never stores)
    data = {"thing": object()}
    # when an expression names it / then it is refused
    with pytest.raises(RestrictedExpressionError):
        evaluator.evaluate("thing", data)


def test_overlong_and_overcomplex_expressions_are_refused():
    with pytest.raises(RestrictedExpressionError):
        evaluator.evaluate("1 + " * 3000 + "1", {})
    with pytest.raises(RestrictedExpressionError):
        evaluator.evaluate("+".join(["1"] * 500), {})
