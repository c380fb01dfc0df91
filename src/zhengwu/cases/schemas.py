"""Request and response shapes of the cases and appointments API, input and output
apart.

Inputs bound every value a caller can type (lengths, ranges, patterns, no control
characters, JSON depth and size), so a hostile body gets a 422 naming the field, never
a database error. Outputs show a case only to those the selectors let see it, and even
then never a clear ID number or phone number: masked values only."""

import datetime
import uuid
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from zhengwu.core.schemas import (
    MAX_KEY,
    CleanText,
    DatabaseId,
    ErrorOut,
    bounded_json,
)
from zhengwu.core.schemas import QueryIn as _QueryIn

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
TEXT_MAX = 4000
LISTING_CODE_PATTERN = r"^[0-9A-Z]{31}$"
BUNDLE_CODE_PATTERN = r"^[-a-zA-Z0-9_]{1,50}$"
HANDLING_ITEM_PATTERN = r"^[0-9A-Za-z]{1,8}$"
# What a client may use as an idempotency key: a UUID, a hash, a timestamped token.
SUBMISSION_KEY_PATTERN = r"^[-A-Za-z0-9_.:]{8,64}$"
DEFINITION_KEY_PATTERN = r"^[A-Za-z_][-A-Za-z0-9_.]{0,99}$"

# A form is a person's answers, not a data dump: bounded depth, keys and values.
FORM_MAX_DEPTH = 6
FORM_MAX_KEYS = 500
FORM_MAX_ITEMS = 500
FORM_TEXT_MAX = 4000

Text = Annotated[CleanText, Field(max_length=TEXT_MAX)]

# A JSON object of answers (the listing's JSON Schema checks it in the service).
FormData = bounded_json(
    max_depth=FORM_MAX_DEPTH,
    max_keys=FORM_MAX_KEYS,
    max_items=FORM_MAX_ITEMS,
    text_max=FORM_TEXT_MAX,
    what="表单",
)


class IntakeOut(Schema):
    """An application taken in on the asynchronous path (收件)."""

    submission_key: str
    listing_code: str
    status: str = Field(
        description="`pending` (the case is being made), `done` (see case_id and "
        "case_number) or `rejected` (see error)",
        examples=["pending"],
    )
    received_at: datetime.datetime
    processed_at: datetime.datetime | None = None
    case_id: int | None = None
    case_number: str | None = None
    error: ErrorOut | None = None
    status_url: str


# --- applicant input -------------------------------------------------------------


class CaseApplyIn(Schema):
    listing_code: str = Field(pattern=LISTING_CODE_PATTERN, description="实施编码")
    handling_item_code: str = Field(
        "", pattern=r"^([0-9A-Za-z]{1,8})?$", description="业务办理项 (optional)"
    )
    form_data: FormData = Field(default_factory=dict)
    submission_key: str | None = Field(
        None,
        pattern=SUBMISSION_KEY_PATTERN,
        description="idempotency key; the `Idempotency-Key` header wins when both "
        "are sent. A retry with the same key returns the same case (200).",
    )


class DraftIn(Schema):
    listing_code: str = Field(pattern=LISTING_CODE_PATTERN)
    handling_item_code: str = Field("", pattern=r"^([0-9A-Za-z]{1,8})?$")
    form_data: FormData = Field(default_factory=dict)


class DraftUpdateIn(Schema):
    form_data: FormData
    handling_item_code: str | None = Field(None, pattern=r"^([0-9A-Za-z]{1,8})?$")


class SubmitIn(Schema):
    submission_key: str | None = Field(None, pattern=SUBMISSION_KEY_PATTERN)


class MaterialReuseIn(Schema):
    material_name: CleanText = Field(min_length=1, max_length=200)
    source_material_id: DatabaseId


class SupplementIn(Schema):
    form_data: FormData | None = None
    note: Text = ""


