"""Electronic seals and signatures: SM2 key pairs (GmSSL), the canonical metadata
of a licence (GB/T 36903 fields, standards §5.2) and its SM2 signature."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

import structlog

from zhengwu.core import audit
from zhengwu.core.models import Organisation
from zhengwu.identity.facade import staff_scope

from .constants import HOLDER_CODE_TYPES, HolderKind
from .models import Seal

logger = structlog.get_logger(__name__)


@contextlib.contextmanager
def _quiet_stderr():
    """GmSSL prints to file descriptor 2 when a signature does not verify; a
    refused signature is an answer here, not an error to log."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@transaction.atomic
def seal_register(
    *,
    organisation: Organisation,
    name: str,
    acting_user: AbstractBaseUser | None,
    image: bytes | None = None,
    actor_label: str = "",
) -> Seal:
    """Generate an SM2 key pair for ``organisation``'s seal; the private key is
    stored SM4-encrypted, the public key as hex. A department editor of the
    organisation registers it (``None``: a system process named by
    ``actor_label``, e.g. the demo seed)."""
    from gmssl_pyx import sm2_key_generate

    from .errors import not_permitted

    if acting_user is not None and not staff_scope(acting_user).can_edit_organisation(
        organisation.pk
    ):
        raise not_permitted(_("只有本机构的事项编辑人员可以登记电子印章。"))

    public, private = sm2_key_generate()
    seal = Seal(
        organisation=organisation,
        name=name,
        image=image,
        public_key=public.hex(),
        private_key=private.hex(),
        active=True,
    )
    seal.full_clean()
    seal.save()
    audit.record(
        acting_user=acting_user,
        actor_label=actor_label,
        event="licenses.seal_registered",
        target=seal,
        data={
            "organisation": organisation.credit_code,
            "name": name,
            "public_key": seal.public_key,
        },
    )
    logger.info("seal_registered", seal_id=seal.pk, organisation_id=organisation.pk)
    return seal


def canonical_json(value: dict[str, Any]) -> str:
    """Sorted keys, no spaces, Chinese as itself: the bytes that are signed."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _date(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


def licence_metadata(
    *,
    identifier: str,
    licence_name: str,
    type_name: str,
    type_code: str,
    serial: str,
    issuer_name: str,
    issuer_code: str,
    issued_on: datetime.date,
    holder_name: str,
    holder_code: str,
    holder_kind: str,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
    division_code: str,
    file_sm3: str,
) -> dict[str, Any]:
    """The GB/T 36903 metadata fields of one licence (standards §5.2) and the SM3
    digest of its rendered file."""
    code_type, code_type_name = HOLDER_CODE_TYPES[HolderKind(holder_kind)]
    return {
        "identifier": identifier,  # 证照标识
        "licence_name": licence_name,  # 证照名称
        "type_name": type_name,  # 证照类型名称
        "type_code": type_code,  # 证照类型代码
        "licence_number": serial,  # 证照编号
        "issuer_name": issuer_name,  # 证照颁发机构
        "issuer_code": issuer_code,  # 颁发机构代码
        "issued_on": _date(issued_on),  # 颁发日期
        "holder_name": holder_name,  # 持证主体
        "holder_code": holder_code,  # 持证主体代码
        "holder_code_type": code_type,  # 持证主体代码类型
        "holder_code_type_name": code_type_name,
        "valid_from": _date(valid_from),  # 有效期起始日期
        "valid_until": _date(valid_until),  # 有效期截止日期（空：长期）
        "division_code": division_code,  # 证照所属管辖属地
        "file_sm3": file_sm3,
    }


def sign(*, seal: Seal, payload: str, licence_identifier: str) -> str:
    """SM2 signature (DER, hex) of ``payload`` with ``seal``'s private key; each
    use of a seal is audited (in the caller's transaction)."""
    from gmssl_pyx import sm2_sign

    signature = sm2_sign(
        bytes.fromhex(seal.private_key),
        bytes.fromhex(seal.public_key),
        payload.encode(),
    ).hex()
    audit.record(
        acting_user=None,
        actor_label="system:licenses",
        event="licenses.seal_used",
        target=seal,
        data={"identifier": licence_identifier},
    )
    return signature


def verify_signature(*, public_key_hex: str, payload: str, signature_hex: str) -> bool:
    """True when ``signature_hex`` is ``payload``'s SM2 signature under the key;
    False for a wrong or malformed signature or key."""
    from gmssl_pyx import GmsslInnerError, InvalidValueError, sm2_verify

    try:
        public = bytes.fromhex(public_key_hex)
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    try:
        with _quiet_stderr():
            return bool(sm2_verify(public, payload.encode(), signature))
    except (GmsslInnerError, InvalidValueError, ValueError, TypeError):
        return False  # malformed key or signature


def seal_png(seal: Seal) -> io.BytesIO | None:
    return io.BytesIO(bytes(seal.image)) if seal.image else None
