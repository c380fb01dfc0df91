import io
import json
import zipfile

from django.core.management import call_command
from django.core.management.base import CommandError

import openpyxl
import pytest
from django_tasks_db.models import DBTaskResult

from zhengwu.catalog import services, transfer
from zhengwu.catalog.constants import ImportStatus, VersionStatus
from zhengwu.catalog.errors import CatalogError
from zhengwu.catalog.guide import Guide
from zhengwu.catalog.models import ImportJob, ListingVersion, Theme
from zhengwu.catalog.tasks import run_import
from zhengwu.catalog.tests.factories import (
    ListingVersionFactory,
    OrganisationFactory,
    complete_guide,
    grant,
)
from zhengwu.catalog.transfer_columns import (
    GUIDE,
    ITEM_SHEET,
    LIST_SHEETS,
    SHEETS,
)
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole


def rich_guide(**overrides) -> dict:
    """A guide using every part the workbook carries."""
    data = {
        "handling_items": [
            {"code": "01", "name": "首次申领"},
            {"code": "02", "name": "换领"},
        ],
        "materials": [
            {
                "name": "居民身份证",
                "material_type": "certificate",
                "source": "20",
                "source_note": "公安机关核发",
                "form": "both",
                "originals": 1,
                "copies": 2,
                "necessity": "1",
                "accept_standard": "在有效期内",
                "handling_items": ["01", "02"],
            },
            {
                "name": "申请表",
                "material_type": "form",
                "necessity": "3",
                "fill_instructions": "=用黑色签字笔填写",
            },
        ],
        "fees": [
            {
                "name": "工本费",
                "standard": "每本120元",
                "basis": "发改价格〔2017〕1186号",
                "waiver_allowed": True,
                "waiver_basis": "低保对象免收",
            }
        ],
        "is_fee": True,
        "supports_online_payment": True,
        "steps": [
            {"name": "受理", "role": "窗口人员", "limit": {"days": 1}},
            {"name": "审查", "role": "审核人员"},
            {
                "name": "决定",
                "role": "负责人",
                "limit": {"days": 2, "unit": "natural_day", "explanation": "含公示"},
            },
        ],
        "special_procedures": [
            {
                "name": "专家评审",
                "kind": "专家评审",
                "basis": "行政许可法第四十五条",
                "limit": {"days": 10},
                "counted_in_limit": False,
            }
        ],
        "faqs": [{"question": "可以代办吗？", "answer": "可以，需提供委托书。"}],
        "intermediaries": [{"name": "体检", "institutions": "指定医院"}],
        "consult_ways": "12345",
        "prohibitions": "",
        "power_source": "法定本级行使",
    }
    data.update(overrides)
    return complete_guide(**data)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def org(reference_data):
    return OrganisationFactory(name="辽宁省公安厅")


@pytest.fixture
def editor(org, make_user):
    user = make_user("editor")
    grant(user, org, StaffRole.DEPARTMENT_EDITOR)
    return user


@pytest.fixture
def published(org):
    """Two listings of ``org`` with a published version each."""
    return [
        ListingVersionFactory(
            published=True, listing__organisation=org, guide=rich_guide()
        ),
        ListingVersionFactory(published=True, listing__organisation=org),
    ]


def versions_of(published):
    return ListingVersion.objects.filter(pk__in=[v.pk for v in published]).order_by(
        "listing_id"
    )


