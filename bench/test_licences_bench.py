"""Electronic licences: licences issued (rendered, SM3-digested, SM2-signed with the
issuing organisation's seal, stored, audited) per second, and verifications
(check character, SM2 signature over the stored metadata, SM3 of the file, status)
per second, by identifier and by uploaded file; the SM2 signature alone for scale.
Run with `make bench` (SQLite) or with ZHENGWU_DATABASE_URL pointing at PostgreSQL;
results go to bench/RESULTS.md."""

import itertools

import pytest
from gmssl_pyx import sm2_key_generate, sm2_sign, sm2_verify

from zhengwu.licenses import verification
from zhengwu.licenses.models import Licence
from zhengwu.licenses.tests.factories import FACE_DATA, licence_world  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=False)

_holders = itertools.count(1)


def test_issue_one_licence(benchmark, licence_world):  # noqa: F811
    def issue():
        return licence_world.issue(holder_label=f"person:{next(_holders)}")

    licence = benchmark(issue)
    assert verification.verify(licence.identifier).ok


def test_verify_by_identifier(benchmark, licence_world):  # noqa: F811
    licence = licence_world.issue()
    result = benchmark(verification.verify, licence.identifier)
    assert result.ok


def test_verify_uploaded_file(benchmark, licence_world):  # noqa: F811
    licence = licence_world.issue()
    content = bytes(Licence.objects.get(pk=licence.pk).file)
    result = benchmark(verification.verify_file, content)
    assert result.ok


def test_sm2_sign_and_verify_alone(benchmark):
    public, private = sm2_key_generate()
    message = b'{"identifier":"1.2.156.3005.2.x","sm3":"' + b"0" * 64 + b'"}'

    def sign_and_verify():
        return sm2_verify(public, message, sm2_sign(private, public, message))

    assert benchmark(sign_and_verify)


# --- batch import and the holder's wallet ------------------------------------------

IMPORT_ROWS = 1000
WALLET_LICENCES = 50
NAME_CHARS = "一丁七万丈三上下不与丑专且世丘丙业丛东丝丞两严丧个中丰串临丸丹为主丽"


def _import_workbook(world, holders) -> bytes:
    """A filled template (the type's own workbook) with one row per holder: the
    historical issue date and the face data of the type."""
    import datetime
    import io

    import openpyxl

    from zhengwu.licenses import imports
    from zhengwu.licenses.services import SHANGHAI

    book = openpyxl.load_workbook(
        io.BytesIO(imports.template_workbook(world.licence_type))
    )
    sheet = book["证照"]
    # within the type's validity: an expired licence is not imported
    issued = datetime.datetime.now(SHANGHAI).date() - datetime.timedelta(days=200)
    for number, person in enumerate(holders, start=1):
        sheet.append(
            [
                person.clear_id_number,
                person.name,
                issued,
                None,
                None,
                "女",
                "中式烹调师",
                f"{number:06d}",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_1000_historical_licences(benchmark, licence_world, settings, tmp_path):  # noqa: F811
    """证照批量导入 of 1,000 rows through imports.py's path: the job stored and
    audited (import_start), then the task's body (import_job_run): the workbook
    read, every row checked (holder on record, dates, face data, duplicates),
    1,000 licences issued (PDF, SM3, SM2, audit) in one transaction. One round:
    each round issues 1,000 licences, and a second import of the same rows
    would be refused as duplicates on record."""
    import datetime

    from zhengwu.identity.tests.person_factories import make_citizen
    from zhengwu.licenses import imports
    from zhengwu.licenses.models import LicenceImportJob

    settings.MEDIA_ROOT = tmp_path
    first = datetime.date(1960, 1, 1)
    holders = [
        make_citizen(
            "王" + NAME_CHARS[n // 32 % 32] + NAME_CHARS[n % 32],
            verified=False,
            born=(first + datetime.timedelta(days=n)).strftime("%Y%m%d"),
        )
        for n in range(IMPORT_ROWS)
    ]
    content = _import_workbook(licence_world, holders)

    def start():
        job = imports.import_start(
            content=content,
            filename="历史证照.xlsx",
            type_code=licence_world.licence_type.type_code,
            issuer_organisation_id=licence_world.bureau.pk,
            acting_user=licence_world.reviewer,
        )
        return (), {"job_id": job.pk}

    outcome = benchmark.pedantic(
        imports.import_job_run, setup=start, rounds=1, iterations=1
    )
    job = LicenceImportJob.objects.get(pk=outcome["job_id"])
    assert job.status == LicenceImportJob.Status.DONE, job.errors[:3]
    assert outcome["issued_count"] == IMPORT_ROWS
    assert Licence.objects.count() == IMPORT_ROWS
    benchmark.extra_info["rows"] = IMPORT_ROWS


def test_holder_wallet_api_list_of_50(benchmark, licence_world):  # noqa: F811
    """GET /api/v1/licenses/wallet (bearer token) for a holder with 50
    licences: authentication, the holder labels, the list and its JSON."""
    from django.test import Client

    from zhengwu.licenses.tests.test_api import bearer

    for number in range(WALLET_LICENCES):
        licence_world.issue(
            face_data={**FACE_DATA, "certificate_number": f"{number:06d}"}
        )
    client = Client()
    headers = bearer(licence_world.holder.user)

    def listing():
        return client.get("/api/v1/licenses/wallet", headers=headers)

    response = benchmark.pedantic(listing, rounds=50, warmup_rounds=2)
    assert response.status_code == 200
    assert len(response.json()["items"]) == WALLET_LICENCES
