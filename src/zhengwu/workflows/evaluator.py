"""The restricted evaluator of gateway conditions, script tasks and DMN entries.

Expressions in process models are not run by Python's ``eval``: they are parsed with
:mod:`ast`, checked against a whitelist and interpreted by :class:`Interpreter`, a
small tree walker over JSON-like values. Names resolve only to the task's data (and
to values the engine itself supplies, like a DMN input); there is no attribute
access, no name starting with ``_``, no lambda, comprehension, import or statement
other than the assignment of an expression to a plain name, and no call other than
the few pure builtins in :data:`FUNCTIONS`. Cost is bounded: the source length, the
number of AST nodes, the size of integers and of strings and lists built by ``*``
and ``+``, and the exponent of ``**``.
"""

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

MAX_SOURCE_LENGTH = 4000
MAX_NODES = 400
MAX_INT_BITS = 256
MAX_SEQUENCE_LENGTH = 10_000
MAX_EXPONENT = 64
MAX_STATEMENTS = 50
MAX_DEPTH = 60  # nesting of the expression tree
MAX_BUILT_SIZE = (
    20_000  # elements, counted deeply, of a list or dict an expression builds
)


class RestrictedExpressionError(Exception):
    """An expression or script the evaluator refuses to parse or to run. The message
    is Chinese and says why."""


def _round(value: Any, digits: Any = None) -> Any:
    if digits is not None and (
        not isinstance(digits, int) or isinstance(digits, bool) or abs(digits) > 15
    ):
        raise RestrictedExpressionError("round 的位数应为 -15 到 15 之间的整数。")
    return round(value) if digits is None else round(value, digits)


def _scalar(value: Any, function: str) -> None:
    if not isinstance(value, str | int | float | bool | type(None)):
        raise RestrictedExpressionError(f"{function} 只能用于文本或数字。")


def _str(value: Any = "") -> str:
    _scalar(value, "str")
    text = str(value)
    if len(text) > MAX_SEQUENCE_LENGTH:
        raise RestrictedExpressionError("字符串过长。")
    return text


def _sum(values: Any, start: Any = 0) -> Any:
    if not isinstance(values, list | tuple) or not all(
        _is_number(value) for value in (*values, start)
    ):
        raise RestrictedExpressionError("sum 只能用于数字的列表。")
    return sum(values, start)


def _int(value: Any = 0) -> int:
    _scalar(value, "int")
    if isinstance(value, str) and len(value) > 100:
        raise RestrictedExpressionError("数字过长。")
    return int(value)


def _float(value: Any = 0.0) -> float:
    _scalar(value, "float")
    if isinstance(value, str) and len(value) > 100:
        raise RestrictedExpressionError("数字过长。")
    return float(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": _round,
    "sum": _sum,
    "int": _int,
    "float": _float,
    "str": _str,
    "bool": bool,
    "any": any,
    "all": all,
}

BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}

COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda left, right: left in right,
    ast.NotIn: lambda left, right: left not in right,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}

UNARY_OPERATORS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}

# The node types an expression may contain; anything else is refused by name.
EXPRESSION_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Call,
    *BINARY_OPERATORS,
    *COMPARISONS,
    *UNARY_OPERATORS,
)
SCRIPT_NODES: tuple[type[ast.AST], ...] = (
    *EXPRESSION_NODES,
    ast.Module,
    ast.Assign,
    ast.Store,
)

ALLOWED_VALUE_TYPES = (str, int, float, bool, type(None), list, tuple, dict)

NODE_LABELS = {
    "Attribute": "属性访问（.）",
    "Lambda": "lambda 函数",
    "ListComp": "推导式",
    "SetComp": "推导式",
    "DictComp": "推导式",
    "GeneratorExp": "生成器表达式",
    "Import": "import",
    "ImportFrom": "import",
    "NamedExpr": "海象赋值（:=）",
    "Starred": "星号展开",
    "JoinedStr": "f 字符串",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield",
    "FunctionDef": "函数定义",
    "ClassDef": "类定义",
    "Global": "global",
    "Nonlocal": "nonlocal",
    "Delete": "del",
    "For": "循环",
    "While": "循环",
    "With": "with",
    "Try": "try",
    "Raise": "raise",
    "Expr": "单独的表达式语句",
    "AugAssign": "增量赋值",
    "Set": "集合",
}