class RatingIn(Schema):
    """好差评 (standards §4): five levels, 1 非常不满意 … 5 非常满意."""

    level: int = Field(ge=1, le=5)
    indicators: list[Annotated[CleanText, Field(max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    comment: Text = ""
    is_follow_up: bool = Field(
        False, description="the second rating, after a rectification was answered"
    )


class DeliveryIn(Schema):
    """Express needs the recipient, a mobile and the address (checked by the
    handler, which names the missing fields); online and pick-up need nothing."""

    method: Literal["online", "express", "pickup"]
    recipient_name: CleanText = Field("", max_length=50)
    recipient_mobile: str = Field("", pattern=r"^(1[3-9][0-9]{9})?$")
    address: CleanText = Field("", max_length=200)


class ShipmentIn(Schema):
    """Empty: to the address the applicant chose."""

    recipient_name: CleanText = Field("", max_length=50)
    recipient_mobile: str = Field("", pattern=r"^(1[3-9][0-9]{9})?$")
    address: CleanText = Field("", max_length=200)


class PickupIn(Schema):
    picked_up_by: CleanText = Field(min_length=1, max_length=50)


class BundleApplyIn(Schema):
    form_data: FormData = Field(default_factory=dict)
    submission_key: str | None = Field(None, pattern=SUBMISSION_KEY_PATTERN)


CaseStatusName = Literal[
    "draft",
    "submitted",
    "supplement",
    "accepted",
    "not_accepted",
    "approved",
    "denied",
    "withdrawn",
]


class CasePageIn(_QueryIn):
    after: int | None = Field(
        None, ge=0, le=MAX_KEY, description="next_cursor of the previous page"
    )
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX)
    status: CaseStatusName | None = None


class MessagePageIn(_QueryIn):
    after: int | None = Field(None, ge=0, le=MAX_KEY)
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX)


# --- staff input -----------------------------------------------------------------


class TaskFiltersIn(_QueryIn):
    status: Literal["open", "claimed", "done"] | None = Field(
        None, description="absent: open and claimed tasks"
    )
    mine: bool = Field(False, description="only tasks the caller has claimed")
    overdue: bool = Field(False, description="only tasks past their due date")
    warning: bool = Field(
        False, description="临期: not yet due, the case in its warning period"
    )
    listing_code: str | None = Field(None, pattern=LISTING_CODE_PATTERN)
    item: CleanText | None = Field(
        None, max_length=100, description="item name (contains) or listing code"
    )
    case_status: CaseStatusName | None = Field(
        None, description="only tasks of cases in this status"
    )
    cursor: str | None = Field(
        None,
        pattern=r"^(none|[0-9]{4}-[0-9]{2}-[0-9]{2}):[0-9]{1,19}$",
        description="next_cursor of the previous page",
    )
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX)


class HandOverIn(Schema):
    to_user_id: DatabaseId
    note: Text = ""


class TaskReturnIn(Schema):
    reason: CleanText = Field(min_length=1, max_length=TEXT_MAX)


class TaskCompleteIn(Schema):
    outcome: Literal["approve", "deny", "pass", "return"]
    opinion: Text = ""


class AcceptIn(Schema):
    opinion: Text = ""


class SupplementItemIn(Schema):
    material: CleanText = Field("", max_length=200)
    reason: CleanText = Field(min_length=1, max_length=1000)


class SupplementRequestIn(Schema):
    """补正: everything missing, listed at once (一次性告知)."""

    items: list[SupplementItemIn] = Field(min_length=1, max_length=100)
    note: Text = ""


class NotAcceptIn(Schema):
    reason: CleanText = Field(min_length=1, max_length=TEXT_MAX)
    legal_basis: CleanText = Field(min_length=1, max_length=TEXT_MAX)


class PauseStartIn(Schema):
    name: CleanText = Field(min_length=1, max_length=100, examples=["专家评审"])
    reason: CleanText = Field(min_length=1, max_length=TEXT_MAX)


class PauseEndIn(Schema):
    result: Text = ""


class ExtensionIn(Schema):
    days: int = Field(ge=1, le=60, description="working days (行政许可法 第42条)")
    reason: CleanText = Field(min_length=1, max_length=TEXT_MAX)


class ExtensionDecideIn(Schema):
    approve: bool


class CounterCaseIn(Schema):
    """A case opened at the counter for the walk-in applicant of the clerk's open
    counter visit (ID checked there)."""

    visit_id: int | None = Field(
        None,
        ge=1,
        le=MAX_KEY,
        description="the open counter visit; absent: the one the session acts under",
    )
    listing_code: str = Field(pattern=LISTING_CODE_PATTERN)
    handling_item_code: str = Field("", pattern=r"^([0-9A-Za-z]{1,8})?$")
    form_data: FormData = Field(default_factory=dict)


# Keys and values of the handling settings' material mappings; the service checks
# the names against the guide, the codes against the licence types and the kinds
# (the same checks and messages as the settings page).
MaterialName = Annotated[CleanText, Field(min_length=1, max_length=200)]
LICENCE_TYPE_CODE = r"[0-9A-Z]{18}[0-9]{3}"
LicenceTypeCode = Annotated[str, Field(pattern=rf"^{LICENCE_TYPE_CODE}$")]
BaseRecordKindCode = Annotated[str, Field(max_length=30)]


class FeeItemIn(Schema):
    name: CleanText = Field(min_length=1, max_length=200)
    amount_fen: int = Field(ge=0, le=100_000_000)


