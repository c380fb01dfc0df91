"""API shapes of core: divisions and organisations (output), list filters (input)."""

from ninja import Field, Schema

MAX_KEY = 2**63 - 1  # the largest primary key both databases store


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class DivisionOut(Schema):
    code: str = Field(description="GB/T 2260 code, 6 digits")
    code12: str = Field(description="12-digit platform form: code + 000000")
    name: str
    kind: str = Field(description="市辖区 / 县级市 / 县 / 自治县 / …")
    level: str
    parent_code: str | None


class DivisionFilter(Schema):
    parent: str | None = Field(
        None,
        max_length=12,
        description="children of this division; the top-level divisions when absent",
    )


class OrganisationOut(Schema):
    pk: int
    credit_code: str
    name: str
    short_name: str
    level: int = Field(description="行使层级: 1 国家级 … 5 乡镇（街道）级")
    kind: str
    division_code: str
    division_name: str
    parent_id: int | None
    is_active: bool


class OrganisationFilter(Schema):
    division: str | None = Field(None, max_length=12, description="division code")
    include_subdivisions: bool = Field(
        False, description="also organisations of every division below `division`"
    )
    after: int | None = Field(
        None, ge=0, le=MAX_KEY, description="cursor: `next_cursor` of the previous page"
    )
    limit: int = Field(50, ge=1, le=100)


class OrganisationPageOut(Schema):
    items: list[OrganisationOut]
    next_cursor: int | None
