"""Forms of the login, registration and password pages. They check shape only; the
services (login, otp, accounts, persons) decide."""

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from zhengwu.core.validators import is_valid_id_number, normalise_code

from .otp import MOBILE_RE


class LoginForm(forms.Form):
    login_name = forms.CharField(
        label=_("账号"),
        max_length=150,
        help_text=_("工作人员填写用户名；个人填写身份证号码或手机号码。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=_("密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("动态验证码"),
        min_length=6,
        max_length=6,
        help_text=_("打开身份验证器应用，输入当前显示的6位数字。"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
            }
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(_("请输入6位数字。"))
        return code


def _mobile_field(**extra: Any) -> forms.CharField:
    return forms.CharField(
        label=_("手机号码"),
        max_length=11,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}),
        **extra,
    )


def _sms_code_field() -> forms.CharField:
    return forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


def clean_id_number_value(value: str) -> str:
    """An ID number as stored (``normalise_code``), or ValidationError."""
    number = normalise_code(value)
    if not is_valid_id_number(number):
        raise forms.ValidationError(_("公民身份号码不正确，请核对。"))
    return number


def clean_mobile_value(value: str) -> str:
    value = value.strip()
    if not MOBILE_RE.match(value):
        raise forms.ValidationError(_("请输入11位手机号码。"))
    return value


class SmsLoginForm(forms.Form):
    """Step one sends the code (``action=send``), step two logs in."""

    mobile = _mobile_field()
    code = _sms_code_field()

    def clean_mobile(self) -> str:
        return clean_mobile_value(self.cleaned_data["mobile"])


class NewPasswordForm(forms.Form):
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        max_length=128,
        help_text=_(
            "至少8位，包含大写字母、小写字母、数字、符号中的至少三类；"
            "不能包含用户名，不能与最近5次使用过的密码相同。"
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("两次输入的密码不一致。"))
        return data


class PasswordChangeForm(NewPasswordForm):
    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]


class RegistrationForm(forms.Form):
    name = forms.CharField(
        label=_("姓名"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=18,
        help_text=_("18位，最后一位可能是X。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters"}
        ),
    )
    mobile = _mobile_field()
    code = _sms_code_field()
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        max_length=128,
        help_text=_("至少8位，包含大写字母、小写字母、数字、符号中的至少三类。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_id_number(self) -> str:
        return clean_id_number_value(self.cleaned_data["id_number"])

    def clean_mobile(self) -> str:
        return clean_mobile_value(self.cleaned_data["mobile"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif one:
            try:
                password_validation.validate_password(one)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class PasswordResetForm(NewPasswordForm):
    """找回密码: ID number and mobile (``action=send`` texts a code), then the code
    and the new password twice."""

    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=18,
        help_text=_("18位，最后一位可能是X。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters"}
        ),
    )
    mobile = _mobile_field(help_text=_("注册时填写的手机号码。"))
    code = _sms_code_field()
    field_order = ["id_number", "mobile", "code", "new_password1", "new_password2"]

    def clean_id_number(self) -> str:
        return clean_id_number_value(self.cleaned_data["id_number"])

    def clean_mobile(self) -> str:
        return clean_mobile_value(self.cleaned_data["mobile"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        one = data.get("new_password1")
        if one and "new_password2" not in self.errors:
            try:
                password_validation.validate_password(one)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return data