class HandlingConfigIn(Schema):
    """Only the fields sent change."""

    form_schema: FormData | None = Field(
        None, description="JSON Schema of the application form"
    )
    process_template: Literal["instant", "single", "parallel", "custom"] | None = None
    process_key: str | None = Field(None, pattern=r"^([A-Za-z_][-A-Za-z0-9_.]{0,99})?$")
    decision_key: str | None = Field(
        None, pattern=r"^([A-Za-z_][-A-Za-z0-9_.]{0,99})?$"
    )
    fee_items: list[FeeItemIn] | None = Field(None, max_length=50)
    parallel_organisation_ids: list[DatabaseId] | None = Field(None, max_length=50)
    licence_type_code: str | None = Field(
        None,
        pattern=rf"^(?:{LICENCE_TYPE_CODE})?$",
        description="电子证照 issued on approval: a licence type code the listing's "
        'organisation may issue; "" for none',
    )
    licence_materials: dict[MaterialName, LicenceTypeCode] | None = Field(
        None,
        max_length=100,
        description="guide material name → licence type code: materials an "
        "electronic licence of that type may replace (免于提交), besides those "
        "named like a licence type",
    )
    base_record_materials: dict[MaterialName, BaseRecordKindCode] | None = Field(
        None,
        max_length=100,
        description="guide material name → base-record kind (`person_identity`, "
        "`entity_registration`): materials fetched from the shared base records "
        "instead of uploaded",
    )


class WebhookIn(Schema):
    organisation_id: DatabaseId
    url: CleanText = Field(min_length=8, max_length=500, pattern=r"^https?://[^\s]+$")
    events: list[Annotated[CleanText, Field(max_length=50)]] = Field(
        default_factory=list, max_length=50, description="empty: every event"
    )


class RectificationRespondIn(Schema):
    response: CleanText = Field(min_length=1, max_length=TEXT_MAX)


class RectificationCallbackIn(Schema):
    note: CleanText = Field(min_length=1, max_length=2000)


class RectificationFiltersIn(_QueryIn):
    status: Literal["open", "responded", "closed"] | None = None
    after: int | None = Field(None, ge=0, le=MAX_KEY)
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX)


# --- output ----------------------------------------------------------------------


class OrganisationRefOut(Schema):
    id: int
    name: str


class CaseSummaryOut(Schema):
    id: int
    number: str | None = Field(description="办件编号; none for a draft")
    listing_code: str
    item_name: str
    status: str
    status_label: str
    channel: str
    deadline_state: str
    deadline_state_label: str
    due_on: datetime.date | None
    submitted_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class CasePageOut(Schema):
    items: list[CaseSummaryOut]
    next_cursor: int | None


class FileRefOut(Schema):
    id: uuid.UUID
    name: str
    content_type: str
    size: int
    sm3: str
    url: str


class MaterialOut(Schema):
    id: int
    material_name: str
    credibility: str = Field(description="可信等级 A–D (standards §5.3)")
    credibility_label: str = Field(
        description="what the level means for this material, e.g. "
        "“A级：电子证照（发证机关签章）” for a licence handed in, “A级：基础库调取” "
        "for a base-record extract"
    )
    licence_identifier: str = Field(
        "", description="the electronic licence handed in instead of an upload"
    )
    base_record_kind: str = Field(
        "", description="the base record the material was fetched from"
    )
    reused_from_id: int | None
    file: FileRefOut
    created_at: datetime.datetime


class SupplementOut(Schema):
    id: int
    items: list[dict[str, str]]
    note: str
    requested_at: datetime.datetime
    answered_at: datetime.datetime | None


class PauseOut(Schema):
    id: int
    kind: str
    name: str
    reason: str
    started_on: datetime.date
    ended_on: datetime.date | None
    result: str


class ExtensionOut(Schema):
    id: int
    case_id: int
    days: int
    reason: str
    status: str
    status_label: str
    decided_at: datetime.datetime | None
    created_at: datetime.datetime


class PaymentOut(Schema):
    order_number: str
    amount_fen: int
    items: list[dict[str, Any]]
    status: str
    status_label: str
    paid_at: datetime.datetime | None
    refunded_fen: int


class PaymentDueOut(Schema):
    """The case's fee orders, and where to pay the unpaid one."""

    orders: list[PaymentOut]
    pay_url: str = Field(description="the cashier of the unpaid order; empty if none")


class ShipmentOut(Schema):
    provider: str
    order_number: str
    tracking_number: str
    recipient_name_masked: str
    recipient_mobile_masked: str
    status: str
    status_label: str
    events: list[dict[str, Any]]


class RatingOut(Schema):
    id: int
    level: int
    indicators: list[str]
    comment: str
    is_follow_up: bool
    created_at: datetime.datetime


