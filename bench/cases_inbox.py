"""The staff inbox with 1,000,000 cases in the database (PostgreSQL).

    .venv/bin/python bench/cases_inbox.py                  # seed, measure, drop
    .venv/bin/python bench/cases_inbox.py --keep           # keep the database
    .venv/bin/python bench/cases_inbox.py --reuse --keep   # measure again

Seeds (COPY) 1,000,000 cases of 50 departments over 200 listings, submitted over
the past year, in every status (drafts, waiting for acceptance, in progress,
finished, withdrawn, refused), with their workbench tasks: a case in progress has
its current task (open in the department's pool or claimed by a reviewer) and the
steps it already passed (done); a finished case has its done tasks. Due dates spread
from two months overdue to two months ahead. Then ANALYZE, and times:

* the inbox selector the page and the API use (``workbench.inbox``: first page of
  20, nearest deadline first, plus the counts), for a reviewer of one department
  (a typical scope: the department's division and below), also filtered (overdue,
  claimed by me, open only) and the second page by cursor;
* ``GET /api/v1/cases/tasks`` in-process (``django.test.Client``, bearer token,
  every middleware, JSON rendered);

p50/p95 over ``--rounds`` rounds each, and prints EXPLAIN (ANALYZE, BUFFERS) of the
first-page query. Nothing is asserted: the numbers go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases_seed as seed  # noqa: E402

DEFAULT_DB = "zhengwu_bench_cases_inbox"

# status: share of cases
STATUSES = [
    ("draft", 0.03),
    ("submitted", 0.05),
    ("supplement", 0.02),
    ("accepted", 0.40),
    ("approved", 0.40),
    ("denied", 0.04),
    ("not_accepted", 0.02),
    ("withdrawn", 0.04),
]
NODES = [
    ("review", "审查", "reviewer"),
    ("decide", "决定", "decider"),
    ("issue", "制证", "issuer"),
    ("deliver", "送达", "dispatcher"),
]


def _defaults(model) -> dict:
    """Every concrete column of ``model`` with its Python default (None when
    nullable without one): the COPY row template."""
    from zhengwu.core.fields import EncryptedJSONField

    row = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.has_default():
            value = field.get_default()
            if isinstance(field, EncryptedJSONField):
                value = field.get_prep_value(value)  # ciphertext, as the ORM writes
            elif isinstance(value, (dict, list)):
                value = json.dumps(value)
        else:
            value = None if field.null else ""
        row[field.column] = value
    return row


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _insert_select(model, overrides: dict[str, str], source: str) -> str:
    """INSERT INTO the model's table every column: the SQL expression given in
    ``overrides``, else the field's default as a literal."""
    template = _defaults(model)
    columns = list(template)
    unknown = set(overrides) - set(columns) - {"id"}
    if unknown:
        raise SystemExit(f"no such columns: {unknown}")
    if "id" in overrides:
        columns = ["id", *columns]
    exprs = [overrides.get(c, _literal(template.get(c))) for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    return (
        f'INSERT INTO "{model._meta.db_table}" ({names}) '
        f"SELECT {', '.join(exprs)} {source}"
    )


def seed_cases(total: int, departments: list, claimers: dict, applicants: range):
    """Cases and tasks generated inside PostgreSQL (generate_series): every case
    number unique by construction (listing, day and serial follow from the id)."""
    from django.db import connection

    from zhengwu.cases.models import Case, CaseTask

    listings = []  # (code, organisation, division, item name)
    for org in departments:
        for n in range(4):
            code = f"1121{org.division.code}{org.pk:09d}{n:04d}000000"
            listings.append(
                (code[:31], org.pk, org.division_id, f"压测事项{org.pk}-{n}")
            )
    days, count = 365, len(listings)
    listing_values = ", ".join(
        f"({i}, {_literal(code)}, {org}, {div}, {_literal(name)})"
        for i, (code, org, div, name) in enumerate(listings)
    )
    thresholds, cumulative = [], 0.0
    for status, share in STATUSES:
        cumulative += share
        thresholds.append((status, cumulative))
    status_case = (
        "CASE "
        + " ".join(
            f"WHEN s.r1 < {limit:.4f} THEN '{st}'" for st, limit in thresholds[:-1]
        )
        + f" ELSE '{thresholds[-1][0]}' END"
    )
    handled = "s.status IN ('accepted', 'approved', 'denied')"
    due = "(current_date + (floor(s.r2 * 121)::int - 60))"
    case_sql = _insert_select(
        Case,
        {
            "id": "s.g",
            "created_at": "s.submitted",
            "updated_at": "s.submitted",
            "number": "CASE WHEN s.status = 'draft' THEN NULL ELSE l.code || "
            "to_char(s.day, 'YYYYMMDD') || lpad((s.g / "
            f"{days * count} + 1)::text, 4, '0') END",
            "listing_code": "l.code",
            "listing_version": "1",
            "item_name": "l.item",
            "organisation_id": "l.org",
            "division_id": "l.div",
            "applicant_id": "s.applicant",
            "principal_label": "'person:' || s.applicant",
            "applicant_name": "'张三'",
            "applicant_id_masked": "'2101**********1234'",
            "status": "s.status",
            # one form for every row, encrypted once here (the column is ciphertext)
            "form_data": _literal(
                Case._meta.get_field("form_data").get_prep_value(
                    {"contact_name": "张三", "purpose": "压测"}
                )
            ),
            "submission_key": "CASE WHEN s.status = 'draft' THEN '' ELSE 'k' || s.g END",
            "submitted_at": "CASE WHEN s.status = 'draft' THEN NULL ELSE s.submitted END",
            "acceptance_due_on": "CASE WHEN s.status = 'draft' THEN NULL "
            "ELSE s.submitted::date + 7 END",
            "accepted_at": f"CASE WHEN {handled} THEN s.submitted + interval '1 day' END",
            "decided_at": "CASE WHEN s.status IN ('approved', 'denied') "
            "THEN s.submitted + interval '5 days' END",
            "limit_days": "7",
            "legal_limit_days": "20",
            "due_on": f"CASE WHEN {handled} THEN {due} END",
            "warn_on": f"CASE WHEN {handled} THEN {due} - 2 END",
            "deadline_state": f"CASE WHEN NOT {handled} THEN 'none' "
            f"WHEN {due} < current_date THEN 'overdue' "
            f"WHEN {due} <= current_date + 2 THEN 'warning' ELSE 'normal' END",
        },
        f"""FROM (
            SELECT g, r1, r2, {status_case.replace("s.r1", "r1")} AS status,
                   now() - make_interval(days => g % {days}, secs => r3 * 86400)
                       AS submitted,
                   (now() - make_interval(days => g % {days}))::date AS day,
                   {applicants.start} + floor(r4 * {len(applicants)})::int AS applicant
            FROM (SELECT g, random() r1, random() r2, random() r3, random() r4
                  FROM generate_series(1, {total}) g) r
        ) s
        JOIN (VALUES {listing_values}) l(idx, code, org, div, item)
          ON l.idx = (s.g / {days}) % {count}""",  # noqa: S608  (generated, no input)
    )
    claimer_values = ", ".join(
        f"({org}, ARRAY[{', '.join(map(str, ids))}])" for org, ids in claimers.items()
    )
    nodes = ", ".join(
        f"({i}, '{node}', '{name}', '{role}')"
        for i, (node, name, role) in enumerate(NODES)
    )
    live = "(c.status = 'accepted' AND n.idx = c.id % 4)"
    task_sql = _insert_select(
        CaseTask,
        {
            "created_at": "c.submitted_at",
            "updated_at": "c.submitted_at",
            "case_id": "c.id",
            "node": "n.node",
            "workflow_task_id": "'t' || c.id || '-' || n.idx",
            "name": "n.name",
            "role": "n.role",
            "organisation_id": "c.organisation_id",
            "division_id": "c.division_id",
            "status": f"CASE WHEN NOT {live} THEN 'done' "
            "WHEN c.r < 0.3 THEN 'claimed' ELSE 'open' END",
            "assignee_id": f"CASE WHEN {live} AND c.r < 0.3 "
            "THEN w.ids[1 + floor(c.r * 10)::int % 3] END",
            "claimed_at": f"CASE WHEN {live} AND c.r < 0.3 THEN now() END",
            "due_on": "c.due_on",
            # as deadlines.task_deadline: the case's warning date while its clock runs
            "warn_on": f"CASE WHEN {live} AND c.deadline_state <> 'paused' "
            "THEN c.warn_on END",
            "completed_at": f"CASE WHEN NOT {live} "
            "THEN c.submitted_at + make_interval(days => n.idx + 1) END",
            "outcome": f"""CASE WHEN NOT {live} """
            """THEN '{"outcome": "pass", "opinion": ""}'::jsonb ELSE '{}'::jsonb END""",
        },
        f"""FROM (SELECT *, random() AS r FROM "{Case._meta.db_table}"
                  WHERE status IN ('accepted', 'approved', 'denied')) c
        CROSS JOIN (VALUES {nodes}) n(idx, node, name, role)
        JOIN (VALUES {claimer_values}) w(org, ids) ON w.org = c.organisation_id
        WHERE c.status <> 'accepted' OR n.idx <= c.id % 4""",  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.7)")
        started = time.perf_counter()
        cursor.execute(case_sql)
        print(f"  cases inserted ({time.perf_counter() - started:.0f} s)", flush=True)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{Case._meta.db_table}\"', "
            f"'id'), {total})"
        )
        started = time.perf_counter()
        cursor.execute(task_sql)
        print(f"  tasks inserted ({time.perf_counter() - started:.0f} s)", flush=True)


