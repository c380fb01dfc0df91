"""Request and response shapes of the catalogue API, input and output apart.

Inputs bound every value a caller can type (lengths, ranges, patterns, no control
characters), so a hostile query string or body gets a 422, never a database error."""

import datetime
import uuid
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from zhengwu.core.schemas import MAX_KEY as MAX_ID
from zhengwu.core.schemas import CleanText, DatabaseId, no_control_characters
from zhengwu.core.schemas import QueryIn as _QueryIn

from .guide import Guide

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
TEXT_MAX = 4000

BASIC_CODE_PATTERN = r"^\d{12}$"
LISTING_CODE_PATTERN = r"^[0-9A-Z]{31}$"
ITEM_TYPE_PATTERN = r"^\d{2}$"
THEME_PATTERN = r"^[-a-zA-Z0-9_]{1,40}$"
DIVISION_PATTERN = r"^\d{6}$"

Text = CleanText
StatusCode = Literal["draft", "submitted", "returned", "published", "discarded"]
AudienceCode = Literal["natural", "legal"]
ImportStatusCode = Literal["pending", "running", "succeeded", "failed"]


def _check_document(value: Any, depth: int = 0) -> None:
    if depth > 8:
        raise PydanticCustomError("too_deep", "办事指南的层级过深。")
    if isinstance(value, str):
        no_control_characters(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            no_control_characters(str(key))
            _check_document(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_document(item, depth + 1)


class _GuideDocument:
    """A guide as a plain JSON object, documented as :class:`Guide`.

    The service validates it (``parse_guide``) so field errors come back in Chinese
    under the stable code ``catalog.invalid_guide``; here only the JSON type, the
    nesting depth and control characters are checked."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def check(value: dict[str, Any]) -> dict[str, Any]:
            _check_document(value)
            return value

        return core_schema.no_info_after_validator_function(
            check,
            core_schema.dict_schema(
                keys_schema=core_schema.str_schema(),
                values_schema=core_schema.any_schema(),
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(Guide.__pydantic_core_schema__)


GuideDocument = Annotated[dict[str, Any], _GuideDocument]


# --- pages --------------------------------------------------------


class PageIn(_QueryIn):
    after: int | None = Field(
        None,
        ge=0,
        le=MAX_ID,
        description="next_cursor of the previous page; absent for the first page",
    )
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX)


# --- code tables -------------------------------------------------------------


class ItemTypeOut(Schema):
    code: str
    name: str
    is_fixed: bool = Field(description="one of the nationally fixed codes 01–09")
    exchange_category: str


class ThemeOut(Schema):
    code: str
    name: str
    audience: AudienceCode


# --- base catalogue ----------------------------------------------------------


class ItemFiltersIn(PageIn):
    q: Text | None = Field(
        None,
        max_length=100,
        description="name (any 1+ characters), full pinyin, pinyin initials or code",
    )
    item_type: str | None = Field(None, pattern=ITEM_TYPE_PATTERN)
    theme: str | None = Field(None, pattern=THEME_PATTERN)
    audience: AudienceCode | None = None


class LegalBasisIn(Schema):
    law: Text = Field(max_length=200)
    article: Text = Field("", max_length=50)
    text: Text = Field("", max_length=TEXT_MAX)


class LegalBasisOut(Schema):
    law: str
    article: str = ""
    text: str = ""


class ItemCreateIn(Schema):
    name: Text = Field(max_length=200)
    item_type: str | None = Field(
        None, pattern=ITEM_TYPE_PATTERN, description="required for a main item"
    )
    parent_code: str | None = Field(
        None,
        pattern=BASIC_CODE_PATTERN,
        description="basic code of the main item when this is a sub-item (子项)",
    )
    legal_basis: list[LegalBasisIn] = Field(max_length=50)
    for_natural_person: bool = False
    for_legal_person: bool = False
    themes: list[Annotated[str, Field(pattern=THEME_PATTERN)]] = Field(
        default_factory=list, max_length=50
    )


class ItemUpdateIn(Schema):
    """Only the fields sent change; the code never does."""

    name: Text | None = Field(None, max_length=200)
    legal_basis: list[LegalBasisIn] | None = Field(None, max_length=50)
    for_natural_person: bool | None = None
    for_legal_person: bool | None = None
    themes: list[Annotated[str, Field(pattern=THEME_PATTERN)]] | None = Field(
        None, max_length=50
    )


class ItemOut(Schema):
    code: str = Field(description="基本编码, 12 digits")
    name: str
    item_type: str
    item_type_name: str
    prefix: str
    main_code: str
    sub_code: str
    parent_code: str | None
    legal_basis: list[LegalBasisOut]
    for_natural_person: bool
    for_legal_person: bool
    themes: list[str]
    is_active: bool


class ItemPageOut(Schema):
    items: list[ItemOut]
    next_cursor: int | None


# --- listings ----------------------------------------------------------------


class OrganisationRefOut(Schema):
    id: int
    credit_code: str
    name: str


class DivisionRefOut(Schema):
    code: str
    name: str


class ListingFiltersIn(ItemFiltersIn):
    division: str | None = Field(
        None, pattern=DIVISION_PATTERN, description="6 digits; includes sub-divisions"
    )
    organisation: int | None = Field(None, ge=1, le=MAX_ID)
    online: bool | None = None


class ListingSummaryOut(Schema):
    """A listing as the public sees it: with the figures of its version in force."""

    code: str = Field(description="实施编码, 31 characters")
    name: str
    item_code: str
    item_type: str
    organisation: OrganisationRefOut
    division: DivisionRefOut
    level: int
    level_label: str
    is_online: bool
    depth_level: int
    depth_label: str
    visits: int
    effective_from: datetime.date | None
    effective_until: datetime.date | None


class ListingPageOut(Schema):
    items: list[ListingSummaryOut]
    next_cursor: int | None


class ItemDetailOut(ItemOut):
    listings: list[ListingSummaryOut]


class DepthStageOut(Schema):
    code: str
    label: str


class DownloadOut(Schema):
    attachment_id: uuid.UUID
    role: Literal["blank_form", "sample", "result_sample"]
    material: str | None = Field(description="the material it belongs to, if any")
    name: str
    content_type: str
    size: int
    url: str


class ListingDetailOut(ListingSummaryOut):
    """The full service guide in force, with what it takes from the base item."""

    item_type_name: str
    legal_basis: list[LegalBasisOut]
    version_number: int
    published_at: datetime.datetime | None
    depth_stages: list[DepthStageOut]
    guide: Guide
    downloads: list[DownloadOut]


class ListingCreateIn(Schema):
    item_code: str = Field(pattern=BASIC_CODE_PATTERN)
    organisation_id: DatabaseId
    level: int | None = Field(
        None, ge=1, le=5, description="行使层级; the organisation's level if absent"
    )


class ListingRecordOut(Schema):
    code: str
    item_code: str
    name: str
    organisation: OrganisationRefOut
    division: DivisionRefOut
    level: int
    level_label: str
    created_at: datetime.datetime


class ListingCancelIn(Schema):
    cancel_on: datetime.date
    reason: Text = Field("", max_length=TEXT_MAX)


# --- versions ----------------------------------------------------------------


class VersionFiltersIn(PageIn):
    status: StatusCode | None = None
    organisation: int | None = Field(None, ge=1, le=MAX_ID)
    listing: str | None = Field(None, pattern=LISTING_CODE_PATTERN)


class RuleIssueOut(Schema):
    code: str
    field: str
    message: str
    severity: Literal["error", "warning"]


class CommentOut(Schema):
    id: int
    author: str
    field: str
    body: str
    created_at: datetime.datetime


class VersionSummaryOut(Schema):
    id: int
    listing_code: str
    name: str
    organisation: OrganisationRefOut
    division: DivisionRefOut
    number: int
    status: StatusCode
    status_label: str
    change_reason: str
    effective_from: datetime.date | None
    effective_until: datetime.date | None
    is_online: bool
    depth_level: int
    depth_label: str
    rule_error_count: int
    submitted_at: datetime.datetime | None
    reviewed_at: datetime.datetime | None
    published_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class VersionOut(VersionSummaryOut):
    """One version with its guide, the rule issues of that guide (errors block
    submission and publication, warnings do not) and the review comments."""

    guide: Guide
    issues: list[RuleIssueOut]
    comments: list[CommentOut]


class VersionPageOut(Schema):
    items: list[VersionSummaryOut]
    next_cursor: int | None


class VersionCreateIn(Schema):
    guide: GuideDocument | None = Field(
        None, description="absent: a copy of the guide in force (or an empty guide)"
    )
    change_reason: Text = Field("", max_length=TEXT_MAX)


class GuideSaveIn(Schema):
    guide: GuideDocument
    change_reason: Text | None = Field(None, max_length=TEXT_MAX)


class ReturnIn(Schema):
    comment: Text = Field("", max_length=TEXT_MAX)


class PublishIn(Schema):
    effective_from: datetime.date | None = Field(None, description="today if absent")
    effective_until: datetime.date | None = None
    comment: Text = Field("", max_length=TEXT_MAX)


class CommentIn(Schema):
    body: Text = Field("", max_length=TEXT_MAX)
    field: Text = Field("", max_length=100, description="guide field it is about")


class DiffIn(_QueryIn):
    against: int = Field(ge=1, le=MAX_ID, description="the other version's id")


class ChangeOut(Schema):
    path: str = Field(examples=["materials[0].copies"])
    old: Any
    new: Any


class DiffOut(Schema):
    listing_code: str
    version_id: int
    against_id: int
    changes: list[ChangeOut]


# --- attachments -------------------------------------------------------------


class AttachmentOut(Schema):
    id: uuid.UUID
    name: str
    content_type: str
    size: int
    sm3: str
    organisation_id: int | None
    is_public: bool
    url: str
    created_at: datetime.datetime


# --- report, export, import --------------------------------------------------


class ReportFiltersIn(_QueryIn):
    division: str | None = Field(None, pattern=DIVISION_PATTERN)
    organisation: int | None = Field(None, ge=1, le=MAX_ID)


class ReportRowOut(Schema):
    listing_code: str
    name: str
    organisation: OrganisationRefOut
    division: DivisionRefOut
    version_id: int
    number: int
    status: StatusCode
    problems: list[str]
    problem_labels: list[str]


class ReportOut(Schema):
    checked: int = Field(description="listings checked")
    rows: list[ReportRowOut] = Field(description="listings with at least one problem")
    by_division: dict[str, dict[str, int]]
    by_organisation: dict[str, dict[str, int]]
    labels: dict[str, str] = Field(description="problem code → Chinese label")


class ExportFiltersIn(_QueryIn):
    scope: Literal["public", "staff"] = Field(
        "public",
        description="public: the catalogue in force today; staff: the caller's "
        "organisations (all for the catalogue authority), signed in",
    )
    status: Literal[
        "in_force", "draft", "submitted", "returned", "published", "discarded"
    ] = Field(
        "in_force", description="staff scope only; the public sees versions in force"
    )
    division: str | None = Field(None, pattern=DIVISION_PATTERN)
    organisation: int | None = Field(None, ge=1, le=MAX_ID)
    item_type: str | None = Field(None, pattern=ITEM_TYPE_PATTERN)


class ImportErrorOut(Schema):
    """One bad cell (or, with an empty sheet and no row, the whole file)."""

    sheet: str
    row: int | None = Field(description="the row number users see in Excel")
    column: str
    reason: str


class ImportJobOut(Schema):
    id: int
    status: ImportStatusCode
    status_label: str
    original_name: str
    total_rows: int
    processed_rows: int
    errors: list[ImportErrorOut] = Field(
        description="every bad cell; any error means nothing was imported"
    )
    summary: dict[str, Any] = Field(
        description="created / updated / unchanged listing codes, the new drafts' "
        "ids (versions), warnings and counts, once finished"
    )
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
