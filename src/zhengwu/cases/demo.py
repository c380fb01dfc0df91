"""The cases part of the Liaoning demo, loaded by ``manage.py populate_demo`` after the
catalogue, identity and licences demos (whose listings, organisations, accounts and
licence type it uses):

- online-handling settings (form, process template, 秒批 decision table) of five
  Shenyang listings: 食品经营许可 (a single-department promised item of the market
  regulation bureau, whose 营业执照 an electronic 个体工商户营业执照 may replace),
  个体工商户登记 (approval issues that licence), 职工正常退休申请 (秒批 with the
  sample decision table workflows ships), and 企业设立登记 + 发票领用, the two items of
- the bundle "开办企业一件事（沈阳市）" (market regulation and tax bureau, with a
  reviewer account for the tax bureau);
- the 沈阳市政务服务中心 hall with four windows and appointment slots on the next
  working days (from the platform's calendar; a year not entered yet is left out,
  never guessed);
- example cases of the demo citizen 张丽华 in several states, and her booking at
  the hall; a 秒批 case of 孙德厚 (over 60 by his ID number).

Everything goes through the services staff and applicants use, and is looked up by
its natural key first (settings by listing, bundle by code, hall by organisation and
name, window by number, slots by window and day, example cases by their submission
key), so a second run changes nothing and writes no audit record. The data is in
:mod:`zhengwu.cases.fixtures.demo`."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F

import structlog

from zhengwu.catalog.facade import listing_code_for, listing_for_application
from zhengwu.core import audit
from zhengwu.core.calendar import CalendarYearUnknownError, WorkingCalendar
from zhengwu.core.models import Division, Organisation
from zhengwu.identity.facade import identity_demo_staff_ensure, identity_demo_user
from zhengwu.licenses.facade import licence_types_named

from . import appointments, deadlines, services
from .constants import AppointmentStatus, CaseStatus
from .fixtures import demo as data
from .models import (
    Appointment,
    AppointmentSlot,
    BundleDefinition,
    Case,
    HandlingConfig,
    ServiceHall,
    ServiceWindow,
)

logger = structlog.get_logger(__name__)

# 电子证照 (the licences demo, loaded before this one, defines the type): approving
# a 个体工商户登记 case issues the applicant a 个体工商户营业执照, which a later
# 食品经营许可 application may hand in instead of uploading its 营业执照 (免于提交).
SOLE_TRADER = (data.MARKET, "个体工商户登记")
SOLE_TRADER_LICENCE = "个体工商户营业执照"  # licenses.demo.SOLE_TRADER_LICENCE
LICENCE_MATERIAL = "营业执照"  # the 食品经营许可 guide's material it replaces
SOLE_TRADER_FORM = {
    "type": "object",
    "properties": {
        "applicant_name": {"type": "string", "title": "经营者姓名", "maxLength": 50},
        "contact_mobile": data.MOBILE,
        "trade_name": {
            "type": "string",
            "title": "个体工商户名称",
            "minLength": 1,
            "maxLength": 100,
        },
        "organisation_form": {
            "type": "string",
            "title": "组成形式",
            "enum": ["个人经营", "家庭经营"],
        },
        "business_address": {
            "type": "string",
            "title": "经营场所",
            "minLength": 1,
            "maxLength": 200,
        },
        "business_scope": {
            "type": "string",
            "title": "经营范围",
            "minLength": 1,
            "maxLength": 500,
            "format": "textarea",
        },
        "staff_count": {
            "type": "integer",
            "title": "从业人数",
            "minimum": 1,
            "maximum": 1000,
        },
    },
    "required": [
        "applicant_name",
        "contact_mobile",
        "trade_name",
        "organisation_form",
        "business_address",
        "business_scope",
    ],
    "additionalProperties": False,
}


class CasesDemoError(Exception):
    """The cases demo cannot be loaded (the catalogue or identity demo is missing)."""


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CasesDemoError(
            f"缺少演示账号 {username}，请先加载事项目录和身份演示数据（populate_demo）。"
        )
    return user


def _organisation(name: str, division: str = data.CITY) -> Organisation:
    organisation = Organisation.objects.filter(
        division__code=division, name=name
    ).first()
    if organisation is None:
        raise CasesDemoError(f"缺少演示单位“{name}”，请先加载事项目录演示数据。")
    return organisation


class _Loader:
    def __init__(self, password: str, log: Callable[[str], None]) -> None:
        self.password = password
        self.log = log
        self.codes: dict[tuple[str, str], str] = {}
        self.created: dict[str, int] = {
            "staff": 0,
            "configs": 0,
            "bundles": 0,
            "halls": 0,
            "windows": 0,
            "slots": 0,
            "cases": 0,
            "appointments": 0,
        }

    def code(self, key: tuple[str, str]) -> str:
        if key not in self.codes:
            organisation_name, item_name = key
            code = listing_code_for(
                organisation_id=_organisation(organisation_name).pk,
                item_name=item_name,
            )
            if code is None or listing_for_application(code) is None:
                raise CasesDemoError(
                    f"缺少已发布的实施清单“{organisation_name} · {item_name}”，"
                    "请先加载事项目录演示数据。"
                )
            self.codes[key] = code
        return self.codes[key]

    # staff

    def staff(self) -> None:
        for username, full_name, role, organisation_name in data.STAFF:
            if identity_demo_staff_ensure(
                username=username,
                full_name=full_name,
                role=role,
                organisation_id=_organisation(organisation_name).pk,
                password=self.password,
            ):
                self.created["staff"] += 1

    # handling settings

    @staticmethod
    def licence_code() -> str:
        codes = licence_types_named([SOLE_TRADER_LICENCE]).get(SOLE_TRADER_LICENCE)
        if not codes:
            raise CasesDemoError(
                f"缺少电子证照类型“{SOLE_TRADER_LICENCE}”，请先加载电子证照演示数据"
                "（populate_demo）。"
            )
        return codes[0]

    @classmethod
    def wanted_configs(cls) -> list[tuple[tuple[str, str], dict[str, Any]]]:
        """The settings of the fixtures, with the licence issued by 个体工商户登记
        and the 食品经营许可 material it may replace."""
        code = cls.licence_code()
        configs = [(key, dict(wanted)) for key, wanted in data.CONFIGS]
        for key, wanted in configs:
            if key == data.FOOD_LICENCE:
                wanted["licence_materials"] = {LICENCE_MATERIAL: code}
        configs.append(
            (
                SOLE_TRADER,
                {
                    "form_schema": SOLE_TRADER_FORM,
                    "process_template": "single",
                    "licence_type_code": code,
                },
            )
        )
        return configs

    def configs(self) -> None:
        editor = _user(data.CONFIG_USER)
        for key, wanted in self.wanted_configs():
            code = self.code(key)
            config = HandlingConfig.objects.filter(listing_code=code).first()
            changed = {
                name: value
                for name, value in wanted.items()
                if config is None or getattr(config, name) != value
            }
            if not changed:
                continue
            services.handling_config_set(
                listing_code=code, acting_user=editor, **changed
            )
            self.created["configs"] += 1

    # bundle

    def bundle(self) -> None:
        spec = data.BUNDLE
        codes = [self.code(key) for key in spec["listings"]]
        wanted = {
            "name": spec["name"],
            "description": spec["description"],
            "listing_codes": codes,
            "form_schema": spec["form_schema"],
            "division": Division.objects.get(code=spec["division"]),
            "is_active": True,
        }
        found = BundleDefinition.objects.filter(code=spec["code"]).first()
        if found is not None and all(
            getattr(found, name) == value for name, value in wanted.items()
        ):
            return
        editor = _user(data.CONFIG_USER)
        with transaction.atomic():
            bundle, created = BundleDefinition.objects.update_or_create(
                code=spec["code"], defaults=wanted
            )
            audit.record(
                acting_user=editor,
                event="cases.bundle_defined",
                target=bundle,
                data={"code": bundle.code, "listings": codes, "created": created},
            )
        self.created["bundles"] += 1

    # hall, windows, slots

    def hall(self, today: datetime.date) -> None:
        spec = data.HALL
        clerk = _user(data.HALL_USER)
        organisation = _organisation(spec["organisation"], spec["division"])
        hall = ServiceHall.objects.filter(
            organisation=organisation, name=spec["name"]
        ).first()
        if hall is None:
            hall = appointments.hall_save(
                acting_user=clerk,
                organisation_id=organisation.pk,
                division_id=organisation.division_id,
                name=spec["name"],
                address=spec["address"],
            )
            self.created["halls"] += 1
        days = self.working_days(today, spec["working_days"])
        for number, name, keys in spec["windows"]:
            codes = [self.code(key) for key in keys]
            window = ServiceWindow.objects.filter(hall=hall, number=number).first()
            if window is None or (window.name, window.listing_codes) != (name, codes):
                window = appointments.window_save(
                    acting_user=clerk,
                    hall_id=hall.pk,
                    number=number,
                    name=name,
                    listing_codes=codes,
                )
                self.created["windows"] += 1
            having = set(
                AppointmentSlot.objects.filter(
                    window=window, date__in=days
                ).values_list("date", flat=True)
            )
            missing = [day for day in days if day not in having]
            if missing:
                self.created["slots"] += appointments.slots_generate(
                    acting_user=clerk,
                    window_id=window.pk,
                    date_from=min(missing),
                    date_to=max(missing),
                    capacity=spec["capacity"],
                )

    @staticmethod
    def working_days(today: datetime.date, count: int) -> list[datetime.date]:
        """The next ``count`` working days after ``today`` that the calendar knows;
        fewer when they run into a year not entered yet (logged, never guessed)."""
        calendar = WorkingCalendar()
        days: list[datetime.date] = []
        day = today
        while len(days) < count:
            day += datetime.timedelta(days=1)
            try:
                if calendar.is_working_day(day):
                    days.append(day)
            except CalendarYearUnknownError:
                logger.warning(
                    "cases_demo_slots_year_unknown",
                    year=day.year,
                    slots_days=len(days),
                )
                break
        return days

    # example cases

    def cases(self) -> None:
        reviewer = _user("shenpi_shichang")
        for who, key, listing_key, handling_item, form, state in data.EXAMPLE_CASES:
            citizen = identity_demo_user(who)
            if citizen is None:
                raise CasesDemoError(
                    f"缺少演示公众用户（{who}），请先加载身份演示数据。"
                )
            if Case.objects.filter(applicant=citizen, submission_key=key).exists():
                continue
            code = self.code(listing_key)
            listing = listing_for_application(code)
            if listing is None:
                raise CasesDemoError(f"实施清单 {code} 当前不可申请。")
            case = services.case_apply(
                user=citizen,
                acting=None,
                listing_code=code,
                form_data=dict(form),
                submission_key=key,
                handling_item_code=handling_item,
                materials=[
                    {
                        "material_name": name,
                        "filename": f"{name}.pdf",
                        "content": data.PDF,
                    }
                    for name in listing.required_material_names(handling_item)
                ],
            )
            self.created["cases"] += 1
            if case.status != CaseStatus.SUBMITTED:
                continue
            if state == "accepted":
                services.case_accept(
                    case_id=case.pk,
                    acting_user=reviewer,
                    opinion="材料齐全，符合法定形式，予以受理。",
                )
            elif state == "supplement":
                services.case_request_supplement(
                    case_id=case.pk,
                    acting_user=reviewer,
                    items=data.SUPPLEMENT_ITEMS,
                    note="请一次性补齐以上内容后重新提交。",
                )

    def appointment(self, today: datetime.date) -> None:
        """张丽华 holds a booking at the hall's window for her item (one upcoming
        booking kept; a new one only once the last has passed)."""
        citizen = identity_demo_user("zhang")
        number, listing_key = data.APPOINTMENT
        if Appointment.objects.filter(
            user=citizen,
            status=AppointmentStatus.BOOKED,
            slot__date__gt=today,
            slot__window__hall__name=data.HALL["name"],
        ).exists():
            return
        code = self.code(listing_key)
        slot = (
            AppointmentSlot.objects.filter(
                window__hall__name=data.HALL["name"],
                window__number=number,
                date__gt=today,
                booked__lt=F("capacity"),
            )
            .order_by("date", "starts_at")
            .first()
        )
        if slot is None:  # no slots (the calendar's next year not entered yet)
            return
        case = Case.objects.filter(
            applicant=citizen, submission_key=data.APPOINTMENT_CASE
        ).first()
        appointments.appointment_book(
            user=citizen,
            slot_id=slot.pk,
            listing_code=code,
            case_id=case.pk if case is not None else None,
        )
        self.created["appointments"] += 1


def populate(
    *, password: str, log: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Load the cases demo; returns how many of each kind were created."""
    loader = _Loader(password, log or (lambda _message: None))
    with transaction.atomic():
        loader.staff()
        loader.configs()
        loader.bundle()
        loader.hall(deadlines.today())
        loader.cases()
        loader.appointment(deadlines.today())
    logger.info("cases_demo_populated", **loader.created)
    return loader.created


