"""Schemas of /api/v1/licenses/imports (证照批量导入)."""

import datetime
from typing import Any

from ninja import Field, Schema

TYPE_CODE_PATTERN = r"^[0-9A-Z]{18}[0-9]{3}$"


class ImportRowErrorOut(Schema):
    """One bad cell: ``row`` is the Excel row number (null for the whole file),
    ``column`` the column header ("" for the whole row or file)."""

    row: int | None
    column: str
    reason: str = Field(examples=["持证主体代码应为有效的居民身份证号码。"])


class LicenceImportJobOut(Schema):
    id: int
    status: str = Field(description="pending, running, done or failed")
    status_label: str
    original_name: str
    type_code: str
    type_name: str
    issuer_organisation_id: int
    issuer_name: str
    total_rows: int
    processed_rows: int
    errors: list[ImportRowErrorOut]
    summary: dict[str, Any] = Field(
        description="issued (identifiers issued), issued_count, total_rows, "
        "error_count; empty until the job has run"
    )
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    stalled: bool = Field(
        description="running with no progress past the lease (its worker died); "
        "a scheduled task queues it again"
    )
    requeued: bool = Field(
        description="queued again after its worker died; the run starts over "
        "(the file is issued all-or-nothing, never twice)"
    )