class CaseOut(CaseSummaryOut):
    """One case as its applicant or the staff handling it see it. Personal data
    only masked; the form holds the applicant's own answers."""

    handling_item_code: str
    organisation: OrganisationRefOut
    division_code: str
    applicant_name_masked: str
    applicant_id_masked: str
    contact_mobile_masked: str
    principal_label: str
    form_data: dict[str, Any]
    accepted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    acceptance_due_on: datetime.date | None
    is_instant: bool
    limit_days: int
    legal_limit_days: int
    extended_days: int
    warn_on: datetime.date | None
    decision_opinion: str
    legal_basis: str
    decided_by_rule: str
    result_delivery: str
    result_available: bool
    requires_payment: bool
    bundle_id: int | None
    materials: list[MaterialOut]
    supplements: list[SupplementOut]
    pauses: list[PauseOut]
    extensions: list[ExtensionOut]
    payment: PaymentOut | None
    shipment: ShipmentOut | None
    rating: RatingOut | None


class TimelineEntryOut(Schema):
    occurred_at: datetime.datetime
    event: str
    label: str
    actor: str = Field(description="申请人 / 工作人员 / 系统, never a person's ID")
    on_behalf_of: str
    detail: dict[str, Any]


class MessageOut(Schema):
    id: int
    case_id: int | None
    event: str
    title: str
    body: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class MessagePageOut(Schema):
    items: list[MessageOut]
    next_cursor: int | None


class FormSpecOut(Schema):
    listing_code: str
    item_name: str
    form_schema: dict[str, Any]
    prefill: dict[str, Any] = Field(description="what the platform already knows")
    materials: list[dict[str, Any]]
    handling_items: list[dict[str, Any]]


class BundleOut(Schema):
    id: int
    number: str | None
    definition_code: str
    name: str
    submitted_at: datetime.datetime | None
    cases: list[CaseSummaryOut]


class TaskOut(Schema):
    id: int
    case_id: int
    case_number: str | None
    item_name: str
    node: str
    name: str
    role: str
    organisation: OrganisationRefOut
    status: str
    status_label: str
    assignee_id: int | None
    is_mine: bool
    due_on: datetime.date | None
    deadline_state: str
    claimed_at: datetime.datetime | None
    created_at: datetime.datetime


class TaskPageOut(Schema):
    items: list[TaskOut]
    next_cursor: str | None
    counts: dict[str, int] = Field(default_factory=dict)


class HandlingConfigOut(Schema):
    listing_code: str
    form_schema: dict[str, Any]
    process_template: str
    process_key: str
    decision_key: str
    fee_items: list[dict[str, Any]]
    parallel_organisation_ids: list[int]
    licence_type_code: str
    licence_materials: dict[str, str]
    base_record_materials: dict[str, str]
    updated_at: datetime.datetime


class DefinitionOut(Schema):
    key: str
    name: str
    version: int | None = None


class WebhookOut(Schema):
    id: int
    organisation_id: int
    url: str
    events: list[str]
    is_active: bool
    secret: str | None = Field(
        None, description="shown once, when the subscription is created"
    )
    created_at: datetime.datetime


class RectificationOut(Schema):
    id: int
    callback_note: str
    case_id: int
    case_number: str | None
    organisation: OrganisationRefOut
    rating_level: int
    rating_comment: str
    due_on: datetime.date
    status: str
    status_label: str
    response: str
    responded_at: datetime.datetime | None
    closed_at: datetime.datetime | None


class RectificationPageOut(Schema):
    items: list[RectificationOut]
    next_cursor: int | None


# --- appointments ------------------------------------------------------------------


class HallOut(Schema):
    id: int
    name: str
    address: str
    division_code: str
    organisation: OrganisationRefOut


class SlotFiltersIn(_QueryIn):
    hall: int = Field(ge=1, le=MAX_KEY)
    date_from: datetime.date
    date_to: datetime.date
    listing_code: str | None = Field(None, pattern=LISTING_CODE_PATTERN)


class SlotOut(Schema):
    id: int
    window_number: str
    window_name: str
    date: datetime.date
    starts_at: datetime.time
    ends_at: datetime.time
    capacity: int
    available: int


class BookIn(Schema):
    slot_id: DatabaseId
    listing_code: str = Field(pattern=LISTING_CODE_PATTERN)


class AppointmentOut(Schema):
    id: int
    hall_name: str
    window_number: str
    date: datetime.date
    starts_at: datetime.time
    ends_at: datetime.time
    listing_code: str
    item_name: str
    status: str
    status_label: str
    queue_number: str
    case_id: int | None
    arrived_at: datetime.datetime | None
    created_at: datetime.datetime


class AppointmentPageIn(_QueryIn):
    after: int | None = Field(None, ge=0, le=MAX_KEY)
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX)


class AppointmentPageOut(Schema):
    items: list[AppointmentOut]
    next_cursor: int | None
