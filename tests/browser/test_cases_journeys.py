"""The "Must show" journeys of online case handling (issue 4) in headless Chromium at
360 px, on the demo data (the catalogue demo's Shenyang listings, the identity demo's
accounts, the cases demo's settings, bundle and hall):

1. a citizen applies for the single-department item, is asked to supplement,
   supplements; the reviewer accepts and works the tasks to a decision; the citizen
   downloads the result (a PDF carrying the case number) and rates it;
2. an enterprise's clerk applies for the "开办企业一件事" bundle; the reviewers of the
   two departments each complete their part; the bundle shows the combined result;
3. a counter clerk checks a walk-in applicant's ID and opens a case for her;
4. a 秒批 item is approved with no human step for a citizen over 60 by his verified
   ID number (no age typed), showing the rule that decided."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PASSWORD = "Zhengwu#2026"  # the demo's (catalog.demo.DEMO_PASSWORD)
ZHANG_MOBILE = "13900000101"
ZHAO_MOBILE = "13900000104"
SUN_MOBILE = "13900000105"  # 孙德厚, over 60 (identity.demo.CITIZENS)
SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class Demo:
    food: str
    retirement: str
    bundle_code: str
    scan: Path


@pytest.fixture
def demo(transactional_db, settings, tmp_path) -> Demo:
    """The demo loaded (committed, so the live server sees it)."""
    from zhengwu.cases import demo as cases_demo
    from zhengwu.cases.fixtures import demo as data
    from zhengwu.cases.tests.demo_world import load_demo

    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo()
    loader = cases_demo._Loader(PASSWORD, print)
    scan = tmp_path / "扫描件.pdf"
    scan.write_bytes(SCAN)
    return Demo(
        food=loader.code(data.FOOD_LICENCE),
        retirement=loader.code(data.RETIREMENT),
        bundle_code=data.BUNDLE["code"],
        scan=scan,
    )


def phone(new_page):
    """A 360 px page; generous timeouts, as a journey runs many server round trips
    on a machine that may be busy."""
    page = new_page(PHONE)
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    return page


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def citizen_log_in(page, base: str, login: str) -> None:
    """A citizen logs in with their mobile and password (no second factor)."""
    page.goto(base + "/accounts/login/")
    page.get_by_label("账号", exact=True).fill(login)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def case_pk(page) -> int:
    found = re.search(r"/cases/(\d+)/", page.url)
    assert found, page.url
    return int(found.group(1))


def case_number(pk: int) -> str:
    from zhengwu.cases.models import Case

    return Case.objects.get(pk=pk).number


def work_tasks(page, base: str, pk: int) -> int:
    """Claim and complete every task of case ``pk`` the signed-in reviewer can see,
    through the workbench case page, until none is left: 准予 at the decision,
    通过 at the other steps. Returns how many were completed."""
    from zhengwu.cases.models import CaseTask

    done = 0
    for _round in range(10):
        page.goto(f"{base}/workbench/cases/{pk}/")
        claim = page.locator("form[action*='/claim/'] button")
        if claim.count():
            with page.expect_navigation():
                claim.first.click()
        forms = page.locator("form[action*='/complete/']")
        if not forms.count():
            return done
        form = forms.first
        task_pk = int(re.search(r"/tasks/(\d+)/", form.get_attribute("action"))[1])
        role = CaseTask.objects.get(pk=task_pk).role
        box = page.locator("details.action-box", has=form)
        if not box.evaluate("el => el.open"):
            box.locator("summary").click()
        form.locator("select[name$='-outcome']").select_option(
            "approve" if role == "decider" else "pass"
        )
        form.locator("textarea[name$='-opinion']").fill("经审查，符合条件。")
        with page.expect_navigation():
            form.get_by_role("button", name="提交办理结果").click()
        done += 1
    raise AssertionError(f"tasks of case {pk} never ran out after {done}")


def test_citizen_applies_supplements_and_rates_the_result(
    demo, live_server, new_page, staff_log_in, shot
):
    import pypdf

    base = live_server.url
    # given 张丽华 on the food licence's page
    citizen = phone(new_page)
    citizen_log_in(citizen, base, ZHANG_MOBILE)
    citizen.goto(f"{base}/items/{demo.food}/")
    citizen.locator("#apply-online").click()
    citizen.get_by_label("新办").check()
    citizen.get_by_role("button", name="下一步：填写申请表").click()
    shot(citizen, "cases-apply-form-360")
    assert fits(citizen)

    # when she fills the form and attaches the four necessary materials
    citizen.fill("#id_f-shop_name", "丽华生鲜超市")
    citizen.fill("#id_f-business_address", "沈阳市和平区太原北街12号")
    citizen.get_by_label("餐饮服务经营者").check()
    citizen.fill("#id_f-business_area", "120")
    uploads = citizen.locator("input[type=file][name^='material-']")
    assert uploads.count() >= 4
    for index in range(uploads.count()):
        uploads.nth(index).set_input_files(str(demo.scan))
    with citizen.expect_navigation():
        citizen.locator("#submit-application").click()

    # then the case has its number and waits for acceptance
    pk = case_pk(citizen)
    number = case_number(pk)
    assert number.startswith(demo.food) and number in citizen.content()
    assert "待受理" in citizen.inner_text("main")
    shot(citizen, "cases-submitted-360")

    # when the reviewer asks for a supplement, listing everything at once
    reviewer = phone(new_page)
    staff_log_in(reviewer, base, "shenpi_shichang", PASSWORD)
    reviewer.goto(f"{base}/workbench/")
    assert number in reviewer.content()
    shot(reviewer, "cases-workbench-inbox-360")
    reviewer.goto(f"{base}/workbench/cases/{pk}/")
    reviewer.locator("summary", has_text="一次性告知补正").click()
    reviewer.locator("#id_items-0-material").select_option(label="营业执照")
    reviewer.locator("#id_items-0-reason").fill("营业执照扫描件不清晰，请重新上传。")
    reviewer.locator("#id_items-1-reason").fill("请在补正说明中写明经营场所的产权人。")
    with reviewer.expect_navigation():
        reviewer.locator("form[action$='/supplement/'] button[type=submit]").click()
    assert "待补正" in reviewer.inner_text("main")

    # then the citizen sees both items and answers on the same case
    citizen.goto(f"{base}/cases/{pk}/")
    notice = citizen.locator("#supplement")
    assert "营业执照扫描件不清晰" in notice.inner_text()
    assert "产权人" in notice.inner_text()
    shot(citizen, "cases-supplement-requested-360")
    notice.locator("input[type=file]").first.set_input_files(str(demo.scan))
    citizen.locator("#id_note").fill("已重新扫描营业执照；经营场所产权人为张丽华本人。")
    with citizen.expect_navigation():
        citizen.locator("#submit-supplement").click()
    assert "待受理" in citizen.inner_text("main")

    # when the reviewer accepts and works 审查 → 决定 → 制证 → 送达
    reviewer.goto(f"{base}/workbench/cases/{pk}/")
    reviewer.locator("summary", has_text=re.compile("^受理")).first.click()
    reviewer.locator("form[action$='/accept/'] textarea").fill(
        "补正后材料齐全，予以受理。"
    )
    with reviewer.expect_navigation():
        reviewer.locator("form[action$='/accept/'] button[type=submit]").click()
    shot(reviewer, "cases-workbench-accepted-360")
    work_tasks(reviewer, base, pk)
    from zhengwu.cases.models import CaseTask

    steps = list(
        CaseTask.objects.filter(case_id=pk)
        .order_by("pk")
        .values_list("name", "status", "completed_by__username")
    )
    assert steps == [
        (name, "done", "shenpi_shichang") for name in ("审查", "决定", "制证", "送达")
    ]
    shot(reviewer, "cases-workbench-decided-360")
    assert fits(reviewer)

    # then the citizen downloads the decision: a PDF carrying the case number
    citizen.goto(f"{base}/cases/{pk}/")
    assert "准予" in citizen.inner_text("main")
    shot(citizen, "cases-approved-360")
    href = citizen.locator("#download-result").get_attribute("href")
    response = citizen.request.get(base + href)
    assert response.ok
    assert response.headers["content-type"].startswith("application/pdf")
    text = "".join(
        page.extract_text() or ""
        for page in pypdf.PdfReader(io.BytesIO(response.body())).pages
    )
    assert number in text.replace(" ", "").replace("\n", "")

    # and rates it
    rating = citizen.locator("#rating-form")
    rating.get_by_label("非常满意").check()
    rating.get_by_label("办事效率").check()
    rating.locator("textarea").fill("补正一次说清楚，办得很快。")
    with citizen.expect_navigation():
        citizen.locator("#submit-rating").click()
    assert "非常满意" in citizen.locator("#rating").inner_text()
    shot(citizen, "cases-rated-360")
    assert fits(citizen)

    # and every step reached her messages; her demo booking is on its page
    citizen.goto(f"{base}/messages/")
    messages = citizen.inner_text("main")
    for title in ("请补正材料", "申请已受理", "办理结果已作出"):
        assert title in messages
    shot(citizen, "cases-messages-360")
    citizen.goto(f"{base}/appointments/")
    assert "沈阳市政务服务中心" in citizen.inner_text("main")
    shot(citizen, "cases-appointments-360")
    assert fits(citizen)


def test_enterprise_bundle_is_handled_by_two_departments_in_parallel(
    demo, live_server, new_page, staff_log_in, shot
):
    from zhengwu.cases.models import Case, CaseBundle

    base = live_server.url
    # given the enterprise's clerk 赵敏 acting for 沈阳盛京示范科技有限公司
    clerk = phone(new_page)
    citizen_log_in(clerk, base, ZHAO_MOBILE)
    clerk.goto(f"{base}/me/authorisations/")
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="开始代办").first.click()
    assert "正在代 沈阳盛京示范科技有限公司" in clerk.content()

    # when she applies for the bundle once
    clerk.goto(f"{base}/bundles/{demo.bundle_code}/apply/")
    shot(clerk, "cases-bundle-apply-360")
    clerk.fill("#id_f-proposed_name", "沈阳盛京示范餐饮有限公司")
    clerk.fill("#id_f-company_address", "沈阳市和平区南京北街100号")
    clerk.fill("#id_f-registered_capital", "50")
    clerk.get_by_label("数电普通发票").check()
    clerk.fill("#id_f-invoice_quota", "10")
    uploads = clerk.locator("input[type=file]")
    for index in range(uploads.count()):
        uploads.nth(index).set_input_files(str(demo.scan))
    with clerk.expect_navigation():
        clerk.locator("#submit-bundle").click()
    found = re.search(r"/bundles/(\d+)/", clerk.url)
    assert found, clerk.url
    bundle = CaseBundle.objects.get(pk=int(found.group(1)))
    cases = list(Case.objects.filter(bundle=bundle).order_by("pk"))
    assert len({case.organisation_id for case in cases}) == 2
    shot(clerk, "cases-bundle-submitted-360")

    # and the market regulation reviewer accepts it once, for both departments
    market = phone(new_page)
    staff_log_in(market, base, "shenpi_shichang", PASSWORD)
    own = next(c for c in cases if "市场监督" in c.organisation.name)
    other = next(c for c in cases if c.pk != own.pk)
    market.goto(f"{base}/workbench/cases/{own.pk}/")
    market.locator("summary", has_text=re.compile("^受理")).first.click()
    with market.expect_navigation():
        market.locator("form[action$='/accept/'] button[type=submit]").click()
    assert set(Case.objects.filter(bundle=bundle).values_list("status", flat=True)) == {
        "accepted"
    }

    # then each department's reviewer works their own part, neither seeing the other's
    tax = phone(new_page)
    staff_log_in(tax, base, "shenpi_shuiwu", PASSWORD)
    tax.goto(f"{base}/workbench/")
    assert other.number in tax.content() and own.number not in tax.content()
    shot(tax, "cases-bundle-tax-inbox-360")
    assert work_tasks(market, base, own.pk)
    assert work_tasks(tax, base, other.pk)
    assert set(Case.objects.filter(bundle=bundle).values_list("status", flat=True)) == {
        "approved"
    }
    completed_by = {
        task.completed_by.get_username()
        for case in Case.objects.filter(bundle=bundle)
        for task in case.tasks.all()
    }
    assert completed_by == {"shenpi_shichang", "shenpi_shuiwu"}

    # and the bundle shows the combined result
    clerk.goto(f"{base}/bundles/{bundle.pk}/")
    text = clerk.inner_text("main")
    assert own.number in text and other.number in text
    assert text.count("准予") >= 2
    shot(clerk, "cases-bundle-result-360")
    assert fits(clerk)


def test_counter_clerk_opens_a_case_for_a_walk_in(
    demo, live_server, new_page, staff_log_in, shot
):
    from zhengwu.cases.models import Case
    from zhengwu.identity.demo import WALK_IN

    base = live_server.url
    # given the counter clerk has checked 刘桂芝's ID card at the counter
    page = phone(new_page)
    staff_log_in(page, base, "chuangkou_shenyang", PASSWORD)
    page.goto(base + "/staff/counter/")
    page.fill("#id_name", WALK_IN.name)
    page.fill("#id_id_number", WALK_IN.id_number)
    with page.expect_navigation():
        page.get_by_role("button", name="开始现场代办").click()
    assert "已开始现场代办" in page.content()
    shot(page, "cases-counter-visit-360")

    # when the clerk opens the food licence (注销) for her on the workbench counter
    page.goto(f"{base}/workbench/counter/?listing={demo.food}")
    page.locator("#counter-item").select_option("04")
    page.fill("#id_f-applicant_name", WALK_IN.name)
    page.fill("#id_f-contact_mobile", "13900000109")
    page.fill("#id_f-shop_name", "桂芝小卖部")
    page.fill("#id_f-business_address", "沈阳市和平区十一纬路5号")
    page.locator("#id_f-business_type").select_option("food_sales")
    page.fill("#id_f-business_area", "20")
    shot(page, "cases-counter-form-360")
    uploads = page.locator("input[type=file]")
    for index in range(uploads.count()):
        uploads.nth(index).set_input_files(str(demo.scan))
    with page.expect_navigation():
        page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()

    # then a counter case is in her name, its scans checked by staff (credibility B)
    case = Case.objects.filter(channel="counter").get()
    assert case.applicant_name == WALK_IN.name
    assert case.status == "submitted" and case.number
    assert set(case.materials.values_list("credibility", flat=True)) == {"B"}
    assert case.number in page.content()
    shot(page, "cases-counter-submitted-360")
    assert fits(page)
    assert get_user_model().objects.get(pk=case.submitted_by_id).get_username() == (
        "chuangkou_shenyang"
    )

    # and it follows the same flow: the department's reviewer accepts it
    reviewer = phone(new_page)
    staff_log_in(reviewer, base, "shenpi_shichang", PASSWORD)
    reviewer.goto(f"{base}/workbench/cases/{case.pk}/")
    assert "窗口" in reviewer.inner_text("main")
    assert "B级" in reviewer.inner_text("main")
    reviewer.locator("summary", has_text=re.compile("^受理")).first.click()
    with reviewer.expect_navigation():
        reviewer.locator("form[action$='/accept/'] button[type=submit]").click()
    case.refresh_from_db()
    assert case.status == "accepted" and case.tasks.filter(status="open").exists()
    shot(reviewer, "cases-counter-case-accepted-360")


def test_instant_approval_needs_no_human_step(demo, live_server, new_page, shot):
    from zhengwu.cases.models import Case

    base = live_server.url
    # given 孙德厚 (born 1956 by his verified ID number) applying for 职工正常退休申请
    # (秒批 on the sample decision table, which takes the age from the ID number)
    page = phone(new_page)
    citizen_log_in(page, base, SUN_MOBILE)
    page.goto(f"{base}/items/{demo.retirement}/apply/")
    choose = page.get_by_label("企业职工正常退休")
    if choose.count():
        choose.check()
        page.get_by_role("button", name="下一步：填写申请表").click()

    # when he declares a Liaoning household, with his materials: no age is asked
    assert page.locator("[name='f-age']").count() == 0
    province = page.locator("[name='f-province']")
    if province.first.evaluate("el => el.tagName") == "SELECT":
        province.select_option("辽宁省")
    else:
        page.get_by_label("辽宁省", exact=True).check()
    uploads = page.locator("input[type=file][name^='material-']")
    for index in range(uploads.count()):
        uploads.nth(index).set_input_files(str(demo.scan))
    with page.expect_navigation():
        page.locator("#submit-application").click()

    # then the case is approved at once by the rule, with no staff user involved
    pk = case_pk(page)
    case = Case.objects.get(pk=pk)
    assert case.status == "approved"
    assert case.decided_by_id is None and not case.tasks.exists()
    assert case.decided_by_rule == "年满60周岁的辽宁省户籍居民，准予"
    assert "age" not in case.form_data  # decided on his ID number's birth date
    text = page.inner_text("main")
    assert "准予" in text
    assert "命中规则：年满60周岁的辽宁省户籍居民，准予" in (
        page.locator("#decided-by-rule").inner_text()
    )
    shot(page, "cases-instant-approved-360")
    assert fits(page)
