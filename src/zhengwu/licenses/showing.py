"""亮证: the holder's side of licences. The wallet (every licence held by the
user's own person or an entity they represent), one licence with its history,
its file (audited), and short-lived show tokens: the holder picks which face
fields to release; the token (payload + HMAC-SM3) travels in a QR code to the
verifier, who sees only those fields (uses.py).

Every function takes the user who asks (and, for an agent, the acting context
of the request) and filters by the holder labels of that user: their own person,
every entity they represent, and the principal they act for under an active
authorisation for all items (代办; re-checked on every call; one for named items
only does not open the wallet). Another holder's licence is "not
found", never "forbidden". The portal's pages and the holder API share these
functions; a licence is named by its database id (pages) or its identifier (API).

A show token carries no holder label: only an HMAC-SM3 of it under the show key,
which the verifier side recomputes from the licence (old tokens that carried the
raw label fail verification)."""

from __future__ import annotations

import base64
import datetime
import hmac as std_hmac
import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

import segno
from cryptography.hazmat.primitives import hashes, hmac

from zhengwu.core import audit
from zhengwu.core.crypto import keyed_sm3
from zhengwu.identity.facade import (
    ActingFor,
    may_act_for_all_items,
    user_principal_labels,
)

from .constants import LicenceStatus
from .documents import face_rows
from .errors import LicenceError, not_found
from .models import Licence, LicenceUse
from .signing import canonical_json
from .verification import effective_status

DEFAULT_SHOW_SECONDS = 300
HOLDER_NAME_FIELD = "holder_name"

TOKEN_INVALID = "licenses.token_invalid"  # noqa: S105 - an error code
TOKEN_EXPIRED = "licenses.token_expired"  # noqa: S105 - an error code
TOKEN_USED = "licenses.token_used"  # noqa: S105 - an error code
NOTHING_RELEASED = "licenses.nothing_released"
NOT_SHOWABLE = "licenses.not_showable"


# --- HMAC-SM3 ---------------------------------------------------------------------


def _show_key() -> bytes:
    """The show-token key: derived (HMAC-SM3) from core's keyed-SM3 key, with its
    own purpose, so it is neither stored nor shared with another use."""
    return bytes.fromhex(keyed_sm3("licence-show-token-key", purpose="licenses.show"))


def hmac_sm3_hex(key: bytes, message: bytes) -> str:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(message)
    return mac.finalize().hex()


def show_seconds() -> int:
    return int(getattr(settings, "ZHENGWU_LICENCE_SHOW_SECONDS", DEFAULT_SHOW_SECONDS))


# --- frozen views -----------------------------------------------------------------


@dataclass(frozen=True)
class FaceField:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class WalletEntry:
    pk: int
    identifier: str
    type_name: str
    issuer_name: str
    holder_name: str
    version: int
    status: str
    status_label: str
    valid_from: datetime.date
    valid_until: datetime.date | None
    issued_at: datetime.datetime


@dataclass(frozen=True)
class HistoryStep:
    kind_label: str
    reason: str
    at: datetime.datetime


@dataclass(frozen=True)
class UseRecord:
    channel_label: str
    reason: str
    verifier: str
    source_ip: str
    released: tuple[str, ...]
    result_label: str
    at: datetime.datetime


@dataclass(frozen=True)
class HolderLicence:
    entry: WalletEntry
    fields: tuple[FaceField, ...]  # the releasable fields, holder name first
    history: tuple[HistoryStep, ...]
    uses: tuple[UseRecord, ...]
    showable: bool


@dataclass(frozen=True)
class ShowToken:
    token: str
    expires_at: datetime.datetime
    released: tuple[FaceField, ...]


def qr_svg(url: str) -> SafeString:
    """``url`` as an inline SVG QR code (no script or style attribute)."""
    svg = segno.make(url, error="m").svg_inline(
        scale=4, svgclass="qr-code", title=_("亮证二维码")
    )
    return mark_safe(svg)  # noqa: S308 - segno's own markup, the URL is ours


@dataclass(frozen=True)
class TokenPayload:
    identifier: str
    holder_digest: str  # holder_digest(label): the raw label never leaves
    fields: tuple[str, ...]
    expires: int
    nonce: str


TOKEN_FORMAT = 2


def holder_digest(holder_label: str) -> str:
    """HMAC-SM3 of the holder label under the show key: a token names its holder
    without disclosing ``person:<pk>`` to whoever reads the QR code."""
    return hmac_sm3_hex(_show_key(), f"holder:{holder_label}".encode())


