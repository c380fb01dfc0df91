"""Registration and login through the pages leave no clear ID number or mobile in
the database or in the logs (等保 8.1.4.8)."""

import logging
import re

from django.db import connection

import pytest

from zhengwu.core.models import SmsMessage
from zhengwu.identity.models import Person

from .person_factories import make_id_number

pytestmark = pytest.mark.django_db

PASSWORD = "Shimin#2026x"


def database_text() -> str:
    """Every row of every table as text: SQLite's dump of the (in-memory) test
    database, or every table read in full on PostgreSQL."""
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows.extend(str(row) for row in cursor.fetchall())
    return "\n".join(rows)


def register(client, *, name, id_number, mobile):
    client.post("/accounts/register/", {"mobile": mobile, "action": "send"})
    text = SmsMessage.objects.get(template="otp_register").text
    code = re.search(r"[0-9]{6}", text).group(0)
    return client.post(
        "/accounts/register/",
        {
            "name": name,
            "id_number": id_number,
            "mobile": mobile,
            "code": code,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "action": "register",
        },
    )


def test_registration_and_login_keep_id_number_and_mobile_out_of_db_and_logs(
    client, caplog
):
    caplog.set_level(logging.DEBUG)
    id_number, mobile = make_id_number(701), "13812345678"
    # when a citizen registers, logs out, and logs in by ID number and by mobile
    response = register(client, name="赵六", id_number=id_number, mobile=mobile)
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.user_id and person.id_number == id_number
    client.post("/accounts/logout/")
    assert (
        client.post(
            "/accounts/login/", {"login_name": id_number, "password": "Wrong#1pass"}
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/accounts/login/", {"login_name": mobile, "password": PASSWORD}
        ).status_code
        == 302
    )
    # then neither value is in the database in clear
    dump = database_text()
    assert "赵六" in dump  # the dump does hold the clear columns
    assert id_number not in dump
    assert mobile not in dump
    # nor in anything logged meanwhile
    logged = "\n".join(
        record.getMessage() + " " + str(record.__dict__) for record in caplog.records
    )
    assert id_number not in logged
    assert mobile not in logged


def test_registration_errors_show_inline_and_create_nothing(client):
    client.post("/accounts/register/", {"mobile": "13812345679", "action": "send"})
    response = client.post(
        "/accounts/register/",
        {
            "name": "钱七",
            "id_number": "210102198503150000",
            "mobile": "13812345679",
            "code": "",
            "password1": PASSWORD,
            "password2": "Other#2026x",
            "action": "register",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_id_number_error"' in html
    assert 'id="id_password2_error"' in html
    assert not Person.objects.exists()


def test_a_wrong_registration_code_creates_nothing(client):
    client.post("/accounts/register/", {"mobile": "13812345670", "action": "send"})
    response = client.post(
        "/accounts/register/",
        {
            "name": "孙八",
            "id_number": make_id_number(702),
            "mobile": "13812345670",
            "code": "999999"
            if "999999" not in SmsMessage.objects.get().text
            else "888888",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "action": "register",
        },
    )
    assert 'id="id_code_error"' in response.content.decode()
    assert not Person.objects.exists()
