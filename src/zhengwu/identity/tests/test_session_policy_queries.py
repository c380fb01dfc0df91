"""SessionPolicyMiddleware runs on every request: no query for anonymous users, and
for a signed-in one at most the once-a-minute ``last_seen_at`` update."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

import pytest

from zhengwu.identity.middleware import SessionPolicyMiddleware
from zhengwu.identity.sessions import LAST_ACTIVITY_KEY, LAST_SEEN_KEY

pytestmark = pytest.mark.django_db


def run(request):
    with CaptureQueriesContext(connection) as queries:
        SessionPolicyMiddleware(lambda r: HttpResponse())(request)
    return len(queries)


def test_an_anonymous_request_costs_no_query():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    assert run(request) == 0


def test_a_signed_in_request_costs_at_most_one_update_a_minute():
    user = get_user_model().objects.create_user("p000000000009", password="x")
    session = SessionStore()
    now = time.time()
    session[LAST_ACTIVITY_KEY] = now
    session[LAST_SEEN_KEY] = now
    session.save()
    request = RequestFactory().get("/")
    request.session = SessionStore(session.session_key)
    request.user = user
    assert run(request) <= 1  # loading the session itself is Django's one read
    request.session[LAST_SEEN_KEY] = now - 61
    assert run(request) == 1
