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
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401

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