def set_up(args) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from zhengwu.identity.constants import StaffRole
    from zhengwu.identity.tests.staff_factories import staff_user

    started = time.perf_counter()
    seed.migrate()
    seed.seed_calendar()
    departments = seed.departments(args.departments)
    # three reviewers per department (tasks are claimed by them); reviewer 0 of
    # department 0 is the one whose inbox is timed
    claimers = {}
    for org in departments:
        claimers[org.pk] = [
            staff_user(f"reviewer-{org.pk}-{n}", (org, StaffRole.REVIEWER)).pk
            for n in range(3)
        ]
    user_model = get_user_model()
    made = user_model.objects.bulk_create(
        [
            user_model(username=f"applicant{n:05d}", password="!")  # noqa: S106  (unusable)
            for n in range(args.applicants)
        ],
        batch_size=1000,
    )
    ids = sorted(u.pk for u in made)
    applicants = range(ids[0], ids[-1] + 1)
    print(f"reference data {time.perf_counter() - started:.0f} s; seeding cases")
    seeding = time.perf_counter()
    seed_cases(args.cases, departments, claimers, applicants)
    print(f"cases and tasks copied in {time.perf_counter() - seeding:.0f} s")
    analysing = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE {time.perf_counter() - analysing:.0f} s")


def timed(rounds: int, call) -> tuple[float, float, object]:
    for _ in range(5):
        result = call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), seed.percentile(samples, 0.95), result


