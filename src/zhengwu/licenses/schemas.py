"""Request and response shapes of the licences API, input and output apart.

Inputs bound every value a caller can type (lengths, patterns, no control
characters, JSON depth and size), so a bad body gets a 422 naming the field and
changes nothing. The verification output carries no personal data: no holder, no
face data, only the type, the issuer, the dates and the status."""

import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from zhengwu.core.schemas import MAX_KEY, CleanText, DatabaseId, bounded_json
from zhengwu.core.schemas import QueryIn as _QueryIn

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
REASON_MAX = 1000
TYPE_CODE_PATTERN = r"^[0-9A-Z]{18}[0-9]{3}$"
# What the path of a licence may hold; the check character is verified apart.
IDENTIFIER_PATTERN = r"^1\.2\.156\.3005\.2\.[0-9A-Z.]{20,100}$"
HOLDER_LABEL_PATTERN = r"^(?:person:[0-9]{1,19}|entity:[0-9A-Z]{18})$"
HOLDER_CODE_PATTERN = r"^[0-9A-Z]{15,18}$"
CASE_NUMBER_PATTERN = r"^[0-9A-Z]{1,43}$"

JSON_MAX_DEPTH = 6
JSON_MAX_KEYS = 200
JSON_TEXT_MAX = 2000

StatusName = Literal["valid", "suspended", "revoked", "expired", "superseded"]

JsonObject = bounded_json(
    max_depth=JSON_MAX_DEPTH,
    max_keys=JSON_MAX_KEYS,
    max_items=JSON_MAX_KEYS,
    text_max=JSON_TEXT_MAX,
)

FIRST_VALID_DAY = datetime.date(1949, 10, 1)
LAST_VALID_DAY = datetime.date(2199, 12, 31)


def _plausible_day(value: datetime.date) -> datetime.date:
    """A first valid day the validity arithmetic can carry (years added)."""
    if not FIRST_VALID_DAY <= value <= LAST_VALID_DAY:
        raise PydanticCustomError("date_range", "日期超出允许范围。")
    return value


ValidFrom = Annotated[datetime.date, AfterValidator(_plausible_day)]
Reason = Annotated[CleanText, Field(min_length=1, max_length=REASON_MAX)]


# --- licence types -----------------------------------------------------------------


class LicenceTypeIn(Schema):
    defining_organisation_id: DatabaseId
    name: Annotated[CleanText, Field(min_length=1, max_length=100)]
    holder_kind: Literal["person", "entity"]
    face_schema: JsonObject = Field(
        description="JSON Schema (type object) of the face data"
    )
    layout_title: Annotated[CleanText, Field(max_length=100)] = ""
    valid_years: int | None = Field(
        None, ge=1, le=100, description="absent or null: no expiry"
    )
    sequence: str | None = Field(
        None,
        pattern=r"^[0-9]{3}$",
        description="3 digits after the credit code; the next free one if absent",
    )
    issuing_organisation_ids: list[DatabaseId] = Field(
        default_factory=list,
        max_length=100,
        description="other organisations allowed to issue this type",
    )


class LicenceTypeOut(Schema):
    type_code: str
    name: str
    holder_kind: str
    layout_title: str
    valid_years: int | None
    defining_organisation_id: int
    defining_organisation_name: str
    issuing_organisation_ids: list[int]
    face_schema: dict[str, Any]


class LicenceTypePageIn(_QueryIn):
    after: int | None = Field(None, ge=0, le=MAX_KEY)
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX)


class LicenceTypePageOut(Schema):
    items: list[LicenceTypeOut]
    next_cursor: int | None


# --- licences ----------------------------------------------------------------------


class HolderIn(Schema):
    label: str = Field(
        pattern=HOLDER_LABEL_PATTERN,
        description="`person:<pk>` or `entity:<credit code>`",
    )
    kind: Literal["person", "entity"]
    code: str = Field(
        pattern=HOLDER_CODE_PATTERN,
        description="ID number (person) or unified social credit code (entity)",
    )
    name: Annotated[CleanText, Field(min_length=1, max_length=200)]


class LicenceIssueIn(Schema):
    type_code: str = Field(pattern=TYPE_CODE_PATTERN)
    issuer_organisation_id: DatabaseId
    holder: HolderIn
    face_data: JsonObject
    valid_from: ValidFrom | None = Field(
        None, description="first valid day; today (Asia/Shanghai) if absent"
    )
    source_case_number: str = Field("", pattern=r"^(?:[0-9A-Z]{1,43})?$")


class LicenceChangeIn(Schema):
    face_data: JsonObject
    reason: Reason
    holder_name: Annotated[CleanText, Field(min_length=1, max_length=200)] | None = None
    holder_code: str | None = Field(None, pattern=HOLDER_CODE_PATTERN)


class ReasonIn(Schema):
    reason: Reason


class LicenceEventOut(Schema):
    kind: str
    actor: str
    reason: str
    at: datetime.datetime


