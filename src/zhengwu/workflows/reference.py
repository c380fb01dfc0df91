"""Reference data of workflows for ``manage.py load_reference_data``: the shipped
process templates and sample decision tables (idempotent)."""

from .services import ensure_templates


def load_reference_data() -> dict[str, int]:
    return ensure_templates()