def measure(args) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from zhengwu.cases.models import Case, CaseTask
    from zhengwu.cases.workbench import InboxFilters, inbox
    from zhengwu.core.models import Organisation

    org = Organisation.objects.filter(name="压测部门000").get()
    reviewer = get_user_model().objects.get(username=f"reviewer-{org.pk}-0")
    cases = Case.objects.count()
    tasks = CaseTask.objects.count()
    live = CaseTask.objects.filter(
        organisation=org, status__in=["open", "claimed"]
    ).count()
    print(
        f"\n{cases:,} cases, {tasks:,} tasks; the reviewer's department has "
        f"{live:,} open or claimed tasks\n"
    )

    def fresh_user():
        # a copy of the user each round: no staff scope cached from the round
        # before (the API loads the user with the token, one query, not timed here)
        user = copy.copy(reviewer)
        vars(user).pop("_zhengwu_staff_scope", None)
        return user

    first = inbox(fresh_user(), limit=20)
    variants = {
        "first page (open + claimed), counts": {},
        "overdue": {"filters": InboxFilters(overdue=True)},
        "claimed by me": {"filters": InboxFilters(mine=True)},
        "open only": {"filters": InboxFilters(status="open")},
        "second page (cursor)": {"cursor": first.next_cursor},
    }
    rows = []
    for label, kwargs in variants.items():
        p50, p95, page = timed(
            args.rounds, lambda kw=kwargs: inbox(fresh_user(), limit=20, **kw)
        )
        rows.append((f"selector: {label}", p50, p95, len(page.tasks)))

    [token] = seed.api_tokens([reviewer])
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}

    def api(query: dict):
        response = client.get("/api/v1/cases/tasks", query, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"API {response.status_code}: {response.content[:300]!r}")
        return response.json()["items"]

    for label, query in {
        "first page": {"limit": 20},
        "overdue": {"limit": 20, "overdue": "true"},
        "claimed by me": {"limit": 20, "mine": "true"},
    }.items():
        p50, p95, items = timed(args.rounds, lambda q=query: api(q))
        rows.append((f"API GET /api/v1/cases/tasks: {label}", p50, p95, len(items)))

    print(f"{seed.machine()}; {args.rounds} rounds each\n")
    print("| measure | p50 ms | p95 ms | rows |")
    print("|---|---|---|---|")
    for label, p50, p95, count in rows:
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {count} |")

    with CaptureQueriesContext(connection) as captured:
        inbox(fresh_user(), limit=20)
    print(f"\nqueries of one inbox call: {len(captured.captured_queries)}")
    for query in captured.captured_queries:
        print(f"  {float(query['time']) * 1000:.1f} ms  {query['sql'][:140]}")
    for label, test in (
        ("first-page", lambda sql: "LIMIT 21" in sql),
        ("counts", lambda sql: sql.startswith("SELECT COUNT")),
    ):
        sql = next(
            (
                q["sql"]
                for q in captured
                if "cases_casetask" in q["sql"] and test(q["sql"])
            ),
            None,
        )
        if sql is None:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the {label} query:\n")
        print(sql)
        print(plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--applicants", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="database already seeded")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    if not args.reuse:
        seed.create_database(args.db)
    seed.django_setup(args.db)
    from django.db import connection

    try:
        if not args.reuse:
            set_up(args)
        measure(args)
    finally:
        connection.close()
        if not args.keep:
            seed.drop_database(args.db)


if __name__ == "__main__":
    main()