def holds_token(licence: Licence, payload: TokenPayload) -> bool:
    """Whether the token was shown for the current holder of ``licence``."""
    return std_hmac.compare_digest(
        holder_digest(licence.holder_label), payload.holder_digest
    )


def status_label(status: str) -> str:
    return str(LicenceStatus(status).label) if status in LicenceStatus.values else ""


def _entry(licence: Licence) -> WalletEntry:
    status = effective_status(licence)
    return WalletEntry(
        pk=licence.pk,
        identifier=licence.identifier,
        type_name=licence.licence_type.name,
        issuer_name=licence.issuer.name,
        holder_name=licence.holder_name,
        version=licence.version,
        status=status,
        status_label=status_label(status),
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        issued_at=licence.issued_at,
    )


def releasable_fields(licence: Licence) -> tuple[FaceField, ...]:
    face = licence.face_data if isinstance(licence.face_data, dict) else {}
    rows = [FaceField(HOLDER_NAME_FIELD, _("持证主体"), licence.holder_name)]
    properties = (licence.licence_type.face_schema or {}).get("properties") or {}
    keys = [k for k in properties if k in face] + sorted(set(face) - set(properties))
    labels = dict(face_rows(licence.licence_type.face_schema or {}, face))
    for key in keys:
        spec = properties.get(key)
        label = spec.get("title", key) if isinstance(spec, dict) else key
        rows.append(FaceField(key, str(label), labels.get(str(label), str(face[key]))))
    return tuple(rows)


# --- the holder's own licences --------------------------------------------------


LicenceRef = int | str  # the database id (pages) or the identifier (API)


def holder_labels(
    user: AbstractBaseUser | AnonymousUser | None, acting: ActingFor | None = None
) -> tuple[str, ...]:
    """The holder labels whose licences ``user`` may see and show: their own
    person, the entities they represent, and the principal of ``acting`` while
    an active authorisation for all items (全部事项) lets them act for it. One
    for named items only, a revoked or expired one, or a counter visit does not:
    the wallet is the principal's whole record, not one item's."""
    labels = list(user_principal_labels(user))
    label = acting.principal_label if acting is not None else ""
    if (
        label
        and label not in labels
        and acting is not None
        and acting.basis == "authorisation"
        and may_act_for_all_items(user, label)
    ):
        labels.append(label)
    return tuple(labels)


def _own(user: AbstractBaseUser | AnonymousUser | None, acting: ActingFor | None):
    labels = holder_labels(user, acting)
    return Licence.objects.select_related("licence_type", "issuer").filter(
        holder_label__in=labels
    )


def wallet(
    user: AbstractBaseUser | AnonymousUser | None, *, acting: ActingFor | None = None
) -> tuple[WalletEntry, ...]:
    """Every licence version the user holds (own person, represented entity, or
    the principal they act for), newest first."""
    rows = (
        _own(user, acting)
        .defer("file", "signed_metadata")
        .order_by("-issued_at", "-pk")
    )
    return tuple(_entry(licence) for licence in rows)


def _own_licence(
    user, ref: LicenceRef, *, acting: ActingFor | None = None, with_file: bool = False
) -> Licence:
    rows = _own(user, acting)
    if not with_file:
        rows = rows.defer("file", "signed_metadata")
    if isinstance(ref, str):
        rows = rows.filter(identifier=ref.strip()[:120])
    else:
        rows = rows.filter(pk=ref)
    licence = rows.first()
    if licence is None:
        raise not_found()
    return licence


def holder_licence(
    user, ref: LicenceRef, *, acting: ActingFor | None = None
) -> HolderLicence:
    """One of the user's licences with its history and its use records."""
    licence = _own_licence(user, ref, acting=acting)
    entry = _entry(licence)
    history = tuple(
        HistoryStep(event.get_kind_display(), event.reason, event.at)
        for event in licence.events.all()
    )
    uses = tuple(
        UseRecord(
            channel_label=use.get_channel_display(),
            reason=use.reason,
            verifier=use.verifier_label,
            source_ip=use.source_ip or "",
            released=tuple(use.released_fields or ()),
            result_label=status_label(use.result) or _("无效"),
            at=use.at,
        )
        for use in LicenceUse.objects.filter(licence=licence)[:200]
    )
    return HolderLicence(
        entry=entry,
        fields=releasable_fields(licence),
        history=history,
        uses=uses,
        showable=entry.status == LicenceStatus.VALID,
    )


