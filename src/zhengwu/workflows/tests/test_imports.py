"""Only the workflows app imports SpiffWorkflow (import-linter cannot forbid an
external package without a global setting, so this test does)."""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(from|import)\s+SpiffWorkflow\b", re.MULTILINE)


def test_no_package_but_workflows_imports_spiffworkflow():
    # given every Python file of the project outside workflows/
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "workflows" not in path.relative_to(SRC).parts[:2]
        and IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    # then none imports SpiffWorkflow
    assert offenders == []