class LicenceSummaryOut(Schema):
    identifier: str
    type_code: str
    type_name: str
    issuer_organisation_id: int
    issuer_name: str
    holder_label: str
    holder_name: str
    version: int
    status: str = Field(description="effective: `expired` once past valid_until")
    valid_from: datetime.date
    valid_until: datetime.date | None
    issued_at: datetime.datetime
    source_case_number: str


class LicenceOut(LicenceSummaryOut):
    face_data: dict[str, Any]
    file_sm3: str
    previous_identifier: str | None
    next_identifier: str | None
    events: list[LicenceEventOut]


class LicencePageIn(_QueryIn):
    after: int | None = Field(
        None, ge=0, le=MAX_KEY, description="next_cursor of the previous page"
    )
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX)
    issuer_organisation_id: int | None = Field(None, ge=1, le=MAX_KEY)
    type_code: str | None = Field(None, pattern=TYPE_CODE_PATTERN)
    status: StatusName | None = None
    holder_label: str | None = Field(None, pattern=HOLDER_LABEL_PATTERN)


class LicencePageOut(Schema):
    items: list[LicenceSummaryOut]
    next_cursor: int | None


# --- verification ------------------------------------------------------------------


class VerifyIn(_QueryIn):
    reason: Annotated[CleanText, Field(min_length=1, max_length=200)] = Field(
        description="用证事由: why the verifier checks; recorded for the holder"
    )


class VerificationChecksOut(Schema):
    check_character: bool = Field(description="the identifier's check character")
    found: bool = Field(description="the licence is in the licence library")
    signature: bool = Field(description="the SM2 signature over the metadata")
    metadata: bool = Field(description="the signed metadata names this licence")
    file_digest: bool = Field(description="the file's SM3 equals the signed digest")


class VerifiedLicenceOut(Schema):
    """Non-personal metadata only: no holder, no face data."""

    type_code: str
    type_name: str
    title: str
    issuer_name: str
    issuer_code: str
    version: int
    issued_on: datetime.date
    valid_from: datetime.date
    valid_until: datetime.date | None


class VerificationOut(Schema):
    identifier: str
    ok: bool = Field(description="every check passed and the licence is valid")
    status: str = Field(
        description="valid / suspended / revoked / expired / superseded; empty "
        "when not found"
    )
    checks: VerificationChecksOut
    licence: VerifiedLicenceOut | None


# --- the holder's wallet (亮证) ------------------------------------------------------

FIELD_KEY_PATTERN = r"^[A-Za-z0-9_]{1,100}$"


class WalletEntryOut(Schema):
    identifier: str
    type_name: str
    issuer_name: str
    holder_name: str
    version: int
    status: str = Field(description="effective: `expired` once past valid_until")
    status_label: str
    valid_from: datetime.date
    valid_until: datetime.date | None = Field(description="null: no expiry")
    issued_at: datetime.datetime


class WalletOut(Schema):
    items: list[WalletEntryOut]


class FaceFieldOut(Schema):
    key: str = Field(description="what `fields` of a show request names")
    label: str
    value: str


class HistoryStepOut(Schema):
    kind_label: str
    reason: str
    at: datetime.datetime


class UseRecordOut(Schema):
    """One check of the licence (用证), as its holder sees it."""

    channel_label: str
    reason: str = Field(description="用证事由 the verifier stated")
    verifier: str = Field(
        description="who checked: `user:<username>` (a signed-in user), "
        "`anonymous` (with `source_ip`), or the name of the department handling "
        "a case the licence was handed in with (用证 by a case; the reason is "
        "`办件 <case number>`)"
    )
    source_ip: str
    released: list[str] = Field(description="the face fields released (亮证)")
    result_label: str
    at: datetime.datetime


class WalletLicenceOut(WalletEntryOut):
    showable: bool = Field(description="only a valid licence can be shown")
    fields: list[FaceFieldOut] = Field(
        description="the releasable fields, holder name first"
    )
    history: list[HistoryStepOut]
    uses: list[UseRecordOut] = Field(description="the latest 200, newest first")


class ShowIn(Schema):
    fields: list[Annotated[str, Field(pattern=FIELD_KEY_PATTERN)]] = Field(
        min_length=1,
        max_length=50,
        description="keys of `fields` of the licence to release to the verifier",
    )


class ShowOut(Schema):
    token: str
    url: str = Field(description="the QR code's content: the verifier's page")
    expires_at: datetime.datetime
    released: list[FaceFieldOut]


# --- seals -------------------------------------------------------------------------


class SealOut(Schema):
    """An electronic seal: never its private key."""

    id: int
    organisation_id: int
    organisation_name: str
    name: str
    public_key: str = Field(description="SM2 public key, hex")
    has_image: bool
    active: bool
    created: datetime.datetime


class SealListOut(Schema):
    items: list[SealOut]