def holder_file(
    user,
    ref: LicenceRef,
    *,
    acting: ActingFor | None = None,
    source_ip: str | None = None,
) -> tuple[str, bytes]:
    """The licence file for its holder (file name, PDF bytes); audited."""
    licence = _own_licence(user, ref, acting=acting, with_file=True)
    audit.record(
        acting_user=user,
        event="licenses.file_downloaded",
        target=licence,
        data={"identifier": licence.identifier},
        source_ip=source_ip,
    )
    return f"licence-{licence.pk}-v{licence.version}.pdf", bytes(licence.file)


# --- show tokens (亮证) -----------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_token(payload: TokenPayload) -> str:
    body = _b64(
        canonical_json(
            {
                "e": payload.expires,
                "f": list(payload.fields),
                "hd": payload.holder_digest,
                "i": payload.identifier,
                "n": payload.nonce,
                "v": TOKEN_FORMAT,
            }
        ).encode()
    )
    return f"{body}.{hmac_sm3_hex(_show_key(), body.encode())}"


def token_error(code: str) -> LicenceError:
    messages = {
        TOKEN_INVALID: _("亮证二维码无效或已被篡改。"),
        TOKEN_EXPIRED: _("亮证二维码已过期，请持证人重新出示。"),
        TOKEN_USED: _("此亮证二维码已被其他查验方使用，请持证人重新出示。"),
    }
    return LicenceError(
        code, messages[code], status=400 if code == TOKEN_INVALID else 410
    )


def read_token(token: str, *, now: datetime.datetime | None = None) -> TokenPayload:
    """The payload of a genuine, unexpired token; ``LicenceError`` (token_invalid,
    token_expired) otherwise. Whether its nonce was used is uses.py's concern."""
    token = (token or "").strip()
    body, _sep, signature = token.partition(".")
    if not body or len(token) > 2000:
        raise token_error(TOKEN_INVALID)
    expected = hmac_sm3_hex(_show_key(), body.encode())
    if not std_hmac.compare_digest(expected, signature.lower()):
        raise token_error(TOKEN_INVALID)
    try:
        data = json.loads(_unb64(body))
        if data.get("v") != TOKEN_FORMAT or "h" in data:
            raise ValueError("old token format")  # it carried the raw label
        payload = TokenPayload(
            identifier=str(data["i"]),
            holder_digest=str(data["hd"]),
            fields=tuple(str(f) for f in data["f"]),
            expires=int(data["e"]),
            nonce=str(data["n"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise token_error(TOKEN_INVALID) from None
    moment = now or timezone.now()
    if moment.timestamp() > payload.expires:
        raise token_error(TOKEN_EXPIRED)
    return payload


def show_licence(
    user,
    ref: LicenceRef,
    *,
    fields: list[str] | tuple[str, ...],
    acting: ActingFor | None = None,
    now: datetime.datetime | None = None,
    source_ip: str | None = None,
) -> ShowToken:
    """亮证: a token releasing ``fields`` of the user's licence ``ref`` for
    ``ZHENGWU_LICENCE_SHOW_SECONDS`` (default 5 minutes); audited."""
    licence = _own_licence(user, ref, acting=acting)
    if effective_status(licence) != LicenceStatus.VALID:
        message = _("只有有效的电子证照可以亮证。")
        raise LicenceError(NOT_SHOWABLE, message, status=409)
    available = {field.key: field for field in releasable_fields(licence)}
    chosen = [key for key in dict.fromkeys(fields) if key]
    unknown = [key for key in chosen if key not in available]
    if not chosen or unknown:
        message = (
            _("请至少选择一项要出示的信息。")
            if not chosen
            else _("所选信息项不属于此电子证照。")
        )
        raise LicenceError(NOTHING_RELEASED, message, fields={"fields": [message]})
    moment = now or timezone.now()
    expires_at = moment + datetime.timedelta(seconds=show_seconds())
    payload = TokenPayload(
        identifier=licence.identifier,
        holder_digest=holder_digest(licence.holder_label),
        fields=tuple(chosen),
        expires=int(expires_at.timestamp()),
        nonce=secrets.token_hex(16),
    )
    token = encode_token(payload)
    audit.record(
        acting_user=user,
        event="licenses.shown",
        target=licence,
        data={
            "identifier": licence.identifier,
            "fields": list(chosen),
            "nonce": payload.nonce,
            "expires": expires_at.isoformat(),
        },
        source_ip=source_ip,
    )
    return ShowToken(
        token=token,
        expires_at=expires_at,
        released=tuple(available[key] for key in chosen),
    )
