"""Import and export pages over catalog.transfer."""

import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

pytestmark = pytest.mark.django_db

transfer = pytest.importorskip("zhengwu.catalog.transfer")


def test_export_excel_and_json(client_for, world):
    client = client_for("editor")
    xlsx = client.get("/staff/export.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content.startswith(b"PK")
    assert "attachment" in xlsx["Content-Disposition"]
    data = client.get("/staff/export.json", {"q": "护照"})
    assert data.status_code == 200
    payload = json.loads(data.content)
    assert world.passport_listing.code in json.dumps(payload, ensure_ascii=False)


def test_export_requires_staff(client, world):
    assert client.get("/staff/export.xlsx").status_code == 302


def _upload(client, content: bytes, name="清单.xlsx"):
    return client.post("/staff/import/", {"file": SimpleUploadedFile(name, content)})


def test_import_round_trip_job_page_polls_and_reports(client_for, world):
    client = client_for("editor")
    workbook = client.get("/staff/export.xlsx").content
    # when: the exported workbook is uploaded again
    response = _upload(client, workbook)
    assert response.status_code == 302
    job_url = response["Location"]
    # then: while queued, the page polls itself every second through htmx
    page = client.get(job_url).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "<progress" in page
    fragment = client.get(job_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="job-status"' in fragment
    # when the worker has run it
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    transfer.import_job_run(job_id=job_id)
    done = client.get(job_url).content.decode()
    assert "导入成功" in done
    assert 'hx-trigger="every 1s"' not in done


def test_import_errors_table_lists_sheet_row_column_reason(client_for, world):
    import openpyxl

    client = client_for("editor")
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get("/staff/export.xlsx").content)
    )
    sheet = workbook.worksheets[0]
    # break a cell in the first data row: an unknown implementation code
    header_row = [c.value for c in sheet[1]]
    column = next(i for i, h in enumerate(header_row, 1) if h and "实施编码" in str(h))
    sheet.cell(row=3, column=column, value="NOT-A-CODE")
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = _upload(client, buffer.getvalue())
    assert response.status_code == 302
    job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    transfer.import_job_run(job_id=job_id)
    body = client.get(response["Location"]).content.decode()
    assert "导入失败" in body
    assert "<table" in body and "工作表" in body and "原因" in body


def test_import_refuses_non_workbook_next_to_field(client_for, world):
    client = client_for("editor")
    response = _upload(client, b"%PDF-1.4 not a workbook", name="x.xlsx")
    assert response.status_code == 422
    assert 'id="import-file-error"' in response.content.decode()


def test_import_job_of_someone_else_is_404(client_for, world):
    client = client_for("editor")
    workbook = client.get("/staff/export.xlsx").content
    job_url = _upload(client, workbook)["Location"]
    other = client_for("other_editor")
    assert other.get(job_url).status_code == 404
