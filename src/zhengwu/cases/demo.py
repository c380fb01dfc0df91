"""The cases part of the Liaoning demo, loaded by ``manage.py populate_demo`` after the
catalogue and identity demos (whose listings, organisations and accounts it uses):

- online-handling settings (form, process template, 秒批 decision table) of four
  Shenyang listings: 食品经营许可 (a single-department promised item of the market
  regulation bureau), 职工正常退休申请 (秒批 with the sample decision table workflows
  ships), and 企业设立登记 + 发票领用, the two items of
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

    def configs(self) -> None:
        editor = _user(data.CONFIG_USER)
        for key, wanted in data.CONFIGS:
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
    ]