def _label(node: ast.AST) -> str:
    name = type(node).__name__
    return NODE_LABELS.get(name, name)


def _parse(source: Any, mode: str) -> ast.AST:
    if not isinstance(source, str):
        raise RestrictedExpressionError("表达式应为文本。")
    if len(source) > MAX_SOURCE_LENGTH:
        raise RestrictedExpressionError(
            f"表达式过长（不能超过{MAX_SOURCE_LENGTH}个字符）。"
        )
    try:
        return ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError:
        raise
    except (ValueError, RecursionError, MemoryError) as error:
        raise RestrictedExpressionError("表达式无法解析。") from error


def _check(tree: ast.AST, allowed: tuple[type[ast.AST], ...]) -> None:
    count = 0
    for node in ast.walk(tree):
        count += 1
        if count > MAX_NODES:
            raise RestrictedExpressionError(
                f"表达式过于复杂（不能超过{MAX_NODES}个语法节点）。"
            )
        if not isinstance(node, allowed):
            raise RestrictedExpressionError(f"不允许使用{_label(node)}。")
        if isinstance(node, ast.Name) and (
            node.id.startswith("_") or node.id in {"True", "False", "None"}
        ):
            raise RestrictedExpressionError(f"不允许使用名称“{node.id}”。")
        if isinstance(node, ast.Constant) and not isinstance(
            node.value, str | int | float | bool | type(None)
        ):
            raise RestrictedExpressionError("不允许使用这种常量。")
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            _check_int(node.value)
        if isinstance(node, ast.Call):
            _check_call(node)
    _fold_constants(tree)