def demo_logins(password: str) -> list[tuple[str, str, str, str, bool]]:
    """(username, password, role, organisation, exists) of the accounts the cases
    demo adds."""
    present = set(
        get_user_model()
        .objects.filter(username__in=[s[0] for s in data.STAFF])
        .values_list("username", flat=True)
    )
    return [
        (username, password, "审批人员", organisation, username in present)
        for username, _name, _role, organisation in data.STAFF
    ]


def demo_notes() -> list[str]:
    """What to try with the cases demo (printed by populate_demo and demo_logins)."""
    return [
        "网上办理：公众用户张丽华登录后，在“沈阳市市场监督管理局 · 食品经营许可”"
        "页面点击“在线申报”；审批人员 shenpi_shichang 在 /workbench/ 受理、"
        "要求补正（一次性告知）、审查、决定、制证、送达。",
        "秒批：“沈阳市人力资源和社会保障局 · 职工正常退休申请”，年龄不填写，"
        "按实名核验的身份证号码计算：年满60周岁的公众用户孙德厚申报户籍辽宁省"
        "（或持辽宁省居住证）即自动准予，办件显示命中的规则；"
        "不满60周岁的（如张丽华）转人工审查。",
        "一件事一次办：“开办企业一件事（沈阳市）”（/bundles/"
        f"{data.BUNDLE['code']}/apply/）：企业经办人赵敏在 /me/authorisations/ "
        "开始代办沈阳盛京示范科技有限公司后申请，一口受理，市场监管"
        "（shenpi_shichang）和税务（shenpi_shuiwu）并联办理。",
        "窗口收件：窗口人员 chuangkou_shenyang 在 /staff/counter/ 查验未注册的"
        "刘桂芝的身份证件，再到 /workbench/counter/ 为其办件；"
        "预约：沈阳市政务服务中心4个窗口，未来5个工作日的时段（/appointments/）。",
        "张丽华名下已有示例办件：审查中、待补正各一件（/cases/），"
        "以及下一个工作日在市政务服务中心1号窗口的预约（/appointments/）；"
        "孙德厚名下有一件秒批已办结的职工正常退休申请。",
        "电子证照（亮证、查证、用证）：张丽华已持有一张“个体工商户营业执照”"
        "（丽华便民超市），在 /licenses/mine/ 勾选照面信息项生成亮证二维码，"
        "查验方无需登录，打开链接、填写用证事由即可查证；王建国在“沈阳市市场监督"
        "管理局 · 个体工商户登记”在线申报（设立登记），shenpi_shichang 受理并准予后"
        "自动颁发电子营业执照；再申报“食品经营许可”时，“营业执照”一项可选用该证照"
        "（勾选同意，免于提交），审批人员看到证照库核验结果（可信等级A）。",
    ]
