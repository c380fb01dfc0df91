"""Fixtures of the workflows tests."""

from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates_bpmn"


@pytest.fixture
def templates(db):
    from zhengwu.workflows.services import ensure_templates

    ensure_templates()


@pytest.fixture
def catalogue_manager(make_user):
    return make_user("process_admin")