def edit(content: bytes, changes: list[tuple[str, int, str, object]]) -> bytes:
    """Set cells (sheet, Excel row, column header, value) of a workbook."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    for title, row, header, value in changes:
        sheet = workbook[title]
        headers = [cell.value for cell in sheet[1]]
        sheet.cell(row=row, column=headers.index(header) + 1).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cells(result) -> set[tuple[str, int, str]]:
    return {(e.sheet, e.row, e.column) for e in result.errors}


# --- the mapping table -------------------------------------------------------


def test_every_guide_field_is_in_the_mapping_exactly_once():
    # given
    scalar = {c.path.split(".")[0] for c in ITEM_SHEET.columns if c.role == GUIDE}
    lists = [s.guide_list for s in LIST_SHEETS]
    # then
    assert scalar.isdisjoint(lists)
    assert scalar | set(lists) == set(Guide.model_fields)
    assert len(lists) == len(set(lists))
    for sheet in SHEETS:
        headers = [c.header for c in sheet.columns]
        exchange = [c.exchange for c in sheet.columns]
        assert len(headers) == len(set(headers)), sheet.title
        assert len(exchange) == len(set(exchange)), sheet.title


# --- round trip --------------------------------------------------------------


def test_exported_workbook_reimports_unchanged_then_one_change_makes_one_draft(
    editor, published
):
    # given
    content = transfer.export_workbook(versions_of(published))
    count = ListingVersion.objects.count()
    # when the export is imported back as is
    result = transfer.import_workbook(content, acting_user=editor)
    # then nothing changes
    assert result.errors == []
    assert sorted(result.unchanged) == sorted(v.listing.code for v in published)
    assert result.created == result.updated == []
    assert ListingVersion.objects.count() == count
    assert not AuditEvent.objects.filter(event="catalog.version_created").exists()

    # when one cell changes (承诺办结时限 of the first listing, on row 3)
    changed = edit(content, [("事项", 3, "承诺办结时限", 5)])
    result = transfer.import_workbook(changed, acting_user=editor, source_name="a.xlsx")
    # then exactly one new draft holds that change and nothing else
    first = published[0]
    assert result.errors == []
    assert result.created == [first.listing.code]
    assert result.unchanged == [published[1].listing.code]
    draft = ListingVersion.objects.get(pk=result.versions[first.listing.code])
    assert draft.status == VersionStatus.DRAFT
    assert draft.number == first.number + 1
    assert draft.change_reason == "批量导入：a.xlsx"
    expected = dict(first.guide, promised_limit=dict(first.guide["promised_limit"]))
    expected["promised_limit"]["days"] = 5
    assert draft.guide == expected
    assert ListingVersion.objects.count() == count + 1
    created = AuditEvent.objects.filter(event="catalog.version_created")
    assert list(created.values_list("target_id", flat=True)) == [str(draft.pk)]
    assert AuditEvent.objects.filter(event="catalog.import_applied").count() == 1

    # when the same workbook is imported again, it equals the open draft
    again = transfer.import_workbook(changed, acting_user=editor)
    assert again.unchanged == sorted(again.unchanged) and len(again.unchanged) == 2
    assert ListingVersion.objects.count() == count + 1

    # when a further change comes, the open draft is updated, not duplicated
    further = edit(changed, [("材料", 3, "复印件份数", 3)])
    result = transfer.import_workbook(further, acting_user=editor)
    assert result.updated == [first.listing.code]
    assert ListingVersion.objects.count() == count + 1
    draft.refresh_from_db()
    assert draft.guide["materials"][0]["copies"] == 3
    assert AuditEvent.objects.filter(
        event="catalog.version_updated", target_id=str(draft.pk)
    ).exists()


def test_workbook_layout_is_self_describing(published):
    # when
    content = transfer.export_workbook(versions_of(published))
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    # then
    assert workbook.sheetnames == [s.title for s in SHEETS] + ["字段对照"]
    items = workbook["事项"]
    assert items.row_dimensions[2].hidden
    header = {
        cell.value: items.cell(row=2, column=cell.column).value for cell in items[1]
    }
    assert header["实施编码"] == "task_code"
    assert header["法定办结时限"] == "anticipate_day"
    row = {cell.value: items.cell(row=3, column=cell.column).value for cell in items[1]}
    assert row["是否收费"] == "是"
    assert row["办件类型"] == "承诺件"
    assert row["行使层级"] == "省级"
    assert (
        row["网上办理深度"]
        == "互联网咨询、互联网收件、互联网预审、互联网受理、互联网办理"
    )
    materials = workbook["材料"]
    first = {
        cell.value: materials.cell(row=3, column=cell.column) for cell in materials[1]
    }
    assert first["材料必要性"].value == "必要"
    assert first["来源渠道"].value == "政府部门核发"
    second = {
        cell.value: materials.cell(row=4, column=cell.column) for cell in materials[1]
    }
    # text starting with "=" stays text, never a formula
    assert second["填报须知"].value == "=用黑色签字笔填写"
    assert second["填报须知"].data_type == "s"
    assert workbook["流程"].max_row == 2 + 3 + 3  # header rows + steps of both


# --- malformed files ---------------------------------------------------------


def test_malformed_workbook_reports_every_bad_cell_and_changes_nothing(
    editor, published
):
    # given an export with bad cells on several sheets
    content = transfer.export_workbook(versions_of(published))
    bad = edit(
        content,
        [
            ("事项", 3, "事项名称", "改过的名称"),
            ("事项", 3, "是否收费", "收"),
            ("事项", 3, "网上办理深度", "互联网咨询、上门办理"),
            ("事项", 4, "法定办结时限", "二十"),
            ("事项", 4, "到办事现场次数", 12),
            ("材料", 3, "材料必要性", "需要"),
            ("材料", 4, "原件份数", "两份"),
            ("材料", 4, "材料名称", None),
            ("收费", 3, "实施编码", "11210000000000000X2210100099000"),
            ("办理项", 3, "办理项编码", "a-1"),
            ("特别程序", 3, "是否计算在法定办结时限内", "不计算"),
        ],
    )
    count = ListingVersion.objects.count()
    # when
    result = transfer.import_workbook(bad, acting_user=editor)
    # then
    assert not result.ok and not result.applied
    assert cells(result) == {
        ("事项", 3, "事项名称"),
        ("事项", 3, "是否收费"),
        ("事项", 3, "网上办理深度"),
        ("事项", 4, "法定办结时限"),
        ("事项", 4, "到办事现场次数"),
        ("材料", 3, "材料必要性"),
        ("材料", 4, "原件份数"),
        ("材料", 4, "材料名称"),
        ("收费", 3, "实施编码"),
        ("办理项", 3, "办理项编码"),
        ("特别程序", 3, "是否计算在法定办结时限内"),
    }
    reasons = {(e.sheet, e.row, e.column): e.reason for e in result.errors}
    assert reasons[("材料", 3, "材料必要性")] == "取值应为：必要、非必要、容缺后补"
    assert reasons[("事项", 3, "是否收费")] == "应为“是”或“否”。"
    assert "事项名称与基本目录不一致" in reasons[("事项", 3, "事项名称")]
    assert "上门办理" in reasons[("事项", 3, "网上办理深度")]
    assert reasons[("事项", 4, "到办事现场次数")] == "不能大于9。"
    assert reasons[("材料", 4, "材料名称")] == "不能为空。"
    assert "不在“事项”工作表中" in reasons[("收费", 3, "实施编码")]
    assert [e.sheet for e in result.errors] == sorted(
        (e.sheet for e in result.errors),
        key=[s.title for s in SHEETS].index,
    )
    assert ListingVersion.objects.count() == count
    assert not AuditEvent.objects.filter(event__startswith="catalog.").exists()


def test_unknown_and_invalid_codes_and_missing_parts_are_reported(editor, published):
    # given
    content = transfer.export_workbook(versions_of(published))
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    del workbook["常见问题"]
    items = workbook["事项"]
    headers = [cell.value for cell in items[1]]
    items.delete_cols(headers.index("是否网办") + 1)
    other = OrganisationFactory()
    unknown = f"{other.credit_code}2210100099000"
    items.append([unknown])
    items.append(["123"])
    items.append([published[0].listing.code])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # when
    result = transfer.import_workbook(buffer.getvalue(), acting_user=editor)
    # then
    reasons = {(e.sheet, e.row, e.column): e.reason for e in result.errors}
    assert reasons[("事项", 1, "是否网办")] == "缺少必填列“是否网办”。"
    assert reasons[("常见问题", None, "")] == "缺少工作表“常见问题”。"
    assert "实施编码不存在" in reasons[("事项", 5, "实施编码")]
    assert "实施编码无效" in reasons[("事项", 6, "实施编码")]
    assert reasons[("事项", 7, "实施编码")] == "实施编码重复：与第3行相同。"
    assert ListingVersion.objects.count() == 2


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "文件为空。"),
        (b"task_code,task_name\n1,2\n", "不是Excel工作簿"),
        (b"%PDF-1.7\n...", "不是Excel工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版Excel"),
        (b"PK\x03\x04" + b"\0" * 100, "文件已损坏"),
    ],
)
def test_a_file_that_is_not_a_workbook_gets_one_clear_error(editor, content, reason):
    # when
    result = transfer.import_workbook(content, acting_user=editor)
    # then
    assert len(result.errors) == 1
    assert result.errors[0].sheet == "" and result.errors[0].row is None
    assert reason in result.errors[0].reason


def rewrite(content: bytes, name: str, data: bytes) -> bytes:
    """A copy of an xlsx archive with one part replaced."""
    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zipped:
        for entry in source.infolist():
            part = data if entry.filename == name else source.read(entry)
            zipped.writestr(entry.filename, part)
    return target.getvalue()


def test_damaged_bomb_entity_and_oversize_files_are_refused(
    editor, published, settings
):
    # given
    settings.ZHENGWU_IMPORT_MAX_BYTES = 200_000
    content = transfer.export_workbook(versions_of(published))
    not_a_workbook = io.BytesIO()
    with zipfile.ZipFile(not_a_workbook, "w") as zipped:
        zipped.writestr("word/document.xml", "<w/>")
    bomb = rewrite(content, "xl/worksheets/sheet1.xml", b" " * 2_100_000)
    entity = rewrite(
        content,
        "xl/worksheets/sheet1.xml",
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><worksheet/>',
    )
    wrong_sheet = rewrite(content, "xl/worksheets/sheet1.xml", b"<worksheet><row")
    cases = [
        (not_a_workbook.getvalue(), "不是Excel工作簿"),
        (content[: len(content) // 2], "文件已损坏"),
        (bomb, "解压后过大"),
        (entity, "不允许的XML声明"),
        (wrong_sheet, "文件已损坏"),
    ]
    assert len(bomb) < settings.ZHENGWU_IMPORT_MAX_BYTES
    for data, reason in cases:
        # when
        result = transfer.import_workbook(data, acting_user=editor)
        # then
        assert len(result.errors) == 1, reason
        assert reason in result.errors[0].reason
    # and a plain oversize file
    settings.ZHENGWU_IMPORT_MAX_BYTES = 1000
    result = transfer.import_workbook(content, acting_user=editor)
    assert result.errors[0].reason == "文件超过大小限制（1000 字节）。"
    assert ListingVersion.objects.count() == 2


# --- permissions -------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, allowed",
    [("own_editor", True), ("other_editor", False), ("no_role", False)],
)
def test_only_the_listing_organisation_editor_may_import_it(
    kind, allowed, org, editor, published, make_user
):
    # given a workbook changing both listings
    users = {"own_editor": editor, "no_role": make_user("plain")}
    users["other_editor"] = make_user("other")
    grant(users["other_editor"], OrganisationFactory(), StaffRole.DEPARTMENT_EDITOR)
    content = transfer.export_workbook(versions_of(published))
    changed = edit(
        content,
        [("事项", 3, "办理时间", "周一至周日"), ("事项", 4, "办理时间", "周一至周日")],
    )
    count = ListingVersion.objects.count()
    # when
    result = transfer.import_workbook(changed, acting_user=users[kind])
    # then
    assert result.ok is allowed
    assert (ListingVersion.objects.count() == count + 2) is allowed
    assert (
        AuditEvent.objects.filter(event="catalog.version_created").count() == 2
    ) is allowed
    if kind == "other_editor":
        assert cells(result) == {("事项", 3, "实施编码"), ("事项", 4, "实施编码")}
        assert "无权导入" in result.errors[0].reason
        assert "辽宁省公安厅" in result.errors[0].reason
    if kind == "no_role":
        assert result.errors[0].reason == "只有工作人员可以导入实施清单。"


def test_a_version_under_review_cannot_be_changed_by_import(editor, published):
    # given
    first = published[0]
    draft = services.version_create(
        listing=first.listing, acting_user=editor, change_reason="调整"
    )
    services.version_submit(version=draft, acting_user=editor)
    content = transfer.export_workbook(versions_of(published))
    # when
    same = transfer.import_workbook(content, acting_user=editor)
    changed = transfer.import_workbook(
        edit(content, [("事项", 3, "办理地点", "新地址")]), acting_user=editor
    )
    # then
    assert same.ok and first.listing.code in same.unchanged
    assert cells(changed) == {("事项", 3, "实施编码")}
    assert "待审核" in changed.errors[0].reason


def test_dry_run_reports_without_changing(editor, published):
    content = edit(
        transfer.export_workbook(versions_of(published)),
        [("事项", 4, "受理条件", "新条件")],
    )
    result = transfer.import_workbook(content, acting_user=editor, dry_run=True)
    assert result.created == [published[1].listing.code]
    assert not result.applied
    assert ListingVersion.objects.count() == 2


# --- JSON --------------------------------------------------------------------


def test_json_export_uses_the_national_exchange_field_names(published):
    # when
    records = transfer.export_json(versions_of(published))
    # then
    record = records[0]
    version = published[0]
    for name in (
        "task_code",
        "catalog_code",
        "task_name",
        "task_type",
        "dept_code",
        "dept_name",
        "use_level",
        "by_law",
        "power_source",
        "accept_condition",
        "anticipate_day",
        "anticipate_type",
        "promise_day",
        "promise_type",
        "project_type",
        "is_fee",
        "link_way",
        "supervise_way",
        "transact_addr",
        "transact_time",
        "is_online",
        "online_handle_depth",
        "limit_scene_num",
        "limit_scene_explain",
        "is_express",
        "is_pay_online",
        "is_schedule",
        "result_name",
        "result_guid",
        "handle_area",
        "dept_type",
        "server_type",
        "user_topic_type",
        "corp_topic_type",
        "handle_type",
        "entrust_name",
        "result_type",
        "handle_flow",
        "special_procedure",
    ):
        assert name in record, name
    assert record["task_code"] == version.listing.code
    assert record["catalog_code"] == version.listing.base_item.code
    assert record["task_name"] == version.listing.base_item.name
    assert record["use_level"] == "2"
    assert record["anticipate_day"] == 20
    assert record["anticipate_type"] == "working_day"
    assert record["is_fee"] is True
    assert record["online_handle_depth"][0] == "consult"
    material = record["materials"][0]
    assert material == material | {
        "order_num": 1,
        "material_name": "居民身份证",
        "page_num": 1,
        "page_copynum": 2,
        "page_format": "A4",
        "is_need": "1",
        "source_type": "20",
        "accept_stand": "在有效期内",
        "fill_explain": "",
    }
    assert record["fees"][0]["fee_stand"] == "每本120元"
    assert record["questions"][0]["question"] == "可以代办吗？"
    assert record["handle_items"][1] == {
        "order_num": 2,
        "task_handle_item": "02",
        "handle_item_name": "换领",
    }
    assert record["handle_flow"][1]["step_limit"] is None
    assert record["special_procedure"][0]["special_name"] == "专家评审"
    assert record["dept_type"] == version.listing.organisation.kind
    json.dumps(records, ensure_ascii=False)  # serialisable as is


def test_json_export_names_whom_the_item_serves_and_its_themes(
    published, reference_data
):
    # given
    item = published[0].listing.base_item
    item.for_natural_person = item.for_legal_person = True
    item.save()
    item.themes.set(
        Theme.objects.filter(code__in=["passport-travel", "household", "investment"])
    )
    # when
    record = transfer.export_json(versions_of(published))[0]
    # then
    assert record["server_type"] == "自然人、法人"
    assert set(record["user_topic_type"].split("、")) == {"出境入境", "户籍办理"}
    assert record["corp_topic_type"] == "投资审批"


# --- jobs and the task -------------------------------------------------------


def test_import_job_runs_in_the_worker_and_records_progress(
    transactional_db, editor, published, media
):
    """Committed for real: the worker closes and reopens connections (on PostgreSQL
    that ends a test transaction), and the job is queued only on commit."""
    # given
    content = edit(
        transfer.export_workbook(versions_of(published)),
        [("事项", 3, "办理地点", "新地址")],
    )
    # when
    job = transfer.import_start(
        content=content, filename="../清单.xlsx", acting_user=editor
    )
    # then it is queued
    assert job.status == ImportStatus.PENDING
    assert job.original_name == ".._清单.xlsx"
    assert (media / job.file.name).exists()
    assert DBTaskResult.objects.filter(task_path__endswith="run_import").count() == 1
    # when the worker runs
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    # then
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED
    assert job.total_rows > 2
    assert job.processed_rows == job.total_rows
    assert job.summary["created"] == [published[0].listing.code]
    assert job.errors == []
    assert job.finished_at is not None
    assert AuditEvent.objects.filter(
        event="catalog.import_applied", target_id=str(job.pk)
    ).exists()
    # a second delivery of the same task changes nothing
    assert run_import.call(job_id=job.pk)["skipped"] is True
    assert ListingVersion.objects.count() == 3


def test_failed_import_job_keeps_its_errors(editor, published, media):
    content = edit(
        transfer.export_workbook(versions_of(published)),
        [("材料", 3, "材料必要性", "需要")],
    )
    job = transfer.import_start(content=content, filename="x.xlsx", acting_user=editor)
    run_import.call(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {
            "sheet": "材料",
            "row": 3,
            "column": "材料必要性",
            "reason": "取值应为：必要、非必要、容缺后补",
        }
    ]
    assert ListingVersion.objects.count() == 2


def test_progress_is_reported_while_rows_are_checked(editor, org):
    # given a listing with many materials
    materials = [{"name": f"材料{n}"} for n in range(120)]
    version = ListingVersionFactory(
        published=True, listing__organisation=org, guide=rich_guide(materials=materials)
    )
    content = transfer.export_workbook([version])
    calls = []
    # when
    result = transfer.import_workbook(
        content, acting_user=editor, progress=lambda n, total: calls.append((n, total))
    )
    # then
    assert result.ok
    total = result.total_rows
    assert total > 120
    assert calls[0] == (0, total)
    assert (50, total) in calls and (100, total) in calls
    assert calls[-1] == (total, total)


def test_import_start_refuses_a_non_workbook_at_once(editor, media):
    with pytest.raises(CatalogError) as error:
        transfer.import_start(content=b"hello", filename="a.txt", acting_user=editor)
    assert error.value.code == "catalog.invalid_file"
    assert not ImportJob.objects.exists()


# --- management commands -----------------------------------------------------


def test_export_and_import_commands(editor, published, tmp_path):
    # given
    xlsx, data = tmp_path / "catalog.xlsx", tmp_path / "catalog.json"
    # when
    call_command("export_catalog", "--format", "xlsx", "--output", str(xlsx))
    call_command(
        "export_catalog",
        "--format",
        "json",
        "--output",
        str(data),
        "--division",
        "210000",
    )
    out = io.StringIO()
    call_command("import_catalog", str(xlsx), "--user", "editor", stdout=out)
    # then
    codes = {v.listing.code for v in published}
    assert {r["task_code"] for r in json.loads(data.read_text())} == codes
    assert "unchanged: 2" in out.getvalue()
    other_division = tmp_path / "none.json"
    call_command(
        "export_catalog",
        "--format",
        "json",
        "--output",
        str(other_division),
        "--division",
        "210100",
    )
    assert json.loads(other_division.read_text()) == []
    with pytest.raises(CommandError):
        call_command("import_catalog", str(data), "--user", "editor")
    with pytest.raises(CommandError):
        call_command("import_catalog", str(xlsx), "--user", "nobody")


# --- fields added after the first layout --------------------------------------

LOCAL_FIELDS = {
    "single_sign_on": True,
    "mobile_single_sign_on": True,
    "town_code": "210102001000000000",
    "town_name": "和平区太原街街道",
    "village_code": "210102001001000000",
    "village_name": "太原街社区",
}
LOCAL_HEADERS = (
    "计算机端是否对接单点登录",
    "移动端是否对接单点登录",
    "乡镇街道代码",
    "乡镇街道名称",
    "村居社区代码",
    "村居社区名称",
)


def test_single_sign_on_town_and_village_are_exported_by_national_names(org):
    # given
    version = ListingVersionFactory(
        published=True, listing__organisation=org, guide=rich_guide(**LOCAL_FIELDS)
    )
    # when
    record = transfer.export_json([version])[0]
    workbook = openpyxl.load_workbook(io.BytesIO(transfer.export_workbook([version])))
    # then
    assert (
        record
        | {
            "is_single_login": True,
            "app_is_single_login": True,
            "town_code": "210102001000000000",
            "town_name": "和平区太原街街道",
            "village_code": "210102001001000000",
            "village_name": "太原街社区",
        }
        == record
    )
    items = workbook["事项"]
    row = {c.value: items.cell(row=3, column=c.column).value for c in items[1]}
    assert row["计算机端是否对接单点登录"] == "是"
    assert row["村居社区名称"] == "太原街社区"


def test_a_workbook_without_the_added_columns_keeps_their_values(editor, org):
    # given a listing with the added fields set, exported in the older layout
    version = ListingVersionFactory(
        published=True, listing__organisation=org, guide=rich_guide(**LOCAL_FIELDS)
    )
    content = transfer.export_workbook([version])
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    items = workbook["事项"]
    for header in LOCAL_HEADERS:
        headers = [cell.value for cell in items[1]]
        items.delete_cols(headers.index(header) + 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    # when
    result = transfer.import_workbook(buffer.getvalue(), acting_user=editor)
    # then nothing is reset to its default
    assert result.errors == []
    assert result.unchanged == [version.listing.code]

    # when the new layout changes one of them
    changed = edit(content, [("事项", 3, "乡镇街道名称", "和平区南市场街道")])
    result = transfer.import_workbook(changed, acting_user=editor)
    # then
    assert result.errors == []
    draft = ListingVersion.objects.get(pk=result.versions[version.listing.code])
    assert draft.guide["town_name"] == "和平区南市场街道"
    assert draft.guide["single_sign_on"] is True
