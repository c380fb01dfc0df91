"""/api/v1/identity/accounts/: requesting an SMS code.

Logging in stays on the pages (password, then the staff second factor, in a
session with CSRF protection): no operation here exchanges a password or a code for
a session or a token. Department systems log users in through OpenID Connect."""

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ninja import Field, Router, Schema, Status

from zhengwu.core.middleware import client_ip
from zhengwu.core.schemas import error_responses

from . import otp

router = Router(tags=["identity"])


class SmsCodeIn(Schema):
    mobile: str = Field(
        min_length=11, max_length=11, examples=["13900000000"], description="手机号码"
    )
    purpose: Literal["login", "register"] = Field(
        "login", description="login：验证码登录；register：个人用户注册"
    )


class SmsCodeOut(Schema):
    message: str = Field(examples=["如该手机号码已注册，验证码已发送，5分钟内有效。"])
    expires_in_seconds: int = Field(examples=[300])


@router.post(
    "/sms-codes",
    response={202: SmsCodeOut, **error_responses(400, 422, 429)},
    auth=None,
    summary="发送短信验证码",
    description=(
        "向手机号码发送6位短信验证码（5分钟内有效，只能使用一次）。登录用途时，"
        "无论号码是否已注册，回答都相同。同一号码每60秒1条、每天10条，同一来源地址"
        "每小时20条；超出时返回429。"
    ),
)
def request_sms_code(request: HttpRequest, payload: SmsCodeIn) -> Status:
    otp.send_code(
        mobile=payload.mobile, purpose=payload.purpose, source_ip=client_ip(request)
    )
    message = (
        _("如该手机号码已注册，验证码已发送，5分钟内有效。")
        if payload.purpose == "login"
        else _("验证码已发送，5分钟内有效。")
    )
    return Status(
        202,
        SmsCodeOut(
            message=message,
            expires_in_seconds=settings.ZHENGWU_SMS_CODE_MINUTES * 60,
        ),
    )