def _fold_constants(tree: ast.AST) -> None:
    """Evaluate arithmetic on literals (``9**9**9``, ``"a" * 10**9``) at check time,
    so a model that could only fail at run time is refused at upload. The
    interpreter's own bounds make this cheap."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and all(
            isinstance(
                inner,
                ast.Constant | ast.BinOp | ast.UnaryOp | ast.operator | ast.unaryop,
            )
            for inner in ast.walk(node)
        ):
            try:
                Interpreter({}).run(node)
            except RestrictedExpressionError as error:
                if "除数为零" not in str(error) and "类型不匹配" not in str(error):
                    raise


def _check_call(node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        allowed = "、".join(FUNCTIONS)
        raise RestrictedExpressionError(f"只能调用这些函数：{allowed}。")
    if node.keywords:
        raise RestrictedExpressionError("函数调用不能带关键字参数。")


def _check_int(value: int) -> None:
    if value.bit_length() > MAX_INT_BITS:
        raise RestrictedExpressionError("整数过大。")


def compile_expression(source: Any) -> ast.Expression:
    """Parse and check an expression; ``SyntaxError`` when it is not Python syntax
    (the DMN engine relies on that), :class:`RestrictedExpressionError` when it uses
    anything outside the whitelist."""
    tree = _parse(source, "eval")
    _check(tree, EXPRESSION_NODES)
    assert isinstance(tree, ast.Expression)  # noqa: S101 - mode="eval" guarantees it
    return tree


def compile_script(source: Any) -> ast.Module:
    """Parse and check a script: assignments of expressions to plain names only."""
    tree = _parse(source or "", "exec")
    assert isinstance(tree, ast.Module)  # noqa: S101 - mode="exec" guarantees it
    if len(tree.body) > MAX_STATEMENTS:
        raise RestrictedExpressionError(f"脚本不能超过{MAX_STATEMENTS}条语句。")
    for statement in tree.body:
        if not isinstance(statement, ast.Assign):
            raise RestrictedExpressionError(
                f"脚本只能给变量赋值，不允许使用{_label(statement)}。"
            )
        for target in statement.targets:
            if not isinstance(target, ast.Name):
                raise RestrictedExpressionError("只能给普通变量赋值。")
    _check(tree, SCRIPT_NODES)
    return tree


def check_expression(source: Any) -> None:
    """Raise :class:`RestrictedExpressionError` (syntax errors included) when the
    expression would be refused."""
    try:
        compile_expression(source)
    except SyntaxError as error:
        raise RestrictedExpressionError(f"语法错误：{error.msg}。") from error


def check_script(source: Any) -> None:
    try:
        compile_script(source)
    except SyntaxError as error:
        raise RestrictedExpressionError(f"语法错误：{error.msg}。") from error


def evaluate(source: Any, names: Mapping[str, Any]) -> Any:
    """The value of the expression with ``names`` (the task data) in scope."""
    tree = compile_expression(source)
    return Interpreter(names).run(tree.body)


def execute(source: Any, data: dict[str, Any]) -> None:
    """Run a script; its assignments are written into ``data``."""
    tree = compile_script(source)
    interpreter = Interpreter(data)
    for statement in tree.body:
        assert isinstance(statement, ast.Assign)  # noqa: S101 - checked above
        value = interpreter.run(statement.value)
        for target in statement.targets:
            assert isinstance(target, ast.Name)  # noqa: S101 - checked above
            data[target.id] = value


class Interpreter:
    """Walks a checked tree. Every value it produces is a JSON-like value."""

    def __init__(self, names: Mapping[str, Any]) -> None:
        self.names = names
        self.depth = 0

    def run(self, node: ast.AST) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise RestrictedExpressionError(f"不允许使用{_label(node)}。")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RestrictedExpressionError(
                f"表达式嵌套过深（不能超过{MAX_DEPTH}层）。"
            )
        try:
            value = method(node)
        finally:
            self.depth -= 1
        return _checked_value(value)

    def visit_Constant(self, node: ast.Constant) -> Any:  # noqa: N802
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:  # noqa: N802
        if node.id.startswith("_"):
            raise RestrictedExpressionError(f"不允许使用名称“{node.id}”。")
        if node.id not in self.names:
            raise RestrictedExpressionError(f"未定义的名称“{node.id}”。")
        return self.names[node.id]

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:  # noqa: N802
        value: Any = None
        for operand in node.values:
            value = self.run(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:  # noqa: N802
        operand = self.run(node.operand)
        if not isinstance(node.op, ast.Not) and not _is_number(operand):
            raise RestrictedExpressionError("正负号只能用于数字。")
        return UNARY_OPERATORS[type(node.op)](operand)

    def visit_BinOp(self, node: ast.BinOp) -> Any:  # noqa: N802
        left = self.run(node.left)
        right = self.run(node.right)
        op = type(node.op)
        if op is ast.Pow:
            return _power(left, right)
        if op is ast.Mult:
            _check_repeat(left, right)
        if op is ast.Add and _is_sequence(left) and _is_sequence(right):
            if len(left) + len(right) > MAX_SEQUENCE_LENGTH:
                raise RestrictedExpressionError("字符串或列表过长。")
        if op is ast.Mod and isinstance(left, str):
            raise RestrictedExpressionError("不允许用 % 格式化字符串。")
        try:
            result = BINARY_OPERATORS[op](left, right)
        except ZeroDivisionError as error:
            raise RestrictedExpressionError("除数为零。") from error
        except TypeError as error:
            raise RestrictedExpressionError("运算的两边类型不匹配。") from error
        return _built(result) if isinstance(result, list | tuple) else result

    def visit_Compare(self, node: ast.Compare) -> Any:  # noqa: N802
        left = self.run(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.run(comparator)
            try:
                holds = COMPARISONS[type(op)](left, right)
            except TypeError as error:
                raise RestrictedExpressionError(
                    f"无法比较 {type(left).__name__} 和 {type(right).__name__}。"
                ) from error
            if not holds:
                return False
            left = right
        return True

    def visit_IfExp(self, node: ast.IfExp) -> Any:  # noqa: N802
        return self.run(node.body) if self.run(node.test) else self.run(node.orelse)

    def visit_Subscript(self, node: ast.Subscript) -> Any:  # noqa: N802
        container = self.run(node.value)
        if not isinstance(container, dict | list | tuple | str):
            raise RestrictedExpressionError("只能对字典、列表或文本取下标。")
        if isinstance(node.slice, ast.Slice):
            if isinstance(container, dict):
                raise RestrictedExpressionError("字典不能切片。")
            parts = [
                None if part is None else self.run(part)
                for part in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            for part in parts:
                if part is not None and (
                    not isinstance(part, int) or isinstance(part, bool)
                ):
                    raise RestrictedExpressionError("切片的位置应为整数。")
            return container[slice(*parts)]
        key = self.run(node.slice)
        try:
            return container[key]
        except (KeyError, IndexError, TypeError) as error:
            raise RestrictedExpressionError(f"取不到下标 {key!r}。") from error

    def visit_List(self, node: ast.List) -> Any:  # noqa: N802
        return _built([self.run(element) for element in node.elts])

    def visit_Tuple(self, node: ast.Tuple) -> Any:  # noqa: N802
        return _built(tuple(self.run(element) for element in node.elts))

    def visit_Dict(self, node: ast.Dict) -> Any:  # noqa: N802
        result = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                raise RestrictedExpressionError("不允许使用 ** 展开。")
            key = self.run(key_node)
            if not isinstance(key, str | int | float | bool | type(None)):
                raise RestrictedExpressionError("字典的键应为文本或数字。")
            result[key] = self.run(value_node)
        return _built(result)

    def visit_Call(self, node: ast.Call) -> Any:  # noqa: N802
        _check_call(node)
        assert isinstance(node.func, ast.Name)  # noqa: S101 - _check_call
        arguments = [self.run(argument) for argument in node.args]
        try:
            return FUNCTIONS[node.func.id](*arguments)
        except RestrictedExpressionError:
            raise
        except (TypeError, ValueError, OverflowError) as error:
            raise RestrictedExpressionError(
                f"函数 {node.func.id} 的参数不正确。"
            ) from error


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, str | list | tuple)


def _power(base: Any, exponent: Any) -> Any:
    if not _is_number(base) or not _is_number(exponent):
        raise RestrictedExpressionError("乘方只能用于数字。")
    if abs(exponent) > MAX_EXPONENT:
        raise RestrictedExpressionError(f"乘方的指数不能超过{MAX_EXPONENT}。")
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        if base.bit_length() * exponent > MAX_INT_BITS:
            raise RestrictedExpressionError("整数过大。")
    try:
        return base**exponent
    except (OverflowError, ZeroDivisionError) as error:
        raise RestrictedExpressionError("乘方的结果无法计算。") from error


def _check_repeat(left: Any, right: Any) -> None:
    for sequence, count in ((left, right), (right, left)):
        if _is_sequence(sequence) and isinstance(count, int):
            if count > 0 and len(sequence) * count > MAX_SEQUENCE_LENGTH:
                raise RestrictedExpressionError("字符串或列表过长。")


def _built(value: Any) -> Any:
    """Refuse a list or dict built by the expression when, counted deeply, it holds
    more than :data:`MAX_BUILT_SIZE` elements (``[a, a, a]`` of a big ``a``). The walk
    stops as soon as the limit is passed, so checking costs no more than the limit."""
    budget = MAX_BUILT_SIZE
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            budget -= len(current)
            stack.extend(current.values())
        elif isinstance(current, list | tuple):
            budget -= len(current)
            stack.extend(current)
        elif isinstance(current, str):
            budget -= len(current) // 100
        if budget < 0:
            raise RestrictedExpressionError("表达式构造的列表或字典过大。")
    return value


def _checked_value(value: Any) -> Any:
    if not isinstance(value, ALLOWED_VALUE_TYPES):
        raise RestrictedExpressionError("表达式只能处理文本、数字、列表和字典。")
    if isinstance(value, int) and not isinstance(value, bool):
        _check_int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise RestrictedExpressionError("数字超出范围。")
    if isinstance(value, str | list | tuple) and len(value) > MAX_SEQUENCE_LENGTH:
        raise RestrictedExpressionError("字符串或列表过长。")
    return value
